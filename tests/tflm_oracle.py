"""The real TFLite Micro (the PyPI package tflite-micro) as an oracle for arena figures.

Shared by tests/test_arena_differential.py, tests/test_tflm_differential.py (which only
needs `require_interpreter`) and bench/arena.py. Every probe runs in a subprocess: a
failed TFLITE_CHECK aborts the process.
"""
from __future__ import annotations

import re
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

VERSION = "0.dev20261023182759"  # the tflite-micro tested against (the oracle extra's)
PROBE = r'''
import sys
from tflite_micro.python.tflite_micro import runtime
data = open(sys.argv[1], "rb").read()
interpreter = runtime.Interpreter.from_bytes(data, arena_size=int(sys.argv[2]))
interpreter.print_allocations()
'''
FIGURE = re.compile(r"Arena allocation (total|head|tail) (\d+) bytes")


def require_interpreter(needed_by: str) -> None:
    """Skip the calling test module, saying why, when the interpreter cannot run."""
    import pytest

    pytest.importorskip("tflite_micro", reason=f"{needed_by} needs the tflite-micro "
                        f"interpreter: pip install tflite-micro=={VERSION} (Linux x86_64 "
                        "wheels only)")
    try:  # the package imports without its native interpreter; the probes need that too
        from tflite_micro.python.tflite_micro import runtime  # noqa: F401 (import check)
    except ImportError as error:
        pytest.skip(f"tflite-micro is installed but its interpreter does not load: {error}",
                    allow_module_level=True)


@dataclass(frozen=True)
class Measured:
    total: int  # print_allocations' figures with a generous arena
    head: int
    tail: int
    minimum: int  # the smallest arena_size that works


def probe(path: Path, arena: int) -> dict[str, int] | None:
    """print_allocations' figures with this arena, or None when the model does not fit
    (or does not load at all)."""
    done = subprocess.run([sys.executable, "-c", PROBE, str(path), str(arena)],
                          capture_output=True, text=True, timeout=120)
    if done.returncode != 0:
        return None
    return {name: int(value) for name, value in FIGURE.findall(done.stdout + done.stderr)}


def measure(path: Path, estimate: int) -> Measured | None:
    """The interpreter's figures and, by binary search between half and twice the figures
    (about 15 probes), the smallest arena that works; None when TFLM refuses the model
    (missing kernel, hybrid op, ...)."""
    generous = max(1 << 20, 16 * path.stat().st_size, 4 * estimate) // 16 * 16
    report = probe(path, generous)
    if report is None:
        return None
    low = min(report["total"], estimate) // 2  # fails: below head + tail
    high = max(report["total"], estimate) * 2
    if probe(path, high) is None:
        high = generous
    while high - low > 1:
        middle = (low + high) // 2
        if probe(path, middle) is None:
            low = middle
        else:
            high = middle
    return Measured(report["total"], report["head"], report["tail"], high)
