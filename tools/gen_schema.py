"""Turn a FlatBuffers schema (schema.fbs) into tfllint's compact schema data module.

tfllint reads .tflite files with its own bounds-checked reader (tfllint/reader/flatbuffer.py)
instead of generated bindings, so it needs the schema as data: enum values, union members,
and every table's fields in slot order. This script is run by hand when the upstream schema
grows; its output is committed.

    python tools/gen_schema.py path/to/schema.fbs --source "google-ai-edge/LiteRT@<commit> \
        tflite/converter/schema/schema.fbs" --module tfllint/reader/tflite_schema.py
"""
from __future__ import annotations

import argparse
import pprint
import re
from pathlib import Path

SCALAR_FORMATS = {
    "bool": "?", "byte": "b", "ubyte": "B", "int8": "b", "uint8": "B",
    "short": "h", "ushort": "H", "int16": "h", "uint16": "H",
    "int": "i", "uint": "I", "int32": "i", "uint32": "I",
    "long": "q", "ulong": "Q", "int64": "q", "uint64": "Q",
    "float": "f", "float32": "f", "double": "d", "float64": "d",
}

DECLARATION = re.compile(
    r"\b(enum|union|table|struct)\s+(\w+)\s*(?::\s*(\w+))?\s*(\([^)]*\))?\s*\{(.*?)\}", re.S)
FIELD = re.compile(
    r"^\s*(\w+)\s*:\s*(\[?\s*\w+\s*\]?)\s*(?:=\s*([^;(]+?))?\s*(\([^)]*\))?\s*;\s*$")


def strip_comments(text: str) -> str:
    return re.sub(r"//[^\n]*", "", text)


def parse(text: str) -> tuple[dict, dict, dict, dict]:
    enums: dict[str, dict[int, str]] = {}
    enum_formats: dict[str, str] = {}
    unions: dict[str, dict[int, str]] = {}
    raw_tables: dict[str, list[tuple[str, str, str | None]]] = {}
    for kind, name, base, _attrs, body in DECLARATION.findall(strip_comments(text)):
        if kind == "enum":
            enums[name] = parse_enum_body(body)
            enum_formats[name] = SCALAR_FORMATS[base]
        elif kind == "union":
            members = [m.split("(")[0].strip() for m in body.split(",") if m.strip()]
            unions[name] = {i + 1: member for i, member in enumerate(members)}
        elif kind == "table":
            raw_tables[name] = [parse_field(line) for line in body.split(";") if line.strip()]
        else:
            raise SystemExit(f"structs are not supported by this generator: {name}")
    tables = {name: resolve_fields(fields, enums, enum_formats, unions)
              for name, fields in raw_tables.items()}
    return enums, enum_formats, unions, tables


def parse_enum_body(body: str) -> dict[int, str]:
    values: dict[int, str] = {}
    next_value = 0
    for item in body.split(","):
        item = re.sub(r"\([^)]*\)", "", item).strip()
        if not item:
            continue
        if "=" in item:
            label, value = (part.strip() for part in item.split("="))
            next_value = int(value, 0)
        else:
            label = item
        values[next_value] = label
        next_value += 1
    return values


def parse_field(line: str) -> tuple[str, str, str | None]:
    match = FIELD.match(line + ";")
    if not match:
        raise SystemExit(f"cannot parse field: {line!r}")
    name, type_name, default, _attrs = match.groups()
    return name, type_name.replace(" ", ""), default.strip() if default else None


def resolve_fields(fields, enums, enum_formats, unions):
    """Each field becomes (name, kind, argument, default); unions take two slots."""
    resolved = []
    for name, type_name, default in fields:
        vector = type_name.startswith("[")
        base = type_name.strip("[]")
        if base in SCALAR_FORMATS:
            kind, argument = "scalar", SCALAR_FORMATS[base]
            value = parse_scalar_default(default, argument)
        elif base in enums:
            kind, argument = "enum", (base, enum_formats[base])
            value = enum_default(default, enums[base])
        elif base == "string":
            kind, argument, value = "string", None, None
        elif base in unions:
            resolved.append((name + "_type", "union_type", base, 0))
            kind, argument, value = "union", base, None
        else:
            kind, argument, value = "table", base, None
        if vector:
            kind, value = "vector_" + kind, None
        resolved.append((name, kind, argument, value))
    return tuple(resolved)


def parse_scalar_default(default: str | None, fmt: str):
    if default is None:
        return False if fmt == "?" else (0.0 if fmt in "fd" else 0)
    if fmt == "?":
        return default == "true"
    return float(default) if fmt in "fd" else int(default, 0)


def enum_default(default: str | None, values: dict[int, str]) -> int:
    if default is None:
        return 0
    by_label = {label: value for value, label in values.items()}
    return by_label[default] if default in by_label else int(default, 0)


def render(source: str, title: str, enums, enum_formats, unions, tables) -> str:
    def block(name: str, value) -> str:
        return f"{name} = {pprint.pformat(value, width=100, sort_dicts=False)}\n"
    return (
        f'"""{title} as data (generated; do not edit).\n\n'
        f"Source: {source}\n"
        "Regenerate with tools/gen_schema.py when the upstream schema grows.\n"
        '"""\n\n'
        f"SOURCE = {source!r}\n\n"
        + block("ENUMS", enums) + "\n"
        + block("ENUM_FORMATS", enum_formats) + "\n"
        + block("UNIONS", unions) + "\n"
        + "# table -> fields in slot order: (name, kind, argument, default)\n"
        + block("TABLES", tables)
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("schema", type=Path)
    parser.add_argument("--source", required=True, help="where the schema came from, cited")
    parser.add_argument("--module", type=Path, required=True)
    parser.add_argument("--title", default="The TFLite flatbuffer schema",
                        help="what the schema is, for the module docstring")
    args = parser.parse_args()
    parsed = parse(args.schema.read_text())
    args.module.write_text(render(args.source, args.title, *parsed))


if __name__ == "__main__":
    main()
