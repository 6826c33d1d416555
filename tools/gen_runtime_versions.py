"""Extract LiteRT's (op, version) -> minimum runtime release table into TOML.

The TFLite converter stamps `min_runtime_version` into every model from a table in
`runtime_version.cc` (`FindMinimumRuntimeVersionForOp`): each builtin op version maps to
the first TF/LiteRT release whose kernels run it. tfllint's runtime-version rules need
that table as data (rules/data/op_runtime_versions.toml). This script is run by hand when
upstream adds op versions; its output is committed.

    python tools/gen_runtime_versions.py path/to/runtime_version.cc \
        --source "google-ai-edge/LiteRT@<commit> tflite/converter/tools/versioning/runtime_version.cc" \
        --out rules/data/op_runtime_versions.toml

The output parses with tomllib into {"source": str, "ops": {op: {"<version>": "a.b.c"}}}.
"""
from __future__ import annotations

import re

from data_table import quote, run

# One map entry, e.g. {{BuiltinOperator_CONV_2D, 3}, "1.14.0"}; clang-format may break
# lines inside it, so whitespace (newlines included) is allowed between the tokens.
ENTRY = re.compile(
    r"\{\s*\{\s*BuiltinOperator_(\w+)\s*,\s*(\d+)\s*\}\s*,\s*\"(\d+(?:\.\d+)*)\"\s*\}")
ENTRY_START = re.compile(r"\{\s*\{\s*BuiltinOperator_")


def strip_comments(text: str) -> str:
    return re.sub(r"//[^\n]*|/\*.*?\*/", "", text, flags=re.S)


def extract(source_text: str) -> dict[str, dict[int, str]]:
    """Every (op, version) -> release entry of the file, checked for gaps and repeats."""
    text = strip_comments(source_text)
    entries = ENTRY.findall(text)
    started = len(ENTRY_START.findall(text))
    if not entries or started != len(entries):
        raise SystemExit(f"found {started} map entries but could parse {len(entries)}; "
                         "the upstream format changed, update ENTRY")
    table: dict[str, dict[int, str]] = {}
    for op_name, version, release in entries:
        versions = table.setdefault(op_name, {})
        if int(version) in versions:
            raise SystemExit(f"{op_name} version {version} appears twice")
        versions[int(version)] = release
    return table


def render(source: str, license_name: str, table: dict[str, dict[int, str]]) -> str:
    entry_count = sum(len(versions) for versions in table.values())
    lines = [
        "# Minimum TF/LiteRT runtime release for each builtin op version (generated; do not edit).",
        "#",
        "# An op version missing here means the converter does not know the release, not that",
        "# no release runs it. Custom and Flex ops are never listed.",
        f"# Facts extracted from {source} ({license_name}),",
        "# function FindMinimumRuntimeVersionForOp.",
        f"# {len(table)} ops, {entry_count} (op, version) entries.",
        "# Regenerate with tools/gen_runtime_versions.py.",
        "",
        f"source = {quote(source)}",
        "",
        "# op name (schema BuiltinOperator) -> { op version = minimum runtime release };",
        "# TOML keys are strings, so versions parse as \"1\", \"2\", ...",
        "[ops]",
    ]
    for op_name in sorted(table):
        versions = table[op_name]
        pairs = ", ".join(f"{v} = {quote(versions[v])}" for v in sorted(versions))
        lines.append(f"{op_name} = {{ {pairs} }}")
    return "\n".join(lines) + "\n"


def generate(text: str, source: str, license_name: str) -> str:
    return render(source, license_name, extract(text))


if __name__ == "__main__":
    run(__doc__.splitlines()[0], 'runtime_version.cc', generate)
