"""How runtimes split a graph between an accelerator and the CPU.

`node_subsets` follows LiteRT's PartitionGraphIntoIndependentNodeSubsets: it walks the ops
in execution order and grows each subset with every op of the same kind (accelerated or
not) whose inputs are ready, so independent branches join one subset instead of each
starting a new one. The strategies then choose which accelerated subsets really run on
the accelerator (see profile.PARTITIONING). `op_runs` follows LiteRT's compiler-plugin
flow instead, where each run of consecutive selected ops in the subgraph's op order becomes
one partition.
"""
from __future__ import annotations

from ..model import Subgraph


def node_subsets(subgraph: Subgraph, supported: dict[int, bool]) -> list[tuple[bool, list[int]]]:
    """(accelerated, op indices) subsets in the order they run.

    As in LiteRT, a tensor no op writes (an input, a constant, a variable) is ready from
    the start; an op is ready once every tensor it reads is. Each subset is the closure of
    the ready ops of one kind, the first kind being that of the lowest-numbered ready op;
    kinds then alternate. This is linear in the graph's size: the runtime's own loop
    rescans every node per subset, which is quadratic for graphs that alternate often.
    """
    operators = subgraph.operators
    written = {t for op in operators for t in op.outputs}
    readers: dict[int, list[int]] = {}
    waiting: dict[int, int] = {}
    for op in operators:
        pending = {t for t in op.inputs if t >= 0 and t in written}
        waiting[op.index] = len(pending)
        for tensor in pending:
            readers.setdefault(tensor, []).append(op.index)
    ready: dict[bool, list[int]] = {True: [], False: []}
    for op in operators:
        if waiting[op.index] == 0:
            ready[supported.get(op.index, False)].append(op.index)
    done: set[int] = set()
    subsets: list[tuple[bool, list[int]]] = []
    firsts = [members[0] for members in ready.values() if members]
    kind = supported.get(min(firsts), False) if firsts else False
    while ready[True] or ready[False]:
        if not ready[kind]:
            kind = not kind
        members = []
        queue = ready[kind]
        while queue:
            index = queue.pop()
            members.append(index)
            done.add(index)
            for tensor in operators[index].outputs:
                for reader in readers.pop(tensor, ()):
                    waiting[reader] -= 1
                    if waiting[reader] == 0:
                        ready[supported.get(reader, False)].append(reader)
        subsets.append((kind, sorted(members)))
        kind = not kind
    # Ops that never become ready (a cycle, or a tensor read before any op writes it in a
    # corrupt graph) run last, in file order, grouped by kind.
    for op in operators:
        if op.index not in done:
            kind = supported.get(op.index, False)
            if subsets and subsets[-1][0] == kind and subsets[-1][1][-1] < op.index:
                subsets[-1][1].append(op.index)
            else:
                subsets.append((kind, [op.index]))
    return subsets


def op_runs(subgraph: Subgraph, supported: dict[int, bool]) -> list[tuple[bool, list[int]]]:
    """(accelerated, op indices) runs of consecutive ops of one kind, in op order.

    LiteRT's compiler-plugin flow (litert/compiler/plugin/algo.cc GroupPartitionsV2, the
    default partition strategy, at google-ai-edge/LiteRT@f67457790c9c) walks the ops in
    the subgraph's order and closes a partition at every op the plugin did not select:
    selected ops on independent branches that the file interleaves with CPU ops are
    separate partitions, each one DISPATCH_OP.
    """
    runs: list[tuple[bool, list[int]]] = []
    for op in subgraph.operators:
        kind = supported.get(op.index, False)
        if runs and runs[-1][0] == kind:
            runs[-1][1].append(op.index)
        else:
            runs.append((kind, [op.index]))
    return runs


def transitions(subsets: list[tuple[bool, list[int]]], delegated: set[int]) -> int:
    """CPU <-> accelerator hand-overs when the subsets run in order."""
    count, previous = 0, None
    for _, members in subsets:
        on_target = members[0] in delegated
        if previous is not None and on_target != previous:
            count += 1
        previous = on_target
    return count
