"""Installed entry points of one group (rule plugins, output formats), found without
importlib.metadata; and the modules of a package, found without pkgutil.

Importing importlib.metadata costs about 17 ms on a small machine (it pulls in email, zipfile,
csv and socket), a fifth of the whole run on a small model; this reads the same
`entry_points.txt` files directly. It follows importlib.metadata where that matters: the
`*.dist-info` and `*.egg-info` directories of every sys.path directory, in sys.path order,
and a distribution found twice counts once (the first one, as Python imports it).
Distributions inside zip files on sys.path are not searched. (pkgutil.iter_modules
imports inspect, and with it ast, dis and tokenize: 5 ms, on every run that loads rules.)
"""
from __future__ import annotations

import importlib
import os
import re
import sys
from functools import lru_cache
from typing import Any, NamedTuple

METADATA_SUFFIXES = (".dist-info", ".egg-info")


class EntryPoint(NamedTuple):
    """`name = module` or `name = module:attribute` from a distribution's entry_points.txt."""

    name: str
    value: str
    group: str

    def load(self) -> Any:
        module_name, _, attribute = self.value.partition(":")
        target: Any = importlib.import_module(module_name.strip())
        for part in filter(None, attribute.strip().split(".")):
            target = getattr(target, part)
        return target


def entry_points(group: str) -> list[EntryPoint]:
    """Every entry point of `group`, in sys.path order, then file order."""
    return [entry for entry in _all_entry_points(tuple(sys.path)) if entry.group == group]


@lru_cache(maxsize=4)  # rules and output formats are looked up in one scan of sys.path
def _all_entry_points(path: tuple[str, ...]) -> tuple[EntryPoint, ...]:
    found: list[EntryPoint] = []
    seen: set[str] = set()
    for directory in path:
        for metadata in _metadata_directories(directory or "."):
            distribution = _normalized_name(metadata)
            if distribution in seen:
                continue
            seen.add(distribution)
            found.extend(_read_entry_points(os.path.join(directory or ".", metadata,
                                                         "entry_points.txt")))
    return tuple(found)


def _metadata_directories(directory: str) -> list[str]:
    try:
        names = os.listdir(directory)
    except OSError:  # not a directory (a zip file), or gone
        return []
    return sorted(name for name in names if name.endswith(METADATA_SUFFIXES))


def _normalized_name(metadata_directory: str) -> str:
    """`Foo_Bar-1.0.dist-info` -> `foo_bar`, as importlib.metadata compares them."""
    stem = metadata_directory.rsplit(".", 1)[0].split("-", 1)[0]
    return re.sub(r"[-_.]+", "_", stem).lower()


def _read_entry_points(path: str) -> list[EntryPoint]:
    try:
        with open(path, encoding="utf-8") as handle:
            lines = handle.read().splitlines()
    except (OSError, UnicodeDecodeError):
        return []
    section = None
    found = []
    for line in lines:
        line = line.strip()
        if not line or line.startswith(("#", ";")):
            continue
        if line.startswith("[") and line.endswith("]"):
            section = line[1:-1].strip()
        elif section is not None and "=" in line:
            name, value = (part.strip() for part in line.split("=", 1))
            found.append(EntryPoint(name, value, section))
    return found


def package_modules(package_paths: list[str]) -> list[str]:
    """The names of the modules and subpackages in a package's directories (its
    `__path__`), sorted, as pkgutil.iter_modules finds them in a file system."""
    names = set()
    for directory in package_paths:
        try:
            entries = os.listdir(directory)
        except OSError:
            continue
        for entry in entries:
            if entry.endswith(".py") and entry != "__init__.py":
                names.add(entry[:-3])
            elif entry.isidentifier() and os.path.isfile(
                    os.path.join(directory, entry, "__init__.py")):
                names.add(entry)
    return sorted(name for name in names if name.isidentifier())
