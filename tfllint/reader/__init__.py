"""Read a .tflite file: memory-map it, verify it, and decode it into a `Model`.

Nothing here trusts the file: the flatbuffer decoder bounds-checks every access and the
model builder checks every index, so any defect becomes one ModelReadError (exit 2).
Constant data is never copied: `ModelFile.buffer_bytes` returns views into the map.
"""
from __future__ import annotations

import mmap
import os
import re

from ..errors import ModelReadError
from ..gc_pause import cyclic_gc_paused
from ..model import Buffer, Model
from ..records import record
from .decode import ModelStructureError, build_model
from .flatbuffer import Decoder, FlatbufferError

FILE_IDENTIFIER = b"TFL3"
# The Model.metadata entry TFLite Support's metadata writer adds (read by support_metadata;
# named here so that finding it needs no import of that reader).
SUPPORT_METADATA_NAME = "TFLITE_METADATA"

# What the first bytes of files people mistake for .tflite models look like.
_KNOWN_MAGIC = (
    (b"PK\x03\x04", "a zip archive (a Keras .keras file or a zipped model?)"),
    (b"\x89HDF", "an HDF5 file (a Keras .h5 model; convert it with the TFLite converter)"),
    (b"\x08", "possibly a protocol buffer (a SavedModel .pb or ONNX model?)"),
)

# A Git LFS pointer checked out in place of the model (git-lfs docs/spec.md): "version
# https://git-lfs.github.com/spec/v1", then sorted "key value" lines such as "oid
# sha256:<hex>" and "size <bytes>"; git-lfs reads pointers only from files under 1024 bytes.
LFS_POINTER_START = b"version https://git-lfs.github.com/spec/"
LFS_POINTER_LIMIT = 1024
LFS_SIZE_LINE = re.compile(rb"^size ([0-9]+)\r?$", re.MULTILINE)


@record
class ModelFile:
    """A decoded model together with the memory map its buffers point into."""

    model: Model
    data: mmap.mmap | bytes

    def buffer_bytes(self, buffer: Buffer) -> memoryview:
        """The buffer's data as a view into the mapped file (no copy)."""
        return memoryview(self.data)[buffer.offset:buffer.offset + buffer.size]


def read_model(path: str | os.PathLike[str]) -> ModelFile:
    """Map and decode `path`; raise ModelReadError with the reason if it is not a model."""
    path_text = os.fspath(path)
    try:
        with open(path_text, "rb") as handle:
            size = os.fstat(handle.fileno()).st_size
            if size == 0:
                raise ModelReadError(path_text, "the file is empty")
            data = mmap.mmap(handle.fileno(), 0, access=mmap.ACCESS_READ)
    except OSError as error:
        raise ModelReadError(path_text, error.strerror or str(error)) from None
    return ModelFile(model=decode_model(data, path_text), data=data)


def decode_model(data: mmap.mmap | bytes, path: str = "<bytes>") -> Model:
    """Verify and decode a whole model held in `data`."""
    size = len(data)
    if size < 8:
        raise ModelReadError(path, f"the file is {size} bytes, too short to be a TFLite model")
    identifier = bytes(data[4:8])
    if identifier != FILE_IDENTIFIER:
        raise ModelReadError(path, _not_a_model_message(bytes(data[:LFS_POINTER_LIMIT])))
    # The tables and vectors of a valid model never overlap, so the bytes the decoder
    # charges add up to at most the file's size; more means offsets that overlap or repeat.
    decoder = Decoder(data, work_budget=size)
    try:
        with cyclic_gc_paused():
            root = decoder.table(decoder.root(), "Model")
            return build_model(root, path, size)
    except (FlatbufferError, ModelStructureError) as error:
        raise ModelReadError(path, f"corrupt model: {error}") from None


def _not_a_model_message(head: bytes) -> str:
    if head.startswith(LFS_POINTER_START):
        return _lfs_pointer_message(head)
    for magic, meaning in _KNOWN_MAGIC:
        if head.startswith(magic):
            return f"not a TFLite model: this looks like {meaning}"
    return (f"not a TFLite model: the file identifier is {head[4:8]!r}, expected "
            f"{FILE_IDENTIFIER!r}")


def _lfs_pointer_message(head: bytes) -> str:
    size = LFS_SIZE_LINE.search(head)
    stored = f" ({int(size[1]):,} bytes in LFS)" if size else ""
    return (f"a Git LFS pointer, not the model{stored}: run `git lfs pull` to fetch it "
            "(after `git lfs install` if Git LFS is new on this machine)")


__all__ = ["ModelFile", "read_model", "decode_model"]
