"""Read TFLite Support model metadata: the `TFLITE_METADATA` buffer and packed files.

Models made with TFLite Support's metadata writer describe their inputs and outputs in a
second flatbuffer (schema tensorflow_lite_support/metadata/metadata_schema.fbs, file
identifier M001) stored in a model buffer, and pack associated files (labels,
vocabularies) into a zip archive appended to the .tflite file. A corrupt metadata buffer
raises FlatbufferError like a corrupt model; a corrupt or missing zip just yields None.
"""
from __future__ import annotations

import io
import mmap
import os
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any, Iterator, Union

from ..model import unknown
from ..records import record
from . import SUPPORT_METADATA_NAME as METADATA_NAME
from . import metadata_schema as schema
from .flatbuffer import Decoder, FlatbufferError

if TYPE_CHECKING:
    import zipfile

    from . import ModelFile

FILE_IDENTIFIER = b"M001"
MAX_ASSOCIATED_FILE_BYTES = 1 << 20  # label files are kilobytes; more is not a label list
MAX_LINES = 100_000

# Union member of Content.content_properties -> the kind of content it declares.
CONTENT_KINDS = {
    "FeatureProperties": "feature", "ImageProperties": "image",
    "BoundingBoxProperties": "bounding_box", "AudioProperties": "audio",
}

# A model given as a path, or as its bytes (ModelFile.data).
ModelSource = Union[str, "os.PathLike[str]", bytes, bytearray, memoryview, mmap.mmap]


@record
class AssociatedFile:
    name: str  # the file's name inside the zip appended to the model
    type: str  # AssociatedFileType: "TENSOR_AXIS_LABELS", "VOCABULARY", ... or UNKNOWN(n)
    description: str = ""
    locale: str = ""
    version: str = ""


@record
class Content:
    """What a tensor holds; only the fields of its `kind` are set."""

    kind: str  # "feature", "image", "bounding_box", "audio", or UNKNOWN(n)
    color_space: str | None = None  # image: "RGB", "GRAYSCALE", "UNKNOWN"
    default_size: tuple[int, int] | None = None  # image: (width, height)
    sample_rate: int | None = None  # audio
    channels: int | None = None  # audio
    box_index: tuple[int, ...] = ()  # bounding box: where each coordinate lies
    box_type: str | None = None  # bounding box: "BOUNDARIES", "UPPER_LEFT", "CENTER", ...
    coordinate_type: str | None = None  # bounding box: "RATIO" or "PIXEL"
    # Dimensions the content spans, inclusive; None means all but the batch axis.
    dimension_range: tuple[int, int] | None = None


@record
class Normalization:
    """The caller feeds (x - mean) / std, per channel; one value applies to all channels."""

    mean: tuple[float, ...]
    std: tuple[float, ...]


@record
class Stats:
    """The tensor's expected value range, per channel (one value: every channel)."""

    min: tuple[float, ...]
    max: tuple[float, ...]


@record
class ProcessUnit:
    kind: str  # "NormalizationOptions", "BertTokenizerOptions", ... or UNKNOWN(n)
    associated_files: tuple[AssociatedFile, ...] = ()  # tokenizer vocabularies and models


@record
class TensorMetadata:
    name: str
    description: str
    dimension_names: tuple[str, ...]
    content: Content | None
    process_units: tuple[ProcessUnit, ...]
    normalization: Normalization | None  # from the first NormalizationOptions unit
    stats: Stats | None  # None also when the writer left both lists empty
    associated_files: tuple[AssociatedFile, ...]


@record
class SubgraphMetadata:
    name: str
    description: str
    inputs: tuple[TensorMetadata, ...]  # in the order of the subgraph's inputs
    outputs: tuple[TensorMetadata, ...]
    associated_files: tuple[AssociatedFile, ...]
    input_process_units: tuple[ProcessUnit, ...]
    output_process_units: tuple[ProcessUnit, ...]
    custom_metadata: tuple[str, ...]  # names of CustomMetadata entries


@record
class SupportMetadata:
    name: str
    description: str
    version: str
    author: str
    license: str
    min_parser_version: str
    subgraphs: tuple[SubgraphMetadata, ...]
    associated_files: tuple[AssociatedFile, ...]

    def all_associated_files(self) -> tuple[AssociatedFile, ...]:
        """Every associated file named anywhere in the metadata, model level first."""
        found = list(self.associated_files)
        for subgraph in self.subgraphs:
            found += subgraph.associated_files
            for unit in subgraph.input_process_units + subgraph.output_process_units:
                found += unit.associated_files
            for tensor in subgraph.inputs + subgraph.outputs:
                found += tensor.associated_files
                for unit in tensor.process_units:
                    found += unit.associated_files
        return tuple(found)


@record
class AssociatedFileLines:
    """The first lines of a packed text file (labels: one per line)."""

    lines: tuple[str, ...]  # at most the `max_lines` asked for
    line_count: int  # lines in the bytes read; a lower bound when `truncated`
    truncated: bool  # the file is longer than the byte limit


# -- the metadata flatbuffer ---------------------------------------------------------------
def read_support_metadata(model_file: ModelFile) -> SupportMetadata | None:
    """The model's TFLite Support metadata, or None when it has none.

    Raises FlatbufferError when the TFLITE_METADATA buffer is corrupt.
    """
    model = model_file.model
    for entry in model.metadata:
        if entry.name == METADATA_NAME:
            buffer = model.buffers[entry.buffer]
            return parse_support_metadata(model_file.buffer_bytes(buffer))
    return None


def parse_support_metadata(data: bytes | memoryview) -> SupportMetadata:
    """Decode the contents of a TFLITE_METADATA buffer; FlatbufferError if corrupt."""
    if len(data) < 8:
        raise FlatbufferError(f"the metadata buffer is {len(data)} bytes, too short for "
                              "a flatbuffer")
    identifier = bytes(data[4:8])
    if identifier != FILE_IDENTIFIER:
        raise FlatbufferError(f"the metadata buffer's file identifier is {identifier!r}, "
                              f"expected {FILE_IDENTIFIER!r}")
    # As for the model: the budget only stops offsets that overlap or repeat.
    decoder = Decoder(data, work_budget=len(data), schema_module=schema)
    root = decoder.table(decoder.root(), "ModelMetadata")
    return SupportMetadata(
        name=root["name"] or "", description=root["description"] or "",
        version=root["version"] or "", author=root["author"] or "",
        license=root["license"] or "", min_parser_version=root["min_parser_version"] or "",
        subgraphs=tuple(_subgraph(raw) for raw in root["subgraph_metadata"] or ()),
        associated_files=_files(root["associated_files"]))


def _enum_name(enum: str, value: int) -> str:
    return schema.ENUMS[enum].get(value) or unknown(value)


def _files(raw_files: tuple[dict[str, Any], ...] | None) -> tuple[AssociatedFile, ...]:
    return tuple(
        AssociatedFile(name=raw["name"] or "", type=_enum_name("AssociatedFileType", raw["type"]),
                       description=raw["description"] or "", locale=raw["locale"] or "",
                       version=raw["version"] or "")
        for raw in raw_files or ())


def _subgraph(raw: dict[str, Any]) -> SubgraphMetadata:
    return SubgraphMetadata(
        name=raw["name"] or "", description=raw["description"] or "",
        inputs=tuple(_tensor(t) for t in raw["input_tensor_metadata"] or ()),
        outputs=tuple(_tensor(t) for t in raw["output_tensor_metadata"] or ()),
        associated_files=_files(raw["associated_files"]),
        input_process_units=_process_units(raw["input_process_units"]),
        output_process_units=_process_units(raw["output_process_units"]),
        custom_metadata=tuple(c["name"] or "" for c in raw["custom_metadata"] or ()))


def _tensor(raw: dict[str, Any]) -> TensorMetadata:
    units = _process_units(raw["process_units"])
    normalization = None
    for unit, raw_unit in zip(units, raw["process_units"] or ()):
        if unit.kind == "NormalizationOptions":
            options = raw_unit["options"][2]
            normalization = Normalization(mean=tuple(options["mean"] or ()),
                                          std=tuple(options["std"] or ()))
            break
    return TensorMetadata(
        name=raw["name"] or "", description=raw["description"] or "",
        dimension_names=tuple(raw["dimension_names"] or ()),
        content=_content(raw["content"]), process_units=units, normalization=normalization,
        stats=_stats(raw["stats"]),
        associated_files=_files(raw["associated_files"]))


def _stats(raw: dict[str, Any] | None) -> Stats | None:
    # The metadata writer adds an empty Stats table to tensors it has no range for.
    if raw is None or not (raw["min"] or raw["max"]):
        return None
    return Stats(min=tuple(raw["min"] or ()), max=tuple(raw["max"] or ()))


def _member(union_value: tuple[str | None, int, dict[str, Any]] | None):
    """(member name or UNKNOWN(n), fields) of a decoded union; None when it is absent."""
    if union_value is None or union_value[1] == 0:
        return None
    member, member_value, fields = union_value
    return (member or unknown(member_value)), fields


def _process_units(raw_units: tuple[dict[str, Any], ...] | None) -> tuple[ProcessUnit, ...]:
    units = []
    for raw in raw_units or ():
        member = _member(raw["options"])
        if member is None:
            units.append(ProcessUnit(kind="NONE"))
            continue
        kind, fields = member
        files: list[AssociatedFile] = []
        for name, field_kind, argument, _default in schema.TABLES.get(kind, ()):
            if field_kind == "vector_table" and argument == "AssociatedFile":
                files += _files(fields[name])
        units.append(ProcessUnit(kind=kind, associated_files=tuple(files)))
    return tuple(units)


def _content(raw: dict[str, Any] | None) -> Content | None:
    if raw is None:
        return None
    value_range = raw["range"]
    dimension_range = None if value_range is None else (value_range["min"], value_range["max"])
    member = _member(raw["content_properties"])
    if member is None:
        return Content(kind="NONE", dimension_range=dimension_range)
    member_name, fields = member
    kind = CONTENT_KINDS.get(member_name, member_name)
    if kind == "image":
        size = fields["default_size"]
        return Content(kind=kind, color_space=_enum_name("ColorSpaceType", fields["color_space"]),
                       default_size=None if size is None else (size["width"], size["height"]),
                       dimension_range=dimension_range)
    if kind == "audio":
        return Content(kind=kind, sample_rate=fields["sample_rate"],
                       channels=fields["channels"], dimension_range=dimension_range)
    if kind == "bounding_box":
        return Content(kind=kind, box_index=tuple(fields["index"] or ()),
                       box_type=_enum_name("BoundingBoxType", fields["type"]),
                       coordinate_type=_enum_name("CoordinateType", fields["coordinate_type"]),
                       dimension_range=dimension_range)
    return Content(kind=kind, dimension_range=dimension_range)


# -- the zip of associated files -----------------------------------------------------------
def packed_file_names(model: ModelSource) -> tuple[str, ...] | None:
    """Names of the files in the zip appended to the model; None when there is no zip."""
    try:
        with _open_zip(model) as archive:
            return tuple(archive.namelist())
    except Exception:  # see _open_zip: a broken zip is "no zip", whatever zipfile raises
        return None


def read_associated_file_lines(model: ModelSource, file_name: str, *,
                               max_bytes: int = MAX_ASSOCIATED_FILE_BYTES,
                               max_lines: int = MAX_LINES) -> AssociatedFileLines | None:
    """The lines of `file_name` in the zip appended to the model (labels, vocabularies).

    Reads at most `max_bytes` bytes (decompressed) and returns at most `max_lines` lines.
    None when the model has no readable zip or the zip has no such file.
    """
    try:
        with _open_zip(model) as archive, archive.open(file_name) as member:
            data = member.read(max_bytes + 1)
    except Exception:  # see _open_zip: a broken zip is "no zip", whatever zipfile raises
        return None
    truncated = len(data) > max_bytes
    data = data[:max_bytes]
    lines = data.decode("utf-8-sig", errors="replace").splitlines()
    if truncated and lines and not data.endswith((b"\n", b"\r")):
        lines.pop()  # the last line was cut at the byte limit
    return AssociatedFileLines(lines=tuple(lines[:max_lines]), line_count=len(lines),
                               truncated=truncated)


@contextmanager
def _open_zip(model: ModelSource) -> Iterator[zipfile.ZipFile]:
    """Open the zip at the end of the model without copying the model.

    The zip is optional decoration that no runtime reads, so callers treat every failure
    as "no zip". zipfile signals hostile archives with many exception types (BadZipFile,
    EOFError, OSError, ValueError, zlib.error, NotImplementedError, RuntimeError, ...),
    which is why they catch Exception.
    """
    import zipfile  # here: most runs read no packed file, and it costs milliseconds

    if isinstance(model, (str, os.PathLike)):
        with zipfile.ZipFile(model) as archive:
            yield archive
    else:
        with _MemoryReader(model) as reader, zipfile.ZipFile(reader) as archive:
            yield archive


class _MemoryReader(io.RawIOBase):
    """A seekable read-only file over bytes or a memory map, sharing rather than copying."""

    def __init__(self, data: bytes | bytearray | memoryview | mmap.mmap) -> None:
        super().__init__()
        view = memoryview(data)
        self._view = view if view.format == "B" and view.ndim == 1 else view.cast("B")
        self._position = 0

    def close(self) -> None:
        self._view.release()  # a memory map cannot be closed while a view is exported
        super().close()

    def readable(self) -> bool:
        return True

    def seekable(self) -> bool:
        return True

    def tell(self) -> int:
        return self._position

    def seek(self, offset: int, whence: int = io.SEEK_SET) -> int:
        base = {io.SEEK_SET: 0, io.SEEK_CUR: self._position, io.SEEK_END: len(self._view)}
        position = base[whence] + offset
        if position < 0:
            raise ValueError("negative seek position")
        self._position = position
        return position

    def readinto(self, buffer: Any) -> int:
        chunk = self._view[self._position:self._position + len(buffer)]
        memoryview(buffer).cast("B")[:len(chunk)] = chunk
        self._position += len(chunk)
        return len(chunk)


__all__ = [
    "METADATA_NAME", "AssociatedFile", "AssociatedFileLines", "Content", "Normalization",
    "ProcessUnit", "Stats", "SubgraphMetadata", "SupportMetadata", "TensorMetadata",
    "packed_file_names", "parse_support_metadata", "read_associated_file_lines",
    "read_support_metadata",
]
