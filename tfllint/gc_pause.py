"""Pause Python's cyclic garbage collector around work that builds many acyclic objects."""
from __future__ import annotations

import gc
from contextlib import contextmanager
from typing import Iterator


@contextmanager
def cyclic_gc_paused() -> Iterator[None]:
    """Decoding and linting a model make hundreds of thousands of small objects without
    reference cycles; the cyclic collector would scan them again and again for cycles
    they cannot have (a quarter to a third of the run on a 10,000-op model). Reference
    counting still frees everything, and collection resumes afterwards."""
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()
