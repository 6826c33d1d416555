"""Helpers shared by the TFL4xx memory rules (not a rule module: the name starts with _)."""
from __future__ import annotations

from tfllint.analyses.arena import ArenaPlan
from tfllint.analyses.budget import Budget
from tfllint.engine.rule import Location
from tfllint.sizes import exact_bytes, human_bytes

LISTED = 5  # tensors named in a message; the rest are counted


def budget_text(budget: Budget) -> str:
    """ "the memory budget of 64.0 KiB (65,536 bytes)" """
    return f"{budget.source} of {exact_bytes(budget.bytes)}"


def named_sizes(items: list[tuple[str, int]], limit: int = LISTED) -> str:
    """ "'a' 32.0 KiB, 'b' 16.0 KiB and 3 more (1.2 KiB)", in the order given."""
    shown = [f"{name} {human_bytes(size)}" for name, size in items[:limit]]
    rest = items[limit:]
    if rest:
        shown.append(f"{len(rest)} more ({human_bytes(sum(size for _, size in rest))})")
    if len(shown) > 1:
        return ", ".join(shown[:-1]) + " and " + shown[-1]
    return shown[0] if shown else "nothing"


def quoted(name: str, index: int) -> str:
    """A tensor's name in quotes, #index when it has none; a planner's own buffer (index
    -1, such as a kernel's scratch buffer) by its description."""
    if index < 0:
        return name or "a runtime buffer"
    return f"'{name}'" if name else f"#{index}"


def live_at_peak_text(plan: ArenaPlan) -> str:
    return named_sizes([(quoted(t.name, t.index), t.bytes) for t in plan.live_at_peak])


def peak_location(view, plan: ArenaPlan) -> Location:
    """The op at the peak of subgraph 0's timeline, or the model when there is none."""
    operators = view.main.operators if view.subgraphs else ()
    if plan.peak_op is None or not 0 <= plan.peak_op < len(operators):
        return Location()
    op = operators[plan.peak_op]
    return Location(subgraph=0, op_index=op.index, op=op.name)


def constant_sizes(view, tensors=None) -> list[tuple[str, int]]:
    """(quoted name, bytes) of each constant buffer, largest first; a buffer several
    tensors share counts once, under its first tensor's name. `tensors`: (subgraph, Tensor)
    pairs to count; all of the model's by default."""
    if tensors is None:
        tensors = [(s.index, t) for s in view.subgraphs for t in s.tensors]
    by_buffer: dict[int, tuple[str, int]] = {}
    for _, tensor in tensors:
        size = view.buffer_of(tensor).size
        if size > 0 and tensor.buffer not in by_buffer:
            by_buffer[tensor.buffer] = (quoted(tensor.name, tensor.index), size)
    return sorted(by_buffer.values(), key=lambda item: -item[1])
