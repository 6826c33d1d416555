"""The input/output contract: what a caller must feed the model and what it gets back.

Inputs and outputs are listed in the interpreter's order (subgraph 0's input and output
lists), described the way LiteRT's Interpreter.get_input_details() describes them, so a
caller can compare the two directly; signature defs add the names callers use instead.
"""
from __future__ import annotations

from typing import TYPE_CHECKING

from ..model import Tensor
from ..records import record

if TYPE_CHECKING:
    from ..reader.support_metadata import SubgraphMetadata, SupportMetadata


@record
class TensorContract:
    index: int
    name: str
    dtype: str  # numpy dtype name, as get_input_details() reports it
    shape: tuple[int, ...]
    shape_signature: tuple[int, ...]  # -1 for dimensions unknown until run time
    scales: tuple[float, ...]
    zero_points: tuple[int, ...]
    quantized_dimension: int
    byte_size: int | None

    @property
    def quantized(self) -> bool:
        return bool(self.scales)

    def formulas(self) -> tuple[str, str] | None:
        """(real from quantized, quantized from real) for per-tensor quantization."""
        if len(self.scales) != 1:
            return None
        scale, zero_point = self.scales[0], self.zero_points[0] if self.zero_points else 0
        offset = f" - {zero_point}" if zero_point >= 0 else f" + {-zero_point}"
        back = f" + {zero_point}" if zero_point >= 0 else f" - {-zero_point}"
        return (f"real = {scale:.9g} * (q{offset})",
                f"q = round(real / {scale:.9g}){back}, clipped to {self.dtype}")


@record
class SignatureContract:
    key: str
    subgraph: int
    inputs: tuple[tuple[str, TensorContract], ...]
    outputs: tuple[tuple[str, TensorContract], ...]


@record
class Contract:
    inputs: tuple[TensorContract, ...]
    outputs: tuple[TensorContract, ...]
    signatures: tuple[SignatureContract, ...]


# Where the numpy type get_input_details() reports differs from the storage type's own
# name (model.NUMPY_DTYPE_NAMES): LiteRT's TfLiteTypeToPyArrayType gives strings as bytes,
# resources and variants as object, and the sub-byte and float8 types as the 8-bit integer
# arrays a caller passes (checked against ai-edge-litert 2.3 by
# tests/test_inspect_differential.py). BFLOAT16 has no numpy type there: LiteRT raises.
INTERPRETER_DTYPE_NAMES = {
    "STRING": "bytes", "RESOURCE": "object", "VARIANT": "object", "INT4": "int8",
    "INT2": "int8", "UINT4": "uint8", "FLOAT8_E4M3FN": "int8", "FLOAT8_E5M2": "int8",
}


def tensor_contract(tensor: Tensor) -> TensorContract:
    quantization = tensor.quantization
    # LiteRT treats a tensor as quantized only when it has scales (a zero_point alone,
    # or min/max alone, reads as no quantization: empty lists, quantized_dimension 0).
    quantized = quantization is not None and bool(quantization.scale)
    return TensorContract(
        index=tensor.index, name=tensor.name,
        dtype=INTERPRETER_DTYPE_NAMES.get(tensor.dtype, tensor.numpy_dtype),
        shape=tensor.shape, shape_signature=tensor.signature,
        scales=quantization.scale if quantized else (),
        zero_points=quantization.zero_point if quantized else (),
        quantized_dimension=quantization.quantized_dimension if quantized else 0,
        byte_size=tensor.byte_size)


def analyze_contract(view) -> Contract:
    main = view.main
    signatures = []
    for signature in view.model.signatures:
        tensors = view.model.subgraphs[signature.subgraph].tensors
        # Names in LiteRT's order: the runtime keeps a signature's inputs and outputs in a
        # std::map, so get_signature_list() and the runner list them sorted by name
        # (byte order, which is code point order), whatever order the file has.
        signatures.append(SignatureContract(
            key=signature.key, subgraph=signature.subgraph,
            inputs=tuple((name, tensor_contract(tensors[i]))
                         for name, i in sorted(signature.inputs, key=lambda entry: entry[0])),
            outputs=tuple((name, tensor_contract(tensors[i]))
                          for name, i in sorted(signature.outputs, key=lambda entry: entry[0]))))
    return Contract(
        inputs=tuple(tensor_contract(main.tensors[i]) for i in main.inputs),
        outputs=tuple(tensor_contract(main.tensors[i]) for i in main.outputs),
        signatures=tuple(signatures))


# -- TFLite Support metadata ------------------------------------------------------------------

@record
class SupportMetadataAnalysis:
    """The model's TFLite Support metadata (normalization, color space, labels), parsed once
    for TFL507, `tfllint inspect` and the snippet."""

    metadata: SupportMetadata | None  # None: the model has none, or it is corrupt
    error: str | None = None  # why the TFLITE_METADATA buffer cannot be read

    @property
    def main(self) -> SubgraphMetadata | None:
        """Subgraph 0's metadata (inputs and outputs in the subgraph's order), or None."""
        if self.metadata is None or not self.metadata.subgraphs:
            return None
        return self.metadata.subgraphs[0]


def analyze_support_metadata(view) -> SupportMetadataAnalysis:
    """Parse the TFLITE_METADATA entry; a corrupt one is an `error`, never an exception."""
    from ..reader import SUPPORT_METADATA_NAME

    data = view.metadata_bytes(SUPPORT_METADATA_NAME)
    if data is None:  # most models: the metadata reader is not even imported
        return SupportMetadataAnalysis(None)
    from ..reader.flatbuffer import FlatbufferError
    from ..reader.support_metadata import parse_support_metadata

    try:
        return SupportMetadataAnalysis(parse_support_metadata(data))
    except FlatbufferError as error:
        return SupportMetadataAnalysis(None, str(error))
