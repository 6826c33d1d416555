"""Find and read the configuration file: tfllint.toml or [tool.tfllint] in pyproject.toml.

The search starts in the current directory and walks up to the filesystem root; in each
directory tfllint.toml is preferred to pyproject.toml. A pyproject.toml without a
[tool.tfllint] table is passed over.
"""
from __future__ import annotations

import os
from typing import Any

from ..errors import ConfigError
from ..records import replace
from ..toml_files import read_toml as read_toml_file
from .settings import Settings, settings_from_mapping


def read_toml(path: str) -> dict[str, Any]:
    try:
        return read_toml_file(path, path)
    except OSError as error:
        raise ConfigError(f"{path}: {error.strerror or error}") from None


def config_table(path: str) -> dict[str, Any] | None:
    """The tfllint settings in `path`, or None for a pyproject.toml without them."""
    document = read_toml(path)
    if os.path.basename(path) == "pyproject.toml":
        table = document.get("tool", {}).get("tfllint")
        if table is not None and not isinstance(table, dict):
            raise ConfigError(f"{path}: [tool.tfllint] must be a table")
        return table
    return document


def find_config(start: str) -> str | None:
    """The first tfllint.toml, or pyproject.toml with [tool.tfllint], from `start` up."""
    directory = os.path.realpath(start)
    while True:
        for name in ("tfllint.toml", "pyproject.toml"):
            candidate = os.path.join(directory, name)
            if os.path.isfile(candidate) and config_table(candidate) is not None:
                return candidate
        parent = os.path.dirname(directory)
        if parent == directory:
            return None
        directory = parent


def load_settings(config_path: str | None, use_config: bool = True,
                  start: str | None = None) -> Settings:
    """Settings from the named config file, or from the one found from `start` upward."""
    if config_path:
        path = os.path.normpath(config_path)
        if not os.path.isfile(path):
            raise ConfigError(f"--config {config_path}: no such file")
    elif use_config:
        found = find_config(start or os.getcwd())
        if found is None:
            return Settings()
        path = found
    else:
        return Settings()
    table = config_table(path)
    if table is None:
        raise ConfigError(f"{path}: has no [tool.tfllint] table")
    settings = settings_from_mapping(table, path)
    # Paths in the file are relative to the file, wherever tfllint is run from.
    base_directory = os.path.dirname(path) or "."
    rules_paths = tuple(os.path.join(base_directory, rules_path)
                        for rules_path in settings.rules_paths)
    return replace(settings, config_path=path, base_directory=base_directory,
                   rules_paths=rules_paths)
