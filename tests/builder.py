"""Build tiny .tflite models in tests, independently of tfllint's own schema data.

Table layouts (field slots) are written here by hand from schema.fbs and enum values come
from the PyPI `tflite` bindings, so a mistake in tfllint's generated schema module shows
up as a test failure instead of being mirrored in the fixtures. test_builder.py reads the
output back with the `tflite` bindings to keep this file honest.

    model = ModelBuilder()
    main = model.subgraph()
    x = main.tensor("x", [1, 4])
    y = main.tensor("y", [1, 4])
    main.op("RELU", [x], [y])
    main.inputs, main.outputs = [x], [y]
    data = model.build()
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Sequence

import flatbuffers
import numpy as np
from tflite.BuiltinOperator import BuiltinOperator
from tflite.BuiltinOptions import BuiltinOptions
from tflite.TensorType import TensorType

# Field slots per table, in schema.fbs order.
MODEL = dict(version=0, operator_codes=1, subgraphs=2, description=3, buffers=4,
             metadata=6, signature_defs=7)
SUBGRAPH = dict(tensors=0, inputs=1, outputs=2, operators=3, name=4)
TENSOR = dict(shape=0, type=1, buffer=2, name=3, quantization=4, is_variable=5,
              shape_signature=7, has_rank=8)
OPERATOR = dict(opcode_index=0, inputs=1, outputs=2, builtin_options_type=3,
                builtin_options=4, custom_options=5, intermediates=8)
OPERATOR_CODE = dict(deprecated_builtin_code=0, custom_code=1, version=2, builtin_code=3)
BUFFER = dict(data=0, offset=1, size=2)
QUANTIZATION = dict(min=0, max=1, scale=2, zero_point=3, details_type=4, details=5,
                    quantized_dimension=6)
BLOCKWISE = dict(scales=0, zero_points=1, block_size=2)
BLOCKWISE_DETAILS = 2  # QuantizationDetails.BlockwiseQuantization
SIGNATURE = dict(inputs=0, outputs=1, signature_key=2, subgraph_index=4)
TENSOR_MAP = dict(name=0, tensor_index=1)
METADATA = dict(name=0, buffer=1)

# Options tables the tests use, by table name: field -> (slot, flatbuffers scalar kind). A
# field's slot is its position in the table in schema.fbs; fields the tests never set are
# left out.
OPTIONS = {
    "AddOptions": dict(fused_activation_function=(0, "int8")),
    "ArgMaxOptions": dict(output_type=(0, "int8")),
    "BatchMatMulOptions": dict(adj_x=(0, "bool"), adj_y=(1, "bool")),
    "CallOnceOptions": dict(init_subgraph_index=(0, "int32")),
    "ConcatenationOptions": dict(axis=(0, "int32"), fused_activation_function=(1, "int8")),
    "Conv2DOptions": dict(padding=(0, "int8"), stride_w=(1, "int32"), stride_h=(2, "int32"),
                          fused_activation_function=(3, "int8"),
                          dilation_w_factor=(4, "int32"), dilation_h_factor=(5, "int32")),
    "DepthToSpaceOptions": dict(block_size=(0, "int32")),
    "DepthwiseConv2DOptions": dict(padding=(0, "int8"), stride_w=(1, "int32"),
                                   stride_h=(2, "int32"), depth_multiplier=(3, "int32"),
                                   fused_activation_function=(4, "int8"),
                                   dilation_w_factor=(5, "int32"),
                                   dilation_h_factor=(6, "int32")),
    "FullyConnectedOptions": dict(fused_activation_function=(0, "int8"),
                                  weights_format=(1, "int8"), keep_num_dims=(2, "bool"),
                                  quantized_bias_type=(4, "int8")),
    "GatherOptions": dict(axis=(0, "int32"), batch_dims=(1, "int32")),
    "IfOptions": dict(then_subgraph_index=(0, "int32"), else_subgraph_index=(1, "int32")),
    "MirrorPadOptions": dict(mode=(0, "int8")),
    "MulOptions": dict(fused_activation_function=(0, "int8")),
    "OneHotOptions": dict(axis=(0, "int32")),
    "PackOptions": dict(values_count=(0, "int32"), axis=(1, "int32")),
    "Pool2DOptions": dict(padding=(0, "int8"), stride_w=(1, "int32"), stride_h=(2, "int32"),
                          filter_width=(3, "int32"), filter_height=(4, "int32"),
                          fused_activation_function=(5, "int8")),
    "ReducerOptions": dict(keep_dims=(0, "bool")),
    "ResizeBilinearOptions": dict(align_corners=(2, "bool"), half_pixel_centers=(3, "bool")),
    "ResizeNearestNeighborOptions": dict(align_corners=(0, "bool"),
                                         half_pixel_centers=(1, "bool")),
    "SoftmaxOptions": dict(beta=(0, "float32")),
    "SpaceToDepthOptions": dict(block_size=(0, "int32")),
    "SplitOptions": dict(num_splits=(0, "int32")),
    "StridedSliceOptions": dict(begin_mask=(0, "int32"), end_mask=(1, "int32"),
                                ellipsis_mask=(2, "int32"), new_axis_mask=(3, "int32"),
                                shrink_axis_mask=(4, "int32")),
    "SubOptions": dict(fused_activation_function=(0, "int8")),
    "TransposeConvOptions": dict(padding=(0, "int8"), stride_w=(1, "int32"),
                                 stride_h=(2, "int32"), fused_activation_function=(3, "int8")),
    "UnpackOptions": dict(num=(0, "int32"), axis=(1, "int32")),
    "WhileOptions": dict(cond_subgraph_index=(0, "int32"), body_subgraph_index=(1, "int32")),
}
# flatbuffers.Builder method per scalar kind.
PREPEND = {"bool": "PrependBoolSlot", "float32": "PrependFloat32Slot",
           "int32": "PrependInt32Slot", "int8": "PrependInt8Slot"}
PLACEHOLDER_FOR_GREATER_OP_CODES = 127


def op_code(name: str | int) -> int:
    return name if isinstance(name, int) else getattr(BuiltinOperator, name)


def tensor_type(name: str | int) -> int:
    return name if isinstance(name, int) else getattr(TensorType, name)


@dataclass(frozen=True)
class Appended:
    """Constant data stored after the flatbuffer (schema 3c, as converters do past 2 GB)."""

    data: bytes


@dataclass
class SubgraphBuilder:
    model: "ModelBuilder"
    name: str = ""
    tensors: list[dict[str, Any]] = field(default_factory=list)
    operators: list[dict[str, Any]] = field(default_factory=list)
    inputs: list[int] = field(default_factory=list)
    outputs: list[int] = field(default_factory=list)

    def tensor(self, name: str, shape: Sequence[int], dtype: str | int = "FLOAT32", *,
               data: bytes | np.ndarray | None = None, scale: Sequence[float] = (),
               zero_point: Sequence[int] = (), quantized_dimension: int = 0,
               shape_signature: Sequence[int] | None = None, is_variable: bool = False,
               buffer: int | None = None,
               blockwise: tuple[int, int, int] | None = None) -> int:
        """`blockwise` is (scales tensor, zero points tensor or -1, block size)."""
        if buffer is None:
            buffer = self.model.buffer(data) if data is not None else 0
        self.tensors.append(dict(name=name, shape=list(shape), type=tensor_type(dtype),
                                 buffer=buffer, scale=list(scale), zero_point=list(zero_point),
                                 quantized_dimension=quantized_dimension,
                                 shape_signature=shape_signature, is_variable=is_variable,
                                 blockwise=blockwise))
        return len(self.tensors) - 1

    def constant(self, name: str, values: np.ndarray, dtype: str = "FLOAT32", **kwargs) -> int:
        return self.tensor(name, values.shape, dtype, data=values.tobytes(), **kwargs)

    def op(self, name: str | int, inputs: Sequence[int], outputs: Sequence[int], *,
           version: int = 1, custom_code: str | None = None,
           options: tuple[str, dict[str, int]] | None = None,
           options_type: int | None = None) -> int:
        """Add an op; `options` is (options table name, {field: value})."""
        opcode = self.model.opcode(name, version, custom_code)
        self.operators.append(dict(opcode=opcode, inputs=list(inputs), outputs=list(outputs),
                                   options=options, options_type=options_type))
        return len(self.operators) - 1


@dataclass
class ModelBuilder:
    buffers: list[bytes | Appended] = field(default_factory=lambda: [b""])
    opcodes: list[tuple[int, int, str | None]] = field(default_factory=list)
    subgraphs: list[SubgraphBuilder] = field(default_factory=list)
    signatures: list[dict[str, Any]] = field(default_factory=list)
    metadata: list[tuple[str, int]] = field(default_factory=list)
    version: int = 3

    def buffer(self, data: bytes | np.ndarray | Appended) -> int:
        if isinstance(data, np.ndarray):
            data = data.tobytes()
        self.buffers.append(data if isinstance(data, Appended) else bytes(data))
        return len(self.buffers) - 1

    def opcode(self, name: str | int, version: int = 1, custom_code: str | None = None) -> int:
        key = (op_code(name), version, custom_code)
        if key not in self.opcodes:
            self.opcodes.append(key)
        return self.opcodes.index(key)

    def subgraph(self, name: str = "") -> SubgraphBuilder:
        subgraph = SubgraphBuilder(self, name)
        self.subgraphs.append(subgraph)
        return subgraph

    def signature(self, key: str, inputs: dict[str, int], outputs: dict[str, int],
                  subgraph: int = 0) -> None:
        self.signatures.append(dict(key=key, inputs=inputs, outputs=outputs, subgraph=subgraph))

    def add_metadata(self, name: str, data: bytes) -> None:
        self.metadata.append((name, self.buffer(data)))

    # -- serialisation ----------------------------------------------------------------
    def build(self) -> bytes:
        """The model; Appended buffers follow the flatbuffer, padded to 16 bytes."""
        appended = [data for data in self.buffers if isinstance(data, Appended)]
        if not appended:
            return self._flatbuffer({})
        # Offsets are 8-byte fields whatever their value, so a first pass with placeholder
        # offsets gives the flatbuffer's final length.
        length = len(self._flatbuffer({id(a): (1 << 40, len(a.data)) for a in appended}))
        offsets, position = {}, length + (-length) % 16
        for item in appended:
            offsets[id(item)] = (position, len(item.data))
            position += len(item.data) + (-len(item.data)) % 16
        output = bytearray(self._flatbuffer(offsets))
        assert len(output) == length
        for item in appended:
            output += bytes(offsets[id(item)][0] - len(output)) + item.data
        return bytes(output)

    def _flatbuffer(self, appended_offsets: dict[int, tuple[int, int]]) -> bytes:
        b = flatbuffers.Builder(1024)
        buffers = [self._buffer(b, data, appended_offsets) for data in self.buffers]
        opcodes = [self._opcode(b, *code) for code in self.opcodes]
        subgraphs = [self._subgraph(b, s) for s in self.subgraphs]
        signatures = [self._signature(b, s) for s in self.signatures]
        metadata = [self._metadata(b, name, buffer) for name, buffer in self.metadata]
        vectors = {name: _offsets(b, items) for name, items in
                   (("operator_codes", opcodes), ("subgraphs", subgraphs),
                    ("buffers", buffers), ("signature_defs", signatures),
                    ("metadata", metadata))}
        description = b.CreateString("tfllint test model")
        b.StartObject(8)
        b.PrependUint32Slot(MODEL["version"], self.version, 0)
        for name, vector in vectors.items():
            b.PrependUOffsetTRelativeSlot(MODEL[name], vector, 0)
        b.PrependUOffsetTRelativeSlot(MODEL["description"], description, 0)
        b.Finish(b.EndObject(), file_identifier=b"TFL3")
        return bytes(b.Output())

    @staticmethod
    def _buffer(b: flatbuffers.Builder, data: bytes | Appended,
                appended_offsets: dict[int, tuple[int, int]]) -> int:
        if isinstance(data, Appended):
            offset, size = appended_offsets[id(data)]
            b.StartObject(3)
            b.PrependUint64Slot(BUFFER["offset"], offset, 0)
            b.PrependUint64Slot(BUFFER["size"], size, 0)
            return b.EndObject()
        vector = b.CreateByteVector(data) if data else None
        b.StartObject(3)
        if vector is not None:
            b.PrependUOffsetTRelativeSlot(BUFFER["data"], vector, 0)
        return b.EndObject()

    @staticmethod
    def _opcode(b: flatbuffers.Builder, code: int, version: int, custom: str | None) -> int:
        custom_offset = b.CreateString(custom) if custom is not None else None
        b.StartObject(4)
        b.PrependInt8Slot(OPERATOR_CODE["deprecated_builtin_code"],
                          min(code, PLACEHOLDER_FOR_GREATER_OP_CODES), 0)
        if custom_offset is not None:
            b.PrependUOffsetTRelativeSlot(OPERATOR_CODE["custom_code"], custom_offset, 0)
        b.PrependInt32Slot(OPERATOR_CODE["version"], version, 1)
        b.PrependInt32Slot(OPERATOR_CODE["builtin_code"], code, 0)
        return b.EndObject()

    def _subgraph(self, b: flatbuffers.Builder, subgraph: SubgraphBuilder) -> int:
        tensors = _offsets(b, [self._tensor(b, t) for t in subgraph.tensors])
        operators = _offsets(b, [self._operator(b, op) for op in subgraph.operators])
        inputs, outputs = _ints(b, subgraph.inputs), _ints(b, subgraph.outputs)
        name = b.CreateString(subgraph.name)
        b.StartObject(5)
        b.PrependUOffsetTRelativeSlot(SUBGRAPH["tensors"], tensors, 0)
        b.PrependUOffsetTRelativeSlot(SUBGRAPH["inputs"], inputs, 0)
        b.PrependUOffsetTRelativeSlot(SUBGRAPH["outputs"], outputs, 0)
        b.PrependUOffsetTRelativeSlot(SUBGRAPH["operators"], operators, 0)
        b.PrependUOffsetTRelativeSlot(SUBGRAPH["name"], name, 0)
        return b.EndObject()

    @staticmethod
    def _tensor(b: flatbuffers.Builder, tensor: dict[str, Any]) -> int:
        shape = _ints(b, tensor["shape"])
        signature = _ints(b, tensor["shape_signature"]) \
            if tensor["shape_signature"] is not None else None
        name = b.CreateString(tensor["name"])
        quantization = None
        blockwise = tensor.get("blockwise")
        if tensor["scale"] or tensor["zero_point"] or blockwise:
            details = None
            if blockwise:
                b.StartObject(3)
                for slot, value in zip(BLOCKWISE.values(), blockwise):
                    b.PrependInt32Slot(slot, value, 0)
                details = b.EndObject()
            scale = b.CreateNumpyVector(np.asarray(tensor["scale"], dtype="<f4"))
            zero_point = b.CreateNumpyVector(np.asarray(tensor["zero_point"], dtype="<i8"))
            b.StartObject(7)
            b.PrependUOffsetTRelativeSlot(QUANTIZATION["scale"], scale, 0)
            b.PrependUOffsetTRelativeSlot(QUANTIZATION["zero_point"], zero_point, 0)
            if details is not None:
                b.PrependUint8Slot(QUANTIZATION["details_type"], BLOCKWISE_DETAILS, 0)
                b.PrependUOffsetTRelativeSlot(QUANTIZATION["details"], details, 0)
            b.PrependInt32Slot(QUANTIZATION["quantized_dimension"],
                               tensor["quantized_dimension"], 0)
            quantization = b.EndObject()
        b.StartObject(9)
        b.PrependUOffsetTRelativeSlot(TENSOR["shape"], shape, 0)
        b.PrependInt8Slot(TENSOR["type"], tensor["type"], 0)
        b.PrependUint32Slot(TENSOR["buffer"], tensor["buffer"], 0)
        b.PrependUOffsetTRelativeSlot(TENSOR["name"], name, 0)
        if quantization is not None:
            b.PrependUOffsetTRelativeSlot(TENSOR["quantization"], quantization, 0)
        b.PrependBoolSlot(TENSOR["is_variable"], tensor["is_variable"], False)
        if signature is not None:
            b.PrependUOffsetTRelativeSlot(TENSOR["shape_signature"], signature, 0)
        b.PrependBoolSlot(TENSOR["has_rank"], True, False)
        return b.EndObject()

    @staticmethod
    def _operator(b: flatbuffers.Builder, op: dict[str, Any]) -> int:
        inputs, outputs = _ints(b, op["inputs"]), _ints(b, op["outputs"])
        options, options_type = None, op["options_type"]
        if op["options"] is not None:
            table, values = op["options"]
            fields = OPTIONS[table]
            b.StartObject(max(slot for slot, _ in fields.values()) + 1)
            for field_name, value in values.items():
                slot, kind = fields[field_name]
                getattr(b, PREPEND[kind])(slot, value, 0)
            options = b.EndObject()
            options_type = getattr(BuiltinOptions, table)
        elif options_type is not None:
            b.StartObject(0)  # an options table of a type this builder does not know
            options = b.EndObject()
        b.StartObject(13)
        b.PrependUint32Slot(OPERATOR["opcode_index"], op["opcode"], 0)
        b.PrependUOffsetTRelativeSlot(OPERATOR["inputs"], inputs, 0)
        b.PrependUOffsetTRelativeSlot(OPERATOR["outputs"], outputs, 0)
        if options_type is not None:
            b.PrependUint8Slot(OPERATOR["builtin_options_type"], options_type, 0)
        if options is not None:
            b.PrependUOffsetTRelativeSlot(OPERATOR["builtin_options"], options, 0)
        return b.EndObject()

    @staticmethod
    def _signature(b: flatbuffers.Builder, signature: dict[str, Any]) -> int:
        def tensor_maps(entries: dict[str, int]) -> int:
            maps = []
            for name, index in entries.items():
                name_offset = b.CreateString(name)
                b.StartObject(2)
                b.PrependUOffsetTRelativeSlot(TENSOR_MAP["name"], name_offset, 0)
                b.PrependUint32Slot(TENSOR_MAP["tensor_index"], index, 0)
                maps.append(b.EndObject())
            return _offsets(b, maps)

        inputs, outputs = tensor_maps(signature["inputs"]), tensor_maps(signature["outputs"])
        key = b.CreateString(signature["key"])
        b.StartObject(5)
        b.PrependUOffsetTRelativeSlot(SIGNATURE["inputs"], inputs, 0)
        b.PrependUOffsetTRelativeSlot(SIGNATURE["outputs"], outputs, 0)
        b.PrependUOffsetTRelativeSlot(SIGNATURE["signature_key"], key, 0)
        b.PrependUint32Slot(SIGNATURE["subgraph_index"], signature["subgraph"], 0)
        return b.EndObject()

    @staticmethod
    def _metadata(b: flatbuffers.Builder, name: str, buffer: int) -> int:
        name_offset = b.CreateString(name)
        b.StartObject(2)
        b.PrependUOffsetTRelativeSlot(METADATA["name"], name_offset, 0)
        b.PrependUint32Slot(METADATA["buffer"], buffer, 0)
        return b.EndObject()


def _offsets(b: flatbuffers.Builder, offsets: list[int]) -> int:
    b.StartVector(4, len(offsets), 4)
    for offset in reversed(offsets):
        b.PrependUOffsetTRelative(offset)
    return b.EndVector()


def _ints(b: flatbuffers.Builder, values: Sequence[int]) -> int:
    return b.CreateNumpyVector(np.asarray(list(values), dtype="<i4"))


def relu_model(**tensor_kwargs) -> ModelBuilder:
    """The smallest healthy model: one float32 RELU from input to output, with a signature."""
    model = ModelBuilder()
    main = model.subgraph("main")
    x = main.tensor("x", [1, 4], **tensor_kwargs)
    y = main.tensor("y", [1, 4], **tensor_kwargs)
    main.op("RELU", [x], [y])
    main.inputs, main.outputs = [x], [y]
    model.signature("serving_default", {"x": x}, {"y": y})
    return model


def float16_weights_model() -> ModelBuilder:
    """FULLY_CONNECTED whose weights are float16 constants behind a DEQUANTIZE, the way the
    converter writes float16-quantized models."""
    model = ModelBuilder()
    main = model.subgraph()
    x = main.tensor("x", [1, 4])
    half = main.constant("w16", np.ones((3, 4), np.float16), "FLOAT16")
    weights = main.tensor("w", [3, 4])
    bias = main.constant("b", np.zeros(3, np.float32))
    y = main.tensor("y", [1, 3])
    main.op("DEQUANTIZE", [half], [weights], version=3)
    main.op("FULLY_CONNECTED", [x, weights, bias], [y])
    main.inputs, main.outputs = [x], [y]
    return model
