"""TFL208: int8 constant weights with a zero point other than 0."""
from __future__ import annotations

from typing import Iterator

from tfllint.engine.rule import RuleContext, Violation, rule

from ._locations import at_op, tensor_label
from ._quant_params import WeightUse, affine, first_failing, indexed, share, weight_uses


@rule(id="TFL208", name="asymmetric-int8-weights", severity="error",
      evidence=(
          "runtime: tests/test_rule_evidence.py (LiteRT's default XNNPACK delegate refuses "
          "the weights)"))
def check(ctx: RuleContext) -> Iterator[Violation]:
    """Int8 constant weights of a convolution or matrix multiplication whose zero point is not 0.

    What it finds:
        Constant INT8 weights (input 1) of CONV_2D, DEPTHWISE_CONV_2D, FULLY_CONNECTED,
        TRANSPOSE_CONV, CONV_3D, CONV_3D_TRANSPOSE and BATCH_MATMUL with a non-zero zero
        point in range (out-of-range ones are TFL206's), per tensor or in any channel,
        in full-integer and dynamic-range (hybrid) models alike.

    Why it matters:
        TFLite's int8 quantization specification says weights are symmetric, "forced to
        have zero-point equal to 0", with values in [-127, 127]
        (tflite/g3doc/performance/quantization_spec.md in the LiteRT repository, "Symmetric
        vs asymmetric" and the CONV_2D / DEPTHWISE_CONV_2D / FULLY_CONNECTED entries:
        "restriction: zero_point = 0"), and LiteRT's kernels rely on it:
        CONV_2D's Prepare refuses the filter for int8 and int16 inputs (kernels/conv.cc
        logs "affine_quantization->zero_point->data[i] != 0 (5 != 0)" and
        allocate_tensors() fails); DEPTHWISE_CONV_2D and per-channel
        FULLY_CONNECTED never read the zero point (`weights_offset = 0`), so the results
        are silently wrong; the XNNPACK delegate fails on per-channel weights with any
        non-zero zero point ("unsupported zero-point value (5) in channel 1 of INT8 tensor
        1 in XNNPACK delegate", and then allocate_tensors() fails in ai-edge-litert 2.3)
        and refuses such FULLY_CONNECTED and BATCH_MATMUL nodes. The message says which
        case applies. Not reported: the per-tensor weights of an int8 FULLY_CONNECTED,
        which LiteRT's builtin kernel computes right (it takes the zero point as the
        weights' offset).

    Example:
        int8 weights 'conv/filter' (#1) of CONV_2D have zero_point[1] 5 (1 of 16
        channels); TFLite's int8 spec wants symmetric weights (zero point 0); LiteRT's
        CONV_2D kernel refuses it at allocate_tensors().

    How to fix:
        Quantize the weights symmetrically: the TFLite converter does; for a custom
        quantizer, scale = max(|w|) / 127 with zero point 0.
    """
    view = ctx.view
    for use in weight_uses(view):
        weights = use.weights
        quantization = affine(weights)
        if weights.dtype != "INT8" or quantization is None or not weights.is_constant:
            continue
        zero_points = quantization.zero_point
        if not any(zero_points):
            continue
        first, count = first_failing(zero_points, lambda value: value != 0
                                     and -128 <= value <= 127)
        if first < 0 or _exact(use, len(zero_points) > 1):
            continue
        total = len(zero_points)
        yield Violation(
            f"int8 weights {tensor_label(weights)} of {use.op.name} have "
            f"{indexed('zero_point', first, total)} {zero_points[first]}"
            f"{share(count, total, 'channels')}; TFLite's int8 spec wants symmetric "
            f"weights (zero point 0){_consequence(use, total > 1)}",
            at_op(use.op, weights), cause=f"asymmetric {use.op.name} weights",
            fix="quantize the weights symmetrically (zero point 0, values in -127..127)")


def _consequence(use: WeightUse, per_channel: bool) -> str:
    """What LiteRT does with the zero point (kernels/*.cc, xnnpack_delegate.cc)."""
    name = use.op.name
    integer_input = use.input is not None and use.input.dtype in ("INT8", "INT16")
    if name == "CONV_2D" and integer_input:
        return "; LiteRT's CONV_2D kernel refuses it at allocate_tensors()"
    if per_channel:
        return ("; LiteRT's XNNPACK delegate fails on it and the builtin kernels ignore it, "
                "computing wrong values")
    if name == "DEPTHWISE_CONV_2D" and integer_input:
        return "; LiteRT's DEPTHWISE_CONV_2D kernel ignores it, computing wrong values"
    return ""


def _exact(use: WeightUse, per_channel: bool) -> bool:
    """A per-tensor int8 FULLY_CONNECTED of an INT8 input: LiteRT's builtin kernel takes
    the zero point as the weights' offset and computes what the file means (XNNPACK
    declines the node); tests/test_rules_quant_params.py compares it with the file's
    numbers."""
    return (use.op.name == "FULLY_CONNECTED" and not per_channel
            and use.input is not None and use.input.dtype == "INT8")
