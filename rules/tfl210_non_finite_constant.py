"""TFL210: constant floating-point data holding NaN or infinity."""
from __future__ import annotations

from typing import TYPE_CHECKING, Iterator

from tfllint.engine.rule import Option, RuleContext, Violation, rule
from tfllint.model import Tensor
from tfllint.records import record

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
# Python (some 2 ms per 4 MB) beats importing numpy (some 85 ms); past it numpy scans.
PYTHON_LOOK_BYTES = 16 << 20
# Values per numpy step: bounds the scratch memory (8 MB at most) whatever the size.
CHUNK = 1 << 20
LOOK_CHUNK_BYTES = 1 << 20  # bytes per step of the plain-Python look


@record
class NonFinite:
    nan: int
    infinite: int
    first: int  # index of the first reported value among the stored values; -1: none
    negative: int = 0  # how many of the infinite values are -inf


# How an op uses an infinite constant operand, checked against LiteRT and TFLite Micro by
# tests/test_runtime_semantics.py. Harmless: the result is what the graph means.
# - MINIMUM with +inf, MAXIMUM with -inf: a clamp with no bound on that side (what
#   clip_by_value to an infinite limit converts to): min(x, +inf) = x.
# - a comparison: x < inf is well defined.
# - a -inf attention mask, added (ADD) or filled in (SELECT/SELECT_V2, tf.where), whose
#   result reaches only SOFTMAX-like ops: exp(-inf) = 0.
# Defects: weights and biases (inf * 0 = NaN, inf - inf = NaN), MINIMUM with -inf or
# MAXIMUM with +inf (every output infinite), any other use (inf or NaN results).
CLAMP_KEEPS = {"MINIMUM": "+inf", "MAXIMUM": "-inf"}  # the op: the infinity that bounds nothing
SELECTS = {"SELECT", "SELECT_V2"}
COMPARISONS = {"LESS", "LESS_EQUAL", "GREATER", "GREATER_EQUAL", "EQUAL", "NOT_EQUAL"}
WEIGHTED = {"CONV_2D", "DEPTHWISE_CONV_2D", "FULLY_CONNECTED", "TRANSPOSE_CONV", "CONV_3D",
            "CONV_3D_TRANSPOSE", "BATCH_MATMUL", "LSTM", "UNIDIRECTIONAL_SEQUENCE_LSTM",
            "BIDIRECTIONAL_SEQUENCE_LSTM", "SVDF", "RNN", "UNIDIRECTIONAL_SEQUENCE_RNN",
            "EMBEDDING_LOOKUP"}
# A -inf mask added to scores is harmless when the sum only flows, through ops that move or
# add values, into ops where exp(-inf) = 0 or a maximum ignores it.
MASK_PASSES = {"ADD", "RESHAPE", "SQUEEZE", "EXPAND_DIMS", "TRANSPOSE", "BROADCAST_TO",
               "SELECT", "SELECT_V2"}
MASK_ENDS = {"SOFTMAX", "LOG_SOFTMAX", "REDUCE_MAX", "ARG_MAX", "MAX_POOL_2D"}


@rule(id="TFL210", name="non-finite-constant", severity="error", evidence=(
    "runtime: tests/test_runtime_semantics.py (LiteRT and TFLite Micro give NaN or inf "
    "outputs for NaN and infinite weights, and right ones for the infinities the rule "
    "leaves alone)"), options=[
    Option("allow-infinity", bool, False,
           "report only NaN, not +-inf (for deliberate infinities the rule does not "
           "recognise as such)")])
def check(ctx: RuleContext) -> Iterator[Violation]:
    """Constant floating-point data holding NaN, or infinities the ops reading it do not mean.

    What it finds:
        FLOAT32, FLOAT16, BFLOAT16 and FLOAT64 constants (data stored in the file)
        with NaN, always; and with +-inf, unless every op reading them uses the
        infinity as intended: MINIMUM with +inf or MAXIMUM with -inf (a clamp bound
        that bounds nothing, as clip_by_value converts), a comparison, or a -inf
        attention mask, added (ADD) to scores or filled in (SELECT/SELECT_V2), that
        reaches only a softmax or a maximum. Infinities in weights or biases (conv,
        fully connected, batch matmul, ...), in float16 data that overflowed, in
        MINIMUM with -inf or MAXIMUM with +inf, or in any other use are reported. The
        message counts NaN and infinite values, gives the first position and says
        which case it is. With the option `allow-infinity`, only NaN is reported.

    Why it matters:
        One NaN weight makes every output it reaches NaN; an infinite weight gives inf
        or NaN (inf * 0, inf - inf). Training that diverged, a bad checkpoint, or a
        float16 conversion of values above 65504 leave them, and neither LiteRT nor
        TFLite Micro looks: the model loads and returns garbage. The intended uses above
        compute what the graph means on both (min(x, +inf) = x; exp(-inf) = 0).

    Example:
        constant 'dense/kernel' (#5), FLOAT32 [128, 64]: 3 NaN and 0 infinite values of
        8192, the first at [17, 2]: NaN propagates: every output it reaches is NaN.

    How to fix:
        Find where the values come from: check the checkpoint for NaN/inf (e.g.
        `numpy.isfinite(w).all()` per variable), clip before a float16 conversion, and
        re-export.
    """
    view = ctx.view
    allow_infinity = ctx.options["allow-infinity"]
    constants = [(subgraph.index, tensor) for subgraph in view.subgraphs
                 for tensor in subgraph.tensors
                 if tensor.dtype in EXPONENT_BITS and tensor.is_constant]
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
        if found.nan:
            cause, effect = "NaN values", "NaN propagates: every output it reaches is NaN"
        else:
            defect = _infinity_defect(view, subgraph, tensor, found)
            if defect is None:
                continue  # every use of the infinities is deliberate and computes right
            cause, effect = defect
        yield Violation(f"{_message(tensor, found, bits.size, allow_infinity)}: {effect}",
                        at_tensor(subgraph, tensor), cause=cause,
                        fix="find where the NaN/inf values come from (checkpoint, float16 "
                            "overflow) and re-export")


def _infinity_defect(view, subgraph: int, tensor: Tensor,
                     found: NonFinite) -> tuple[str, str] | None:
    """(cause, why) the constant's infinities (no NaN) give wrong results, from the ops
    that read it; None when every use is deliberate (a clamp bound, a fill value, a
    comparison, a -inf mask before a softmax)."""
    signs = {"-inf"} if found.negative == found.infinite else \
        {"+inf"} if not found.negative else {"+inf", "-inf"}
    overflow = "float16 overflow (values above 65504 become inf)" \
        if tensor.dtype == "FLOAT16" else None
    pending, seen = [tensor.index], set()
    while pending:
        tensor_index = pending.pop()
        seen.add(tensor_index)
        for op in view.consumers(subgraph, tensor_index):
            positions = [n for n, t in enumerate(op.inputs) if t == tensor_index]
            where = f"{op.name} (op {op.index})"
            kind = op.opcode.name
            if kind == "DEQUANTIZE":  # float16 weights: judge the ops reading the floats
                pending.extend(t for t in op.outputs if t >= 0 and t not in seen)
                continue
            if kind in CLAMP_KEEPS:
                if signs == {CLAMP_KEEPS[kind]}:
                    continue
                wrong = "-inf" if kind == "MINIMUM" else "+inf"
                return ("an infinite clamp bound",
                        f"{where} with {wrong} makes every output {wrong}; a clamp bound that "
                        f"bounds nothing is {CLAMP_KEEPS[kind]}")
            if kind in COMPARISONS:
                continue
            # a -inf mask, added or filled in, is deliberate where only a softmax (or a
            # maximum) reads it: exp(-inf) = 0; anywhere else it is an inf in the results
            fill = kind in SELECTS and 0 not in positions
            if (kind == "ADD" or fill) and signs == {"-inf"} and \
                    _reaches_only_softmax(view, subgraph, op):
                continue
            if fill:
                return ("an infinite fill value",
                        f"{overflow or 'an infinite fill value'} of {where}: not a -inf mask "
                        "that only reaches a softmax, so its outputs are inf or NaN")
            if kind in WEIGHTED:
                return ("infinite weights",
                        f"{overflow or 'infinite weights or biases'} of {where}: its outputs "
                        "become inf or NaN (inf * 0, inf - inf)")
            if kind == "ADD":
                return ("an infinite addend",
                        f"{overflow or 'an infinite addend'} of {where}: not a -inf mask "
                        "that only reaches a softmax, so its outputs are inf or NaN")
            return ("an infinite operand",
                    f"{overflow or 'an infinite operand'} of {where}: inf or NaN results")
    return None


def _reaches_only_softmax(view, subgraph: int, add) -> bool:
    """Every path from the ADD's output runs through ops that move or add values into an
    op where a -inf entry is ignored (softmax: exp(-inf) = 0; a maximum)."""
    pending, seen = [t for t in add.outputs if t >= 0], set()
    while pending:
        tensor_index = pending.pop()
        if tensor_index in seen:
            continue
        seen.add(tensor_index)
        consumers = view.consumers(subgraph, tensor_index)
        if not consumers or view.is_output(subgraph, tensor_index):
            return False  # the -inf leaves the graph (or is dropped): not a mask
        for op in consumers:
            if op.opcode.name in MASK_ENDS:
                continue
            if op.opcode.name not in MASK_PASSES:
                return False
            pending.extend(t for t in op.outputs if t >= 0)
    return True


_OTHER_BYTES = {suspects: bytes(b for b in range(256) if b not in suspects)
                for suspects in SUSPECT_TOP_BYTES.values()}


def _suspect(data: memoryview, itemsize: int, suspects: bytes) -> bool:
    """Some value's top byte is one a NaN or an infinity has (plain Python). A megabyte at
    a time is copied and then strided: five times faster than striding the mapped file
    in place, with a scratch of one megabyte whatever the size."""
    others = _OTHER_BYTES[suspects]
    for start in range(0, len(data), LOOK_CHUNK_BYTES):  # a multiple of every item size
        top_bytes = bytes(data[start:start + LOOK_CHUNK_BYTES])[itemsize - 1::itemsize]
        if top_bytes.translate(None, others):
            return True
    return False


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
    nan = infinite = negative = 0
    sign_bit = bits.dtype.type(1 << (bits.dtype.itemsize * 8 - 1))
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
        if is_infinite.any():
            negative += int(numpy.count_nonzero(chunk[is_infinite] & sign_bit))
        if first < 0:
            reported = is_nan if allow_infinity else is_nan | is_infinite
            hits = numpy.flatnonzero(reported)
            if hits.size:
                first = start + int(hits[0])
    return NonFinite(nan=nan, infinite=infinite, first=first, negative=negative)


def _message(tensor: Tensor, found: NonFinite, stored: int, allow_infinity: bool) -> str:
    import numpy

    if stored == tensor.element_count and tensor.shape:
        index = [int(i) for i in numpy.unravel_index(found.first, tensor.shape)]
        position = f"at {index}"
    elif stored == 1 and not tensor.shape:  # a scalar: its value says it all
        value = "NaN" if found.nan else "-inf" if found.negative else "+inf"
        return f"constant {tensor_label(tensor)}, {tensor.dtype} scalar: {value}"
    else:  # sparse, or a shape that does not match the data: the position in the buffer
        position = f"at stored value {found.first}"
    first = "the first NaN" if allow_infinity else "the first"
    return (f"constant {tensor_label(tensor)}, {tensor.dtype} {list(tensor.shape)}: "
            f"{found.nan} NaN and {found.infinite} infinite values of {stored}, {first} "
            f"{position}")
