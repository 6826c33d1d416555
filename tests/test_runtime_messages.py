"""rules/data/runtime_messages.toml, the table from a runtime's refusal message to the
tfllint rules that mean the same (issue 13's harness, tools/fuzz_semantic.py): each
entry's example message is matched by that entry first, names only rules that exist, and
the lookup is by runtime."""
from __future__ import annotations

import sys

import pytest
from conftest import REPO

sys.path.insert(0, str(REPO / "tools"))
import fuzz_semantic  # noqa: E402

from tfllint.engine.registry import load_rules  # noqa: E402

ENTRIES = fuzz_semantic.message_table()


def rule_ids() -> set[str]:
    return {rule.id for rule in load_rules()}


@pytest.mark.parametrize("entry", ENTRIES, ids=[e["what"][:40] for e in ENTRIES])
def test_each_example_finds_its_own_entry(entry):
    runtimes = ("litert", "tflm") if entry["runtime"] == "both" else (entry["runtime"],)
    for runtime in runtimes:
        assert fuzz_semantic.reason_rules(runtime, entry["example"]) == entry["rules"]


def test_entries_name_existing_rules_and_known_runtimes():
    known = rule_ids() | {"exit 2"}
    for entry in ENTRIES:
        assert entry["runtime"] in ("litert", "tflm", "both"), entry["what"]
        assert set(entry["rules"]) <= known, entry["what"]
        assert entry["what"] and entry["example"], entry["pattern"]


def test_lookup_is_by_runtime_and_unknown_messages_have_no_rules():
    arena = "Failed to resize buffer. Requested: 9, available 1, missing: 8"
    assert fuzz_semantic.reason_rules("tflm", arena) == ["TFL010", "TFL401", "TFL402"]
    assert fuzz_semantic.reason_rules("litert", arena) is None
    assert fuzz_semantic.reason_rules("litert", "something new") is None


def test_a_refusal_counts_as_matched_only_with_an_error_of_the_entrys_rules():
    refused = "refused: tflite/kernels/conv.cc:362 params->stride_width > 0 was not true."
    result = {"model": "m", "litert": refused, "tflm": "ran", "lint": ["TFL009"],
              "lint_tflm": ["TFL009"]}
    bases = {"m": {"litert": "ran", "tflm": "ran"}}
    assert fuzz_semantic.classify(result, bases) == {
        "kind": "refused", "by": ["litert"], "ok": True, "errors": True}
    other = dict(result, lint=["TFL205"], lint_tflm=["TFL205"])
    assert fuzz_semantic.classify(other, bases)["ok"] is False
    crashed = dict(result, litert="ran", tflm="crashed: SIGSEGV", lint=[], lint_tflm=[])
    assert fuzz_semantic.classify(crashed, bases) == {"kind": "crashed", "by": ["tflm"],
                                                      "ok": False}
