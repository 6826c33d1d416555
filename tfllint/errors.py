"""Errors a user can cause; the CLI turns each into one message and exit code 2."""
from __future__ import annotations


class TfllintError(Exception):
    """Base of every error tfllint reports to the user as a message, not a traceback."""


class UsageError(TfllintError):
    """Bad command-line arguments or option values."""


class ConfigError(TfllintError):
    """A configuration file or target profile that cannot be used as written."""


class ModelReadError(TfllintError):
    """A model file that cannot be read: missing, truncated, corrupt, or not a model."""

    def __init__(self, path: str, problem: str) -> None:
        super().__init__(f"{path}: {problem}")
        self.path = path
        self.problem = problem


def raised_at(error: BaseException) -> str:
    """`file.py:line` of the innermost frame that raised `error`, or "" without a traceback:
    where a bug of ours or of a plugin is, in one line instead of a traceback."""
    import os
    import traceback  # here, not at the top: a run that raises nothing does not need it

    frames = traceback.extract_tb(error.__traceback__)
    return f"{os.path.basename(frames[-1].filename)}:{frames[-1].lineno}" if frames else ""
