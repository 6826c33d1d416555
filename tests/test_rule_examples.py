"""Every rule's bad example fires exactly that rule at the expected places; good fires nothing."""
from __future__ import annotations

import importlib

import sys
from pathlib import Path

import pytest
from conftest import lint_bytes, rule_locations

from tfllint.engine.registry import load_rules

sys.path.insert(0, str(Path(__file__).parent / "rule_examples"))  # their shared _targets
RULES = load_rules()
DEFAULT_SETTINGS = {"runtime-version": "2.21"}


def examples(rule_id: str):
    return importlib.import_module(f"rule_examples.{rule_id.lower()}")


@pytest.mark.parametrize("rule", RULES, ids=[r.id for r in RULES])
def test_bad_example_fires_exactly_this_rule(rule):
    example = examples(rule.id)
    settings = getattr(example, "SETTINGS", DEFAULT_SETTINGS)
    findings = lint_bytes(example.bad(), **settings)
    assert rule_locations(findings) == example.BAD
    assert {rule_id for rule_id, _ in example.BAD} == {rule.id}


@pytest.mark.parametrize("rule", RULES, ids=[r.id for r in RULES])
def test_good_example_fires_nothing(rule):
    example = examples(rule.id)
    settings = getattr(example, "GOOD_SETTINGS", getattr(example, "SETTINGS", DEFAULT_SETTINGS))
    assert rule_locations(lint_bytes(example.good(), **settings)) == set()


@pytest.mark.parametrize("rule", RULES, ids=[r.id for r in RULES])
def test_documentation_has_every_section(rule):
    for title in ("What it finds", "Why it matters", "Example", "How to fix"):
        assert rule.section(title), f"{rule.id} lacks '{title}'"
