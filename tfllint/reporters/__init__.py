"""Output formats, found through the `tfllint.reporters` entry-point group.

A reporter is a class with a `render(report: Report, display: Display) -> str` method.
It receives only the report data (tfllint.pipeline.Report, in the JSON contract's shape),
never rules or models, so a new format needs no change anywhere else. `display` says how
a person wants to read it; formats for programs ignore it.
"""
from __future__ import annotations

from typing import Any, Protocol

from ..entry_points import entry_points
from ..errors import ConfigError, UsageError
from ..pipeline import Report
from ..records import record

ENTRY_POINT_GROUP = "tfllint.reporters"


@record
class Display:
    """How the text report is laid out (the lint options --show, --quiet, --statistics)."""

    show: frozenset[str] = frozenset()  # findings (uncut), memory, io, ops
    quiet: bool = False
    statistics: bool = False
    width: int = 100
    colour: bool = False


class Reporter(Protocol):
    def render(self, report: Report, display: Display) -> str: ...


def available_formats() -> dict[str, Any]:
    return {entry.name: entry for entry in entry_points(group=ENTRY_POINT_GROUP)}


def get_reporter(name: str) -> Reporter:
    formats = available_formats()
    if name not in formats:
        raise UsageError(f"unknown format {name!r}; available: {', '.join(sorted(formats))}")
    try:
        return formats[name].load()()
    except Exception as error:
        raise ConfigError(f"reporter {name!r} failed to load: {error}") from error
