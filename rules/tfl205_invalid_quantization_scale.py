"""TFL205: a quantization scale that is zero, negative, NaN or infinite."""
from __future__ import annotations

import math
from typing import Iterator

from tfllint.engine.rule import RuleContext, Violation, rule
from tfllint.model import Tensor

from ._locations import at_tensor, tensor_label
from ._quant_params import (INTEGER_TYPES, first_failing, indexed, number, positive_finite,
                            quantized_tensors, share, harmless_bias_scales)


def invalid(scale: float) -> bool:
    return not (math.isfinite(scale) and scale > 0)


@rule(id="TFL205", name="invalid-quantization-scale", severity="error",
      untrusted_severity="error",
      evidence=(
          "runtime: tests/test_rule_evidence.py (a zero or negative weight scale runs, and "
          "the output is levels away from what the file's numbers mean; a zero scale makes "
          "its channel a constant, whatever the input); tests/test_rules_quant_params.py "
          "(a QUANTIZE requantizing 8-bit values to such a scale crashes ai-edge-litert)"))
def check(ctx: RuleContext) -> Iterator[Violation]:
    """A quantized tensor with a scale that is not a positive finite number.

    What it finds:
        Integer tensors (INT8, UINT8, INT16, INT32, INT4, ...) with affine quantization
        where a scale is zero, negative, NaN or infinite. For per-channel parameters the
        message names the first bad channel and how many there are. Not the bias of a
        convolution or FULLY_CONNECTED whose LiteRT kernel computes with input scale *
        weight scale instead and does not refuse the stored one (TFL209 warns about
        it).

    Why it matters:
        A real value is `scale * (q - zero_point)`: a zero scale makes every value zero,
        a negative one flips signs, NaN or infinity poisons everything downstream. The
        builtin kernels do not check: they build fixed-point multipliers from the scale
        ratios and run with whatever comes out. The XNNPACK delegate requires
        `std::isnormal(scale) && scale > 0` (xnnpack_delegate.cc): it leaves such an op
        to the slower builtin kernels or, for some tensors, fails the whole model
        ("unsupported scale value (nan) in channel 0 for INT8 tensor 0 in XNNPACK
        delegate", then allocate_tensors() fails in ai-edge-litert 2.3); a QUANTIZE that
        requantizes 8-bit values to such a scale crashes ai-edge-litert 2.3 (SIGSEGV).
        NPU compilers refuse it (Vela: "Quantization scale of any tensor must be
        positive"). The old
        post-training quantizer (tflite/tools/optimize/quantization_utils.cc,
        SymmetricPerChannelQuantization) writes scale 0 for a channel whose weights are
        all zero; the message says so when that is the case.

    Example:
        tensor 'conv/filter' (#3), INT8: scale[5] is 0 (2 of 16 scales); a quantization
        scale must be a positive finite number; channel 5 of its data is all zeros

    How to fix:
        Re-quantize the model with a current converter. For a channel whose weights are
        all zero any positive scale (1.0) gives the same values; otherwise the scale has
        to come from the data's range (calibration).
    """
    view = ctx.view
    harmless = requantized = None
    for subgraph, tensor, quantization in quantized_tensors(view):
        if tensor.dtype not in INTEGER_TYPES:
            continue
        scales = quantization.scale
        if positive_finite(scales):
            continue
        if harmless is None:  # found on the first invalid scale: most models have none
            harmless, requantized = harmless_bias_scales(view), _requantized(view)
        if (subgraph, tensor.index) in harmless:
            continue  # the kernels compute with another scale: TFL209 warns
        first, count = first_failing(scales, invalid)
        total = len(scales)
        note = ""
        if scales[first] == 0 and _channel_is_zero(view, tensor, quantization, first):
            note = (f"; channel {first} of its data is all zeros" if total > 1
                    else "; its data is all zeros")
        crash = CRASH if (subgraph, tensor.index) in requantized else ""
        yield Violation(
            f"tensor {tensor_label(tensor)}, {tensor.dtype}: "
            f"{indexed('scale', first, total)} is {number(scales[first])}"
            f"{share(count, total, 'scales')}; a "
            f"quantization scale must be a positive finite number{note}{crash}",
            at_tensor(subgraph, tensor), cause=f"invalid {tensor.dtype} scale{note}{crash}",
            fix="re-quantize the model; a channel of all-zero weights can take scale 1.0")


# ai-edge-litert 2.3.0 crashes (SIGSEGV) on an INT8 or UINT8 QUANTIZE of an INT8 or UINT8
# input whose output scale is 0, negative or NaN (tests/test_rules_quant_params.py):
# quantize.cc Prepare builds the requantization multiplier from input scale / output scale
# unchecked (QuantizeMultiplier), and Eval's Requantize runs with it.
REQUANTIZED = frozenset({"INT8", "UINT8"})
CRASH = ("; ai-edge-litert crashes on it (SIGSEGV) in QUANTIZE's requantization "
         "(tflite/kernels/quantize.cc)")


def _requantized(view) -> set[tuple[int, int]]:
    """(subgraph, tensor) of the outputs of QUANTIZE ops that requantize 8-bit values."""
    found = set()
    for op in view.operators():
        if op.name == "QUANTIZE" and op.inputs and op.outputs and min(op.inputs[0],
                                                                      op.outputs[0]) >= 0:
            source = view.tensor(op.subgraph, op.inputs[0])
            target = view.tensor(op.subgraph, op.outputs[0])
            if source.dtype in REQUANTIZED and target.dtype in REQUANTIZED:
                found.add((op.subgraph, op.outputs[0]))
    return found


def _channel_is_zero(view, tensor: Tensor, quantization, channel: int) -> bool:
    """True when the constant's slice at `channel` of the quantized dimension is all zero."""
    if not tensor.is_constant or tensor.sparsity is not None:
        return False
    data = view.tensor_data(tensor)
    if data is None or data.shape != tuple(tensor.shape):
        return False
    axis = quantization.quantized_dimension
    if len(quantization.scale) == 1:
        return not data.any()
    if not 0 <= axis < data.ndim or channel >= data.shape[axis]:
        return False
    return not data[(slice(None),) * axis + (channel,)].any()
