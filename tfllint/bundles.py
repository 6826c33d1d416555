"""Bundles of models: the TFLite members of a MediaPipe `.task` (a zip archive) and of a
LiteRT-LM `.litertlm` file, each linted on its own as `bundle!member`.

A member stored uncompressed is read in place through the bundle's memory map; a deflated
one is inflated once, up to MAX_INFLATED_BYTES. Nothing a bundle claims (offsets, sizes,
counts) is trusted before it is checked against the file: a bad bundle is one message.
"""
from __future__ import annotations

import mmap
import os
import struct
import zlib
from typing import TYPE_CHECKING, Iterator

from .errors import ModelReadError
from .records import record

if TYPE_CHECKING:
    import zipfile

BUNDLE_SUFFIXES = (".task", ".litertlm")
MODEL_SUFFIXES = (".tflite",) + BUNDLE_SUFFIXES
SEPARATOR = "!"
TFLITE_IDENTIFIER = b"TFL3"
# A deflated member is inflated into memory; beyond this, store it uncompressed.
MAX_INFLATED_BYTES = 256 << 20

# Zip local file header (APPNOTE.TXT 4.3.7): signature, then name and extra field lengths
# at bytes 26 and 28 of its 30 bytes.
LOCAL_HEADER = b"PK\x03\x04"
LOCAL_HEADER_SIZE = 30
LOCAL_NAME_LENGTHS = struct.Struct("<HH")
# Compression methods (APPNOTE.TXT 4.4.5), named here so that linting a .tflite file does
# not import zipfile (and through it bz2 and lzma), milliseconds of every run's start-up.
ZIP_STORED, ZIP_DEFLATED = 0, 8

# LiteRT-LM container (google-ai-edge/LiteRT-LM@767d74f9 schema/core/litertlm_export.cc,
# litertlm_read.cc, runtime/util/litert_lm_loader.cc): "LITERTLM", major, minor, patch
# version (uint32 each), 4 bytes of padding, the uint64 offset where the header flatbuffer
# ends (at byte 24); the header flatbuffer starts at byte 32. The loader reads at most the
# first 16 KiB, so the header must end inside them.
LITERTLM_MAGIC = b"LITERTLM"
LITERTLM_MAJOR_VERSION = 1
LITERTLM_HEADER_START = 32
LITERTLM_HEADER_END_AT = 24
LITERTLM_HEADER_MAX_END = 16 * 1024
TFLITE_SECTION = "TFLiteModel"
MODEL_TYPE_KEY = "model_type"


@record
class Member:
    """A TFLite model inside a bundle: where its bytes are, and how they are stored."""

    name: str
    start: int  # byte offset of its (possibly compressed) data in the bundle
    stored_size: int  # bytes in the bundle
    size: int  # bytes of the model
    deflated: bool = False


def is_bundle(path: str) -> bool:
    return path.lower().endswith(BUNDLE_SUFFIXES)


def split_member_path(path: str) -> tuple[str, str] | None:
    """("x.task", "MEMBER") for "x.task!MEMBER"; None for a path that names no member."""
    lowered = path.lower()
    for suffix in BUNDLE_SUFFIXES:
        at = lowered.find(suffix + SEPARATOR)
        if at > 0:
            end = at + len(suffix)
            return path[:end], path[end + 1:]
    return None


def model_paths(path: str) -> list[tuple[str, str | None]]:
    """(model path, problem) pairs for one existing file: itself, or a bundle's members."""
    if not is_bundle(path):
        return [(path, None)]
    try:
        with _mapped(path) as data:
            names = [member.name for member in _members(path, data)]
    except ModelReadError as error:
        return [(path, error.problem)]
    if not names:
        return [(path, "the bundle holds no TFLite model")]
    return [(f"{path}{SEPARATOR}{name}", None) for name in names]


def read_model_file(path: str):
    """The ModelFile of a .tflite file or of a bundle member ("x.task!MEMBER")."""
    from .reader import ModelFile, decode_model, read_model

    split = None if os.path.exists(path) else split_member_path(path)
    if split is None:
        if is_bundle(path) and os.path.isfile(path):  # a bundle where one model is wanted
            members = [member for member, problem in model_paths(path) if problem is None]
            raise ModelReadError(path, "a bundle of models: name one of its members, "
                                       + (", ".join(members) or "(it holds none)"))
        return read_model(path)
    bundle, name = split
    data = _open_map(bundle)
    member = next((m for m in _members(bundle, data) if m.name == name), None)
    if member is None:
        raise ModelReadError(path, f"{bundle} holds no TFLite model named {name!r}")
    view = memoryview(data)[member.start:member.start + member.stored_size]
    if member.deflated:
        view = _inflate(path, view, member.size)
    return ModelFile(model=decode_model(view, path), data=view)


# -- files --------------------------------------------------------------------------------

def _open_map(path: str) -> mmap.mmap:
    try:
        with open(path, "rb") as handle:
            if os.fstat(handle.fileno()).st_size == 0:
                raise ModelReadError(path, "the file is empty")
            return mmap.mmap(handle.fileno(), 0, access=mmap.ACCESS_READ)
    except OSError as error:
        raise ModelReadError(path, error.strerror or str(error)) from None


class _mapped:
    """`with _mapped(path) as data`: the file's map, closed at the end of the block."""

    def __init__(self, path: str) -> None:
        self.data = _open_map(path)

    def __enter__(self) -> mmap.mmap:
        return self.data

    def __exit__(self, *exc_info: object) -> None:
        self.data.close()


def _members(path: str, data: mmap.mmap) -> list[Member]:
    if data[:len(LITERTLM_MAGIC)] == LITERTLM_MAGIC:
        return list(_litertlm_members(path, data))
    if data[:4] == LOCAL_HEADER or path.lower().endswith(".task"):
        return list(_zip_members(path, data))
    raise ModelReadError(path, "not a bundle: neither a zip archive (.task) nor a LiteRT-LM "
                               f"file (it starts with {bytes(data[:8])!r})")


# -- MediaPipe .task: a zip archive ---------------------------------------------------

def _zip_members(path: str, data: mmap.mmap) -> Iterator[Member]:
    import zipfile  # only for bundles (ZIP_STORED above says why)

    try:
        infos = zipfile.ZipFile(_MapReader(data)).infolist()
    except (zipfile.BadZipFile, ValueError, struct.error, EOFError, OverflowError,
            NotImplementedError) as error:
        raise ModelReadError(path, f"not a readable zip archive: {error}") from None
    size = len(data)
    for info in infos:
        if info.is_dir():
            continue
        start = _zip_data_start(path, data, info)
        end = start + info.compress_size
        if end > size:
            raise ModelReadError(path, f"member {info.filename!r} claims {info.compress_size} "
                                       f"bytes at byte {start}, past the end of the file "
                                       f"({size} bytes)")
        if not _looks_like_tflite(info.filename, data, start, info):
            continue
        if info.flag_bits & 0x1:
            raise ModelReadError(path, f"member {info.filename!r} is encrypted")
        if info.compress_type not in (ZIP_STORED, ZIP_DEFLATED):
            raise ModelReadError(path, f"member {info.filename!r} is compressed with zip "
                                       f"method {info.compress_type}; tfllint reads stored "
                                       "and deflated members")
        deflated = info.compress_type == ZIP_DEFLATED
        if not deflated and info.file_size != info.compress_size:
            raise ModelReadError(path, f"member {info.filename!r} is stored, yet its sizes "
                                       f"differ ({info.compress_size} and {info.file_size})")
        yield Member(info.filename, start, info.compress_size, info.file_size, deflated)


def _zip_data_start(path: str, data: mmap.mmap, info: zipfile.ZipInfo) -> int:
    at = info.header_offset
    if at < 0 or at + LOCAL_HEADER_SIZE > len(data) or \
            data[at:at + 4] != LOCAL_HEADER:
        raise ModelReadError(path, f"member {info.filename!r}: no local file header at byte "
                                   f"{at}")
    name_length, extra_length = LOCAL_NAME_LENGTHS.unpack_from(data, at + 26)
    return at + LOCAL_HEADER_SIZE + name_length + extra_length


def _looks_like_tflite(name: str, data: mmap.mmap, start: int, info: zipfile.ZipInfo) -> bool:
    """A member is linted when its name says it is a model or its data starts like one."""
    base = name.rsplit("/", 1)[-1]
    if base.lower().endswith(".tflite") or base.upper().startswith("TF_LITE_"):
        return True
    if info.compress_type == ZIP_STORED:
        return data[start + 4:start + 8] == TFLITE_IDENTIFIER
    if info.compress_type == ZIP_DEFLATED:
        try:  # the first 8 bytes; at most 64 bytes of input read
            head = zlib.decompressobj(-zlib.MAX_WBITS).decompress(
                data[start:start + min(info.compress_size, 64)], 8)
        except zlib.error:
            return False
        return head[4:8] == TFLITE_IDENTIFIER
    return False


class _MapReader:
    """A read-only file object over the map, for zipfile (which seeks and reads)."""

    def __init__(self, data: mmap.mmap) -> None:
        self.data, self.position = data, 0

    def seek(self, offset: int, whence: int = 0) -> int:
        base = (0, self.position, len(self.data))[whence]
        self.position = max(0, base + offset)
        return self.position

    def tell(self) -> int:
        return self.position

    def read(self, count: int = -1) -> bytes:
        end = len(self.data) if count is None or count < 0 else self.position + count
        chunk = self.data[self.position:end]
        self.position += len(chunk)
        return chunk


def _inflate(path: str, compressed: memoryview, size: int) -> bytes:
    if size > MAX_INFLATED_BYTES:
        raise ModelReadError(path, f"the member is deflated and {size:,} bytes inflated; "
                                   f"tfllint inflates at most {MAX_INFLATED_BYTES:,} bytes: "
                                   "store it uncompressed (zip -0), which also lets it be "
                                   "memory-mapped")
    try:
        inflater = zlib.decompressobj(-zlib.MAX_WBITS)
        model = inflater.decompress(compressed, size + 1)  # never more than it claims
    except zlib.error as error:
        raise ModelReadError(path, f"the member's deflated data is corrupt: {error}") from None
    if len(model) != size:
        found = f"more than {size:,}" if len(model) > size else f"{len(model):,}"
        raise ModelReadError(path, f"the member inflates to {found} bytes, not the {size:,} "
                                   "its zip header says")
    return model


# -- LiteRT-LM .litertlm --------------------------------------------------------------

def _litertlm_members(path: str, data: mmap.mmap) -> Iterator[Member]:
    from .reader import litertlm_schema
    from .reader.flatbuffer import Decoder, FlatbufferError

    size = len(data)
    if size < LITERTLM_HEADER_START:
        raise ModelReadError(path, f"a LiteRT-LM file of {size} bytes, too short for its "
                                   "header")
    major = struct.unpack_from("<I", data, len(LITERTLM_MAGIC))[0]
    if major != LITERTLM_MAJOR_VERSION:
        raise ModelReadError(path, f"LiteRT-LM file version {major}; the runtime reads major "
                                   f"version {LITERTLM_MAJOR_VERSION}")
    header_end = struct.unpack_from("<Q", data, LITERTLM_HEADER_END_AT)[0]
    if not LITERTLM_HEADER_START < header_end <= min(size, LITERTLM_HEADER_MAX_END):
        raise ModelReadError(path, f"the LiteRT-LM header ends at byte {header_end}; it must "
                                   f"end after byte {LITERTLM_HEADER_START}, inside the file "
                                   f"({size} bytes) and its first "
                                   f"{LITERTLM_HEADER_MAX_END} bytes, which the loader reads")
    header = bytes(data[LITERTLM_HEADER_START:header_end])  # at most 16 KiB
    try:
        decoder = Decoder(header, len(header), litertlm_schema)
        root = decoder.table(decoder.root(), "LiteRTLMMetaData")
    except FlatbufferError as error:
        raise ModelReadError(path, f"corrupt LiteRT-LM header: {error}") from None
    sections = (root["section_metadata"] or {}).get("objects") or ()
    kinds = litertlm_schema.ENUMS["AnySectionDataType"]
    for index, section in enumerate(sections):
        if kinds.get(section["data_type"]) != TFLITE_SECTION:
            continue
        begin, end = section["begin_offset"], section["end_offset"]
        name = _model_type(section) or f"section_{index}"
        if not begin <= end <= size:
            raise ModelReadError(path, f"section {index} ({name}) claims bytes {begin} to "
                                       f"{end}, outside the file ({size} bytes)")
        yield Member(name, begin, end - begin, end - begin)


def _model_type(section: dict) -> str | None:
    """The section's "model_type" item (runtime/util/litert_lm_loader.cc reads it to tell
    the prefill-decode model from the embedders)."""
    for item in section["items"] or ():
        member, _, fields = item["value"] or (None, 0, {})
        if (item["key"] or "").lower() == MODEL_TYPE_KEY and member == "StringValue":
            return fields["value"]
    return None


__all__ = ["BUNDLE_SUFFIXES", "MODEL_SUFFIXES", "model_paths", "read_model_file",
           "split_member_path"]
