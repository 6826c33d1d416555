"""Models LiteRT already compiled for an NPU: its build stamp and its dispatch ops.

LiteRT's ahead-of-time flow (apply_plugin_main, ai_edge_litert.aot) replaces each partition
a vendor's compiler plugin selected by a custom op DISPATCH_OP, appends the vendor's
bytecode to the file, and stamps the model with the SoC it was compiled for. At
google-ai-edge/LiteRT@f67457790c9c:
- litert/core/build_stamp.{h,cc}: metadata "LiteRtStamp", a 250-byte record of two
  NUL-padded strings of 125 bytes, the plugin's SoC manufacturer then the SoC model;
  litert/core/model/model.cc IsCompiled: a model with a readable stamp is compiled, and
  CompiledModel (litert/runtime/compiled_model.cc) then applies no plugin to it.
- litert/core/dispatch_op_schema.cc: the dispatch op's custom options are a flexbuffer map
  {bytecode_size, bytecode_offset (from the start of the file), name (the entry point)};
  litert/core/model/model_load.cc refuses a model whose bytecode range leaves the file.
- litert/runtime/dispatch/dispatch_delegate.cc: the NPU accelerator's dispatch delegate
  claims every DISPATCH_OP and hands it to the vendor's dispatch library on the device.
"""
from __future__ import annotations

import struct
import weakref

from ..records import record

DISPATCH_OP = "DISPATCH_OP"
STAMP_METADATA = "LiteRtStamp"
STAMP_FIELD = 125  # kSocManufacturerMaxLen + 1, kSocModelMaxLen + 1


@record
class BuildStamp:
    manufacturer: str  # the plugin's LiteRtGetCompilerPluginSocManufacturer(): "Qualcomm", ...
    soc_model: str  # as given to the compiler: "SM8650", "mt6989", "Tensor_G4", ...

    @property
    def text(self) -> str:
        return f"{self.manufacturer} {self.soc_model}".strip()


@record
class DispatchOp:
    subgraph: int
    op_index: int
    name: str | None  # the entry point in the bytecode; None when the options are unreadable
    bytecode_offset: int | None
    bytecode_size: int | None


@record
class CompiledModel:
    stamp: BuildStamp | None  # None: no (readable) LiteRtStamp metadata
    dispatch_ops: tuple[DispatchOp, ...]
    file_size: int

    def without_bytecode(self) -> tuple[DispatchOp, ...]:
        """Dispatch ops whose custom options name no bytecode: the output of LiteRT's
        partition step (apply_plugin_main --cmd=partition), which leaves them empty and
        outlines each partition's ops into a subgraph of its own, before any compile."""
        return tuple(op for op in self.dispatch_ops if op.bytecode_offset is None)

    def bytecode_outside(self) -> tuple[DispatchOp, ...]:
        """Dispatch ops whose bytecode range is not inside the file (model_load.cc refuses
        to load such a model)."""
        return tuple(op for op in self.dispatch_ops if op.bytecode_offset is not None
                     and op.bytecode_offset + op.bytecode_size > self.file_size)


def parse_stamp(data: bytes | memoryview | None) -> BuildStamp | None:
    """ParseBuildStamp: exactly 250 bytes, two NUL-terminated strings."""
    if data is None or len(data) != 2 * STAMP_FIELD:
        return None
    raw = bytes(data)
    fields = [raw[start:start + STAMP_FIELD].split(b"\0", 1)[0].decode("utf-8", "replace")
              for start in (0, STAMP_FIELD)]
    return BuildStamp(*fields)


_CACHE: "weakref.WeakKeyDictionary" = weakref.WeakKeyDictionary()


def compiled_model(view) -> CompiledModel | None:
    """The LiteRT compile facts of the model, or None when it has no DISPATCH_OP and no
    stamp (computed once per view)."""
    if view in _CACHE:
        return _CACHE[view]
    has_dispatch = any(code.name == "CUSTOM" and code.custom_code == DISPATCH_OP
                       for code in view.model.operator_codes)
    stamp = parse_stamp(view.metadata_bytes(STAMP_METADATA))
    result = None
    if has_dispatch or stamp is not None:
        result = CompiledModel(stamp, tuple(_dispatch_ops(view)) if has_dispatch else (),
                               view.model.size_bytes)
    _CACHE[view] = result
    return result


def _dispatch_ops(view):
    spans = _custom_option_spans(view)
    data = view.file.data
    for subgraph in view.model.subgraphs:
        for op in subgraph.operators:
            if op.opcode.name != "CUSTOM" or op.opcode.custom_code != DISPATCH_OP:
                continue
            span = spans.get((subgraph.index, op.index))
            options = read_flexbuffer_map(data[span[0]:span[0] + span[1]]) if span else None
            options = options or {}
            offset, size = options.get("bytecode_offset"), options.get("bytecode_size")
            name = options.get("name")
            valid = isinstance(offset, int) and isinstance(size, int)
            yield DispatchOp(subgraph.index, op.index, name if isinstance(name, str) else None,
                             offset if valid else None, size if valid else None)


def _custom_option_spans(view) -> dict[tuple[int, int], tuple[int, int]]:
    """(subgraph, op) -> (file offset, length) of each op's custom options. The model
    record keeps only their length, so the (verified) file is decoded once more: this runs
    only for a model with dispatch ops."""
    from ..reader.flatbuffer import ByteSpan, Decoder

    data = view.file.data
    decoder = Decoder(data, work_budget=len(data))
    root = decoder.table(decoder.root(), "Model")
    spans = {}
    for s, subgraph in enumerate(root["subgraphs"] or ()):
        for o, op in enumerate(subgraph["operators"] or ()):
            custom = op["custom_options"]
            if isinstance(custom, ByteSpan):
                spans[(s, o)] = (custom.offset, custom.length)
    return spans


# -- flexbuffers: just enough to read a map of integers and strings ------------------------

_INT, _UINT, _KEY, _STRING, _INDIRECT_INT, _INDIRECT_UINT, _MAP = 1, 2, 4, 5, 6, 7, 9


def read_flexbuffer_map(buffer) -> dict[str, int | str] | None:
    """The root map of a flexbuffer, its integer and string values; None when the bytes are
    not such a map (every read is bounds-checked)."""
    data = bytes(buffer)
    try:
        root_width = data[-1]
        packed = data[-2]
        root = len(data) - 2 - root_width
        if packed >> 2 != _MAP:
            return None
        start = root - _uint(data, root, root_width)
        width = 1 << (packed & 3)
        size = _uint(data, start - width, width)
        keys_field = start - 3 * width
        keys = keys_field - _uint(data, keys_field, width)
        key_width = _uint(data, start - 2 * width, width)
        if _uint(data, keys - key_width, key_width) != size or start + size * (width + 1) > root:
            return None
        result: dict[str, int | str] = {}
        for i in range(size):
            key_at = keys + i * key_width
            key = _cstring(data, key_at - _uint(data, key_at, key_width))
            value_at = start + i * width
            kind = data[start + size * width + i]
            value = _value(data, value_at, width, kind)
            if value is not None:
                result[key] = value
        return result
    except (IndexError, struct.error, UnicodeDecodeError, ValueError):
        return None


def _value(data: bytes, at: int, width: int, kind: int) -> int | str | None:
    kind_type, child_width = kind >> 2, 1 << (kind & 3)
    if kind_type == _UINT:
        return _uint(data, at, width)
    if kind_type == _INT:
        return _int(data, at, width)
    if kind_type in (_INDIRECT_UINT, _INDIRECT_INT):
        target = at - _uint(data, at, width)
        read = _uint if kind_type == _INDIRECT_UINT else _int
        return read(data, target, child_width)
    if kind_type in (_STRING, _KEY):
        target = at - _uint(data, at, width)
        if kind_type == _KEY:
            return _cstring(data, target)
        length = _uint(data, target - child_width, child_width)
        if target < 0 or target + length > len(data):
            raise ValueError("string outside the buffer")
        return data[target:target + length].decode("utf-8")
    return None


_FORMATS = {1: "B", 2: "H", 4: "I", 8: "Q"}


def _uint(data: bytes, at: int, width: int) -> int:
    if at < 0 or width not in _FORMATS:
        raise ValueError("offset outside the buffer")
    return struct.unpack_from("<" + _FORMATS[width], data, at)[0]


def _int(data: bytes, at: int, width: int) -> int:
    if at < 0 or width not in _FORMATS:
        raise ValueError("offset outside the buffer")
    return struct.unpack_from("<" + _FORMATS[width].lower(), data, at)[0]


def _cstring(data: bytes, at: int) -> str:
    end = data.index(b"\0", at) if at >= 0 else -1
    if end < 0:
        raise ValueError("key outside the buffer")
    return data[at:end].decode("utf-8")
