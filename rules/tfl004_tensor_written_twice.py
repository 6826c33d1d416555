"""TFL004: a tensor written by more than one op, or an op writing an input or constant."""
from __future__ import annotations

from typing import Iterator

from tfllint.engine.rule import RuleContext, Violation, rule

from ._locations import at_op, tensor_label


@rule(id="TFL004", name="tensor-written-twice", severity="error",
      untrusted_severity="error",
      evidence=(
          "runtime: tests/test_rule_evidence.py (the last writer wins: the other op's "
          "result is lost)"))
def check(ctx: RuleContext) -> Iterator[Violation]:
    """A tensor that two ops write, or that an op writes although it is an input or constant.

    What it finds:
        Operator outputs that another earlier operator also writes, and operator outputs
        that are subgraph inputs or hold constant data in the file.

    Why it matters:
        TFLite's graph is single-assignment: the memory planner gives each tensor one
        lifetime starting at its one producer. A second writer overwrites a value that
        readers still expect, and writing a constant corrupts the weights (or crashes,
        since constants live in read-only memory-mapped pages).

    Example:
        op 4 (ADD) writes tensor 'x' (#3), which op 2 (CONV_2D) already wrote.

    How to fix:
        Re-export the model; a converter never produces this. If the graph was edited,
        give each op its own output tensor.
    """
    view = ctx.view
    for subgraph in view.subgraphs:
        written: dict[int, int] = {}
        for op in subgraph.operators:
            for tensor_index in op.outputs:
                tensor = subgraph.tensors[tensor_index]
                if tensor_index in written:
                    problem = f"which op {written[tensor_index]} already wrote"
                elif view.is_input(subgraph.index, tensor_index):
                    problem = "which is a subgraph input the caller fills"
                elif tensor.is_constant:
                    problem = "which holds constant data from the file"
                else:
                    written[tensor_index] = op.index
                    continue
                yield Violation(f"{op.name} writes tensor {tensor_label(tensor)}, {problem}",
                                at_op(op, tensor), cause=problem,
                                fix="give the op its own output tensor (re-export the model)")
