"""Affine quantization parameters as LiteRT reads them (shared by TFL205-TFL209; not a rule)."""
from __future__ import annotations

import math
import weakref
from typing import Callable, Iterator, NamedTuple, Sequence

from tfllint.model import Operator, Quantization, Tensor

# The zero points LiteRT accepts per tensor type. The interpreter stores every zero point
# as an int32_t (interpreter_builder.cc, ParseQuantization), so none may leave that range.
# Each range holds 0 (TFL206 passes over all-zero zero points without looking them up).
INT32_MIN, INT32_MAX = -(2 ** 31), 2 ** 31 - 1
ZERO_POINT_RANGES = {
    "INT8": (-128, 127),
    "UINT8": (0, 255),
    # Quantized int16 is symmetric: LiteRT's int16 kernels check the zero point is 0
    # (kernels/add.cc, conv.cc, fully_connected.cc, dequantize.cc, quantize.cc, ...).
    "INT16": (0, 0),
    "INT4": (-8, 7),
    "UINT4": (0, 15),
    "INT2": (-2, 1),
    "UINT16": (0, 65535),
    "INT32": (INT32_MIN, INT32_MAX),
    "INT64": (INT32_MIN, INT32_MAX),
}
INTEGER_TYPES = frozenset(ZERO_POINT_RANGES) | {"UINT32", "UINT64"}

# Ops whose constant input is a weight matrix multiplied into the activations, and where
# their activation input and bias are: (input, weights, bias) positions in op.inputs.
WEIGHT_OPS = {
    "CONV_2D": (0, 1, 2),
    "DEPTHWISE_CONV_2D": (0, 1, 2),
    "FULLY_CONNECTED": (0, 1, 2),
    "TRANSPOSE_CONV": (2, 1, 3),  # inputs: output_shape, weights, input, bias
    "CONV_3D": (0, 1, 2),
    "CONV_3D_TRANSPOSE": (2, 1, 3),
    "BATCH_MATMUL": (0, 1, None),
}


def affine(tensor: Tensor) -> Quantization | None:
    """The tensor's per-tensor or per-axis parameters, when LiteRT reads them as affine.

    ParseQuantization ignores the scale and zero_point vectors of blockwise and
    multi-axis quantization, and reads no quantization at all when the scale is empty."""
    quantization = tensor.quantization
    if quantization is None or quantization.details is not None or not quantization.scale:
        return None
    return quantization


# Per model, the lists below: five rules walk them, and a model can have 25,000 tensors.
_PER_VIEW: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()


def _once_per_view(view, name: str, compute: Callable[[object], Iterator]) -> tuple:
    found = _PER_VIEW.setdefault(view, {})
    if name not in found:
        found[name] = tuple(compute(view))
    return found[name]


def quantized_tensors(view) -> tuple[tuple[int, Tensor, Quantization], ...]:
    """Every tensor of every subgraph with affine parameters: the interpreter parses all."""
    return _once_per_view(view, "quantized_tensors", _quantized_tensors)


def weight_uses(view) -> tuple[WeightUse, ...]:
    """Every op of WEIGHT_OPS, in every subgraph, that has its weights input."""
    return _once_per_view(view, "weight_uses", _weight_uses)


# LiteRT's kernels of these ops take the bias scale to be input scale * weight scale; only
# GetQuantizedConvolutionMultipler (kernels/kernel_util.cc) reads the stored one, and it
# is called for a FULLY_CONNECTED with per-tensor weights (fully_connected.cc PrepareImpl)
# and for the convolutions of a UINT8 input (PopulateConvolutionQuantizationParams).
BIAS_SCALE_OPS = frozenset({"FULLY_CONNECTED", "CONV_2D", "DEPTHWISE_CONV_2D",
                            "TRANSPOSE_CONV"})


def bias_scale_read(use: WeightUse) -> bool:
    """Whether LiteRT's builtin kernel of `use` reads its bias's stored scale."""
    if use.op.name == "FULLY_CONNECTED":
        weights = use.weights.quantization
        return weights is not None and len(weights.scale) == 1
    return use.op.name not in BIAS_SCALE_OPS or (
        use.input is not None and use.input.dtype == "UINT8")


# GetQuantizedConvolutionMultipler's limit: Prepare fails when
# |input_scale * filter_scale - bias_scale| / output_scale > 0.02.
KERNEL_LIMIT = 0.02


def kernel_bias_check(use: WeightUse) -> float | None:
    """|input scale * weight scale - bias scale| / output scale, as LiteRT's builtin
    kernel computes it to check the bias's stored scale (GetQuantizedConvolutionMultipler,
    with the tensors' legacy per-tensor parameters: the scale of a per-tensor one, 0 of a
    per-channel bias), or None where it does not check it: the kernel reads the stored
    scale only there (bias_scale_read) and computes with input scale * weight scale."""
    if use.bias is None or not bias_scale_read(use):
        return None
    tensors = (use.input, use.weights, use.output)
    if any(t is None or affine(t) is None or len(t.quantization.scale) != 1 for t in tensors):
        return None  # the kernel refuses before, or TFL205 / TFL207 judge these
    input_scale, weight_scale, output_scale = (t.quantization.scale[0] for t in tensors)
    if not output_scale > 0:
        return None  # TFL205's
    bias_scales = use.bias.quantization.scale if affine(use.bias) else ()
    bias_scale = bias_scales[0] if len(bias_scales) == 1 else 0.0
    return abs(input_scale * weight_scale - bias_scale) / output_scale


def kernel_refuses_bias_scale(use: WeightUse) -> bool:
    """Whether the check of kernel_bias_check fails (a NaN fails it)."""
    ratio = kernel_bias_check(use)
    return ratio is not None and not ratio <= KERNEL_LIMIT


def harmless_bias_scales(view) -> set[tuple[int, int]]:
    """(subgraph, tensor index) of the biases whose stored scale changes nothing: every
    kernel that reads them (a convolution or FULLY_CONNECTED) takes the bias scale to be
    input scale * weight scale and does not refuse the stored one (TFL205 leaves them to
    TFL209's warning)."""
    harmless, harmful = set(), set()
    for use in weight_uses(view):
        if use.bias is not None:
            key = (use.op.subgraph, use.op.inputs[WEIGHT_OPS[use.op.name][2]])
            ignored = use.op.name in BIAS_SCALE_OPS and not kernel_refuses_bias_scale(use)
            (harmless if ignored else harmful).add(key)
    return harmless - harmful


def _quantized_tensors(view) -> Iterator[tuple[int, Tensor, Quantization]]:
    for subgraph in view.subgraphs:
        index = subgraph.index
        for tensor in subgraph.tensors:
            # affine(tensor), written out: this runs for every tensor of the model
            quantization = tensor.quantization
            if (quantization is not None and quantization.details is None
                    and quantization.scale):
                yield index, tensor, quantization


class WeightUse(NamedTuple):
    """One op of WEIGHT_OPS with its activation input, weights and bias (None if absent)."""

    op: Operator
    input: Tensor | None
    weights: Tensor
    bias: Tensor | None
    output: Tensor | None


def _weight_uses(view) -> Iterator[WeightUse]:
    for subgraph in view.subgraphs:
        tensors = subgraph.tensors
        for op in subgraph.operators:
            positions = WEIGHT_OPS.get(op.opcode.name)
            if positions is None:
                continue
            input_position, weights_position, bias_position = positions
            weights = _tensor_at(tensors, op.inputs, weights_position)
            if weights is not None:
                yield WeightUse(op, _tensor_at(tensors, op.inputs, input_position), weights,
                                _tensor_at(tensors, op.inputs, bias_position),
                                _tensor_at(tensors, op.outputs, 0))


def _tensor_at(tensors: Sequence[Tensor], indices: Sequence[int],
               position: int | None) -> Tensor | None:
    """The tensor at `position` of an op's input or output list; None when absent (-1)."""
    if position is None or position >= len(indices) or indices[position] < 0:
        return None
    return tensors[indices[position]]


def positive_finite(values: Sequence[float]) -> bool:
    """Every value is a positive finite number (two passes in C, no loop in Python)."""
    # A NaN or an infinity makes the sum non-finite; float32 values cannot overflow it.
    return math.isfinite(sum(values)) and min(values) > 0


def first_failing(values: Sequence, failing: Callable[[object], bool]) -> tuple[int, int]:
    """(index of the first value that fails, how many fail); (-1, 0) when none does."""
    first, count = -1, 0
    for index, value in enumerate(values):
        if failing(value):
            count += 1
            if first < 0:
                first = index
    return first, count


def share(count: int, total: int, what: str) -> str:
    """' (3 of 16 scales)' after a per-axis value; nothing for a per-tensor one."""
    return f" ({count} of {total} {what})" if total > 1 else ""


def indexed(name: str, index: int, total: int) -> str:
    """'scale' for a per-tensor value, 'scale[3]' for a per-axis one."""
    return f"{name}[{index}]" if total > 1 else name


def number(value: float) -> str:
    """A float32 value printed so that two different float32 values never look the same."""
    return f"{value:.9g}"
