"""TFL007: subgraphs that nothing can run."""
from __future__ import annotations

from typing import Iterator

from tfllint.engine.rule import Location, RuleContext, Violation, rule


@rule(id="TFL007", name="unreachable-subgraph", severity="info")
def check(ctx: RuleContext) -> Iterator[Violation]:
    """A subgraph that neither subgraph 0, nor a signature, nor a control-flow op runs.

    What it finds:
        Subgraphs that are not the main subgraph, are not the entry of any signature
        def, and are not called (WHILE, IF, CALL_ONCE, StableHLO regions) from a
        subgraph that is itself reachable.

    Why it matters:
        Their ops, tensors and weights ship with the model but can never execute. On a
        target with tight flash that is wasted space, and a signature that should expose
        the subgraph may have been lost in conversion.

    Example:
        subgraph 2 ('aux_head', 14 ops) is not reachable from subgraph 0 or any signature.

    How to fix:
        Add a signature for the subgraph if callers need it; otherwise remove it or
        re-export the model without it.
    """
    model = ctx.view.model
    reachable = ctx.view.runnable_subgraphs
    for subgraph in model.subgraphs:
        if subgraph.index not in reachable:
            name = f" ('{subgraph.name}')" if subgraph.name else ""
            yield Violation(f"subgraph {subgraph.index}{name} with {len(subgraph.operators)} "
                            "ops is not reachable from subgraph 0, any signature or any "
                            "control-flow op", Location(subgraph=subgraph.index),
                            fix="add a signature for it if callers need it, otherwise remove it")
