"""Turn the decoded flatbuffer tables of a .tflite file into a verified `Model`.

The flatbuffer layer (flatbuffer.py) guarantees every offset lies in the file; this layer
checks what the schema cannot express: that every tensor, buffer, opcode and subgraph
index points at something that exists, that appended buffers lie inside the file, and
that enum values are known (unknown ones are kept as UNKNOWN(n), never an error).
"""
from __future__ import annotations

from types import MappingProxyType
from typing import Any

from ..model import (Blockwise, Buffer, Metadata, Model, Operator, OperatorCode, Quantization,
                     SignatureDef, Sparsity, Subgraph, Tensor, new_tensor, unknown)
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
        return Buffer(index, offset, size, True)
    data: ByteSpan | None = raw["data"]
    if data is None:
        return Buffer(index, 0, 0)
    return Buffer(index, data.offset, data.length)


def _opcode(index: int, raw: dict[str, Any]) -> OperatorCode:
    # schema_utils.cc GetBuiltinCode: the larger of the two fields is the real code.
    code = max(raw["builtin_code"], raw["deprecated_builtin_code"])
    return OperatorCode(index=index, builtin_code=code, name=enum_name("BuiltinOperator", code),
                        version=raw["version"], custom_code=raw["custom_code"])


def _tensor(index: int, raw: dict[str, Any], buffers: tuple[Buffer, ...], where: str) -> Tensor:
    # positional arguments and no helper calls but where needed: 25,000 tensors
    buffer = raw["buffer"]
    if not 0 <= buffer < len(buffers):  # the message only when it is needed
        _check_index(buffer, len(buffers), f"{where} tensor {index} buffer index")
    dtype = raw["type"]
    sparsity = raw["sparsity"]
    return new_tensor(
        index, raw["name"] or "", TENSOR_TYPES.get(dtype) or unknown(dtype),
        raw["shape"] or (), raw["shape_signature"], buffer,
        _quantization(raw["quantization"]), raw["is_variable"],
        None if sparsity is None else _sparsity(sparsity), raw["has_rank"],
        raw["external_buffer"], buffers[buffer].size)


def _quantization(raw: dict[str, Any] | None) -> Quantization | None:
    if raw is None:
        return None
    details = raw["details"]
    details_name = blockwise = None
    if details is not None:
        member, member_value, fields = details
        details_name = member or unknown(member_value)
        if member == "BlockwiseQuantization":
            blockwise = Blockwise(fields["scales"], fields["zero_points"], fields["block_size"])
    # vectors decode to tuples (or None when absent)
    scale, zero_point, low, high = raw["scale"], raw["zero_point"], raw["min"], raw["max"]
    if not (scale or zero_point or low or high or details_name):
        return None
    return Quantization(scale or (), zero_point or (), raw["quantized_dimension"],
                        low or (), high or (), details_name, blockwise)


def _check_blockwise_indices(tensors: tuple[Tensor, ...], where: str) -> None:
    """Blockwise scales and zero points name tensors of the same subgraph; the interpreter
    copies them unchecked (interpreter_builder.cc) and the kernels index with them."""
    count = len(tensors)
    for tensor in tensors:
        quantization = tensor.quantization
        if quantization is None or quantization.blockwise is None:
            continue
        blockwise = quantization.blockwise
        what = f"{where} tensor {tensor.index} blockwise"
        _check_index(blockwise.scales, count, f"{what} scales tensor index")
        _check_index(blockwise.zero_points, count, f"{what} zero points tensor index",
                     allow_absent=True)


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
    _check_blockwise_indices(tensors, where)

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
    append = operators.append
    opcode_count = len(opcodes)
    for op_index, raw_op in enumerate(raw["operators"] or ()):
        opcode_index = raw_op["opcode_index"]
        if not 0 <= opcode_index < opcode_count:
            _check_index(opcode_index, opcode_count,
                         f"{where} operator {op_index} opcode index")
        options_type, options = _options(raw_op)
        called = (_called_subgraphs(options, options_type, subgraph_count, where, op_index)
                  if options and _SUBGRAPH_FIELDS[options_type] else ())
        custom = raw_op["custom_options"]
        intermediates = raw_op["intermediates"]
        # by position: 10,000 operators
        append(Operator(
            op_index, index, opcodes[opcode_index],
            tensor_list(raw_op["inputs"], "input", True, op_index),
            tensor_list(raw_op["outputs"], "output", False, op_index),
            tensor_list(intermediates, "intermediate", True, op_index) if intermediates else (),
            options_type, options,
            custom.length if custom else raw_op["large_custom_options_size"], called))
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


# options table -> its enum fields, (field name, {value: name} of the field's enum)
_ENUM_FIELDS = {table: tuple((name, schema.ENUMS[argument[0]])
                             for name, kind, argument, _ in fields if kind == "enum")
                for table, fields in schema.TABLES.items()}


def _name_enums(table: str, fields: dict[str, Any]) -> dict[str, Any]:
    for name, names in _ENUM_FIELDS[table]:  # enum_name, without a call per field
        value = fields[name]
        fields[name] = names.get(value) or unknown(value)
    return fields


# options table -> its fields that name subgraphs, in the table's order
_SUBGRAPH_FIELDS = {table: tuple(name for name, *_ in fields if name in SUBGRAPH_OPTION_FIELDS)
                    for table, fields in schema.TABLES.items()}


def _called_subgraphs(options, options_type: str, subgraph_count: int, where: str,
                      op_index: int) -> tuple[int, ...]:
    called: list[int] = []
    for name in _SUBGRAPH_FIELDS[options_type]:  # the options table's own field order
        values = options[name]
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
