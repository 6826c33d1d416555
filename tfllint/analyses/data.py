"""Load the data tables shipped in tfllint.rules/data (each file cites its source)."""
from __future__ import annotations

from functools import lru_cache
from typing import Any

from ..toml_files import read_toml, shipped_file


@lru_cache(maxsize=None)
def load_data_table(name: str) -> dict[str, Any]:
    """Parse rules/data/<name>.toml."""
    return read_toml(shipped_file("data", f"{name}.toml"), f"{name}.toml")
