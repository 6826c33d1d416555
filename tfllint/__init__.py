"""tfllint: a static analyzer and linter for TensorFlow Lite / LiteRT models.

    import tfllint
    report = tfllint.lint("models/", target="coral", runtime_version="2.16")
    report.exit_code, report.findings
    tfllint.inspect("models/cnn_int8.tflite")["inputs"]
"""
from __future__ import annotations

__version__ = "0.1.0"

from .pipeline import Report, inspect, lint  # noqa: E402  (the version comes first)

__all__ = ["lint", "inspect", "Report", "__version__"]
