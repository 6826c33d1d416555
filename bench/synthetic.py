"""Build the synthetic .tflite models the tfllint benchmarks run on.

Three fully int8-quantized models, written with the `flatbuffers` Builder and the
generated builder functions of the `tflite` package (an implementation of the schema
independent of tfllint's own reader):

- ``mobilenet_v2_sized``: the MobileNetV2 1.0/224 layer structure (CONV_2D, 17 inverted
  residual blocks of CONV_2D / DEPTHWISE_CONV_2D / ADD, AVERAGE_POOL_2D, RESHAPE,
  FULLY_CONNECTED, SOFTMAX): 66 ops, 3.5 M int8 weights with per-channel scales, ~4 MB.
- ``ops_10k``: a stem CONV_2D, 2,500 residual blocks of CONV_2D / DEPTHWISE_CONV_2D /
  CONV_2D / ADD on an 8x8x16 feature map, and the same head: 10,005 ops, 25,000 tensors.
- ``weights_1gb``: 17 FULLY_CONNECTED layers (16 of 8192x8192) and a SOFTMAX:
  1.08 GB of int8 weights in 18 ops.

Where the 1 GB of weights goes: after the flatbuffer (schema 3c), not inside it. Each
constant buffer of that model has no ``data`` vector but ``offset``/``size`` (offset
counted from the start of the file, every payload 16-byte aligned, the flatbuffer padded
to 16 bytes) and the model carries the metadata entry ``buffer_location`` =
``outside flatbuffers``, as the TFLite converter writes with ``_experimental_use_buffer_offset``.
Reasons: the Python Builder holds the whole flatbuffer in one bytearray that it grows by
doubling and copying, so 1 GB inline would need 2-3 GB of RAM and the 32-bit offsets
put a hard wall at 2 GB; appended buffers can be streamed to disk in chunks, so building
the model needs about 64 MB; and this is the layout real models past 2 GB use, so the
benchmark also exercises tfllint's reading of it. The two small models keep their data
inline (16-byte aligned ``Buffer.data``), the layout of almost every model in the wild.

The offsets of appended buffers depend on the size of the flatbuffer that stores them,
so it is serialised twice: once with placeholder offsets to learn its size, then with the
real ones (the values are fixed-width uint64 fields, so the size cannot change).

    python bench/synthetic.py [--out bench/out] [--only NAME ...] [--no-validate]

Validation loads each model in LiteRT (``ai_edge_litert``: build, allocate_tensors, and
for the two small models one invoke) and in tfllint's reader, and checks both see the
graph that was built. Either is skipped, with the reason printed, when not importable.
"""
from __future__ import annotations

import argparse
import math
import os
import sys
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field

import flatbuffers
import numpy as np
import tflite

BENCH_DIR = os.path.dirname(os.path.abspath(__file__))
REPO_ROOT = os.path.dirname(BENCH_DIR)
DEFAULT_OUT = os.path.join(BENCH_DIR, "out")

ALIGNMENT = 16
APPENDED_CHUNK_BYTES = 16 << 20
SCHEMA_VERSION = 3
# Oldest runtime that runs every op version used here (int8 CONV_2D v3 etc.); the converter
# pads the string with NULs to 16 bytes.
MIN_RUNTIME_VERSION = b"1.14.0".ljust(16, b"\0")

INT8 = tflite.TensorType.INT8
INT32 = tflite.TensorType.INT32
Op = tflite.BuiltinOperator
Act = tflite.ActivationFunctionType
Options = tflite.BuiltinOptions

# Activation quantization (scale, zero point) of each kind of tensor.
INPUT_QUANT = (1 / 128, 0)
RELU6_QUANT = (6 / 255, -128)
LINEAR_QUANT = (0.05, 0)
LOGITS_QUANT = (0.1, 0)
SOFTMAX_QUANT = (1 / 256, -128)  # the int8 SOFTMAX kernel requires exactly this

OptionsBuilder = Callable[[flatbuffers.Builder], int]


@dataclass
class BufferSpec:
    """One entry of Model.buffers: empty, inline bytes, or bytes appended after the flatbuffer."""

    inline: bytes = b""
    appended_size: int = 0
    chunks: Callable[[], Iterator[bytes]] | None = None


@dataclass
class TensorSpec:
    name: str
    dtype: int
    shape: tuple[int, ...]
    buffer: int = 0
    scale: tuple[float, ...] = ()
    zero_point: tuple[int, ...] = ()
    quantized_dimension: int = 0


@dataclass
class OperatorSpec:
    opcode_index: int
    inputs: tuple[int, ...]
    outputs: tuple[int, ...]
    options_type: int = Options.NONE
    options: OptionsBuilder | None = None


@dataclass
class ModelSpec:
    """A one-subgraph model under construction; `write` serialises it."""

    description: str
    append_buffers: bool = False
    buffers: list[BufferSpec] = field(default_factory=lambda: [BufferSpec()])  # [0]: sentinel
    tensors: list[TensorSpec] = field(default_factory=list)
    operators: list[OperatorSpec] = field(default_factory=list)
    opcodes: list[tuple[int, int]] = field(default_factory=list)
    inputs: list[int] = field(default_factory=list)
    outputs: list[int] = field(default_factory=list)
    metadata: list[tuple[str, int]] = field(default_factory=list)

    def constant(self, name: str, array: np.ndarray, dtype: int, scale: tuple[float, ...],
                 quantized_dimension: int = 0) -> int:
        data = np.ascontiguousarray(array).astype(array.dtype.newbyteorder("<"), copy=False)
        if self.append_buffers:
            payload = data.tobytes()
            buffer = BufferSpec(appended_size=len(payload), chunks=lambda: iter((payload,)))
        else:
            buffer = BufferSpec(inline=data.tobytes())
        return self._constant_tensor(name, buffer, dtype, array.shape, scale, quantized_dimension)

    def streamed_constant(self, name: str, shape: tuple[int, ...], seed: int,
                          scale: tuple[float, ...]) -> int:
        """An int8 constant too big to hold: its bytes are generated chunk by chunk on write."""
        size = math.prod(shape)

        def chunks() -> Iterator[bytes]:
            rng = np.random.default_rng(seed)
            for start in range(0, size, APPENDED_CHUNK_BYTES):
                count = min(APPENDED_CHUNK_BYTES, size - start)
                yield rng.integers(-127, 128, size=count, dtype=np.int8).tobytes()

        buffer = BufferSpec(appended_size=size, chunks=chunks)
        return self._constant_tensor(name, buffer, INT8, shape, scale, 0)

    def _constant_tensor(self, name: str, buffer: BufferSpec, dtype: int,
                         shape: tuple[int, ...], scale: tuple[float, ...],
                         quantized_dimension: int) -> int:
        self.buffers.append(buffer)
        self.tensors.append(TensorSpec(
            name=name, dtype=dtype, shape=tuple(shape), buffer=len(self.buffers) - 1,
            scale=scale, zero_point=(0,) * len(scale), quantized_dimension=quantized_dimension))
        return len(self.tensors) - 1

    def activation(self, name: str, shape: tuple[int, ...], quant: tuple[float, int],
                   dtype: int = INT8) -> int:
        scale, zero_point = quant
        self.tensors.append(TensorSpec(name=name, dtype=dtype, shape=tuple(shape),
                                       scale=(scale,), zero_point=(zero_point,)))
        return len(self.tensors) - 1

    def operator(self, code: int, version: int, inputs: tuple[int, ...], output: int,
                 options: tuple[int, OptionsBuilder] | None = None) -> int:
        if (code, version) not in self.opcodes:
            self.opcodes.append((code, version))
        options_type, build_options = options or (Options.NONE, None)
        self.operators.append(OperatorSpec(self.opcodes.index((code, version)), inputs,
                                           (output,), options_type, build_options))
        return output

    def add_metadata(self, name: str, value: bytes) -> None:
        self.buffers.append(BufferSpec(inline=value))
        self.metadata.append((name, len(self.buffers) - 1))

    # -- serialisation ------------------------------------------------------------------

    def write(self, path: str) -> None:
        appended = [i for i, buffer in enumerate(self.buffers) if buffer.appended_size]
        if appended and not any(name == "buffer_location" for name, _ in self.metadata):
            self.add_metadata("buffer_location", b"outside flatbuffers")
        placeholder = {i: 2 for i in appended}  # any value > 1 makes the field present
        flatbuffer = self._serialise(placeholder)
        offsets, position = {}, _align(len(flatbuffer))
        for i in appended:
            position = _align(position)
            offsets[i] = position
            position += self.buffers[i].appended_size
        if appended:
            placeholder_size, flatbuffer = len(flatbuffer), self._serialise(offsets)
            if len(flatbuffer) != placeholder_size:
                raise AssertionError("the flatbuffer's size changed with the buffer offsets")
        temporary = path + ".partial"
        with open(temporary, "wb") as handle:
            handle.write(flatbuffer)
            for i in appended:
                handle.write(b"\0" * (offsets[i] - handle.tell()))
                for chunk in self.buffers[i].chunks():
                    handle.write(chunk)
                if handle.tell() != offsets[i] + self.buffers[i].appended_size:
                    raise AssertionError(f"buffer {i} wrote the wrong number of bytes")
            if appended:  # end on an aligned size, as the converter does
                handle.write(b"\0" * (_align(handle.tell()) - handle.tell()))
        os.replace(temporary, path)

    def _serialise(self, offsets: dict[int, int]) -> bytes:
        builder = flatbuffers.Builder(1 << 20)
        buffers = [self._buffer(builder, i, buffer, offsets) for i, buffer in enumerate(self.buffers)]
        opcodes = [_opcode(builder, code, version) for code, version in self.opcodes]
        tensors = [_tensor(builder, tensor) for tensor in self.tensors]
        operators = [_operator(builder, op) for op in self.operators]

        subgraph_name = builder.CreateString("main")
        tensor_vector = _offset_vector(builder, tflite.SubGraphStartTensorsVector, tensors)
        operator_vector = _offset_vector(builder, tflite.SubGraphStartOperatorsVector, operators)
        input_vector = _int_vector(builder, self.inputs, np.int32)
        output_vector = _int_vector(builder, self.outputs, np.int32)
        tflite.SubGraphStart(builder)
        tflite.SubGraphAddTensors(builder, tensor_vector)
        tflite.SubGraphAddInputs(builder, input_vector)
        tflite.SubGraphAddOutputs(builder, output_vector)
        tflite.SubGraphAddOperators(builder, operator_vector)
        tflite.SubGraphAddName(builder, subgraph_name)
        subgraph = tflite.SubGraphEnd(builder)

        signature = self._signature(builder)
        metadata = []
        for name, buffer_index in self.metadata:
            name_offset = builder.CreateString(name)
            tflite.MetadataStart(builder)
            tflite.MetadataAddName(builder, name_offset)
            tflite.MetadataAddBuffer(builder, buffer_index)
            metadata.append(tflite.MetadataEnd(builder))

        description = builder.CreateString(self.description)
        opcode_vector = _offset_vector(builder, tflite.ModelStartOperatorCodesVector, opcodes)
        subgraph_vector = _offset_vector(builder, tflite.ModelStartSubgraphsVector, [subgraph])
        buffer_vector = _offset_vector(builder, tflite.ModelStartBuffersVector, buffers)
        metadata_vector = _offset_vector(builder, tflite.ModelStartMetadataVector, metadata)
        signature_vector = _offset_vector(builder, tflite.ModelStartSignatureDefsVector,
                                          [signature])
        tflite.ModelStart(builder)
        tflite.ModelAddVersion(builder, SCHEMA_VERSION)
        tflite.ModelAddOperatorCodes(builder, opcode_vector)
        tflite.ModelAddSubgraphs(builder, subgraph_vector)
        tflite.ModelAddDescription(builder, description)
        tflite.ModelAddBuffers(builder, buffer_vector)
        tflite.ModelAddMetadata(builder, metadata_vector)
        tflite.ModelAddSignatureDefs(builder, signature_vector)
        builder.Finish(tflite.ModelEnd(builder), file_identifier=b"TFL3")
        return bytes(builder.Output())

    @staticmethod
    def _buffer(builder: flatbuffers.Builder, index: int, buffer: BufferSpec,
                offsets: dict[int, int]) -> int:
        data = _aligned_byte_vector(builder, buffer.inline) if buffer.inline else None
        tflite.BufferStart(builder)
        if data is not None:
            tflite.BufferAddData(builder, data)
        if buffer.appended_size:
            tflite.BufferAddOffset(builder, offsets[index])
            tflite.BufferAddSize(builder, buffer.appended_size)
        return tflite.BufferEnd(builder)

    def _signature(self, builder: flatbuffers.Builder) -> int:
        def tensor_maps(indices: list[int], prefix: str) -> list[int]:
            maps = []
            for position, tensor_index in enumerate(indices):
                name = builder.CreateString(prefix if len(indices) == 1 else f"{prefix}_{position}")
                tflite.TensorMapStart(builder)
                tflite.TensorMapAddName(builder, name)
                tflite.TensorMapAddTensorIndex(builder, tensor_index)
                maps.append(tflite.TensorMapEnd(builder))
            return maps

        inputs = _offset_vector(builder, tflite.SignatureDefStartInputsVector,
                                tensor_maps(self.inputs, "input"))
        outputs = _offset_vector(builder, tflite.SignatureDefStartOutputsVector,
                                 tensor_maps(self.outputs, "output"))
        key = builder.CreateString("serving_default")
        tflite.SignatureDefStart(builder)
        tflite.SignatureDefAddInputs(builder, inputs)
        tflite.SignatureDefAddOutputs(builder, outputs)
        tflite.SignatureDefAddSignatureKey(builder, key)
        tflite.SignatureDefAddSubgraphIndex(builder, 0)
        return tflite.SignatureDefEnd(builder)


def _align(value: int) -> int:
    return -(-value // ALIGNMENT) * ALIGNMENT


def _aligned_byte_vector(builder: flatbuffers.Builder, payload: bytes) -> int:
    """A [ubyte] vector whose first byte is 16-byte aligned (schema: force_align: 16)."""
    builder.StartVector(1, len(payload), ALIGNMENT)
    builder.head = builder.head - len(payload)
    builder.Bytes[builder.head:builder.head + len(payload)] = payload
    return builder.EndVector()


def _int_vector(builder: flatbuffers.Builder, values, dtype) -> int:
    return builder.CreateNumpyVector(np.asarray(values, dtype=dtype))


def _offset_vector(builder: flatbuffers.Builder, start: Callable[[flatbuffers.Builder, int], int],
                   offsets: list[int]) -> int:
    start(builder, len(offsets))
    for offset in reversed(offsets):
        builder.PrependUOffsetTRelative(offset)
    return builder.EndVector()


def _opcode(builder: flatbuffers.Builder, code: int, version: int) -> int:
    tflite.OperatorCodeStart(builder)
    # Readers take max(builtin_code, deprecated_builtin_code); the int8 field saturates at 127
    # (PLACEHOLDER_FOR_GREATER_OP_CODES) for newer ops.
    tflite.OperatorCodeAddDeprecatedBuiltinCode(builder, min(code, 127))
    tflite.OperatorCodeAddBuiltinCode(builder, code)
    tflite.OperatorCodeAddVersion(builder, version)
    return tflite.OperatorCodeEnd(builder)


def _tensor(builder: flatbuffers.Builder, tensor: TensorSpec) -> int:
    name = builder.CreateString(tensor.name)
    shape = _int_vector(builder, tensor.shape, np.int32)
    quantization = None
    if tensor.scale:
        scale = _int_vector(builder, tensor.scale, np.float32)
        zero_point = _int_vector(builder, tensor.zero_point, np.int64)
        tflite.QuantizationParametersStart(builder)
        tflite.QuantizationParametersAddScale(builder, scale)
        tflite.QuantizationParametersAddZeroPoint(builder, zero_point)
        tflite.QuantizationParametersAddQuantizedDimension(builder, tensor.quantized_dimension)
        quantization = tflite.QuantizationParametersEnd(builder)
    tflite.TensorStart(builder)
    tflite.TensorAddShape(builder, shape)
    tflite.TensorAddType(builder, tensor.dtype)
    tflite.TensorAddBuffer(builder, tensor.buffer)
    tflite.TensorAddName(builder, name)
    if quantization is not None:
        tflite.TensorAddQuantization(builder, quantization)
    return tflite.TensorEnd(builder)


def _operator(builder: flatbuffers.Builder, op: OperatorSpec) -> int:
    inputs = _int_vector(builder, op.inputs, np.int32)
    outputs = _int_vector(builder, op.outputs, np.int32)
    options = op.options(builder) if op.options else None
    tflite.OperatorStart(builder)
    tflite.OperatorAddOpcodeIndex(builder, op.opcode_index)
    tflite.OperatorAddInputs(builder, inputs)
    tflite.OperatorAddOutputs(builder, outputs)
    if options is not None:
        tflite.OperatorAddBuiltinOptionsType(builder, op.options_type)
        tflite.OperatorAddBuiltinOptions(builder, options)
    return tflite.OperatorEnd(builder)


# -- builtin options ------------------------------------------------------------------------

def conv_options(stride: int, activation: int) -> tuple[int, OptionsBuilder]:
    def build(builder: flatbuffers.Builder) -> int:
        tflite.Conv2DOptionsStart(builder)
        tflite.Conv2DOptionsAddPadding(builder, tflite.Padding.SAME)
        tflite.Conv2DOptionsAddStrideW(builder, stride)
        tflite.Conv2DOptionsAddStrideH(builder, stride)
        tflite.Conv2DOptionsAddFusedActivationFunction(builder, activation)
        tflite.Conv2DOptionsAddDilationWFactor(builder, 1)
        tflite.Conv2DOptionsAddDilationHFactor(builder, 1)
        return tflite.Conv2DOptionsEnd(builder)
    return Options.Conv2DOptions, build


def depthwise_options(stride: int, activation: int) -> tuple[int, OptionsBuilder]:
    def build(builder: flatbuffers.Builder) -> int:
        tflite.DepthwiseConv2DOptionsStart(builder)
        tflite.DepthwiseConv2DOptionsAddPadding(builder, tflite.Padding.SAME)
        tflite.DepthwiseConv2DOptionsAddStrideW(builder, stride)
        tflite.DepthwiseConv2DOptionsAddStrideH(builder, stride)
        tflite.DepthwiseConv2DOptionsAddDepthMultiplier(builder, 1)
        tflite.DepthwiseConv2DOptionsAddFusedActivationFunction(builder, activation)
        tflite.DepthwiseConv2DOptionsAddDilationWFactor(builder, 1)
        tflite.DepthwiseConv2DOptionsAddDilationHFactor(builder, 1)
        return tflite.DepthwiseConv2DOptionsEnd(builder)
    return Options.DepthwiseConv2DOptions, build


def add_options(activation: int) -> tuple[int, OptionsBuilder]:
    def build(builder: flatbuffers.Builder) -> int:
        tflite.AddOptionsStart(builder)
        tflite.AddOptionsAddFusedActivationFunction(builder, activation)
        return tflite.AddOptionsEnd(builder)
    return Options.AddOptions, build


def fully_connected_options(activation: int) -> tuple[int, OptionsBuilder]:
    def build(builder: flatbuffers.Builder) -> int:
        tflite.FullyConnectedOptionsStart(builder)
        tflite.FullyConnectedOptionsAddFusedActivationFunction(builder, activation)
        return tflite.FullyConnectedOptionsEnd(builder)
    return Options.FullyConnectedOptions, build


def average_pool_options(height: int, width: int) -> tuple[int, OptionsBuilder]:
    def build(builder: flatbuffers.Builder) -> int:
        tflite.Pool2DOptionsStart(builder)
        tflite.Pool2DOptionsAddPadding(builder, tflite.Padding.VALID)
        tflite.Pool2DOptionsAddStrideW(builder, 1)
        tflite.Pool2DOptionsAddStrideH(builder, 1)
        tflite.Pool2DOptionsAddFilterWidth(builder, width)
        tflite.Pool2DOptionsAddFilterHeight(builder, height)
        return tflite.Pool2DOptionsEnd(builder)
    return Options.Pool2DOptions, build


def reshape_options(new_shape: tuple[int, ...]) -> tuple[int, OptionsBuilder]:
    def build(builder: flatbuffers.Builder) -> int:
        shape = _int_vector(builder, new_shape, np.int32)
        tflite.ReshapeOptionsStart(builder)
        tflite.ReshapeOptionsAddNewShape(builder, shape)
        return tflite.ReshapeOptionsEnd(builder)
    return Options.ReshapeOptions, build


def softmax_options() -> tuple[int, OptionsBuilder]:
    def build(builder: flatbuffers.Builder) -> int:
        tflite.SoftmaxOptionsStart(builder)
        tflite.SoftmaxOptionsAddBeta(builder, 1.0)
        return tflite.SoftmaxOptionsEnd(builder)
    return Options.SoftmaxOptions, build


# -- layers (int8, per-channel weights as the converter's full-integer quantization) ---------

class Int8Layers:
    """Adds quantized layers to a ModelSpec, keeping every shape consistent."""

    def __init__(self, model: ModelSpec, seed: int) -> None:
        self.model = model
        self.rng = np.random.default_rng(seed)

    def shape(self, tensor: int) -> tuple[int, ...]:
        return self.model.tensors[tensor].shape

    def input_scale(self, tensor: int) -> float:
        return self.model.tensors[tensor].scale[0]

    def _weights(self, name: str, shape: tuple[int, ...], channel_dim: int) -> tuple[int, np.ndarray]:
        weights = self.rng.integers(-127, 128, size=shape, dtype=np.int8)
        scales = self.rng.uniform(0.002, 0.02, size=shape[channel_dim]).astype(np.float32)
        index = self.model.constant(f"{name}/weights", weights, INT8, tuple(scales.tolist()),
                                    quantized_dimension=channel_dim)
        return index, scales

    def _bias(self, name: str, x: int, weight_scales: np.ndarray,
              count: int | None = None) -> int:
        """int32 bias; `count` values when the weights have one (per-tensor) scale."""
        # The kernels require bias scale == input scale * weight scale, channel by channel.
        scales = (np.float64(np.float32(self.input_scale(x))) * weight_scales).astype(np.float32)
        bias = self.rng.integers(-2000, 2000, size=count or weight_scales.size, dtype=np.int32)
        return self.model.constant(f"{name}/bias", bias, INT32, tuple(scales.tolist()))

    def conv(self, name: str, x: int, channels: int, kernel: int, stride: int,
             activation: int) -> int:
        _, height, width, in_channels = self.shape(x)
        weights, scales = self._weights(name, (channels, kernel, kernel, in_channels), 0)
        bias = self._bias(name, x, scales)
        out = self.model.activation(
            name, (1, -(-height // stride), -(-width // stride), channels),
            RELU6_QUANT if activation == Act.RELU6 else LINEAR_QUANT)
        return self.model.operator(Op.CONV_2D, 3, (x, weights, bias), out,
                                   conv_options(stride, activation))

    def depthwise(self, name: str, x: int, stride: int, activation: int) -> int:
        _, height, width, channels = self.shape(x)
        weights, scales = self._weights(name, (1, 3, 3, channels), 3)
        bias = self._bias(name, x, scales)
        out = self.model.activation(
            name, (1, -(-height // stride), -(-width // stride), channels),
            RELU6_QUANT if activation == Act.RELU6 else LINEAR_QUANT)
        return self.model.operator(Op.DEPTHWISE_CONV_2D, 3, (x, weights, bias), out,
                                   depthwise_options(stride, activation))

    def add(self, name: str, a: int, b: int) -> int:
        out = self.model.activation(name, self.shape(a), LINEAR_QUANT)
        return self.model.operator(Op.ADD, 2, (a, b), out, add_options(Act.NONE))

    def inverted_residual(self, name: str, x: int, expansion: int, channels: int,
                          stride: int) -> int:
        in_channels = self.shape(x)[3]
        y = x
        if expansion != 1:
            y = self.conv(f"{name}/expand", y, in_channels * expansion, 1, 1, Act.RELU6)
        y = self.depthwise(f"{name}/depthwise", y, stride, Act.RELU6)
        y = self.conv(f"{name}/project", y, channels, 1, 1, Act.NONE)
        if stride == 1 and in_channels == channels:
            y = self.add(f"{name}/add", x, y)
        return y

    def fully_connected(self, name: str, x: int, units: int, activation: int,
                        quant: tuple[float, int] = LOGITS_QUANT, streamed_seed: int | None = None
                        ) -> int:
        in_features = self.shape(x)[-1]
        weight_scale = np.float32(self.rng.uniform(0.002, 0.02))
        if streamed_seed is None:
            weights = self.rng.integers(-127, 128, size=(units, in_features), dtype=np.int8)
            weight_index = self.model.constant(f"{name}/weights", weights, INT8,
                                               (float(weight_scale),))
        else:
            weight_index = self.model.streamed_constant(f"{name}/weights", (units, in_features),
                                                        streamed_seed, (float(weight_scale),))
        bias = self._bias(name, x, np.array([weight_scale], np.float32), units)
        out = self.model.activation(name, (1, units), quant)
        return self.model.operator(Op.FULLY_CONNECTED, 4, (x, weight_index, bias), out,
                                   fully_connected_options(activation))

    def classifier_head(self, x: int, classes: int) -> int:
        """AVERAGE_POOL_2D over the feature map, RESHAPE to a vector, FULLY_CONNECTED, SOFTMAX."""
        _, height, width, channels = self.shape(x)
        quant = (self.model.tensors[x].scale[0], self.model.tensors[x].zero_point[0])
        pooled = self.model.activation("head/avg_pool", (1, 1, 1, channels), quant)
        self.model.operator(Op.AVERAGE_POOL_2D, 2, (x,), pooled,
                            average_pool_options(height, width))
        shape = self.model.constant("head/reshape/shape", np.array([1, channels], np.int32),
                                    INT32, ())
        flat = self.model.activation("head/reshape", (1, channels), quant)
        self.model.operator(Op.RESHAPE, 1, (pooled, shape), flat, reshape_options((1, channels)))
        logits = self.fully_connected("head/logits", flat, classes, Act.NONE)
        return self.softmax("head/softmax", logits)

    def softmax(self, name: str, x: int) -> int:
        out = self.model.activation(name, self.shape(x), SOFTMAX_QUANT)
        return self.model.operator(Op.SOFTMAX, 2, (x,), out, softmax_options())


# -- the three models ----------------------------------------------------------------------

# MobileNetV2 (Sandler et al. 2018, table 2): expansion t, output channels c, repeats n, stride s.
MOBILENET_V2_BLOCKS = ((1, 16, 1, 1), (6, 24, 2, 2), (6, 32, 3, 2), (6, 64, 4, 2),
                       (6, 96, 3, 1), (6, 160, 3, 2), (6, 320, 1, 1))


def mobilenet_v2_sized() -> ModelSpec:
    model = ModelSpec("tfllint bench: MobileNetV2 1.0/224-sized int8 model")
    layers = Int8Layers(model, seed=1)
    x = model.activation("input", (1, 224, 224, 3), INPUT_QUANT)
    model.inputs.append(x)
    y = layers.conv("stem", x, 32, 3, 2, Act.RELU6)
    block = 0
    for expansion, channels, repeats, stride in MOBILENET_V2_BLOCKS:
        for repeat in range(repeats):
            y = layers.inverted_residual(f"block_{block}", y, expansion, channels,
                                         stride if repeat == 0 else 1)
            block += 1
    y = layers.conv("head/conv", y, 1280, 1, 1, Act.RELU6)
    model.outputs.append(layers.classifier_head(y, 1000))
    model.add_metadata("min_runtime_version", MIN_RUNTIME_VERSION)
    return model


def ops_10k(blocks: int = 2500) -> ModelSpec:
    model = ModelSpec(f"tfllint bench: {4 * blocks + 5}-op int8 model")
    layers = Int8Layers(model, seed=2)
    x = model.activation("input", (1, 16, 16, 3), INPUT_QUANT)
    model.inputs.append(x)
    y = layers.conv("stem", x, 16, 3, 2, Act.RELU6)
    for block in range(blocks):
        name = f"block_{block}"
        expanded = layers.conv(f"{name}/expand", y, 32, 1, 1, Act.RELU6)
        filtered = layers.depthwise(f"{name}/depthwise", expanded, 1, Act.RELU6)
        projected = layers.conv(f"{name}/project", filtered, 16, 1, 1, Act.NONE)
        y = layers.add(f"{name}/add", y, projected)
    model.outputs.append(layers.classifier_head(y, 10))
    model.add_metadata("min_runtime_version", MIN_RUNTIME_VERSION)
    return model


def weights_1gb(layers_count: int = 16, width: int = 8192) -> ModelSpec:
    model = ModelSpec("tfllint bench: int8 MLP with 1 GB of weights stored after the "
                      "flatbuffer", append_buffers=True)
    layers = Int8Layers(model, seed=3)
    x = model.activation("input", (1, width), INPUT_QUANT)
    model.inputs.append(x)
    for layer in range(layers_count):
        x = layers.fully_connected(f"dense_{layer}", x, width, Act.RELU, quant=RELU6_QUANT,
                                   streamed_seed=100 + layer)
    logits = layers.fully_connected("logits", x, 1000, Act.NONE, streamed_seed=99)
    model.outputs.append(layers.softmax("softmax", logits))
    model.add_metadata("min_runtime_version", MIN_RUNTIME_VERSION)
    return model


MODELS: dict[str, Callable[[], ModelSpec]] = {
    "mobilenet_v2_sized": mobilenet_v2_sized,
    "ops_10k": ops_10k,
    "weights_1gb": weights_1gb,
}


def model_path(out_dir: str, name: str) -> str:
    return os.path.join(out_dir, f"{name}.tflite")


def build(name: str, out_dir: str) -> tuple[str, ModelSpec]:
    os.makedirs(out_dir, exist_ok=True)
    spec = MODELS[name]()
    path = model_path(out_dir, name)
    spec.write(path)
    return path, spec


def ensure_models(out_dir: str, names: list[str] | None = None) -> dict[str, str]:
    """Paths of the benchmark models, building the ones not yet on disk."""
    paths = {}
    for name in names or list(MODELS):
        path = model_path(out_dir, name)
        if not os.path.exists(path):
            started = time.perf_counter()
            print(f"building {path} ...", file=sys.stderr, flush=True)
            build(name, out_dir)
            print(f"  built in {time.perf_counter() - started:.1f} s", file=sys.stderr)
        paths[name] = path
    return paths


# -- validation ------------------------------------------------------------------------------

def validate_with_litert(path: str, spec: ModelSpec, invoke: bool) -> list[str]:
    """Build, allocate and optionally invoke the model in LiteRT; what disagrees with `spec`.

    Models with appended buffers are checked without the default XNNPACK delegate: it repacks
    every weight matrix into memory of its own (2 GB of RSS for the 1 GB model); the builtin
    kernels read the weights in place from the mapped file and check the same shapes.
    """
    try:
        from ai_edge_litert.interpreter import Interpreter, OpResolverType
    except ImportError as error:
        return [f"skipped LiteRT check: {error}"]
    problems = []
    resolver = (OpResolverType.BUILTIN_WITHOUT_DEFAULT_DELEGATES
                if any(b.appended_size for b in spec.buffers) else OpResolverType.AUTO)
    interpreter = Interpreter(model_path=path, experimental_op_resolver_type=resolver)
    interpreter.allocate_tensors()
    for what, details, indices in (("input", interpreter.get_input_details(), spec.inputs),
                                   ("output", interpreter.get_output_details(), spec.outputs)):
        got = [(d["index"], tuple(d["shape"])) for d in details]
        want = [(i, spec.tensors[i].shape) for i in indices]
        if got != want:
            problems.append(f"LiteRT {what}s {got}, built {want}")
    if list(interpreter.get_signature_list()) != ["serving_default"]:
        problems.append(f"LiteRT signatures {interpreter.get_signature_list()}")
    if invoke:
        for detail in interpreter.get_input_details():
            interpreter.set_tensor(detail["index"], np.zeros(detail["shape"], detail["dtype"]))
        interpreter.invoke()
        probabilities = interpreter.get_tensor(interpreter.get_output_details()[0]["index"])
        if probabilities.shape != spec.tensors[spec.outputs[0]].shape:
            problems.append(f"LiteRT output shape {probabilities.shape} after invoke")
    return problems


def validate_with_tfllint(path: str, spec: ModelSpec) -> list[str]:
    if REPO_ROOT not in sys.path:
        sys.path.insert(0, REPO_ROOT)
    try:
        from tfllint.reader import read_model
    except ImportError as error:
        return [f"skipped tfllint check: {error}"]
    try:
        model = read_model(path).model
    except Exception as error:  # a rejection is the finding; report it, whatever its type
        return [f"tfllint's reader rejected the model: {type(error).__name__}: {error}"]
    problems = []
    subgraph = model.subgraphs[0]
    if len(subgraph.operators) != len(spec.operators):
        problems.append(f"tfllint reads {len(subgraph.operators)} ops, built {len(spec.operators)}")
    if len(subgraph.tensors) != len(spec.tensors):
        problems.append(f"tfllint reads {len(subgraph.tensors)} tensors, built {len(spec.tensors)}")
    sizes = [buffer.size for buffer in model.buffers]
    built = [len(b.inline) or b.appended_size for b in spec.buffers]
    if sizes != built:
        problems.append("tfllint reads buffer sizes that differ from the ones built")
    appended = [buffer.index for buffer in model.buffers if getattr(buffer, "appended", False)]
    built_appended = [i for i, b in enumerate(spec.buffers) if b.appended_size]
    if appended != built_appended:
        problems.append(f"tfllint sees {len(appended)} appended buffers, built "
                        f"{len(built_appended)}")
    return problems


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--out", default=DEFAULT_OUT, help="output directory (default: bench/out)")
    parser.add_argument("--only", nargs="+", choices=list(MODELS), help="build only these models")
    parser.add_argument("--no-validate", action="store_true",
                        help="skip loading the models in LiteRT and tfllint's reader")
    args = parser.parse_args(argv)
    failed = False
    for name in args.only or list(MODELS):
        started = time.perf_counter()
        path, spec = build(name, args.out)
        size = os.path.getsize(path)
        print(f"{path}: {size / 1e6:.1f} MB, {len(spec.operators)} ops, "
              f"{len(spec.tensors)} tensors, built in {time.perf_counter() - started:.1f} s")
        if args.no_validate:
            continue
        for check, problems in (
                ("LiteRT", validate_with_litert(path, spec, invoke=name != "weights_1gb")),
                ("tfllint reader", validate_with_tfllint(path, spec))):
            for problem in problems:
                print(f"  {check}: {problem}")
            failed |= any(not p.startswith("skipped") for p in problems)
            if not problems:
                print(f"  {check}: ok")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
