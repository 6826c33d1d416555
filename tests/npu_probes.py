"""Single-op probe models for the NPU compiler plugins' differential tests.

Each probe is a model with one op (a few probes chain ops, to test partitioning) in one
tensor type, built with tests/builder.py; its non-constant inputs are subgraph inputs,
its outputs subgraph outputs, and every tensor name starts with the probe's name, so an
oracle that reports ops by output tensor name maps them back. A vendor's test picks the
probes that matter to it (`probes(ops=..., dtypes=...)`) or all of them.

    for probe in probes(dtypes={"int8"}):
        path = tmp_path / f"{probe.name}.tflite"
        path.write_bytes(probe.build())

Types: "float32", "float16" (activations in float16), "int8" / "uint8" (8-bit quantized),
"int16" (16x8 quantized: int16 activations, int8 weights, int64 bias), "int32", "int64",
"bool" (plain, not quantized). Each op family lists the types it is built in.
"""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Callable, Iterable

import numpy as np
from tflite.BuiltinOptions import BuiltinOptions

from builder import OPTIONS, ModelBuilder, SubgraphBuilder

# Options tables builder.py does not know (field: slot, kind, from schema.fbs)
for _table, _fields in {
        "ArgMinOptions": dict(output_type=(0, "int8")),
        "SplitVOptions": dict(num_splits=(0, "int32")),
        "Conv3DOptions": dict(padding=(0, "int8"), stride_d=(1, "int32"), stride_w=(2, "int32"),
                              stride_h=(3, "int32"), fused_activation_function=(4, "int8"),
                              dilation_d_factor=(5, "int32"), dilation_w_factor=(6, "int32"),
                              dilation_h_factor=(7, "int32"))}.items():
    OPTIONS.setdefault(_table, _fields)

SHAPE = [1, 8, 8, 16]
# scale, zero point of quantized activations per type; weights are int8 symmetric
QUANT = {"int8": (0.05, 0), "uint8": (0.05, 128), "int16": (0.001, 0)}
TFL_TYPE = {"float32": "FLOAT32", "float16": "FLOAT16", "int8": "INT8", "uint8": "UINT8",
            "int16": "INT16", "int32": "INT32", "int64": "INT64", "bool": "BOOL"}
NUMPY = {"float32": np.float32, "float16": np.float16, "int8": np.int8, "uint8": np.uint8,
         "int16": np.int16, "int32": np.int32, "int64": np.int64, "bool": np.bool_}
FLOATS = ("float32", "float16")
QUANTIZED = ("int8", "uint8", "int16")
# Output quantization the converter fixes for some ops, per type (scale, zero point)
FIXED_OUTPUT = {
    "LOGISTIC": {"int8": (1 / 256, -128), "uint8": (1 / 256, 0), "int16": (1 / 32768, 0)},
    "SOFTMAX": {"int8": (1 / 256, -128), "uint8": (1 / 256, 0), "int16": (1 / 32768, 0)},
    "TANH": {"int8": (1 / 128, 0), "uint8": (1 / 128, 128), "int16": (1 / 32768, 0)},
    "LOG_SOFTMAX": {"int8": (16 / 256, 127), "uint8": (16 / 256, 255)},
    "L2_NORMALIZATION": {"int8": (1 / 128, 0), "uint8": (1 / 128, 128)},
}
ALL_NUMERIC = ("float32", "float16", "int8", "uint8", "int16", "int32", "int64")


@dataclass(frozen=True)
class Probe:
    name: str  # "<OP>-<dtype>" or "<OP>-<dtype>-<variant>"; prefix of its tensors' names
    op: str  # the builtin op it probes (the first op of a chain)
    dtype: str  # the type of its computed tensors
    build: Callable[[], bytes]
    note: str = ""


class _Graph:
    """One probe's subgraph: tensors named after the probe, typed and quantized by dtype."""

    def __init__(self, name: str, dtype: str) -> None:
        self.model = ModelBuilder()
        self.sg: SubgraphBuilder = self.model.subgraph(name)
        self.name, self.dtype = name, dtype
        self.count = 0

    def _name(self, role: str) -> str:
        self.count += 1
        return f"{self.name}/{role}{self.count}"

    def act(self, shape=SHAPE, dtype: str | None = None, role: str = "t", op: str = "",
            **kwargs) -> int:
        """A computed tensor (activation) of `dtype` (the probe's by default), written by
        `op` when the converter fixes that op's output quantization."""
        dtype = dtype or self.dtype
        scale, zero = FIXED_OUTPUT.get(op, {}).get(dtype, QUANT.get(dtype, (None, None)))
        quant = dict(scale=[scale], zero_point=[zero]) if scale is not None else {}
        return self.sg.tensor(self._name(role), shape, TFL_TYPE[dtype], **quant, **kwargs)

    def input(self, shape=SHAPE, dtype: str | None = None, **kwargs) -> int:
        tensor = self.act(shape, dtype, role="in", **kwargs)
        self.sg.inputs.append(tensor)
        return tensor

    def output(self, shape=SHAPE, dtype: str | None = None, op: str = "") -> int:
        tensor = self.act(shape, dtype, role="out", op=op)
        self.sg.outputs.append(tensor)
        return tensor

    def const(self, values, dtype: str, quantized: bool = False) -> int:
        array = np.asarray(values, dtype=NUMPY[dtype])
        quant = {}
        if quantized:
            scale = QUANT.get(dtype, (0.05, 0))[0]
            quant = dict(scale=[scale], zero_point=[QUANT.get(dtype, (0, 0))[1]])
        return self.sg.constant(self._name("c"), array, TFL_TYPE[dtype], **quant)

    def like(self, values) -> int:
        """A constant of the probe's own type (quantized like its activations)."""
        dtype = self.dtype
        if dtype in QUANTIZED:
            return self.const(np.clip(values, -100, 100), dtype, quantized=True)
        return self.const(values, dtype)

    def weights(self, shape, axis: int = 0) -> int:
        """Weights of a conv or matmul: float like the probe, int8 per-channel when
        quantized (16x8 too)."""
        values = np.ones(shape)
        if self.dtype in QUANTIZED:
            channels = shape[axis]
            return self.sg.constant(self._name("w"), values.astype(np.int8), "INT8",
                                    scale=[0.01] * channels, zero_point=[0] * channels,
                                    quantized_dimension=axis)
        return self.const(values, self.dtype)

    def bias(self, size: int) -> int:
        if self.dtype in QUANTIZED:
            kind = "int64" if self.dtype == "int16" else "int32"
            scale = QUANT[self.dtype][0] * 0.01
            return self.sg.constant(self._name("b"), np.zeros(size, NUMPY[kind]),
                                    TFL_TYPE[kind], scale=[scale] * size,
                                    zero_point=[0] * size)
        return self.const(np.zeros(size), self.dtype)

    def op(self, name: str, inputs, outputs, options=None, version: int = 1,
           **kwargs) -> int:
        if isinstance(options, str):  # an options table with every field at its default
            kwargs["options_type"] = getattr(BuiltinOptions, options)
            options = None
        return self.sg.op(name, inputs, outputs, options=options, version=version, **kwargs)

    def build(self) -> bytes:
        return self.model.build()


# -- op families --------------------------------------------------------------------------
# Each maker builds one probe: maker(graph, op) fills the graph. Options tables by name,
# empty ones (every field at its default) where the op's defaults are what a converter
# writes.

def _unary(options: str | None = None, version: int = 1):
    def make(g: _Graph, op: str) -> None:
        g.op(op, [g.input()], [g.output(op=op)], options, version)
    return make


def _binary(options: str | None = None, out: str | None = None, second_const=False):
    def make(g: _Graph, op: str) -> None:
        a = g.input()
        b = g.like(np.full(SHAPE, 2)) if second_const else g.input()
        g.op(op, [a, b], [g.output(dtype=out)], options)
    return make


def _logical_binary(g: _Graph, op: str) -> None:
    g.op(op, [g.input(dtype="bool"), g.input(dtype="bool")], [g.output(dtype="bool")])


def _conv2d(g: _Graph, op: str) -> None:
    g.op(op, [g.input(), g.weights([16, 3, 3, 16]), g.bias(16)], [g.output()],
         ("Conv2DOptions", dict(padding=0, stride_w=1, stride_h=1, dilation_w_factor=1,
                                dilation_h_factor=1)), version=3)


def _depthwise(g: _Graph, op: str) -> None:
    g.op(op, [g.input(), g.weights([1, 3, 3, 16], axis=3), g.bias(16)], [g.output()],
         ("DepthwiseConv2DOptions", dict(padding=0, stride_w=1, stride_h=1, depth_multiplier=1,
                                         dilation_w_factor=1, dilation_h_factor=1)),
         version=2)


def _transpose_conv(g: _Graph, op: str) -> None:
    shape = g.const([1, 16, 16, 16], "int32")
    g.op(op, [shape, g.weights([16, 3, 3, 16]), g.input(), g.bias(16)],
         [g.output([1, 16, 16, 16])],
         ("TransposeConvOptions", dict(padding=0, stride_w=2, stride_h=2)), version=3)


def _conv3d(g: _Graph, op: str) -> None:
    g.op(op, [g.input([1, 4, 8, 8, 16]), g.weights([3, 3, 3, 16, 16], axis=4), g.bias(16)],
         [g.output([1, 4, 8, 8, 16])],
         ("Conv3DOptions", dict(padding=0, stride_d=1, stride_w=1, stride_h=1,
                                dilation_d_factor=1, dilation_w_factor=1, dilation_h_factor=1)))


def _fully_connected(g: _Graph, op: str) -> None:
    g.op(op, [g.input([1, 16]), g.weights([8, 16]), g.bias(8)], [g.output([1, 8])],
         "FullyConnectedOptions")


def _batch_matmul(g: _Graph, op: str) -> None:
    g.op(op, [g.input([1, 8, 16]), g.input([1, 16, 8])], [g.output([1, 8, 8])],
         "BatchMatMulOptions")


def _pool(g: _Graph, op: str) -> None:
    g.op(op, [g.input()], [g.output([1, 4, 4, 16])],
         ("Pool2DOptions", dict(padding=1, stride_w=2, stride_h=2, filter_width=2,
                                filter_height=2)))


def _reshape(g: _Graph, op: str) -> None:
    g.op(op, [g.input(), g.const([1, 64, 16], "int32")], [g.output([1, 64, 16])],
         "ReshapeOptions")


def _transpose(g: _Graph, op: str) -> None:
    g.op(op, [g.input(), g.const([0, 3, 1, 2], "int32")], [g.output([1, 16, 8, 8])])


def _concatenation(g: _Graph, op: str) -> None:
    g.op(op, [g.input(), g.input()], [g.output([1, 8, 8, 32])],
         ("ConcatenationOptions", dict(axis=3)))


def _pad(g: _Graph, op: str) -> None:
    paddings = g.const([[0, 0], [1, 1], [1, 1], [0, 0]], "int32")
    inputs = [g.input(), paddings]
    if op == "PADV2":
        inputs.append(g.like([0]))
    options = {"PAD": "PadOptions", "PADV2": "PadV2Options"}.get(op)
    if op == "MIRROR_PAD":
        options = ("MirrorPadOptions", dict(mode=0))
    g.op(op, inputs, [g.output([1, 10, 10, 16])], options)


def _reduce(g: _Graph, op: str) -> None:
    g.op(op, [g.input(), g.const([1, 2], "int32")], [g.output([1, 1, 1, 16])],
         ("ReducerOptions", dict(keep_dims=True)))


def _logical_reduce(g: _Graph, op: str) -> None:
    g.op(op, [g.input(dtype="bool"), g.const([1, 2], "int32")],
         [g.output([1, 1, 1, 16], dtype="bool")], ("ReducerOptions", dict(keep_dims=True)))


def _softmax(g: _Graph, op: str) -> None:
    g.op(op, [g.input([1, 16])], [g.output([1, 16], op=op)],
         ("SoftmaxOptions", dict(beta=1.0)) if op == "SOFTMAX" else "LogSoftmaxOptions")


def _split(g: _Graph, op: str) -> None:
    if op == "SPLIT":
        g.op(op, [g.const(3, "int32"), g.input()],
             [g.output([1, 8, 8, 8]), g.output([1, 8, 8, 8])],
             ("SplitOptions", dict(num_splits=2)))
    else:
        g.op(op, [g.input(), g.const([4, 12], "int32"), g.const(3, "int32")],
             [g.output([1, 8, 8, 4]), g.output([1, 8, 8, 12])],
             ("SplitVOptions", dict(num_splits=2)))


def _strided_slice(g: _Graph, op: str) -> None:
    g.op(op, [g.input(), g.const([0, 0, 0, 0], "int32"), g.const([1, 4, 8, 16], "int32"),
              g.const([1, 1, 2, 1], "int32")], [g.output([1, 4, 4, 16])],
         ("StridedSliceOptions", dict(begin_mask=0, end_mask=0)))


def _slice(g: _Graph, op: str) -> None:
    g.op(op, [g.input(), g.const([0, 0, 0, 0], "int32"), g.const([1, 4, 4, 16], "int32")],
         [g.output([1, 4, 4, 16])], "SliceOptions")


def _tile(g: _Graph, op: str) -> None:
    g.op(op, [g.input(), g.const([1, 2, 1, 1], "int32")], [g.output([1, 16, 8, 16])],
         "TileOptions")


def _broadcast_to(g: _Graph, op: str) -> None:
    g.op(op, [g.input([1, 1, 8, 16]), g.const(SHAPE, "int32")], [g.output()],
         "BroadcastToOptions", version=2)


def _topk(g: _Graph, op: str) -> None:
    g.op(op, [g.input([1, 16]), g.const([4], "int32")],
         [g.output([1, 4]), g.output([1, 4], dtype="int32")], "TopKV2Options")


def _pack(g: _Graph, op: str) -> None:
    g.op(op, [g.input([8, 16]), g.input([8, 16])], [g.output([2, 8, 16])],
         ("PackOptions", dict(values_count=2, axis=0)))


def _unpack(g: _Graph, op: str) -> None:
    g.op(op, [g.input([2, 8, 16])], [g.output([8, 16]), g.output([8, 16])],
         ("UnpackOptions", dict(num=2, axis=0)))


def _arg(g: _Graph, op: str) -> None:
    options = ("ArgMaxOptions" if op == "ARG_MAX" else "ArgMinOptions", dict(output_type=2))
    g.op(op, [g.input(), g.const([3], "int32")], [g.output([1, 8, 8], dtype="int32")],
         options)


def _cast(g: _Graph, op: str) -> None:
    out = "int32" if g.dtype == "float32" else "float32"
    g.op(op, [g.input()], [g.output(dtype=out)], "CastOptions")


def _prelu(g: _Graph, op: str) -> None:
    g.op(op, [g.input(), g.like(np.full([1, 1, 16], 0.25))], [g.output()])


def _select(g: _Graph, op: str) -> None:
    g.op(op, [g.input(dtype="bool"), g.input(), g.input()], [g.output()],
         "SelectOptions" if op == "SELECT" else "SelectV2Options")


def _space_depth(g: _Graph, op: str) -> None:
    if op == "DEPTH_TO_SPACE":
        g.op(op, [g.input()], [g.output([1, 16, 16, 4])],
             ("DepthToSpaceOptions", dict(block_size=2)))
    else:
        g.op(op, [g.input()], [g.output([1, 4, 4, 64])],
             ("SpaceToDepthOptions", dict(block_size=2)))


def _batch_space(g: _Graph, op: str) -> None:
    block = g.const([2, 2], "int32")
    zeros = g.const([[0, 0], [0, 0]], "int32")
    if op == "SPACE_TO_BATCH_ND":
        g.op(op, [g.input(), block, zeros], [g.output([4, 4, 4, 16])],
             "SpaceToBatchNDOptions")
    else:
        g.op(op, [g.input([4, 4, 4, 16]), block, zeros], [g.output()],
             "BatchToSpaceNDOptions")


def _resize(g: _Graph, op: str) -> None:
    options = ("ResizeBilinearOptions", dict(half_pixel_centers=True)) \
        if op == "RESIZE_BILINEAR" else \
        ("ResizeNearestNeighborOptions", dict(half_pixel_centers=True))
    g.op(op, [g.input(), g.const([16, 16], "int32")], [g.output([1, 16, 16, 16])], options)


def _gather(g: _Graph, op: str) -> None:
    g.op(op, [g.input([16, 16]), g.const([0, 3, 5], "int32")], [g.output([3, 16])],
         ("GatherOptions", dict(axis=0)))


def _gather_nd(g: _Graph, op: str) -> None:
    g.op(op, [g.input([16, 16]), g.const([[0], [3], [5]], "int32")], [g.output([3, 16])])


def _embedding_lookup(g: _Graph, op: str) -> None:
    g.op(op, [g.input([3], dtype="int32"), g.like(np.ones([16, 16]))], [g.output([3, 16])])


def _scatter_nd(g: _Graph, op: str) -> None:
    g.op(op, [g.const([[0], [3]], "int32"), g.input([2, 16]), g.const([16, 16], "int32")],
         [g.output([16, 16])], "ScatterNdOptions")


def _one_hot(g: _Graph, op: str) -> None:
    g.op(op, [g.input([4], dtype="int32"), g.const(16, "int32"), g.like(1), g.like(0)],
         [g.output([4, 16])], ("OneHotOptions", dict(axis=-1)))


def _l2_norm(g: _Graph, op: str) -> None:
    g.op(op, [g.input()], [g.output(op=op)], "L2NormOptions")


def _cumsum(g: _Graph, op: str) -> None:
    g.op(op, [g.input(), g.const(3, "int32")], [g.output()], "CumsumOptions")


def _reverse(g: _Graph, op: str) -> None:
    g.op(op, [g.input(), g.const([1], "int32")], [g.output()], "ReverseV2Options")


def _dynamic_update_slice(g: _Graph, op: str) -> None:
    g.op(op, [g.input(), g.input([1, 2, 2, 16]), g.const([0, 1, 1, 0], "int32")],
         [g.output()], "DynamicUpdateSliceOptions")


def _kv_cache_update(g: _Graph, op: str) -> None:
    """DYNAMIC_UPDATE_SLICE as a KV-cache write: one position along axis 1."""
    g.op(op, [g.input([1, 8, 4, 16]), g.input([1, 1, 4, 16]), g.const([0, 3, 0, 0], "int32")],
         [g.output([1, 8, 4, 16])], "DynamicUpdateSliceOptions")


def _rank(rank: int, binary: bool = False):
    """The op on tensors of `rank` dimensions (unary, or binary with two inputs)."""
    shape = [1] * (rank - 3) + [4, 4, 8] if rank >= 3 else [4, 8][-rank:]

    def make(g: _Graph, op: str) -> None:
        inputs = [g.input(shape)] + ([g.input(shape)] if binary else [])
        g.op(op, inputs, [g.output(shape, op=op)],
             BINARY_OPTIONS.get(op) or UNARY_OPTIONS.get(op))
    return make


def _squeeze(g: _Graph, op: str) -> None:
    g.op(op, [g.input([1, 1, 8, 16])], [g.output([8, 16])], "SqueezeOptions")


def _expand_dims(g: _Graph, op: str) -> None:
    g.op(op, [g.input([8, 16]), g.const([0], "int32")], [g.output([1, 8, 16])],
         "ExpandDimsOptions")


def _add_n(g: _Graph, op: str) -> None:
    g.op(op, [g.input(), g.input(), g.input()], [g.output()], "AddNOptions")


def _quantize(g: _Graph, op: str) -> None:
    # float -> the probe's quantized type
    g.op(op, [g.input(dtype="float32")], [g.output()])


def _dequantize(g: _Graph, op: str) -> None:
    # the probe's quantized (or float16) type -> float32
    g.op(op, [g.input()], [g.output(dtype="float32")])


def _custom(g: _Graph, op: str) -> None:
    g.op("CUSTOM", [g.input()], [g.output()], custom_code=op.split(":", 1)[1])


UNARY = ("ABS", "CEIL", "COS", "ELU", "EXP", "FLOOR", "GELU", "HARD_SWISH", "LOG", "LOGISTIC",
         "NEG", "RELU", "RELU6", "RELU_N1_TO_1", "RELU_0_TO_1", "ROUND", "RSQRT", "SIGN", "SIN",
         "SQRT", "SQUARE", "TANH", "LEAKY_RELU", "ZEROS_LIKE")
UNARY_OPTIONS = {"LEAKY_RELU": "LeakyReluOptions", "GELU": "GeluOptions",
                 "SQUARE": "SquareOptions", "ZEROS_LIKE": "ZerosLikeOptions"}
BINARY_OPTIONS = {"ADD": "AddOptions", "SUB": "SubOptions", "MUL": "MulOptions",
                  "DIV": "DivOptions", "POW": "PowOptions", "MAXIMUM": "MaximumMinimumOptions",
                  "MINIMUM": "MaximumMinimumOptions", "FLOOR_DIV": "FloorDivOptions",
                  "FLOOR_MOD": "FloorModOptions",
                  "SQUARED_DIFFERENCE": "SquaredDifferenceOptions", "ATAN2": None}
COMPARISONS = ("EQUAL", "NOT_EQUAL", "LESS", "LESS_EQUAL", "GREATER", "GREATER_EQUAL")
COMPARISON_OPTIONS = {"EQUAL": "EqualOptions", "NOT_EQUAL": "NotEqualOptions",
                      "LESS": "LessOptions", "LESS_EQUAL": "LessEqualOptions",
                      "GREATER": "GreaterOptions", "GREATER_EQUAL": "GreaterEqualOptions"}

# op -> (maker, the types it is probed in)
FAMILIES: dict[str, tuple[Callable[[_Graph, str], None], tuple[str, ...]]] = {}
for _op in UNARY:
    FAMILIES[_op] = (_unary(UNARY_OPTIONS.get(_op)), FLOATS + QUANTIZED + ("int64",))
for _op, _options in BINARY_OPTIONS.items():
    FAMILIES[_op] = (_binary(_options), ALL_NUMERIC)
for _op in COMPARISONS:
    FAMILIES[_op] = (_binary(COMPARISON_OPTIONS[_op], out="bool"),
                     ("float32", "int8", "uint8", "int16", "int32", "int64"))
for _op in ("LOGICAL_AND", "LOGICAL_OR"):
    FAMILIES[_op] = (_logical_binary, ("bool",))
FAMILIES["LOGICAL_NOT"] = (lambda g, op: g.op(op, [g.input(dtype="bool")],
                                              [g.output(dtype="bool")]), ("bool",))
_SPATIAL = ("float32", "float16", "int8", "uint8", "int16", "int64")  # int64: refused, named
_INDEX = _SPATIAL + ("int32",)
_FEW = ("float32", "int8", "int64")
FAMILIES.update({
    "CONV_2D": (_conv2d, _SPATIAL), "DEPTHWISE_CONV_2D": (_depthwise, _SPATIAL),
    "TRANSPOSE_CONV": (_transpose_conv, _SPATIAL), "CONV_3D": (_conv3d, _FEW),
    "FULLY_CONNECTED": (_fully_connected, _SPATIAL),
    "BATCH_MATMUL": (_batch_matmul, _SPATIAL),
    "AVERAGE_POOL_2D": (_pool, _SPATIAL), "MAX_POOL_2D": (_pool, _SPATIAL),
    "L2_POOL_2D": (_pool, _FEW),
    "RESHAPE": (_reshape, ALL_NUMERIC + ("bool",)),
    "TRANSPOSE": (_transpose, ALL_NUMERIC + ("bool",)),
    "CONCATENATION": (_concatenation, ALL_NUMERIC + ("bool",)),
    "PAD": (_pad, _INDEX), "PADV2": (_pad, _SPATIAL[:-1]), "MIRROR_PAD": (_pad, _SPATIAL),
    "MEAN": (_reduce, _SPATIAL), "SUM": (_reduce, _INDEX),
    "REDUCE_MAX": (_reduce, _SPATIAL), "REDUCE_MIN": (_reduce, _SPATIAL),
    "REDUCE_PROD": (_reduce, _FEW),
    "REDUCE_ANY": (_logical_reduce, ("bool",)), "REDUCE_ALL": (_logical_reduce, ("bool",)),
    "SOFTMAX": (_softmax, _SPATIAL), "LOG_SOFTMAX": (_softmax, _FEW),
    "SPLIT": (_split, _SPATIAL), "SPLIT_V": (_split, _SPATIAL),
    "STRIDED_SLICE": (_strided_slice, ALL_NUMERIC + ("bool",)),
    "SLICE": (_slice, ALL_NUMERIC + ("bool",)),
    "TILE": (_tile, _INDEX), "BROADCAST_TO": (_broadcast_to, _SPATIAL),
    "TOPK_V2": (_topk, _FEW),
    "PACK": (_pack, _INDEX), "UNPACK": (_unpack, _INDEX),
    "ARG_MAX": (_arg, ("float32", "int8", "uint8", "int16", "int32", "int64")),
    "ARG_MIN": (_arg, ("float32", "int8", "uint8", "int16", "int32", "int64")),
    "CAST": (_cast, ("float32", "int32", "int64", "bool", "int8")),
    "PRELU": (_prelu, _SPATIAL),
    "SELECT": (_select, ("float32", "int8", "int16", "int32", "int64")),
    "SELECT_V2": (_select, ("float32", "int8", "int16", "int32", "int64")),
    "DEPTH_TO_SPACE": (_space_depth, _SPATIAL), "SPACE_TO_DEPTH": (_space_depth, _SPATIAL),
    "SPACE_TO_BATCH_ND": (_batch_space, _FEW), "BATCH_TO_SPACE_ND": (_batch_space, _FEW),
    "RESIZE_BILINEAR": (_resize, _SPATIAL), "RESIZE_NEAREST_NEIGHBOR": (_resize, _SPATIAL),
    "GATHER": (_gather, _INDEX), "GATHER_ND": (_gather_nd, _FEW),
    "EMBEDDING_LOOKUP": (_embedding_lookup, _FEW),
    "SCATTER_ND": (_scatter_nd, _FEW),
    "ONE_HOT": (_one_hot, _FEW),
    "L2_NORMALIZATION": (_l2_norm, ("float32", "int8", "int16", "int64")),
    "CUMSUM": (_cumsum, ("float32", "int8", "int32", "int64")),
    "REVERSE_V2": (_reverse, _INDEX),
    "DYNAMIC_UPDATE_SLICE": (_dynamic_update_slice, ("float32", "int8", "int16")),
    "QUANTIZE": (_quantize, ("int8", "uint8", "int16", "float16")),
    "DEQUANTIZE": (_dequantize, ("int8", "uint8", "int16", "float16", "int64")),
    "SQUEEZE": (_squeeze, ALL_NUMERIC + ("bool",)),
    "EXPAND_DIMS": (_expand_dims, ("float32", "int8", "int32")),
    "ADD_N": (_add_n, ("float32", "int8", "int32")),
    "CUSTOM:MyCustomOp": (_custom, ("float32",)),
})


# Variants of an op beyond its family's shape: (name suffix, op, maker, types)
VARIANTS = [("kv", "DYNAMIC_UPDATE_SLICE", _kv_cache_update,
             ("float32", "float16", "int8", "uint8", "int16", "int64"))]
for _rank_value in (5, 6):
    VARIANTS += [(f"rank{_rank_value}", _op, _rank(_rank_value, _op in BINARY_OPTIONS),
                  ("float32", "int8"))
                 for _op in ("ADD", "MUL", "SUB", "MAXIMUM", "TANH", "RELU", "LOGISTIC", "EXP",
                             "ABS", "ELU", "GELU", "HARD_SWISH")]


def _chain(ops: tuple[str, ...]):
    """Ops applied one after another, each unary (or binary with its own second input)."""
    def make(g: _Graph, op: str) -> None:
        tensor = g.input()
        for index, name in enumerate(ops):
            out = g.output(op=name) if index == len(ops) - 1 else g.act(op=name)
            inputs = [tensor] if name not in BINARY_OPTIONS else [tensor, g.input()]
            g.op(name, inputs, [out], UNARY_OPTIONS.get(name, BINARY_OPTIONS.get(name)))
            tensor = out
    return make


def _branches(g: _Graph, op: str) -> None:
    """Two independent TANH ops with a CPU-bound ZEROS_LIKE between them in op order: a
    partitioner that groups by op order makes two partitions, one that groups ready ops
    makes one."""
    first, between, second = g.input(), g.input(), g.input()
    g.op("TANH", [first], [g.output(op="TANH")])
    g.op("ZEROS_LIKE", [between], [g.output()], "ZerosLikeOptions")
    g.op("TANH", [second], [g.output(op="TANH")])


CHAINS = {
    "chain-TANH-FLOOR_MOD": ("TANH", "FLOOR_MOD", "TANH", "FLOOR_MOD", "TANH"),
    "chain-TANH-ZEROS_LIKE": ("TANH", "ZEROS_LIKE", "TANH", "ZEROS_LIKE", "TANH"),
    "chain-EXP-ADD": ("EXP", "ADD", "LOGISTIC", "ADD"),
}
CHAIN_TYPES = {"chain-EXP-ADD": ("float32", "int8")}


def _probe(name: str, op: str, dtype: str, maker) -> Probe:
    def build() -> bytes:
        graph = _Graph(name, dtype)
        maker(graph, op)
        return graph.build()
    return Probe(name, op, dtype, build)


def probes(ops: Iterable[str] | None = None, dtypes: Iterable[str] | None = None,
           chains: bool = True) -> list[Probe]:
    """Every probe, or those of the given ops and types, in a stable order."""
    wanted_ops = set(ops) if ops is not None else None
    wanted_types = set(dtypes) if dtypes is not None else None
    found = []
    for op, (maker, types) in FAMILIES.items():
        if wanted_ops is not None and op not in wanted_ops:
            continue
        for dtype in types:
            if wanted_types is None or dtype in wanted_types:
                found.append(_probe(f"{op.replace(':', '_')}-{dtype}", op, dtype, maker))
    for suffix, op, maker, types in VARIANTS:
        if wanted_ops is None or op in wanted_ops:
            found += [_probe(f"{op}-{dtype}-{suffix}", op, dtype, maker) for dtype in types
                      if wanted_types is None or dtype in wanted_types]
    if chains:
        if wanted_ops is None or "TANH" in wanted_ops:
            found += [_probe(f"branches-TANH-{dtype}", "TANH", dtype, _branches)
                      for dtype in ("float32",) if wanted_types is None or dtype in wanted_types]
        for name, ops_of_chain in CHAINS.items():
            if wanted_ops is not None and ops_of_chain[0] not in wanted_ops:
                continue
            for dtype in CHAIN_TYPES.get(name, ("float32",)):
                if wanted_types is None or dtype in wanted_types:
                    found.append(_probe(f"{name}-{dtype}", ops_of_chain[0], dtype,
                                        _chain(ops_of_chain)))
    return found


def write_probes(directory: Path, extra: dict[str, bytes] | None = None,
                 **selection) -> dict[str, Path]:
    """Write the selected probes (probes(**selection)) and the `extra` models a vendor's
    test adds, each as directory/<name>.tflite: {name: path}."""
    models = {probe.name: probe.build() for probe in probes(**selection)}
    models.update(extra or {})
    found = {}
    for name, data in models.items():
        path = Path(directory) / f"{name}.tflite"
        path.write_bytes(data)
        found[name] = path
    return found


def code_probe(code: int) -> bytes:
    """x -> builtin `code` -> y, float32 [1, 8]: a plugin's partition step reads only the
    op code (the vendor tests probe every builtin code with it)."""
    model = ModelBuilder()
    main = model.subgraph()
    x, y = main.tensor(f"code{code}-x", [1, 8]), main.tensor(f"code{code}-y", [1, 8])
    main.op(code, [x], [y])
    main.inputs, main.outputs = [x], [y]
    return model.build()
