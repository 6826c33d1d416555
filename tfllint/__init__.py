"""tfllint: a static analyzer and linter for TensorFlow Lite / LiteRT models.

    import tfllint
    report = tfllint.lint("models/", target="coral", runtime_version="2.16")
    report.exit_code, report.findings
    tfllint.inspect("models/cnn_int8.tflite")["inputs"]
    tfllint.diff("old.tflite", "new.tflite", target="coral").document
"""
from __future__ import annotations

__version__ = "0.1.0"

from .pipeline import Report, inspect, lint  # noqa: E402  (the version comes first)


def __getattr__(name: str):
    # tfllint.diff is imported on first use: a lint never needs it, and every import counts
    # in a run that takes a tenth of a second.
    if name == "diff":
        from .model_diff import diff

        return diff
    raise AttributeError(f"module 'tfllint' has no attribute {name!r}")


__all__ = ["lint", "inspect", "diff", "Report", "__version__"]
