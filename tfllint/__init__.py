"""tfllint: a static analyzer and linter for TensorFlow Lite / LiteRT models."""
from __future__ import annotations

__version__ = "0.1.0"
