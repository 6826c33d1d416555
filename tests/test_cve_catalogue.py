"""The CVE catalogue (tests/data/cve_catalogue.toml), its reproducers (tests/cve_models.py)
and their recorded outcomes (tests/data/cve_outcomes.json, from tools/cve_catalogue.py).

The runtime checks are oracle tests: they run each reproducer in a child process in
ai-edge-litert and in tflite-micro, and skip when those are not installed. tfllint's
verdicts are asserted exactly for the rows it catches; the rows it does not catch yet are
the roadmap (docs/cve-catalogue.md), not asserted either way.
"""
from __future__ import annotations

import importlib
import json
import re
import sys

import pytest
import tflite

from conftest import REPO

sys.path.insert(0, str(REPO / "tools"))
import cve_catalogue  # noqa: E402
import cve_models  # noqa: E402
from tfllint.reader import decode_model  # noqa: E402
from tflm_oracle import require_interpreter  # noqa: E402

ROWS = cve_catalogue.load_catalogue()
BY_ID = {row["id"]: row for row in ROWS}
OUTCOMES = json.loads(cve_catalogue.OUTCOMES.read_text())
REPRODUCED = sorted(cve_models.REPRODUCERS)
CAUGHT = sorted(cve for cve, result in OUTCOMES.items()
                if {cve_catalogue.caught_by(result, key) for key in ("tfllint", "tfllint_tflm")}
                != {"not caught"})
ADVISORY = re.compile(r"^tensorflow/tensorflow@[0-9a-f]{40}:"
                      r"tensorflow/security/advisory/tfsa-\d{4}-\d{3}\.md$")


def test_rows_have_the_required_fields():
    assert len(ROWS) == len(BY_ID), "a CVE id appears twice"
    for row in ROWS:
        missing = [key for key in cve_catalogue.REQUIRED if key not in row]
        assert not missing, (row.get("id"), missing)
        assert re.fullmatch(r"CVE-\d{4}-\d{4,}", row["id"]), row["id"]
        assert re.fullmatch(r"(GHSA(-[23456789cfghjmpqrvwx]{4}){3})?", row["ghsa"]), row["id"]
        assert re.fullmatch(r"(TFSA-\d{4}-\d{3})?", row.get("tfsa", "")), row["id"]
        assert row["runtime"] in cve_catalogue.RUNTIMES, row["id"]
        for key in ("component", "defect", "precondition", "source"):
            assert isinstance(row[key], str) and row[key].strip(), (row["id"], key)
        assert row["fixed_in"] and all(re.fullmatch(r"\d+\.\d+\.\d+", version)
                                       for version in row["fixed_in"]), row["id"]
        assert ADVISORY.match(row["source"]) or row["source"] == \
            f"tensorflow/tensorflow security advisory {row['ghsa']}", row["id"]
        assert cve_catalogue.source_url(row["source"]).startswith("https://github.com/")
        if row.get("tfsa"):  # a TensorFlow advisory is cited by its own file
            assert row["tfsa"].lower() in row["source"], row["id"]
        for commit in row.get("fix_commits", []):
            assert re.fullmatch(r"[0-9a-f]{7,40}", commit), (row["id"], commit)


def test_every_reproducer_is_a_row_and_every_other_row_says_why_not():
    assert set(REPRODUCED) <= set(BY_ID)
    for row in ROWS:
        if row["id"] not in cve_models.REPRODUCERS:
            assert "no reproducer" in row.get("note", ""), row["id"]


def test_reproducers_are_named_by_their_cve():
    for cve, build in cve_models.REPRODUCERS.items():
        assert build.__name__ == cve.lower().replace("-", "_")
        assert build.__doc__, cve


@pytest.mark.parametrize("cve", REPRODUCED)
def test_reproducer_builds_a_readable_model(cve):
    data = cve_models.REPRODUCERS[cve]()
    assert data[4:8] == b"TFL3"
    model = tflite.Model.GetRootAsModel(data, 0)
    assert model.SubgraphsLength() >= 1 and model.Subgraphs(0).OperatorsLength() >= 1
    decoded = decode_model(data, cve)  # tfllint reads it: no exit 2 for a well-formed file
    assert decoded.subgraphs and decoded.subgraphs[0].operators


@pytest.mark.parametrize("table", sorted(cve_models.EXTRA_OPTIONS))
def test_extra_options_layouts_match_the_schema(table):
    """Each field written at its slot reads back through the `tflite` bindings."""
    bindings = getattr(importlib.import_module(f"tflite.{table}"), table)
    for field, (_, kind) in cve_models.EXTRA_OPTIONS[table].items():
        value = True if kind == "bool" else 3
        data = cve_models._one_op("RELU", [("x", [1])], [1],
                                  options=(table, {field: value})).build()
        operator = tflite.Model.GetRootAsModel(data, 0).Subgraphs(0).Operators(0)
        options = bindings()
        options.Init(operator.BuiltinOptions().Bytes, operator.BuiltinOptions().Pos)
        camel = "".join(part.capitalize() for part in field.split("_"))
        assert getattr(options, camel)() == value, (table, field)


def test_outcomes_are_recorded_for_every_reproducer():
    assert sorted(OUTCOMES) == REPRODUCED
    for cve, result in OUTCOMES.items():
        for runtime in ("litert", "tflm"):
            assert result[runtime], (cve, runtime)
            for outcome in result[runtime]:
                assert re.fullmatch(r"ran|hung|crashed: SIG\w+|refused: .*", outcome), outcome
        assert {"tfllint", "tfllint_tflm"} <= set(result), cve


def test_docs_table_is_in_step():
    assert cve_catalogue.DOCS.read_text() == cve_catalogue.docs(ROWS, OUTCOMES), \
        "run: python tools/cve_catalogue.py --from-record --docs"


@pytest.mark.parametrize("cve", CAUGHT)
def test_tfllint_catches_exactly_as_recorded(cve, tmp_path):
    """Rows tfllint catches: the exact error-severity (rule, location) pairs and exit code.
    Locations are subgraph/op_index/tensor_index/buffer."""
    path = tmp_path / f"{cve}.tflite"
    path.write_bytes(cve_models.REPRODUCERS[cve]())
    assert cve_catalogue.lint(path, tflm=False) == OUTCOMES[cve]["tfllint"]
    assert cve_catalogue.lint(path, tflm=True) == OUTCOMES[cve]["tfllint_tflm"]


def test_caught_rows_as_of_this_record():
    """Which rows tfllint catches, and with which rules; grows as checks are added. With
    --target tflm, TFL302 is TFLite Micro's own refusal (no kernel, dynamic tensors)."""
    op_parameters = {  # TFL009 (op-parameters-crash-runtime, preview)
        "CVE-2020-15207", "CVE-2020-15211", "CVE-2020-15212", "CVE-2020-15213",
        "CVE-2020-15214", "CVE-2021-29585", "CVE-2021-29586", "CVE-2021-29587",
        "CVE-2021-29588", "CVE-2021-29591", "CVE-2021-29593", "CVE-2021-29595",
        "CVE-2021-29597", "CVE-2021-29598", "CVE-2021-29599", "CVE-2021-29602",
        "CVE-2021-29603", "CVE-2021-29606", "CVE-2021-37683", "CVE-2021-37685",
        "CVE-2021-37687", "CVE-2022-21741", "CVE-2023-27579",
        "CVE-2021-29589", "CVE-2021-29601", "CVE-2021-29604", "CVE-2021-37682",
        "CVE-2021-37691", "CVE-2022-35937", "CVE-2022-35939"}
    assert {cve: cve_catalogue.caught_by(OUTCOMES[cve]) for cve in CAUGHT
            if cve_catalogue.caught_by(OUTCOMES[cve]) != "not caught"} == {
        "CVE-2020-15209": "TFL001",
        "CVE-2020-15210": "TFL004",
        "CVE-2021-29592": "TFL001",
        "CVE-2021-37681": "TFL001, TFL009",
        "CVE-2022-23557": "TFL012",  # operand-shapes-kernel-refuses: the conv's empty bias
        **{cve: "TFL009" for cve in op_parameters},
    }
    assert {cve for cve in CAUGHT if "TFL302" in cve_catalogue.caught_by(
        OUTCOMES[cve], "tfllint_tflm")} == {cve for cve in OUTCOMES if any(
            outcome.startswith(("refused: Didn't find op", "refused: Op#0"))
            for outcome in OUTCOMES[cve]["tflm"])}


def test_every_crash_is_predicted():
    """Each reproducer that crashed ai-edge-litert or tflite-micro gets an error from
    tfllint (issue 13, point 2)."""
    crashed = {cve for cve, result in OUTCOMES.items()
               if any(outcome.startswith("crashed") for runtime in ("litert", "tflm")
                      for outcome in result[runtime])}
    assert crashed == {"CVE-2020-15211", "CVE-2021-29591", "CVE-2021-29593", "CVE-2021-29597",
                       "CVE-2021-29598", "CVE-2021-29599", "CVE-2023-27579"}
    assert {cve for cve in crashed if cve_catalogue.caught_by(OUTCOMES[cve]) == "not caught"} \
        == set()


ORACLES = {"litert": ("ai_edge_litert", "ai-edge-litert 2.3.0"),
           "tflm": ("tflite_micro", "tflite-micro")}


@pytest.mark.parametrize("runtime", sorted(ORACLES))
@pytest.mark.parametrize("cve", REPRODUCED)
def test_runtime_outcome_holds(cve, runtime, tmp_path):
    """A fresh run in the real runtime gives one of the recorded outcomes."""
    module, name = ORACLES[runtime]
    pytest.importorskip(module, reason=f"needs {name}: pip install -e .[oracle]")
    if runtime == "tflm":
        require_interpreter("the CVE catalogue's tflite-micro outcomes")
    path = tmp_path / f"{cve}.tflite"
    path.write_bytes(cve_models.REPRODUCERS[cve]())
    assert cve_catalogue.run_runtime(runtime, path) in OUTCOMES[cve][runtime]
