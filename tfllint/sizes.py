"""Byte sizes as people write them: parse "256KiB", "8MB", "1.5GiB" and print them back.

Decimal units are powers of 1000 (kB, MB, GB: as flash and SRAM datasheets often count),
binary units powers of 1024 (KiB, MiB, GiB: as linker maps and arena sizes count).
Units are case-insensitive; a bare "K", "M" or "G" is refused as ambiguous, and so is a
fraction of a byte without a unit ("1.5": 1.5 KiB? 1.5 MiB?).
"""
from __future__ import annotations

import re

UNITS = {"": 1, "b": 1,
         "kb": 1000, "mb": 1000 ** 2, "gb": 1000 ** 3,
         "kib": 1024, "mib": 1024 ** 2, "gib": 1024 ** 3}
SIZE = re.compile(r"^\s*(?P<number>[0-9]+(?:\.[0-9]*)?|\.[0-9]+)\s*(?P<unit>[a-z]*)\s*$",
                  re.IGNORECASE)
EXAMPLES = "256KiB, 8MB, 1.5GiB or 1048576 (bytes)"
BINARY_UNITS = ("KiB", "MiB", "GiB", "TiB", "PiB", "EiB")


def parse_size(value: object) -> int:
    """Bytes of a size given as a whole number of bytes or as text with a unit.

    Raises ValueError with a message that says what was wrong and what is accepted.
    """
    if isinstance(value, bool):
        raise ValueError(f"expected a size like {EXAMPLES}, got {value!r}")
    if isinstance(value, int):
        written, unit = str(value), ""
    elif isinstance(value, float) and not value.is_integer():
        written, unit = repr(value), ""  # a TOML `memory-budget = 1.5`: say what is wrong
    elif isinstance(value, str) and (match := SIZE.match(value)):
        written, unit = match["number"], match["unit"].lower()
    else:
        raise ValueError(f"expected a size like {EXAMPLES}, got {value!r}")
    if unit not in UNITS:
        hint = (f"; write {unit.upper()}B (powers of 1000) or {unit.upper()}iB (powers of "
                "1024)" if unit in ("k", "m", "g") else "")
        raise ValueError(f"unknown unit {unit!r} in {value!r}{hint}; units: "
                         "B, kB, MB, GB, KiB, MiB, GiB")
    from fractions import Fraction  # here: most runs give no size, and it imports decimal

    number = Fraction(written)  # exact: a float would round byte counts past 2**53
    if UNITS[unit] == 1 and number.denominator != 1:
        raise ValueError(f"a size in bytes must be a whole number, got {value!r}; did you "
                         f"mean {written}KiB or {written}MiB?")
    # Round down what a unit makes a fraction of a byte ("0.3KiB" is 307.2 bytes): a budget
    # is a capacity that whole byte counts are compared against, and n <= 307.2 exactly when
    # n <= 307, so the floor gates the same models as the figure written. Rounding up (or to
    # the nearest) would pass a 308-byte arena; refusing would turn away "0.1MiB".
    size = int(number * UNITS[unit])
    if size < 1:
        raise ValueError(f"a size must be at least 1 byte, got {value!r}")
    return size


def human_bytes(count: int | None) -> str:
    """A byte count in binary units, one decimal: 1.5 KiB, 3.0 MiB; under 1 KiB in bytes.

    Integer arithmetic throughout: a hostile model's sizes can be too large for a float."""
    if count is None:
        return "?"
    sign = "-" if count < 0 else ""
    size = abs(count)
    if size < 1024:
        return f"{sign}{size} B"
    for power, unit in enumerate(BINARY_UNITS, start=1):
        scale = 1024 ** power
        if size < 1024 * scale or unit == BINARY_UNITS[-1]:
            tenths = (size * 10 + scale // 2) // scale  # rounded to one decimal
            return f"{sign}{tenths // 10}.{tenths % 10} {unit}"
    raise AssertionError("unreachable")


def exact_bytes(count: int) -> str:
    """A byte count as a person reads it with the exact figure: "80.6 KiB (82,528 bytes)"."""
    if abs(count) < 1024:
        return f"{count:,} bytes"
    return f"{human_bytes(count)} ({count:,} bytes)"
