"""TFL210: constant floating-point data holding NaN or infinity."""
from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Iterator

from tfllint.engine.rule import Option, RuleContext, Violation, rule
from tfllint.model import Tensor

from ._locations import at_tensor, tensor_label

if TYPE_CHECKING:
    import numpy

# Each type read as an unsigned integer of its width, and its exponent bits: all of them
# are set for infinity and NaN and for nothing else (IEEE 754; bfloat16 is the top half of
# a float32).
EXPONENT_BITS = {
    "FLOAT16": ("<u2", 0x7C00), "BFLOAT16": ("<u2", 0x7F80),
    "FLOAT32": ("<u4", 0x7F800000), "FLOAT64": ("<u8", 0x7FF0000000000000),
}
# The values' last byte (sign and top exponent bits, little-endian) where a NaN or an
# infinity can start: for float16 exactly those, for the others a superset (|x| >= 2^127
# for float32) that the exact scan then sorts out.
SUSPECT_TOP_BYTES = {
    "FLOAT16": bytes(b for b in range(256) if b & 0x7C == 0x7C),
    "BFLOAT16": b"\x7f\xff", "FLOAT32": b"\x7f\xff", "FLOAT64": b"\x7f\xff",
}
# Up to this many bytes of float constants in a model, a look at the top bytes in plain
# Python (some 6 ms per 4 MB) beats importing numpy (some 85 ms); past it numpy scans.
PYTHON_LOOK_BYTES = 16 << 20
# Values per numpy step: bounds the scratch memory (8 MB at most) whatever the size.
CHUNK = 1 << 20


@dataclass(frozen=True)
class NonFinite:
    nan: int
    infinite: int
    first: int  # index of the first reported value among the stored values; -1: none


@rule(id="TFL210", name="non-finite-constant", severity="error", options=[
    Option("allow-infinity", bool, False,
           "report only NaN, not +-inf (for models with deliberate -inf masks)")])
def check(ctx: RuleContext) -> Iterator[Violation]:
    """Constant floating-point weights that hold NaN or infinity.

    What it finds:
        FLOAT32, FLOAT16, BFLOAT16 and FLOAT64 constants (data stored in the file)
        with NaN or +-inf values; the message counts both and gives the first position.
        With the option `allow-infinity`, only NaN is reported.

    Why it matters:
        One NaN weight makes every output it reaches NaN; an infinite one gives inf or
        NaN (inf * 0, inf - inf). Training that diverged, a bad checkpoint, or a float16
        conversion of values above 65504 leave them, and the interpreter does not look:
        the model loads and returns garbage. (A model may hold -inf on purpose, as an
        attention mask; `allow-infinity` is for those.)

    Example:
        constant 'dense/kernel' (#5), FLOAT32 [128, 64]: 3 NaN and 0 infinite values of
        8192, the first at [17, 2].

    How to fix:
        Find where the values come from: check the checkpoint for NaN/inf (e.g.
        `numpy.isfinite(w).all()` per variable), clip before a float16 conversion, and
        re-export.
    """
    view = ctx.view
    allow_infinity = ctx.options["allow-infinity"]
    constants = [(subgraph.index, tensor) for subgraph in view.subgraphs
                 for tensor in subgraph.tensors
                 if tensor.dtype in EXPONENT_BITS and view.is_constant(tensor)]
    small = sum(view.buffer_of(t).size for _, t in constants) <= PYTHON_LOOK_BYTES
    for subgraph, tensor in constants:
        data = view.buffer_bytes(view.buffer_of(tensor))
        unsigned, exponent = EXPONENT_BITS[tensor.dtype]
        itemsize = int(unsigned[2:])  # "<u4": 4 bytes
        if not len(data) or len(data) % itemsize:
            continue  # nothing stored here (external data), or TFL008's problem
        if small and not _suspect(data, itemsize, SUSPECT_TOP_BYTES[tensor.dtype]):
            continue
        bits = _stored_bits(view, tensor, data)
        if not small and not _any_non_finite(bits, exponent):
            continue
        found = _count(bits, exponent, allow_infinity)
        if found.first < 0:
            continue  # no non-finite value after all, or only infinities that are allowed
        yield Violation(_message(tensor, found, bits.size, allow_infinity),
                        at_tensor(subgraph, tensor), cause="non-finite values",
                        fix="find where the NaN/inf values come from (checkpoint, float16 "
                            "overflow) and re-export")


_OTHER_BYTES = {suspects: bytes(b for b in range(256) if b not in suspects)
                for suspects in SUSPECT_TOP_BYTES.values()}


def _suspect(data: memoryview, itemsize: int, suspects: bytes) -> bool:
    """Some value's top byte is one a NaN or an infinity has (plain Python, no copy of the
    data beyond one byte per value)."""
    top_bytes = data[itemsize - 1::itemsize].tobytes()
    return bool(top_bytes.translate(None, _OTHER_BYTES[suspects]))


def _stored_bits(view, tensor: Tensor, data: memoryview) -> numpy.ndarray:
    """The stored values as flat unsigned integers over the mapped file (no copy)."""
    import numpy

    values = view.tensor_data(tensor)
    unsigned = EXPONENT_BITS[tensor.dtype][0]
    if values is not None:
        return values.reshape(-1).view(unsigned)
    return numpy.frombuffer(data, dtype=unsigned)  # BFLOAT16: numpy has no such type


def _any_non_finite(bits: numpy.ndarray, exponent: int) -> bool:
    """True when some value has every exponent bit set: one pass of numpy over the data."""
    import numpy

    scratch = numpy.empty(min(CHUNK, bits.size), dtype=bits.dtype)
    for start in range(0, bits.size, CHUNK):
        chunk = bits[start:start + CHUNK]
        masked = scratch[:chunk.size]
        numpy.bitwise_and(chunk, exponent, out=masked)
        if masked.max() == exponent:
            return True
    return False


def _count(bits: numpy.ndarray, exponent: int, allow_infinity: bool) -> NonFinite:
    """NaN and infinity counts and the first position reported; run only on a bad tensor."""
    import numpy

    # Everything but the sign bit: above the exponent bits is NaN, equal is infinity.
    magnitude_mask = bits.dtype.type((1 << (bits.dtype.itemsize * 8 - 1)) - 1)
    nan = infinite = 0
    first = -1
    scratch = numpy.empty(min(CHUNK, bits.size), dtype=bits.dtype)
    for start in range(0, bits.size, CHUNK):
        chunk = bits[start:start + CHUNK]
        magnitude = scratch[:chunk.size]
        numpy.bitwise_and(chunk, magnitude_mask, out=magnitude)
        is_nan = magnitude > exponent
        is_infinite = magnitude == exponent
        nan += int(numpy.count_nonzero(is_nan))
        infinite += int(numpy.count_nonzero(is_infinite))
        if first < 0:
            reported = is_nan if allow_infinity else is_nan | is_infinite
            hits = numpy.flatnonzero(reported)
            if hits.size:
                first = start + int(hits[0])
    return NonFinite(nan=nan, infinite=infinite, first=first)


def _message(tensor: Tensor, found: NonFinite, stored: int, allow_infinity: bool) -> str:
    import numpy

    if stored == tensor.element_count and tensor.shape:
        index = [int(i) for i in numpy.unravel_index(found.first, tensor.shape)]
        position = f"at {index}"
    else:  # sparse, or a shape that does not match the data: the position in the buffer
        position = f"at stored value {found.first}"
    first = "the first NaN" if allow_infinity else "the first"
    return (f"constant {tensor_label(tensor)}, {tensor.dtype} {list(tensor.shape)}: "
            f"{found.nan} NaN and {found.infinite} infinite values of {stored}, {first} "
            f"{position}")
