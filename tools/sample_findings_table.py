"""Print the README's table of which rules fire on which sample model.

    python tools/sample_findings_table.py          # the Markdown table, to paste
    python tools/sample_findings_table.py --check  # exit 1 if README.md differs

The table lists, for every models/*.tflite, the rules `tfllint` reports with its default
settings (no config, no target); tests/test_sample_findings.py keeps README.md in step.
"""
from __future__ import annotations

import argparse
import io
import json
import sys
from contextlib import redirect_stdout
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
START, END = "<!-- sample-findings:start -->", "<!-- sample-findings:end -->"


def findings_by_model() -> dict[str, list[str]]:
    from tfllint.cli import main

    paths = sorted(str(p.relative_to(REPO)) for p in (REPO / "models").glob("*.tflite"))
    output = io.StringIO()
    with redirect_stdout(output):
        main([*(str(REPO / p) for p in paths), "--format", "json", "--no-config"])
    document = json.loads(output.getvalue())
    result = {}
    for path, model in zip(paths, document["models"]):
        rules = sorted({f"{f['rule']} {f['name']}" for f in model["findings"]})
        result[Path(path).name] = rules
    return result


def table() -> str:
    lines = [START, "| sample model | rules it fires (default settings) |", "|---|---|"]
    for model, rules in findings_by_model().items():
        fired = "<br>".join(f"`{rule.split()[0]}` {rule.split()[1]}" for rule in rules) or "none"
        lines.append(f"| `{model}` | {fired} |")
    lines.append(END)
    return "\n".join(lines)


def readme_table() -> str | None:
    text = (REPO / "README.md").read_text()
    if START not in text or END not in text:
        return None
    return text[text.index(START):text.index(END) + len(END)]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="compare with README.md")
    if parser.parse_args().check:
        return 0 if readme_table() == table() else 1
    print(table())
    return 0


if __name__ == "__main__":
    sys.exit(main())
