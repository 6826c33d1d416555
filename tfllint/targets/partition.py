"""How runtimes split a graph between an accelerator and the CPU.

`node_subsets` follows LiteRT's PartitionGraphIntoIndependentNodeSubsets: it walks the ops
in execution order and grows each subset with every op of the same kind (accelerated or
not) whose inputs are ready, so independent branches join one subset instead of each
starting a new one. The strategies then choose which accelerated subsets really run on
the accelerator (see profile.PARTITIONING).
"""
from __future__ import annotations

from ..model import Subgraph


def node_subsets(subgraph: Subgraph, supported: dict[int, bool],
                 available: set[int]) -> list[tuple[bool, list[int]]]:
    """(accelerated, op indices) subsets in the order they run.

    `available` holds the tensors with a value before any op runs (inputs, constants,
    variables); it is not modified.
    """
    produced = set(available)
    remaining = [op.index for op in subgraph.operators]
    operators = subgraph.operators
    subsets: list[tuple[bool, list[int]]] = []
    kind = supported.get(remaining[0], False) if remaining else False
    while remaining:
        members: list[int] = []
        grew = True
        while grew:
            grew = False
            for index in list(remaining):
                op = operators[index]
                ready = all(t < 0 or t in produced for t in op.inputs)
                if supported.get(index, False) == kind and ready:
                    members.append(index)
                    remaining.remove(index)
                    produced.update(op.outputs)
                    grew = True
        if not members and not any(
                all(t < 0 or t in produced for t in operators[i].inputs) for i in remaining):
            # nothing can ever become ready (a cycle or a missing producer): keep file order
            members, remaining = remaining, []
        if members:
            subsets.append((kind, sorted(members)))
        kind = not kind
    return subsets


def transitions(subsets: list[tuple[bool, list[int]]], delegated: set[int]) -> int:
    """CPU <-> accelerator hand-overs when the subsets run in order."""
    count, previous = 0, None
    for _, members in subsets:
        on_target = members[0] in delegated
        if previous is not None and on_target != previous:
            count += 1
        previous = on_target
    return count
