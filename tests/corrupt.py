"""Deterministic corruptions of the sample models, for tests/test_corruption.py.

`generate_cases(models)` returns a list of `Case`s (a readable id and the corrupt bytes),
the same list on every run: each kind of damage has its own small generator below, each
drawing from a random.Random seeded with SEED, the model and the kind (change SEED to
explore other corruptions).

To damage the places a reader trusts most, `Layout` walks the (valid) sample model once
and records where its offsets, vector lengths, vtable pointers and scalar fields lie.
The walk uses only the schema data in tfllint.reader.tflite_schema and its own
struct.unpack_from calls, not tfllint's decoder, so it keeps working whatever that
decoder does internally.
"""
from __future__ import annotations

import random
import struct
import zlib
from dataclasses import dataclass, field
from pathlib import Path
from types import ModuleType

import flatbuffers

from tfllint.reader import metadata_schema, tflite_schema

SEED = 20240521
U32 = struct.Struct("<I")
I32 = struct.Struct("<i")
SCALAR_SIZES = {fmt: struct.calcsize("<" + fmt) for fmt in "?bBhHiIqQfd"}


@dataclass(frozen=True)
class Case:
    id: str  # e.g. "cnn_int8-bitflip-0017"
    kind: str  # a key of GENERATORS, or "not-a-model"
    data: bytes


# -- where the structure lies in a valid flatbuffer -----------------------------------------

@dataclass
class Layout:
    """Byte positions of the structure of one valid flatbuffer (all absolute positions)."""

    tables: dict[int, str] = field(default_factory=dict)  # table start -> table type
    offsets: list[int] = field(default_factory=list)  # uoffset fields and vector entries
    lengths: list[int] = field(default_factory=list)  # vector and string length words
    vtables: list[int] = field(default_factory=list)  # vtable starts (vtable/object length)
    # (position, struct format, "Table.field") of every scalar field stored in the file.
    scalars: list[tuple[int, str, str]] = field(default_factory=list)
    # Vectors of tables: (length word position, element count, element table type).
    table_vectors: list[tuple[int, int, str]] = field(default_factory=list)
    # Byte vectors ([ubyte]: weights, metadata): (data start, length).
    blobs: list[tuple[int, int]] = field(default_factory=list)
    # (table type, field name) -> positions of that offset field, in walk order.
    fields: dict[tuple[str, str], list[int]] = field(default_factory=dict)
    # "Table.field" -> length word positions of the vectors or strings it names.
    field_lengths: dict[str, list[int]] = field(default_factory=dict)

    @classmethod
    def of(cls, data: bytes, root_table: str = "Model",
           schema: ModuleType = tflite_schema, base: int = 0) -> "Layout":
        """Walk the flatbuffer held in data[base:] from its root table."""
        layout = cls()
        layout.offsets.append(base)
        layout._table(data, base + U32.unpack_from(data, base)[0], root_table, schema)
        return layout

    def _follow(self, data: bytes, position: int) -> int:
        self.offsets.append(position)
        return position + U32.unpack_from(data, position)[0]

    def _vector(self, data: bytes, position: int) -> tuple[int, int]:
        self.lengths.append(position)
        return position + 4, U32.unpack_from(data, position)[0]

    def _table(self, data: bytes, position: int, table: str, schema: ModuleType) -> None:
        if position in self.tables:
            return
        self.tables[position] = table
        vtable = position - I32.unpack_from(data, position)[0]
        self.vtables.append(vtable)
        vtable_length = struct.unpack_from("<H", data, vtable)[0]
        union_types: dict[str, int] = {}
        for slot, (name, kind, argument, _default) in enumerate(schema.TABLES[table]):
            entry = 4 + 2 * slot
            field_offset = struct.unpack_from("<H", data, vtable + entry)[0] \
                if entry < vtable_length else 0
            if not field_offset:
                continue
            where = position + field_offset
            if kind in ("scalar", "enum"):
                fmt = argument if kind == "scalar" else argument[1]
                self.scalars.append((where, fmt, f"{table}.{name}"))
            elif kind == "union_type":
                union_types[name] = data[where]
                self.scalars.append((where, "B", f"{table}.{name}"))
            else:
                self.fields.setdefault((table, name), []).append(where)
                target = self._follow(data, where)
                if kind.startswith("vector") or kind == "string":
                    self.field_lengths.setdefault(f"{table}.{name}", []).append(target)
                self._reference(data, target, name, kind, argument, union_types, schema)

    def _reference(self, data: bytes, target: int, name: str, kind: str, argument,
                   union_types: dict[str, int], schema: ModuleType) -> None:
        if kind == "string":
            self._vector(data, target)
        elif kind == "table":
            self._table(data, target, argument, schema)
        elif kind == "union":
            member = schema.UNIONS[argument].get(union_types.get(name + "_type", 0))
            if member in schema.TABLES:
                self._table(data, target, member, schema)
        elif kind in ("vector_scalar", "vector_enum"):
            start, count = self._vector(data, target)
            if argument == "B":
                self.blobs.append((start, count))
        elif kind in ("vector_string", "vector_table"):
            start, count = self._vector(data, target)
            if kind == "vector_table":
                self.table_vectors.append((target, count, argument))
            for entry in range(start, start + 4 * count, 4):
                element = self._follow(data, entry)
                if kind == "vector_table":
                    self._table(data, element, argument, schema)
                else:
                    self._vector(data, element)


def metadata_layout(data: bytes) -> Layout | None:
    """The layout of the TFLite Support metadata flatbuffer (M001) inside a model, if any."""
    for start, length in Layout.of(data).blobs:
        if length >= 8 and data[start + 4:start + 8] == b"M001":
            return Layout.of(data, "ModelMetadata", metadata_schema, base=start)
    return None


# -- helpers ------------------------------------------------------------------------------

def put_u32(data: bytes, position: int, value: int) -> bytes:
    """`data` with the 32-bit little-endian word at `position` replaced by `value`."""
    out = bytearray(data)
    out[position:position + 4] = U32.pack(value & 0xFFFFFFFF)
    return bytes(out)


def hostile_words(size: int) -> tuple[int, ...]:
    """Values a corrupt offset or length field is likely to hold, for a file of `size`."""
    return (0xFFFFFFFF, 0x7FFFFFFF, 0x80000000, size, max(size - 4, 0), 0,
            0xFFFFFFFC, size // 4, 1)


# -- the generators: one per kind of damage -------------------------------------------------

def truncations(data: bytes, rng: random.Random) -> list[bytes]:
    """Prefixes of the file: empty, a few bytes, the header, random lengths, one byte short."""
    lengths = [0, 1, 4, 7, 8, 12, 16, len(data) // 2, len(data) - 4, len(data) - 1]
    lengths += [rng.randrange(1, len(data)) for _ in range(6)]
    return [data[:n] for n in lengths]


def bit_flips(data: bytes, rng: random.Random) -> list[bytes]:
    """Single bit flips anywhere, single flips in the first 512 bytes where the root and
    most vtables live, and bursts of 2 to 32 flips."""
    cases = []
    for count, window in [(1, len(data))] * 10 + [(1, min(512, len(data)))] * 8 \
            + [(rng.randint(2, 32), len(data)) for _ in range(8)]:
        out = bytearray(data)
        for _ in range(count):
            out[rng.randrange(window)] ^= 1 << rng.randrange(8)
        cases.append(bytes(out))
    return cases


def hostile_offsets(data: bytes, layout: Layout, rng: random.Random) -> list[bytes]:
    """uoffsets the real structure follows (the root offset and the first fields first),
    overwritten with hostile words: huge, negative as int32, the file length, 0, ..."""
    words = hostile_words(len(data))
    positions = list(dict.fromkeys(layout.offsets[:8]))
    others = sorted(set(layout.offsets) - set(positions))
    positions += rng.sample(others, min(len(others), 10))
    return [put_u32(data, p, words[i % len(words)]) for i, p in enumerate(positions)]


def hostile_lengths(data: bytes, layout: Layout, rng: random.Random) -> list[bytes]:
    """Vector and string lengths the real structure uses (the Model table's vectors
    first), overwritten with counts that would allocate gigabytes if trusted, or that
    reach exactly to the end of the file, or 0."""
    positions = list(dict.fromkeys(layout.lengths[:8]))
    others = sorted(set(layout.lengths) - set(positions))
    positions += rng.sample(others, min(len(others), 8))
    cases = []
    for i, position in enumerate(positions):
        to_end = (len(data) - position - 4) // 4  # a vector of int32 filling the rest
        words = (0xFFFFFFFF, 0x7FFFFFFF, 0x80000000, 0x3FFFFFFF, to_end, to_end + 1,
                 len(data), 0)
        cases.append(put_u32(data, position, words[i % len(words)]))
    return cases


def hostile_scalars(data: bytes, layout: Layout, rng: random.Random) -> list[bytes]:
    """The first stored instance of every scalar field (indices, versions, enum codes,
    Buffer offset/size, scales) set to an extreme: -1, the largest values, NaN, ..."""
    extremes = {1: (0xFF, 0x80, 0x7F), 2: (0xFFFF, 0x8000, 0x7FFF),
                4: (0xFFFFFFFF, 0x80000000, 0x7FFFFFFF),
                8: (0xFFFFFFFFFFFFFFFF, 0x8000000000000000, 0x7FFFFFFFFFFFFFFF,
                    len(data) - 1)}
    first_of_field = {}
    for position, fmt, name in layout.scalars:
        first_of_field.setdefault(name, (position, fmt))
    cases = []
    for name in sorted(first_of_field):
        position, fmt = first_of_field[name]
        size = SCALAR_SIZES[fmt]
        if fmt in "fd":  # scales, min/max: NaN or infinity
            value = struct.pack("<" + fmt, rng.choice([float("nan"), float("inf")]))
        else:
            value = rng.choice(extremes[size]).to_bytes(size, "little")
        out = bytearray(data)
        out[position:position + size] = value
        cases.append(bytes(out))
    return cases


def empty_vectors(data: bytes, layout: Layout, rng: random.Random) -> list[bytes]:
    """The first vector or string of every field made empty (length 0): a well-formed
    file whose contents contradict each other (a scale without a zero point, an op
    without outputs, a model without op codes), which reaches the rules and reports."""
    return [put_u32(data, positions[0], 0) for _, positions in sorted(layout.field_lengths.items())]


def hostile_scan(data: bytes, rng: random.Random, limit: int = 96) -> list[bytes]:
    """Every 4-byte aligned word of the first `limit` bytes (root offset, identifier, the
    Model table and its vtable) overwritten, cycling through the hostile words."""
    words = hostile_words(len(data))
    return [put_u32(data, p, words[(p // 4 + rng.randrange(3)) % len(words)])
            for p in range(0, min(limit, len(data) - 3), 4)]


def vtable_damage(data: bytes, layout: Layout, rng: random.Random) -> list[bytes]:
    """Tables whose vtable pointer (soffset) points outside the file, at the table itself,
    or at random bytes; vtables whose lengths or field offsets are huge or odd."""
    size = len(data)
    tables = rng.sample(sorted(layout.tables), min(len(layout.tables), 3))
    cases = []
    for position in tables:
        for soffset in (0, position + 1, -size, 0x7FFFFFFF, -0x80000000, position - size + 2):
            cases.append(data[:position] + I32.pack(soffset) + data[position + 4:])
    for vtable in rng.sample(sorted(set(layout.vtables)), min(len(set(layout.vtables)), 2)):
        for vtable_length, object_length in ((0xFFFF, 4), (4, 0xFFFF), (3, 8), (5, 8), (0, 0)):
            cases.append(data[:vtable] + struct.pack("<HH", vtable_length, object_length)
                         + data[vtable + 4:])
        out = bytearray(data)  # every field offset huge
        vtable_length = struct.unpack_from("<H", data, vtable)[0]
        for entry in range(vtable + 4, min(vtable + vtable_length, size - 1), 2):
            out[entry:entry + 2] = b"\xfc\xff"
        cases.append(bytes(out))
    return cases


def random_runs(data: bytes, rng: random.Random) -> list[bytes]:
    """Runs of 4 to 64 random bytes (or 0xFF / 0x00) written over random places."""
    cases = []
    for filler in ("random", "random", "random", "ff", "00", "random"):
        length = rng.randint(4, 64)
        start = rng.randrange(0, max(len(data) - length, 1))
        run = {"ff": b"\xff" * length, "00": b"\x00" * length}.get(
            filler, rng.randbytes(length))
        cases.append(data[:start] + run + data[start + length:])
    return cases


def garbage_ends(data: bytes, rng: random.Random) -> list[bytes]:
    """Garbage prepended (every offset now points elsewhere) or appended (harmless)."""
    return [rng.randbytes(4) + data, rng.randbytes(rng.randint(5, 300)) + data,
            b"\x00" * 8 + data, data + rng.randbytes(rng.randint(1, 4096)),
            data + b"\xff" * 17, data + data]


def self_references(data: bytes, layout: Layout, rng: random.Random) -> list[bytes]:
    """Shared references and type confusion (uoffsets only point forward, so true cycles
    cannot be written): two vector entries naming one table; every entry of the longest
    table vector naming the heaviest table after it (tests the work budget); every entry
    of every table vector naming the last table of the file, whatever its type; a vector
    length grown to cover the rest of the file; a uoffset of 0 (naming its own word)."""
    vectors = sorted(layout.table_vectors, key=lambda v: -v[1])
    if not vectors:
        return []
    cases = []
    multi = [v for v in vectors if v[1] >= 2]
    if multi:
        position, count, _ = rng.choice(multi)
        first, second = position + 4, position + 8
        target = first + U32.unpack_from(data, first)[0]
        cases.append(put_u32(data, second, target - second))
    position, count, _ = vectors[0]
    end = position + 4 + 4 * count
    later = [t for t in layout.tables if t >= end]
    if later:
        heavy = max(later, key=lambda t: _table_weight(data, layout.tables[t], t))
        cases.append(_point_entries(data, [vectors[0]], heavy))
    cases.append(_point_entries(data, vectors, max(layout.tables)))
    cases.append(put_u32(data, position, (len(data) - position - 4) // 4))
    cases.append(put_u32(data, rng.choice(layout.offsets[1:] or [0]), 0))
    return cases


def _point_entries(data: bytes, vectors: list[tuple[int, int, str]], target: int) -> bytes:
    """Every entry of `vectors` that lies before `target` made to point at it."""
    out = data
    for position, count, _ in vectors:
        for entry in range(position + 4, position + 4 + 4 * count, 4):
            if target >= entry:
                out = put_u32(out, entry, target - entry)
    return out


def _table_weight(data: bytes, table: str, position: int) -> int:
    """Roughly the work of decoding the table at `position`: tables plus vector elements."""
    layout = Layout()
    layout._table(data, position, table, tflite_schema)
    return len(layout.tables) + sum(U32.unpack_from(data, p)[0] for p in layout.lengths)


# (field redirected to the bomb, entries of the outer vector, what the shared table is,
#  entries of the shared SubGraph's inner vector)
BOMBS = (
    ("Model.subgraphs", 1000, "SubGraph.tensors", 1000),
    ("Model.subgraphs", 60, "SubGraph.tensors", 3000),
    ("Model.subgraphs", 300, "SubGraph.operators", 1000),
    ("Model.subgraphs", 3000, "SubGraph", 0),
    ("Model.buffers", 4000, "Buffer", 0),
    ("Model.operator_codes", 4000, "OperatorCode", 0),
    ("SubGraph.tensors", 4000, "Tensor", 0),
    ("SubGraph.operators", 4000, "Operator", 0),
)


def shared_table_bombs(data: bytes, layout: Layout, rng: random.Random) -> list[bytes]:
    """A small flatbuffer appended to the model, holding vectors whose entries all name
    one table, and one offset field of the model redirected to it.  Decoding it naively
    means decoding the shared table fan_out * fan_in times: up to a million tables from a
    few kilobytes, which the reader must refuse quickly and without a huge allocation.
    """
    cases = []
    for field_name, fan_out, shared, fan_in in BOMBS:
        positions = layout.fields.get(tuple(field_name.split(".")))
        if not positions:
            continue
        start = (len(data) + 7) // 8 * 8
        bomb = _bomb(fan_out, shared, fan_in)
        out = bytearray(data + bytes(start - len(data)) + bomb)
        target = start + U32.unpack_from(bomb, 0)[0]  # the bomb's root: the outer vector
        out[positions[0]:positions[0] + 4] = U32.pack(target - positions[0])
        cases.append(bytes(out))
    return cases


def _bomb(fan_out: int, shared: str, fan_in: int) -> bytes:
    """A flatbuffer whose root offset names a vector of `fan_out` entries that all name one
    table: a Tensor with a shape, or an empty table of type `shared`, or a SubGraph whose
    tensors or operators vector has `fan_in` entries that all name one table."""
    builder = flatbuffers.Builder(1024)

    def shared_vector(target: int, count: int) -> int:
        builder.StartVector(4, count, 4)
        for _ in range(count):
            builder.PrependUOffsetTRelative(target)
        return builder.EndVector()

    def empty_table() -> int:
        builder.StartObject(0)
        return builder.EndObject()

    def tensor() -> int:
        builder.StartVector(4, 4, 4)
        for dim in (4, 3, 2, 1):
            builder.PrependInt32(dim)
        shape = builder.EndVector()
        builder.StartObject(4)
        builder.PrependUOffsetTRelativeSlot(0, shape, 0)
        return builder.EndObject()

    if shared.startswith("SubGraph."):
        inner = shared_vector(tensor() if shared.endswith("tensors") else empty_table(), fan_in)
        builder.StartObject(4)
        builder.PrependUOffsetTRelativeSlot(0 if shared.endswith("tensors") else 3, inner, 0)
        table = builder.EndObject()
    elif shared == "Tensor":
        table = tensor()
    else:  # every field at its default: the cheapest table to store, per entry
        table = empty_table()
    builder.Finish(shared_vector(table, fan_out))
    return bytes(builder.Output())


def metadata_damage(data: bytes, rng: random.Random) -> list[bytes]:
    """Hostile offsets and lengths inside the TFLite Support metadata flatbuffer, which
    `tfllint inspect` decodes with the same decoder."""
    layout = metadata_layout(data)
    if layout is None:
        return []
    words = hostile_words(len(data))
    positions = sorted(set(layout.offsets + layout.lengths))
    chosen = rng.sample(positions, min(len(positions), 16))
    return [put_u32(data, p, words[i % len(words)]) for i, p in enumerate(chosen)]


def not_models(rng: random.Random) -> list[tuple[str, bytes]]:
    """Files people mistake for models, and files that are not models at all."""
    return [
        ("empty", b""),
        ("one-byte", b"\x00"),
        ("random-16", rng.randbytes(16)),
        ("random-4k", rng.randbytes(4096)),
        ("zip", b"PK\x03\x04" + rng.randbytes(200)),
        ("hdf5", b"\x89HDF\r\n\x1a\n" + rng.randbytes(200)),
        ("protobuf", b"\x08\x07\x12\x04" + rng.randbytes(60)),
        ("text", b"This is not a model, it is a README.\n" * 20),
        ("json", b'{"format": "layers-model", "modelTopology": {}}\n'),
        ("zeros", b"\x00" * 1024),
        ("ones", b"\xff" * 1024),
        ("identifier-only", b"\x00\x00\x00\x00TFL3"),
        ("identifier-root-past-end", b"\xff\xff\xff\x7fTFL3"),
        ("identifier-root-self", b"\x00\x00\x00\x00TFL3" + b"\x00" * 8),
        ("identifier-tiny-table", b"\x08\x00\x00\x00TFL3\x04\x00\x00\x00\x04\x00\x04\x00"),
        ("gzip", zlib.compress(rng.randbytes(300))),
    ]


GENERATORS = {
    "truncate": lambda data, layout, rng: truncations(data, rng),
    "bitflip": lambda data, layout, rng: bit_flips(data, rng),
    "offset": hostile_offsets,
    "length": hostile_lengths,
    "scalar": hostile_scalars,
    "empty": empty_vectors,
    "scan": lambda data, layout, rng: hostile_scan(data, rng),
    "vtable": vtable_damage,
    "run": lambda data, layout, rng: random_runs(data, rng),
    "garbage": lambda data, layout, rng: garbage_ends(data, rng),
    "selfref": self_references,
    "bomb": shared_table_bombs,
    "metadata": lambda data, layout, rng: metadata_damage(data, rng),
}


def generate_cases(models: list[Path]) -> list[Case]:
    """Every corruption of every model, plus the not-a-model files; deterministic."""
    cases = []
    for model in sorted(models):
        data = model.read_bytes()
        layout = Layout.of(data)
        for kind, generator in GENERATORS.items():
            rng = random.Random(f"{SEED}-{model.stem}-{kind}")
            for number, corrupt in enumerate(generator(data, layout, rng)):
                cases.append(Case(f"{model.stem}-{kind}-{number:04d}", kind, corrupt))
    rng = random.Random(f"{SEED}-not-a-model")
    cases += [Case(f"not-a-model-{name}", "not-a-model", data) for name, data in not_models(rng)]
    return cases
