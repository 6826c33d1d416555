"""Op parameters a builtin kernel rejects, or dies on, judged from the file as its Prepare would.

The facts (which ops, fields, input slots; what LiteRT and TFLite Micro do; the kernel
source) are rules/data/op_parameters.toml; this module has one function per `kind` of
check there, each yielding Defect(op, tensor, text) for one op. Shapes are the file's;
a check needs a known rank (the data input not a scalar of unknown rank) and reads only
constant inputs, so nothing here guesses a value the runtime computes.
"""
from __future__ import annotations

import math
from typing import Callable, Iterator, NamedTuple

from tfllint.model import Operator, Tensor

from ._operand_types import kernel_types

DATA = "op_parameters"


class Defect(NamedTuple):
    op: Operator
    tensor: Tensor | None
    text: str  # what is wrong, e.g. "stride_w is 0 (must be at least 1)"


def _constant(view, op: Operator, slot: int):
    """(tensor, flat int values) of a constant integer input, else (tensor, None)."""
    tensor = view.input_tensor(op, slot)
    if tensor is None or not tensor.is_constant or not tensor.dtype.startswith(("INT", "UINT")):
        return tensor, None
    values = view.tensor_data(tensor)
    return tensor, None if values is None else [int(v) for v in values.reshape(-1)]


def _rank(tensor: Tensor | None) -> int | None:
    """The rank the kernel sees, or None when unknown (no tensor, or a shapeless one)."""
    if tensor is None or (not tensor.shape and not tensor.has_rank):
        return None
    return len(tensor.shape)


def option_positive(view, op: Operator, check: dict) -> Iterator[Defect]:
    if not op.options_type:  # no options table: the runtime's defaults, not judged
        return
    bad = [f"{name} is {op.options[name]}" for name in check["fields"]
           if isinstance(op.options.get(name), int) and op.options[name] < 1]
    if bad:
        yield Defect(op, None, f"{', '.join(bad)} (each must be at least 1)")


def option_known(view, op: Operator, check: dict) -> Iterator[Defect]:
    """Enum options whose value the schema does not name (the reader keeps them as
    UNKNOWN(n)): the runtime's option parser has no case for them."""
    if not op.options_type:
        return
    bad = [f"{name} is {op.options[name]}" for name in check["fields"]
           if str(op.options.get(name, "")).startswith("UNKNOWN(")]
    if bad:
        yield Defect(op, None, f"{', '.join(bad)} (not a value the option parser knows)")


def constant_nonzero(view, op: Operator, check: dict) -> Iterator[Defect]:
    tensor, values = _constant(view, op, check["slot"])
    if values is not None and 0 in values:
        yield Defect(op, tensor, f"the constant {check['what']} {values} holds a 0")


def integer_divisor(view, op: Operator, check: dict) -> Iterator[Defect]:
    tensor, values = _constant(view, op, check["slot"])
    if values is None or tensor.dtype not in check["types"]:
        return
    zero_point = 0
    if tensor.dtype != "INT32" and tensor.quantization and tensor.quantization.zero_point:
        zero_point = tensor.quantization.zero_point[0]
    if zero_point in values:
        what = "0" if tensor.dtype == "INT32" else f"its zero point {zero_point} (0)"
        yield Defect(op, tensor, f"the constant {tensor.dtype} divisor holds {what}")


def segment_ids(view, op: Operator, check: dict) -> Iterator[Defect]:
    tensor, values = _constant(view, op, check["slot"])
    if not values:
        return
    if values[0] != 0:
        yield Defect(op, tensor, f"the constant segment ids start at {values[0]}, not 0")
        return
    for previous, current in zip(values, values[1:]):
        if current - previous not in (0, 1):
            yield Defect(op, tensor, f"the constant segment ids go from {previous} to "
                                     f"{current} (each must equal the last or add 1)")
            return


def _normalized_axis(value: int, rank: int, insert: bool) -> int | None:
    """The axis as the kernel resolves it, or None when it is out of range."""
    size = rank + 1 if insert else rank
    resolved = value + size if value < 0 else value
    return resolved if 0 <= resolved < size else None


def axis(view, op: Operator, check: dict) -> Iterator[Defect]:
    data = view.input_tensor(op, check["data_slot"])
    rank = _rank(data)
    if not rank:  # unknown, or rank 0 (the reductions skip the axes of a scalar)
        return
    if "axis_option" in check:
        if not op.options_type:
            return
        tensor, values = None, [op.options.get(check["axis_option"], 0)]
    else:
        tensor, values = _constant(view, op, check["axis_slot"])
    insert = check.get("insert", False)
    for value in values or ():
        if _normalized_axis(value, rank, insert) is None:
            low, high = (-(rank + 1), rank) if insert else (-rank, rank - 1)
            yield Defect(op, tensor, f"axis {value} is outside [{low}, {high}] for the "
                                     f"rank-{rank} input")
            return


def gather_indices(view, op: Operator, check: dict) -> Iterator[Defect]:
    params = view.input_tensor(op, 0)
    tensor, values = _constant(view, op, check["slot"])
    rank = _rank(params)
    if not values or not rank or not op.options_type:
        return
    resolved = _normalized_axis(op.options.get("axis", 0), rank, False)
    if resolved is None:
        return  # the axis check reports it
    size = params.shape[resolved]
    if size < 0:
        return
    bad = [value for value in values if not 0 <= value < size]
    if bad:
        yield Defect(op, tensor, f"the constant index {bad[0]} is outside [0, {size - 1}] "
                                 f"of the gathered dimension")


def nd_indices(view, op: Operator, check: dict) -> Iterator[Defect]:
    """GATHER_ND / SCATTER_ND: each coordinate of each constant index row in [0, size) of
    the dimension it addresses (params' shape, or SCATTER_ND's constant shape input)."""
    tensor, values = _constant(view, op, check["indices_slot"])
    if not values or tensor is None or not tensor.shape:
        return
    if "params_slot" in check:
        params = view.input_tensor(op, check["params_slot"])
        if params is None or params.is_dynamic:
            return
        shape = list(params.shape)
    else:
        _, shape = _constant(view, op, check["shape_slot"])
    depth = tensor.shape[-1]
    if not shape or depth < 1 or depth > len(shape) or len(values) % depth:
        return
    for row in range(0, len(values), depth):
        for dim, coordinate in enumerate(values[row:row + depth]):
            if not 0 <= coordinate < shape[dim]:
                yield Defect(op, tensor, f"the constant index {values[row:row + depth]} is "
                                         f"outside dimension {dim} (size {shape[dim]})")
                return


def empty_input(view, op: Operator, check: dict) -> Iterator[Defect]:
    """An input with no elements (a static size-0 dimension) read by a kernel that needs
    some: `dim` (one dimension's size below 1) or the whole input, while `unless_empty`
    (another input) has elements."""
    tensor = view.input_tensor(op, check["slot"])
    if tensor is None or tensor.is_dynamic or not tensor.shape:
        return
    if "dim" in check:
        dim = check["dim"]
        if len(tensor.shape) > dim and tensor.shape[dim] < 1:
            yield Defect(op, tensor, f"input {check['slot']} has size {tensor.shape[dim]} in "
                                     f"dimension {dim}")
        return
    other = view.input_tensor(op, check["unless_empty"])
    if tensor.element_count == 0 and other is not None and other.element_count > 0:
        yield Defect(op, tensor, f"input {check['slot']} {list(tensor.shape)} has no "
                                 f"elements while input {check['unless_empty']} has some")


INT_MAX = 2**31 - 1


def concatenated_size(view, op: Operator, check: dict) -> Iterator[Defect]:
    """The inputs' sizes along the axis, summed in an int, must not overflow."""
    first = view.input_tensor(op, 0)
    rank = _rank(first)
    if not rank or not op.options_type:
        return
    resolved = _normalized_axis(op.options.get("axis", 0), rank, False)
    inputs = [view.input_tensor(op, slot) for slot in range(len(op.inputs))]
    if resolved is None or any(t is None or len(t.shape) != rank for t in inputs):
        return
    total = sum(t.shape[resolved] for t in inputs)
    if total > INT_MAX:
        yield Defect(op, None, f"the inputs' sizes along axis {resolved} sum to {total}, "
                               f"more than an int holds ({INT_MAX})")


def quantization_required(view, op: Operator, check: dict) -> Iterator[Defect]:
    """A quantized kernel (by the input's type as Prepare sees it: an earlier op's Prepare
    may write another type than the file's) whose operand has no scale: LiteRT reads a
    tensor without scales as kTfLiteNoQuantization."""
    if not op.inputs or op.inputs[0] < 0:
        return
    kernel = kernel_types(view).get(op.subgraph, {}).get(op.inputs[0])
    if kernel not in check["input_types"]:
        return  # another type, or one the file does not fix
    for slot in check["slots"]:
        tensor = view.input_tensor(op, slot)
        if tensor is not None and not (tensor.quantization and tensor.quantization.scale):
            yield Defect(op, tensor, f"the {kernel} kernel needs quantization parameters "
                                     f"on input {slot} ({tensor.dtype}), which has none")
            return


def variable_input(view, op: Operator, check: dict) -> Iterator[Defect]:
    """A state input the kernel fetches with GetVariableInput, which gives null for a
    tensor that is not a variable."""
    if op.name in check.get("input_counts", {}) and \
            len(op.inputs) not in check["input_counts"][op.name]:
        return  # another layout (e.g. the basic LSTM kernel)
    for slot in check["slots"][op.name]:
        tensor = view.input_tensor(op, slot)
        if tensor is not None and not tensor.is_variable:
            yield Defect(op, tensor, f"input {slot}, the state, is not a variable tensor")
            return


def svdf_rank(view, op: Operator, check: dict) -> Iterator[Defect]:
    if not op.options_type:
        return
    rank = op.options.get("rank", 0)
    if rank == 0 or check["zero"]:
        if rank == 0 and check["zero"]:
            yield Defect(op, None, "rank is 0 (num_filters is divided by it)")
        return
    features = view.input_tensor(op, 1)
    if features is not None and features.shape and features.shape[0] % rank:
        yield Defect(op, features, f"num_filters {features.shape[0]} (weights_feature "
                                   f"dimension 0) is not a multiple of rank {rank}")


def _count(items, noun: str) -> str:
    return f"{len(items)} {noun}{'' if len(items) == 1 else 's'}"


def split_outputs(view, op: Operator, check: dict) -> Iterator[Defect]:
    if not op.options_type:
        return
    splits = op.options.get("num_splits", 0)
    if splits != len(op.outputs):
        yield Defect(op, None, f"num_splits is {splits} but the op has "
                               f"{_count(op.outputs, 'output')}")


def split_even(view, op: Operator, check: dict) -> Iterator[Defect]:
    splits = op.options.get("num_splits", 0) if op.options_type else 0
    data = view.input_tensor(op, check["data_slot"])
    rank = _rank(data)
    _, values = _constant(view, op, check["axis_slot"])
    if splits < 1 or splits != len(op.outputs) or not rank or not values or len(values) != 1:
        return
    resolved = _normalized_axis(values[0], rank, False)
    if resolved is not None and data.shape[resolved] >= 0 and data.shape[resolved] % splits:
        yield Defect(op, data, f"the axis size {data.shape[resolved]} is not a multiple of "
                               f"num_splits {splits} (not an even split)")


def _non_positive_dims(tensor: Tensor | None, dims, role: str) -> Iterator[str]:
    if tensor is None or len(tensor.shape) != 4:
        return
    for dim in dims:
        if tensor.shape[dim] < 1 and not _dynamic(tensor, dim):
            yield f"the {role} has size {tensor.shape[dim]} in dimension {dim}"


def _written(view, op: Operator, position: int) -> bool:
    """Whether another op of the subgraph writes the op's input at `position`."""
    index = op.inputs[position] if position < len(op.inputs) else -1
    return index >= 0 and view.producer(op.subgraph, index) is not None


def _dynamic(tensor: Tensor, dim: int) -> bool:
    signature = tensor.shape_signature
    return bool(signature) and len(signature) > dim and signature[dim] < 0


def conv_dims(view, op: Operator, check: dict) -> Iterator[Defect]:
    """Input and filter dimensions that must be positive. Only the sizes the file fixes
    are judged: a tensor another op writes gets its size from that op's Prepare, whatever
    the file says (a DEQUANTIZE'd filter with a 0 in its file shape runs in LiteRT)."""
    data, weights = (None if _written(view, op, position) else view.input_tensor(op, position)
                     for position in (0, 1))
    texts = [*_non_positive_dims(data, check["input_dims"], "input"),
             *_non_positive_dims(weights, check["filter_dims"], "filter")]
    if texts:
        yield Defect(op, None, texts[0])


def while_signature(view, op: Operator, check: dict) -> Iterator[Defect]:
    """WHILE's operand counts against its cond and body subgraphs, as its Prepare counts
    them: outputs, cond inputs, body inputs and body outputs one per input; one cond
    output. (Types are not compared: the kernel copies the inputs' types into the body
    and its ops' Prepare propagate them, so the file's body types are not the ones
    Prepare compares.)"""
    called, subgraphs = op.called_subgraphs, view.model.subgraphs
    if len(called) != 2 or called[0] == called[1] or max(called) >= len(subgraphs):
        return  # the call checks and the reader judge these
    cond, body = subgraphs[called[0]], subgraphs[called[1]]
    count = len(op.inputs)
    for what, have, need in (("outputs", len(op.outputs), count),
                             ("cond subgraph inputs", len(cond.inputs), count),
                             ("cond subgraph outputs", len(cond.outputs), 1),
                             ("body subgraph inputs", len(body.inputs), count),
                             ("body subgraph outputs", len(body.outputs), count)):
        if have != need:
            yield Defect(op, None, f"{have} {what} for its {_count(op.inputs, 'input')} "
                                   f"(the kernel needs {need})")
            return


def _direct(op: Operator) -> bool:
    """A call LiteRT's Prepare refuses itself: WHILE with cond == body, CALL_ONCE of the
    subgraph it is in."""
    called = op.called_subgraphs
    return (op.name == "WHILE" and len(called) == 2 and called[0] == called[1]) or \
        (op.name == "CALL_ONCE" and called == (op.subgraph,))


def call_cycles(view, ops: list[Operator], direct: bool) -> Iterator[Defect]:
    """Control-flow ops, in subgraphs the model can run, whose called subgraph leads back
    to the op's own subgraph: those LiteRT refuses itself (`direct`), or the others."""
    reachable = view.runnable_subgraphs
    calls = {index: {called for op in view.model.subgraphs[index].operators
                     for called in op.called_subgraphs}
             for index in range(len(view.model.subgraphs))}
    for op in ops:
        if op.subgraph not in reachable or _direct(op) != direct:
            continue
        for called in dict.fromkeys(op.called_subgraphs):
            path = _path(calls, called, op.subgraph)
            if path is not None:
                chain = " -> ".join(str(s) for s in (op.subgraph, *path))
                yield Defect(op, None, f"it calls subgraph {called}, which leads back to "
                                       f"subgraph {op.subgraph} (calls {chain})")
                break


def _path(calls: dict[int, set[int]], start: int, goal: int) -> list[int] | None:
    """The subgraphs from `start` to `goal` along calls (breadth first), or None."""
    parents: dict[int, int | None] = {start: None}
    queue = [start]
    for node in queue:
        if node == goal:
            path = [node]
            while parents[path[-1]] is not None:
                path.append(parents[path[-1]])
            return path[::-1]
        for nxt in sorted(calls[node]):
            if nxt not in parents:
                parents[nxt] = node
                queue.append(nxt)
    return None


def optional_inputs(view, ops: list[Operator], table: dict) -> Iterator[Defect]:
    """-1 (no tensor) in an input slot the op's kernel does not read as optional."""
    anywhere = set(table["any"])
    for op in ops:
        name = op.name
        if (name in anywhere or name.startswith(tuple(table["any_prefix"]))
                or not op.opcode.is_known or op.opcode.custom_code is not None):
            continue
        allowed = set(table.get(name, ()))
        slots = [slot for slot, index in enumerate(op.inputs)
                 if index < 0 and slot not in allowed]
        if slots:
            yield Defect(op, None, f"input {slots[0]} is -1 (no tensor), a slot the "
                                   f"{name} kernel does not read as optional")


def output_size(view, op: Operator, check: dict) -> Iterator[Defect]:
    """An elementwise op whose inputs have one shape and whose output, as the file sizes
    it, holds fewer elements (`larger` false) or more (`larger` true; of `types` when
    given). LiteRT resizes the output itself; TFLite Micro plans the arena from the file's
    shape and, for inputs of one shape, writes as many elements as they hold, or first
    checks the counts match and aborts (inputs that broadcast take its broadcast kernels,
    which loop over the output's own shape)."""
    inputs = [view.input_tensor(op, slot) for slot in range(min(len(op.inputs), check["inputs"]))]
    if not op.outputs or op.outputs[0] < 0 or not inputs or None in inputs:
        return
    output = view.tensor(op.subgraph, op.outputs[0])
    tensors = [*inputs, output]
    if any(t.is_dynamic or _rank(t) is None for t in tensors):
        return
    if len({t.shape for t in inputs}) > 1:
        return  # TFLite Micro's broadcast kernels loop over the output's own shape
    shape = inputs[0].shape
    if min(shape, default=1) < 0:
        return
    needed = math.prod(shape)
    if "types" in check and inputs[0].dtype not in check["types"]:
        return
    larger = check.get("larger", False)
    if (output.element_count > needed) if larger else (output.element_count < needed):
        yield Defect(op, output, f"the output {list(output.shape)} holds "
                                 f"{output.element_count} elements, the result "
                                 f"{list(shape)} {needed}")


def input_smaller_than_read(view, op: Operator, check: dict) -> Iterator[Defect]:
    """FULLY_CONNECTED in TFLite Micro, which resizes nothing: it reads the output's batches
    (the product of all but its last dimension, as the file sizes it) times the filter's
    depth (its last dimension) from the input, whatever the input holds. Judged where it
    holds for any size of the dimensions the shape_signature leaves open (-1): the input
    then holds no element (a fixed 0), or all its dimensions are fixed, and the output's
    open ones count as 1."""
    data, weights = view.input_tensor(op, 0), view.input_tensor(op, 1)
    if not op.outputs or op.outputs[0] < 0 or data is None or weights is None:
        return
    output = view.tensor(op.subgraph, op.outputs[0])
    if any(not t.shape or min(t.shape) < 0 for t in (data, weights, output)) \
            or weights.is_dynamic:
        return
    if data.is_dynamic and data.element_count:
        return  # an open dimension may hold enough
    rows = [1 if _dynamic(output, dim) else size
            for dim, size in enumerate(output.shape[:-1])]
    batches, depth = math.prod(rows), weights.shape[-1]
    if data.element_count < batches * depth:
        yield Defect(op, data, f"the input {list(data.shape)} holds {data.element_count} "
                               f"elements, the kernel reads {batches * depth} ({batches} "
                               f"row(s) of the filter's depth {depth})")


def _copies(view, op: Operator) -> Iterator[tuple[str, Tensor | None, str, Tensor | None]]:
    """The tensor pairs TFLite Micro's WHILE and IF copy between at Invoke, each as
    (what, tensor, what, tensor): WHILE copies its inputs into the cond subgraph's inputs
    and into its own outputs, its outputs into the body's inputs and the body's outputs
    back (while.cc WhileEval); IF its inputs after the condition into the branch's inputs
    and the branch's outputs into its own (if.cc IfEval)."""
    def ours(indices, first=0):
        return [view.tensor(op.subgraph, i) if i >= 0 else None for i in indices[first:]]

    def theirs(subgraph: int, outputs: bool):
        called = view.model.subgraphs[subgraph]
        return [view.tensor(subgraph, i) for i in (called.outputs if outputs else called.inputs)]

    if op.name == "WHILE":
        cond, body = op.called_subgraphs
        pairs = (("input", ours(op.inputs), "cond subgraph input", theirs(cond, False)),
                 ("input", ours(op.inputs), "output", ours(op.outputs)),
                 ("output", ours(op.outputs), "body subgraph input", theirs(body, False)),
                 ("body subgraph output", theirs(body, True), "output", ours(op.outputs)))
    else:
        pairs = tuple(pair for branch in op.called_subgraphs for pair in (
            ("input", ours(op.inputs, 1), f"subgraph {branch} input", theirs(branch, False)),
            (f"subgraph {branch} output", theirs(branch, True), "output", ours(op.outputs))))
    for what, tensors, other_what, others in pairs:
        if len(tensors) == len(others):  # counts are while_signature's and the reader's
            for position, (tensor, other) in enumerate(zip(tensors, others)):
                yield f"{what} {position}", tensor, f"{other_what} {position}", other


def subgraph_copy_sizes(view, op: Operator, check: dict) -> Iterator[Defect]:
    """Operands of WHILE and IF whose byte size differs from the called subgraph's tensor
    they are copied to or from: TFLite Micro resizes nothing and copies only tensors of
    equal size (kernel_util.cc ValidateAndGetTensorSizes)."""
    called, count = op.called_subgraphs, len(view.model.subgraphs)
    if len(called) != 2 or not all(0 <= index < count for index in called):
        return  # the call checks and the reader judge these
    for what, tensor, other_what, other in _copies(view, op):
        if tensor is None or other is None or tensor.is_dynamic or other.is_dynamic:
            continue
        sizes = tensor.byte_size, other.byte_size
        if None not in sizes and sizes[0] != sizes[1]:
            yield Defect(op, tensor, f"{what} {list(tensor.shape)} {tensor.dtype} "
                                     f"({sizes[0]} bytes) and the {other_what} "
                                     f"{list(other.shape)} {other.dtype} ({sizes[1]} bytes) "
                                     f"differ in size")
            return


KINDS: dict[str, Callable[..., Iterator[Defect]]] = {
    "option_positive": option_positive, "option_known": option_known,
    "constant_nonzero": constant_nonzero,
    "integer_divisor": integer_divisor, "segment_ids": segment_ids, "axis": axis,
    "gather_indices": gather_indices, "svdf_rank": svdf_rank,
    "split_outputs": split_outputs, "split_even": split_even,
    "conv_dims": conv_dims,
    "nd_indices": nd_indices, "empty_input": empty_input,
    "concatenated_size": concatenated_size, "quantization_required": quantization_required,
    "variable_input": variable_input, "output_size": output_size,
    "while_signature": while_signature, "input_smaller_than_read": input_smaller_than_read,
    "subgraph_copy_sizes": subgraph_copy_sizes,
}


def defects(view, data: dict) -> Iterator[tuple[dict, Defect]]:
    """(check, defect) for every op of the model, in subgraph and op order per check."""
    ops = list(view.operators())
    for check in data["check"]:
        kind = check["kind"]
        if kind == "call_cycle":
            found = call_cycles(view, [op for op in ops if op.name in check["ops"]],
                                check["direct"])
        elif kind == "optional_input":  # the ops listed, or every op no entry lists
            listed = {name for entry in data["check"] if entry["kind"] == kind
                      for name in entry.get("ops", ())}
            chosen = [op for op in ops if (op.name in check["ops"] if "ops" in check
                                           else op.name not in listed)]
            found = optional_inputs(view, chosen, data["optional_inputs"])
        else:
            function = KINDS[kind]
            found = (defect for op in ops if op.name in check["ops"]
                     for defect in function(view, op, check))
        for defect in found:
            yield check, defect
