"""TFL005: constant data that no op reads."""
from __future__ import annotations

from typing import Iterator

from tfllint.engine.rule import RuleContext, Violation, rule

from ._locations import at_tensor, tensor_label


@rule(id="TFL005", name="unused-constant", severity="info")
def check(ctx: RuleContext) -> Iterator[Violation]:
    """A constant tensor that no op reads and that is not a subgraph output.

    What it finds:
        Tensors with data in the file that appear in no operator's inputs or
        intermediates and in no subgraph's outputs.

    Why it matters:
        Their bytes ship in every copy of the model (app size, flash on a
        microcontroller, download time) and are never used. They are often left by graph
        surgery or by a converter pass that folded an op but kept its weights.

    Example:
        tensor 'dense/kernel_unused' (#9): 262144 bytes of constant data nothing reads.

    How to fix:
        Remove the tensor (and its buffer) or re-export the model; the converter drops
        unused constants.
    """
    view = ctx.view
    for subgraph in view.subgraphs:
        read = {t for op in subgraph.operators for t in (*op.inputs, *op.intermediates)}
        read.update(subgraph.outputs)
        for tensor in subgraph.tensors:
            if tensor.index in read or not view.is_constant(tensor):
                continue
            size = view.buffer_of(tensor).size
            yield Violation(f"constant tensor {tensor_label(tensor)} holds {size} bytes that "
                            "no op reads", at_tensor(subgraph.index, tensor),
                            fix="remove the tensor and its buffer, or re-export the model")
