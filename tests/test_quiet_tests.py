"""Tests report through assertions: none writes past pytest's output capture (issue 9).

A plain print() in a test is captured and shown only when that test fails, where it
helps; `capsys.disabled()` or `sys.__stdout__` put it into every run's output. Figures
for a person belong in a bench/ script (bench/vela_agreement.py, ...).
"""
from __future__ import annotations

import ast
from pathlib import Path

from conftest import REPO


def uncaptured_output(path: Path) -> list[int]:
    """Lines of `path` that write past pytest's capture."""
    tree = ast.parse(path.read_text(encoding="utf-8"), str(path))
    return [node.lineno for node in ast.walk(tree) if isinstance(node, ast.Attribute) and (
        (node.attr == "disabled" and isinstance(node.value, ast.Name)
         and node.value.id == "capsys") or node.attr in ("__stdout__", "__stderr__"))]


def test_no_test_writes_past_pytests_output_capture():
    found = {path.name: lines for path in sorted((REPO / "tests").glob("test_*.py"))
             if (lines := uncaptured_output(path))}
    assert found == {}
