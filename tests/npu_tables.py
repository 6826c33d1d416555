"""Helpers of the NPU target tests whose profiles rest on a plugin's op table recorded in
tests/data: read a recorded table, find it in the plugin library the ai-edge-litert wheel
ships, build a chain of one-input ops."""
from __future__ import annotations

import struct
from pathlib import Path

from builder import ModelBuilder, op_code

DATA = Path(__file__).parent / "data"


def recorded(file_name: str, kind: str) -> list[str]:
    """One table of a tests/data file: its "<kind> <NAME>" lines, in order."""
    return [line.split()[1] for line in (DATA / file_name).read_text().splitlines()
            if line.startswith(f"{kind} ")]


def wheel_plugin(vendor: str, library: str) -> Path | None:
    """ai_edge_litert/vendors/<vendor>/compiler/<library> of the installed wheel, if any."""
    try:
        import ai_edge_litert
    except ImportError:
        return None
    path = Path(ai_edge_litert.__file__).parent / "vendors" / vendor / "compiler" / library
    return path if path.is_file() else None


def table_count(library: Path, names: list[str]) -> int:
    """How often the op codes of `names` appear in the library as consecutive little-endian
    int32 values: the layout of a constexpr LiteRtOpCode array."""
    codes = [op_code(name) for name in names]
    return library.read_bytes().count(struct.pack(f"<{len(codes)}i", *codes))


def chain(*ops: str, dtype: str = "FLOAT32") -> bytes:
    """x -> op0 -> op1 -> ... (one-input ops, shape [1, 8], one type throughout)."""
    model = ModelBuilder()
    main = model.subgraph()
    current = first = main.tensor("x", [1, 8], dtype)
    for index, op in enumerate(ops):
        output = main.tensor(f"t{index}", [1, 8], dtype)
        main.op(op, [current], [output])
        current = output
    main.inputs, main.outputs = [first], [current]
    return model.build()
