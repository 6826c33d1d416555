"""Checks of the XNNPACK delegate (profile rules/targets/xnnpack.toml).

Each check mirrors a test in Subgraph::VisitNode and the Visit*Node functions it calls
(google-ai-edge/LiteRT@f67457790c9c tflite/delegates/xnnpack/xnnpack_delegate.cc), for the
default build: QS8 and QU8 on, dynamic FULLY_CONNECTED weights off, dynamically quantized
ops on. Where the delegate words a failure, the check yields (message, that wording with
the tensor and node numbers filled in). XNNPACK prints these only when built with
XNNPACK_DELEGATE_ENABLE_LOGGING (off by default); a stock build skips the op silently.
"""
from __future__ import annotations

import math
from typing import Iterator

from . import OpContext, op_check

F32, F16, U8, I8, I32, I64, I4, I2 = ("FLOAT32", "FLOAT16", "UINT8", "INT8", "INT32", "INT64",
                                      "INT4", "INT2")
MAX_DIMS = 6  # XNN_MAX_TENSOR_DIMS (google/XNNPACK include/xnnpack.h)
# Name the delegate prints for an op: EnumNameBuiltinOperator of what VisitNode passes.
# REDUCE_MIN/REDUCE_MAX pass BuiltinOperator_MIN/_MAX, the enum's range markers, which
# name ADD and STABLEHLO_CASE in the schema of this LiteRT commit.
PRINTED_NAME = {"REDUCE_MIN": "ADD", "REDUCE_MAX": "STABLEHLO_CASE"}

# Inputs that must be static (CheckTensorStaticAllocation): (position, may also be the
# output of a DEQUANTIZE/DENSIFY the delegate unpacks at delegation time).
STATIC_INPUTS: dict[str, tuple[tuple[int, bool], ...]] = {
    "CONV_2D": ((1, True), (2, True)),
    "DEPTHWISE_CONV_2D": ((1, True), (2, True)),
    "FULLY_CONNECTED": ((1, True), (2, True)),
    "TRANSPOSE_CONV": ((0, False), (1, True), (3, True)),
    "PRELU": ((1, True),),
    "PAD": ((1, False),),
    "RESHAPE": ((1, False),),
    "RESIZE_BILINEAR": ((1, False),),
    "SLICE": ((1, False), (2, False)),
    "STRIDED_SLICE": ((1, False), (2, False), (3, False)),
    "TRANSPOSE": ((1, False),),
    "MEAN": ((1, False),), "SUM": ((1, False),),
    "REDUCE_MAX": ((1, False),), "REDUCE_MIN": ((1, False),),
    "SPLIT": ((0, False),),
    "CUSTOM:Convolution2DTransposeBias": ((1, True), (2, True)),
}
# Tensors that must be 4-D (CheckTensorShape with 4): input positions, output positions.
FOUR_D: dict[str, tuple[tuple[int, ...], tuple[int, ...]]] = {
    "CONV_2D": ((0, 1), (0,)),
    "DEPTHWISE_CONV_2D": ((0, 1), (0,)),
    "TRANSPOSE_CONV": ((1, 2), (0,)),
    "RESIZE_BILINEAR": ((0,), (0,)),
    "CUSTOM:Convolution2DTransposeBias": ((0, 1), (0,)),
    "CUSTOM:MaxPoolingWithArgmax2D": ((0,), (0, 1)),
    "CUSTOM:MaxUnpooling2D": ((0, 1), (0,)),
}

FLOAT_OR_QUANT = (F32, F16, I8, U8)
FLOAT32_OR_QUANT = (F32, I8, U8)
# Types of the data tensors of ops that also take shapes, axes or sizes (which the profile's
# `dtypes` would test too): {input position: types}, types of every output.
DATA_TYPES: dict[str, tuple[dict[int, tuple[str, ...]], tuple[str, ...]]] = {
    **{name: ({0: FLOAT_OR_QUANT}, FLOAT_OR_QUANT)
       for name in ("MEAN", "SUM", "REDUCE_MAX", "REDUCE_MIN", "PAD", "RESHAPE", "SLICE",
                    "STRIDED_SLICE", "TRANSPOSE")},
    "SPLIT": ({1: FLOAT_OR_QUANT}, FLOAT_OR_QUANT),
    "RESIZE_BILINEAR": ({0: FLOAT32_OR_QUANT}, FLOAT_OR_QUANT),
    "TRANSPOSE_CONV": ({2: FLOAT32_OR_QUANT}, FLOAT32_OR_QUANT),
}


def _key(ctx: OpContext) -> str:
    code = ctx.op.opcode
    return f"CUSTOM:{code.custom_code}" if code.name == "CUSTOM" else code.name


def _printed(ctx: OpContext) -> str:
    return PRINTED_NAME.get(ctx.op.opcode.name, ctx.op.opcode.name)


def _input(ctx: OpContext, position: int):
    return ctx.tensor(ctx.op.inputs[position]) if position < len(ctx.op.inputs) else None


def _scale(tensor) -> float:
    scale = tensor.quantization.scale if tensor is not None and tensor.quantization else ()
    return float(scale[0]) if scale else 0.0


def _zero_point(tensor) -> int:
    zero_point = tensor.quantization.zero_point if tensor and tensor.quantization else ()
    return int(zero_point[0]) if zero_point else 0


def _per_tensor(tensor) -> bool:
    return bool(tensor.quantization and len(tensor.quantization.scale) == 1
                and tensor.quantization.scale[0])


def _unpacked_statically(ctx: OpContext, tensor_index: int) -> bool:
    """The tensor is made at delegation time from constant data: the output of a DEQUANTIZE
    of FLOAT16 or quantized INT8, or of a DENSIFY of sparse weights (quasi-static tensors of
    PrepareOpsToDelegate), possibly through a chain of them."""
    producer = ctx.view.producer(ctx.op.subgraph, tensor_index)
    if producer is None or len(producer.inputs) != 1 or len(producer.outputs) != 1:
        return False
    source = ctx.view.tensor(ctx.op.subgraph, producer.inputs[0]) \
        if producer.inputs[0] >= 0 else None
    result = ctx.view.tensor(ctx.op.subgraph, producer.outputs[0])
    if source is None:
        return False
    static = source.is_constant or _unpacked_statically(ctx, producer.inputs[0])
    if producer.opcode.name == "DEQUANTIZE":
        quantized_int8 = source.dtype == I8 and bool(source.quantization and
                                                     source.quantization.scale)
        return (source.sparsity is None and static and result.dtype == F32
                and (source.dtype == F16 or quantized_int8))
    if producer.opcode.name == "DENSIFY":
        return (source.is_constant and source.sparsity is not None
                and source.dtype in (F16, I8, F32) and result.dtype == source.dtype)
    return False


# -- checks every op runs (tables above) ----------------------------------------------------

@op_check("xnnpack-per-tensor-quantization",
          fix="Quantize the activations of {op} per tensor (one scale, quantized dimension 0); "
              "only weights may be per channel.")
def per_tensor_quantization(ctx: OpContext) -> Iterator[tuple[str, str]]:
    """INT8 and UINT8 activations must be per-tensor affine quantized: one scale (and for
    UINT8 one zero point), quantized dimension 0. Weights may be per-channel."""
    allowed = ctx.support.dtypes if ctx.support else None
    tensors = [(i, t) for i, t in enumerate(ctx.inputs())
               if not (ctx.op.opcode.name == "BATCH_MATMUL" and i == 1)]
    tensors += list(enumerate(ctx.outputs()))
    for _, tensor in tensors:
        if (tensor is None or tensor.is_constant or tensor.dtype not in (I8, U8)
                or (allowed is not None and tensor.dtype not in allowed)):
            continue
        quantization = tensor.quantization
        scales = len(quantization.scale) if quantization else 0
        zero_points = len(quantization.zero_point) if quantization else 0
        if (scales != 1 or quantization.quantized_dimension != 0
                or (tensor.dtype == U8 and zero_points != 1)):
            what = "no quantization" if not scales else f"{scales} scales"
            yield (f"{tensor.dtype} activation '{tensor.name}' has {what}; XNNPACK needs "
                   "per-tensor (one scale) quantization of activations",
                   f"unsupported quantization type {1 if scales else 0} in tensor "
                   f"#{tensor.index} in node #{ctx.op.index}")


@op_check("xnnpack-static-inputs",
          fix="Make the inputs of {op} other than its data (weights, biases, shapes, "
              "paddings, axes, permutations, slice bounds) constants: convert with fixed input "
              "shapes so that the converter folds computed ones.")
def static_inputs(ctx: OpContext) -> Iterator[tuple[str, str]]:
    """Weights, biases, shapes, paddings, axes, permutations and slice bounds must be
    constant (table STATIC_INPUTS); weights may also come from a DEQUANTIZE or DENSIFY of
    constant data, which the delegate unpacks once."""
    for position, unpacked_ok in STATIC_INPUTS.get(_key(ctx), ()):
        if position >= len(ctx.op.inputs) or ctx.op.inputs[position] < 0:
            continue
        tensor = ctx.tensor(ctx.op.inputs[position])
        if tensor.is_constant or (unpacked_ok and _unpacked_statically(ctx, tensor.index)):
            continue
        yield (f"input {position} ('{tensor.name}') must be constant for XNNPACK",
               f"invalid allocation type in tensor #{tensor.index} in {_printed(ctx)} node "
               f"#{ctx.op.index}: expected static read-only tensor")


@op_check("xnnpack-4d",
          fix="Give {op} 4-D tensors: RESHAPE to [batch, height, width, channels] around it.")
def four_d(ctx: OpContext) -> Iterator[tuple[str, str]]:
    """Convolutions, RESIZE_BILINEAR and the MediaPipe ops take 4-D tensors only (table
    FOUR_D)."""
    inputs, outputs = FOUR_D.get(_key(ctx), ((), ()))
    tensors = [("input", p, _input(ctx, p)) for p in inputs]
    tensors += [("output", p, t) for p, t in enumerate(ctx.outputs()) if p in outputs]
    for role, position, tensor in tensors:
        if tensor is not None and len(tensor.shape) != 4:
            yield (f"{role} {position} ('{tensor.name}') has rank {len(tensor.shape)}; "
                   f"XNNPACK runs {ctx.op.name} on 4-D tensors only",
                   f"unsupported number of shape dimensions ({len(tensor.shape)}) in tensor "
                   f"#{tensor.index} in {_printed(ctx)} node #{ctx.op.index}: 4 dimensions "
                   "expected")


@op_check("xnnpack-data-types",
          fix="Give the data of {op} a float or 8-bit quantized type; INT32, INT16 and BOOL data "
              "stay on the CPU.")
def data_types(ctx: OpContext) -> Iterator[tuple[str, str]]:
    """The data inputs and outputs of ops that also take shapes, axes or sizes must be
    float or 8-bit quantized (table DATA_TYPES)."""
    inputs, output_types = DATA_TYPES.get(ctx.op.opcode.name, ({}, ()))
    tensors = [("input", p, _input(ctx, p), allowed) for p, allowed in inputs.items()]
    tensors += [("output", p, t, output_types) for p, t in enumerate(ctx.outputs())]
    for role, position, tensor, allowed in tensors:
        if tensor is not None and tensor.dtype not in allowed:
            yield (f"{role} {position} ('{tensor.name}') is {tensor.dtype}; XNNPACK takes "
                   f"{', '.join(allowed)}",
                   f"CheckTensorFloat32OrQUInt8Type: unsupported type {tensor.dtype} in "
                   f"tensor #{tensor.index} in node #{ctx.op.index}")


# -- convolutions and fully connected ------------------------------------------------------

def _filter_quantized_dimension(ctx: OpContext, filter_tensor, expected: int):
    q = filter_tensor.quantization
    if filter_tensor.dtype == I8 and q and len(q.scale) > 1 and q.quantized_dimension != expected:
        yield (f"weights '{filter_tensor.name}' are quantized per channel along dimension "
               f"{q.quantized_dimension}; XNNPACK needs dimension {expected}",
               f"unsupported quantized dimension {q.quantized_dimension} in tensor "
               f"#{filter_tensor.index} in node #{ctx.op.index}")


@op_check("xnnpack-convolution",
          fix="Keep the converter's bias, and one type for input, weights and output (float "
              "input with INT8 weights, dynamic quantization, is the one mix and only for "
              "CONV_2D); quantize weights per output channel.")
def convolution(ctx: OpContext) -> Iterator[tuple[str, str]]:
    """CONV_2D and DEPTHWISE_CONV_2D: a bias input; input, weights and output of one type
    (CONV_2D may take float input with int8 weights: dynamic quantization); per-channel
    weights along the output channels; the depth multiplier divides the output channels."""
    name, node = ctx.op.opcode.name, ctx.op.index
    first, weights, outputs = _input(ctx, 0), _input(ctx, 1), ctx.outputs()
    if len(ctx.op.inputs) < 3 or ctx.op.inputs[2] < 0:
        yield (f"{name} without a bias; XNNPACK needs one (the converter adds it by default)",
               f"unsupported {name} node #{node} without bias")
    if first is None or weights is None or not outputs:
        return
    yield from _filter_quantized_dimension(ctx, weights, 0 if name == "CONV_2D" else 3)
    dynamic = name == "CONV_2D" and first.dtype == F32 and weights.dtype == I8
    if first.dtype != outputs[0].dtype or (first.dtype != weights.dtype and not dynamic):
        yield (f"input {first.dtype}, weights {weights.dtype}, output {outputs[0].dtype}: "
               f"XNNPACK needs one type" + ("" if name == "CONV_2D" else
                                            " (no dynamic-range depthwise convolution)"),
               f"unsupported mixed types in {name} operator #{node}")
    if len(weights.shape) == 4 and len(first.shape) == 4:
        if name == "DEPTHWISE_CONV_2D":
            multiplier = ctx.op.options.get("depth_multiplier", 0)
            channels = weights.shape[3]
            if multiplier > 0 and channels % multiplier:
                yield (f"depth multiplier {multiplier} does not divide the {channels} output "
                       "channels",
                       f"depth multiplier {multiplier} is incompatible with number of output "
                       f"channels {channels} in node #{node}")
        elif weights.shape[3] and first.shape[3] // weights.shape[3] == 0:
            yield (f"input has {first.shape[3]} channels, fewer than the weights' "
                   f"{weights.shape[3]}",
                   f"groups of zero is not supported by CONV_2D operator #{node}")


@op_check("xnnpack-transpose-conv",
          fix="Give TRANSPOSE_CONV a constant 4-element INT32 output shape whose channels match "
              "the weights.")
def transpose_conv(ctx: OpContext) -> Iterator[tuple[str, str]]:
    """TRANSPOSE_CONV: a 4-element INT32 output shape whose channels match the weights."""
    node = ctx.op.index
    shape_tensor, weights, first = _input(ctx, 0), _input(ctx, 1), _input(ctx, 2)
    if shape_tensor is None:
        return
    if shape_tensor.dtype != I32:
        yield (f"output shape is {shape_tensor.dtype}; XNNPACK takes INT32",
               f"CheckTensorType: unsupported type {shape_tensor.dtype} in tensor "
               f"#{shape_tensor.index} in node #{node}")
        return
    data = ctx.view.tensor_data(shape_tensor)
    if data is None:
        return
    shape = [int(v) for v in data.reshape(-1)]
    if len(shape) != 4:
        yield (f"output shape has {len(shape)} elements; XNNPACK needs 4",
               f"unsupported number of output shape dimensions ({len(shape)}) in node "
               f"#{node}: 4 dimensions expected")
    elif weights is not None and len(weights.shape) == 4 and weights.shape[0] != shape[3]:
        yield (f"weights have {weights.shape[0]} output channels, the output shape "
               f"{shape[3]}",
               f"transpose convolution kernel output channel dimension ({weights.shape[0]}) "
               f"doesn't match output shape channel dimension ({shape[3]}) in node #{node}: "
               "4 dimensions expected")
    if (first is not None and weights is not None and len(first.shape) == 4
            and len(weights.shape) == 4 and weights.shape[3] != first.shape[3]):
        yield (f"weights take {weights.shape[3]} input channels, the input has "
               f"{first.shape[3]}",
               f"transpose convolution kernel input channel dimension ({weights.shape[3]}) "
               f"doesn't match filter input channel ({first.shape[3]}) in node #{node}")


@op_check("xnnpack-fully-connected",
          fix="Keep the weights dense (not version 8 sparse), 2-D and in the default format, "
              "with a matching bias; give INT8 weights zero point 0 and an even input channel "
              "count for INT4.")
def fully_connected(ctx: OpContext) -> Iterator[tuple[str, str]]:
    """FULLY_CONNECTED: not version 8 (sparse weights); default weights format; 2-D weights
    of FLOAT32/FLOAT16/INT8/INT4/INT2 (or per-tensor UINT8); matching bias; input and output
    of one type (float input with integer weights is dynamic quantization); INT8 weights
    of a quantized FULLY_CONNECTED with zero point 0; INT4 weights with an even number of
    input channels, INT2 with a multiple of 4."""
    node, version = ctx.op.index, ctx.op.opcode.version
    if version == 8:
        yield ("version 8 (sparse, shuffled weights) is not taken by XNNPACK",
               f"Unsupported version {version} of FullyConnected.")
        return
    if ctx.op.options.get("weights_format", "DEFAULT") != "DEFAULT":
        yield (f"weights format {ctx.op.options['weights_format']}; XNNPACK takes DEFAULT",
               f"unsupported non-default weights format in node #{node}")
    first, weights, outputs = _input(ctx, 0), _input(ctx, 1), ctx.outputs()
    if first is None or weights is None or not outputs:
        return
    if len(weights.shape) != 2:
        yield (f"weights '{weights.name}' have rank {len(weights.shape)}; XNNPACK needs 2",
               f"unsupported number of shape dimensions ({len(weights.shape)}) in tensor "
               f"#{weights.index} in FULLY_CONNECTED node #{node}: 2 dimensions expected")
        return
    if weights.dtype not in (F32, F16, I8, I4, I2, U8):
        yield (f"weights are {weights.dtype}; XNNPACK takes FLOAT32, FLOAT16, INT8, INT4, "
               "INT2 or UINT8",
               f"CheckTensorFilterType: unsupported type {weights.dtype} in tensor "
               f"#{weights.index} in node #{node}")
    output_channels, input_channels = weights.shape
    bias = _input(ctx, 2)
    if bias is not None and bias.element_count != output_channels:
        yield (f"bias has {bias.element_count} elements for {output_channels} output "
               "channels",
               f"Fully Connected: Mismatch between number of bias elements "
               f"{bias.element_count} and number of output channels {output_channels} at "
               f"node {ctx.op.inputs[0]}")
    dynamic = first.dtype in (F32, F16) and weights.dtype in (I2, I4, I8)
    quantized = first.dtype == I8 and weights.dtype in (I2, I4, I8)
    if first.dtype != outputs[0].dtype or (first.dtype != weights.dtype
                                           and not (dynamic or quantized)):
        yield (f"input {first.dtype}, weights {weights.dtype}, output {outputs[0].dtype}: "
               "XNNPACK cannot mix these",
               f"unsupported mixed types in FULLY_CONNECTED operator #{node}")
    if not dynamic and weights.dtype == I8 and _zero_point(weights) != 0:
        yield (f"INT8 weights with zero point {_zero_point(weights)}; XNNPACK needs 0",
               f"unsupported zero point ({_zero_point(weights)}) for weights in "
               f"FULLY_CONNECTED operator #{node}")
    if weights.dtype == I4 and input_channels % 2:
        yield (f"INT4 weights with an odd number of input channels ({input_channels})",
               f"unsupported odd number of inputs channels ({input_channels}) in "
               f"FULLY_CONNECTED operator #{node}")
    if weights.dtype == I2 and input_channels % 4:
        yield (f"INT2 weights with {input_channels} input channels, not a multiple of 4",
               f"unsupported non-multiple of 4 number of inputs channels ({input_channels}) "
               f"in FULLY_CONNECTED operator #{node}")


# Block-wise weights (xnnpack_delegate.cc, LiteRT@f67457790c9c): CheckTensorFilterType
# takes a block size that is a multiple of 32; GetXNNPackDatatype takes INT4 only, float16
# scales that are normal and positive once widened to float (CheckFp16Scale), and weights
# whose element count divided by the number of scales is the block size.
BLOCK_MULTIPLE = 32


@op_check("xnnpack-blockwise",
          fix="Quantize the weights block-wise to INT4 with float16 scales that are positive, "
              "a block size that is a multiple of 32, and one scale per block.")
def blockwise(ctx: OpContext) -> Iterator[tuple[str, str]]:
    """FULLY_CONNECTED with block-wise quantized weights: INT4 weights, a block size that
    is a multiple of 32, float16 scales that are finite and positive, and exactly one
    scale per block (weight elements / scales = block size)."""
    weights = _input(ctx, 1)
    quantization = weights.quantization if weights is not None else None
    details = quantization.blockwise if quantization is not None else None
    if details is None:
        return
    node, index = ctx.op.index, weights.index
    if details.block_size % BLOCK_MULTIPLE:
        yield (f"block size {details.block_size} is not a multiple of {BLOCK_MULTIPLE}",
               f"Blocksize {details.block_size} must be multiple of {BLOCK_MULTIPLE} in tensor "
               f"#{index} in node #{node}")
    if weights.dtype != I4:
        yield (f"block-wise weights are {weights.dtype}; XNNPACK takes block-wise INT4 only",
               f"unsupported tensor type {_TYPE_CODES.get(weights.dtype, weights.dtype)} for "
               f"blockwise quantized tensor {index} in XNNPACK delegate")
        return
    scales = ctx.tensor(details.scales)
    scale_values = _as_float16(ctx, scales)
    bad = next((i for i, value in enumerate(scale_values)
                if not (math.isfinite(value) and value > 0)), None)
    if bad is not None:
        yield (f"scale {bad} of the weights is {scale_values[bad]}; XNNPACK takes finite, "
               "positive float16 scales",
               f"unsupported scale value ({scale_values[bad]:f}) in channel {bad} for INT4 "
               f"tensor {index} in XNNPACK delegate")
    count = scales.element_count
    if count and weights.element_count // count != details.block_size:
        yield (f"{weights.element_count} weights with {count} scales is "
               f"{weights.element_count // count} weights per scale, not the block size "
               f"{details.block_size}",
               f"Unsupported combination of filter elements {weights.element_count} number "
               f"of scales {count} and blocksize {details.block_size} for {weights.name} "
               f"tensor {index} in XNNPACK delegate")


_TYPE_CODES = {"INT8": 9, "INT2": 20}  # TfLiteType values the delegate prints


def _as_float16(ctx: OpContext, scales) -> list[float]:
    """The scales as CheckFp16Scale reads them: float16 values, whatever the tensor type."""
    import numpy

    buffer = ctx.view.buffer_of(scales)
    data = ctx.view.buffer_bytes(buffer)
    count = min(scales.element_count, len(data) // 2)
    return numpy.frombuffer(data, dtype="<f2", count=count).astype(float).tolist()


@op_check("xnnpack-batch-matmul",
          fix="Give BATCH_MATMUL inputs of one type and rank 2 or more (float with INT8 weights "
              "is the one mix); quantize a constant right-hand side with zero point 0.")
def batch_matmul(ctx: OpContext) -> Iterator[tuple[str, str]]:
    """BATCH_MATMUL: both inputs of one type unless float x INT8 (dynamic quantization);
    a statically quantized INT8 right-hand side with zero point 0; ranks >= 2."""
    node = ctx.op.index
    a, b = _input(ctx, 0), _input(ctx, 1)
    if a is None or b is None:
        return
    dynamic = a.dtype == F32 and b.dtype == I8
    if b.dtype == I8 and not dynamic and b.quantization and _zero_point(b) != 0:
        yield (f"INT8 right-hand side with zero point {_zero_point(b)}; XNNPACK needs 0",
               f"failed to delegate BATCH_MATMUL node #{node}. non-zero zero point "
               f"{_zero_point(b)} of input 1 ({b.index}) is not supported.")
    if a.dtype != b.dtype and not dynamic:
        yield (f"inputs {a.dtype} and {b.dtype}: XNNPACK cannot mix these",
               f"unsupported mixed types in BATCH_MATMUL operator #{node}")
    for tensor in (a, b):
        if len(tensor.shape) < 2:
            yield (f"'{tensor.name}' has rank {len(tensor.shape)}; XNNPACK needs at least 2",
                   f"failed to delegate BATCH_MATMUL node #{node}. Unsupported number of "
                   f"dimensions {len(tensor.shape)} for tensor #{tensor.index}, must be at "
                   "least 2")


# -- element-wise ------------------------------------------------------------------------------

@op_check("xnnpack-binary",
          fix="Give both inputs and the output of {op} one type; quantized, keep the scales in "
              "range (ADD/SUB: input/output scale in [1/1024, 256); MUL: input scales' product "
              "over the output scale in [1/65536, 256)).")
def binary(ctx: OpContext) -> Iterator[tuple[str, str]]:
    """ADD, SUB, MUL: both inputs and the output of one type; quantized, the scale ratio
    must be in range (ADD/SUB: input/output scale in [1/1024, 256); MUL: product of the
    input scales over the output scale in [1/65536, 256))."""
    name, node = ctx.op.opcode.name, ctx.op.index
    a, b, outputs = _input(ctx, 0), _input(ctx, 1), ctx.outputs()
    if a is None or b is None or not outputs:
        return
    out = outputs[0]
    if not a.dtype == b.dtype == out.dtype:
        yield (f"inputs {a.dtype} and {b.dtype}, output {out.dtype}: XNNPACK needs one type",
               f"unsupported mixed types in {name} operator #{node}")
        return
    if a.dtype not in (I8, U8) or not all(_per_tensor(t) for t in (a, b, out)):
        return  # xnnpack-per-tensor-quantization reports these first
    if name == "MUL":
        ratio = _scale(a) * _scale(b) / _scale(out)
        if not 1 / 65536 <= ratio < 256:
            yield (f"input scales' product over the output scale is {ratio:g}, outside "
                   "[1/65536, 256)",
                   f"unsupported input-product-to-output scale in {name}, node #{node}")
        return
    for tensor in (a, b):
        ratio = _scale(tensor) / _scale(out)
        if not 1 / 1024 <= ratio < 256:
            yield (f"input scale over output scale is {ratio:g} for '{tensor.name}', outside "
                   "[1/1024, 256)",
                   f"unsupported input-to-output scale in {name} node #{node}")
            return


@op_check("xnnpack-leaky-relu",
          fix="Use a normal, non-zero alpha; quantized, keep the input/output scale ratio in "
              "[1/256, 128] (quantize input and output alike).")
def leaky_relu(ctx: OpContext) -> Iterator[tuple[str, str]]:
    """LEAKY_RELU: a normal, non-zero alpha; quantized, input/output scale in [1/256, 128]
    and alpha times it in [-127.99609375, 128] and at least 1/256 in size."""
    node = ctx.op.index
    alpha = float(ctx.op.options.get("alpha", 0.0))
    if alpha == 0 or not math.isfinite(alpha) or abs(alpha) < 1.1754944e-38:
        yield (f"alpha {alpha:g} is not a normal non-zero number",
               f"unsupported alpha {alpha:g} in LEAKY_RELU node #{node}")
        return
    first, outputs = _input(ctx, 0), ctx.outputs()
    if first is None or not outputs or first.dtype not in (I8, U8):
        return
    if not (_scale(first) and _scale(outputs[0])):
        return
    positive = _scale(first) / _scale(outputs[0])
    if not 1 / 256 <= positive <= 128:
        yield (f"input/output scale {positive:g} is outside [1/256, 128]",
               f"unsupported positive input-to-output scale {positive:g} in LEAKY_RELU node "
               f"#{node}")
        return
    negative = positive * alpha
    if not -127.99609375 <= negative <= 128 or abs(negative) < 1 / 256:
        yield (f"alpha x input/output scale is {negative:g}, outside what XNNPACK takes",
               f"unsupported negative input-to-output scale {negative:g} in LEAKY_RELU node "
               f"#{node}")


@op_check("xnnpack-quantize",
          fix="Quantize from float, or requantize within one type (int8 to int8, uint8 to uint8) "
              "with an input/output scale ratio in [1/256, 128]; convert int8 <-> uint8 at the "
              "model's edges in the app.")
def quantize(ctx: OpContext) -> Iterator[tuple[str, str]]:
    """QUANTIZE: from float to a quantized type, or requantize within one type with an
    input/output scale in [1/256, 128]."""
    node = ctx.op.index
    first, outputs = _input(ctx, 0), ctx.outputs()
    if first is None or not outputs:
        return
    out = outputs[0]
    if first.dtype in (F32, F16):
        return
    if first.dtype in (I8, U8) and first.dtype == out.dtype:
        ratio = _scale(first) / _scale(out) if _scale(out) else math.inf
        if not 1 / 256 <= ratio <= 128:
            yield (f"input/output scale {ratio:g} is outside [1/256, 128]",
                   f"unsupported input-to-output scale in QUANTIZE node #{node}")
        return
    yield (f"requantizing {first.dtype} to {out.dtype} is not taken by XNNPACK (only within "
           "one type)",
           f"unsupported combination of input type ({first.dtype}) and output type "
           f"({out.dtype}) in QUANTIZE node #{node}")


@op_check("xnnpack-dequantize",
          fix="Dequantize INT8 or UINT8 activations (or constant FLOAT16/INT8 weights, which the "
              "delegate unpacks once); other types stay on the CPU.")
def dequantize(ctx: OpContext) -> Iterator[tuple[str, str]]:
    """DEQUANTIZE of an activation takes INT8 or UINT8; a DEQUANTIZE of constant FLOAT16 or
    INT8 data (or of such a tensor) is unpacked once at delegation time instead."""
    first = _input(ctx, 0)
    if first is None or first.dtype in (I8, U8) or _unpacked_statically(ctx, ctx.op.outputs[0]):
        return
    yield (f"DEQUANTIZE of a {first.dtype} activation is not taken by XNNPACK (only INT8 or "
           "UINT8, or constant FLOAT16 weights)",
           f"CheckTensorQInt8OrQUInt8Type: unsupported type {first.dtype} in tensor "
           f"#{first.index} in node #{ctx.op.index}")


@op_check("xnnpack-static-unpack",
          fix="Densify only constant sparse FLOAT32, FLOAT16 or INT8 weights; otherwise convert "
              "with dense weights.")
def static_unpack(ctx: OpContext) -> Iterator[tuple[str, str]]:
    """DENSIFY is taken only on constant sparse FLOAT32/FLOAT16/INT8 weights, which the
    delegate densifies once; VisitNode itself has no DENSIFY."""
    if not _unpacked_statically(ctx, ctx.op.outputs[0]):
        yield ("XNNPACK densifies only constant sparse FLOAT32, FLOAT16 or INT8 weights",
               f"unsupported operator type DENSIFY in node #{ctx.op.index}")


@op_check("xnnpack-softmax-beta",
          fix="Scale the logits with a MUL by beta before a SOFTMAX with beta 1.")
def softmax_beta(ctx: OpContext) -> Iterator[tuple[str, str]]:
    """SOFTMAX: beta must be 1."""
    beta = float(ctx.op.options.get("beta", 0.0))
    if beta != 1.0:
        yield (f"beta {beta:g}; XNNPACK takes beta 1 only",
               f"unsupported beta value {beta:.7f} in SOFTMAX node #{ctx.op.index}")


# -- pooling and layout ------------------------------------------------------------------------

@op_check("xnnpack-pooling",
          fix="Use strides no larger than the pooling window, and a 1x1 window only with stride "
              "1 (a 1x1 pool with a stride is a strided slice).")
def pooling(ctx: OpContext) -> Iterator[tuple[str, str]]:
    """AVERAGE_POOL_2D and MAX_POOL_2D: strides no larger than the window, and a 1x1 window
    only with stride 1."""
    name, node, options = ctx.op.opcode.name, ctx.op.index, ctx.op.options
    sw, sh = options.get("stride_w", 0), options.get("stride_h", 0)
    fw, fh = options.get("filter_width", 0), options.get("filter_height", 0)
    if sw > fw:
        yield (f"stride width {sw} exceeds the window width {fw}",
               f"unsupported width stride {sw} exceeding filter width {fw} in {name} node "
               f"#{node}")
    elif sh > fh:
        yield (f"stride height {sh} exceeds the window height {fh}",
               f"unsupported height stride {sh} exceeding filter height {fh} in {name} node "
               f"#{node}")
    elif fw == 1 and fh == 1 and max(sw, sh) > 1:
        yield (f"a 1x1 window with stride {sw}x{sh}",
               f"unsupported pooling with 1x1 filter and {sw}x{sh} stride in {name} node "
               f"#{node}")


@op_check("xnnpack-concatenation",
          fix="Concatenate 2 to 5 tensors per op (chain CONCATENATIONs for more), and give UINT8 "
              "inputs the output's scale and zero point.")
def concatenation(ctx: OpContext) -> Iterator[tuple[str, str]]:
    """CONCATENATION: 2 to 5 inputs, an existing axis, and for UINT8 the output's scale and
    zero point on every input."""
    node = ctx.op.index
    inputs = [t for t in ctx.inputs() if t is not None]
    outputs = ctx.outputs()
    if not 2 <= len(ctx.op.inputs) <= 5:
        yield (f"{len(ctx.op.inputs)} inputs; XNNPACK concatenates 2 to 5",
               f"unexpected number of inputs ({len(ctx.op.inputs)}) in CONCATENATION node "
               f"#{node}")
        return
    axis = ctx.op.options.get("axis", 0)
    if any(axis >= len(t.shape) for t in inputs):
        yield (f"axis {axis} is not an axis of every input",
               f"failed to delegate CONCATENATION node #{node}. Concatenating in a new "
               f"dimension {axis} is not supported.")
        return
    if outputs and outputs[0].dtype == U8:
        out = outputs[0]
        for position, tensor in enumerate(inputs):
            if _zero_point(tensor) != _zero_point(out):
                yield (f"UINT8 input {position} has zero point {_zero_point(tensor)}, the "
                       f"output {_zero_point(out)}",
                       f"Mismatching quantization zero point across the {position}th input "
                       f"({_zero_point(tensor)}) and the output ({_zero_point(out)}) for "
                       f"CONCATENATE operator #{node}")
                return
            if _scale(tensor) != _scale(out):
                yield (f"UINT8 input {position} has scale {_scale(tensor):g}, the output "
                       f"{_scale(out):g}",
                       f"Mismatching quantization scale across the {position}th input "
                       f"({_scale(tensor):f}) and the output ({_scale(out):f}) for "
                       f"CONCATENATE operator #{node}")
                return


def _int_type(ctx: OpContext, tensor, allowed: tuple[str, ...], function: str):
    if tensor is not None and tensor.dtype not in allowed:
        yield (f"'{tensor.name}' is {tensor.dtype}; XNNPACK takes {' or '.join(allowed)}",
               f"{function}: unsupported type {tensor.dtype} in tensor #{tensor.index} in "
               f"node #{ctx.op.index}")


def _values(ctx: OpContext, tensor) -> list[int] | None:
    data = ctx.view.tensor_data(tensor) if tensor is not None else None
    return None if data is None else [int(v) for v in data.reshape(-1)]


@op_check("xnnpack-reduce", fix="Reduce over 1 to 6 axes given as a constant 1-D INT32 tensor.")
def reduce(ctx: OpContext) -> Iterator[tuple[str, str]]:
    """MEAN, SUM, REDUCE_MAX, REDUCE_MIN: INT32 1-D axes, at least one and at most 6."""
    node, axes = ctx.op.index, _input(ctx, 1)
    if axes is None:
        return
    yield from _int_type(ctx, axes, (I32,), "CheckTensorType")
    if len(axes.shape) > 1:
        yield (f"axes '{axes.name}' has rank {len(axes.shape)}; XNNPACK needs a 1-D tensor",
               f"unexpected number of shape dimensions ({len(axes.shape)}) in axes tensor "
               f"#{axes.index} in node #{node}: expected a 1D tensor")
    values = _values(ctx, axes)
    first = _input(ctx, 0)
    if values is None:
        return
    if not values or (values == [0] and first is not None and not first.shape):
        yield ("an empty reduction (no axes, or a scalar input)",
               f"Not handling ill defined empty reduction in node #{node}")
    elif len(values) > MAX_DIMS:
        yield (f"{len(values)} reduction axes; XNNPACK takes at most {MAX_DIMS}",
               f"unsupported number of reduction axes ({len(values)}) in node #{node}: must "
               f"be <= {MAX_DIMS}")


@op_check("xnnpack-pad",
          fix="Give PAD constant, non-negative INT32 paddings of shape [rank, 2], on an input of "
              "rank 1 or more.")
def pad(ctx: OpContext) -> Iterator[tuple[str, str]]:
    """PAD: an input of rank >= 1 and a constant INT32 [rank, 2] paddings tensor with no
    negative padding."""
    node = ctx.op.index
    first, paddings = _input(ctx, 0), _input(ctx, 1)
    if first is not None and not first.shape:
        yield ("a scalar input cannot be padded by XNNPACK",
               f"unsupported number of shape dimensions (0) in tensor #{first.index} in PAD "
               f"node #{node}: at least 1 dimensions expected")
    if paddings is None:
        return
    yield from _int_type(ctx, paddings, (I32,), "CheckTensorType")
    if len(paddings.shape) != 2:
        yield (f"paddings have rank {len(paddings.shape)}; XNNPACK needs [rank, 2]",
               f"unexpected number of shape dimensions ({len(paddings.shape)}) in padding "
               f"tensor #{paddings.index} in node #{node}: expected a 2D tensor")
        return
    values = _values(ctx, paddings) if paddings.dtype == I32 else None
    for dimension in range(len(values or ()) // 2):
        before, after = values[2 * dimension], values[2 * dimension + 1]
        if before < 0 or after < 0:
            # the delegate prints the pre-padding in both messages
            side = "pre" if before < 0 else "post"
            yield (f"negative padding of dimension {dimension}",
                   f"invalid {side}-padding {before} for dimension #{dimension} in node "
                   f"{node}")
            return


@op_check("xnnpack-reshape",
          fix="Give RESHAPE a constant INT32 shape (not a legacy [0] scalar shape) and, "
              "quantized, the input's scale and zero point on its output.")
def reshape(ctx: OpContext) -> Iterator[tuple[str, str]]:
    """RESHAPE: quantized input and output share scale and zero point; an INT32 shape
    tensor (1-D, or with leading 1s); no legacy [0] scalar shape."""
    node = ctx.op.index
    first, outputs, shape_tensor = _input(ctx, 0), ctx.outputs(), _input(ctx, 1)
    if first is not None and outputs and outputs[0].dtype in (I8, U8):
        out = outputs[0]
        if _zero_point(first) != _zero_point(out):
            yield (f"input zero point {_zero_point(first)} differs from the output's "
                   f"{_zero_point(out)}",
                   f"Mismatching quantization zero point across the input "
                   f"({_zero_point(first)}) and the output ({_zero_point(out)}) for RESHAPE "
                   f"operator #{node}")
        elif _scale(first) != _scale(out):
            yield (f"input scale {_scale(first):g} differs from the output's {_scale(out):g}",
                   f"Mismatching quantization scale across the input ({_scale(first):f}) "
                   f"and the output ({_scale(out):f}) for RESHAPE operator #{node}")
    if shape_tensor is not None:
        yield from _int_type(ctx, shape_tensor, (I32,), "CheckTensorType")
        for dimension, size in enumerate(shape_tensor.shape[:-1]):
            if size != 1:
                rank = len(shape_tensor.shape)
                yield ("the shape tensor must be 1-D",
                       f"unexpected non-unit ({size}) shape dimension #{dimension} in shape "
                       f"tensor #{shape_tensor.index} in RESHAPE node #{node}: expected "
                       f"{rank - 1} leading dimensions of the {rank}D tensor to be 1")
                break
        new_shape = _values(ctx, shape_tensor) if shape_tensor.dtype == I32 else None
    else:
        new_shape = list(ctx.op.options.get("new_shape") or ())
    if new_shape is not None and len(new_shape) == 1 and new_shape[0] in (0, -1):
        yield ("a legacy scalar RESHAPE (new shape [0]) is not taken by XNNPACK",
               f"Not handling legacy scalar input and output RESHAPE operator #{node}")


@op_check("xnnpack-resize-bilinear",
          fix="Give RESIZE_BILINEAR a constant 1-D INT32 size of positive values.")
def resize_bilinear(ctx: OpContext) -> Iterator[tuple[str, str]]:
    """RESIZE_BILINEAR: a 1-D INT32 size of positive values."""
    node, size = ctx.op.index, _input(ctx, 1)
    if size is None:
        return
    yield from _int_type(ctx, size, (I32,), "CheckTensorType")
    if len(size.shape) != 1:
        yield (f"size has rank {len(size.shape)}; XNNPACK needs a 1-D tensor",
               f"unexpected number of shape dimensions ({len(size.shape)}) in shape tensor "
               f"#{size.index} in RESIZE_BILINEAR node #{node}: expected a 1D tensor")
    for position, value in enumerate(_values(ctx, size) or ()):
        if value <= 0:
            yield (f"output size {value} is not positive",
                   f"invalid output dimension #{position} value {value} in node {node}")
            return


@op_check("xnnpack-slice",
          fix="Give SLICE constant 1-D INT32 or INT64 begin and size with explicit sizes (no "
              "-1).")
def slice_(ctx: OpContext) -> Iterator[tuple[str, str]]:
    """SLICE: 1-D INT32/INT64 begin and size of one length, every size positive (a size of
    -1, "to the end", is not taken)."""
    node = ctx.op.index
    begin, size = _input(ctx, 1), _input(ctx, 2)
    if begin is None or size is None:
        return
    for tensor in (begin, size):
        if len(tensor.shape) != 1:
            yield (f"'{tensor.name}' has rank {len(tensor.shape)}; XNNPACK needs a 1-D tensor",
                   f"unexpected number of shape dimensions ({len(tensor.shape)}) in shape "
                   f"tensor #{tensor.index} in SLICE node #{node}: expected a 1D tensor")
            return
        yield from _int_type(ctx, tensor, (I32, I64), "CheckTensorInt32OrInt64Type")
    if begin.shape[0] != size.shape[0]:
        yield ("begin and size differ in length",
               f"mismatch in shape dimension 0 ({begin.shape[0]} != {size.shape[0]}) in input "
               f"and output tensors of SLICE operator #{node}")
        return
    for value in _values(ctx, size) or ():
        if value <= 0:
            yield (f"size {value} is not positive (XNNPACK takes no -1 \"to the end\" size)",
                   f"size {value} must be positive in SLICE node #{node}")
            return


@op_check("xnnpack-strided-slice",
          fix="Use stride 1 and no ellipsis, new-axis or shrink-axis mask (follow with RESHAPE "
              "to drop axes), with constant INT32 begin, end and strides for every dimension.")
def strided_slice(ctx: OpContext) -> Iterator[tuple[str, str | None]]:
    """STRIDED_SLICE: no ellipsis, new-axis or shrink-axis mask; INT32 begin, end and
    strides, one value per input dimension; every stride 1."""
    node, options = ctx.op.index, ctx.op.options
    masks = [m for m in ("ellipsis_mask", "new_axis_mask", "shrink_axis_mask") if options.get(m)]
    if masks:
        yield (f"{', '.join(masks)} set; XNNPACK slices without masks of that kind only",
               None)  # the delegate refuses silently here
        return
    first = _input(ctx, 0)
    tensors = [(_input(ctx, p), name) for p, name in
               ((3, "stride_tensor"), (1, "begin_tensor"), (2, "end_tensor"))]
    for tensor, _ in tensors:
        if tensor is None:
            return
        yield from _int_type(ctx, tensor, (I32,), "CheckTensorInt32Type")
    strides = _values(ctx, tensors[0][0]) if tensors[0][0].dtype == I32 else None
    for dimension, stride in enumerate(strides or ()):
        if stride != 1:
            yield (f"stride {stride} in dimension {dimension}; XNNPACK takes stride 1 only",
                   f"stride at dimension {dimension}, {stride}, must be 1in STRIDED_SLICE "
                   f"node #{node}")
            return
    for tensor, name in tensors[1:] + tensors[:1]:
        if first is not None and (len(tensor.shape) != 1 or tensor.shape[0] != len(first.shape)):
            values = _values(ctx, tensor) or [0]
            yield (f"{name.split('_')[0]} does not have one value per input dimension",
                   f"{name} shape ({values[0]}) must be equal to input shape "
                   f"({len(first.shape)}) in STRIDED_SLICE node #{node}")
            return


@op_check("xnnpack-block-size",
          fix="Use a block size above 1 (a block size of 1 does nothing: remove the op); "
              "SPACE_TO_DEPTH also needs a height and width divisible by it.")
def block_size(ctx: OpContext) -> Iterator[tuple[str, str]]:
    """DEPTH_TO_SPACE and SPACE_TO_DEPTH: block size above 1; SPACE_TO_DEPTH also needs the
    input height and width divisible by it."""
    name, node = ctx.op.opcode.name, ctx.op.index
    block = ctx.op.options.get("block_size", 0)
    if block <= 1:
        yield (f"block size {block}; XNNPACK needs more than 1",
               f"invalid block size ({block}) in DEPTH_TO_SPACE node #{node}"
               if name == "DEPTH_TO_SPACE" else
               f"block size ({block}) in SPACE_TO_DEPTH node #{node} must be greater > 1")
        return
    first = _input(ctx, 0)
    if name == "SPACE_TO_DEPTH" and first is not None and len(first.shape) == 4:
        # the delegate passes (height, block size, node) to "node #%d ... (%d) ... (%d)"
        for what, value in (("height", first.shape[1]), ("width", first.shape[2])):
            if value % block:
                yield (f"input {what} {value} is not a multiple of block size {block}",
                       f"SPACE_TO_DEPTH node #{value} input {what} ({block}) must be "
                       f"divisible by block_size ({node}).")
                return


@op_check("xnnpack-split",
          fix="Split into 2 to 4 outputs per op (chain SPLITs for more), with an INT32 axis.")
def split(ctx: OpContext) -> Iterator[tuple[str, str]]:
    """SPLIT: 2 to 4 outputs and an INT32 axis."""
    outputs = len(ctx.op.outputs)
    if not 2 <= outputs <= 4:
        yield (f"{outputs} outputs; XNNPACK splits into 2 to 4",
               f"unexpected number of outputs ({outputs}) in SPLIT node #{ctx.op.index}")
    yield from _int_type(ctx, _input(ctx, 0), (I32,), "CheckTensorType")


@op_check("xnnpack-transpose",
          fix="Transpose a tensor of rank 1 or more (a scalar needs no TRANSPOSE).")
def transpose(ctx: OpContext) -> Iterator[tuple[str, str]]:
    """TRANSPOSE: an input of rank >= 1."""
    first = _input(ctx, 0)
    if first is not None and not first.shape:
        yield ("a scalar input cannot be transposed by XNNPACK",
               f"unsupported number of shape dimensions (0) in tensor #{first.index} in "
               f"TRANSPOSE node #{ctx.op.index}: at least 1 dimensions expected")


@op_check("xnnpack-variable",
          fix="Keep resource variables float or 8-bit quantized and not scalars (reshape a "
              "scalar state to [1]).")
def variable(ctx: OpContext) -> Iterator[tuple[str, None]]:
    """READ_VARIABLE and ASSIGN_VARIABLE move float or 8-bit quantized values; a read of a
    scalar (or unranked) value is not taken."""
    name = ctx.op.opcode.name
    value = ctx.outputs()[0] if name == "READ_VARIABLE" and ctx.outputs() else _input(ctx, 1)
    if value is None:
        return
    if name == "READ_VARIABLE" and not value.shape:
        yield "reading a scalar variable is not taken by XNNPACK", None  # silently
    elif value.dtype not in (F32, F16, I8, U8):
        yield f"a {value.dtype} variable is not taken by XNNPACK (float or 8-bit only)", None


@op_check("xnnpack-float32-io",
          fix="Give {op} FLOAT32 inputs and outputs: XNNPACK runs it in float only, so keep that "
              "part of the model float.")
def float32_io(ctx: OpContext) -> Iterator[tuple[str, str]]:
    """The MediaPipe custom ops and attention take FLOAT32 values (pooling indices aside)."""
    index_positions = {"CUSTOM:MaxPoolingWithArgmax2D": ((), (1,)),
                       "CUSTOM:MaxUnpooling2D": ((1,), ())}.get(_key(ctx), ((), ()))
    tensors = [("input", p, t) for p, t in enumerate(ctx.inputs()) if p not in index_positions[0]]
    tensors += [("output", p, t) for p, t in enumerate(ctx.outputs())
                if p not in index_positions[1]]
    for role, position, tensor in tensors:
        if tensor is not None and tensor.dtype != F32:
            yield (f"{role} {position} ('{tensor.name}') is {tensor.dtype}; XNNPACK takes "
                   "FLOAT32",
                   f"CheckTensorFloat32Type: unsupported type {tensor.dtype} in tensor "
                   f"#{tensor.index} in node #{ctx.op.index}")


@op_check("xnnpack-mediapipe-options",
          fix="Convert the MediaPipe op with its options (stride and window): without custom "
              "options the delegate refuses it.")
def mediapipe_options(ctx: OpContext) -> Iterator[tuple[str, str]]:
    """The MediaPipe ops read their stride and window from the custom options as a raw
    TfLitePoolParams / TfLiteTransposeConvParams; without options both stay 0 and the op
    is refused. (tfllint does not decode the values when they are present.)"""
    if ctx.op.custom_options_size == 0:
        yield (f"{ctx.op.name} has no custom options, so XNNPACK sees stride 0",
               f"invalid stride width 0 in node #{ctx.op.index}")


@op_check("xnnpack-composite",
          fix="XNNPACK takes only the odml.scaled_dot_product_attention composite: convert "
              "other composites to their decomposition into builtin ops.")
def composite(ctx: OpContext) -> Iterator[tuple[str, str]]:
    """STABLEHLO_COMPOSITE is taken only as odml.scaled_dot_product_attention."""
    name = ctx.op.options.get("name")
    if name != "odml.scaled_dot_product_attention":
        yield (f"composite {name!r}; XNNPACK takes only odml.scaled_dot_product_attention",
               f"unsupported stablehlo.composite operator type \"{name}\" in node "
               f"#{ctx.op.index}")


@op_check("xnnpack-disabled",
          fix="XNNPACK refuses {op} in this release: write it with ops the delegate runs "
              "(RESHAPE with a constant shape for a shape change).")
def disabled(ctx: OpContext) -> Iterator[tuple[str, None]]:
    """An op VisitNode recognises but refuses, silently, before any test
    (VisitExpandDimsNode starts with `return kTfLiteError`)."""
    yield f"{ctx.op.name} is switched off in this XNNPACK delegate release", None
