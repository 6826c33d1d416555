"""Output formats, found through the `tfllint.reporters` entry-point group.

A reporter is a class with a `render(run: RunResult) -> str` method. It receives only the
report data (tfllint.report), never rules or models, so a new format needs no change
anywhere else.
"""
from __future__ import annotations

from dataclasses import dataclass
from importlib.metadata import entry_points
from typing import Any, Protocol

from ..errors import ConfigError, UsageError

ENTRY_POINT_GROUP = "tfllint.reporters"


@dataclass(frozen=True)
class RunResult:
    reports: list[dict[str, Any]]
    summary: dict[str, Any]
    fail_on: str
    tool_version: str


class Reporter(Protocol):
    def render(self, run: RunResult) -> str: ...


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
