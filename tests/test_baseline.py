"""Baselines (issue 11 point 3): --write-baseline records every place of the current
findings by fingerprint; --baseline reports only new places; baseline entries and
per-model ignores that matched nothing are reported, so suppressions do not rot."""
from __future__ import annotations

import json
from pathlib import Path

import jsonschema
import numpy as np
import pytest
from builder import ModelBuilder
from conftest import REPO

from tfllint.fingerprint import place_fingerprint

SCHEMA = json.loads((REPO / "tfllint" / "report.schema.json").read_text())
QUANTIZED = dict(dtype="INT8", scale=[0.1], zero_point=[0])


def chain(*ops: tuple[str, str]) -> bytes:
    """An int8 chain of (op, output tensor name): ADD with a constant, CUMSUM (which
    XNNPACK leaves on the CPU), or a Flex op by its custom code."""
    model = ModelBuilder()
    main = model.subgraph()
    current = main.tensor("in", [1, 8], **QUANTIZED)
    main.inputs = [current]
    constant = main.constant("c", np.ones((1, 8), np.int8), "INT8", scale=[0.1], zero_point=[0])
    for index, (kind, name) in enumerate(ops):
        following = main.tensor(name, [1, 8], **QUANTIZED)
        if kind == "ADD":
            main.op("ADD", [current, constant], [following])
        elif kind == "CUMSUM":
            axis = main.constant(f"axis{index}", np.array([1], np.int32), "INT32")
            main.op("CUMSUM", [current, axis], [following])
        else:
            main.op("CUSTOM", [current], [following], custom_code=kind)
        current = following
    main.outputs = [current]
    return model.build()


BASE = chain(("ADD", "a"), ("CUMSUM", "c1"), ("ADD", "out"))
LINT = ("--no-config", "--target", "xnnpack", "--fail-on", "warning")


@pytest.fixture
def project(tmp_path, monkeypatch):
    """models/net.tflite (BASE) and a baseline of it at the project root, cwd there."""
    (tmp_path / "models").mkdir()
    (tmp_path / "models" / "net.tflite").write_bytes(BASE)
    monkeypatch.chdir(tmp_path)
    return tmp_path


def write_baseline(run_cli, *extra):
    code, out, err = run_cli("models", *LINT, "--write-baseline", "baseline.json", *extra)
    assert code == 0 and out == "", err
    return json.loads(Path("baseline.json").read_text())


def lint(run_cli, *extra, expect: int | None = None):
    code, out, err = run_cli("models", *LINT, "--baseline", "baseline.json", "--format",
                             "json", *extra)
    assert "Traceback" not in err
    document = json.loads(out)
    jsonschema.validate(document, SCHEMA)
    if expect is not None:
        assert code == expect, err
    places = {(f["rule"], f["target"], location["key"])
              for model in document["models"] for f in model["findings"]
              for location in f["locations"]}
    return document, places, err


def test_a_baseline_of_the_findings_silences_them(project, run_cli):
    assert run_cli("models", *LINT)[0] == 1  # a TFL301 warning fails --fail-on warning
    document = write_baseline(run_cli)
    assert document["tool"] == "tfllint" and document["baseline_version"] == 1
    entries = document["entries"]
    order = [(e["path"], e["rule"], e["target"] or "", e["key"]) for e in entries]
    assert order == sorted(order)
    assert ("TFL301", "xnnpack", "CUMSUM:c1") in {(e["rule"], e["target"], e["key"])
                                                  for e in entries}
    assert all(e["path"] == "models/net.tflite" and e["message"] for e in entries)
    assert not list(project.glob(".baseline.json*"))  # the temporary file is gone
    report, places, err = lint(run_cli, expect=0)
    assert places == set() and report["unused_suppressions"] == []
    assert report["baseline"] == {"file": "baseline.json", "entries": len(entries),
                                  "suppressed": len(entries), "stale": 0}
    assert "note" not in err
    code, out, _ = run_cli("models", *LINT, "--baseline", "baseline.json")
    assert code == 0 and "no findings" in out  # the text report


def test_a_new_op_is_reported_and_nothing_else(project, run_cli):
    write_baseline(run_cli)
    (project / "models" / "net.tflite").write_bytes(chain(
        ("ADD", "a"), ("CUMSUM", "c1"), ("FlexAcme", "f"), ("ADD", "out")))
    _, places, _ = lint(run_cli, expect=1)
    assert places == {("TFL101", None, "FlexAcme:f"), ("TFL301", "xnnpack", "FlexAcme:f")}


def test_a_grouped_finding_that_gains_a_place_reports_only_that_place(project, run_cli):
    write_baseline(run_cli)
    (project / "models" / "net.tflite").write_bytes(chain(
        ("ADD", "a"), ("CUMSUM", "c1"), ("ADD", "b"), ("CUMSUM", "c2"), ("ADD", "out")))
    report, places, _ = lint(run_cli, expect=1)
    assert places == {("TFL301", "xnnpack", "CUMSUM:c2")}
    finding, = report["models"][0]["findings"]
    assert [location["op_index"] for location in finding["locations"]] == [3]
    assert finding["message"].endswith("(1 more in the baseline)")


def test_a_stale_entry_is_reported(project, run_cli):
    write_baseline(run_cli)
    (project / "models" / "net.tflite").write_bytes(chain(("ADD", "a"), ("ADD", "out")))
    report, places, err = lint(run_cli, expect=0)
    stale = [u for u in report["unused_suppressions"] if u["kind"] == "baseline"]
    assert [(u["rule"], u["target"], u["key"], u["model"]) for u in stale] == [
        ("TFL301", "xnnpack", "CUMSUM:c1", "models/net.tflite")]
    assert report["baseline"]["stale"] == 1
    assert err.count("tfllint: note: baseline baseline.json: 1 entry for models/net.tflite "
                     "matched nothing (TFL301 [xnnpack] at CUMSUM:c1)") == 1
    # an entry is stale only when its rule ran and its target was checked
    code, out, err = run_cli("models", "--no-config", "--baseline", "baseline.json",
                             "--format", "json", "--select", "TFL1")
    assert json.loads(out)["unused_suppressions"] == [] and "note" not in err


def test_entries_of_models_not_linted_are_kept_and_not_stale(project, run_cli):
    (project / "models" / "other.tflite").write_bytes(chain(("FlexAcme", "f"), ("ADD", "o")))
    write_baseline(run_cli)
    (project / "models" / "other.tflite").unlink()
    report, places, err = lint(run_cli, expect=0)
    assert report["unused_suppressions"] == [] and places == set()
    # a baseline written over some models keeps the entries of the others
    (project / "models" / "net.tflite").write_bytes(chain(("ADD", "a"), ("ADD", "out")))
    code, _, err = run_cli("models/net.tflite", *LINT, "--write-baseline", "baseline.json")
    assert code == 0, err
    paths = {e["path"] for e in json.loads((project / "baseline.json").read_text())["entries"]}
    assert paths == {"models/net.tflite", "models/other.tflite"}


def test_a_per_model_ignore_that_matches_nothing_is_reported(project, run_cli):
    (project / "tfllint.toml").write_text(
        '[per-model-ignores]\n'
        '"models/net.tflite" = ["TFL101"]\n'
        '"models/*.tflite" = { rules = ["TFL301"], op = "CUMSUM" }\n'
        '"elsewhere/*.tflite" = ["TFL102"]\n')
    code, out, err = run_cli("models", "--target", "xnnpack", "--format", "json")
    report = json.loads(out)
    jsonschema.validate(report, SCHEMA)
    assert report["models"][0]["findings"] and report["baseline"] is None
    unused = report["unused_suppressions"]
    # the TFL301 ignore silenced CUMSUM; the other glob matched no linted model
    assert [(u["kind"], u["models"], u["rules"], u["linted"]) for u in unused] == [
        ("per-model-ignore", "models/net.tflite", ["TFL101"], ["models/net.tflite"])]
    assert unused[0]["file"].endswith("tfllint.toml")
    assert "tfllint: note: per-model-ignores 'models/net.tflite' = ['TFL101'] silenced " \
           "nothing in models/net.tflite; remove it from" in err
    # an ignore none of whose rules ran could not have matched: not reported
    code, out, err = run_cli("models", "--target", "xnnpack", "--format", "json",
                             "--select", "TFL3")
    assert json.loads(out)["unused_suppressions"] == [] and "note" not in err


@pytest.mark.parametrize("text, problem", [
    ("{not json", "not valid JSON"),
    ('{"entries": []}', "not a tfllint baseline"),
    ('{"tool": "tfllint", "baseline_version": 9, "entries": []}', "newer than this tfllint"),
    ('{"tool": "tfllint", "baseline_version": 1, "entries": [{"rule": "TFL101"}]}',
     'entry 1: "path" must be a non-empty string'),
    (None, "no such file"),
])
def test_a_bad_baseline_is_one_clear_error(project, run_cli, text, problem):
    if text is not None:
        (project / "baseline.json").write_text(text)
    code, out, err = run_cli("models", *LINT, "--baseline", "baseline.json")
    assert code == 2 and out == ""
    assert err.count("\n") == 1 and err.startswith("tfllint: error: baseline baseline.json: ")
    assert problem in err and "Traceback" not in err


def test_write_baseline_never_overwrites_what_is_not_a_baseline(project, run_cli):
    model = project / "models" / "net.tflite"
    code, _, err = run_cli("models", *LINT, "--write-baseline", model)
    assert code == 2 and "not overwritten" in err
    assert model.read_bytes() == BASE


def test_the_config_names_the_baseline_relative_to_itself(project, run_cli, monkeypatch):
    write_baseline(run_cli)
    (project / "tfllint.toml").write_text('baseline = "baseline.json"\n')
    monkeypatch.chdir(project / "models")
    code, out, err = run_cli(".", "--target", "xnnpack", "--fail-on", "warning")
    assert code == 0 and "0 error(s), 0 warning(s), 0 info" in out, err
    # --write-baseline does not read the configured one (it may not exist yet)
    (project / "baseline.json").unlink()
    code, _, err = run_cli(".", "--target", "xnnpack", "--write-baseline", "../baseline.json")
    assert code == 0 and (project / "baseline.json").is_file(), err


def test_baseline_sarif_and_gitlab_fingerprints_agree(project, run_cli, monkeypatch):
    entries = write_baseline(run_cli)["entries"]
    code, out, _ = run_cli("models", *LINT, "--format", "gitlab")
    assert {e["fingerprint"] for e in json.loads(out)} == {e["fingerprint"] for e in entries}
    monkeypatch.setenv("TFLLINT_SARIF_ROOT", str(project))
    code, out, _ = run_cli("models", *LINT, "--format", "sarif")
    results = json.loads(out)["runs"][0]["results"]
    assert {r["partialFingerprints"]["tfllintLocation/v1"] for r in results} == {
        place_fingerprint(e["rule"], e["target"], e["key"]) for e in entries}
    assert all(e["fingerprint"] == place_fingerprint(e["rule"], e["target"], e["key"],
                                                     path=e["path"]) for e in entries)


def test_write_baseline_with_baseline_is_a_usage_error(project, run_cli):
    code, _, err = run_cli("models", "--baseline", "a.json", "--write-baseline", "b.json")
    assert code == 2 and "give one" in err


def test_diff_does_not_read_the_configured_baseline(project, run_cli):
    (project / "tfllint.toml").write_text('baseline = "not-written-yet.json"\n')
    code, _, err = run_cli("diff", "models/net.tflite", "models/net.tflite")
    assert code == 0, err
    code, _, err = run_cli("models")  # lint does, and says what to do
    assert code == 2 and "--write-baseline" in err


def test_the_text_summary_says_what_the_baseline_hid(run_cli, tmp_path):
    from conftest import MODELS

    model = tmp_path / "flex.tflite"
    model.write_bytes((MODELS / "flex_op.tflite").read_bytes())
    baseline = tmp_path / "base.json"
    assert run_cli(model, "--no-config", "--write-baseline", baseline)[0] == 0
    code, out, _ = run_cli(model, "--no-config", "--baseline", baseline)
    assert code == 0
    assert out.splitlines()[-1].startswith(f"baseline {baseline}: ")
    assert out.splitlines()[-1].endswith("known place(s) not shown, 0 stale entr(ies)")
