"""Find and read the configuration file: tfllint.toml or [tool.tfllint] in pyproject.toml.

The search starts in the current directory and walks up to the filesystem root; in each
directory tfllint.toml is preferred to pyproject.toml. A pyproject.toml without a
[tool.tfllint] table is passed over.
"""
from __future__ import annotations

from pathlib import Path
from typing import Any

from ..errors import ConfigError
from ..records import replace
from ..toml_files import read_toml as read_toml_file
from .settings import Settings, settings_from_mapping


def read_toml(path: Path) -> dict[str, Any]:
    try:
        return read_toml_file(path, str(path))
    except OSError as error:
        raise ConfigError(f"{path}: {error.strerror or error}") from None


def config_table(path: Path) -> dict[str, Any] | None:
    """The tfllint settings in `path`, or None for a pyproject.toml without them."""
    document = read_toml(path)
    if path.name == "pyproject.toml":
        table = document.get("tool", {}).get("tfllint")
        if table is not None and not isinstance(table, dict):
            raise ConfigError(f"{path}: [tool.tfllint] must be a table")
        return table
    return document


def find_config(start: Path) -> Path | None:
    for directory in (start.resolve(), *start.resolve().parents):
        for name in ("tfllint.toml", "pyproject.toml"):
            candidate = directory / name
            if candidate.is_file() and config_table(candidate) is not None:
                return candidate
    return None


def load_settings(config_path: str | None, use_config: bool = True,
                  start: Path | None = None) -> Settings:
    """Settings from the named config file, or from the one found from `start` upward."""
    if config_path:
        path = Path(config_path)
        if not path.is_file():
            raise ConfigError(f"--config {config_path}: no such file")
    elif use_config:
        path = find_config(start or Path.cwd())
        if path is None:
            return Settings()
    else:
        return Settings()
    table = config_table(path)
    if table is None:
        raise ConfigError(f"{path}: has no [tool.tfllint] table")
    settings = settings_from_mapping(table, str(path))
    # Paths in the file are relative to the file, wherever tfllint is run from.
    rules_paths = tuple(str(path.parent / rules_path) for rules_path in settings.rules_paths)
    return replace(settings, config_path=str(path), base_directory=str(path.parent),
                   rules_paths=rules_paths)
