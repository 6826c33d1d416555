"""Operand types a builtin kernel refuses, judged from the file as its Prepare or Eval does.

The facts (which ops, which operand, which types, in the kernel's order, with the kernel
source) are rules/data/kernel_operand_types.toml. A type is judged only where the file
fixes it: the type an op's Prepare sees is the file's, except for the outputs of ops
whose Prepare writes them ([output_type] there, followed in execution order; for an op
the XNNPACK delegate visits, known only where the written type is the file's, as the
delegate may run the op instead), the outputs of control-flow, custom and unknown ops
(unknown), and the inputs of a subgraph another op calls: a WHILE's cond and body get
the WHILE's input types (copied at its Prepare); under any other caller they are
unknown. An unknown type skips a check. An op the XNNPACK delegate may take by its
operands' file types and ranks ([xnnpack.takes]) is not judged.
"""
from __future__ import annotations

import weakref
from typing import Iterator, NamedTuple

from tfllint.analyses.data import load_data_table
from tfllint.model import Operator, Tensor

DATA = "kernel_operand_types"


class Refusal(NamedTuple):
    op: Operator
    tensor: Tensor | None
    entry: dict  # the [[op]] of the data
    check: dict  # its [[op.check]] that fails
    text: str  # e.g. "the bias is INT4 but the input FLOAT32"


def _output_types(op: Operator, types: dict[int, str | None], rule: str | None,
                  file_types: dict[int, str | None],
                  visits: frozenset[str]) -> dict[int, str | None]:
    """The types `op`'s Prepare leaves on its outputs."""
    outputs = [index for index in op.outputs if index >= 0]
    if op.opcode.name == "CUSTOM" or not op.opcode.is_known or op.called_subgraphs \
            or op.opcode.name.startswith("STABLEHLO_") or rule == "unknown":
        return {index: None for index in outputs}
    if rule is None:
        return {index: file_types.get(index) for index in outputs}
    if rule.startswith("in"):
        slot = int(rule[2:])
        source = op.inputs[slot] if slot < len(op.inputs) else -1
        written = types.get(source) if source >= 0 else None
    else:
        written = rule
    if op.opcode.name not in visits:
        return {index: written for index in outputs}  # only the kernel runs it
    # The XNNPACK delegate may run the op instead, leaving the file's type: known only
    # where the two agree.
    return {index: written if written == file_types.get(index) else None
            for index in outputs}


def prepared_types(view, subgraph: int, data: dict,
                   inputs: list[str | None] | None) -> dict[int, str | None]:
    """Tensor index -> the type the kernels' Prepare see, or None where it is unknown.
    `inputs`: the types the subgraph's callers give its inputs (None: not called)."""
    sub = view.model.subgraphs[subgraph]
    file_types = {tensor.index: None if tensor.dtype.startswith("UNKNOWN(")  # TFL104's
                  else tensor.dtype for tensor in sub.tensors}
    types = dict(file_types)
    if inputs is not None:
        for position, index in enumerate(sub.inputs):
            types[index] = inputs[position] if position < len(inputs) else None
    visits = frozenset(data["xnnpack"]["visits"])
    for op in sub.operators:
        types.update(_output_types(op, types, data["output_type"].get(op.opcode.name),
                                   file_types, visits))
    return types


def _callers(view) -> dict[int, list[Operator]]:
    callers: dict[int, list[Operator]] = {}
    for op in view.operators():
        for called in op.called_subgraphs:
            callers.setdefault(called, []).append(op)
    return callers


def _caller_input_types(view, subgraph: int, callers: list[Operator],
                        done: dict[int, dict]) -> list[str | None]:
    """The types a called subgraph's inputs get: a WHILE's Prepare_impl copies its input
    types onto its cond's and body's inputs (CopyTensorsShapeAndType) before preparing
    them; known where every caller is such a WHILE and they agree. Other callers (IF,
    CALL_ONCE, custom ops) are not followed: unknown."""
    count = len(view.model.subgraphs[subgraph].inputs)
    found: list[str | None] | None = None
    for op in callers:
        if op.opcode.name != "WHILE" or op.subgraph not in done or len(op.inputs) != count:
            return [None] * count
        given = [done[op.subgraph].get(index) if index >= 0 else None
                 for index in op.inputs]
        found = given if found is None else [a if a == b else None
                                             for a, b in zip(found, given)]
    return found if found is not None else [None] * count


def _all_prepared_types(view, data: dict) -> dict[int, dict[int, str | None]]:
    """prepared_types of each runnable subgraph, a called one after its callers'."""
    callers = _callers(view)
    pending = sorted(view.runnable_subgraphs)
    done: dict[int, dict] = {}
    while pending:
        ready = [subgraph for subgraph in pending
                 if all(op.subgraph in done for op in callers.get(subgraph, ()))]
        if not ready:  # a call cycle: its inputs are unknown
            ready = pending[:1]
            done[ready[0]] = prepared_types(view, ready[0], data,
                                            [None] * len(view.model.subgraphs[
                                                ready[0]].inputs))
            pending = pending[1:]
            continue
        for subgraph in ready:
            inputs = (_caller_input_types(view, subgraph, callers[subgraph], done)
                      if subgraph in callers else None)
            done[subgraph] = prepared_types(view, subgraph, data, inputs)
        pending = [subgraph for subgraph in pending if subgraph not in done]
    return done


class _Operands:
    """The op's operands by role ("in0", "out0"): tensor and type (None: absent/unknown)."""

    def __init__(self, view, op: Operator, types: dict[int, str | None]) -> None:
        self.view, self.op, self.types = view, op, types

    def index(self, role: str) -> int:
        slots = self.op.inputs if role.startswith("in") else self.op.outputs
        slot = int(role[2:] if role.startswith("in") else role[3:])
        return slots[slot] if slot < len(slots) else -1

    def type(self, role: str) -> str | None:
        index = self.index(role)
        return self.types.get(index) if index >= 0 else None

    def tensor(self, role: str) -> Tensor | None:
        index = self.index(role)
        return self.view.tensor(self.op.subgraph, index) if index >= 0 else None


def _matches(operands: _Operands, condition: dict) -> bool | None:
    """Whether every listed operand has one of its types; None when one is unknown."""
    verdict = True
    for role, allowed in condition.items():
        found = operands.type(role)
        if found is None:
            return None
        verdict = verdict and found in allowed
    return verdict


def _applies(operands: _Operands, check: dict) -> bool:
    """Whether the kernel reaches the check (its branch conditions hold, all known)."""
    if "when" in check and _matches(operands, check["when"]) is not True:
        return False
    for exception in check.get("unless", ()):
        if _matches(operands, exception) is not False:
            return False  # the exception holds, or is unknown
    return True


def _judge(operands: _Operands, entry: dict, check: dict, role: str) -> str | None:
    """What is wrong with operand `role` (a text), or None when it passes or is unknown."""
    names = entry["roles"]
    name = names.get(role) or names.get("each_input", "input") + f" {role[2:]}"
    found = operands.type(role)
    if found is None:
        return None
    if "same_as" in check:
        other = operands.type(check["same_as"])
        if other is None or other == found:
            return None
        return f"the {name} is {found} but the {names[check['same_as']]} {other}"
    if found in check["allowed"]:
        return None
    context = " and the ".join(f"{names[r]} {operands.type(r)}"
                               for r in check.get("when", {}))
    context = f" with the {context}" if context else ""
    return f"the {name} is {found}{context} (the kernel takes {_either(check['allowed'])})"


def _either(types: list[str]) -> str:
    return types[0] if len(types) == 1 else ", ".join(types[:-1]) + " or " + types[-1]


def _skipped(op: Operator, entry: dict, operands: _Operands) -> bool:
    for option, values in entry.get("skip_options", {}).items():
        if str(op.options.get(option, "")) in values:
            return True
    if "each_input" in entry["roles"]:  # CONCATENATION of constant scalars: another path
        first = operands.tensor("in0")
        if first is None or not first.shape:
            return True
    return False


_PREPARED: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()


def kernel_types(view) -> dict[int, dict[int, str | None]]:
    """Per runnable subgraph, tensor index -> the type the kernels' Prepare see (None:
    unknown), once per model: for checks elsewhere that depend on an operand's type."""
    if view not in _PREPARED:
        _PREPARED[view] = _all_prepared_types(view, load_data_table(DATA))
    return _PREPARED[view]


def refusals(view, data: dict) -> Iterator[Refusal]:
    """The first check each op fails, in subgraph and op order."""
    by_op: dict[str, list[dict]] = {}
    for entry in data["op"]:
        for name in entry["ops"]:
            by_op.setdefault(name, []).append(entry)
    prepared = kernel_types(view)  # shared with TFL009's checks by type
    for subgraph in sorted(view.runnable_subgraphs):
        types = prepared[subgraph]
        for op in view.model.subgraphs[subgraph].operators:
            if op.opcode.name not in by_op:
                continue
            refusal = _first_refusal(view, op, by_op[op.opcode.name], types,
                                     data["output_type"], data["xnnpack"])
            if refusal is not None:
                yield refusal


def _xnnpack_may_take(op: Operator, operands: _Operands, xnnpack: dict) -> bool:
    """Whether the XNNPACK delegate may take the op, by its operands' file types and ranks
    ([xnnpack.takes]): its builtin kernel's checks then never run."""
    takes = xnnpack["takes"].get(op.opcode.name)
    if takes is None:
        return False
    for role, allowed in takes.get("types", {}).items():
        roles = ([f"in{slot}" for slot in range(len(op.inputs))] if role == "each_input"
                 else [role])
        for each in roles:
            tensor = operands.tensor(each)
            if tensor is not None and not _xnnpack_type(tensor, allowed):
                return False
    for role, static in takes.get("static_types", {}).items():
        tensor = operands.tensor(role)
        if tensor is not None and tensor.dtype in static \
                and not _static_weight(operands, role, tensor):
            return False
    for role, rank in takes.get("ranks", {}).items():
        tensor = operands.tensor(role)
        if tensor is not None and tensor.shape is not None and len(tensor.shape) != rank:
            return False
    for group in takes.get("same_type", ()):
        tensors = [operands.tensor(role) for role in group["roles"]]
        if any(tensor is None for tensor in tensors) \
                or len({tensor.dtype for tensor in tensors}) == 1:
            continue
        unless = group.get("unless")
        if not (unless and all(_file_type(operands, role) in types
                               for role, types in unless.items())):
            return False
    if takes.get("filter_bias"):
        return not _float_filter_and_bias_differ(operands)
    return True


def _xnnpack_type(tensor: Tensor, allowed: list[str]) -> bool:
    if tensor.dtype in allowed:
        return True
    quantized = tensor.quantization is not None and bool(tensor.quantization.scale)
    return quantized and f"q{tensor.dtype}" in allowed


def _static_weight(operands: _Operands, role: str, tensor: Tensor) -> bool:
    """A constant, or the output of a DENSIFY the delegate may unpack (its input's file
    type is its output's): PrepareOpsToDelegate's static weights."""
    if tensor.is_constant:
        return True
    producer = operands.view.producer(operands.op.subgraph, operands.index(role))
    if producer is None or producer.opcode.name != "DENSIFY" or not producer.inputs \
            or producer.inputs[0] < 0:
        return False
    source = operands.view.tensor(producer.subgraph, producer.inputs[0])
    return source.dtype == tensor.dtype


def _file_type(operands: _Operands, role: str) -> str | None:
    tensor = operands.tensor(role)
    return tensor.dtype if tensor is not None else None


def _float_filter_and_bias_differ(operands: _Operands) -> bool:
    """A float filter the file stores (no DEQUANTIZE the delegate could fold into FLOAT16
    writes it) whose bias has another type, but for a FLOAT32 bias of a FLOAT16 filter:
    the delegate's CheckFilterAndBiasTypes declines the op."""
    weights, bias = operands.tensor("in1"), operands.tensor("in2")
    if weights is None or bias is None or weights.dtype not in ("FLOAT32", "FLOAT16"):
        return False
    if operands.view.producer(operands.op.subgraph, operands.index("in1")) is not None:
        return False
    return bias.dtype != weights.dtype and (weights.dtype, bias.dtype) != ("FLOAT16",
                                                                         "FLOAT32")


def _first_refusal(view, op: Operator, entries: list[dict], types, table: dict,
                   xnnpack: dict) -> Refusal | None:
    operands = _Operands(view, op, types)
    for entry in entries:
        if entry.get("special") == "while_body":
            return _while_body(view, op, entry, types, table)
        if _skipped(op, entry, operands) or _xnnpack_may_take(op, operands, xnnpack):
            continue
        for check in entry["check"]:
            if not _applies(operands, check):
                continue
            roles = ([f"in{slot}" for slot in range(1, len(op.inputs))]
                     if check["role"] == "each_input" else [check["role"]])
            for role in roles:
                text = _judge(operands, entry, check, role)
                if text is not None:
                    return Refusal(op, operands.tensor(role), entry, check, text)
    return None


def _while_body(view, op: Operator, entry: dict, types, table: dict) -> Refusal | None:
    """A WHILE whose body returns, at some position, another type than the one the WHILE
    passes in there (the body's input takes the WHILE input's type)."""
    called, subgraphs = op.called_subgraphs, view.model.subgraphs
    if len(called) != 2 or called[0] == called[1] or max(called) >= len(subgraphs):
        return None  # TFL009 judges the calls
    body = subgraphs[called[1]]
    count = len(op.inputs)
    if len(body.inputs) != count or len(body.outputs) != count:
        return None  # TFL009 judges the counts
    if any(o.opcode.name not in entry["static_ops"] for o in body.operators):
        return None  # a body tensor may be dynamic: the kernel then skips the check
    passed = [types.get(index) if index >= 0 else None for index in op.inputs]
    producers = {index: o for o in body.operators for index in o.outputs}
    for position, index in enumerate(body.outputs):
        returned = _body_output_type(body, index, producers, passed, table)
        if passed[position] is not None and returned is not None \
                and returned != passed[position]:
            tensor = view.tensor(op.subgraph, op.inputs[position])
            text = (f"its body subgraph {body.index} takes input {position} as "
                    f"{passed[position]} (the WHILE's input {position}) but returns it as "
                    f"{returned}")
            return Refusal(op, tensor, entry, entry["check"][0], text)
    return None


def _body_output_type(body, index: int, producers: dict, passed: list, table: dict):
    if index < 0:
        return None
    if index in body.inputs:
        return passed[body.inputs.index(index)]
    dtype = body.tensors[index].dtype
    producer = producers.get(index)
    if producer is not None and producer.opcode.name in table:
        return dtype if table[producer.opcode.name] == dtype else None
    return None if dtype.startswith("UNKNOWN(") else dtype
