"""TFL005: constant data that no op reads."""
from __future__ import annotations

from typing import Iterator

from tfllint.engine.rule import RuleContext, Violation, rule
from tfllint.model import blockwise_parameter_tensors

from tfllint.sizes import exact_bytes

from ._locations import at_tensor, tensor_label


@rule(id="TFL005", name="unused-constant", severity="info")
def check(ctx: RuleContext) -> Iterator[Violation]:
    """A constant tensor that no op reads and that is not a subgraph output.

    What it finds:
        Tensors with data in the file that appear in no operator's inputs or
        intermediates and in no subgraph's outputs: one finding for all of them, with
        their count and bytes.

    Why it matters:
        Their bytes ship in every copy of the model (app size, flash on a
        microcontroller, download time) and are never used. They are often left by graph
        surgery or by a converter pass that folded an op but kept its weights.

    Example:
        3 constant tensors hold 256.5 KiB (262,656 bytes) that no op reads
        ('dense/kernel_unused', 'dense/bias_unused', 'scale').

    How to fix:
        Remove the tensor (and its buffer) or re-export the model; the converter drops
        unused constants.
    """
    view = ctx.view
    unused = []
    for subgraph in view.subgraphs:
        read = {t for op in subgraph.operators for t in (*op.inputs, *op.intermediates)}
        read.update(subgraph.outputs)
        read.update(blockwise_parameter_tensors(subgraph.tensors))
        unused.extend((subgraph.index, tensor) for tensor in subgraph.tensors
                      if tensor.index not in read and tensor.is_constant)
    if unused:
        total = sum(view.buffer_of(tensor).size for _, tensor in unused)
        what = (f"constant tensor {tensor_label(unused[0][1])} holds" if len(unused) == 1
                else f"{len(unused)} constant tensors hold")
        yield Violation(f"{what} {exact_bytes(total)} that no op reads",
                        locations=tuple(at_tensor(index, tensor) for index, tensor in unused),
                        fix="remove the tensors and their buffers, or re-export the model")
