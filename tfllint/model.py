"""The decoded model: frozen values that every later layer reads and none may change.

Names follow the TFLite schema (schema.fbs) so a reader of either recognises the other.
Enum values are kept as their schema names ("FLOAT32", "CONV_2D"); values newer than the
schema tfllint was built with become "UNKNOWN(n)" instead of an error.
"""
from __future__ import annotations

import math
from typing import Any, Mapping

from .records import field, record

# numpy dtype names for TFLite tensor types, as stored (view.tensor_data reads constants
# with them). Types numpy cannot hold natively are given by their names. For the few types
# where get_input_details() reports something else (STRING, RESOURCE, VARIANT, sub-byte,
# float8) see analyses.contract.INTERPRETER_DTYPE_NAMES.
NUMPY_DTYPE_NAMES = {
    "FLOAT32": "float32", "FLOAT16": "float16", "INT32": "int32", "UINT8": "uint8",
    "INT64": "int64", "STRING": "object", "BOOL": "bool", "INT16": "int16",
    "COMPLEX64": "complex64", "INT8": "int8", "FLOAT64": "float64",
    "COMPLEX128": "complex128", "UINT64": "uint64", "RESOURCE": "resource",
    "VARIANT": "variant", "UINT32": "uint32", "UINT16": "uint16", "INT4": "int4",
    "BFLOAT16": "bfloat16", "INT2": "int2", "UINT4": "uint4",
    "FLOAT8_E4M3FN": "float8_e4m3fn", "FLOAT8_E5M2": "float8_e5m2",
}

# Bits per element; None where the size is not fixed (strings, resources, variants).
DTYPE_BITS = {
    "FLOAT32": 32, "FLOAT16": 16, "INT32": 32, "UINT8": 8, "INT64": 64, "STRING": None,
    "BOOL": 8, "INT16": 16, "COMPLEX64": 64, "INT8": 8, "FLOAT64": 64, "COMPLEX128": 128,
    "UINT64": 64, "RESOURCE": None, "VARIANT": None, "UINT32": 32, "UINT16": 16,
    "INT4": 4, "BFLOAT16": 16, "INT2": 2, "UINT4": 4, "FLOAT8_E4M3FN": 8, "FLOAT8_E5M2": 8,
}


def unknown(value: int) -> str:
    """The name given to an enum value newer than the schema tfllint knows."""
    return f"UNKNOWN({value})"


@record
class Blockwise:
    """BlockwiseQuantization details: the scales (and zero points) are other tensors of the
    subgraph, one per block of `block_size` elements along the input channels."""

    scales: int  # tensor index of the FLOAT16 scales
    zero_points: int  # tensor index, or -1 (all zero)
    block_size: int


def blockwise_parameter_tensors(tensors: tuple[Tensor, ...]) -> set[int]:
    """Indices of the tensors that hold other tensors' block-wise scales and zero points:
    read by the kernels through the quantization details, not as op inputs."""
    found = set()
    for tensor in tensors:
        blockwise = tensor.quantization.blockwise if tensor.quantization else None
        if blockwise is not None:
            found.update(index for index in (blockwise.scales, blockwise.zero_points)
                         if index >= 0)
    return found


@record
class Quantization:
    scale: tuple[float, ...] = ()
    zero_point: tuple[int, ...] = ()
    quantized_dimension: int = 0
    min: tuple[float, ...] = ()
    max: tuple[float, ...] = ()
    # "CustomQuantization", "BlockwiseQuantization", ... or UNKNOWN(n); None for none.
    details: str | None = None
    blockwise: Blockwise | None = None  # the fields of a BlockwiseQuantization

    @property
    def is_quantized(self) -> bool:
        """True when the tensor carries affine parameters (or a details scheme)."""
        return bool(self.scale) or self.details is not None

    @property
    def per_channel(self) -> bool:
        return len(self.scale) > 1


@record
class Sparsity:
    traversal_order: tuple[int, ...]
    block_map: tuple[int, ...]
    dimension_formats: tuple[str, ...]  # "DENSE" or "SPARSE_CSR" per traversed dimension


@record
class Tensor:
    index: int
    name: str
    dtype: str  # schema TensorType name
    shape: tuple[int, ...]
    shape_signature: tuple[int, ...] | None  # None when the file has none (static shape)
    buffer: int  # index into Model.buffers; 0 is the empty sentinel
    quantization: Quantization | None
    is_variable: bool = False
    sparsity: Sparsity | None = None
    has_rank: bool = False
    external_buffer: int = 0
    data_size: int = 0  # bytes of constant data in its buffer (0: an activation)

    @property
    def numpy_dtype(self) -> str:
        return NUMPY_DTYPE_NAMES.get(self.dtype, self.dtype.lower())

    @property
    def signature(self) -> tuple[int, ...]:
        """The shape with -1 for every dimension unknown until run time."""
        return self.shape_signature if self.shape_signature is not None else self.shape

    @property
    def is_dynamic(self) -> bool:
        signature = self.signature
        return bool(signature) and min(signature) < 0  # a -1 somewhere; min() runs in C

    # Sizes at the stored shape, and whether the data is stored in the file, computed once
    # here: the planners, rules and reports ask for them many times per tensor.
    # byte_size is None for types of no fixed size. is_constant: the data is in the file,
    # inline, appended after the flatbuffer, or external.
    element_count: int = field(init=False, repr=False, compare=False)
    byte_size: int | None = field(init=False, repr=False, compare=False)
    is_constant: bool = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        # the instance dict directly: the frozen class refuses setattr, and this is the
        # one place these are set
        count, byte_size = _sizes(self.shape, self.dtype)
        self.__dict__.update(element_count=count, byte_size=byte_size,
                             is_constant=self.data_size > 0 or self.external_buffer != 0)


def _sizes(shape: tuple[int, ...], dtype: str) -> tuple[int, int | None]:
    """(element_count, byte_size) of a tensor of this shape and type."""
    # a negative (corrupt or unknown) dimension counts as none: no elements
    count = 0 if shape and min(shape) < 0 else math.prod(shape)
    bits = DTYPE_BITS.get(dtype)
    return count, None if bits is None else (count * bits + 7) // 8


def new_tensor(index: int, name: str, dtype: str, shape: tuple[int, ...],
               shape_signature: tuple[int, ...] | None, buffer: int,
               quantization: Quantization | None, is_variable: bool,
               sparsity: Sparsity | None, has_rank: bool, external_buffer: int,
               data_size: int, _new: Any = object.__new__) -> Tensor:
    """Tensor(...) of these fields, as the reader makes one per tensor (25,000 in a big
    model): all given, the instance's dict filled in one step, without the calls of the
    generic __init__ and __post_init__ (tests/test_reader.py checks both agree)."""
    tensor = _new(Tensor)
    count, byte_size = _sizes(shape, dtype)
    tensor.__dict__.update({
        "index": index, "name": name, "dtype": dtype, "shape": shape,
        "shape_signature": shape_signature, "buffer": buffer, "quantization": quantization,
        "is_variable": is_variable, "sparsity": sparsity, "has_rank": has_rank,
        "external_buffer": external_buffer, "data_size": data_size, "element_count": count,
        "byte_size": byte_size, "is_constant": data_size > 0 or external_buffer != 0})
    return tensor


@record
class Buffer:
    index: int
    offset: int  # where the data starts in the file (0 when there is none)
    size: int  # bytes of data
    appended: bool = False  # stored after the flatbuffer (schema 3c, >2 GB models)


@record
class OperatorCode:
    index: int
    builtin_code: int  # max(builtin_code, deprecated_builtin_code), as the runtime reads it
    name: str  # "CONV_2D", "CUSTOM", or UNKNOWN(n)
    version: int
    custom_code: str | None

    @property
    def display_name(self) -> str:
        """The name a person knows the op by: the custom code for custom ops."""
        return self.custom_code if self.name == "CUSTOM" and self.custom_code else self.name

    @property
    def is_known(self) -> bool:
        return not self.name.startswith("UNKNOWN(")

    @property
    def is_flex(self) -> bool:
        # tflite/util.cc IsFlexOp: a custom code beginning with "Flex".
        return self.name == "CUSTOM" and (self.custom_code or "").startswith("Flex")


@record
class Operator:
    index: int  # position in the subgraph's execution order
    subgraph: int
    opcode: OperatorCode
    inputs: tuple[int, ...]  # tensor indices; -1 marks an absent optional input
    outputs: tuple[int, ...]
    intermediates: tuple[int, ...] = ()
    options_type: str | None = None  # "Conv2DOptions", UNKNOWN(n), or None
    options: Mapping[str, Any] = field(default_factory=dict)
    custom_options_size: int = 0
    called_subgraphs: tuple[int, ...] = ()  # WHILE/IF/CALL_ONCE/... bodies, in option order

    @property
    def name(self) -> str:
        return self.opcode.display_name


@record
class Subgraph:
    index: int
    name: str
    tensors: tuple[Tensor, ...]
    inputs: tuple[int, ...]
    outputs: tuple[int, ...]
    operators: tuple[Operator, ...]


@record
class SignatureDef:
    key: str
    subgraph: int
    inputs: tuple[tuple[str, int], ...]  # (signature name, tensor index), in file order
    outputs: tuple[tuple[str, int], ...]


@record
class Metadata:
    name: str
    buffer: int


@record
class Model:
    path: str
    size_bytes: int
    schema_version: int
    description: str
    operator_codes: tuple[OperatorCode, ...]
    subgraphs: tuple[Subgraph, ...]
    buffers: tuple[Buffer, ...]
    signatures: tuple[SignatureDef, ...]
    metadata: tuple[Metadata, ...]
