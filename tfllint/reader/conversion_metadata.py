"""The converter's `CONVERSION_METADATA` entry: what the conversion was asked to do.

The TFLite converter stores a small `ConversionMetadata` flatbuffer (schema
tflite/converter/schema/conversion_metadata.fbs) in every model it writes. Its
`options.model_optimization_modes` lists the quantization the caller *requested*:
tflite/python/lite.py (`_save_conversion_params_metric`) appends PTQ_DYNAMIC_RANGE when
`optimizations` were set without a representative dataset, whatever the quantizer then
managed to quantize. Only the two fields tfllint uses are read, each bounds-checked; a
damaged entry reads as absent rather than failing the lint.
"""
from __future__ import annotations

import struct

from ..model import unknown
from ..records import record

METADATA_NAME = "CONVERSION_METADATA"
# ModelOptimizationMode values, conversion_metadata.fbs.
OPTIMIZATION_MODES = {
    1001: "PTQ_FLOAT16", 1002: "PTQ_DYNAMIC_RANGE", 1003: "PTQ_FULL_INTEGER",
    1004: "PTQ_INT16", 2000: "QUANTIZATION_AWARE_TRAINING", 3001: "RANDOM_SPARSITY",
    3002: "BLOCK_SPARSITY", 3003: "STRUCTURED_SPARSITY",
}
# Field slots, in conversion_metadata.fbs order.
_ROOT_ENVIRONMENT, _ROOT_OPTIONS = 0, 1
_ENVIRONMENT_TENSORFLOW_VERSION = 0
_OPTIONS_OPTIMIZATION_MODES = 0
_MAX_MODES = 64  # the enum has 8 values; a longer vector is damage


@record
class ConversionMetadata:
    tensorflow_version: str | None  # the converter's TensorFlow version, e.g. "2.21.0"
    optimization_modes: tuple[str, ...]  # OPTIMIZATION_MODES names, or UNKNOWN(n)


class _Damaged(ValueError):
    pass


class _Reader:
    def __init__(self, data: bytes) -> None:
        self.data = data

    def _unpack(self, fmt: str, offset: int) -> int:
        size = struct.calcsize(fmt)
        if offset < 0 or offset + size > len(self.data):
            raise _Damaged(offset)
        return struct.unpack_from(fmt, self.data, offset)[0]

    def root(self) -> int:
        return self._unpack("<I", 0)

    def field(self, table: int, slot: int) -> int | None:
        """Where the field's value is stored, or None when the table leaves it out."""
        vtable = table - self._unpack("<i", table)
        vtable_size = self._unpack("<H", vtable)
        entry = 4 + 2 * slot
        if entry + 2 > vtable_size:
            return None
        offset = self._unpack("<H", vtable + entry)
        return table + offset if offset else None

    def indirect(self, position: int) -> int:
        return position + self._unpack("<I", position)

    def table(self, table: int, slot: int) -> int | None:
        position = self.field(table, slot)
        return None if position is None else self.indirect(position)

    def int32_vector(self, table: int, slot: int) -> tuple[int, ...]:
        position = self.field(table, slot)
        if position is None:
            return ()
        vector = self.indirect(position)
        length = self._unpack("<I", vector)
        if length > _MAX_MODES or vector + 4 + 4 * length > len(self.data):
            raise _Damaged(vector)
        return struct.unpack_from(f"<{length}i", self.data, vector + 4)

    def string(self, table: int, slot: int) -> str | None:
        position = self.field(table, slot)
        if position is None:
            return None
        start = self.indirect(position)
        length = self._unpack("<I", start)
        if start + 4 + length > len(self.data):
            raise _Damaged(start)
        return self.data[start + 4:start + 4 + length].decode("utf-8", "replace")


def parse_conversion_metadata(data: bytes | memoryview) -> ConversionMetadata | None:
    """The entry's contents, or None when the bytes are not a readable ConversionMetadata."""
    reader = _Reader(bytes(data))
    try:
        root = reader.root()
        environment = reader.table(root, _ROOT_ENVIRONMENT)
        options = reader.table(root, _ROOT_OPTIONS)
        version = (reader.string(environment, _ENVIRONMENT_TENSORFLOW_VERSION)
                   if environment is not None else None)
        modes = (reader.int32_vector(options, _OPTIONS_OPTIMIZATION_MODES)
                 if options is not None else ())
    except _Damaged:
        return None
    return ConversionMetadata(
        tensorflow_version=version,
        optimization_modes=tuple(OPTIMIZATION_MODES.get(mode, unknown(mode)) for mode in modes))
