"""Turn the decoded flatbuffer tables of a .tflite file into a verified `Model`.

The flatbuffer layer (flatbuffer.py) guarantees every offset lies in the file; this layer
checks what the schema cannot express: that every tensor, buffer, opcode and subgraph
index points at something that exists, that appended buffers lie inside the file, and
that enum values are known (unknown ones are kept as UNKNOWN(n), never an error).
"""
from __future__ import annotations

from types import MappingProxyType
from typing import Any

from ..model import (Buffer, Metadata, Model, Operator, OperatorCode, Quantization,
                     SignatureDef, Sparsity, Subgraph, Tensor, unknown)
from . import tflite_schema as schema
from .flatbuffer import ByteSpan, FlatbufferError

SUPPORTED_SCHEMA_VERSION = 3
OPERATOR_NAMES = schema.ENUMS["BuiltinOperator"]
TENSOR_TYPES = schema.ENUMS["TensorType"]
CUSTOM = 32  # BuiltinOperator.CUSTOM

# Option fields that name another subgraph (control flow and StableHLO regions).
SUBGRAPH_OPTION_FIELDS = frozenset(
    name for fields in schema.TABLES.values() for name, *_ in fields
    if name.endswith(("subgraph_index", "subgraph_indices"))) | {"subgraph"}


class ModelStructureError(ValueError):
    """The flatbuffer is well formed but its contents contradict themselves."""


def enum_name(enum: str, value: int) -> str:
    return schema.ENUMS[enum].get(value) or unknown(value)


def build_model(root: dict[str, Any], path: str, size_bytes: int) -> Model:
    version = root["version"]
    if version != SUPPORTED_SCHEMA_VERSION:
        raise ModelStructureError(f"schema version {version}; tfllint reads version "
                                  f"{SUPPORTED_SCHEMA_VERSION} (every TFLite model since 2018)")
    buffers = tuple(_buffer(i, raw, size_bytes) for i, raw in enumerate(root["buffers"] or ()))
    opcodes = tuple(_opcode(i, raw) for i, raw in enumerate(root["operator_codes"] or ()))
    raw_subgraphs = root["subgraphs"] or ()
    if not raw_subgraphs:
        raise ModelStructureError("the model has no subgraphs")
    subgraphs = tuple(
        _subgraph(i, raw, opcodes, buffers, len(raw_subgraphs))
        for i, raw in enumerate(raw_subgraphs))
    signatures = tuple(_signature(raw, subgraphs) for raw in root["signature_defs"] or ())
    metadata = tuple(_metadata(raw, len(buffers)) for raw in root["metadata"] or ())
    return Model(path=path, size_bytes=size_bytes, schema_version=version,
                 description=root["description"] or "", operator_codes=opcodes,
                 subgraphs=subgraphs, buffers=buffers, signatures=signatures,
                 metadata=metadata)


def _check_index(value: int, count: int, what: str, allow_absent: bool = False) -> int:
    if allow_absent and value == -1:
        return value
    if not 0 <= value < count:
        raise ModelStructureError(f"{what} is {value}, but there are only {count}")
    return value


def _buffer(index: int, raw: dict[str, Any], file_size: int) -> Buffer:
    offset, size = raw["offset"], raw["size"]
    if offset > 1:  # schema 3c: data stored after the flatbuffer; offset is from file start
        if offset + size > file_size:
            raise ModelStructureError(f"buffer {index} claims {size} bytes at byte {offset}, "
                                      f"past the end of the file ({file_size} bytes)")
        return Buffer(index=index, offset=offset, size=size, appended=True)
    data: ByteSpan | None = raw["data"]
    if data is None:
        return Buffer(index=index, offset=0, size=0)
    return Buffer(index=index, offset=data.offset, size=data.length)


def _opcode(index: int, raw: dict[str, Any]) -> OperatorCode:
    # schema_utils.cc GetBuiltinCode: the larger of the two fields is the real code.
    code = max(raw["builtin_code"], raw["deprecated_builtin_code"])
    return OperatorCode(index=index, builtin_code=code, name=enum_name("BuiltinOperator", code),
                        version=raw["version"], custom_code=raw["custom_code"])


def _tensor(index: int, raw: dict[str, Any], buffers: tuple[Buffer, ...], where: str) -> Tensor:
    buffer = raw["buffer"]
    if not 0 <= buffer < len(buffers):  # the message only when it is needed: 25,000 tensors
        _check_index(buffer, len(buffers), f"{where} tensor {index} buffer index")
    return Tensor(
        index=index, name=raw["name"] or "", dtype=enum_name("TensorType", raw["type"]),
        shape=tuple(raw["shape"] or ()), shape_signature=raw["shape_signature"],
        buffer=buffer, quantization=_quantization(raw["quantization"]),
        is_variable=raw["is_variable"], sparsity=_sparsity(raw["sparsity"]),
        has_rank=raw["has_rank"], external_buffer=raw["external_buffer"],
        data_size=buffers[buffer].size)


def _quantization(raw: dict[str, Any] | None) -> Quantization | None:
    if raw is None:
        return None
    details = raw["details"]
    details_name = None
    if details is not None:
        member, member_value, _ = details
        details_name = member or unknown(member_value)
    quantization = Quantization(
        scale=tuple(raw["scale"] or ()), zero_point=tuple(raw["zero_point"] or ()),
        quantized_dimension=raw["quantized_dimension"], min=tuple(raw["min"] or ()),
        max=tuple(raw["max"] or ()), details=details_name)
    return quantization if (quantization.scale or quantization.zero_point or quantization.min
                            or quantization.max or details_name) else None


def _sparsity(raw: dict[str, Any] | None) -> Sparsity | None:
    if raw is None:
        return None
    return Sparsity(
        traversal_order=tuple(raw["traversal_order"] or ()),
        block_map=tuple(raw["block_map"] or ()),
        dimension_formats=tuple(enum_name("DimensionType", dim["format"])
                                for dim in raw["dim_metadata"] or ()))


def _subgraph(index: int, raw: dict[str, Any], opcodes: tuple[OperatorCode, ...],
              buffers: tuple[Buffer, ...], subgraph_count: int) -> Subgraph:
    where = f"subgraph {index}"
    tensors = tuple(_tensor(i, t, buffers, where) for i, t in enumerate(raw["tensors"] or ()))
    tensor_count = len(tensors)

    def tensor_list(values: tuple[int, ...] | None, what: str, allow_absent: bool,
                    op_index: int | None = None) -> tuple:
        """The indices, each checked; checked at once in C for the valid lists of a valid
        model, and one by one, with the message, only when one is out of range."""
        if not values:
            return ()
        if min(values) >= (-1 if allow_absent else 0) and max(values) < tensor_count:
            return values
        prefix = where if op_index is None else f"{where} operator {op_index}"
        return tuple(_check_index(v, tensor_count, f"{prefix} {what}", allow_absent)
                     for v in values)

    operators = []
    for op_index, raw_op in enumerate(raw["operators"] or ()):
        opcode_index = raw_op["opcode_index"]
        if not 0 <= opcode_index < len(opcodes):
            _check_index(opcode_index, len(opcodes),
                         f"{where} operator {op_index} opcode index")
        options_type, options = _options(raw_op)
        called = _called_subgraphs(options, subgraph_count, where, op_index)
        custom = raw_op["custom_options"]
        operators.append(Operator(
            index=op_index, subgraph=index, opcode=opcodes[opcode_index],
            inputs=tensor_list(raw_op["inputs"], "input", True, op_index),
            outputs=tensor_list(raw_op["outputs"], "output", False, op_index),
            intermediates=tensor_list(raw_op["intermediates"], "intermediate", True,
                                      op_index),
            options_type=options_type, options=options,
            custom_options_size=(custom.length if custom else raw_op["large_custom_options_size"]),
            called_subgraphs=called))
    return Subgraph(index=index, name=raw["name"] or "", tensors=tensors,
                    inputs=tensor_list(raw["inputs"], "input", False),
                    outputs=tensor_list(raw["outputs"], "output", False),
                    operators=tuple(operators))


def _options(raw_op: dict[str, Any]):
    """The op's options table (builtin_options or builtin_options_2) with enums named."""
    for union_field in ("builtin_options", "builtin_options_2"):
        value = raw_op[union_field]
        if value is None:
            continue
        member, member_value, fields = value
        if member is None:
            return unknown(member_value), MappingProxyType({})
        return member, MappingProxyType(_name_enums(member, fields))
    return None, MappingProxyType({})


# options table -> its enum fields, (field name, enum name)
_ENUM_FIELDS = {table: tuple((name, argument[0]) for name, kind, argument, _ in fields
                             if kind == "enum")
                for table, fields in schema.TABLES.items()}


def _name_enums(table: str, fields: dict[str, Any]) -> dict[str, Any]:
    for name, enum in _ENUM_FIELDS[table]:
        fields[name] = enum_name(enum, fields[name])
    return fields


def _called_subgraphs(options, subgraph_count: int, where: str,
                      op_index: int) -> tuple[int, ...]:
    called: list[int] = []
    for name, values in options.items():  # the options table's own field order
        if name not in SUBGRAPH_OPTION_FIELDS:
            continue
        for value in values if isinstance(values, tuple) else (values,):
            called.append(_check_index(value, subgraph_count,
                                       f"{where} operator {op_index} option {name}"))
    return tuple(called)


def _signature(raw: dict[str, Any], subgraphs: tuple[Subgraph, ...]) -> SignatureDef:
    key = raw["signature_key"] or ""
    subgraph = _check_index(raw["subgraph_index"], len(subgraphs),
                            f"signature {key!r} subgraph index")
    tensor_count = len(subgraphs[subgraph].tensors)

    def tensor_map(entries) -> tuple[tuple[str, int], ...]:
        return tuple((entry["name"] or "", _check_index(
            entry["tensor_index"], tensor_count, f"signature {key!r} tensor {entry['name']!r}"))
            for entry in entries or ())

    return SignatureDef(key=key, subgraph=subgraph, inputs=tensor_map(raw["inputs"]),
                        outputs=tensor_map(raw["outputs"]))


def _metadata(raw: dict[str, Any], buffer_count: int) -> Metadata:
    name = raw["name"] or ""
    return Metadata(name=name, buffer=_check_index(raw["buffer"], buffer_count,
                                                   f"metadata {name!r} buffer index"))


__all__ = ["build_model", "ModelStructureError", "FlatbufferError"]
