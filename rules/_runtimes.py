"""Which runtimes a run is about (not a rule module: the name starts with _)."""
from __future__ import annotations

from tfllint.analyses.budget import arena_planner


def tflm_in_scope(settings) -> bool:
    """TFLite Micro's own defects count: a --target runs the model on TFLite Micro (tflm,
    ethos-u*: `arena_planner = "tflm"` in its profile), or untrusted mode, where a file
    from outside may meet any runtime."""
    return bool(getattr(settings, "untrusted", False)) or arena_planner(settings) == "tflm"
