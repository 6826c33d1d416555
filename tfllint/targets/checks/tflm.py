"""Checks of TensorFlow Lite for Microcontrollers (profile rules/targets/tflm.toml).

Each predicate restates a test a TFLM kernel or the MicroInterpreter makes while it
prepares the model (tensorflow/tflite-micro@90b983c2, files named per check). Where TFLM
prints its own line for the failure, the check yields it with tfllint's message.
"""
from __future__ import annotations

import math
from typing import Iterator

from ...reader.offline_plan import OfflinePlanError
from . import ModelContext, OpContext, model_check, op_check

F32, I8, I16, I32, I64 = "FLOAT32", "INT8", "INT16", "INT32", "INT64"
PREPARE_FAILED = "Node {op} (number {index}) failed to prepare with status 1"
INVOKE_FAILED = "Node {op} (number {index}) failed to invoke with status 1"
HYBRID = "Hybrid models are not supported on TFLite Micro."

# Weights a kernel accepts for each activation type: (activation input, weights input,
# {activation type: weight types}, the kernel's words when the pair is refused).
WEIGHT_TYPES = {
    # conv_common.cc ConvPrepare (TF_LITE_ENSURE_MSG ... "Hybrid models ...")
    "CONV_2D": (0, 1, {F32: {F32}, I8: {I8, "INT4"}, I16: {I8}},
                f"tensorflow/lite/micro/kernels/conv_common.cc {HYBRID}"),
    # depthwise_conv_common.cc DepthwiseConvPrepare
    "DEPTHWISE_CONV_2D": (0, 1, {F32: {F32}, I8: {I8, "INT4"}, I16: {I8}},
                          f"tensorflow/lite/micro/kernels/depthwise_conv_common.cc {HYBRID}"),
    # fully_connected.cc FullyConnectedPrepare
    "FULLY_CONNECTED": (0, 1, {F32: {F32}, I8: {I8, "INT4"}, I16: {I8}},
                        "Input type: {input} with filter type: {weights} not supported."),
    # transpose_conv.cc TransposeConvPrepare: inputs are output shape, weights, input, bias
    "TRANSPOSE_CONV": (2, 1, {F32: {F32}, I8: {I8}, I16: {I8}},
                       f"tensorflow/lite/micro/kernels/transpose_conv.cc {HYBRID}"),
    # batch_matmul.cc BatchMatMulPrepare: lhs_data->type == rhs_data->type
    "BATCH_MATMUL": (0, 1, {F32: {F32}, I8: {I8}, I16: {I16}}, None),
    # svdf_common.cc PrepareSvdf: weights_feature float32 for float32, int8 for int8
    "SVDF": (0, 1, {F32: {F32}, I8: {I8}}, None),
    # prelu_common.cc PreluPrepare: alpha->type == kTfLiteInt8 for int16
    "PRELU": (0, 1, {F32: {F32}, I8: {I8}, I16: {I8}}, None),
    # unidirectional_sequence_lstm.cc: the float kernel has no int8-weight (hybrid) path
    "UNIDIRECTIONAL_SEQUENCE_LSTM": (0, 2, {F32: {F32}, I8: {I8}, I16: {I8}}, None),
}

# The output-channel axis of per-channel weights (kConvQuantizedDimension,
# kDepthwiseConvQuantizedDimension, kTransposeConvQuantizedDimension); FULLY_CONNECTED
# takes the quantized dimension as given.
CHANNEL_AXIS = {"CONV_2D": 0, "DEPTHWISE_CONV_2D": 3, "TRANSPOSE_CONV": 0, "FULLY_CONNECTED": None}

# Types per tensor role where a kernel's roles differ (index tensors, bool conditions,
# int32 outputs): ("input", position) or ("output", position) -> allowed types.
ROLES = {
    "ARG_MAX": {("input", 0): {F32, I8}, ("output", 0): {I32}},  # arg_min_max.cc Eval
    "ARG_MIN": {("input", 0): {F32, I8}, ("output", 0): {I32}},
    "BATCH_TO_SPACE_ND": {("input", 0): {F32, I8}},  # batch_to_space_nd.cc
    "CAST": {("output", 0): {I8, I16, I32, "UINT32", F32, "BOOL"}},  # cast.cc copyToTensor
    "CUMSUM": {("input", 0): {F32, I8}, ("input", 1): {I32}},  # cumsum.cc
    "DYNAMIC_UPDATE_SLICE": {("input", 0): {F32, I8, I16, I32}, ("input", 2): {I32, I64}},
    "EMBEDDING_LOOKUP": {("input", 0): {I32}, ("input", 1): {F32, I8},
                         ("output", 0): {F32, I8}},  # embedding_lookup.cc
    "EQUAL": {("input", 0): {"BOOL", F32, I32, I64, I8}, ("output", 0): {"BOOL"}},
    "NOT_EQUAL": {("input", 0): {"BOOL", F32, I32, I64, I8}, ("output", 0): {"BOOL"}},
    "GREATER": {("input", 0): {F32, I32, I64, I8, I16}, ("output", 0): {"BOOL"}},
    "GREATER_EQUAL": {("input", 0): {F32, I32, I64, I8}, ("output", 0): {"BOOL"}},
    "LESS": {("input", 0): {F32, I32, I64, I8}, ("output", 0): {"BOOL"}},
    "LESS_EQUAL": {("input", 0): {F32, I32, I64, I8}, ("output", 0): {"BOOL"}},
    "GATHER": {("input", 0): {F32, I8}, ("input", 1): {I32}},  # gather.cc
    "GATHER_ND": {("input", 0): {F32, I8}, ("input", 1): {I32}},  # gather_nd.cc
    "MEAN": {("input", 0): {F32, I8, I16}, ("input", 1): {I32}},  # reduce_common.cc
    "SUM": {("input", 0): {F32, I8, I16}, ("input", 1): {I32}},
    "REDUCE_MAX": {("input", 0): {F32, I8}, ("input", 1): {I32}},
    "REDUCE_MIN": {("input", 0): {F32, I8}, ("input", 1): {I32}},
    "REDUCE_ALL": {("input", 0): {"BOOL"}, ("input", 1): {I32}},
    "MIRROR_PAD": {("input", 0): {F32, I8}},  # mirror_pad.cc MirrorPadEval
    "RESIZE_BILINEAR": {("input", 0): {F32, I8}, ("input", 1): {I32}},
    "RESIZE_NEAREST_NEIGHBOR": {("input", 0): {F32, I8, I16}, ("input", 1): {I32}},
    "REVERSE_V2": {("input", 1): {I32}},  # reverse.cc: "Axis Type ... is not supported"
    "SELECT_V2": {("input", 0): {"BOOL"}, ("input", 1): {F32, I8, I16}},  # select.cc
    "SHAPE": {("output", 0): {I32}},  # shape.cc ShapeEval
    "SLICE": {("input", 0): {F32, I32, I8, I16, "BOOL"}},  # slice.cc SliceEval
    "SPACE_TO_BATCH_ND": {("input", 0): {F32, I8}},
    "TRANSPOSE_CONV": {("input", 0): {I32}, ("input", 2): {F32, I8, I16}},
}

# (op, input type) -> the output types the kernel pairs with it.
TYPE_PAIRS = {
    "QUANTIZE": {  # quantize_common.cc PrepareQuantizeReference / EvalQuantizeReference
        F32: {I8, I16}, I32: {I8, I16}, I16: {I8, I16, I32}, I8: {I8, "UINT8", I16, I32},
        "UINT8": {I8}},
    "DEQUANTIZE": {I8: {F32}, I16: {F32}, "UINT8": {F32}},  # dequantize_common.cc
    "SOFTMAX": {F32: {F32}, I8: {I8, I16}, I16: {I16}},  # softmax_common.cc
}

# Output quantization a kernel demands: (op, input type, output type) -> (zero point,
# scale (None: any), scale tolerance (None: exact; "pot": log2 within 1e-3 of an integer,
# CheckedLog2), the kernel's words for a wrong zero point, for a wrong scale (None: only
# "failed to prepare")).
OUTPUT_QUANTIZATION = {
    ("SOFTMAX", I8, I8): (-128, 1 / 256, None, "tensorflow/lite/micro/kernels/softmax_common.cc"
                          ":103 output->params.zero_point != -128 ({zero_point} != -128)",
                          "tensorflow/lite/micro/kernels/softmax_common.cc:104 "
                          "output->params.scale == 1.f / 256 was not true."),
    ("SOFTMAX", I8, I16): (-32768, 1 / 65536, 0.001 / 65536,
                           "tensorflow/lite/micro/kernels/softmax_common.cc:98 "
                           "output->params.zero_point != -32768 ({zero_point} != -32768)", None),
    ("SOFTMAX", I16, I16): (0, 1 / 32768, 0.001 / 32768, None, None),
    ("LOG_SOFTMAX", I8, I8): (127, 16 / 256, None,
                              "tensorflow/lite/micro/kernels/log_softmax.cc:73 "
                              "output->params.zero_point == kOutputZeroPoint was not true.",
                              "tensorflow/lite/micro/kernels/log_softmax.cc:72 "
                              "output->params.scale == kOutputScale was not true."),
    ("LOGISTIC", I8, I8): (-128, None, None,
                           "tensorflow/lite/micro/kernels/logistic_common.cc:46 "
                           "output->params.zero_point != std::numeric_limits<int8_t>::min() "
                           "({zero_point} != -128)", None),
    ("LOGISTIC", I16, I16): (0, 2.0 ** -15, "pot", None, None),
    ("TANH", I16, I16): (0, 2.0 ** -15, "pot", None, None),
}

# PreprocessSoftmaxScaling (quantization_util.cc) feeds beta * input_scale * 2^(31 - 5)
# to QuantizeMultiplierGreaterThanOne, whose TFLITE_CHECK_GT(multiplier, 1.) aborts.
SOFTMAX_SCALED_DIFF_INTEGER_BITS = 5  # kScaledDiffIntegerBits, softmax_common.cc, log_softmax.cc
CONCATENATION_MAX_INPUTS = 10  # concatenation.cc kMaxInputNum
LSTM_INPUTS = 24  # unidirectional_sequence_lstm.cc
LSTM_GATE_WEIGHTS = range(1, 9)  # lstm_eval.cc ValidateTensorStatus: all present, one type
LSTM_ABSENT = {"peephole": range(9, 12), "projection": range(16, 18), "layer norm": range(20, 24)}
LSTM_STATES = {"output (hidden) state": 18, "cell state": 19}


def _prepare_failed(ctx: OpContext) -> str:
    return PREPARE_FAILED.format(op=ctx.op.name, index=ctx.op.index)


def _role_tensor(ctx: OpContext, role: str, position: int):
    indices = ctx.op.inputs if role == "input" else ctx.op.outputs
    return ctx.tensor(indices[position]) if position < len(indices) else None


def _scale(tensor) -> float | None:
    quantization = tensor.quantization
    return quantization.scale[0] if quantization and quantization.scale else None


def _zero_point(tensor) -> int:
    quantization = tensor.quantization
    return quantization.zero_point[0] if quantization and quantization.zero_point else 0


def _already_reported(ctx: OpContext, tensor) -> bool:
    """The profile's dtypes (or, for a constant, weight_dtypes) already name this type."""
    support = ctx.support
    allowed = None if support is None else (
        support.weight_dtypes if tensor.is_constant else support.dtypes)
    return allowed is not None and tensor.dtype not in allowed


# -- every op -----------------------------------------------------------------------------

@op_check("tflm-builtin-custom-options",
          fix="Convert the model again: a builtin op must carry builtin options, not custom "
              "options (the file was edited or converted wrongly).")
def builtin_custom_options(ctx: OpContext) -> Iterator[tuple[str, str]]:
    """A builtin op must not carry custom options: MicroInterpreter refuses it while it
    reads the graph (micro_interpreter.cc PrepareNodeAndRegistrationDataFromFlatbuffer)."""
    if ctx.op.opcode.name != "CUSTOM" and ctx.op.custom_options_size > 0:
        yield (f"builtin {ctx.op.name} carries {ctx.op.custom_options_size} bytes of custom "
               "options, which TFLM refuses for builtin ops",
               f"Unsupported behavior: found builtin operator {ctx.op.name} with custom options.")


@op_check("tflm-dynamic-output",
          fix="Convert with fixed shapes so that every output has a static size (no -1 or 0 "
              "dimension in its shape): TFLM plans the arena once and resizes nothing.")
def dynamic_output(ctx: OpContext) -> Iterator[tuple[str, str]]:
    """Every output must have a static size: TFLM plans the arena from the stored shape
    (Tensor.shape; shape_signature is ignored) and after Prepare refuses any output with a
    dimension <= 0 (micro_interpreter_graph.cc CheckDynamicTensors). A legacy [0] scalar
    shape is allowed; RESHAPE resolves one -1 itself."""
    for index in ctx.op.outputs:
        tensor = ctx.tensor(index)
        shape = list(tensor.shape)
        if shape == [0] or all(dim > 0 for dim in shape):
            continue
        if ctx.op.opcode.name == "RESHAPE" and shape.count(-1) == 1 and min(shape) == -1:
            continue
        yield (f"output '{tensor.name}' has shape {shape}; TFLM allocates every tensor at its "
               "stored shape and does not support dynamic tensors",
               f"Op#{ctx.op.index} ({ctx.op.name}) of subgraph {ctx.op.subgraph} has dynamic "
               f"tensor #{index}")


@op_check("tflm-intermediate-tensors",
          fix="Convert {op} so that its intermediate tensors are empty (0 bytes): TFLM does not "
              "allocate them.")
def intermediate_tensors(ctx: OpContext) -> Iterator[tuple[str, str]]:
    """An op's intermediate tensors must be empty (0 bytes): TFLM does not allocate them
    (micro_allocation_info.cc, "Does not support intermediate tensor with non-zero size")."""
    for index in ctx.op.intermediates:
        tensor = ctx.tensor(index)
        size = tensor.byte_size if tensor is not None else 0
        if size:
            yield (f"intermediate tensor '{tensor.name}' has {size} bytes; TFLM supports only "
                   "empty intermediates (convert the LSTM for TFLM without them)",
                   f"Does not support intermediate tensor with non-zero size: {size}")


# -- kernel types ---------------------------------------------------------------------------

@op_check("tflm-weight-types",
          fix="Quantize fully (int8 activations with int8 or int4 weights, int16 activations "
              "with int8 weights): TFLM has no hybrid kernel, so convert without dynamic-range "
              "quantization.")
def weight_types(ctx: OpContext) -> Iterator[tuple[str, str | None]]:
    """The weights must have the type the kernel pairs with the activations: no hybrid
    (float32 activations, int8 weights) kernels exist in TFLM, int8 activations take int8
    or int4 weights, int16 activations int8 weights (conv_common.cc, depthwise_conv_common.cc,
    fully_connected.cc, transpose_conv.cc, batch_matmul.cc, svdf_common.cc,
    unidirectional_sequence_lstm.cc)."""
    activation_position, weight_position, pairs, words = WEIGHT_TYPES[ctx.op.opcode.name]
    activation = _role_tensor(ctx, "input", activation_position)
    weights = _role_tensor(ctx, "input", weight_position)
    if activation is None or weights is None or activation.dtype not in pairs:
        return  # a missing tensor or an activation type the dtypes check reports
    allowed = pairs[activation.dtype]
    if weights.dtype in allowed:
        return
    hybrid = activation.dtype == F32 and weights.dtype in {I8, "UINT8", "INT4", I16}
    kind = ("a hybrid (dynamic-range) op: TFLM has no hybrid kernels" if hybrid
            else f"{ctx.op.name} takes {' or '.join(sorted(allowed))} weights with "
                 f"{activation.dtype} activations")
    tool = words.format(input=activation.dtype, weights=weights.dtype) if words else None
    yield (f"{activation.dtype} input with {weights.dtype} weights '{weights.name}' is {kind}",
           tool)


@op_check("tflm-per-channel-weights",
          fix="Quantize the weights per output channel along the kernel's channel axis, one "
              "scale per channel (the converter's layout); int4 FULLY_CONNECTED weights per "
              "tensor.")
def per_channel_weights(ctx: OpContext) -> Iterator[tuple[str, str]]:
    """Per-channel weights need one scale per output channel, quantized along the
    kernel's channel axis (kernel_util.cc PopulateConvolutionQuantizationParams: axis 0 for
    CONV_2D and TRANSPOSE_CONV, 3 for DEPTHWISE_CONV_2D; fully_connected_common.cc: the
    quantized dimension's size); per-channel int4 FULLY_CONNECTED weights are refused."""
    activation_position, weight_position, _, _ = WEIGHT_TYPES[ctx.op.opcode.name]
    activation = _role_tensor(ctx, "input", activation_position)
    weights = _role_tensor(ctx, "input", weight_position)
    quantization = weights.quantization if weights is not None else None
    if (activation is None or activation.dtype not in (I8, I16) or quantization is None
            or len(quantization.scale) <= 1):
        return
    scales, axis, shape = len(quantization.scale), quantization.quantized_dimension, weights.shape
    channel_axis = CHANNEL_AXIS.get(ctx.op.opcode.name)
    channels = shape[channel_axis] if channel_axis is not None else scales
    along = shape[axis] if 0 <= axis < len(shape) else None
    if scales != channels or along != channels:
        yield (f"weights '{weights.name}' {list(shape)} have {scales} scales along dimension "
               f"{axis}; TFLM needs one per output channel ({channels}, dimension "
               f"{channel_axis if channel_axis is not None else axis})", _prepare_failed(ctx))
    if ctx.op.opcode.name == "FULLY_CONNECTED" and weights.dtype == "INT4":
        yield ("per-channel INT4 weights: TFLM's FULLY_CONNECTED takes int4 weights only "
               "per-tensor", _prepare_failed(ctx))


@op_check("tflm-tensor-roles",
          fix="Give each tensor of {op} the type its role takes (the reason says which; indices "
              "and axes INT32, conditions BOOL): CAST them before the op, or convert so that "
              "they have it.")
def tensor_roles(ctx: OpContext) -> Iterator[tuple[str, str | None]]:
    """Each tensor must have a type its role in the kernel accepts (data, indices, axis,
    condition, output); the profile's dtypes give only the union over the roles."""
    for (role, position), allowed in ROLES[ctx.op.opcode.name].items():
        tensor = _role_tensor(ctx, role, position)
        if tensor is None or tensor.dtype in allowed or _already_reported(ctx, tensor):
            continue
        yield (f"{role} {position} ('{tensor.name}') is {tensor.dtype}; the {ctx.op.name} "
               f"kernel takes {', '.join(sorted(allowed))} there", None)


@op_check("tflm-type-pairs",
          fix="Convert with an input/output type pair the kernel implements (the reason lists "
              "them): int8 or int16 rather than uint8, and no float16.")
def type_pairs(ctx: OpContext) -> Iterator[tuple[str, str | None]]:
    """The input and output types must be a pair the kernel implements (QUANTIZE:
    quantize_common.cc, DEQUANTIZE: dequantize_common.cc, SOFTMAX: softmax_common.cc)."""
    source, target = _role_tensor(ctx, "input", 0), _role_tensor(ctx, "output", 0)
    if source is None or target is None:
        return
    pairs = TYPE_PAIRS[ctx.op.opcode.name]
    if source.dtype not in pairs:
        if not _already_reported(ctx, source):
            yield (f"input '{source.name}' is {source.dtype}; {ctx.op.name} takes "
                   f"{', '.join(sorted(pairs))}", None)
        return
    if target.dtype not in pairs[source.dtype] and not _already_reported(ctx, target):
        yield (f"{ctx.op.name} from {source.dtype} to {target.dtype} is not implemented "
               f"(from {source.dtype}: to {', '.join(sorted(pairs[source.dtype]))})",
               f"Input {source.dtype}, output {target.dtype} not supported.")


# -- quantization parameters ----------------------------------------------------------------

@op_check("tflm-output-quantization",
          fix="Give the output the scale and zero point the kernel fixes (the reason says which; "
              "the TFLite converter sets them): quantize again with the converter rather than by "
              "hand or another tool.")
def output_quantization(ctx: OpContext) -> Iterator[tuple[str, str | None]]:
    """The output quantization the kernel demands: int8 SOFTMAX scale 1/256 and zero point
    -128 (softmax_common.cc:103-104), int8 -> int16 SOFTMAX 1/65536 and -32768, int16
    SOFTMAX 1/32768 and 0, int8 LOG_SOFTMAX 16/256 and 127 (log_softmax.cc:72-73), int8
    LOGISTIC zero point -128 (logistic_common.cc:46), int16 LOGISTIC and TANH zero points 0
    and output scale 2^-15 (logistic_common.cc, tanh.cc)."""
    source, target = _role_tensor(ctx, "input", 0), _role_tensor(ctx, "output", 0)
    if source is None or target is None:
        return
    demand = OUTPUT_QUANTIZATION.get((ctx.op.opcode.name, source.dtype, target.dtype))
    if demand is None:
        return
    zero_point, scale, tolerance, zero_point_words, scale_words = demand
    op = f"{target.dtype} {ctx.op.name}"
    if source.dtype == I16 and _zero_point(source) != 0:
        yield (f"input '{source.name}' has zero point {_zero_point(source)}; {source.dtype} "
               f"{ctx.op.name} needs 0", _prepare_failed(ctx))
    actual_zero_point = _zero_point(target)
    if actual_zero_point != zero_point:
        words = zero_point_words.format(zero_point=actual_zero_point) if zero_point_words \
            else _prepare_failed(ctx)
        yield (f"output '{target.name}' has zero point {actual_zero_point}; TFLM's {op} "
               f"needs zero point {zero_point}", words)
    actual_scale = _scale(target)
    if scale is None or actual_scale is None:
        return
    if tolerance == "pot":
        exponent = math.log2(actual_scale) if actual_scale > 0 else math.inf
        wrong = abs(exponent - round(exponent)) >= 1e-3 if math.isfinite(exponent) else True
        wrong = wrong or round(exponent) != -15
    elif tolerance is None:
        wrong = actual_scale != scale
    else:
        wrong = abs(actual_scale - scale) > tolerance
    if wrong:
        yield (f"output '{target.name}' has scale {actual_scale:.9g}; TFLM's {op} needs "
               f"scale {_fraction(scale)}", scale_words or _prepare_failed(ctx))


def _fraction(scale: float) -> str:
    inverse = 1 / scale
    return f"1/{inverse:.0f}" if inverse == round(inverse) else f"{scale:g}"


@op_check("tflm-softmax-input-scale",
          fix="Give SOFTMAX a beta (1.0 for a Keras softmax) and an input scale with beta * "
              "scale * 2^26 > 1: convert it with its SoftmaxOptions, from logits that are not "
              "squeezed into a tiny range.")
def softmax_input_scale(ctx: OpContext) -> Iterator[tuple[str, None]]:
    """An int8 SOFTMAX (and LOG_SOFTMAX, whose beta is 1) needs beta * input_scale * 2^26
    > 1, or PreprocessSoftmaxScaling's QuantizeMultiplierGreaterThanOne aborts the program
    in Prepare (quantization_util.cc). A SOFTMAX without options has beta 0
    (flatbuffer_conversions.cc ParseSoftmax leaves it unset), which always aborts."""
    source = _role_tensor(ctx, "input", 0)
    if source is None or source.dtype != I8 or _scale(source) is None:
        return
    beta = ctx.op.options.get("beta", 0.0) if ctx.op.opcode.name == "SOFTMAX" else 1.0
    multiplier = beta * _scale(source) * 2 ** (31 - SOFTMAX_SCALED_DIFF_INTEGER_BITS)
    if multiplier <= 1:
        yield (f"beta {beta:g} x input scale {_scale(source):.3g} x 2^26 = {multiplier:.3g} is "
               "not > 1: TFLM aborts in Prepare (TFLITE_CHECK_GT in "
               "QuantizeMultiplierGreaterThanOne) instead of returning an error; "
               "requantize the logits to a larger scale"
               + (" and set beta (SoftmaxOptions)" if beta == 0 else ""), None)


@op_check("tflm-same-quantization",
          fix="Give the output of {op} its input's scale and zero point, as the converter does.")
def same_quantization(ctx: OpContext) -> Iterator[tuple[str, str]]:
    """Quantized pooling keeps the input's scale (within 1e-6) and zero point
    (pooling_common.cc PoolingPrepare); int8 REDUCE_MAX/REDUCE_MIN need them equal
    (reduce_common.cc EvalMinMaxHelper, checked at the first Invoke)."""
    source, target = _role_tensor(ctx, "input", 0), _role_tensor(ctx, "output", 0)
    pooling = ctx.op.opcode.name in ("AVERAGE_POOL_2D", "MAX_POOL_2D")
    if (source is None or target is None or source.dtype not in ((I8, I16) if pooling else (I8,))
            or _scale(source) is None or _scale(target) is None):
        return
    scale_differs = (abs(_scale(source) - _scale(target)) > 1e-6 if pooling
                     else _scale(source) != _scale(target))
    if scale_differs or _zero_point(source) != _zero_point(target):
        words = PREPARE_FAILED if pooling else INVOKE_FAILED
        yield (f"output '{target.name}' (scale {_scale(target):.6g}, zero point "
               f"{_zero_point(target)}) differs from input '{source.name}' (scale "
               f"{_scale(source):.6g}, zero point {_zero_point(source)}); TFLM's quantized "
               f"{ctx.op.name} does not rescale",
               words.format(op=ctx.op.name, index=ctx.op.index))


@op_check("tflm-concatenation",
          fix="Concatenate at most 10 tensors per op (chain CONCATENATIONs for more); give int8 "
              "inputs the output's scale and zero point, and int16 ones zero point 0.")
def concatenation(ctx: OpContext) -> Iterator[tuple[str, str]]:
    """CONCATENATION takes at most 10 inputs; int8 inputs need the output's scale and zero
    point (no rescaling), int16 inputs and output zero point 0 (concatenation.cc)."""
    inputs = [t for t in ctx.inputs() if t is not None]
    output = _role_tensor(ctx, "output", 0)
    if len(inputs) > CONCATENATION_MAX_INPUTS:
        yield (f"{len(inputs)} inputs; TFLM concatenates at most {CONCATENATION_MAX_INPUTS}",
               _prepare_failed(ctx))
    for tensor in inputs:
        if tensor.dtype == I8 and output is not None and output.dtype == I8 and (
                _scale(tensor) != _scale(output) or _zero_point(tensor) != _zero_point(output)):
            yield (f"int8 input '{tensor.name}' (scale {_scale(tensor):.6g}, zero point "
                   f"{_zero_point(tensor)}) differs from the output's (scale "
                   f"{_scale(output):.6g}, zero point {_zero_point(output)}); TFLM's int8 "
                   "CONCATENATION does not rescale", _prepare_failed(ctx))
        elif tensor.dtype == I16 and _zero_point(tensor) != 0:
            yield (f"int16 input '{tensor.name}' has zero point {_zero_point(tensor)}; TFLM "
                   "needs 0", _prepare_failed(ctx))


@op_check("tflm-lstm-variant",
          fix="Use the standard LSTM cell (all four gates, no peephole, projection or layer "
              "normalisation), converted as UNIDIRECTIONAL_SEQUENCE_LSTM with 24 inputs and "
              "variable hidden and cell states.")
def lstm_variant(ctx: OpContext) -> Iterator[tuple[str, str]]:
    """TFLM's UNIDIRECTIONAL_SEQUENCE_LSTM takes 24 inputs with all eight gate weights (no
    CIFG), no peephole, projection or layer-norm tensors, and variable hidden and cell
    states (lstm_eval.cc LstmTensors::ValidateTensorStatus)."""
    inputs = ctx.op.inputs
    if len(inputs) != LSTM_INPUTS:
        yield (f"{len(inputs)} inputs; TFLM's LSTM kernel takes {LSTM_INPUTS}",
               _prepare_failed(ctx))
        return
    missing = [i for i in LSTM_GATE_WEIGHTS if inputs[i] < 0]
    if missing:
        yield (f"gate weight inputs {missing} are absent (a CIFG LSTM); TFLM needs all eight",
               _prepare_failed(ctx))
    for variant, positions in LSTM_ABSENT.items():
        present = [i for i in positions if inputs[i] >= 0]
        if present:
            yield (f"{variant} inputs {present} are present; TFLM's LSTM has no {variant}",
                   _prepare_failed(ctx))
    for name, position in LSTM_STATES.items():
        tensor = ctx.tensor(inputs[position])
        if tensor is not None and not tensor.is_variable:
            yield (f"the {name} '{tensor.name}' is not a variable tensor; TFLM keeps LSTM state "
                   "in variable tensors", _prepare_failed(ctx))


@op_check("tflm-ethos-u-kernel",
          fix="Run it on an Ethos-U device whose TFLM is built with the Ethos-U kernel and "
              "driver (OPTIMIZED_KERNEL_DIR=ethos_u) and lint it with --target "
              "ethos-u55/u65/u85; for a plain MCU, deploy the model from before Vela.")
def ethos_u_kernel(ctx: OpContext) -> Iterator[tuple[str, str]]:
    """An `ethos-u` op (Vela's output) runs only where TFLM is built with the Ethos-U kernel
    and driver; elsewhere Register_ETHOSU() returns nullptr, AddEthosU() registers nothing
    and the op has no registration (micro_mutable_op_resolver.h AddEthosU, ethosu.cc)."""
    yield ("the model is already compiled by Vela for an Arm Ethos-U NPU; a TFLM build "
           "without the Ethos-U kernel and driver has no registration for it",
           "Failed to get registration from op code CUSTOM")


# -- the whole model ------------------------------------------------------------------------

@model_check("tflm-offline-plan",
             fix="Write the OfflineMemoryAllocation metadata with one offset per tensor of all "
                 "subgraphs (run the tool that wrote it again), or remove it so that TFLM plans "
                 "the arena itself.")
def offline_plan(ctx: ModelContext) -> Iterator[tuple[str, str | None]]:
    """An OfflineMemoryAllocation metadata entry must hold one offset per tensor of all
    subgraphs (micro_allocation_info.cc GetOfflinePlannedOffsets)."""
    try:
        plan = ctx.view.offline_plan
    except OfflinePlanError as error:
        yield f"the OfflineMemoryAllocation metadata is malformed: {error}", None
        return
    if plan is None:
        return
    tensors = sum(len(subgraph.tensors) for subgraph in ctx.view.model.subgraphs)
    if len(plan.offsets) != tensors:
        yield (f"the OfflineMemoryAllocation metadata plans {len(plan.offsets)} tensors but "
               f"the model has {tensors}",
               f"Nbr of offline buffer offsets ({len(plan.offsets)}) in metadata not equal nbr "
               f"tensors ({tensors})")


@model_check("tflm-every-subgraph-registered",
             fix="Register a kernel for every op of every subgraph "
                 "(MicroMutableOpResolver::Add...), subgraphs no op calls included, or convert "
                 "again without those subgraphs.")
def every_subgraph_registered(ctx: ModelContext) -> Iterator[tuple[str, str]]:
    """TFLM looks up the kernel of every op in every subgraph, also subgraphs no op calls,
    and stops at the first it lacks (micro_interpreter.cc
    PrepareNodeAndRegistrationDataFromFlatbuffer). Ops of the subgraphs that run are judged
    per op; this names the ones in subgraphs that never run."""
    reachable = ctx.view.reachable_subgraphs
    for subgraph in ctx.view.model.subgraphs:
        if subgraph.index in reachable:
            continue
        for op in subgraph.operators:
            code = op.opcode
            key = f"CUSTOM:{code.custom_code}" if code.name == "CUSTOM" else code.name
            support = ctx.profile.support_for(key)
            if support is not None and getattr(support, "supported", True):
                continue
            tool = ("Failed to get registration from op code CUSTOM" if code.name == "CUSTOM"
                    else f"Didn't find op for builtin opcode '{code.name}'")
            yield (f"op {op.index} ({op.name}) of subgraph {subgraph.index}, which nothing "
                   "calls, has no TFLM kernel; TFLM registers every subgraph's ops", tool)
