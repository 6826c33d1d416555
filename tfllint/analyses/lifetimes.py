"""Tensor lifetimes in execution order, as TFLite Micro and LiteRT compute them.

TFLite Micro numbers "allocation scopes" with one counter across the whole model
(micro_allocation_info.cc, AllocationInfoBuilder::MarkAllocationLifetimes): a subgraph's
inputs are created and used at the scope it starts in; each operator opens the next
scope, its outputs are created there; a WHILE, IF or CALL_ONCE operator then marks the
subgraphs it calls (cond then body, then then else, init) each in a new scope, before its
inputs and outputs are marked used at the scope reached after them; a subgraph's outputs
are used at its last scope. Marking starts at subgraph 0, so a subgraph no operator
calls keeps the lifetime (-1, -1); so does a tensor no operator touches.

LiteRT plans each subgraph on its own (arena_planner.cc, ArenaPlanner::PlanAllocations):
a tensor is allocated at the node that first outputs it (node 0 for inputs and
variables) and freed at the node whose read drops its reference count to zero; inputs,
outputs and variables hold an extra reference, so they are never freed. Some kernels may
write their output over an input (IdentifyInPlaceTensors); the output then shares the
input's buffer and its readers keep that buffer alive.
"""
from __future__ import annotations

from ..model import Tensor
from ..records import record

# Control-flow ops whose called subgraphs TFLM marks inside the op's scope, in the order of
# Operator.called_subgraphs (WhileOptions: cond, body; IfOptions: then, else;
# CallOnceOptions: init): MarkSubgraphLifetimesIfNecessary.
TFLM_CONTROL_FLOW = frozenset({"WHILE", "IF", "CALL_ONCE"})

NEVER = 2 ** 31 - 1  # LiteRT's kNodeNotAssigned: not freed before the subgraph ends


def tensor_bytes(tensor: Tensor) -> int:
    """Bytes of the tensor at its stored shape; 0 for types of no fixed size."""
    size = tensor.byte_size
    return size if size is not None else 0


def is_activation(tensor: Tensor) -> bool:
    """Memory the runtime allocates for it: no constant data, not a variable."""
    return not tensor.is_constant and not tensor.is_variable


# -- TFLite Micro ---------------------------------------------------------------------------

@record
class ScratchRequest:
    """A kernel's RequestScratchBufferInArena from Prepare: planned like a tensor, alive
    while its op runs."""
    subgraph: int
    op_index: int
    bytes: int


@record
class TflmLifetimes:
    first: tuple[tuple[int, ...], ...]  # [subgraph][tensor] first scope, -1 if never marked
    last: tuple[tuple[int, ...], ...]
    # [subgraph][op] (scope the op opens, scope after its called subgraphs); (-1, -1) for
    # ops of subgraphs never reached from subgraph 0
    op_scopes: tuple[tuple[tuple[int, int], ...], ...]
    scratch: tuple[tuple[int, int], ...]  # per ScratchRequest, in request order
    last_scope: int
    recursive_calls: tuple[int, ...]  # subgraphs that call themselves (not followed)
    approximate: bool = False  # TFLM_MARKING_BUDGET ran out: repeated calls not re-marked


# A subgraph called from several places is marked again at each call, as TFLM does, so a
# hostile model (each subgraph calling the next twice) could ask for 2**depth markings.
# Past this many op visits a subgraph already marked is not marked again, and the
# lifetimes say they are approximate.
TFLM_MARKING_BUDGET = 250_000


def tflm_lifetimes(view, scratch: tuple[ScratchRequest, ...] = ()) -> TflmLifetimes:
    subgraphs = view.subgraphs
    first = [[-1] * len(s.tensors) for s in subgraphs]
    last = [[-1] * len(s.tensors) for s in subgraphs]
    op_scopes = [[(-1, -1)] * len(s.operators) for s in subgraphs]
    scratch_by_op: dict[tuple[int, int], list[int]] = {}
    for position, request in enumerate(scratch):
        scratch_by_op.setdefault((request.subgraph, request.op_index), []).append(position)
    scratch_lives = [(-1, -1)] * len(scratch)
    scope = 0
    calling: list[int] = []  # the subgraphs being marked, outermost first
    marked: set[int] = set()
    recursive: set[int] = set()
    visits = 0

    def created(s: int, tensor: int) -> None:
        if 0 <= tensor < len(first[s]) and first[s][tensor] == -1:
            first[s][tensor] = scope

    def used(s: int, tensor: int) -> None:
        if 0 <= tensor < len(last[s]):
            last[s][tensor] = scope

    def mark(s: int):
        """Marks subgraph s; yields each subgraph it calls, to be marked before it goes on
        (a generator, so that nesting depth is not Python's recursion limit)."""
        nonlocal scope, visits
        subgraph = subgraphs[s]
        for tensor in subgraph.inputs:
            created(s, tensor)
            used(s, tensor)
        for op in subgraph.operators:
            scope += 1
            visits += 1
            for tensor in op.outputs:
                created(s, tensor)
            start = scope
            if op.opcode.name in TFLM_CONTROL_FLOW:
                for called in op.called_subgraphs:
                    if called in calling:  # TFLM would recurse without end
                        recursive.add(called)
                        continue
                    scope += 1
                    if visits <= TFLM_MARKING_BUDGET or called not in marked:
                        yield called
            for tensor in op.inputs:
                used(s, tensor)
            for tensor in op.outputs:
                used(s, tensor)
            for position in scratch_by_op.get((s, op.index), ()):
                begun = scratch_lives[position][0]
                scratch_lives[position] = (start if begun == -1 else begun, scope)
            if op_scopes[s][op.index] == (-1, -1):
                op_scopes[s][op.index] = (start, scope)
        for tensor in subgraph.outputs:
            created(s, tensor)
            used(s, tensor)

    if subgraphs:
        pending = [mark(0)]
        calling.append(0)
        marked.add(0)
        while pending:
            called = next(pending[-1], None)
            if called is None:
                pending.pop()
                calling.pop()
            else:
                pending.append(mark(called))
                calling.append(called)
                marked.add(called)
    return TflmLifetimes(first=tuple(map(tuple, first)), last=tuple(map(tuple, last)),
                         op_scopes=tuple(map(tuple, op_scopes)),
                         scratch=tuple(scratch_lives), last_scope=scope,
                         recursive_calls=tuple(sorted(recursive)),
                         approximate=visits > TFLM_MARKING_BUDGET)


# -- LiteRT ---------------------------------------------------------------------------------

# Kernels registered with inplace_operator flags (tflite/kernels/*.cc, the registrations
# the builtin op resolver uses): op -> (input positions that may share the first output's
# buffer, whether the data passes unmodified (kTfLiteInplaceOpDataUnmodified)).
LITERT_IN_PLACE = {
    "RESHAPE": ((0,), True), "SQUEEZE": ((0,), True), "EXPAND_DIMS": ((0,), True),
    "BITCAST": ((0,), True),
    "ADD": ((0, 1), False), "SUB": ((0, 1), False), "MUL": ((0, 1), False),
    "DIV": ((0, 1), False), "SOFTMAX": ((0,), False), "DYNAMIC_UPDATE_SLICE": ((0,), False),
}
LITERT_MAX_SHARABLE_INPUTS = 3  # kTfLiteMaxSharableOpInputs
LITERT_SCALAR_BYTES = 4  # kScalarTensorBytes: a modified input this small is not shared


@record
class LiteRtLifetimes:
    alloc_node: dict[int, int]  # tensor -> node that allocates it
    dealloc_node: dict[int, int]  # tensor -> node after which it is free (NEVER: not freed)
    shares: dict[int, int]  # output tensor -> the input tensor whose buffer it uses


def litert_lifetimes(view, subgraph_index: int) -> LiteRtLifetimes:
    subgraph = view.subgraphs[subgraph_index]
    tensors = subgraph.tensors
    alloc: dict[int, int] = {}
    dealloc: dict[int, int] = {}
    # references that keep a tensor alive to the end: outputs, variables, inputs
    pinned = [0] * len(tensors)
    for tensor in subgraph.outputs:
        if tensor >= 0:
            pinned[tensor] += 1
    for tensor in tensors:
        if tensor.is_variable:
            pinned[tensor.index] += 1
            alloc.setdefault(tensor.index, 0)
    for tensor in subgraph.inputs:
        if tensor >= 0:
            pinned[tensor] += 1
            alloc.setdefault(tensor, 0)
    references = list(pinned)
    for op in subgraph.operators:
        for tensor in op.inputs:
            if tensor >= 0:
                references[tensor] += 1
    shares = _in_place(subgraph, references)
    remaining = list(pinned)
    for op in subgraph.operators:
        for tensor in op.inputs:
            if tensor >= 0:
                remaining[shares.get(tensor, tensor)] += 1
    for op in subgraph.operators:
        for tensor in op.outputs:
            if tensor >= 0:
                alloc.setdefault(tensor, op.index)
        for tensor in op.inputs:
            if tensor < 0:
                continue
            root = shares.get(tensor, tensor)
            remaining[root] -= 1
            if remaining[root] == 0 and root in alloc and root not in dealloc:
                dealloc[root] = op.index
    return LiteRtLifetimes(alloc_node=alloc, dealloc_node=dealloc, shares=shares)


def _in_place(subgraph, references: list[int]) -> dict[int, int]:
    """ArenaPlanner::IdentifyInPlaceTensors: output -> root input it writes over."""
    tensors = subgraph.tensors
    inputs, outputs = set(subgraph.inputs), set(subgraph.outputs)
    shares: dict[int, int] = {}
    for op in subgraph.operators:
        rule = LITERT_IN_PLACE.get(op.opcode.name)
        if rule is None or not op.outputs or op.outputs[0] < 0:
            continue
        positions, unmodified = rule
        output = op.outputs[0]
        chosen = None
        for position in range(min(LITERT_MAX_SHARABLE_INPUTS, len(op.inputs))):
            candidate = op.inputs[position]
            if candidate < 0 or position not in positions:
                continue
            if _can_share(tensors[candidate], tensors[output], candidate, output, unmodified,
                          references, inputs, outputs):
                chosen = candidate
                break
        if chosen is None:
            continue
        root = shares.get(chosen, chosen)
        if not unmodified and references[root] > 1:
            continue
        shares[output] = root
    return shares


def _can_share(source: Tensor, target: Tensor, source_index: int, target_index: int,
               unmodified: bool, references: list[int], inputs: set[int],
               outputs: set[int]) -> bool:
    if not unmodified:
        size = tensor_bytes(source)
        if size != tensor_bytes(target) or size <= LITERT_SCALAR_BYTES:
            return False
        if references[source_index] > 1:
            return False
    if source_index in inputs or target_index in outputs:
        return False
    # both must live in the read-write arena: no constants, variables or dynamic types
    return litert_arena_tensor(source) and litert_arena_tensor(target)


def litert_arena_tensor(tensor: Tensor) -> bool:
    return is_activation(tensor) and tensor.byte_size is not None
