"""The TFLite Micro arena: the greedy head plan, the persistent tail, planning's temp peak.

Head (micro_allocator.cc CommitStaticMemoryPlan/CreatePlan, greedy_memory_planner.cc):
every tensor of every subgraph with no constant data TFLM reads (data stored after the
flatbuffer it does not: tflm_reads_data), not a variable and of a non-zero size becomes a
buffer of its size rounded up to 16 bytes (MicroArenaBufferAlignment), with the
lifetime lifetimes.tflm_lifetimes gives it; then each kernel's scratch buffers. With an
OfflineMemoryAllocation entry, a tensor given an offset (variables included) is placed
there, first and as given, even over others. The rest are sorted by size, descending
(ReverseSortInPlace is a stable bubble sort over them in reverse order, so equal sizes go
last-added first), and each goes into the first gap, in offset order, between buffers
alive at an overlapping time (inclusive), or after the last of them. The head is the
highest end.

Tail: the allocations SingleArenaBufferAllocator takes from the arena's top, in the order
MicroInterpreter::AllocateTensors makes them: the allocator objects, the resource
variables table and its entries (when the model has VAR_HANDLEs), a TfLiteEvalTensor per
tensor and a NodeAndRegistration per op of every subgraph, each op's options struct,
every kernel's persistent buffers (16-byte aligned), each resource variable's buffer
(ASSIGN_VARIABLE's Prepare), a handle per scratch buffer, each variable tensor without
an offline offset (16-byte aligned; looked up as AllocateVariables does), then per input
and output of subgraph 0 a TfLiteTensor with its quantization (TfLiteAffineQuantization
plus a zero-point array) and the two pointer arrays.

Word size: the structures' sizes are those of one TFLM build, `word_size` 64 (the host
build the tflite-micro Python interpreter is: RecordingMicroAllocator, compression
support; TfLiteEvalTensor 24 B, NodeAndRegistration 64 B, TfLiteTensor 64 B) or 32 (a
microcontroller: MicroAllocator, no compression; 12, 32 and 40 B), from
rules/data/tflm_struct_sizes.toml, which cites the source of each. The kernels' own
persistent buffers are those measured on the 64-bit build (tflm_kernels.py); on a
32-bit build they are the same or smaller, so the 32-bit figure errs, if at all, on the
safe side. A plan for one word size carries the other's figures in `other_builds`.

Temp: AllocateTensors also needs room between head and tail that it gives back. While
kernels prepare: the scratch requests so far (16 B each, room for 12 more) and the
temporary TfLiteTensors a kernel reads its tensors through (estimated: each input and
output once, conv-like kernels twice). While CommitStaticMemoryPlan plans: the scratch
requests, a 32-byte AllocationInfo per tensor and scratch buffer, and the planner's 40
bytes per planned buffer (GreedyMemoryPlanner::Init divides what is left by 40). A model
with a small head can need more than head + tail for that: `temp_bytes` is the
difference, so total_bytes is the smallest arena that works.
"""
from __future__ import annotations

from functools import lru_cache
from typing import NamedTuple

from ..reader.offline_plan import OfflinePlanError
from ..records import record
from .arena import (ArenaFigures, ArenaPlan, LiveTensor, PlacedBuffers, align_up,
                    dynamic_shape_note, end_to_end_note, live_bytes, peak_of)
from .lifetimes import (TFLM_MARKING_BUDGET, ScratchRequest, TflmLifetimes, tensor_bytes,
                        tflm_lifetimes)
from .data import load_data_table
from .tflm_kernels import WORD_DEPENDENT, kernel_allocations

ALIGNMENT = 16  # MicroArenaBufferAlignment()
MAX_SCRATCH_REQUESTS_PER_OP = 12  # kMaxScratchBuffersPerOp: room kept for the next op
PLANNER_BYTES_PER_BUFFER = 40  # GreedyMemoryPlanner::per_buffer_size(): ints only
WORD_SIZES = (64, 32)  # the builds modelled: rules/data/tflm_struct_sizes.toml
DEFAULT_WORD_SIZE = 64  # the tflite-micro Python interpreter, the differential tests' oracle


@record
class TflmStructs:
    """Sizes of the structures TFLM allocates, for one build (word size): see
    rules/data/tflm_struct_sizes.toml, which cites the source of each."""

    word_size: int
    allocator_objects: tuple[int, ...]
    struct_alignment: int
    subgraph_allocations: int
    eval_tensor: int
    node_and_registration: int
    tflite_tensor: int
    affine_quantization: int
    pointer: int
    scratch_handle: int
    scratch_request: int
    allocation_info: int
    subgraph_offset: int
    resource_variables: int
    resource_variable: int


@lru_cache(maxsize=None)
def tflm_structs(word_size: int = DEFAULT_WORD_SIZE) -> TflmStructs:
    if word_size not in WORD_SIZES:
        raise ValueError(f"unknown TFLM word size {word_size!r}: use 64 (the host build "
                         f"tflite-micro's Python interpreter is) or 32 (a microcontroller)")
    table = dict(load_data_table("tflm_struct_sizes")[str(word_size)])
    table["allocator_objects"] = tuple(table["allocator_objects"])
    return TflmStructs(word_size=word_size, **table)


class _Tail:
    """The persistent section, growing down from a 16-byte-aligned arena end."""

    def __init__(self) -> None:
        self.used = 0

    def take(self, size: int, alignment: int) -> None:
        # AlignPointerDown(tail - size, alignment), measured from the arena's end; a size
        # figured from a corrupt negative dimension takes nothing
        self.used = align_up(self.used + max(size, 0), alignment)


def plan_tflm(view, word_size: int = DEFAULT_WORD_SIZE) -> ArenaPlan:
    """The arena of a TFLM build of `word_size` bits (64: the host build tflite-micro's
    Python interpreter is; 32: a microcontroller), with the other build's figures in
    `other_builds`."""
    structs = tflm_structs(word_size)
    notes: list[str] = []
    kernels = _kernels(view, word_size)
    scratch = _scratch_requests(view, kernels)
    lifetimes = tflm_lifetimes(view, scratch)
    if lifetimes.recursive_calls:
        notes.append("subgraph(s) " + ", ".join(map(str, lifetimes.recursive_calls)) +
                     " call themselves; TFLM would recurse without end, they were "
                     "planned once")
    if lifetimes.approximate:
        notes.append("the control-flow subgraphs are called so many times over that "
                     "lifetimes were marked once per subgraph after the first "
                     f"{TFLM_MARKING_BUDGET:,} op visits; TFLM marks each call")
    if (unread := unread_constants_note(view)) is not None:
        notes.append(unread)
    offline = _offline_offsets(view, notes)
    if (mismatch := variable_offline_mismatch(view, offline)) is not None:
        notes.append(mismatch)
    buffers = _buffers(view, lifetimes, scratch, offline)
    offsets, head, end_to_end = _greedy(buffers)
    if end_to_end:
        notes.append(end_to_end_note(end_to_end))
    tail, temp = _tail_and_temp(view, kernels, scratch, offline, len(buffers), head, structs)
    variables = resource_variables(view)
    if variables.unresolved:
        notes.append(f"{variables.unresolved} ASSIGN_VARIABLE(s) write a resource no "
                     f"VAR_HANDLE of their subgraph gives; TFLM allocates no buffer for "
                     f"them in Prepare, and neither does tfllint")
    others = []
    for other in WORD_SIZES:
        if other == word_size:
            continue
        other_kernels = _kernels(view, other, kernels)
        other_scratch = _scratch_requests(view, other_kernels)
        other_head, other_buffers = head, buffers
        if [r.bytes for r in other_scratch] != [r.bytes for r in scratch]:
            # pointer-sized scratch (ADD_N, the Ethos-U custom op): the same requests,
            # other sizes, so the same lifetimes
            other_buffers = _buffers(view, lifetimes, other_scratch, offline)
            other_head = _greedy(other_buffers)[1]
        other_tail, other_temp = _tail_and_temp(view, other_kernels, other_scratch, offline,
                                                len(other_buffers), other_head,
                                                tflm_structs(other))
        others.append(ArenaFigures(other, other_head, other_tail, other_temp))
    unmeasured = sorted({op.name for s in view.subgraphs for op in s.operators
                         if not kernels[op.subgraph][op.index].measured})
    if unmeasured:
        notes.append("tail estimated for ops with no measured kernel cost: "
                     + ", ".join(unmeasured))
    timeline, peak, live = _timeline(view, lifetimes, buffers)
    planned = [(b.subgraph, b.tensor) for b in buffers if b.tensor >= 0]
    return ArenaPlan(
        planner="tflm", head_bytes=head, tail_bytes=tail,
        offsets={b.tensor: offset for b, offset in zip(buffers, offsets)
                 if b.subgraph == 0 and b.tensor >= 0},
        timeline=timeline, peak_op=peak, live_at_peak=live,
        lower_bound=dynamic_shape_note(view, _reachable(view, planned)),
        temp_bytes=temp, word_size=word_size, other_builds=tuple(others),
        notes=tuple(notes))


def _kernels(view, word_size: int, other=None):
    """Each op's allocations; given `other` (another word size's), only the ops whose
    allocations depend on the word size are worked out again."""
    if other is None:
        return [[kernel_allocations(view, op, word_size) for op in subgraph.operators]
                for subgraph in view.subgraphs]
    return [[kernel_allocations(view, op, word_size) if _kernel_name(op) in WORD_DEPENDENT
             else other[subgraph.index][op.index] for op in subgraph.operators]
            for subgraph in view.subgraphs]


def _kernel_name(op) -> str:
    name = op.opcode.name
    return f"CUSTOM:{op.opcode.custom_code}" if name == "CUSTOM" else name


def _scratch_requests(view, kernels) -> tuple[ScratchRequest, ...]:
    return tuple(ScratchRequest(op.subgraph, op.index, size)
                 for subgraph in view.subgraphs for op in subgraph.operators
                 for size in kernels[op.subgraph][op.index].scratch)


def _greedy(buffers) -> tuple[list[int], int, int]:
    return greedy_plan([b.size for b in buffers], [b.first for b in buffers],
                       [b.last for b in buffers], [b.offline for b in buffers])


def _tail_and_temp(view, kernels, scratch, offline, planned: int, head: int,
                   structs: TflmStructs) -> tuple[int, int]:
    """(the tail, what AllocateTensors needs beyond head + tail)."""
    preparing, tail_before_io, tail = _tail(view, kernels, len(scratch), offline, structs)
    needed = max(preparing, _planning_peak(view, tail_before_io, len(scratch), planned,
                                           structs))
    return tail, max(0, needed - (head + tail))


def _offline_offsets(view, notes: list[str]) -> list[int] | None:
    """Offsets per tensor of all subgraphs concatenated, or None when there is no usable
    OfflineMemoryAllocation entry."""
    try:
        plan = view.offline_plan
    except OfflinePlanError as error:
        notes.append(f"OfflineMemoryAllocation ignored: {error}")
        return None
    if plan is None:
        return None
    count = sum(len(s.tensors) for s in view.subgraphs)
    if len(plan.offsets) != count:
        notes.append(f"OfflineMemoryAllocation ignored: it has {len(plan.offsets)} offsets "
                     f"for {count} tensors, and TFLM refuses such a model")
        return None
    return list(plan.offsets)


class PlannedBuffer(NamedTuple):
    subgraph: int
    tensor: int  # -1 for a kernel's scratch buffer
    size: int  # rounded up to ALIGNMENT
    first: int  # allocation scopes, inclusive
    last: int
    offline: int  # the offline-planned offset, -1 to plan online


def _buffers(view, lifetimes: TflmLifetimes, scratch, offline) -> list[PlannedBuffer]:
    """The planner's buffers in CreatePlan's order: tensors subgraph by subgraph, then
    scratch buffers."""
    buffers: list[PlannedBuffer] = []
    position = 0
    for subgraph in view.subgraphs:
        first, last = lifetimes.first[subgraph.index], lifetimes.last[subgraph.index]
        for tensor in subgraph.tensors:
            fixed = offline[position] if offline is not None else -1
            position += 1
            size = tflm_bytes(view, subgraph.index, tensor)
            if tflm_reads_data(view, tensor) or size == 0:
                continue
            if tensor.is_variable and fixed < 0:
                continue  # a persistent buffer in the tail (AllocateVariables)
            buffers.append(PlannedBuffer(subgraph.index, tensor.index, align_up(size, ALIGNMENT),
                                         first[tensor.index], last[tensor.index], fixed))
    for position, request in enumerate(scratch):
        first, last = lifetimes.scratch[position]
        buffers.append(PlannedBuffer(request.subgraph, -1, align_up(request.bytes, ALIGNMENT),
                                     first, last, -1))
    return buffers


def tflm_reads_data(view, tensor) -> bool:
    """Whether TFLM finds the tensor's constant data: it reads Buffer.data only
    (GetFlatbufferTensorBuffer), not data stored after the flatbuffer (Buffer.offset) or
    in an external file, so such a tensor is planned as an activation, uninitialised."""
    buffer = view.buffer_of(tensor)
    return buffer.size > 0 and not buffer.appended and not tensor.external_buffer


def unread_constants_note(view) -> str | None:
    unread = [t for s in view.subgraphs for t in s.tensors
              if t.is_constant and not tflm_reads_data(view, t)]
    if not unread:
        return None
    shown = ", ".join(f"'{t.name}'" for t in unread[:3])
    more = f" and {len(unread) - 3} more" if len(unread) > 3 else ""
    return (f"constant data stored outside the flatbuffer's buffers ({shown}{more}): TFLM "
            f"does not read it, so it plans these tensors as activations and runs them "
            f"uninitialised")


def variable_offline_mismatch(view, offline: list[int] | None) -> str | None:
    """The note for variables outside subgraph 0 whose two offline-offset lookups
    disagree: TFLM then plans a buffer it also allocates in the tail, or neither (and
    fails to load the model)."""
    if offline is None:
        return None
    mismatched, position = [], 0
    for subgraph in view.subgraphs:
        for tensor in subgraph.tensors:
            if tensor.is_variable and (offline[tensor.index] < 0) != (offline[position] < 0):
                mismatched.append(f"'{tensor.name}' (subgraph {subgraph.index})")
            position += 1
    if not mismatched:
        return None
    return ("TFLM looks up a variable's offline offset by its index within its subgraph "
            "when it allocates it and by its position in the model when it plans it; for "
            + ", ".join(mismatched[:3]) + (f" and {len(mismatched) - 3} more"
                                           if len(mismatched) > 3 else "")
            + " the two disagree, so the real arena differs (or TFLM fails to load)")


def tflm_bytes(view, subgraph: int, tensor) -> int:
    """The tensor's bytes as the planner sees them: a RESHAPE output whose stored shape
    keeps a -1 has it resolved from the input in Prepare, before planning
    (reshape_common.cc); any other -1 makes the tensor dynamic, which TFLM refuses."""
    if tensor.shape.count(-1) == 1:
        producer = view.producer(subgraph, tensor.index)
        if producer is not None and producer.opcode.name == "RESHAPE" and producer.inputs \
                and producer.inputs[0] >= 0:
            source = view.tensor(subgraph, producer.inputs[0])
            known = 1
            for dim in tensor.shape:
                known *= dim if dim != -1 else 1
            size = tensor_bytes(source)
            if known > 0 and source.element_count % known == 0:
                return size
    return tensor_bytes(tensor)


def greedy_plan(sizes: list[int], firsts: list[int], lasts: list[int],
                offline: list[int]) -> tuple[list[int], int, int]:
    """GreedyMemoryPlanner: (offset per buffer, head bytes, how many buffers were put end
    to end because PlacedBuffers' work budget ran out)."""
    count = len(sizes)
    if count == 0:
        return [], 0, 0
    fixed = [i for i in range(count) if offline[i] >= 0]
    online = sorted(reversed([i for i in range(count) if offline[i] < 0]),
                    key=lambda i: -sizes[i])  # stable, as ReverseSortInPlace
    placed = PlacedBuffers(firsts + lasts)
    offsets = [0] * count
    end_to_end = 0
    for sequence, buffer in enumerate(fixed + online):
        size, first, last = sizes[buffer], firsts[buffer], lasts[buffer]
        if offline[buffer] >= 0:
            offset = offline[buffer]
        elif placed.exhausted:
            offset = align_up(placed.end, ALIGNMENT)
            end_to_end += 1
        else:
            offset = 0
            for other_offset, _, other_size in placed.overlapping(first, last):
                if other_offset - offset >= size:
                    break  # the gap before this buffer is big enough
                offset = max(offset, other_offset + other_size)
        offsets[buffer] = offset
        placed.add((offset, sequence, size), first, last)
    return offsets, max(offset + size for offset, size in zip(offsets, sizes)), end_to_end


def _tail(view, kernels, scratch_count: int, offline,
          structs: TflmStructs) -> tuple[int, int, int]:
    """(the most the arena needs while kernels prepare, the tail when the memory plan is
    made, the final tail)."""
    word = structs.struct_alignment
    tail = _Tail()
    for size in structs.allocator_objects:  # MicroAllocator::Create
        tail.take(size, word)
    variables = resource_variables(view)
    if variables.slots:  # MicroResourceVariables::Create, before the interpreter exists
        tail.take(structs.resource_variables, ALIGNMENT)
        tail.take(structs.resource_variable * variables.slots, ALIGNMENT)
    tail.take(structs.subgraph_allocations * len(view.subgraphs), word)
    for subgraph in view.subgraphs:
        tail.take(structs.eval_tensor * len(subgraph.tensors), word)
    for subgraph in view.subgraphs:
        tail.take(structs.node_and_registration * len(subgraph.operators), word)
    for allocations in (a for ops in kernels for a in ops):
        if allocations.options[0]:
            tail.take(*allocations.options)
    for allocations in (a for ops in kernels for a in ops):
        if allocations.persistent:
            tail.take(allocations.persistent[0], ALIGNMENT)  # OpData, in Init
    preparing, requests = 0, 0
    for subgraph in view.subgraphs:
        temporary = [structs.tflite_tensor + align_up(_quantization_bytes(t, structs)[0],
                                                      word)
                     for t in subgraph.tensors]
        for op in subgraph.operators:
            allocations = kernels[subgraph.index][op.index]
            for size in allocations.persistent[1:]:
                tail.take(size, ALIGNMENT)
            if (subgraph.index, op.index) in variables.buffers:  # ASSIGN_VARIABLE's Prepare
                tail.take(variables.buffers[subgraph.index, op.index], ALIGNMENT)
            # the scratch requests so far sit at the head, the kernel's temporary
            # TfLiteTensors above them until the op is prepared
            head = structs.scratch_request * (requests + MAX_SCRATCH_REQUESTS_PER_OP)
            preparing = max(preparing,
                            tail.used + head + _prepare_temp(subgraph, op, temporary))
            requests += len(allocations.scratch)
    if scratch_count:
        tail.take(structs.scratch_handle * scratch_count, word)
    for subgraph in view.subgraphs:
        for tensor in subgraph.tensors:
            # AllocateVariables looks the offline offset up by the tensor's index within
            # its own subgraph (micro_allocator.cc), where the planner uses its position
            # in the whole model: the same for subgraph 0 (variable_offline_mismatch)
            fixed = offline[tensor.index] if offline is not None else -1
            if tensor.is_variable and fixed < 0:
                tail.take(tensor_bytes(tensor), ALIGNMENT)
    before_io = tail.used
    if view.subgraphs:
        main = view.main
        for indices in (main.inputs, main.outputs):
            tail.take(structs.pointer * len(indices), ALIGNMENT)
            for index in indices:
                tail.take(structs.tflite_tensor, word)
                tail.take(*_quantization_bytes(main.tensors[index], structs))
    return preparing, before_io, tail.used


class ResourceVariables(NamedTuple):
    slots: int  # MicroResourceVariable entries the table is created with
    buffers: dict[tuple[int, int], int]  # (subgraph, op) of the first ASSIGN_VARIABLE of a
    #                                      variable -> the bytes of the buffer it allocates
    unresolved: int  # ASSIGN_VARIABLEs whose resource id comes from no VAR_HANDLE before


def resource_variables(view) -> ResourceVariables:
    """What TFLM allocates for resource variables (micro_resource_variable.cc):

    - MicroResourceVariables::Create(allocator, max_num_variables): the table object and
      max_num_variables MicroResourceVariable entries, two persistent buffers. The
      application chooses max_num_variables; the tflite-micro Python interpreter
      (python/tflite_micro/runtime.py count_resource_variables, interpreter_wrapper.cc)
      passes the number of distinct VAR_HANDLE shared names in the model, the fewest that
      work, and creates no table when there are none. tfllint does the same.
    - VAR_HANDLE's Prepare gives each distinct (container, shared_name) an id
      (CreateIdIfNoneFound) and points its output's data at it; the first ASSIGN_VARIABLE
      prepared for an id (subgraphs in order, ops in order: PrepareSubgraphs) allocates
      the variable's buffer, its value tensor's bytes (MicroResourceVariables::Allocate,
      context->AllocatePersistentBuffer); later ones reuse it. READ_VARIABLE allocates
      nothing.
    """
    names = set()
    ids: dict[tuple[str, str], int] = {}
    buffers: dict[tuple[int, int], int] = {}
    allocated: set[int] = set()
    unresolved = 0
    for subgraph in view.subgraphs:
        handles: dict[int, int] = {}  # resource tensor -> variable id, set by VAR_HANDLE
        for op in subgraph.operators:
            name = op.opcode.name
            if name == "VAR_HANDLE":
                shared = str(op.options.get("shared_name") or "")
                container = str(op.options.get("container") or "")
                names.add(shared)
                key = (container, shared)
                identity = ids.setdefault(key, len(ids))
                for index in op.outputs[:1]:
                    if index >= 0:
                        handles[index] = identity
            elif name == "ASSIGN_VARIABLE" and len(op.inputs) >= 2:
                identity = handles.get(op.inputs[0])
                if identity is None:
                    unresolved += 1  # its data pointer is not set by this subgraph
                    continue
                if identity in allocated or op.inputs[1] < 0:
                    continue
                allocated.add(identity)
                buffers[subgraph.index, op.index] = tflm_bytes(
                    view, subgraph.index, subgraph.tensors[op.inputs[1]])
    return ResourceVariables(len(names), buffers, unresolved)


def _quantization_bytes(tensor, structs: TflmStructs) -> tuple[int, int]:
    """TfLiteAffineQuantization and its zero-point TfLiteIntArray, for a tensor with scale
    and zero point (micro_allocator.cc InitializeTfLiteTensorFromFlatbuffer)."""
    quantization = tensor.quantization
    if quantization and quantization.scale and quantization.zero_point:
        return (align_up(structs.affine_quantization, 4) + 4 + 4 * len(quantization.scale),
                4)
    return 0, 1


# Kernels that fetch their data, filter and output tensors twice in Prepare (once in
# Prepare, once in CalculateOpData*), and their bias once.
FETCH_TWICE = frozenset({"CONV_2D", "DEPTHWISE_CONV_2D", "TRANSPOSE_CONV"})


def _prepare_temp(subgraph, op, temporary: list[int]) -> int:
    """Temporary TfLiteTensors (with quantization; `temporary` per tensor) a kernel
    allocates in Prepare; they are released only when the op is prepared. Estimate: each
    input and output once, twice for FETCH_TWICE kernels (but a bias)."""
    twice = op.opcode.name in FETCH_TWICE
    total = 0
    for index in (*op.inputs, *op.outputs):
        if index >= 0:
            again = twice and len(subgraph.tensors[index].shape) > 1
            total += temporary[index] * (2 if again else 1)
    return total


def _planning_peak(view, tail_before_io: int, scratch_count: int, planned: int,
                   structs: TflmStructs) -> int:
    """The arena CommitStaticMemoryPlan needs: the tail so far, the scratch requests,
    the AllocationInfo records and the planner's working memory."""
    word = structs.struct_alignment
    requests = structs.scratch_request * (scratch_count + MAX_SCRATCH_REQUESTS_PER_OP)
    tensors = sum(len(s.tensors) for s in view.subgraphs)
    temp = align_up(requests, word) + align_up(structs.subgraph_offset * len(view.subgraphs),
                                               word)
    temp += structs.allocation_info * (tensors + scratch_count)
    return align_up(tail_before_io, ALIGNMENT) + align_up(temp, ALIGNMENT) + \
        PLANNER_BYTES_PER_BUFFER * planned


def _timeline(view, lifetimes: TflmLifetimes, buffers):
    """Per op of subgraph 0, the most bytes of planned buffers alive at once while it runs
    (its called subgraphs included), the peak op and what is alive at the peak."""
    if not view.subgraphs or not view.main.operators:
        return (), None, ()
    start, end = -1, max(lifetimes.last_scope, 0)
    live = live_bytes(((b.first, b.last, b.size) for b in buffers), start, end)
    timeline, peak_scopes = [], []
    for first, last in lifetimes.op_scopes[0]:
        scopes = range(first, last + 1)
        best = max(scopes, key=lambda scope: live[scope - start])
        timeline.append(live[best - start])
        peak_scopes.append(best)
    peak = peak_of(timeline)
    alive: tuple[LiveTensor, ...] = ()
    if peak is not None:
        scope = peak_scopes[peak]
        alive = tuple(sorted((_live_tensor(view, b) for b in buffers
                              if b.first <= scope <= b.last),
                             key=lambda t: (-t.bytes, t.subgraph, t.index)))
    return tuple(timeline), peak, alive


def _live_tensor(view, buffer: PlannedBuffer) -> LiveTensor:
    if buffer.tensor >= 0:
        name = view.tensor(buffer.subgraph, buffer.tensor).name
        return LiveTensor(buffer.subgraph, buffer.tensor, name, buffer.size)
    return LiveTensor(buffer.subgraph, -1, "(kernel scratch buffer)", buffer.size)


def _reachable(view, tensors):
    reachable = view.reachable_subgraphs
    return [(s, t) for s, t in tensors if s in reachable]


__all__ = ["plan_tflm", "greedy_plan", "tflm_bytes", "tflm_structs", "resource_variables",
           "WORD_SIZES", "DEFAULT_WORD_SIZE"]
