"""TFL209: a quantized bias whose scale is not input * weight scale, or zero point not 0."""
from __future__ import annotations

import math
from operator import truediv
from typing import Iterator, NamedTuple

from tfllint.engine.rule import Option, RuleContext, Violation, rule
from tfllint.model import Tensor

from ._locations import at_op, tensor_label
from ._quant_params import (KERNEL_LIMIT, WeightUse, affine, bias_scale_read, first_failing,
                            indexed, kernel_bias_check, kernel_refuses_bias_scale, number,
                            positive_finite, share, weight_uses)

# Converters store scales as float32 and compute the bias scale as the float32 (or
# float64, then rounded) product of two float32 scales: the stored value is within one
# float32 ulp (2^-23, 1.2e-7 relative) of the exact product, a few ulps for a tool that
# rounds its inputs separately. 1e-5 (some 80 ulps) leaves a wide margin for that and is
# still far below any mismatch that changes an output.
DEFAULT_TOLERANCE = 1e-5
BIAS_TYPES = frozenset({"INT32", "INT64"})
QUANTIZED_INPUTS = frozenset({"INT8", "UINT8", "INT16"})
CONV_FAMILY = frozenset({"CONV_2D", "DEPTHWISE_CONV_2D", "TRANSPOSE_CONV"})


@rule(id="TFL209", name="bias-scale-mismatch", severity="warning", options=[
    Option("relative-tolerance", float, DEFAULT_TOLERANCE,
           "largest relative difference between a bias scale and input scale * weight "
           "scale that is not reported")])
def check(ctx: RuleContext) -> Iterator[Violation]:
    """A quantized bias whose scale is not input scale * weight scale, or whose zero point is not 0.

    What it finds:
        The INT32 (INT64 in 16x8 models) bias of a quantized CONV_2D,
        DEPTHWISE_CONV_2D, FULLY_CONNECTED or TRANSPOSE_CONV whose scale, per channel,
        differs from input scale * weight scale by more than the relative tolerance
        (option `relative-tolerance`, default 1e-5), or whose zero point
        is not 0. A per-tensor bias is compared with every channel of per-channel
        weights. A constant bias whose values are all zero is not compared: its scale
        changes nothing, and the TensorFlow converter shares one such tensor between
        layers of different scales.

    Why it matters:
        TFLite's quantization specification fixes a bias's parameters to
        `(scale, zero_point) = (input0_scale * input1_scale[...], 0)`
        (tflite/g3doc/performance/quantization_spec.md): the kernels add the integer
        bias straight into the accumulator, whose unit is input scale * weight scale.
        LiteRT's int8 and int16 convolution kernels never read the bias's own scale (a
        TODO in PopulateConvolutionQuantizationParams, kernels/kernel_util.cc), and
        neither does XNNPACK, so a bias written at another scale is silently added at
        the wrong magnitude. The builtin per-tensor FULLY_CONNECTED and uint8
        convolution kernels check it (GetQuantizedConvolutionMultipler) and fail at
        allocate_tensors() with "scale_diff / output_scale <= 0.02 was not true." when
        |input scale * weight scale - bias scale| / output scale > 0.02; the message
        says when that happens. A non-zero bias zero point makes CONV_2D,
        DEPTHWISE_CONV_2D and TRANSPOSE_CONV refuse a per-tensor bias
        ("bias->params.zero_point != 0"), makes XNNPACK fail on a per-channel one, and
        is ignored otherwise.

    Example:
        bias 'conv/bias' (#2) of CONV_2D: scale[3] is 0.00200000009 but input scale *
        weight scale is 0.00100000005 (relative difference 1; 8 of 8 channels);
        LiteRT's kernels add the bias as if its scale were input scale * weight scale

    How to fix:
        Re-quantize the bias from its float values with scale = input scale * weight
        scale and zero point 0; the TFLite converter does this. A tool that changes an
        input's scale after quantizing must requantize the biases that depend on it.
    """
    tolerance = ctx.options["relative-tolerance"]
    for use in weight_uses(ctx.view):
        bias = use.bias
        if bias is None or bias.dtype not in BIAS_TYPES or affine(bias) is None:
            continue
        if any(bias.quantization.zero_point):
            yield _zero_point_violation(use)
        comparison = _comparison(use)
        # _valid after _off: _off is the test every op needs, _valid only those found off
        if (comparison is not None and _off(comparison, tolerance) and _valid(comparison)
                and not _all_zero(ctx.view, bias)):
            yield _scale_violation(comparison, tolerance)


def _zero_point_violation(use: WeightUse) -> Violation:
    bias = use.bias
    zero_points = bias.quantization.zero_point
    first, count = first_failing(zero_points, lambda value: value != 0)
    total = len(zero_points)
    if len(bias.quantization.scale) > 1:
        consequence = ("; LiteRT's XNNPACK delegate fails on it and the builtin kernels "
                       "ignore it")
    elif use.op.name in CONV_FAMILY:
        consequence = f"; LiteRT's {use.op.name} kernel refuses it at allocate_tensors()"
    else:
        consequence = "; LiteRT's kernels ignore it"
    return Violation(
        f"bias {tensor_label(bias)} of {use.op.name}: "
        f"{indexed('zero_point', first, total)} is {zero_points[first]}"
        f"{share(count, total, 'zero points')}; a quantized bias must have zero point 0"
        f"{consequence}",
        at_op(use.op, bias), cause=f"{use.op.name} bias zero point{consequence}",
        fix="re-quantize the bias with zero point 0")


class Comparison(NamedTuple):
    """One op's bias scales beside input scale * weight scales, per channel."""

    use: WeightUse
    input_scale: float
    weight_scales: tuple[float, ...]  # a per-tensor value repeated for every channel
    bias_scales: tuple[float, ...]


def _comparison(use: WeightUse) -> Comparison | None:
    source = affine(use.input) if use.input is not None else None
    weights, bias = affine(use.weights), use.bias.quantization
    if (source is None or weights is None or use.input.dtype not in QUANTIZED_INPUTS
            or len(source.scale) != 1):
        return None
    weight_scales, bias_scales = weights.scale, bias.scale
    weight_count, bias_count = len(weight_scales), len(bias_scales)
    if weight_count != bias_count:
        if weight_count != 1 and bias_count != 1:
            return None  # counts that disagree with each other are TFL207's
        # A per-tensor value stands for every channel.
        channels = max(weight_count, bias_count)
        weight_scales *= channels // weight_count
        bias_scales *= channels // bias_count
    if not positive_finite(source.scale):
        return None  # invalid scales are TFL205's (the others': _valid)
    return Comparison(use, source.scale[0], weight_scales, bias_scales)


def _valid(comparison: Comparison) -> bool:
    """The weight scales are positive finite numbers and the bias scales finite, or not
    read by the kernel: other invalid scales are TFL205's."""
    return (positive_finite(comparison.weight_scales)
            and (math.isfinite(sum(comparison.bias_scales))
                 or not bias_scale_read(comparison.use)))


def _all_zero(view, bias: Tensor) -> bool:
    """A constant bias of zeros: its scale changes nothing, and converters share one such
    tensor between layers whatever their scales (TensorFlow 2.21 does)."""
    if not bias.is_constant or bias.sparsity is not None:
        return False
    data = view.buffer_bytes(view.buffer_of(bias))
    return len(data) > 0 and data.tobytes() == bytes(len(data))


def _off(comparison: Comparison, tolerance: float) -> bool:
    """Some channel's bias scale is off by more than `tolerance`, relatively, or a weight
    scale is 0 (_valid then drops the comparison).

    |b - i*w| <= tolerance * i*w is i*(1 - tolerance) <= b/w <= i*(1 + tolerance); map()
    keeps the loop over channels in C (a model of 10,000 convolutions has hundreds of
    thousands of them, and numpy would cost more to import than it saves). The scales
    are not checked before: that would pass over the channels three more times for
    every op, where only those found off need it; on invalid scales the answer here
    does not matter, as _valid then drops the comparison."""
    try:
        ratios = list(map(truediv, comparison.bias_scales, comparison.weight_scales))
    except ZeroDivisionError:
        return True
    input_scale = comparison.input_scale
    return (min(ratios) < input_scale * (1 - tolerance)
            or max(ratios) > input_scale * (1 + tolerance)
            or not math.isfinite(sum(ratios)))  # min and max pass over a NaN


def _scale_violation(comparison: Comparison, tolerance: float) -> Violation:
    use = comparison.use
    expected = [comparison.input_scale * w for w in comparison.weight_scales]
    actual = comparison.bias_scales
    differences = [abs(b - e) / e for b, e in zip(actual, expected)]
    first, count = first_failing(differences, lambda difference: not difference <= tolerance)
    if first < 0:  # _off's test and this one can round apart right at the tolerance
        first, count = differences.index(max(differences)), 1
    channels, stored = len(actual), len(use.bias.quantization.scale)
    share_of_channels = f"; {count} of {channels} channels" if channels > 1 else ""
    return Violation(
        f"bias {tensor_label(use.bias)} of {use.op.name}: "
        f"{indexed('scale', first, stored)} is {number(actual[first])} but input "
        f"scale * weight scale is {number(expected[first])} (relative difference "
        f"{differences[first]:.3g}{share_of_channels}){_consequence(use)}",
        at_op(use.op, use.bias),
        cause=f"{use.op.name} bias scale{_consequence(use)}",
        fix="re-quantize the bias with scale = input scale * weight scale")


def _consequence(use: WeightUse) -> str:
    """What LiteRT's builtin kernel does with the mismatch."""
    if kernel_refuses_bias_scale(use):
        return (f"; LiteRT's builtin {use.op.name} kernel refuses it at allocate_tensors() "
                f"(|difference| / output scale = {kernel_bias_check(use):.3g} > "
                f"{KERNEL_LIMIT})")
    return "; LiteRT's kernels add the bias as if its scale were input scale * weight scale"
