"""A one-line progress count on a terminal, for runs long enough to wonder about."""
from __future__ import annotations

import time
from typing import TextIO

SHOW_AFTER_SECONDS = 0.5  # a quicker run shows nothing
REDRAW_SECONDS = 0.1


class ProgressBar:
    """`linting 123/1000 models`, redrawn in place on `stream` once the run has taken
    SHOW_AFTER_SECONDS, and erased by close(). Call it as progress(done, total)."""

    def __init__(self, stream: TextIO) -> None:
        self.stream = stream
        self.started = time.monotonic()
        self.drawn_at: float | None = None
        self.width = 0

    def __call__(self, done: int, total: int) -> None:
        now = time.monotonic()
        if now - self.started < SHOW_AFTER_SECONDS or done == total or \
                (self.drawn_at is not None and now - self.drawn_at < REDRAW_SECONDS):
            return
        line = f"tfllint: linting {done}/{total} models"
        self.stream.write("\r" + line.ljust(self.width))
        self.stream.flush()
        self.width, self.drawn_at = max(self.width, len(line)), now

    def close(self) -> None:
        if self.width:
            self.stream.write("\r" + " " * self.width + "\r")
            self.stream.flush()
            self.width = 0
