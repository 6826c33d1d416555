"""TFL104: tensor types or quantization schemes newer than the schema tfllint knows."""
from __future__ import annotations

from typing import Iterator

from tfllint.engine.rule import RuleContext, Violation, rule

from ._locations import at_tensor, tensor_label


@rule(id="TFL104", name="unknown-tensor-type", severity="error",
      untrusted_severity="error",
      evidence="runtime: tests/test_rule_evidence.py (LiteRT fails: \"Unsupported data type\")")
def check(ctx: RuleContext) -> Iterator[Violation]:
    """A tensor type or quantization scheme newer than the schema tfllint knows.

    What it finds:
        Tensors whose type is past the last TensorType of the schema tfllint was built
        from, or whose quantization uses a `details` scheme the schema does not have.
        Both are kept as UNKNOWN(n).

    Why it matters:
        A runtime that predates the type rejects the model while building the
        interpreter (an unsupported data type error), and a kernel that does not know the
        quantization scheme computes with the wrong parameters.

    Example:
        tensor 'w' (#3) has type UNKNOWN(25), newer than any type tfllint knows.

    How to fix:
        Convert with the converter release that matches the runtime you ship, or upgrade
        the runtime (and tfllint).
    """
    for subgraph in ctx.view.subgraphs:
        for tensor in subgraph.tensors:
            if tensor.dtype.startswith("UNKNOWN("):
                yield Violation(f"tensor {tensor_label(tensor)} has type {tensor.dtype}, "
                                "newer than any tensor type tfllint knows",
                                at_tensor(subgraph.index, tensor),
                                fix="convert with a converter matching your runtime")
            details = tensor.quantization.details if tensor.quantization else None
            if details and details.startswith("UNKNOWN("):
                yield Violation(f"tensor {tensor_label(tensor)} uses quantization scheme "
                                f"{details}, newer than any scheme tfllint knows",
                                at_tensor(subgraph.index, tensor),
                                fix="convert with a converter matching your runtime")
