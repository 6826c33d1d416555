"""Checks of the Hexagon delegate (profile rules/targets/hexagon.toml).

They mirror IsNodeSupportedByHexagon (google-ai-edge/LiteRT@f67457790c9c
tflite/delegates/hexagon/utils.cc). The delegate returns a bare yes or no and logs nothing
per op, so no reason carries tool words.
"""
from __future__ import annotations

from typing import Iterator

from . import OpContext, op_check

U8, I8, I32, I64 = "UINT8", "INT8", "INT32", "INT64"
Q8 = (U8, I8)
# InputsWithCorrectTypes: the op must have exactly this many inputs, input i one of the
# types listed (an absent optional input, -1, passes). None: the input may also be absent
# (kTfLiteNoType). Ops with every input 8-bit whatever their count are in ALL_INPUTS_8_BIT.
INPUT_TYPES: dict[str, tuple[tuple[str | None, ...], ...]] = {
    "ADD": (Q8, Q8), "MUL": (Q8, Q8), "SUB": (Q8, Q8),
    "MINIMUM": (Q8, Q8), "MAXIMUM": (Q8, Q8),
    "MEAN": (Q8, (I32,)), "MIRROR_PAD": (Q8, (I32,)), "PAD": (Q8, (I32,)),
    "FULLY_CONNECTED": (Q8, Q8, (I32, None)),
    "CONV_2D": (Q8, Q8, (I32,)), "DEPTHWISE_CONV_2D": (Q8, Q8, (I32,)),
    "MAX_POOL_2D": (Q8,), "AVERAGE_POOL_2D": (Q8,), "SOFTMAX": (Q8,),
    "HARD_SWISH": (Q8,), "RELU": (Q8,), "RELU6": (Q8,), "TANH": (Q8,), "LOGISTIC": (Q8,),
    "L2_NORMALIZATION": (Q8,), "NEG": (Q8,), "SPACE_TO_DEPTH": (Q8,),
    "DEPTH_TO_SPACE": (Q8,), "QUANTIZE": (Q8,),
    "RESIZE_NEAREST_NEIGHBOR": (Q8, (I32,)), "RESIZE_BILINEAR": (Q8, (I32,)),
    "ARG_MAX": (Q8, (I32,)), "ARG_MIN": (Q8, (I32,)), "TRANSPOSE": (Q8, (I32,)),
    "SPLIT": ((I32,), Q8),
    "SLICE": (Q8, (I32, I64), (I32, I64)),
    "STRIDED_SLICE": (Q8, (I32,), (I32,), (I32,)),
    "SQUARED_DIFFERENCE": ((I8,), (I8,)), "RSQRT": ((I8,),),
}
TRANSPOSE_CONV_TYPES = {3: ((I32,), Q8, Q8), 4: ((I32,), Q8, Q8, (I32,))}
ALL_INPUTS_8_BIT = ("CONCATENATION", "PACK")


def _input(ctx: OpContext, position: int):
    return ctx.tensor(ctx.op.inputs[position]) if position < len(ctx.op.inputs) else None


@op_check("hexagon-input-types",
          fix="Quantize the model to 8 bits throughout (uint8 or int8 data), with INT32 shapes, "
              "axes and biases as the converter writes them.")
def input_types(ctx: OpContext) -> Iterator[str]:
    """Inputs must have the count and types IsNodeSupportedByHexagon asks of the op (8-bit
    data, INT32 shapes, axes and biases), constants included."""
    name = ctx.op.opcode.name
    if name in ALL_INPUTS_8_BIT:
        for position, tensor in enumerate(ctx.inputs()):
            if tensor is not None and tensor.dtype not in Q8:
                yield (f"input {position} ('{tensor.name}') is {tensor.dtype}; Hexagon takes "
                       "UINT8 or INT8")
        return
    if name == "RESHAPE":
        first = _input(ctx, 0)
        if len(ctx.op.inputs) > 2:
            yield f"{len(ctx.op.inputs)} inputs; Hexagon takes at most 2"
        if first is not None and first.dtype not in Q8:
            yield f"input 0 ('{first.name}') is {first.dtype}; Hexagon takes UINT8 or INT8"
        return
    expected = (TRANSPOSE_CONV_TYPES.get(len(ctx.op.inputs)) if name == "TRANSPOSE_CONV"
                else INPUT_TYPES.get(name))
    if expected is None or len(expected) != len(ctx.op.inputs):
        counts = ("3 or 4" if name == "TRANSPOSE_CONV"
                  else str(len(INPUT_TYPES[name])) if name in INPUT_TYPES else None)
        if counts:
            yield f"{len(ctx.op.inputs)} inputs; Hexagon takes {name} with {counts}"
        return
    for position, allowed in enumerate(expected):
        tensor = _input(ctx, position)
        if tensor is not None and tensor.dtype not in allowed:
            types = " or ".join(t for t in allowed if t)
            yield f"input {position} ('{tensor.name}') is {tensor.dtype}; Hexagon takes {types}"


@op_check("hexagon-fc-weights",
          fix="Quantize FULLY_CONNECTED weights per tensor, not per channel (convert with "
              "_experimental_disable_per_channel = True).")
def fc_weights(ctx: OpContext) -> Iterator[str]:
    """FULLY_CONNECTED weights must be quantized per tensor: no per-channel or blockwise
    quantization."""
    weights = _input(ctx, 1)
    quantization = weights.quantization if weights is not None else None
    if quantization is None:
        return
    if quantization.details == "BlockwiseQuantization":
        yield "blockwise-quantized weights are not supported by Hexagon"
    elif len(quantization.scale) > 1:
        yield (f"per-channel quantized weights ({len(quantization.scale)} scales); Hexagon "
               "needs one scale for FULLY_CONNECTED")


@op_check("hexagon-max-pool-window",
          fix="With SAME padding keep the max pool window at most 12x12, or use VALID padding.")
def max_pool_window(ctx: OpContext) -> Iterator[str]:
    """MAX_POOL_2D with SAME padding takes windows of at most 12x12."""
    options = ctx.op.options
    w, h = options.get("filter_width", 0), options.get("filter_height", 0)
    if options.get("padding") == "SAME" and (w >= 13 or h >= 13):
        yield f"a {w}x{h} window with SAME padding; Hexagon takes at most 12x12 there"


@op_check("hexagon-depthwise",
          fix="Use depth multiplier 1, kernels at least 2 high, and dilation only with stride 1.")
def depthwise(ctx: OpContext) -> Iterator[str]:
    """DEPTHWISE_CONV_2D: dilation only with stride 1; depth multiplier 1 (or, undilated, a
    4-D input of one channel); weights at least 2 high."""
    options = ctx.op.options
    dilated = options.get("dilation_w_factor", 1) != 1 or options.get("dilation_h_factor", 1) != 1
    strides = (options.get("stride_w", 0), options.get("stride_h", 0))
    if dilated and strides != (1, 1):
        yield f"dilation with stride {strides[0]}x{strides[1]}; Hexagon dilates with stride 1 only"
    first, weights = _input(ctx, 0), _input(ctx, 1)
    multiplier = options.get("depth_multiplier", 0)
    single_channel = first is not None and len(first.shape) == 4 and first.shape[3] == 1
    if multiplier != 1 and (dilated or not single_channel):
        yield (f"depth multiplier {multiplier}; Hexagon takes 1 (or more only undilated on a "
               "one-channel input)")
    if weights is not None and len(weights.shape) >= 2 and weights.shape[1] < 2:
        yield f"weights {weights.shape[1]} high; Hexagon needs at least 2"


@op_check("hexagon-resize-size",
          fix="Give RESIZE_BILINEAR a constant size of exactly two values (height, width).")
def resize_size(ctx: OpContext) -> Iterator[str]:
    """RESIZE_BILINEAR's size holds exactly two values."""
    size = _input(ctx, 1)
    if size is not None and size.element_count != 2:
        yield f"size has {size.element_count} values; Hexagon needs 2 (height, width)"
