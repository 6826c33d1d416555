"""Checks of the Arm Ethos-U NPUs as Vela 5.x decides them (rules/targets/ethos-u55.toml,
ethos-u65.toml, ethos-u85.toml).

Each check is one constraint of Vela's default compiler core, regor, which places an op on
the NPU only when it passes every constraint registered for its type
(ethos-u-vela 5.2.0 ethosu/regor/tflite/tflite_supported_operators.cpp for all
accelerators, ..._u55.cpp for U55 and U65, ..._u85.cpp for U85). A check yields tfllint's
words and, as the tool's words, the line of Vela's constraint text (`vela
--supported-ops-report`, SUPPORTED_OPS.md) the op breaks; nested lines are joined by one
space. Where the text and regor's code disagree, the check follows the code and says so.

A tensor of a type that is not a feature-map type (float) already fails tfllint's type
check; the checks here then stay quiet about that tensor's type, so a float model gets one
reason per op, not several.

Regor gives every input of an op a role (tflite_mapping.cpp _inputTensorIndices): feature
maps (IFM), weights, bias ("scales"), parameters, state. Most constraints look only at
some roles, so the checks do too (INPUT_ROLES).
"""
from __future__ import annotations

import math
from typing import Iterator

import numpy as np

from ...model import DTYPE_BITS, Tensor
from . import ModelContext, OpContext, model_check, op_check

IFM, OFM, WEIGHTS, BIAS, PARAMS, STATE, SCRATCH = (
    "IFM", "OFM", "weights", "bias", "parameter", "state", "intermediate")
_LSTM_ROLES = (IFM, *[WEIGHTS] * 11, *[BIAS] * 4, WEIGHTS, BIAS, STATE, STATE, *[BIAS] * 4)
# Inputs by position; inputs past the listed ones are IFMs (so every input of an op not
# listed here is an IFM), every output is an OFM and intermediates are scratch.
INPUT_ROLES: dict[str, tuple[str, ...]] = {
    "CONV_2D": (IFM, WEIGHTS, BIAS), "DEPTHWISE_CONV_2D": (IFM, WEIGHTS, BIAS),
    "FULLY_CONNECTED": (IFM, WEIGHTS, BIAS), "TRANSPOSE_CONV": (PARAMS, WEIGHTS, IFM, BIAS),
    "ARG_MAX": (IFM, PARAMS), "MEAN": (IFM, PARAMS), "SUM": (IFM, PARAMS),
    "REDUCE_MAX": (IFM, PARAMS), "REDUCE_MIN": (IFM, PARAMS), "REDUCE_ANY": (IFM, PARAMS),
    "REDUCE_ALL": (IFM, PARAMS), "MIRROR_PAD": (IFM, PARAMS), "PAD": (IFM, PARAMS),
    "PADV2": (IFM, PARAMS, PARAMS), "PRELU": (IFM, PARAMS), "RESHAPE": (IFM, PARAMS),
    "RESIZE_BILINEAR": (IFM, PARAMS), "RESIZE_NEAREST_NEIGHBOR": (IFM, PARAMS),
    "REVERSE_V2": (IFM, PARAMS), "SLICE": (IFM, PARAMS, PARAMS), "SPLIT": (PARAMS, IFM),
    "SPLIT_V": (IFM, PARAMS, PARAMS), "STRIDED_SLICE": (IFM, PARAMS, PARAMS, PARAMS),
    "TILE": (IFM, PARAMS), "TRANSPOSE": (IFM, PARAMS), "SCATTER_ND": (IFM, IFM, PARAMS),
    "READ_VARIABLE": (PARAMS,), "ASSIGN_VARIABLE": (PARAMS, IFM),
    "UNIDIRECTIONAL_SEQUENCE_LSTM": _LSTM_ROLES,
}

# Generic constraints and the op types regor exempts from them.
NO_QUANTIZATION = frozenset({  # s_noQuant: quantization parameters not required
    "ARG_MAX", "MIRROR_PAD", "QUANTIZE", "TRANSPOSE", "GATHER_ND", "GATHER", "SELECT",
    "SELECT_V2", "SCATTER_ND", "PAD", "PADV2", "REDUCE_ALL", "REDUCE_ANY", "EXPAND_DIMS",
    "READ_VARIABLE", "ASSIGN_VARIABLE"})
PER_AXIS_ALLOWED = frozenset({"CONV_2D", "DEPTHWISE_CONV_2D", "TRANSPOSE_CONV",
                              "FULLY_CONNECTED"})
U55_32_BIT_ALLOWED = frozenset({  # s_supports32Bit
    "SUM", "ARG_MAX", "TRANSPOSE", "MIRROR_PAD", "ADD", "MUL", "SUB", "BATCH_MATMUL",
    "FULLY_CONNECTED", "RESHAPE", "SQUEEZE", "EXPAND_DIMS", "NEG"})
U55_64_BIT_ALLOWED = frozenset({"ARG_MAX"})  # s_supports64Bit
U55_ZERO_POINT_FREE = frozenset({"AVERAGE_POOL_2D", "RESIZE_BILINEAR",
                                 "RESIZE_NEAREST_NEIGHBOR", "UNIDIRECTIONAL_SEQUENCE_LSTM"})
U85_ZERO_POINT_FREE = U55_ZERO_POINT_FREE | {"DIV"}

VARIABLE_OPS = frozenset({"READ_VARIABLE", "ASSIGN_VARIABLE"})
SIGNED = frozenset({"INT4", "INT8", "INT16", "INT32", "INT64"})
INTEGER = SIGNED | {"UINT8", "UINT16", "UINT32", "UINT64", "BOOL"}

# Numeric limits, as regor's code has them (the report text quotes the same numbers).
U55_MAX_WEIGHT_SUM = (127 * (1 << 16), 127 * (1 << 16))  # (8-bit IFM, 16-bit IFM)
U85_MAX_WEIGHT_SUM = (127 * (1 << 16), 127 * (1 << 24))
U55_MAX_BIAS = (1 << 40) - 1
U85_MAX_BIAS = (1 << 48) - 1
POOL_MAX_HEIGHT, POOL_MAX_PRODUCT, POOL_SAME_MAX = 256, 256 * 256, 8
U55_MAX_STRIDE = 3
SOFTMAX_MAX_WH = 1 << 16
MEAN_MAX_AXIS = 64 * 64
MEAN_MAX_ELEMENTS = {"INT8": 1 << 24, "UINT8": 1 << 23, "INT16": 1 << 16}
MATMUL_MAX = 1 << 16
ARG_MAX_MAX_DEPTH = 127
TRANSPOSE_MAX_RANK = 8
U85_RESIZE_MAX = (1024, 2048)  # (half-pixel centers, otherwise)
# ELU, GELU and LOG: the IFM type they take (the OFM must have the same one).
UNARY_TYPES = {"ELU": ("INT8",), "GELU": ("INT8", "UINT8"), "LOG": ("INT8", "INT16")}
UNARY_TYPES_TEXT = {"ELU": "Int8", "GELU": "Int8 or UInt8", "LOG": "Int8 or Int16"}


# -- tensors and their roles ----------------------------------------------------------------

def _roles(ctx: OpContext) -> list[tuple[str, Tensor]]:
    """(role, tensor) of every input, intermediate and output the op has."""
    listed = INPUT_ROLES.get(ctx.op.opcode.name, ())
    found = []
    for position, index in enumerate(ctx.op.inputs):
        if index >= 0:
            found.append((listed[position] if position < len(listed) else IFM,
                          ctx.tensor(index)))
    found += [(SCRATCH, ctx.tensor(index)) for index in ctx.op.intermediates if index >= 0]
    found += [(OFM, tensor) for tensor in ctx.outputs()]
    return found


def _feature_maps(ctx: OpContext) -> list[tuple[str, Tensor]]:
    return [(role, tensor) for role, tensor in _roles(ctx) if role in (IFM, OFM)]


def _first(ctx: OpContext, role: str) -> Tensor | None:
    return next((tensor for tensor_role, tensor in _roles(ctx) if tensor_role == role), None)


def _bits(tensor: Tensor) -> int:
    return DTYPE_BITS.get(tensor.dtype) or 0


def _shape(tensor: Tensor) -> tuple[int, ...]:
    """The shape regor works with: the signature (batch -1 read as 1), or for a constant
    stored without a shape, its element count."""
    signature = tensor.shape_signature or tensor.shape
    if signature and signature[0] == -1:
        signature = (1, *signature[1:])
    if not signature and tensor.is_constant and _bits(tensor):
        return (tensor.data_size * 8 // _bits(tensor),)
    return tuple(signature)


def _nhwc(shape) -> tuple[int, int, int, int]:
    """Batch, height, width, depth: the last four axes, padded with 1 in front."""
    padded = (1, 1, 1, 1, *shape)
    return padded[-4], padded[-3], padded[-2], padded[-1]


def _listing(items: list[str]) -> str:
    return ", ".join(items)


def _text(shape) -> str:
    return "[" + ", ".join(str(dim) for dim in shape) + "]"


def _values(ctx: OpContext, tensor: Tensor | None) -> np.ndarray | None:
    if tensor is None or not tensor.is_constant:
        return None
    data = ctx.view.tensor_data(tensor)
    return None if data is None else np.asarray(data).reshape(-1)


def _name(ctx: OpContext) -> str:
    return ctx.op.opcode.name


def _option(ctx: OpContext, key: str, default):
    value = ctx.op.options.get(key)
    return default if value is None else value


# -- generic constraints --------------------------------------------------------------------

@op_check("ethos-u-dynamic-dims",
          fix="Convert with fixed input shapes: only the batch may be unknown until run time "
              "(Vela reads a -1 batch as 1).")
def dynamic_dims(ctx: OpContext) -> Iterator[tuple[str, str]]:
    """Only the first dimension of a tensor may be unknown until run time: Vela reads a
    -1 batch as 1 and places any op with another -1 in a shape signature on the CPU."""
    found = [f"{role} '{tensor.name}' {_text(tensor.shape_signature)}"
             for role, tensor in _roles(ctx)
             if any(dim < 0 for dim in (tensor.shape_signature or ())[1:])]
    if found:
        yield (f"dynamic dimension after the first in {_listing(found)}",
               "Only the first dimension of tensors can be dynamic.")


@op_check("ethos-u-shapeless",
          fix="Give every tensor of {op} a shape: keep_dims=True on a reduction, or a RESHAPE of "
              "the scalar to [1].")
def shapeless(ctx: OpContext) -> Iterator[tuple[str, str]]:
    """Every tensor of the op needs a shape; a non-constant scalar (rank 0) has none.
    Exempt: the Ethos-U85 variable ops, whose resource handles are scalars."""
    if _name(ctx) in VARIABLE_OPS:
        return
    found = [f"{role} '{tensor.name}'" for role, tensor in _roles(ctx) if not _shape(tensor)]
    if found:
        yield (f"no shape (a non-constant scalar): {_listing(found)}",
               "Tensors must have constant shape.")


@op_check("ethos-u-constant-feature-maps",
          fix="Quantize the constant input too (full integer quantization does), or fold the op "
              "into a constant when converting.")
def constant_feature_maps(ctx: OpContext) -> Iterator[tuple[str, str]]:
    """A constant feature map (an IFM stored in the file) needs a feature-map type too.
    tfllint's own type check covers the non-constant ones; when one of those already has
    a wrong type, this check adds nothing."""
    allowed = (ctx.support.dtypes if ctx.support and ctx.support.dtypes
               else ctx.profile.dtypes) or ()
    feature_maps = _feature_maps(ctx)
    if any(not t.is_constant and t.dtype not in allowed for _, t in feature_maps):
        return
    found = [f"{role} '{t.name}' is {t.dtype}" for role, t in feature_maps
             if t.is_constant and t.dtype not in allowed]
    if found:
        yield (f"constant {_listing(found)}; supported: {', '.join(allowed)}",
               "Feature-map dataTypes must be one of {"
               + ", ".join(f'"{dtype}"' for dtype in sorted(allowed)) + "}")


@op_check("ethos-u-quantized",
          fix="Quantize the model fully (post-training integer quantization with a "
              "representative dataset) so that every input, output and weight of {op} has a "
              "scale and a zero point.")
def quantized(ctx: OpContext) -> Iterator[tuple[str, str]]:
    """IFMs, OFMs and weights need quantization parameters (a scale and a zero point).
    Exempt: 32-bit IFMs and OFMs (except of QUANTIZE), 64-bit and boolean tensors, tensors
    of a type that is not a feature-map type (the type reason covers them), and the op
    types {exempt}."""
    if _name(ctx) in NO_QUANTIZATION:
        return
    found = []
    for role, tensor in _roles(ctx):
        if tensor.dtype not in INTEGER or tensor.dtype in ("INT64", "BOOL"):
            continue
        if role in (IFM, OFM) and tensor.dtype == "INT32" and _name(ctx) != "QUANTIZE":
            continue
        quantization = tensor.quantization
        if role in (IFM, OFM, WEIGHTS) and (
                quantization is None or not quantization.scale or not quantization.zero_point):
            found.append(f"{role} '{tensor.name}' ({tensor.dtype})")
    if found:
        yield (f"no quantization parameters: {_listing(found)}",
               "Input(s), Output and Weight tensors must have quantization parameters.")


def _needs_left_shift(scale: float) -> bool:
    """Regor turns a scale into a 31-bit multiplier and a right shift (QuantizedScale);
    a scale of about 2**32 or more would need a left shift."""
    if not math.isfinite(scale) or scale == 0:
        return False
    significand, exponent = math.frexp(scale)
    shift = 31 - exponent
    multiplier = round(significand * (1 << 31))
    return shift < 0 and not multiplier < 2.0 ** (shift + 32)


@op_check("ethos-u-quantization-scale",
          fix="Quantize again with a representative dataset of real inputs: a scale of 2**32 or "
              "more cannot be applied, and one that large means the calibrated range is far too "
              "wide.")
def quantization_scale(ctx: OpContext) -> Iterator[tuple[str, str]]:
    """No tensor of the op may have a quantization scale the NPU cannot apply. Vela's text
    says the scale must be positive; regor's code rejects a scale that needs a left
    shift (2**32 or more) and lets zero and negative scales through. Exempt: the op
    types that need no quantization ({exempt})."""
    if _name(ctx) in NO_QUANTIZATION:
        return
    found = []
    for role, tensor in _roles(ctx):
        scales = tensor.quantization.scale if tensor.quantization else ()
        large = [scale for scale in scales if _needs_left_shift(scale)]
        if large:
            found.append(f"{role} '{tensor.name}' ({large[0]:g})")
    if found:
        yield (f"quantization scale too large to apply with a right shift: {_listing(found)}",
               "Quantization scale of any tensor must be positive.")


@op_check("ethos-u-per-axis",
          fix="Quantize the tensors of {op} per tensor (one scale and zero point): only "
              "convolutions and FULLY_CONNECTED take per-channel quantization on the NPU.")
def per_axis(ctx: OpContext) -> Iterator[tuple[str, str]]:
    """Only {allowed} take per-axis (per-channel) quantization; any other op with a
    tensor of several scales or zero points runs on the CPU."""
    if _name(ctx) in PER_AXIS_ALLOWED:
        return
    found = [f"{role} '{tensor.name}' ({len(tensor.quantization.scale)} scales)"
             for role, tensor in _roles(ctx) if tensor.quantization and (
                 len(tensor.quantization.scale) > 1 or len(tensor.quantization.zero_point) > 1)]
    if found:
        yield f"quantized per axis: {_listing(found)}", "Per-axis quantization is not supported."


def _zero_points(tensor: Tensor) -> tuple[int, ...]:
    return tensor.quantization.zero_point if tensor.quantization else ()


@op_check("ethos-u55-zero-points",
          fix="Give 32-bit tensors zero point 0 and unsigned tensors a zero point of 0 or more, "
              "as the converter does (convert with int8 rather than uint8 types).")
def u55_zero_points(ctx: OpContext) -> Iterator[tuple[str, str]]:
    """Ethos-U55/U65: an IFM or OFM zero point must be 0 for 32-bit types and must not be
    negative for unsigned types. Exempt: {exempt}."""
    if _name(ctx) in U55_ZERO_POINT_FREE:
        return
    for role, tensor in _feature_maps(ctx):
        if tensor.dtype not in INTEGER:
            continue
        for zero_point in _zero_points(tensor):
            if (_bits(tensor) == 32 and zero_point != 0) or (
                    tensor.dtype not in SIGNED and zero_point < 0):
                yield (f"{role} '{tensor.name}' ({tensor.dtype}) has zero point {zero_point}",
                       "Zero-points must be 0 for Int32 and non-negative for unsigned dataTypes")
                break


@op_check("ethos-u85-zero-points",
          fix="Give each IFM and OFM a zero point in its type's range (int8 -128..127, uint8 "
              "0..255, uint16 0 or 32768, other types 0), as the converter does.")
def u85_zero_points(ctx: OpContext) -> Iterator[tuple[str, str]]:
    """Ethos-U85: IFM zero points int8 -128..127, uint8 0..255, uint16 0 or 32768, other
    types 0; OFM zero points -128..127 for signed and 0..255 or 32768 for unsigned types.
    Exempt: {exempt}."""
    if _name(ctx) in U85_ZERO_POINT_FREE:
        return
    ifm_ranges = {"INT8": (range(-128, 128), "Int8: (-128 <= zp <= 127)."),
                  "UINT8": (range(0, 256), "UInt8: (0 <= zp <= 255)."),
                  "UINT16": ((0, 32768), "UInt16: zp must be 0 or 32768.")}
    for role, tensor in _feature_maps(ctx):
        if tensor.dtype not in INTEGER:
            continue
        for zero_point in _zero_points(tensor):
            if role == IFM:
                allowed, line = ifm_ranges.get(tensor.dtype, ((0,), "Other: zp must be 0."))
                header = "IFM Zero-points must be in the range:"
            elif tensor.dtype in SIGNED:
                allowed, line = range(-128, 128), "Signed-integer: (-128 <= zp <= 127)"
                header = "OFM Zero-points must be in the range:"
            else:
                allowed = (*range(0, 256), 32768)
                line = "Unsigned-integer: (0 <= zp <= 255) OR zp == 32768."
                header = "OFM Zero-points must be in the range:"
            if zero_point not in allowed:
                yield (f"{role} '{tensor.name}' ({tensor.dtype}) has zero point {zero_point}",
                       f"{header} {line}")
                break


def _reject_bits(ctx: OpContext, bits: int, allowed: frozenset) -> Iterator[tuple[str, str]]:
    text = f"{bits}-bit feature-maps are not supported."
    if _name(ctx) not in allowed:
        found = [f"{role} '{tensor.name}' is {tensor.dtype}" for role, tensor in _feature_maps(ctx)
                 if tensor.dtype in INTEGER and _bits(tensor) == bits]
        if found:
            yield _listing(found), text
            return
    activation = ctx.op.options.get("fused_activation_function")
    if activation not in (None, "NONE"):
        # regor splits the fused activation into its own op, which has no 32/64-bit form
        for tensor in ctx.outputs():
            if tensor.dtype in INTEGER and _bits(tensor) == bits:
                yield (f"the fused {activation} becomes an op of its own on the {tensor.dtype} "
                       f"output '{tensor.name}'", text)
                return


@op_check("ethos-u55-no-32-bit",
          fix="Keep the inputs and outputs of {op} 8- or 16-bit (quantize them, or drop the CAST "
              "that makes them int32), or target the Ethos-U85, which takes 32-bit feature maps.")
def u55_no_32_bit(ctx: OpContext) -> Iterator[tuple[str, str]]:
    """Ethos-U55/U65: no 32-bit IFM or OFM, except for {allowed}; even those cannot
    carry a fused activation on a 32-bit output."""
    yield from _reject_bits(ctx, 32, U55_32_BIT_ALLOWED)


@op_check("ethos-u55-no-64-bit",
          fix="Cast 64-bit tensors to int32 before {op} (or write it without int64 tensors), or "
              "target the Ethos-U85.")
def u55_no_64_bit(ctx: OpContext) -> Iterator[tuple[str, str]]:
    """Ethos-U55/U65: no 64-bit IFM or OFM, except for {allowed}."""
    yield from _reject_bits(ctx, 64, U55_64_BIT_ALLOWED)


# -- convolutions and fully connected --------------------------------------------------------

@op_check("ethos-u-weights-8-bit",
          fix="Quantize the weights to int8 (full integer quantization does, the 16x8 scheme "
              "included).")
def weights_8_bit(ctx: OpContext) -> Iterator[tuple[str, str]]:
    """Weights must be 8-bit (int8 or uint8)."""
    weights = _first(ctx, WEIGHTS)
    if weights is not None and _bits(weights) != 8:
        yield (f"weights '{weights.name}' are {weights.dtype}",
               "Weight tensors must be 8-bit precision")


def _weight_sum(ctx: OpContext, limits: tuple[int, int]) -> Iterator[tuple[str, str]]:
    weights, ifm = _first(ctx, WEIGHTS), _first(ctx, IFM)
    values = _values(ctx, weights) if weights is not None and _bits(weights) == 8 else None
    if values is None or ifm is None or not weights.shape \
            or values.size != math.prod(weights.shape):
        return
    sixteen = _bits(ifm) != 8
    limit = limits[sixteen]
    if _name(ctx) == "DEPTHWISE_CONV_2D":  # [1, H, W, channels]: one column per channel
        per_channel = values.astype(np.int64).reshape(-1, weights.shape[-1]).T
    else:  # [channels, ..., inputs]: one row per output channel
        per_channel = values.astype(np.int64).reshape(weights.shape[0], -1)
    zero_points = np.asarray(_zero_points(weights) or (0,), dtype=np.int64)
    if zero_points.size not in (1, per_channel.shape[0]):
        zero_points = zero_points[:1]
    sums = np.abs(per_channel - zero_points.reshape(-1, 1)).sum(axis=1)
    worst = int(np.argmax(sums)) if sums.size else 0
    if sums.size and sums[worst] > limit:
        yield (f"output channel {worst} of weights '{weights.name}' sums to {int(sums[worst]):,} "
               f"in absolute value; at most {limit:,} with a {'16' if sixteen else '8'}-bit IFM",
               f"Weigth sum constraints: IF {'16' if sixteen else '8'}-bit IFM: The sum of "
               f"absolute weights cannot exceed {limit}")


@op_check("ethos-u55-weight-sum",
          fix="Split {op} over its input channels into two ops whose outputs an ADD sums, so "
              "that each output channel sums fewer weights and the accumulator cannot overflow.")
def u55_weight_sum(ctx: OpContext) -> Iterator[tuple[str, str]]:
    """Ethos-U55/U65: per output channel, the sum of |weight - zero point| of constant
    weights must not exceed {limits[0]} (8-bit IFM) or {limits[1]} (16-bit IFM), so the
    accumulator cannot overflow."""
    yield from _weight_sum(ctx, U55_MAX_WEIGHT_SUM)


@op_check("ethos-u85-weight-sum",
          fix="Split {op} over its input channels into two ops whose outputs an ADD sums, so "
              "that each output channel sums fewer weights and the accumulator cannot overflow.")
def u85_weight_sum(ctx: OpContext) -> Iterator[tuple[str, str]]:
    """Ethos-U85: per output channel, the sum of |weight - zero point| of constant weights
    must not exceed {limits[0]} (8-bit IFM) or {limits[1]} (16-bit IFM)."""
    yield from _weight_sum(ctx, U85_MAX_WEIGHT_SUM)


@op_check("ethos-u-bias",
          fix="Keep the converter's bias: a constant int32 (or int64) tensor with one value per "
              "output channel.")
def bias(ctx: OpContext) -> Iterator[tuple[str, str]]:
    """A bias must be constant, int32 or int64, and hold one value per output channel
    (stored along the last axis)."""
    tensor = _first(ctx, BIAS)
    if tensor is None:
        return
    if not tensor.is_constant:
        yield f"bias '{tensor.name}' is not constant", "Bias tensors must be constant"
    if tensor.dtype not in ("INT32", "INT64"):
        yield (f"bias '{tensor.name}' is {tensor.dtype}",
               "Bias tensors precision must be Int32 or Int64")
    shape = _shape(tensor)
    if shape and math.prod(shape) > shape[-1]:
        yield (f"bias '{tensor.name}' has shape {_text(shape)}",
               "Bias values must be stored in the channel axis")


def _bias_range(ctx: OpContext, limit: int) -> Iterator[tuple[str, str]]:
    tensor = _first(ctx, BIAS)
    values = _values(ctx, tensor) if tensor is not None and tensor.dtype == "INT64" else None
    if values is not None and values.size and int(values.max()) > limit:
        yield (f"int64 bias '{tensor.name}' holds {int(values.max()):,}, above {limit:,}",
               f"Int64 bias must be smaller than {limit}")


@op_check("ethos-u55-bias-range",
          fix="Keep int64 bias values below 2**40: quantize with int8 activations (an int32 "
              "bias), or calibrate the 16x8 model so that its bias range is smaller.")
def u55_bias_range(ctx: OpContext) -> Iterator[tuple[str, str]]:
    """Ethos-U55/U65: an int64 bias value must not exceed {limit} (2**40 - 1)."""
    yield from _bias_range(ctx, U55_MAX_BIAS)


@op_check("ethos-u85-bias-range",
          fix="Keep int64 bias values below 2**48: quantize with int8 activations (an int32 "
              "bias), or calibrate the 16x8 model so that its bias range is smaller.")
def u85_bias_range(ctx: OpContext) -> Iterator[tuple[str, str]]:
    """Ethos-U85: an int64 bias value must not exceed {limit} (2**48 - 1)."""
    yield from _bias_range(ctx, U85_MAX_BIAS)


@op_check("ethos-u-fc-weight-shape",
          fix="Give FULLY_CONNECTED 2-D weights [outputs, inputs], as the converter writes them.")
def fc_weight_shape(ctx: OpContext) -> Iterator[tuple[str, str]]:
    """Fully-connected weights must be [outputs, 1, ..., 1, inputs]."""
    weights = _first(ctx, WEIGHTS)
    shape = _shape(weights) if weights is not None else ()
    if weights is not None and (len(shape) < 2 or math.prod(shape) != shape[0] * shape[-1]):
        yield (f"weights '{weights.name}' have shape {_text(shape)}",
               "FullyConnected weights must be on the form O,1,1,..,1,I.")


@op_check("ethos-u55-matmul",
          fix="With constant weights use FULLY_CONNECTED; otherwise keep the IFM int8 and the "
              "output depth and the reduced axis at most 65536, or target the Ethos-U85.")
def u55_matmul(ctx: OpContext) -> Iterator[tuple[str, str]]:
    """Ethos-U55/U65: a BATCH_MATMUL, or a FULLY_CONNECTED whose weights are not constant,
    needs an int8 IFM, an OFM depth of at most {limit} and a reduced axis of at most
    {limit}."""
    if _name(ctx) == "FULLY_CONNECTED":
        weights = _first(ctx, WEIGHTS)
        if weights is None or weights.is_constant:
            return
    ifm, ofm = _first(ctx, IFM), _first(ctx, OFM)
    prefix = "IF Matmul or (FC with dynamic weights): "
    if ifm is not None:
        shape = _shape(ifm)
        reduced = (shape[-2] if len(shape) > 1 else 1) if _option(ctx, "adj_x", False) \
            else (shape[-1] if shape else 1)
        if reduced > MATMUL_MAX:
            yield (f"the reduced axis of IFM '{ifm.name}' has {reduced:,} elements",
                   prefix + "Reduced axis must be less than or equal to 2^16")
    if ofm is not None and _shape(ofm) and _shape(ofm)[-1] > MATMUL_MAX:
        yield (f"OFM '{ofm.name}' has depth {_shape(ofm)[-1]:,}",
               prefix + "OFM depth must be less than or equal to 2^16")
    if ifm is not None and ifm.dtype in INTEGER and ifm.dtype != "INT8":
        yield f"IFM '{ifm.name}' is {ifm.dtype}", prefix + "IFM precision must be Int8"


# -- kernels: strides and sizes ---------------------------------------------------------------

def _kernel(ctx: OpContext) -> tuple[int, int] | None:
    """Kernel (width, height): from the weights of convolutions, the options of pools."""
    if _name(ctx) in ("AVERAGE_POOL_2D", "MAX_POOL_2D"):
        return _option(ctx, "filter_width", 1), _option(ctx, "filter_height", 1)
    weights = _first(ctx, WEIGHTS)
    if weights is None:
        return None
    _, height, width, _ = _nhwc(_shape(weights))
    return width, height


def _padded(ctx: OpContext) -> bool:
    """Whether the kernel really pads: SAME padding that adds at least one row or column
    (regor computes the padding; SAME that needs none counts as VALID)."""
    if _option(ctx, "padding", "SAME") != "SAME":
        return False
    ifm, kernel = _first(ctx, IFM), _kernel(ctx)
    if ifm is None or kernel is None or not _shape(ifm):
        return False
    _, height, width, _ = _nhwc(_shape(ifm))
    for size, stride, dilation, extent in (
            (width, _option(ctx, "stride_w", 1), _option(ctx, "dilation_w_factor", 1), kernel[0]),
            (height, _option(ctx, "stride_h", 1), _option(ctx, "dilation_h_factor", 1),
             kernel[1])):
        stride = max(stride, 1)
        dilated = dilation * (extent - 1) + 1
        if max(0, (-(-size // stride) - 1) * stride + dilated - size) > 0:
            return True
    return False


@op_check("ethos-u55-stride-needs-valid",
          fix="For a stride above 3, use VALID padding and no dilation (pad explicitly with PAD, "
              "which the NPU runs).")
def u55_stride_needs_valid(ctx: OpContext) -> Iterator[tuple[str, str]]:
    """Ethos-U55/U65 convolutions and pools: a stride above {limit} along an axis whose OFM
    size is not 1 needs dilation 1 and no padding."""
    stride_w, stride_h = _option(ctx, "stride_w", 1), _option(ctx, "stride_h", 1)
    ofm = _first(ctx, OFM)
    _, height, width, _ = _nhwc(_shape(ofm)) if ofm is not None else (1, 1, 1, 1)
    if (stride_w <= U55_MAX_STRIDE or width == 1) and (stride_h <= U55_MAX_STRIDE or height == 1):
        return
    dilated = (_option(ctx, "dilation_w_factor", 1), _option(ctx, "dilation_h_factor", 1)) != (1, 1)
    if dilated or _padded(ctx):
        why = "dilation" if dilated else "SAME padding that pads"
        yield (f"stride {stride_w}x{stride_h} with {why}; a stride above {U55_MAX_STRIDE} needs "
               "VALID padding (or no padding) and dilation 1",
               "Stride>3 is only supported IF (dilation = 1 AND padding = VALID)")


@op_check("ethos-u55-stride-max-3",
          fix="For a stride above 3, convolve with stride 1 and subsample with a strided "
              "STRIDED_SLICE, which the NPU runs.")
def u55_stride_max(ctx: OpContext) -> Iterator[tuple[str, str]]:
    """Ethos-U55/U65 depthwise convolutions: stride at most {limit} in x and y."""
    stride_w, stride_h = _option(ctx, "stride_w", 1), _option(ctx, "stride_h", 1)
    if stride_w > U55_MAX_STRIDE or stride_h > U55_MAX_STRIDE:
        yield (f"stride {stride_w}x{stride_h}; at most {U55_MAX_STRIDE}",
               "Kernel stride must be in the range (1,3).")


@op_check("ethos-u-avg-pool-kernel",
          fix="For a kernel above 8x8, use VALID padding (a PAD before it, which the NPU runs, "
              "keeps the output size, though border averages then count the zeros); a VALID "
              "kernel may be up to 256 high and 65536 elements.")
def avg_pool_kernel(ctx: OpContext) -> Iterator[tuple[str, str]]:
    """Average pool kernels: without padding at most {height} high and {product} elements;
    with padding (SAME that pads) at most {same}x{same}."""
    width, height = _kernel(ctx)
    if not _padded(ctx):
        if not 1 <= height <= POOL_MAX_HEIGHT:
            yield (f"kernel height {height}; at most {POOL_MAX_HEIGHT}", "Kernel constraints: "
                   "IF padding=VALID: Kernel height must be less than or equal to 256.")
        elif width * height > POOL_MAX_PRODUCT:
            yield (f"kernel {width}x{height} has {width * height:,} elements; at most "
                   f"{POOL_MAX_PRODUCT:,}", "Kernel constraints: IF padding=VALID: Kernel "
                   "product must be less than or equal to 256*256")
    elif not (1 <= width <= POOL_SAME_MAX and 1 <= height <= POOL_SAME_MAX):
        yield (f"kernel {width}x{height} with SAME padding; at most {POOL_SAME_MAX}x"
               f"{POOL_SAME_MAX} when the pool pads (VALID allows up to {POOL_MAX_HEIGHT} high)",
               "Kernel constraints: ELSE: Kernel width and height must be less than or equal to 8")


@op_check("ethos-u-max-pool-kernel",
          fix="Keep a max pool kernel at most 256 high and 65536 elements: split a larger pool "
              "into a chain of smaller ones (max pools compose), or use REDUCE_MAX for a global "
              "one.")
def max_pool_kernel(ctx: OpContext) -> Iterator[tuple[str, str]]:
    """Max pool kernels: at most {height} high and {product} elements."""
    width, height = _kernel(ctx)
    if not 1 <= height <= POOL_MAX_HEIGHT or width * height > POOL_MAX_PRODUCT:
        yield (f"kernel {width}x{height}; at most {POOL_MAX_HEIGHT} high and "
               f"{POOL_MAX_PRODUCT:,} elements", "kernel product must be less than or equal "
               "to 256*256 and kernel height must be less than or equal to 256.")


@op_check("ethos-u-transpose-conv-shape",
          fix="Make the OFM size IFM * stride (SAME padding) or IFM * stride + (kernel - stride) "
              "(VALID), the shapes Keras Conv2DTranspose gives without output_padding.")
def transpose_conv_shape(ctx: OpContext) -> Iterator[tuple[str, str]]:
    """Transposed convolutions: with SAME padding the OFM is the IFM times the stride;
    with VALID padding it is IFM * stride + max(kernel - stride, 0)."""
    ifm, ofm, kernel = _first(ctx, IFM), _first(ctx, OFM), _kernel(ctx)
    if ifm is None or ofm is None or kernel is None:
        return
    _, ifm_h, ifm_w, _ = _nhwc(_shape(ifm))
    _, ofm_h, ofm_w, _ = _nhwc(_shape(ofm))
    stride_w, stride_h = _option(ctx, "stride_w", 1), _option(ctx, "stride_h", 1)
    if _option(ctx, "padding", "SAME") == "SAME":
        expected = (ifm_w * stride_w, ifm_h * stride_h)
        tool = "Shape constraints: IF PADDING=SAME: OFM must be equal to IFM * stride"
    else:
        expected = (ifm_w * stride_w + max(kernel[0] - stride_w, 0),
                    ifm_h * stride_h + max(kernel[1] - stride_h, 0))
        tool = "Shape constraints: ELSE: OFM must be equal to IFM * stride + (kernel - stride)"
    if expected != (ofm_w, ofm_h):
        yield (f"OFM {ofm_w}x{ofm_h} (WxH) from IFM {ifm_w}x{ifm_h} with stride "
               f"{stride_w}x{stride_h}; expected {expected[0]}x{expected[1]}", tool)


@op_check("ethos-u55-transpose-conv-stride",
          fix="Use a stride of 1 or 2 (upsample by more with a chain of stride-2 transposed "
              "convolutions, or a RESIZE).")
def u55_transpose_conv_stride(ctx: OpContext) -> Iterator[tuple[str, str]]:
    """Ethos-U55/U65 transposed convolutions: stride 1x1 or 2x2; 2x1 only when the IFM and
    the kernel are 1 high, 1x2 only when they are 1 wide."""
    ifm, kernel = _first(ctx, IFM), _kernel(ctx)
    stride = (_option(ctx, "stride_w", 1), _option(ctx, "stride_h", 1))
    _, ifm_h, ifm_w, _ = _nhwc(_shape(ifm)) if ifm is not None else (1, 1, 1, 1)
    kernel_w, kernel_h = kernel or (1, 1)
    if (stride not in ((1, 1), (2, 2))
            and not (stride == (2, 1) and ifm_h == 1 and kernel_h == 1)
            and not (stride == (1, 2) and ifm_w == 1 and kernel_w == 1)):
        yield (f"stride {stride[0]}x{stride[1]} (WxH)", "Stride values WxH must be: 1x1 OR 2x2 "
               "OR 2x1 (if IFM height and kernel height is 1) OR 1x2 (if IFM width and kernel "
               "width is 1)")


# -- other op-specific constraints -------------------------------------------------------------

@op_check("ethos-u-constant-params",
          fix="Make the parameter input (paddings, begin, end, strides, sizes, axes, "
              "permutation) a constant: convert with fixed input shapes so that the converter "
              "folds it.")
def constant_params(ctx: OpContext) -> Iterator[tuple[str, str]]:
    """Parameter inputs (paddings, begin/end/strides, sizes, axes, permutations) must be
    constant."""
    for role, tensor in _roles(ctx):
        if role == PARAMS and not tensor.is_constant:
            yield f"parameter '{tensor.name}' is not constant", "Parameter tensors must be constant"


@op_check("ethos-u-pad-params",
          fix="Make the paddings an int32 (or int64) tensor, as the converter writes them.")
def pad_params(ctx: OpContext) -> Iterator[tuple[str, str]]:
    """Paddings must be int32 or int64."""
    paddings = _first(ctx, PARAMS)
    if paddings is not None and paddings.dtype not in ("INT32", "INT64"):
        yield (f"paddings '{paddings.name}' are {paddings.dtype}",
               "Params tensor must be Int32 or Int64")


@op_check("ethos-u-rsqrt-input",
          fix="Quantize the input of RSQRT to int8 or int16 (full integer quantization, or the "
              "16x8 scheme).")
def rsqrt_input(ctx: OpContext) -> Iterator[tuple[str, str]]:
    """RSQRT takes an int8 or int16 IFM."""
    ifm = _first(ctx, IFM)
    if ifm is not None and ifm.dtype in INTEGER and ifm.dtype not in ("INT8", "INT16"):
        yield f"IFM '{ifm.name}' is {ifm.dtype}", "IFM must be Int8 or Int16"


@op_check("ethos-u-unary-types",
          fix="Quantize {op} so that its output has its input's type and shape, in a type the "
              "NPU takes for it (ELU int8, GELU int8 or uint8, LOG int8 or int16).")
def unary_types(ctx: OpContext) -> Iterator[tuple[str, str]]:
    """ELU takes int8, GELU int8 or uint8, LOG int8 or int16; the OFM has the IFM's type
    and shape."""
    ifm, ofm = _first(ctx, IFM), _first(ctx, OFM)
    allowed = UNARY_TYPES.get(_name(ctx))
    if ifm is None or ofm is None or allowed is None:
        return
    if ifm.dtype in INTEGER and ofm.dtype in INTEGER and (
            ifm.dtype not in allowed or ifm.dtype != ofm.dtype):
        yield (f"IFM '{ifm.name}' is {ifm.dtype} and OFM '{ofm.name}' is {ofm.dtype}; "
               f"{_name(ctx)} takes {' or '.join(allowed)} in and out",
               f"IFM and OFM datatypes must match, and must be {UNARY_TYPES_TEXT[_name(ctx)]}")
    if _shape(ifm) != _shape(ofm):
        yield (f"IFM shape {_text(_shape(ifm))} differs from OFM shape {_text(_shape(ofm))}",
               "IFM and OFM shapes must match")


@op_check("ethos-u-softmax-size",
          fix="Softmax at most 65536 positions (width x height) per op: SPLIT the input along "
              "height, apply SOFTMAX to each part and concatenate the results (the softmax runs "
              "along the last axis, so the result is the same).")
def softmax_size(ctx: OpContext) -> Iterator[tuple[str, str]]:
    """SOFTMAX: IFM width times height at most {limit} (the text says less than; the code
    allows equal)."""
    ifm = _first(ctx, IFM)
    if ifm is None:
        return
    _, height, width, _ = _nhwc(_shape(ifm))
    if width * height > SOFTMAX_MAX_WH:
        yield (f"IFM '{ifm.name}' is {width} wide and {height} high ({width * height:,}); "
               f"at most {SOFTMAX_MAX_WH:,}",
               "The product of IFM width and height must be less than 65536")


@op_check("ethos-u-matching-quantization",
          fix="Requantize the input that differs to the output's scale and zero point with a "
              "QUANTIZE op (int8 to int8 runs on the NPU).")
def matching_quantization(ctx: OpContext) -> Iterator[tuple[str, str]]:
    """MAXIMUM and MINIMUM: both inputs must have the OFM's scale and zero point."""
    ifms, ofm = [t for role, t in _roles(ctx) if role == IFM][:2], _first(ctx, OFM)

    def parameters(tensor):
        quantization = tensor.quantization
        return (quantization.scale, quantization.zero_point) if quantization else ((), ())
    if ofm is not None and any(parameters(ifm) != parameters(ofm) for ifm in ifms):
        yield (f"the inputs' quantization differs from OFM '{ofm.name}'",
               "Both Input quantization parameters must match OFM quantization parameters")


def _axes(ctx: OpContext, rank: int) -> list[int] | None:
    values = _values(ctx, _first(ctx, PARAMS))
    if values is None:
        return None
    return sorted({int(axis) % rank for axis in values}) if rank else []


@op_check("ethos-u-mean",
          fix="Average over height and width (axes [1, 2]) of a batch-1 int8, uint8 or int16 "
              "tensor, each axis shorter than 4096; to average over depth, reshape so that "
              "height or width is 1 first.")
def mean(ctx: OpContext) -> Iterator[tuple[str, str]]:
    """MEAN: batch 1; a reduction over depth only when height, width or depth is 1; each
    reduced axis at most {axis} long (the text says less than); IFM int8, uint8 or int16;
    at most {elements} reduced elements."""
    ifm = _first(ctx, IFM)
    if ifm is None:
        return
    shape = _shape(ifm)
    batch, height, width, depth = _nhwc(shape)
    if batch > 1:
        yield f"batch {batch}", "Batch must be 1."
    if ifm.dtype in INTEGER and ifm.dtype not in MEAN_MAX_ELEMENTS:
        yield (f"IFM '{ifm.name}' is {ifm.dtype}",
               "IFM precision must be one of: (Int8, UInt8, Int16)")
    axes = _axes(ctx, len(shape))
    if axes is None:
        return  # a non-constant axis: the constant-parameter reason says so
    reduced = [(4 - len(shape) + axis, shape[axis]) for axis in axes]  # (axis in NHWC, size)
    if any(axis == 3 for axis, _ in reduced) and 1 not in (height, width, depth):
        yield (f"reduces over depth of IFM {_text(shape)}, where none of height, width, depth "
               "is 1", "Reduction over depth is only supported if any of h,w,c == 1")
    longest = max((size for _, size in reduced), default=0)
    if longest > MEAN_MAX_AXIS:
        yield (f"a reduced axis has {longest:,} elements; at most {MEAN_MAX_AXIS:,}",
               "Reduced axis must be less than 4096")
    count = math.prod(size for _, size in reduced)
    limit = MEAN_MAX_ELEMENTS.get(ifm.dtype)
    if limit is not None and count > limit:
        yield (f"{count:,} reduced elements; at most {limit:,} for {ifm.dtype}",
               "Amount of reduced elements cannot exceed: 16777216(Int8), 8388608(UInt8), "
               "65536(Int16).")


@op_check("ethos-u-strided-slice",
          fix="Use strides of 1 except along height and width, none negative, and keep at least "
              "one element; to subsample another axis, TRANSPOSE it to height or width first "
              "(the NPU runs TRANSPOSE).")
def strided_slice(ctx: OpContext) -> Iterator[tuple[str, str]]:
    """STRIDED_SLICE: strides only along height and width, none negative, and a slice that
    keeps at least one element along some axis."""
    ifm = _first(ctx, IFM)
    params = [t for role, t in _roles(ctx) if role == PARAMS]
    values = [_values(ctx, t) for t in params[:3]]
    if ifm is None or len(values) < 3 or any(v is None for v in values):
        return
    begin, end, strides = ([int(x) for x in v] for v in values)
    shape = list(_shape(ifm))
    rank = len(shape)
    masks = {key: _option(ctx, key, 0) for key in
             ("begin_mask", "end_mask", "ellipsis_mask", "new_axis_mask", "shrink_axis_mask")}
    size, stride = list(shape), [1] * rank
    offset = [0] * rank
    spec, axis = min(len(begin), len(end), len(strides)), 0
    for index in range(spec):
        bit = 1 << index
        if masks["ellipsis_mask"] & bit:
            axis = rank - (spec - index - 1)
            continue
        if axis >= rank:
            break
        shrink = bool(masks["shrink_axis_mask"] & bit)
        if not masks["begin_mask"] & bit or shrink:
            first = begin[index] + (shape[axis] if begin[index] < 0 else 0)
            offset[axis] = min(max(first, 0), shape[axis] - 1)
            size[axis] = 1 if shrink else shape[axis] - offset[axis]
        if not masks["end_mask"] & bit and not shrink:
            last = end[index] + (shape[axis] if end[index] < 0 else 0)
            size[axis] = min(max(last, 1), shape[axis]) - offset[axis]
        stride[axis] = strides[index]
        axis += 1
    text = "Slice must represent a volume. Stride must be non-negative (and over W or H)."
    outer = [s for position, s in enumerate(stride) if position not in (rank - 3, rank - 2)]
    if math.prod(outer) != 1:
        yield f"strides {strides} step along an axis other than height and width", text
    elif any(s < 0 for s in stride):
        yield f"strides {strides} include a negative stride", text
    elif all(s <= 0 for s in size):
        yield f"the slice {_text(size)} is empty", text


@op_check("ethos-u-split-count",
          fix="Give SPLIT and SPLIT_V a num_splits equal to their number of outputs, as the "
              "converter writes them.")
def split_count(ctx: OpContext) -> Iterator[tuple[str, str]]:
    """SPLIT and SPLIT_V: num_splits must equal the number of outputs."""
    splits = ctx.op.options.get("num_splits")
    if splits is not None and splits != len(ctx.op.outputs):
        yield (f"num_splits is {splits} but the op has {len(ctx.op.outputs)} outputs",
               "num_splits must match the number of outputs.")


@op_check("ethos-u-transpose-rank",
          fix="Transpose at most 8 axes: RESHAPE to merge axes that move together first.")
def transpose_rank(ctx: OpContext) -> Iterator[tuple[str, str]]:
    """TRANSPOSE: a permutation of at most {limit} axes."""
    perm = _first(ctx, PARAMS)
    shape = _shape(perm) if perm is not None else ()
    if shape and shape[-1] > TRANSPOSE_MAX_RANK:
        yield (f"permutes {shape[-1]} axes; at most {TRANSPOSE_MAX_RANK}",
               "Tensor dimension must be <= 8")


@op_check("ethos-u-lstm",
          fix="Use the standard LSTM cell (Keras LSTM: all four gates, no peephole, projection "
              "or layer normalisation), converted as UNIDIRECTIONAL_SEQUENCE_LSTM.")
def lstm(ctx: OpContext) -> Iterator[tuple[str, str]]:
    """UNIDIRECTIONAL_SEQUENCE_LSTM: all eight gate weights present (no CIFG), and no
    peephole, projection or layer-normalisation tensors."""
    present = {position for position, index in enumerate(ctx.op.inputs) if index >= 0}
    if not set(range(1, 9)) <= present:
        yield ("a gate weight is missing (coupled input and forget gate)",
               "Implicit gate calculation is not supported.")
    if present & {9, 10, 11}:
        yield "has peephole weights", "Peephole variant is not supported."
    if present & {16, 17}:
        yield "has projection weights or bias", "Projection is not supported."
    if present & {20, 21, 22, 23}:
        yield "has layer-normalisation coefficients", "Gate normalization is not supported."


# -- Ethos-U55/U65 only ------------------------------------------------------------------------

@op_check("ethos-u55-reverse-axis",
          fix="Ethos-U55 and U65 reverse along no axis: reverse a constant operand at conversion "
              "time instead, or target the Ethos-U85.")
def u55_reverse_axis(ctx: OpContext) -> Iterator[tuple[str, str]]:
    """Ethos-U55/U65 cannot reverse along any axis: REVERSE_V2 runs on the NPU only when
    its axis list is empty."""
    axes = _first(ctx, PARAMS)
    values = _values(ctx, axes)
    if axes is not None and (values is None or values.size):
        yield "reverses along an axis", "Axis attribute is not supported."


@op_check("ethos-u55-arg-max",
          fix="Take the arg max along the last axis, of a depth of at most 127 (TRANSPOSE the "
              "axis to the end first), or target the Ethos-U85.")
def u55_arg_max(ctx: OpContext) -> Iterator[tuple[str, str]]:
    """Ethos-U55/U65 ARG_MAX: along the last axis, of depth at most {limit}."""
    ifm = _first(ctx, IFM)
    if ifm is None:
        return
    shape = _shape(ifm)
    if shape and shape[-1] > ARG_MAX_MAX_DEPTH:
        yield (f"IFM depth {shape[-1]}; at most {ARG_MAX_MAX_DEPTH}",
               "IFM depth must be less than or equal to 127.")
    values = _values(ctx, _first(ctx, PARAMS))
    if values is not None and values.size and int(values[0]) not in (len(shape) - 1, -1):
        yield (f"axis {int(values[0])} of a rank-{len(shape)} IFM; only the last axis",
               "Operation must be performed along the depth axis.")


NONE_PERMUTATION, NWHC, NHCW, NWCH, NCHW, NCWH = (
    0x76543210, 0x76543120, 0x76543201, 0x76543102, 0x76543021, 0x76543012)


def _permutation_type(perm: list[int]) -> int:
    """Regor's TransposeType: the permutation as 4-bit reversed axis offsets over an 8-D
    identity (shape_util.hpp TransposeTypeFromShape)."""
    count, mask = len(perm), 0
    for axis in perm:
        mask = (mask << 4) | ((count - 1 - axis) & 0xF)
    offset = 0x76543210 & ~(0xFFFFFFFF >> (4 * (8 - count)) if count < 8 else 0xFFFFFFFF)
    return (mask + offset) & 0xFFFFFFFF


@op_check("ethos-u55-transpose-shape",
          fix="Transpose 8- or 16-bit data (int32 allows only identity, NWHC and NHCW) and split "
              "the tensor so that the axes it moves stay within 65536, or target the Ethos-U85.")
def u55_transpose_shape(ctx: OpContext) -> Iterator[tuple[str, str]]:
    """Ethos-U55/U65 TRANSPOSE size limits. Int32: rank at most 4; identity with depth at
    most 32768 (the text says 2^16), NWHC with shape at most (1, 65536, 65536, 16384),
    NHCW with N*H, W, C at most 65536; no other permutation. 8- and 16-bit: any identity;
    NWHC, NHCW, NCWH, NWCH, NCHW of a tensor without outer axes above 1: height, width,
    depth at most 65536; otherwise every product of N-2 axes at most 65536."""
    ifm, perm_tensor = _first(ctx, IFM), _first(ctx, PARAMS)
    perm_values = _values(ctx, perm_tensor)
    if ifm is None or perm_values is None:
        return
    perm = [int(axis) for axis in perm_values]
    kind = _permutation_type(perm)
    shape = _shape(ifm)
    limit = 1 << 16
    if ifm.dtype == "INT32":
        head = "IF IFM is Int32: "
        if len(shape) > 4:
            yield f"int32 IFM of rank {len(shape)}", head + "Rank must be less than or equal to 4"
            return
        batch, height, width, depth = _nhwc(shape)
        if kind == NONE_PERMUTATION and depth > (1 << 15):
            yield f"int32 IFM depth {depth}; at most 32768", head + "NHWC: C <= 2^16"
        elif kind == NWHC and (batch > 1 or height > limit or width > limit or depth > 1 << 14):
            yield (f"int32 IFM {_text(shape)}", head + "NWHC: N == 1, H <= 2^16, W <= 2^16, "
                   "C <= 2^14")
        elif kind == NHCW and (batch * height > limit or width > limit or depth > limit):
            yield f"int32 IFM {_text(shape)}", head + "NHCW: N*H <= 2^16, W <= 2^16, C <= 2^16"
        elif kind not in (NONE_PERMUTATION, NWHC, NHCW):
            yield (f"int32 IFM with permutation {perm}",
                   head + "Any other permutation vector is unsupported")
        return
    if _bits(ifm) > 16 or kind == NONE_PERMUTATION:
        return
    elements = math.prod(shape)
    if (len(shape) <= 3 or math.prod(shape[:-3]) == 1) and kind in (NWHC, NHCW, NCWH, NWCH, NCHW):
        merged = (math.prod(shape[:-2]), *shape[-2:]) if len(shape) >= 3 else \
            (1,) * (3 - len(shape)) + tuple(shape)
        if any(dim > limit for dim in merged):
            yield (f"IFM {_text(shape)} with permutation {perm}: a height, width or depth above "
                   "65536", "IF IFM is Int8 or Int16 ELSE IF permutation is: NWHC/NHCW/NCWH/"
                   "NWCH/NCHW and the tensor is 3D, or higher-rank with all axes outside H/W/C "
                   "equal to 1: (H, W, C) <= (2^16, 2^16, 2^16)")
    elif elements > 0:
        for i in range(len(shape)):
            for j in range(i + 1, len(shape)):
                if elements // (shape[i] * shape[j]) > limit:
                    yield (f"IFM {_text(shape)} with permutation {perm}: a product of "
                           f"{len(shape) - 2} axes above 65536", "IF IFM is Int8 or Int16 "
                           "ELSE: Product of any N-2 axes in a rank N tensor must be less than "
                           "or equal to 2^16. For example, for rank 4: N*H <= 2^16, N*W <= 2^16, "
                           "N*C <= 2^16, H*W <= 2^16, H*C <= 2^16, W*C <= 2^16.")
                    return


def _resize_flags(ctx: OpContext) -> tuple[bool, bool]:
    return (bool(_option(ctx, "align_corners", False)),
            bool(_option(ctx, "half_pixel_centers", False)))


@op_check("ethos-u55-resize",
          fix="Resize by 2, 4 or 8 (chain resizes for larger powers of two), by the same factor "
              "along height and width; use half_pixel_centers only with a factor of 2.")
def u55_resize(ctx: OpContext) -> Iterator[tuple[str, str]]:
    """Ethos-U55/U65 RESIZE_BILINEAR and RESIZE_NEAREST_NEIGHBOR: unless the IFM is 1x1 or
    the size does not change, the same integer scale factor of 2, 4 or 8 along height and
    width (2 only with half-pixel centers; with align_corners the factor is
    (OFM - 1) / (IFM - 1)); unequal factors only when an OFM axis of 1 is not scaled."""
    ifm, ofm = _first(ctx, IFM), _first(ctx, OFM)
    if ifm is None or ofm is None:
        return
    align, half = _resize_flags(ctx)
    bilinear_half = half and _name(ctx) == "RESIZE_BILINEAR"
    _, in_h, in_w, _ = _nhwc(_shape(ifm))
    _, out_h, out_w, _ = _nhwc(_shape(ofm))
    is_bilinear = _name(ctx) == "RESIZE_BILINEAR"
    head = "IF not (IFM H == IFM W == 1) AND not IFM Shape == OFM Shape: " if is_bilinear \
        else "IF NOT (IFM H == IFM W == 1) AND NOT IFM Shape == OFM Shape: "
    if in_h == 1 and in_w == 1:
        return
    if (in_h, in_w) == (out_h, out_w):
        if bilinear_half:
            yield ("a same-size resize with half_pixel_centers",
                   head + "IF half pixel centers: Scale-factor needs to be 2x")
        return
    if align:
        scale_h = 1.0 if out_h == 1 else (out_h - 1) / (in_h - 1) if in_h > 1 else math.inf
        scale_w = 1.0 if out_w == 1 else (out_w - 1) / (in_w - 1) if in_w > 1 else math.inf
    else:
        scale_h, scale_w = out_h / in_h, out_w / in_w
    if scale_h != scale_w:
        if not ((out_h == 1 and scale_h == 1) or (out_w == 1 and scale_w == 1)):
            yield (f"scales height by {scale_h:g} and width by {scale_w:g}", head + "IF W "
                   "Scale-factor != H Scale-factor: OFM W or H must be 1, and scaling in the dim "
                   "that is must also be 1")
            return
        if bilinear_half:
            yield (f"scales height by {scale_h:g} and width by {scale_w:g} with "
                   "half_pixel_centers",
                   head + "IF half pixel centers: Scale-factor needs to be 2x")
            return
    upscale = max(scale_h, scale_w)
    highest = 2 if bilinear_half else 8
    if not (math.isfinite(upscale) and upscale == int(upscale) and upscale > 1
            and int(upscale) & (int(upscale) - 1) == 0 and upscale <= highest):
        if bilinear_half:
            tool = head + "IF half pixel centers: Scale-factor needs to be 2x"
        elif is_bilinear:
            tool = head + "Else: Scale-factor needs to be one of: 2x/4x/8x"
        else:
            tool = head + "Scale-factor must be one of: 2x/4x/8x"
        yield f"scale factor {upscale:g}; {'only 2' if bilinear_half else '2, 4 or 8'}", tool


# -- Ethos-U85 only ----------------------------------------------------------------------------

@op_check("ethos-u85-resize",
          fix="Resize by an integer factor (a power of two for bilinear) of at most 1024 with "
              "half-pixel centers or 2048 without, and set at most one of align_corners and "
              "half_pixel_centers.")
def u85_resize(ctx: OpContext) -> Iterator[tuple[str, str]]:
    """Ethos-U85 RESIZE_BILINEAR and RESIZE_NEAREST_NEIGHBOR: align_corners and half-pixel
    centers not both (nearest neighbour without align_corners counts as half-pixel);
    integer scale factor at most {limits[0]} with half-pixel centers, {limits[1]}
    otherwise; for bilinear a power of two (unless the IFM is 1x1)."""
    ifm, ofm = _first(ctx, IFM), _first(ctx, OFM)
    if ifm is None or ofm is None:
        return
    align, half = _resize_flags(ctx)
    bilinear = _name(ctx) == "RESIZE_BILINEAR"
    if not bilinear:
        half = not align or half
    if align and half:
        yield ("align_corners and half_pixel_centers are both set",
               "align_corners and half_pixel_centers are mutually exclusive.")
    _, in_h, in_w, _ = _nhwc(_shape(ifm))
    _, out_h, out_w, _ = _nhwc(_shape(ofm))
    ratios = []
    for axis, numerator, denominator in (("width", out_w, in_w), ("height", out_h, in_h)):
        if align and denominator > 1:
            numerator, denominator = numerator - 1, denominator - 1
        ratios.append((axis, numerator, denominator))
    for axis, numerator, denominator in ratios:
        if numerator == 0 or denominator == 0:
            yield (f"{axis} scale {numerator}/{denominator}",
                   "Scale-factor: IF align_corners: Scale-factor can be maximum 2048")
            break
        factor = numerator // denominator
        if half and factor > U85_RESIZE_MAX[0]:
            yield (f"{axis} scale factor {factor}; at most {U85_RESIZE_MAX[0]} with half-pixel "
                   "centers", "Scale-factor: ELSE: Scale-factor can be maximum 1024.")
            break
        if factor > U85_RESIZE_MAX[1]:
            yield (f"{axis} scale factor {factor}; at most {U85_RESIZE_MAX[1]}",
                   "Scale-factor: IF align_corners: Scale-factor can be maximum 2048")
            break
    if bilinear and not (in_w == 1 and in_h == 1):
        for axis, numerator, denominator in ratios:
            factor = numerator // denominator if denominator else 0
            if denominator == 0 or numerator % denominator or factor < 1 \
                    or factor & (factor - 1):
                yield (f"{axis} scale {numerator}/{denominator} is not a power of two",
                       "Scale-factor must be an integer power of two.")
                break


@op_check("ethos-u85-gather-axis",
          fix="Gather along the axis given by batch_dims (axis 0 without batch_dims): TRANSPOSE "
              "the gathered axis to the front first.")
def u85_gather_axis(ctx: OpContext) -> Iterator[tuple[str, str]]:
    """Ethos-U85 GATHER: axis must equal batch_dims."""
    params = _first(ctx, IFM)
    rank = len(_shape(params)) if params is not None else 0
    axis = _option(ctx, "axis", 0)
    axis = rank + axis if axis < 0 else axis
    batch_dims = _option(ctx, "batch_dims", 0)
    if axis != batch_dims:
        yield (f"axis {axis} differs from batch_dims {batch_dims}",
               "axis must be equal to batch_dims")


@op_check("ethos-u85-scatter-nd",
          fix="Give SCATTER_ND a constant shape and constant indices with a last axis of 1 and "
              "no index twice.")
def u85_scatter_nd(ctx: OpContext) -> Iterator[tuple[str, str]]:
    """Ethos-U85 SCATTER_ND: constant shape and indices, indices with a last axis of 1
    and no index twice."""
    indices, shape = _first(ctx, IFM), _first(ctx, PARAMS)
    if shape is not None and not shape.is_constant:
        yield f"shape '{shape.name}' is not constant", "Shape tensor must be constant"
    if indices is None:
        return
    if not indices.is_constant:
        yield f"indices '{indices.name}' are not constant", "Index tensor must be constant"
    index_shape = _shape(indices)
    if index_shape and index_shape[-1] != 1:
        yield (f"indices have shape {_text(index_shape)}; the last axis must be 1",
               "Index tensor must have channel=1")
    values = _values(ctx, indices)
    if values is not None and len(set(values.tolist())) != values.size:
        yield "an index appears twice", "Index tensor elements must be unique"


# -- the whole model ---------------------------------------------------------------------------

@model_check("ethos-u-finite-scales",
             fix="Convert the model again with a representative dataset: a non-finite "
                 "quantization scale, or an output scale of 0, comes from a broken conversion "
                 "and stops Vela.")
def finite_scales(ctx: ModelContext) -> Iterator[tuple[str, str]]:
    """Vela refuses the whole model (it does not compile) when a quantization scale is
    not finite, or when an op's IFM scale divided by its OFM scale is not finite in
    float32, as with an OFM scale of 0 (tflite_model_semantics.cpp)."""
    for index in sorted(ctx.view.reachable_subgraphs):
        subgraph = ctx.view.model.subgraphs[index]
        for tensor in subgraph.tensors:
            scales = tensor.quantization.scale if tensor.quantization else ()
            if any(not math.isfinite(scale) for scale in scales):
                yield (f"tensor '{tensor.name}' has a quantization scale that is not finite",
                       "Tensor Quantization scales must be finite")
        for op in subgraph.operators:
            roles = INPUT_ROLES.get(op.opcode.name, ())
            ifm_positions = [p for p, i in enumerate(op.inputs)
                             if i >= 0 and (roles[p] if p < len(roles) else IFM) == IFM]
            if not ifm_positions or not op.outputs:
                continue
            ifm = subgraph.tensors[op.inputs[ifm_positions[0]]]
            ofm = subgraph.tensors[op.outputs[0]]
            if ifm.quantization and ifm.quantization.scale and ofm.quantization \
                    and ofm.quantization.scale:
                with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
                    ratio = np.float32(ifm.quantization.scale[0]) / np.float32(
                        ofm.quantization.scale[0])
                if not np.isfinite(ratio):
                    yield (f"op {op.index} {op.name}: IFM scale {ifm.quantization.scale[0]:g} / "
                           f"OFM scale {ofm.quantization.scale[0]:g} is not finite; Vela stops "
                           "with 'Does not have valid TFLite Semantics'",
                           "Input and Output tensors must have quantization scales that fit "
                           "within float32 precision")


# Inputs Vela reads while it checks the model as a whole (tflite_model_semantics.cpp), by op:
# when one is not constant, Vela stops ("Null pointer exception encountered when reading
# TFLite file"); a MEAN with non-constant axes makes Vela 5.2.0 crash (measured).
READ_BEFORE_CHECKS = {"PAD": (1, "paddings"), "PADV2": (1, "paddings"),
                      "SPLIT": (0, "split axis"), "SPLIT_V": (1, "split sizes"),
                      "MEAN": (1, "axes")}


@model_check("ethos-u-constant-layout",
             fix="Make the paddings of PAD and PADV2, the axis of SPLIT, the sizes of SPLIT_V "
                 "and the axes of MEAN constants: convert with fixed input shapes so that the "
                 "converter folds them.")
def constant_layout(ctx: ModelContext) -> Iterator[str | tuple[str, str]]:
    """Vela cannot compile a model at all when the paddings of a PAD or PADV2, the axis of
    a SPLIT, the sizes of a SPLIT_V or the axes of a MEAN are not constant, whichever
    accelerator: it reads them while it checks the model (tflite_model_semantics.cpp) and
    stops, or for MEAN crashes (Vela 5.2.0, measured)."""
    for index in sorted(ctx.view.reachable_subgraphs):
        subgraph = ctx.view.model.subgraphs[index]
        for op in subgraph.operators:
            position, what = READ_BEFORE_CHECKS.get(op.opcode.name, (None, ""))
            if position is None or position >= len(op.inputs) or op.inputs[position] < 0:
                continue
            tensor = subgraph.tensors[op.inputs[position]]
            if tensor.is_constant:
                continue
            where = f"op {op.index} {op.name}" + (f" in subgraph {index}" if index else "")
            if op.opcode.name == "MEAN":
                yield f"{where}: {what} input '{tensor.name}' is not constant; Vela 5.2.0 crashes"
            else:
                yield (f"{where}: {what} input '{tensor.name}' is not constant; Vela stops "
                       "before compiling", "Null pointer exception encountered when reading "
                       "TFLite file")


def _fill_docs() -> None:
    """Docstrings quote the limits the checks use, so the two cannot disagree."""
    values = {
        quantized: dict(exempt=", ".join(sorted(NO_QUANTIZATION))),
        quantization_scale: dict(exempt=", ".join(sorted(NO_QUANTIZATION))),
        per_axis: dict(allowed=", ".join(sorted(PER_AXIS_ALLOWED))),
        u55_zero_points: dict(exempt=", ".join(sorted(U55_ZERO_POINT_FREE))),
        u85_zero_points: dict(exempt=", ".join(sorted(U85_ZERO_POINT_FREE))),
        u55_no_32_bit: dict(allowed=", ".join(sorted(U55_32_BIT_ALLOWED))),
        u55_no_64_bit: dict(allowed=", ".join(sorted(U55_64_BIT_ALLOWED))),
        u55_weight_sum: dict(limits=U55_MAX_WEIGHT_SUM),
        u85_weight_sum: dict(limits=U85_MAX_WEIGHT_SUM),
        u55_bias_range: dict(limit=U55_MAX_BIAS), u85_bias_range: dict(limit=U85_MAX_BIAS),
        u55_matmul: dict(limit=MATMUL_MAX), u55_stride_needs_valid: dict(limit=U55_MAX_STRIDE),
        u55_stride_max: dict(limit=U55_MAX_STRIDE),
        avg_pool_kernel: dict(height=POOL_MAX_HEIGHT, product=POOL_MAX_PRODUCT,
                              same=POOL_SAME_MAX),
        max_pool_kernel: dict(height=POOL_MAX_HEIGHT, product=POOL_MAX_PRODUCT),
        softmax_size: dict(limit=SOFTMAX_MAX_WH),
        mean: dict(axis=MEAN_MAX_AXIS, elements=", ".join(
            f"{count} ({dtype})" for dtype, count in MEAN_MAX_ELEMENTS.items())),
        transpose_rank: dict(limit=TRANSPOSE_MAX_RANK), u55_arg_max: dict(limit=ARG_MAX_MAX_DEPTH),
        u85_resize: dict(limits=U85_RESIZE_MAX),
    }
    for function, fields in values.items():
        function.__doc__ = function.__doc__.format(**fields)


_fill_docs()
