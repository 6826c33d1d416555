"""Extract the op versions LiteRT's builtin op resolver registers into TOML.

A runtime refuses to build a model whose op version lies outside the range its
`BuiltinOpResolver` registered (`register.cc`: `AddBuiltin(op, Register_X(), min, max)`,
likewise `AddCustom("name", ...)`; with one number only that version, with none only
version 1). tfllint needs the newest runtime's ranges as data
(rules/data/builtin_op_versions.toml). This script is run by hand when upstream registers
new op versions; its output is committed.

    python tools/gen_builtin_op_versions.py path/to/register.cc \
        --source "google-ai-edge/LiteRT@<commit> tflite/core/kernels/register.cc" \
        --out rules/data/builtin_op_versions.toml

The output parses with tomllib into
{"source": str, "ops": {op: {"min": int, "max": int}}, "custom_ops": {name: {...}}}.
"""
from __future__ import annotations

import re

from data_table import quote, run

CALL = re.compile(r"\b(AddBuiltin|AddCustom)\s*\(")


def strip_comments(text: str) -> str:
    return re.sub(r"//[^\n]*|/\*.*?\*/", "", text, flags=re.S)


def calls(text: str, name: str) -> list[list[str]]:
    """The top-level arguments of every call to `name`, in order of appearance."""
    found = []
    for match in CALL.finditer(text):
        if match.group(1) != name:
            continue
        depth, start, arguments = 1, match.end(), []
        position = start
        while depth:
            if position >= len(text):
                raise SystemExit(f"unbalanced parentheses in a {name} call")
            char = text[position]
            if char == "(":
                depth += 1
            elif char == ")":
                depth -= 1
            if (char == "," and depth == 1) or depth == 0:
                arguments.append(text[start:position].strip())
                start = position + 1
            position += 1
        found.append(arguments)
    return found


def extract(source_text: str) -> tuple[dict[str, tuple[int, int]], dict[str, tuple[int, int]]]:
    """Registered version range per builtin op and per custom op name."""
    text = strip_comments(source_text)
    builtin_ops = registrations(calls(text, "AddBuiltin"), r"BuiltinOperator_(\w+)")
    custom_ops = registrations(calls(text, "AddCustom"), r'"([^"]+)"')
    if not builtin_ops:
        raise SystemExit("no AddBuiltin calls found; is this register.cc?")
    return builtin_ops, custom_ops


def registrations(found: list[list[str]], name_pattern: str) -> dict[str, tuple[int, int]]:
    """(op, registration[, version | min, max]) calls -> {op: (min, max)}."""
    ranges: dict[str, tuple[int, int]] = {}
    for arguments in found:
        name_match = re.fullmatch(name_pattern, arguments[0])
        if not name_match or not 2 <= len(arguments) <= 4:
            raise SystemExit(f"unexpected registration arguments: {arguments}")
        numbers = [int(argument) for argument in arguments[2:]]
        if not numbers:
            numbers = [1]  # MutableOpResolver's default: version 1 only
        low, high = numbers[0], numbers[-1]
        name = name_match.group(1)
        if name in ranges:
            raise SystemExit(f"{name} is registered twice")
        ranges[name] = (low, high)
    return ranges


def render(source: str, license_name: str, builtin_ops: dict[str, tuple[int, int]],
           custom_ops: dict[str, tuple[int, int]]) -> str:
    lines = [
        "# Op versions registered by the newest LiteRT builtin op resolver"
        " (generated; do not edit).",
        "#",
        "# A model whose op version lies outside [min, max] fails to load on this runtime with",
        "# \"Didn't find op for builtin opcode ...\". Older releases register fewer versions;",
        "# combine with op_runtime_versions.toml for them.",
        f"# Facts extracted from {source} ({license_name}),",
        f"# BuiltinOpResolver::BuiltinOpResolver(): {len(builtin_ops)} builtin ops,"
        f" {len(custom_ops)} custom ops.",
        "# Regenerate with tools/gen_builtin_op_versions.py.",
        "",
        f"source = {quote(source)}",
        "",
        "# op name (schema BuiltinOperator) -> registered version range, inclusive",
        "[ops]",
        *range_lines(builtin_ops, quote_names=False),
        "",
        "# custom op name (OperatorCode.custom_code) the builtin resolver also registers",
        "[custom_ops]",
        *range_lines(custom_ops, quote_names=True),
    ]
    return "\n".join(lines) + "\n"


def range_lines(ranges: dict[str, tuple[int, int]], quote_names: bool) -> list[str]:
    return [f"{quote(name) if quote_names else name} = {{ min = {low}, max = {high} }}"
            for name, (low, high) in sorted(ranges.items())]


def generate(text: str, source: str, license_name: str) -> str:
    builtin_ops, custom_ops = extract(text)
    return render(source, license_name, builtin_ops, custom_ops)


if __name__ == "__main__":
    run(__doc__.splitlines()[0], 'register.cc', generate)
