"""TFL206: a zero point its tensor type cannot hold (or, for int16, one that is not 0)."""
from __future__ import annotations

from typing import Iterator

from tfllint.engine.rule import RuleContext, Violation, rule

from ._locations import at_tensor, tensor_label
from ._quant_params import ZERO_POINT_RANGES, first_failing, indexed, quantized_tensors, share

# LiteRT's XNNPACK delegate accepts 8 as the zero point of per-channel INT4 weights
# (CheckZeroPointForPerChannelQuantization, xnnpack_delegate.cc) and, like the builtin
# kernels, never reads it: converters that write it are not at fault.
INT4_PER_CHANNEL_EXTRA = 8


@rule(id="TFL206", name="zero-point-out-of-range", severity="error",
      untrusted_severity="error",
      evidence=(
          "runtime: tests/test_rule_evidence.py (LiteRT's default XNNPACK delegate refuses "
          "the zero point)"))
def check(ctx: RuleContext) -> Iterator[Violation]:
    """A quantized tensor whose zero point lies outside what its type can hold.

    What it finds:
        Zero points outside their tensor type's range: INT8 -128..127, UINT8 0..255,
        INT4 -8..7, UINT4 0..15, INT2 -2..1, UINT16 0..65535, INT32 and INT64 the int32
        range (the interpreter keeps zero points as int32). INT16 quantization is
        symmetric: its only valid zero point is 0. (Per-channel INT4 weights may also
        carry 8, which LiteRT's XNNPACK delegate accepts and no kernel reads.)

    Why it matters:
        The zero point is the integer that stands for real 0; one the type cannot
        represent means no stored value is zero and the kernels' offset arithmetic
        (`q - zero_point`) leaves the range it was written for. The XNNPACK delegate
        fails on such tensors ("unsupported zero-point value (200) for INT8 tensor 0 in
        XNNPACK delegate"; with ai-edge-litert 2.3 allocate_tensors() then fails). For
        INT16, LiteRT's int16 kernels check the zero point is 0
        (TF_LITE_ENSURE_EQ in kernels/add.cc, sub.cc, mul.cc, conv.cc,
        depthwise_conv.cc, fully_connected.cc, transpose_conv.cc, concatenation.cc,
        quantize.cc, dequantize.cc, ...) and the model fails at allocate_tensors().

    Example:
        tensor 'input' (#0), INT8: zero_point is 200; INT8 takes -128..127

    How to fix:
        Re-quantize with a converter that matches the tensor type: a uint8 zero point
        written on an int8 tensor is shifted by 128; int16 activations need symmetric
        quantization (16x8 mode of the TFLite converter).
    """
    for subgraph, tensor, quantization in quantized_tensors(ctx.view):
        zero_points = quantization.zero_point
        # all 0 (or none): in every type's range, and the common case (weights, biases,
        # symmetric activations), which one pass tells where min() and max() take two
        if not any(zero_points):
            continue
        limits = ZERO_POINT_RANGES.get(tensor.dtype)
        if limits is None:
            continue
        low, high = limits
        if low <= min(zero_points) and max(zero_points) <= high:
            continue
        extra = (INT4_PER_CHANNEL_EXTRA if tensor.dtype == "INT4" and quantization.per_channel
                 else None)
        first, count = first_failing(
            zero_points, lambda value: not low <= value <= high and value != extra)
        if first < 0:
            continue
        total = len(zero_points)
        symmetric = low == high == 0
        allowed = "0 (int16 quantization is symmetric)" if symmetric else f"{low}..{high}"
        consequence = ("; LiteRT's int16 kernels refuse it at allocate_tensors()"
                       if symmetric else "")
        yield Violation(
            f"tensor {tensor_label(tensor)}, {tensor.dtype}: "
            f"{indexed('zero_point', first, total)} is {zero_points[first]}"
            f"{share(count, total, 'zero points')}; {tensor.dtype} takes {allowed}"
            f"{consequence}",
            at_tensor(subgraph, tensor), cause=f"{tensor.dtype} zero point{consequence}",
            fix=f"re-quantize so the zero point is within {allowed}")
