"""Location helpers shared by the built-in rules (not a rule module: the name starts with _)."""
from __future__ import annotations

from tfllint.engine.rule import Location
from tfllint.model import Operator, Tensor


def at_op(op: Operator, tensor: Tensor | None = None) -> Location:
    return Location(subgraph=op.subgraph, op_index=op.index, op=op.name,
                    tensor=tensor.name if tensor else None,
                    tensor_index=tensor.index if tensor else None)


def at_tensor(subgraph: int, tensor: Tensor) -> Location:
    return Location(subgraph=subgraph, tensor=tensor.name, tensor_index=tensor.index)


def tensor_label(tensor: Tensor) -> str:
    return f"'{tensor.name}' (#{tensor.index})" if tensor.name else f"#{tensor.index}"


def uses_of_opcode(view, opcode_index: int) -> list[Operator]:
    """Every op, in every subgraph, that runs the operator code `opcode_index`."""
    return [op for op in view.operators() if op.opcode.index == opcode_index]


def opcode_location(view, opcode_index: int) -> tuple[Location, str]:
    """Where an operator code is first used, and ' (used by N ops)' when more than once."""
    uses = uses_of_opcode(view, opcode_index)
    if not uses:
        return Location(), " (declared but used by no op)"
    return at_op(uses[0]), (f" (used by {len(uses)} ops)" if len(uses) > 1 else "")
