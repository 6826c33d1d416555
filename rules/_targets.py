"""Helpers shared by the TFL3xx target rules (not a rule module: the name starts with _)."""
from __future__ import annotations

from collections import Counter

from tfllint.engine.rule import Location

# Reasons that are consequences of other ops, not of the op itself: ops held back by
# them form one cause whatever their type ("everything after op 12 stays on the CPU").
CASCADE_REASONS = {"partition", "after-first-unsupported", "other-subgraph"}
NAMED_OPS = 4  # op types named in a summary of affected ops


def op_location(verdict) -> Location:
    return Location(subgraph=verdict.subgraph, op_index=verdict.op_index, op=verdict.op)


def reasons_text(verdict) -> str:
    """Every reason, tfllint's words first and the real tool's in quotes after."""
    parts = []
    for reason in verdict.reasons:
        parts.append(reason.message + (f" (the tool says: \"{reason.tool}\")" if reason.tool
                                       else ""))
    return "; ".join(parts)


def grouped_verdicts(result, verdict_kind: str) -> list[list]:
    """The ops of one verdict ("cpu", "blocks") on a target, one group per cause: the
    same op type, reasons and fix; ops held back only by other ops form one group."""
    groups: dict[tuple, list] = {}
    for verdict in result.ops:
        if verdict.verdict != verdict_kind:
            continue
        codes = tuple(reason.code for reason in verdict.reasons)
        op_type = None if set(codes) <= CASCADE_REASONS else verdict.op
        groups.setdefault((op_type, codes, verdict.fix), []).append(verdict)
    return list(groups.values())


def group_reasons(verdicts: list) -> str:
    """The reasons of a group: the same words for all, or the first op's as the example."""
    texts = [reasons_text(verdict) for verdict in verdicts]
    if len(set(texts)) == 1:
        return texts[0]
    return f"{texts[0]} (at op {verdicts[0].op_index}; the others alike)"


def ops_summary(verdicts) -> str:
    """'19 ops (DEQUANTIZE x10, CONV_2D x3, ...)'."""
    types = Counter(verdict.op for verdict in verdicts)
    named = ", ".join(f"{name} x{count}" for name, count in types.most_common(NAMED_OPS))
    more = ", ..." if len(types) > NAMED_OPS else ""
    return f"{len(verdicts)} op{'s' if len(verdicts) != 1 else ''} ({named}{more})"
