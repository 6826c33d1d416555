"""Release numbers like 2.16.1 as comparable tuples."""
from __future__ import annotations

import re

from .errors import ConfigError

VERSION = re.compile(r"^\d+(\.\d+){0,2}$")


def parse_version(text: str, what: str = "runtime version") -> tuple[int, ...]:
    """(2, 16) from "2.16"; a ConfigError names `what` when the text is not a version."""
    text = str(text).strip()
    if not VERSION.match(text):
        raise ConfigError(f"{what} {text!r} is not a version like 2.11 or 2.16.1")
    return tuple(int(part) for part in text.split("."))


def format_version(version: tuple[int, ...]) -> str:
    return ".".join(str(part) for part in version)


def covers(runtime: tuple[int, ...], required: tuple[int, ...]) -> bool:
    """Does a runtime of release `runtime` (2.11 meaning any 2.11.x) reach `required`?"""
    return runtime + (999,) * (len(required) - len(runtime)) >= required
