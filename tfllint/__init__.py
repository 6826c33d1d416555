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
from .diff import diff  # noqa: E402  (the function; the module is tfllint.diff in sys.modules)

__all__ = ["lint", "inspect", "diff", "Report", "__version__"]
