"""Helpers shared by the TFL3xx target rules (not a rule module: the name starts with _)."""
from __future__ import annotations

from tfllint.engine.rule import Location


def op_location(verdict) -> Location:
    return Location(subgraph=verdict.subgraph, op_index=verdict.op_index, op=verdict.op)


def reasons_text(verdict) -> str:
    """Every reason, tfllint's words first and the real tool's in quotes after."""
    parts = []
    for reason in verdict.reasons:
        parts.append(reason.message + (f" (the tool says: \"{reason.tool}\")" if reason.tool
                                       else ""))
    return "; ".join(parts)
