"""Checks of the Android NNAPI delegate (profile rules/targets/nnapi.toml).

Each check mirrors a branch of NNAPIDelegateKernel::Validate (google-ai-edge/LiteRT@
f67457790c9c tflite/delegates/nnapi/nnapi_delegate.cc). Validate compares the device's
level with the constants of nnapi_delegate_kernel.h: Android API levels 27..31, and the
NNAPI feature levels 1000006..1000008 that an updatable NNAPI runtime reports. The level
comes from --android-api (Settings.android_api); unset, tfllint assumes
DEFAULT_ANDROID_API. The delegate assumed is the stock one: no accelerator named, no
vendor plugin. Validate's failure texts are recorded only in NNAPI_VERBOSE_VALIDATION
builds, so a normal app prints none: the docstrings quote them for searching, and no
reason claims them as the tool's words.
"""
from __future__ import annotations

from typing import Iterator

from . import OpContext, op_check

NNAPI_10, NNAPI_11, NNAPI_12, NNAPI_13 = 27, 28, 29, 30
FEATURE_LEVEL_6, FEATURE_LEVEL_7 = 1000006, 1000007
# Android 15 deprecated NNAPI. Every API level from 31 on validates the same; the feature
# levels 1000006+ are reached only with an accelerator named (see nnapi.toml).
DEFAULT_ANDROID_API = 35
LEVEL_NAMES = {27: "NNAPI 1.0, Android 8.1", 28: "NNAPI 1.1, Android 9",
               29: "NNAPI 1.2, Android 10", 30: "NNAPI 1.3, Android 11",
               31: "NNAPI feature level 5, Android 12"}

F32, F16, U8, I8, I16, I32, I64, BOOL = ("FLOAT32", "FLOAT16", "UINT8", "INT8", "INT16",
                                         "INT32", "INT64", "BOOL")
FLOAT_OR_QUANT8 = (F32, U8, I8)
FLOAT_QUANT8_OR_INT32 = (F32, U8, I8, I32)

# op -> input position -> [(first level, types Validate accepts from that level on)].
# None: from that level on the type is not checked. Ops not listed check no input types.
INPUT_TYPES: dict[str, dict[int, list[tuple[int, tuple[str, ...] | None]]]] = {
    "ADD": {0: [(27, FLOAT_OR_QUANT8), (30, FLOAT_QUANT8_OR_INT32)]},
    "MUL": {0: [(27, FLOAT_OR_QUANT8), (30, FLOAT_QUANT8_OR_INT32)]},
    "SUB": {0: [(28, (F32,)), (29, FLOAT_OR_QUANT8), (30, FLOAT_QUANT8_OR_INT32)]},
    "DIV": {0: [(28, (F32,))]},
    "ARG_MAX": {0: [(27, (F16, F32, I32, U8, I8))]},
    "ARG_MIN": {0: [(27, (F16, F32, I32, U8, I8))]},
    "AVERAGE_POOL_2D": {0: [(27, FLOAT_OR_QUANT8)]},
    "MAX_POOL_2D": {0: [(27, FLOAT_OR_QUANT8)]},
    "L2_POOL_2D": {0: [(27, (F32,))]},
    "CONV_2D": {0: [(27, (F32, U8)), (29, None)]},
    "DEPTHWISE_CONV_2D": {0: [(27, (F32, U8)), (29, None)]},
    "FULLY_CONNECTED": {0: [(27, (F32, U8)), (29, None)]},
    "HARD_SWISH": {0: [(27, FLOAT_OR_QUANT8)]},
    "SOFTMAX": {0: [(27, FLOAT_OR_QUANT8)]},
    "RESHAPE": {0: [(27, FLOAT_OR_QUANT8), (FEATURE_LEVEL_6, FLOAT_QUANT8_OR_INT32)]},
    "RESIZE_BILINEAR": {0: [(27, (F32,)), (29, FLOAT_OR_QUANT8)]},
    "RESIZE_NEAREST_NEIGHBOR": {0: [(27, FLOAT_OR_QUANT8)]},
    "L2_NORMALIZATION": {0: [(27, (F32,)), (29, None)]},
    "CONCATENATION": {0: [(27, (F16, F32, U8, I8))]},
    "RELU": {0: [(27, FLOAT_OR_QUANT8)]},
    "RELU_N1_TO_1": {0: [(27, FLOAT_OR_QUANT8)]},
    "RELU6": {0: [(27, FLOAT_OR_QUANT8)]},
    "LOGISTIC": {0: [(27, FLOAT_OR_QUANT8)]},
    "TANH": {0: [(27, (F32,)), (29, FLOAT_OR_QUANT8)]},
    "PAD": {0: [(27, FLOAT_OR_QUANT8)]},
    "PADV2": {0: [(27, FLOAT_OR_QUANT8)]},
    "STRIDED_SLICE": {0: [(27, FLOAT_OR_QUANT8)]},
    "ABS": {0: [(27, (F32,))]}, "EXP": {0: [(27, (F32,))]}, "LOG": {0: [(27, (F32,))]},
    "POW": {0: [(27, (F32,))]}, "COS": {0: [(27, (F32,))]}, "SIN": {0: [(27, (F32,))]},
    "SQRT": {0: [(27, (F32,))]},
    "RSQRT": {0: [(27, (F32,)), (FEATURE_LEVEL_7, FLOAT_OR_QUANT8)]},
    "SLICE": {0: [(27, (F32, I32, U8, I8))], 1: [(27, (I32,))], 2: [(27, (I32,))]},
    "RNN": {1: [(27, (F32,))]},
    "SVDF": {1: [(27, (F32,))]},
    "SPACE_TO_DEPTH": {0: [(27, FLOAT_OR_QUANT8)]},
    "DEPTH_TO_SPACE": {0: [(27, FLOAT_OR_QUANT8)]},
    "MEAN": {0: [(28, (F32,)), (29, FLOAT_OR_QUANT8)]},
    "EMBEDDING_LOOKUP": {1: [(27, (F32,))]},
    "MAXIMUM": {0: [(27, FLOAT_QUANT8_OR_INT32)]},
    "MINIMUM": {0: [(27, FLOAT_QUANT8_OR_INT32)]},
    "CAST": {0: [(27, (F32, I32, U8)), (30, FLOAT_QUANT8_OR_INT32)]},
    "LEAKY_RELU": {0: [(27, FLOAT_OR_QUANT8)]},
    "PRELU": {0: [(27, FLOAT_OR_QUANT8)]},
    "TILE": {0: [(27, FLOAT_QUANT8_OR_INT32)], 1: [(27, (I32,))]},
    "LOGICAL_AND": {0: [(27, (BOOL,))]}, "LOGICAL_OR": {0: [(27, (BOOL,))]},
    "LOGICAL_NOT": {0: [(27, (BOOL,))]},
    **{name: {0: [(27, (F32, U8, I8, BOOL, I32))]}
       for name in ("LESS", "LESS_EQUAL", "GREATER", "GREATER_EQUAL", "EQUAL", "NOT_EQUAL")},
    "NEG": {0: [(27, (F32, I32))]},
    "TOPK_V2": {0: [(27, FLOAT_QUANT8_OR_INT32)], 1: [(27, (I32,))]},
    "SELECT": {1: [(27, FLOAT_QUANT8_OR_INT32)]},
    "GATHER": {0: [(27, (F32, F16, I32, U8, I8))], 1: [(27, (I32,))]},
    "EXPAND_DIMS": {0: [(27, (F32, F16, I32, U8, I8))], 1: [(27, (I32,))]},
    "SPLIT": {0: [(27, (I32,))], 1: [(27, (F32, U8, I32)), (30, FLOAT_QUANT8_OR_INT32)]},
    "SPLIT_V": {0: [(27, FLOAT_QUANT8_OR_INT32)], 1: [(27, (I32,))], 2: [(27, (I32,))]},
    "LOG_SOFTMAX": {0: [(27, (F32,))]},
    "QUANTIZE": {0: [(27, FLOAT_OR_QUANT8)]},
    "REDUCE_MAX": {0: [(27, FLOAT_OR_QUANT8)]},
    "REDUCE_MIN": {0: [(27, FLOAT_OR_QUANT8)]},
    "REDUCE_PROD": {0: [(27, (F32,))]},
    "SUM": {0: [(27, (F32,))]},
    "ELU": {0: [(27, (F32,))]},
    "FILL": {0: [(27, (I32, I64))], 1: [(27, (F32, I32, I64))]},
    "PACK": {0: [(27, (F32, I8)), (FEATURE_LEVEL_6, (I32, F32, I8, U8))]},
    "UNPACK": {0: [(27, FLOAT_OR_QUANT8)]},
    "SQUARED_DIFFERENCE": {0: [(27, (F32,)), (29, (F32, U8)), (30, FLOAT_QUANT8_OR_INT32)]},
    "BATCH_MATMUL": {0: [(27, (F32, I32, I8))]},
    "MIRROR_PAD": {0: [(27, FLOAT_QUANT8_OR_INT32)]},
    "REVERSE_V2": {0: [(27, FLOAT_QUANT8_OR_INT32)]},
}
OUTPUT_TYPES: dict[str, dict[int, list[tuple[int, tuple[str, ...] | None]]]] = {
    "SOFTMAX": {0: [(27, FLOAT_OR_QUANT8)]},
    "CAST": {0: [(27, (F32, I32, U8)), (30, FLOAT_QUANT8_OR_INT32)]},
    "QUANTIZE": {0: [(27, (U8,)), (30, (U8, I8))]},
    "HASHTABLE_LOOKUP": {0: [(27, (F32,))]},
}


# -- the device's level ---------------------------------------------------------------------

def android_api(ctx: OpContext) -> int:
    """--android-api, or DEFAULT_ANDROID_API when it is not given."""
    return getattr(ctx.settings, "android_api", None) or DEFAULT_ANDROID_API


def level_text(level: int) -> str:
    if level >= FEATURE_LEVEL_6:
        return f"NNAPI feature level {level - 1000000}"
    name = LEVEL_NAMES.get(level)
    return f"Android API {level}" + (f" ({name})" if name else "")


def device_text(ctx: OpContext) -> str:
    level = android_api(ctx)
    where = level_text(level) if level >= FEATURE_LEVEL_6 else f"API {level}"
    if getattr(ctx.settings, "android_api", None):
        return f"the device runs {where} (--android-api)"
    return f"tfllint assumed {where} (pass --android-api with the device's level)"


def _min_level_check(level: int):
    def check(ctx: OpContext) -> Iterator[str]:
        if android_api(ctx) < level:
            if level == NNAPI_10:
                yield (f"the NNAPI delegate does nothing below {level_text(level)}; "
                       f"{device_text(ctx)}")
            elif level >= FEATURE_LEVEL_6:
                yield (f"{ctx.op.name} needs {level_text(level)}, which the delegate uses "
                       "only with an accelerator named on a device whose updatable NNAPI "
                       f"runtime reports it (--android-api {level}); {device_text(ctx)}")
            else:
                yield f"{ctx.op.name} needs {level_text(level)} or newer; {device_text(ctx)}"
    check.__doc__ = (f"The device must be at {level_text(level)} or newer "
                     f"(NNAPI: \"Android sdk version less than {level}\").")
    return check


def _level_fix(level: int) -> str:
    if level == NNAPI_10:
        return ("The NNAPI delegate does nothing below Android 8.1 (API 27): use another "
                "delegate (GPU, XNNPACK) on older devices.")
    if level >= FEATURE_LEVEL_6:
        return (f"{{op}} needs {level_text(level)}: name an accelerator whose updatable NNAPI "
                "runtime reports it, or write {op} with ops of NNAPI 1.3.")
    return (f"Write {{op}} with ops NNAPI runs on the oldest Android you ship to, or require "
            f"{level_text(level)} or newer (drop older devices).")


for _level in (NNAPI_10, NNAPI_11, NNAPI_12, NNAPI_13):
    op_check(f"nnapi-api-{_level}", fix=_level_fix(_level))(_min_level_check(_level))
for _level in (FEATURE_LEVEL_6, FEATURE_LEVEL_7):
    op_check(f"nnapi-feature-level-{_level - 1000000}",
             fix=_level_fix(_level))(_min_level_check(_level))


# -- tensor types ----------------------------------------------------------------------------

def _allowed(ctx: OpContext, rules: list[tuple[int, tuple[str, ...] | None]]):
    """(types accepted at the device's level or None for any, rules of later levels);
    () when the op itself is not available yet (a level check reports that)."""
    level = android_api(ctx)
    current = [types for first, types in rules if first <= level]
    if not current:
        return (), []
    return current[-1], [(first, types) for first, types in rules if first > level]


def _type_reasons(ctx: OpContext, role: str, position: int, dtype: str, name: str,
                  rules) -> Iterator[str]:
    allowed, later = _allowed(ctx, rules)
    if allowed == () or allowed is None or dtype in allowed:
        return
    newer = next((first for first, types in later if types is None or dtype in types), None)
    if newer is not None:
        yield (f"{role} {position} ('{name}') is {dtype}, which NNAPI takes for "
               f"{ctx.op.name} only from {level_text(newer)}; {device_text(ctx)}")
    else:
        yield (f"{role} {position} ('{name}') is {dtype}; NNAPI takes {' or '.join(allowed)} "
               f"for {ctx.op.name}")


@op_check("nnapi-input-types",
          fix="Give the inputs of {op} a type NNAPI takes at the device's level (the reason "
              "lists them, and the level that adds more): convert to one of them, or require "
              "that Android level.")
def input_types(ctx: OpContext) -> Iterator[str]:
    """The op's inputs must have the types Validate accepts at the device's level (table
    INPUT_TYPES; NNAPI: "Input should be Float or Quant8", "Input type not in expected
    list ...", "NNAPI only support float sub.", ...)."""
    for position, rules in INPUT_TYPES.get(ctx.op.opcode.name, {}).items():
        tensor = ctx.tensor(ctx.op.inputs[position]) if position < len(ctx.op.inputs) else None
        if tensor is not None:
            yield from _type_reasons(ctx, "input", position, tensor.dtype, tensor.name, rules)


@op_check("nnapi-output-types",
          fix="Give the outputs of {op} a type NNAPI takes at the device's level (the reason "
              "lists them): convert to one of them, or require the Android level that adds it.")
def output_types(ctx: OpContext) -> Iterator[str]:
    """The op's outputs must have the types Validate accepts (table OUTPUT_TYPES; NNAPI:
    "Output type should be one of ...", "Output should be kTfLiteUInt8.")."""
    outputs = ctx.outputs()
    for position, rules in OUTPUT_TYPES.get(ctx.op.opcode.name, {}).items():
        if position < len(outputs):
            tensor = outputs[position]
            yield from _type_reasons(ctx, "output", position, tensor.dtype, tensor.name, rules)


@op_check("nnapi-no-int32-activation",
          fix="Apply the activation as its own op after the INT32 {op}: NNAPI fuses none into "
              "INT32 arithmetic.")
def no_int32_activation(ctx: OpContext) -> Iterator[str]:
    """ADD, MUL, SUB on INT32 take no fused activation (NNAPI: "No activation function
    supported")."""
    first = _input(ctx, 0)
    activation = ctx.op.options.get("fused_activation_function", "NONE")
    if first is not None and first.dtype == I32 and activation != "NONE":
        yield f"an INT32 {ctx.op.name} cannot fuse activation {activation} in NNAPI"


# -- convolutions and fully connected ------------------------------------------------------

def _input(ctx: OpContext, position: int):
    return ctx.tensor(ctx.op.inputs[position]) if position < len(ctx.op.inputs) else None


def _is_hybrid(ctx: OpContext) -> bool:
    """IsHybridOperator: a float input with quantized (u)int8 weights."""
    name = ctx.op.opcode.name
    weights_position = {"CONV_2D": 1, "FULLY_CONNECTED": 1, "UNIDIRECTIONAL_SEQUENCE_RNN": 1,
                        "LSTM": 2, "UNIDIRECTIONAL_SEQUENCE_LSTM": 2,
                        "BIDIRECTIONAL_SEQUENCE_LSTM": 2}.get(name)
    if weights_position is None:
        return False
    if name == "LSTM" and len(ctx.op.inputs) not in (20, 24):
        return False  # only the full LSTM kernel can be hybrid
    first, weights = _input(ctx, 0), _input(ctx, weights_position)
    return (first is not None and weights is not None and first.dtype == F32
            and weights.dtype in (U8, I8))


@op_check("nnapi-hybrid-before-29",
          fix="Before Android 10 NNAPI takes no hybrid (dynamic-range) op: quantize fully or "
              "keep the model float for those devices, or require Android 10 (API 29).")
def hybrid_before_29(ctx: OpContext) -> Iterator[str]:
    """Hybrid ops (float activations, int8 weights: dynamic-range quantization) need NNAPI
    1.2 (NNAPI: "Hybrid operators not supported before NNAPI 1.2")."""
    if android_api(ctx) < NNAPI_12 and _is_hybrid(ctx):
        yield ("hybrid (dynamic-range quantized: float input, int8 weights) "
               f"{ctx.op.name} needs {level_text(NNAPI_12)}; {device_text(ctx)}")


@op_check("nnapi-no-hybrid",
          fix="NNAPI has no hybrid sequence ops: quantize fully or keep the model float (no "
              "dynamic-range quantization).")
def no_hybrid(ctx: OpContext) -> Iterator[str]:
    """NNAPI has no hybrid version of the sequence ops (NNAPI: "Hybrid version of this op
    is not supported by NN API.")."""
    if _is_hybrid(ctx):
        yield (f"NNAPI has no hybrid {ctx.op.name} (float input with int8 weights); "
               "quantize fully or keep the weights float")


@op_check("nnapi-per-channel-before-29",
          fix="Before Android 10 NNAPI takes only per-tensor convolution weights: convert with "
              "per-tensor weights for those devices, or require Android 10 (API 29).")
def per_channel_before_29(ctx: OpContext) -> Iterator[str]:
    """Per-channel quantized convolution weights need NNAPI 1.2 (NNAPI: "Per-channel
    quantized convolution not supported before NNAPI 1.2.")."""
    weights = _input(ctx, 1)
    if (android_api(ctx) < NNAPI_12 and weights is not None and weights.quantization
            and len(weights.quantization.scale) > 1):
        yield (f"per-channel quantized weights ('{weights.name}', "
               f"{len(weights.quantization.scale)} scales) need {level_text(NNAPI_12)}; "
               f"{device_text(ctx)}")


@op_check("nnapi-restricted-scales-before-29",
          fix="Before Android 10 a uint8 {op} needs input_scale * filter_scale < output_scale: "
              "keep the model float for those devices, or require Android 10 (API 29).")
def restricted_scales_before_29(ctx: OpContext) -> Iterator[str]:
    """Before NNAPI 1.2 a UINT8 CONV_2D, DEPTHWISE_CONV_2D or FULLY_CONNECTED needs
    input_scale * filter_scale < output_scale (NNAPI: "When using NN API version 1.0 or
    1.1, input_scale * filter_scale < output_scale.")."""
    first, weights = _input(ctx, 0), _input(ctx, 1)
    outputs = ctx.outputs()
    if android_api(ctx) >= NNAPI_12 or first is None or first.dtype != U8 or not outputs:
        return
    scales = [_scale(t) for t in (first, weights, outputs[0])]
    if None not in scales and not scales[0] * scales[1] < scales[2]:
        yield (f"input scale {scales[0]:g} x weight scale {scales[1]:g} is not below the "
               f"output scale {scales[2]:g}, which NNAPI before {level_text(NNAPI_12)} "
               f"requires of UINT8 ops; {device_text(ctx)}")


def _scale(tensor) -> float | None:
    """The scale TfLiteTensor.params carries: the first one (0 when there is none)."""
    if tensor is None:
        return None
    scale = tensor.quantization.scale if tensor.quantization else ()
    return float(scale[0]) if scale else 0.0


def _zero_point(tensor) -> int:
    zero_point = tensor.quantization.zero_point if tensor.quantization else ()
    return int(zero_point[0]) if zero_point else 0


@op_check("nnapi-conv-bias",
          fix="Keep the converter's bias: NNAPI takes no CONV_2D without a bias input (add a "
              "zero bias).")
def conv_bias(ctx: OpContext) -> Iterator[str]:
    """CONV_2D must list a bias input (NNAPI: "Conv2D with omitted bias not supported")."""
    if len(ctx.op.inputs) != 3:
        yield "CONV_2D without a bias input; NNAPI needs one (the converter adds it by default)"


@op_check("nnapi-dilation-before-29",
          fix="Before Android 10 NNAPI takes no dilated convolution: require Android 10 (API "
              "29), or ship an undilated model to older devices.")
def dilation_before_29(ctx: OpContext) -> Iterator[str]:
    """Dilated convolutions need NNAPI 1.2 (NNAPI: "NNAPI supports dilated Conv2D since
    NNAPI 1.2.", "dilation_width_factor and dilation_height_factor expected to be equal
    to 1")."""
    w = ctx.op.options.get("dilation_w_factor", 1)
    h = ctx.op.options.get("dilation_h_factor", 1)
    if android_api(ctx) < NNAPI_12 and (w != 1 or h != 1):
        yield f"dilation {w}x{h} needs {level_text(NNAPI_12)}; {device_text(ctx)}"


@op_check("nnapi-grouped-conv-before-29",
          fix="Before Android 10 NNAPI takes no grouped convolution: require Android 10 (API "
              "29), or split it into one convolution per group and a CONCATENATION.")
def grouped_conv_before_29(ctx: OpContext) -> Iterator[str]:
    """Grouped convolution (input channels != filter input channels) needs NNAPI 1.2
    (NNAPI: "Grouped convolution not supported before NNAPI < 1.2")."""
    first, weights = _input(ctx, 0), _input(ctx, 1)
    if (android_api(ctx) < NNAPI_12 and first is not None and weights is not None
            and len(first.shape) == 4 and len(weights.shape) == 4
            and first.shape[3] != weights.shape[3]):
        yield (f"grouped convolution ({first.shape[3]} input channels, filters of "
               f"{weights.shape[3]}) needs {level_text(NNAPI_12)}; {device_text(ctx)}")


@op_check("nnapi-fully-connected",
          fix="Keep the output of FULLY_CONNECTED float or 8-bit (not INT16), and before Android "
              "11 convert with keep_num_dims=False and RESHAPE the output instead.")
def fully_connected(ctx: OpContext) -> Iterator[str]:
    """FULLY_CONNECTED: no INT16 output (NNAPI: "Unsupported output of type kTfLiteInt16"),
    and keep_num_dims needs NNAPI 1.3."""
    outputs = ctx.outputs()
    if outputs and outputs[0].dtype == I16:
        yield "INT16 output (16x8 quantization) is not supported by NNAPI"
    if ctx.op.options.get("keep_num_dims") and android_api(ctx) < NNAPI_13:
        yield f"keep_num_dims = true needs {level_text(NNAPI_13)}; {device_text(ctx)}"


# -- pooling, softmax, reshape, resize -----------------------------------------------------

@op_check("nnapi-average-pool-window",
          fix="Split a quantized average pool over more than 256 elements into smaller pools, or "
              "use MEAN.")
def average_pool_window(ctx: OpContext) -> Iterator[str]:
    """A quantized AVERAGE_POOL_2D window must hold at most 256 elements unless an
    accelerator is named (NNAPI: "Large filter window would overflow on the reference CPU
    path")."""
    first = _input(ctx, 0)
    w = ctx.op.options.get("filter_width", 0)
    h = ctx.op.options.get("filter_height", 0)
    if first is not None and first.dtype in (U8, I8) and w * h > 256:
        yield (f"quantized {w}x{h} window ({w * h} elements) is over the 256 the NNAPI "
               "reference path takes without overflow")


@op_check("nnapi-l2-pool-activation-before-29",
          fix="Before Android 10 apply the activation as its own op after L2_POOL_2D.")
def l2_pool_activation_before_29(ctx: OpContext) -> Iterator[str]:
    """L2_POOL_2D fuses an activation only from NNAPI 1.2."""
    activation = ctx.op.options.get("fused_activation_function", "NONE")
    if android_api(ctx) < NNAPI_12 and activation != "NONE":
        yield (f"fused activation {activation} needs {level_text(NNAPI_12)}; "
               f"{device_text(ctx)}")


@op_check("nnapi-softmax-rank-before-29",
          fix="Before Android 10 reshape the input to 2-D or 4-D around the SOFTMAX.")
def softmax_rank_before_29(ctx: OpContext) -> Iterator[str]:
    """Before NNAPI 1.2 SOFTMAX takes only 2-D and 4-D inputs (NNAPI: "Before API level 29
    only 2D and 4D input tensors were supported.")."""
    first = _input(ctx, 0)
    if android_api(ctx) < NNAPI_12 and first is not None and len(first.shape) not in (2, 4):
        yield (f"rank-{len(first.shape)} input needs {level_text(NNAPI_12)} "
               f"(before it only 2-D and 4-D); {device_text(ctx)}")


@op_check("nnapi-reshape-new-shape",
          fix="Reshape to a tensor of rank 1 or more (a scalar as [1]).")
def reshape_new_shape(ctx: OpContext) -> Iterator[str]:
    """A RESHAPE given its shape in options must not produce a scalar (NNAPI: "New shape
    rank should be > 0")."""
    if len(ctx.op.inputs) == 1:
        new_shape = tuple(ctx.op.options.get("new_shape") or ())
        if not new_shape or new_shape == (0,):
            yield "RESHAPE to a scalar is not supported by NNAPI"


@op_check("nnapi-resize",
          fix="Give the resize a constant size input and a 4-D input; before Android 10 make the "
              "output square, and before Android 11 convert with align_corners=False and "
              "half_pixel_centers=False.")
def resize(ctx: OpContext) -> Iterator[str]:
    """RESIZE_BILINEAR and RESIZE_NEAREST_NEIGHBOR: a size input; bilinear needs a 4-D input
    and, before NNAPI 1.2, a square output; align_corners and half_pixel_centers need
    NNAPI 1.3 (NNAPI: "NNAPI does not support align_corners == true.", "Require width ==
    height due to driver differences in NNAPI < 1.2")."""
    api = android_api(ctx)
    if len(ctx.op.inputs) < 2:
        yield "the size input is missing"
    first, outputs = _input(ctx, 0), ctx.outputs()
    if ctx.op.opcode.name == "RESIZE_BILINEAR":
        if first is not None and len(first.shape) != 4:
            yield f"input has rank {len(first.shape)}; NNAPI resizes 4-D tensors only"
        if (api < NNAPI_12 and outputs and len(outputs[0].shape) == 4
                and outputs[0].shape[1] != outputs[0].shape[2]):
            yield (f"a non-square output ({outputs[0].shape[1]}x{outputs[0].shape[2]}) needs "
                   f"{level_text(NNAPI_12)}; {device_text(ctx)}")
    if api <= NNAPI_12:
        for option in ("align_corners", "half_pixel_centers"):
            if ctx.op.options.get(option):
                yield f"{option} = true needs {level_text(NNAPI_13)}; {device_text(ctx)}"


@op_check("nnapi-squeeze-dims-at-28",
          fix="At API 28 give SQUEEZE explicit squeeze_dims, or use RESHAPE with a constant "
              "shape.")
def squeeze_dims_at_28(ctx: OpContext) -> Iterator[str]:
    """At API 28 SQUEEZE needs explicit squeeze_dims (NNAPI: "NNAPI 1.1 does not support
    null squeeze_dims properly.")."""
    if android_api(ctx) == NNAPI_11 and not ctx.op.options.get("squeeze_dims"):
        yield "SQUEEZE without explicit squeeze_dims is broken in NNAPI 1.1 (API 28)"


# -- element-wise, normalization, concatenation --------------------------------------------

@op_check("nnapi-l2-normalization-rank-before-29",
          fix="Before Android 10 reshape the input of L2_NORMALIZATION to 4-D around it.")
def l2_normalization_rank_before_29(ctx: OpContext) -> Iterator[str]:
    """Before NNAPI 1.2 L2_NORMALIZATION takes only 4-D inputs (NNAPI: "Expected 4
    inputs")."""
    first = _input(ctx, 0)
    if android_api(ctx) < NNAPI_12 and first is not None and len(first.shape) != 4:
        yield (f"rank-{len(first.shape)} input needs {level_text(NNAPI_12)} "
               f"(before it only 4-D); {device_text(ctx)}")


@op_check("nnapi-concat-same-quantization-before-29",
          fix="Before Android 10 give all uint8 inputs the output's scale and zero point "
              "(requantize them first).")
def concat_same_quantization_before_29(ctx: OpContext) -> Iterator[str]:
    """Before NNAPI 1.2 UINT8 inputs of CONCATENATION must share scale and zero point
    (NNAPI: "NNAPI 1.0-1 only supported concatenating quantized tensor of the same scale
    and offset.")."""
    inputs = [t for t in ctx.inputs() if t is not None]
    if android_api(ctx) >= NNAPI_12 or not inputs or inputs[0].dtype != U8:
        return
    first = (_scale(inputs[0]), _zero_point(inputs[0]))
    if any((_scale(t), _zero_point(t)) != first for t in inputs[1:]):
        yield (f"UINT8 inputs with different scales or zero points need "
               f"{level_text(NNAPI_12)}; {device_text(ctx)}")


@op_check("nnapi-dequantize",
          fix="Quantize the whole model (int8 or uint8 throughout) so that no DEQUANTIZE of "
              "activations remains; constant float16 weights are folded and need no fix.")
def dequantize(ctx: OpContext) -> Iterator[str]:
    """DEQUANTIZE: a FLOAT16 activation is taken from NNAPI 1.3; otherwise versions 1-2 of
    a UINT8 input (INT8 from NNAPI 1.2, with zero point 0 at API 29). Constant FLOAT16
    weights are folded into their consumers (profile: absorbs_fp16_dequantize)."""
    first = _input(ctx, 0)
    api = android_api(ctx)
    if first is None or (api >= NNAPI_13 and first.dtype == F16 and not first.is_constant):
        return
    if ctx.op.opcode.version > 2:
        yield f"version {ctx.op.opcode.version}; NNAPI runs DEQUANTIZE versions 1..2"
    allowed = (U8,) if api < NNAPI_12 else (U8, I8)
    if first.dtype == F16:
        yield (f"a FLOAT16 activation input needs {level_text(NNAPI_13)}; "
               f"{device_text(ctx)}")
    elif first.dtype not in allowed:
        newer = NNAPI_12 if first.dtype == I8 else None
        yield (f"input 0 ('{first.name}') is {first.dtype}, which NNAPI takes only from "
               f"{level_text(newer)}; {device_text(ctx)}" if newer else
               f"input 0 ('{first.name}') is {first.dtype}; NNAPI takes {' or '.join(allowed)}")
    elif api == NNAPI_12 and first.dtype == I8 and _zero_point(first) != 0:
        yield ("INT8 input with a non-zero zero point: NNAPI 1.2 (API 29) takes symmetric "
               "INT8 only")


@op_check("nnapi-densify",
          fix="Densify only constant sparse weights, or convert with dense weights.")
def densify(ctx: OpContext) -> Iterator[str]:
    """DENSIFY is taken only on constant sparse weights, which NNAPI then sees dense."""
    first = _input(ctx, 0)
    if first is None or not first.is_constant:
        yield "DENSIFY of a non-constant tensor is not supported by NNAPI"


@op_check("nnapi-pad",
          fix="Pad a non-empty input; a padding value (PADV2) needs Android 10, and before it "
              "PAD takes FLOAT32 only.")
def pad(ctx: OpContext) -> Iterator[str]:
    """PAD and PADV2: no empty input; a padding value (PADV2) needs NNAPI 1.2, and before
    it a PAD pads FLOAT32 only (NNAPI: "Specification of the padding value is supported
    from NNAPI 1.2.", "NN API pad ops do not support input tensors with no elements")."""
    first = _input(ctx, 0)
    if first is not None and 0 in first.shape:
        yield f"input '{first.name}' has no elements ({list(first.shape)})"
    if len(ctx.op.inputs) < 2:
        yield "the paddings input is missing"
    elif len(ctx.op.inputs) == 3:
        if android_api(ctx) < NNAPI_12:
            yield (f"a padding value (PADV2) needs {level_text(NNAPI_12)}; "
                   f"{device_text(ctx)}")
    elif android_api(ctx) < NNAPI_12 and first is not None and first.dtype != F32:
        yield (f"padding a {first.dtype} tensor needs {level_text(NNAPI_12)} (before it "
               f"FLOAT32 only); {device_text(ctx)}")


@op_check("nnapi-mirror-pad",
          fix="Give MIRROR_PAD a non-empty input and its constant paddings, two inputs in all.")
def mirror_pad(ctx: OpContext) -> Iterator[str]:
    """MIRROR_PAD: no empty input, exactly two inputs."""
    first = _input(ctx, 0)
    if first is not None and 0 in first.shape:
        yield f"input '{first.name}' has no elements ({list(first.shape)})"
    if len(ctx.op.inputs) != 2:
        yield f"{len(ctx.op.inputs)} inputs; NNAPI expects 2"


@op_check("nnapi-zero-crops",
          fix="Use zero crops in BATCH_TO_SPACE_ND and crop with a SLICE after it.")
def zero_crops(ctx: OpContext) -> Iterator[str]:
    """BATCH_TO_SPACE_ND crops must be a constant of zeros (NNAPI: "All crops should be
    0.")."""
    crops = _input(ctx, 2)
    data = ctx.view.tensor_data(crops) if crops is not None else None
    if data is None or crops.dtype != I32 or data.size != 4 or data.any():
        yield "crops must be a constant INT32 [2, 2] of zeros for NNAPI"


# -- recurrent ops ---------------------------------------------------------------------------

@op_check("nnapi-input-count",
          fix="Convert the op in the form NNAPI takes (RNN and SVDF with 5 inputs, "
              "UNIDIRECTIONAL_SEQUENCE_LSTM with 20 or 24), as the converter writes it.")
def input_count(ctx: OpContext) -> Iterator[str]:
    """RNN and SVDF take 5 inputs, UNIDIRECTIONAL_SEQUENCE_LSTM 20 or 24 (NNAPI: "Expected 5
    input", "Supporting only operation with 20 or 24 inputs")."""
    expected = {"RNN": (5,), "SVDF": (5,), "UNIDIRECTIONAL_SEQUENCE_LSTM": (20, 24)}
    wanted = expected.get(ctx.op.opcode.name)
    if wanted and len(ctx.op.inputs) not in wanted:
        yield (f"{len(ctx.op.inputs)} inputs; NNAPI takes "
               f"{' or '.join(map(str, wanted))}")


@op_check("nnapi-lsh-projection",
          fix="A SPARSE LSH_PROJECTION needs Android 10 (API 29) and no weight input: drop the "
              "weights, use the DENSE type, or require Android 10.")
def lsh_projection(ctx: OpContext) -> Iterator[str]:
    """A SPARSE LSH_PROJECTION needs NNAPI 1.2 and no weight input."""
    if ctx.op.options.get("type") == "SPARSE":
        if android_api(ctx) < NNAPI_12:
            yield f"SPARSE projection needs {level_text(NNAPI_12)}; {device_text(ctx)}"
        if len(ctx.op.inputs) != 2:
            yield "SPARSE projection with a weight input is not supported by NNAPI"


@op_check("nnapi-lstm",
          fix="Convert the LSTM in a form NNAPI takes: the basic kernel with constant UINT8 "
              "weights and input/output scale 1/128, zero point 128, or the full kernel with "
              "FLOAT32 or UINT8 weights on Android 10 (INT8 from Android 11).")
def lstm(ctx: OpContext) -> Iterator[str]:
    """LSTM: the basic kernel (5 inputs) needs UINT8 weights with constant weights and
    biases and input/output scale 1/128, zero point 128; the full kernel's 24-input form
    needs NNAPI 1.2 and FLOAT32 or UINT8 weights (INT8 from NNAPI 1.3)."""
    api = android_api(ctx)
    if len(ctx.op.inputs) == 5:
        weights, biases, first = _input(ctx, 2), _input(ctx, 3), _input(ctx, 0)
        outputs = ctx.outputs()
        if weights is not None and weights.dtype != U8:
            yield f"basic LSTM weights are {weights.dtype}; NNAPI takes UINT8 only"
        for tensor, what in ((first, "input"), (outputs[0] if outputs else None, "output")):
            if tensor is not None and (_scale(tensor) != 1 / 128 or _zero_point(tensor) != 128):
                yield f"basic LSTM {what} must have scale 1/128 and zero point 128"
        for tensor, what in ((weights, "weights"), (biases, "biases")):
            if tensor is not None and not tensor.is_constant:
                yield f"basic LSTM {what} must be constant"
        return
    if len(ctx.op.inputs) == 24 and api < NNAPI_12:
        yield f"the 24-input LSTM needs {level_text(NNAPI_12)}; {device_text(ctx)}"
    weights = _input(ctx, 4)
    allowed = (F32, U8, I8) if api >= NNAPI_13 else (F32, U8)
    if weights is not None and weights.dtype not in allowed:
        yield (f"LSTM weights are {weights.dtype}; NNAPI takes {' or '.join(allowed)}"
               + (f" ({device_text(ctx)})" if weights.dtype == I8 else ""))


# -- everything else -------------------------------------------------------------------------

@op_check("nnapi-arg-min-max",
          fix="Use a constant INT32 axis and an INT32 output (output_type=tf.int32).")
def arg_min_max(ctx: OpContext) -> Iterator[str]:
    """ARG_MAX/ARG_MIN: an INT32 axis (a constant INT64 in INT32 range is converted) and an
    INT32 output (NNAPI: "NNAPI only supports int32 output.", "Axis should be Int32")."""
    axis = _input(ctx, 1)
    if axis is not None and axis.dtype == I64:
        data = ctx.view.tensor_data(axis)
        if data is None or not all(-2**31 <= int(v) < 2**31 for v in data.reshape(-1)):
            yield "an INT64 axis must be a constant within INT32 range for NNAPI"
    elif axis is not None and axis.dtype != I32:
        yield f"axis is {axis.dtype}; NNAPI takes INT32"
    if ctx.op.options.get("output_type", I32) != I32:
        yield f"output_type {ctx.op.options['output_type']}; NNAPI produces INT32 only"


@op_check("nnapi-constant-scalar-operands",
          fix="Make the scalar operand of {op} a constant, or give it the other input's shape.")
def constant_scalar_operands(ctx: OpContext) -> Iterator[str]:
    """A scalar operand of MAXIMUM/MINIMUM must be constant (NNAPI: "Scalar operand should
    be constant")."""
    for position, tensor in enumerate(ctx.inputs()[:2]):
        if tensor is not None and not tensor.shape and not tensor.is_constant:
            yield f"scalar input {position} ('{tensor.name}') must be constant for NNAPI"


@op_check("nnapi-select-shapes",
          fix="Give SELECT's condition and both values the same shape: TILE them to it first.")
def select_shapes(ctx: OpContext) -> Iterator[str]:
    """SELECT's condition and values must have the same shape (no broadcast)."""
    condition, values = _input(ctx, 0), _input(ctx, 1)
    if condition is not None and values is not None and condition.shape != values.shape:
        yield (f"condition shape {list(condition.shape)} differs from the values' "
               f"{list(values.shape)}; NNAPI does not broadcast SELECT")


@op_check("nnapi-gather-positions",
          fix="Gather with positions of rank 1 or more: reshape a scalar index to [1] (and the "
              "result back after).")
def gather_positions(ctx: OpContext) -> Iterator[str]:
    """GATHER positions must not be a scalar (NNAPI: "0-dimension args are not supported by
    NNAPI.")."""
    positions = _input(ctx, 1)
    if positions is not None and not positions.shape:
        yield "scalar positions are not supported by NNAPI; give them shape [1]"


@op_check("nnapi-split-v-sizes",
          fix="Give SPLIT_V constant 1-D sizes with no zero size; use SPLIT when the parts are "
              "equal.")
def split_v_sizes(ctx: OpContext) -> Iterator[str]:
    """SPLIT_V: a constant 1-D size_splits with no zero size, the inferred -1 size included
    (NNAPI: "NNAPI only supports non-zero split sizes.")."""
    sizes, first, axis = _input(ctx, 1), _input(ctx, 0), _input(ctx, 2)
    if sizes is None or len(sizes.shape) != 1:
        yield "size_splits must be a 1-D vector"
        return
    data = ctx.view.tensor_data(sizes)
    axis_data = ctx.view.tensor_data(axis) if axis is not None else None
    if data is None:
        return  # the constant_inputs data reports a non-constant size_splits
    values = [int(v) for v in data.reshape(-1)]
    if 0 in values:
        yield "a split size of 0 is not supported by NNAPI"
    elif -1 in values and first is not None and axis_data is not None and first.shape:
        dim = first.shape[int(axis_data.reshape(-1)[0]) % len(first.shape)]
        if dim - sum(v for v in values if v != -1) == 0:
            yield "the inferred (-1) split size is 0, which NNAPI does not support"


@op_check("nnapi-non-scalar-output",
          fix="Reduce with keep_dims=True so that the output is not a scalar.")
def non_scalar_output(ctx: OpContext) -> Iterator[str]:
    """MEAN, SUM, REDUCE_PROD, REDUCE_ANY must not produce a scalar (NNAPI: "NNAPI does not
    support generating a scalar as output")."""
    outputs = ctx.outputs()
    if outputs and not outputs[0].shape:
        yield "a scalar output is not supported by NNAPI; keep_dims=True avoids it"


@op_check("nnapi-non-scalar-input",
          fix="Do not reduce a scalar: remove the op, or reshape its input to [1].")
def non_scalar_input(ctx: OpContext) -> Iterator[str]:
    """REDUCE_MAX/REDUCE_MIN must not reduce a scalar."""
    first = _input(ctx, 0)
    if first is not None and not first.shape:
        yield "a scalar input is not supported by NNAPI"


@op_check("nnapi-positive-scales",
          fix="Give the QUANTIZE input and output scales above 0, as a correct conversion does.")
def positive_scales(ctx: OpContext) -> Iterator[str]:
    """QUANTIZE: quantized input and output scales must be > 0 (NNAPI: "Quantization scale
    should be > 0.")."""
    first, outputs = _input(ctx, 0), ctx.outputs()
    for tensor in ([first] if first is not None and first.dtype in (U8, I8) else []) + outputs[:1]:
        if not _scale(tensor) > 0:
            yield f"tensor '{tensor.name}' has no positive quantization scale"


@op_check("nnapi-fill",
          fix="Give FILL constant, non-empty dims and a value within INT32 range, or fold it "
              "into a constant when converting.")
def fill(ctx: OpContext) -> Iterator[str]:
    """FILL: constant, non-empty dims (INT64 ones within INT32 range), and an INT64 value
    within INT32 range."""
    dims, value = _input(ctx, 0), _input(ctx, 1)
    data = ctx.view.tensor_data(dims) if dims is not None else None
    if data is not None:
        if data.size == 0:
            yield "FILL producing a scalar is not supported by NNAPI"
        elif not all(-2**31 <= int(v) < 2**31 for v in data.reshape(-1)):
            yield "dims outside INT32 range are not supported by NNAPI"
    value_data = ctx.view.tensor_data(value) if value is not None and value.dtype == I64 else None
    if value_data is not None and not all(-2**31 <= int(v) < 2**31 for v in value_data.reshape(-1)):
        yield "an INT64 value outside INT32 range is not supported by NNAPI"


@op_check("nnapi-pack-axis",
          fix="Below feature level 6 do not stack along a new last axis: PACK along another axis "
              "and TRANSPOSE, or RESHAPE the inputs and CONCATENATE them.")
def pack_axis(ctx: OpContext) -> Iterator[str]:
    """Below feature level 6, PACK cannot stack along a new last axis (NNAPI: "NNAPI does
    not support axis being the last dimension")."""
    first = _input(ctx, 0)
    axis = ctx.op.options.get("axis", 0)
    if android_api(ctx) < FEATURE_LEVEL_6 and first is not None and axis in (-1, len(first.shape)):
        yield (f"packing along the last axis needs {level_text(FEATURE_LEVEL_6)}; "
               f"{device_text(ctx)}")


@op_check("nnapi-unpack",
          fix="UNPACK an input of rank 2 to 4 along another axis than the last (TRANSPOSE "
              "first).")
def unpack(ctx: OpContext) -> Iterator[str]:
    """UNPACK: input rank 2..4, not along the last axis."""
    first = _input(ctx, 0)
    if first is None:
        return
    rank, axis = len(first.shape), ctx.op.options.get("axis", 0)
    if not 2 <= rank <= 4:
        yield f"input has rank {rank}; NNAPI unpacks ranks 2 to 4"
    if axis in (-1, rank - 1):
        yield "unpacking along the last axis is not supported by NNAPI"


@op_check("nnapi-batch-matmul",
          fix="Give BATCH_MATMUL inputs of one type, rank 2 to 4 and the same batch (no batch "
              "broadcast); with a constant right-hand side use FULLY_CONNECTED.")
def batch_matmul(ctx: OpContext) -> Iterator[str]:
    """BATCH_MATMUL: both inputs of one type, ranks 2..4, no batch broadcast."""
    a, b = _input(ctx, 0), _input(ctx, 1)
    if a is None or b is None:
        return
    if a.dtype != b.dtype:
        yield f"hybrid inputs ({a.dtype} x {b.dtype}) are not supported by NNAPI"
    if not 2 <= len(a.shape) <= 4:
        yield f"input rank {len(a.shape)}; NNAPI takes ranks 2 to 4"
    if len(a.shape) != len(b.shape) or a.shape[:-2] != b.shape[:-2]:
        yield "broadcasting batch dimensions is not supported by NNAPI"
