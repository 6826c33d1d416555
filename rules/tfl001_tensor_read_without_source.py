"""TFL001: an op reads a tensor that nothing gives a value."""
from __future__ import annotations

from typing import Iterator

from tfllint.engine.rule import RuleContext, Violation, rule

from ._locations import at_op, tensor_label


@rule(id="TFL001", name="tensor-read-without-source", severity="error")
def check(ctx: RuleContext) -> Iterator[Violation]:
    """An op reads a tensor that no op writes and that is not an input, constant or variable.

    What it finds:
        Operator inputs whose tensor has no source at all: no operator of the subgraph
        produces it, it is not one of the subgraph's inputs, it holds no constant data and
        it is not a variable.

    Why it matters:
        The runtime allocates such a tensor but never writes it, so the op computes on
        uninitialised memory: wrong results with no error. It usually means a graph was
        edited by hand or a tool dropped the op that produced the tensor.

    Example:
        op 3 (ADD) reads tensor 'skip' (#7): no op writes it, and it is not a subgraph
        input, a constant or a variable.

    How to fix:
        Re-export the model from its source framework; if the graph was edited, restore
        the producing op or make the tensor a subgraph input.
    """
    for subgraph in ctx.view.subgraphs:
        # Every tensor something gives a value: an op, the caller, the file, or state.
        sourced = {t for op in subgraph.operators for t in op.outputs}
        sourced.update(subgraph.inputs)
        sourced.update(t.index for t in subgraph.tensors if t.is_constant or t.is_variable)
        for op in subgraph.operators:
            for tensor_index in op.inputs:
                if tensor_index < 0 or tensor_index in sourced:
                    continue
                tensor = subgraph.tensors[tensor_index]
                yield Violation(
                    f"{op.name} reads tensor {tensor_label(tensor)}, but no op writes it and "
                    "it is not a subgraph input, a constant or a variable",
                    at_op(op, tensor), cause=f"{op.name} reads an unsourced tensor",
                    fix="re-export the model, or restore the op that produces this tensor")
