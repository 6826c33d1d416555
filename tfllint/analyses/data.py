"""Load the data tables shipped in tfllint.rules/data (each file cites its source)."""
from __future__ import annotations

import sys
from functools import lru_cache
from importlib import resources
from typing import Any

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - Python 3.10
    import tomli as tomllib


@lru_cache(maxsize=None)
def load_data_table(name: str) -> dict[str, Any]:
    """Parse rules/data/<name>.toml."""
    text = resources.files("tfllint.rules").joinpath("data", f"{name}.toml").read_text("utf-8")
    return tomllib.loads(text)
