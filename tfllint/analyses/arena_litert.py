"""The LiteRT (TFLite) CPU arena: ArenaPlanner over SimpleMemoryArena, one per subgraph.

What is modelled (tflite/arena_planner.cc, tflite/simple_memory_arena.cc):
- Each subgraph the model runs (subgraph 0 and what its control-flow ops call) has its
  own arena; the head is their sum. Variables, and what DEQUANTIZE or DENSIFY compute
  once from a constant, go to a separate persistent arena: the tail.
- Lifetimes as lifetimes.litert_lifetimes: inputs, outputs and variables are never freed;
  a tensor is freed at its last reader; an output may reuse an input's buffer in place
  (RESHAPE, SQUEEZE, EXPAND_DIMS, BITCAST; ADD, SUB, MUL, DIV, SOFTMAX and
  DYNAMIC_UPDATE_SLICE when the input has no other reader and the same size).
- Kernel temporaries, which Prepare adds as tensors alive during their op (ArenaPlanner::
  ExecuteAllocations): CONV_2D's im2col buffer (when the filter is larger than 1x1, or
  stride or dilation is not 1; conv.cc IsIm2ColRequired, the generic optimized kernel of
  the stock builds), and hybrid FULLY_CONNECTED's quantized input, scaling factors,
  accumulators, input offsets (arena) and row sums (persistent).
- Allocation order (CreateTensorAllocationVector): tensors alive for the whole run
  (allocated at node 0, never freed) first, by index; then by size, descending, then by
  the node that allocates them. The runtime's std::sort leaves the order of equal keys to
  the C++ library; tfllint keeps them by tensor index, so equal-sized tensors of one node
  may swap offsets with the real plan.
- Placement (SimpleMemoryArena::Allocate): sizes are not rounded, offsets are aligned to
  kDefaultTensorAlignment = 64; among the buffers alive at an overlapping time, sorted by
  offset, the smallest gap that fits wins (best fit), else the end.
- Control flow: a WHILE body's and IF branches' inputs point at the caller's data, not
  into their subgraph's arena; a WHILE condition's unused inputs are dropped.
- Resource variables (VAR_HANDLE, READ_VARIABLE, ASSIGN_VARIABLE): unlike TFLM, nothing
  in the arenas. VAR_HANDLE's RESOURCE output gets no arena data and each variable's
  value is a tensor of its own resource::ResourceVariable, outside the arenas; RESOURCE
  tensors count 0 bytes here, and READ_VARIABLE's output is an ordinary activation.
  Checked by hand against ai-edge-litert's tensor addresses: on the streaming models of
  test_arena.py and two pymicro-wakeword models every planned tensor of subgraph 0 sits
  at tfllint's offset (but two equal-sized tensors of okay_nabu, swapped as std::sort
  may order them) and the arena ends at tfllint's head.

Not modelled: the rest of the control-flow kernels' bookkeeping (WHILE drops outputs
nothing reads and makes outputs dynamic when the body changes shapes), other kernels'
temporaries (UNMODELLED_TEMPORARIES, named in the plan's notes), builds with
TFLITE_WITH_MULTITHREADED_EIGEN (float CONV_2D then keeps transposed weights in the
persistent arena instead of im2col), tensors that turn dynamic at run time, and
delegates, which take over parts of the graph (XNNPACK, GPU, NNAPI keep their own
buffers). The figures are the builtin CPU kernels'.
"""
from __future__ import annotations

from operator import itemgetter

from ..records import record
from .arena import (ArenaPlan, LiveTensor, PlacedBuffers, align_up, dynamic_shape_note,
                    end_to_end_note, live_bytes, peak_of)
from .lifetimes import NEVER, litert_arena_tensor, litert_lifetimes, tensor_bytes

TENSOR_ALIGNMENT = 64  # kDefaultTensorAlignment (tflite/util.h)
# Kernels that add temporaries in Prepare that `temporaries` does not model (the
# tflite/kernels/*.cc that set node->temporaries, LiteRT@f6745779), by display name.
UNMODELLED_TEMPORARIES = frozenset({
    "TRANSPOSE_CONV", "BATCH_MATMUL", "UNIDIRECTIONAL_SEQUENCE_LSTM", "LSTM",
    "BIDIRECTIONAL_SEQUENCE_LSTM", "UNIDIRECTIONAL_SEQUENCE_RNN", "SVDF", "MEAN", "SUM",
    "REDUCE_PROD", "REDUCE_MAX", "REDUCE_MIN", "REDUCE_ANY", "REDUCE_ALL", "CONV_3D",
    "CONV_3D_TRANSPOSE", "ADD_N", "RNN", "BIDIRECTIONAL_SEQUENCE_RNN", "RFFT2D",
    "STABLEHLO_REDUCE_WINDOW", "TFLite_Detection_PostProcess"})
# ... and those that add them only as hybrid ops (float input, integer weights)
UNMODELLED_HYBRID_TEMPORARIES = frozenset({"CONV_2D", "DEPTHWISE_CONV_2D"})


def plan_litert(view) -> ArenaPlan:
    if not view.subgraphs:
        return ArenaPlan("litert", 0, 0)
    heads = [0] * len(view.subgraphs)  # each subgraph has an arena of its own
    tail, end_to_end = 0, 0
    main = None
    planned: list[tuple[int, int]] = []
    outside = not_in_arena(view)
    for index in sorted(view.reachable_subgraphs):
        arena = _plan_subgraph(view, index, outside.get(index, set()))
        heads[index] = arena.head
        tail += arena.persistent
        end_to_end += arena.end_to_end
        planned += [(index, tensor) for tensor in arena.offsets]
        if index == 0:
            main = arena
    timeline, peak, live = _timeline(view, main)
    unmodelled = sorted({_unmodelled(view, op) for s in view.reachable_subgraphs
                         for op in view.subgraphs[s].operators} - {None})
    notes = []
    if unmodelled:
        notes.append(f"the temporaries these kernels add are not counted: "
                     f"{', '.join(unmodelled)}")
    if end_to_end:
        notes.append(end_to_end_note(end_to_end))
    return ArenaPlan(planner="litert", head_bytes=sum(heads), tail_bytes=tail,
                     offsets=main.offsets, timeline=timeline, peak_op=peak, live_at_peak=live,
                     lower_bound=dynamic_shape_note(view, planned),
                     subgraph_head_bytes=tuple(heads), notes=tuple(notes))


def _unmodelled(view, op) -> str | None:
    """The op's name when its kernel adds temporaries tfllint does not count."""
    name = op.opcode.display_name
    if name in UNMODELLED_TEMPORARIES:
        return name
    if name in UNMODELLED_HYBRID_TEMPORARIES:
        tensors = view.subgraphs[op.subgraph].tensors
        data = _at(tensors, op.inputs, 0)
        # the weights only for a float input: most such ops of a model are not hybrid
        if data is not None and data.dtype == "FLOAT32" and \
                _is_hybrid(data, _at(tensors, op.inputs, 1)):
            return f"hybrid {name}"
    return None


def _is_hybrid(data, weights) -> bool:
    return data is not None and weights is not None and data.dtype == "FLOAT32" \
        and weights.dtype in ("INT8", "UINT8", "INT4")


def _operands(view, op):
    """(first input, second input, first output), None where absent."""
    tensors = view.subgraphs[op.subgraph].tensors
    inputs = op.inputs
    return _at(tensors, inputs, 0), _at(tensors, inputs, 1), _at(tensors, op.outputs, 0)


def _at(tensors, indices, position):
    """The tensor at `position` of an op's inputs or outputs; None where absent."""
    return tensors[indices[position]] if position < len(indices) and \
        indices[position] >= 0 else None


@record
class _Arena:
    head: int  # the arena's high-water mark
    persistent: int  # the persistent arena's
    offsets: dict[int, int]  # tensor -> offset, tensors sharing a buffer in place included
    spans: list[tuple[int, int, int, int]]  # (first node, last node, tensor or -1, bytes)
    end_to_end: int  # buffers put end to end when PlacedBuffers' work budget ran out


def not_in_arena(view) -> dict[int, set[int]]:
    """Inputs of called subgraphs that the control-flow kernel keeps out of their arena:
    a WHILE body's and IF branches' inputs get kTfLiteCustom allocations (the kernel
    points them at the caller's data; while.cc, if.cc), a WHILE condition's unused inputs
    are removed (RemoveUnusedInputs)."""
    outside: dict[int, set[int]] = {}
    for subgraph in view.subgraphs:
        for op in subgraph.operators:
            called = op.called_subgraphs
            if op.opcode.name == "WHILE" and len(called) == 2:
                cond, body = (view.subgraphs[i] for i in called)
                read = {t for cond_op in cond.operators for t in cond_op.inputs}
                outside.setdefault(cond.index, set()).update(
                    t for t in cond.inputs if t not in read and t not in cond.outputs)
                outside.setdefault(body.index, set()).update(body.inputs)
            elif op.opcode.name == "IF":
                for branch in called:
                    outside.setdefault(branch, set()).update(view.subgraphs[branch].inputs)
    return outside


def _plan_subgraph(view, index: int, outside: set[int]) -> _Arena:
    subgraph = view.subgraphs[index]
    lifetimes = litert_lifetimes(view, index)
    end = max(len(subgraph.operators), 1)
    sizes = [tensor_bytes(t) for t in subgraph.tensors]  # by index; temporaries appended
    count = len(subgraph.tensors)
    persistent_tensors = {t.index for t in subgraph.tensors if t.is_variable}
    persistent_tensors |= cached_outputs(view, index)
    alloc, dealloc = dict(lifetimes.alloc_node), dict(lifetimes.dealloc_node)
    for op in subgraph.operators:  # kernel temporaries: new tensors alive during the op
        for size, persistent_buffer in temporaries(view, op):
            tensor = len(sizes)
            sizes.append(size)
            alloc[tensor] = op.index
            if persistent_buffer:
                persistent_tensors.add(tensor)
            else:
                dealloc[tensor] = op.index
    candidates = []  # GetTensorsToAllocate: node by node, tensors by index within a node
    for tensor, node in sorted(alloc.items(), key=itemgetter(1, 0)):
        if tensor in outside:
            continue
        if tensor >= count:
            if sizes[tensor] > 0:
                candidates.append(tensor)
            continue
        value = subgraph.tensors[tensor]
        if value.is_variable and not value.is_constant and value.byte_size is not None:
            candidates.append(tensor)
        elif litert_arena_tensor(value) and sizes[tensor] > 0:
            candidates.append(tensor)

    # CreateTensorAllocationVector: those alive for the whole run first, by index; then
    # by size, descending, then by allocating node (a stable sort: ties by candidate order)
    whole_run = sorted(t for t in candidates if alloc[t] == 0 and t not in dealloc)
    rest = [t for t in candidates if alloc[t] != 0 or t in dealloc]
    rest.sort(key=lambda t: (-sizes[t], alloc[t]))
    order = whole_run + rest
    placed = PlacedBuffers(range(end + 1))  # node indices
    offsets: dict[int, int] = {}
    spans = []
    high_water, persistent, end_to_end = 0, 0, 0
    for sequence, tensor in enumerate(order):
        size = sizes[tensor]
        root = lifetimes.shares.get(tensor)
        # writes over its input's buffer; not where the input went to the persistent
        # arena: CalculateAllocations then drops the sharing, and the output, whose
        # readers were counted on the input, gets a buffer of its own to the end
        if root is not None and sizes[root] == size and root not in persistent_tensors:
            continue
        if tensor in persistent_tensors:
            persistent = align_up(persistent, TENSOR_ALIGNMENT) + size
            continue
        first, final = alloc[tensor], dealloc.get(tensor, NEVER)
        if final == NEVER:  # not freed before the subgraph ends
            final = end
        if placed.exhausted:
            offset = align_up(placed.end, TENSOR_ALIGNMENT)
            end_to_end += 1
        else:
            offset = best_fit(placed, size, first, final, TENSOR_ALIGNMENT)
        if tensor < count:
            offsets[tensor] = offset
        spans.append((first, final, tensor if tensor < count else -1, size))
        placed.add((offset, sequence, size), first, final)
        high_water = max(high_water, offset + size)
    for tensor, root in lifetimes.shares.items():
        if root in offsets and tensor not in offsets and root not in persistent_tensors:
            offsets[tensor] = offsets[root]
    return _Arena(high_water, persistent, dict(sorted(offsets.items())), spans, end_to_end)


# Kernels that compute a constant input once in Prepare and keep the result in the
# persistent arena (dequantize.cc, densify.cc: output->allocation_type =
# kTfLiteArenaRwPersistent when the input is constant).
CACHING_KERNELS = frozenset({"DEQUANTIZE", "DENSIFY"})


def cached_outputs(view, index: int) -> set[int]:
    subgraph = view.subgraphs[index]
    cached = set()
    for op in subgraph.operators:
        if op.opcode.name in CACHING_KERNELS and op.inputs and op.inputs[0] >= 0 \
                and subgraph.tensors[op.inputs[0]].is_constant:
            cached.update(t for t in op.outputs if t >= 0)
    return cached


def temporaries(view, op) -> list[tuple[int, bool]]:
    """(bytes, persistent) of each temporary tensor the builtin kernel adds in Prepare."""
    if op.opcode.name not in ("CONV_2D", "FULLY_CONNECTED"):  # the only ones modelled
        return []
    data, weights, output = _operands(view, op)
    if data is None or weights is None or output is None:
        return []
    hybrid = _is_hybrid(data, weights)
    if op.opcode.name == "CONV_2D" and not hybrid and len(weights.shape) == 4 \
            and len(output.shape) == 4:
        options = op.options
        needed = (options.get("stride_w", 1) != 1 or options.get("stride_h", 1) != 1 or
                  options.get("dilation_w_factor", 1) != 1 or
                  options.get("dilation_h_factor", 1) != 1 or
                  weights.shape[1] != 1 or weights.shape[2] != 1)
        if needed:
            # a corrupt negative dimension counts as none, as Tensor.element_count does
            batches, height, width = (max(dim, 0) for dim in output.shape[:3])
            depth = max(weights.shape[1], 0) * max(weights.shape[2], 0) * \
                max(weights.shape[3], 0)
            item = (data.byte_size or 0) // max(data.element_count, 1)
            return [(batches * height * width * depth * item, False)]
    if op.opcode.name == "FULLY_CONNECTED" and hybrid and len(weights.shape) == 2:
        units, depth = (max(dim, 0) for dim in weights.shape)
        batch = data.element_count // depth if depth else 0
        return [(data.element_count, False), (4 * batch, False), (4 * units * batch, False),
                (4 * batch, False), (4 * units, True)]
    return []


def best_fit(placed: PlacedBuffers, size: int, first: int, last: int,
             alignment: int) -> int:
    """SimpleMemoryArena::Allocate: the smallest gap between buffers alive at an
    overlapping time that holds `size` at an aligned offset, else after the last."""
    best_offset, best_gap, current = None, None, 0
    for offset, _, other in placed.overlapping(first, last):
        aligned = -(-current // alignment) * alignment  # align_up, inline: a hot loop
        # the gap is compared from the aligned start but recorded from the unaligned one
        if aligned + size <= offset and (best_gap is None or offset - aligned < best_gap):
            best_offset, best_gap = aligned, offset - current
        if offset + other > current:
            current = offset + other
        if best_gap == 0:
            break
    return best_offset if best_offset is not None else align_up(current, alignment)


def _timeline(view, arena: _Arena):
    """Bytes of subgraph 0's arena alive while each op runs (kernel temporaries included,
    a buffer shared in place counted once), the peak op and what is alive there."""
    operators = view.main.operators
    if not operators:
        return (), None, ()
    timeline = live_bytes(((first, last, size) for first, last, _, size in arena.spans),
                          0, len(operators) - 1)
    peak = peak_of(timeline)
    live: tuple[LiveTensor, ...] = ()
    if peak is not None:
        live = tuple(sorted((_live_tensor(view, tensor, size)
                             for first, last, tensor, size in arena.spans
                             if first <= peak <= last),
                            key=lambda t: (-t.bytes, t.index)))
    return tuple(timeline), peak, live


def _live_tensor(view, tensor: int, size: int) -> LiveTensor:
    if tensor >= 0:
        return LiveTensor(0, tensor, view.main.tensors[tensor].name, size)
    return LiveTensor(0, -1, "(kernel temporary)", size)
