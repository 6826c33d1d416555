"""TFL003: a subgraph output that nothing writes."""
from __future__ import annotations

from typing import Iterator

from tfllint.engine.rule import RuleContext, Violation, rule

from ._locations import at_tensor, tensor_label


@rule(id="TFL003", name="output-never-written", severity="error",
      untrusted_severity="error",
      evidence=(
          "runtime: tests/test_rule_evidence.py (LiteRT fails when the output is read: "
          "\"Tensor data is null\")"))
def check(ctx: RuleContext) -> Iterator[Violation]:
    """A subgraph output that no op writes and that is not an input, constant or variable.

    What it finds:
        Entries of a subgraph's output list whose tensor has no source: no operator
        produces it, and it is neither a subgraph input, a constant nor a variable.

    Why it matters:
        The caller reads an output the model never computes, getting whatever the arena
        held. For a WHILE body or IF branch, the loop state or branch result is garbage.

    Example:
        subgraph 0 output 'logits' (#12) is never written by any op.

    How to fix:
        Re-export the model; if the graph was edited, reconnect the output to the op that
        should produce it.
    """
    view = ctx.view
    for subgraph in view.subgraphs:
        for position, tensor_index in enumerate(subgraph.outputs):
            if view.has_source(subgraph.index, tensor_index):
                continue
            tensor = subgraph.tensors[tensor_index]
            yield Violation(
                f"output {position} of subgraph {subgraph.index}, tensor {tensor_label(tensor)}, "
                "is never written: no op produces it",
                at_tensor(subgraph.index, tensor), cause="output never written",
                fix="reconnect the output to the op that computes it, or re-export the model")
