"""--format sarif (tfllint/reporters/sarif.py): SARIF 2.1.0 that the official schema and
Microsoft's validator accept, fingerprints that survive unrelated edits, paths relative
to the repository root.

tests/data/sarif-schema-2.1.0.json is the SARIF 2.1.0 JSON schema as Microsoft ships it
in the npm package @microsoft/sarif-multitool-linux 5.7.0 (file sarif-2.1.0.json). The
validator test fetches that package itself, lazily, with `npm pack` into
~/.cache/tfllint-sarif-multitool (kept between runs), and skips with the reason when npm,
the registry or a Linux x86-64 host is missing.
"""
from __future__ import annotations

import json
import os
import platform
import shutil
import subprocess
import sys
import tarfile
from pathlib import Path

import jsonschema
import pytest

from conftest import REPO, SAMPLE_MODELS
from builder import ModelBuilder

import tfllint
from tfllint.pipeline import Report
from tfllint.reporters import get_reporter
from tfllint.reporters.sarif import FINGERPRINT, sarif_log

SCHEMA = json.loads((Path(__file__).parent / "data" / "sarif-schema-2.1.0.json")
                    .read_text(encoding="utf-8"))
MULTITOOL = "@microsoft/sarif-multitool-linux@5.7.0"
MULTITOOL_CACHE = Path.home() / ".cache" / "tfllint-sarif-multitool"
TARGETS = ["coral", "gpu", "ethos-u55", "tflm"]


def validate(log: dict) -> None:
    jsonschema.validators.validator_for(SCHEMA)(
        SCHEMA, format_checker=jsonschema.FormatChecker()).validate(log)


def sample_log(tmp_path: Path, monkeypatch) -> dict:
    """The SARIF of the sample models on several targets, plus an unreadable model."""
    corrupt = tmp_path / "corrupt.tflite"
    corrupt.write_bytes(b"\x18\x00\x00\x00TFL3" + b"\xff" * 40)
    monkeypatch.chdir(REPO)
    monkeypatch.delenv("TFLLINT_SARIF_ROOT", raising=False)
    report = tfllint.lint([*(str(p.relative_to(REPO)) for p in SAMPLE_MODELS), str(corrupt)],
                          target=TARGETS, use_config=False)
    return json.loads(get_reporter("sarif").render(report, None))


def failure_report() -> Report:
    """A report with a rule that raised and a grouped finding, built by hand."""
    place = {"subgraph": 0, "op_index": 3, "op": "CONV_2D", "tensor": None,
             "tensor_index": None, "buffer": None, "key": "CONV_2D:conv"}
    tensor = {"subgraph": 1, "op_index": None, "op": None, "tensor": "w",
              "tensor_index": 7, "buffer": None, "key": "sg1 w"}
    findings = [
        {"rule": "TFL301", "name": "op-not-supported-on-target", "severity": "warning",
         "message": "left on the CPU", "locations": [place, {**place, "op_index": 5,
                                                             "key": "CONV_2D:conv2"}],
         "target": "gpu", "fix": "fix it"},
        {"rule": "TFL201", "name": "x", "severity": "info", "message": "a tensor",
         "locations": [tensor], "target": None, "fix": None},
        {"rule": "TFL999", "name": "broken", "severity": "failure",
         "message": "rule TFL999 (broken) failed: ValueError", "locations": [{"key": "model"}],
         "target": None, "fix": "report it"}]
    model = {"path": "models/cnn_int8.tflite", "size_bytes": 10, "error": None,
             "findings": findings}
    rules = tuple({"id": rid, "name": name, "severity": "warning", "summary": "One line.",
                   "doc": "One line.\n\nWhat it finds:\n  x", "evidence": "",
                   "sections": {"How to fix": "Do this."}}
                  for rid, name in (("TFL301", "op-not-supported-on-target"),
                                    ("TFL201", "x"), ("TFL999", "broken")))
    return Report(models=(model,), rules=rules)


# -- (a) the official schema -------------------------------------------------------------

def test_sample_models_validate_against_the_sarif_schema(tmp_path, monkeypatch):
    log = sample_log(tmp_path, monkeypatch)
    validate(log)
    run, = log["runs"]
    driver = run["tool"]["driver"]
    assert driver["name"] == "tfllint" and driver["version"] == tfllint.__version__
    assert driver["informationUri"]
    rule_ids = [rule["id"] for rule in driver["rules"]]
    assert "TFL301" in rule_ids and "TFL101" in rule_ids
    for rule in driver["rules"]:
        assert rule["shortDescription"]["text"] and rule["fullDescription"]["text"]
        assert rule["help"]["text"]
        assert rule["defaultConfiguration"]["level"] in ("error", "warning", "note")
    levels = {result["level"] for result in run["results"]}
    assert levels == {"error", "warning", "note"}
    for result in run["results"]:
        assert driver["rules"][result["ruleIndex"]]["id"] == result["ruleId"]
        location, = result["locations"]
        assert location["physicalLocation"]["region"] == {"startLine": 1}
        assert result["partialFingerprints"][FINGERPRINT]
    # the unreadable model is a tool notification, not a result; the run exits 2
    invocation, = run["invocations"]
    assert invocation["exitCode"] == 2 and invocation["executionSuccessful"] is False
    notification, = invocation["toolExecutionNotifications"]
    assert notification["level"] == "error"
    assert notification["descriptor"]["id"] == "tfllint/unreadable-model"
    assert notification["locations"][0]["physicalLocation"]["artifactLocation"]["uri"] \
        .startswith("file:///")


def test_a_rule_that_raised_is_a_notification_and_a_group_is_one_result_per_place():
    log = sarif_log(failure_report(), root="")
    validate(log)
    run, = log["runs"]
    results = run["results"]
    assert [(r["ruleId"], r["level"]) for r in results] == [
        ("TFL301", "warning"), ("TFL301", "warning"), ("TFL201", "note")]
    first, second, tensor = results
    assert "2 places share this cause" in first["message"]["text"]
    assert first["partialFingerprints"] != second["partialFingerprints"]
    assert [loc["fullyQualifiedName"] for loc in first["locations"][0]["logicalLocations"]] \
        == ["subgraph 0", "subgraph 0/op 3 CONV_2D"]
    assert second["locations"][0]["logicalLocations"][1]["name"] == "CONV_2D"
    assert [(loc["kind"], loc["fullyQualifiedName"])
            for loc in tensor["locations"][0]["logicalLocations"]] == [
        ("module", "subgraph 1"), ("variable", "subgraph 1/tensor 7 w")]
    invocation, = run["invocations"]
    notification, = invocation["toolExecutionNotifications"]
    assert notification["level"] == "error"
    assert notification["associatedRule"] == {"id": "TFL999", "index": 2}
    assert invocation["exitCode"] == 2 and not invocation["executionSuccessful"]


def test_the_cli_writes_sarif(run_cli, monkeypatch):
    monkeypatch.chdir(REPO)
    code, out, _ = run_cli("models/flex_op.tflite", "--format", "sarif", "--no-config")
    log = json.loads(out)
    validate(log)
    assert code == 1
    assert {r["ruleId"] for r in log["runs"][0]["results"]} >= {"TFL101"}


# -- (b) Microsoft's validator -----------------------------------------------------------

def multitool() -> Path:
    """The Sarif.Multitool binary, fetched once with `npm pack` into the cache."""
    if not (sys.platform.startswith("linux") and platform.machine() in ("x86_64", "AMD64")):
        pytest.skip(f"{MULTITOOL} runs on Linux x86-64 only")
    binary = MULTITOOL_CACHE / "package" / "Sarif.Multitool"
    if not binary.exists():
        npm = shutil.which("npm")
        if not npm:
            pytest.skip(f"npm is not installed, so {MULTITOOL} cannot be fetched")
        MULTITOOL_CACHE.mkdir(parents=True, exist_ok=True)
        packed = subprocess.run([npm, "pack", MULTITOOL], cwd=MULTITOOL_CACHE,
                                capture_output=True, text=True, timeout=600)
        tarballs = sorted(MULTITOOL_CACHE.glob("microsoft-sarif-multitool-linux-*.tgz"))
        if packed.returncode != 0 or not tarballs:
            pytest.skip(f"npm pack {MULTITOOL} failed: {packed.stderr.strip()[-300:]}")
        with tarfile.open(tarballs[-1]) as archive:
            archive.extractall(MULTITOOL_CACHE, filter="data")
    binary.chmod(0o755)
    return binary


def test_microsoft_sarif_validator_finds_no_error(tmp_path, monkeypatch):
    binary = multitool()
    files = [tmp_path / "samples.sarif", tmp_path / "failure.sarif"]
    files[0].write_text(json.dumps(sample_log(tmp_path, monkeypatch)), encoding="utf-8")
    files[1].write_text(json.dumps(sarif_log(failure_report(), root=str(REPO))),
                        encoding="utf-8")
    output = tmp_path / "validation.sarif"
    environment = {**os.environ, "DOTNET_CLI_TELEMETRY_OPTOUT": "1",
                   "DOTNET_SYSTEM_GLOBALIZATION_INVARIANT": "1"}
    done = subprocess.run([str(binary), "validate", *map(str, files), "--output", str(output),
                           "--rule-kind", "Sarif;Gh", "--level", "Error;Warning;Note"],
                          capture_output=True, text=True, timeout=600, env=environment)
    assert output.exists(), done.stdout + done.stderr
    validation = json.loads(output.read_text(encoding="utf-8-sig"))
    results = [r for run in validation["runs"] for r in run.get("results", [])]
    notifications = [n for run in validation["runs"] for i in run.get("invocations", [])
                     for n in i.get("toolExecutionNotifications", [])
                     if n.get("level") == "error"]
    problems = [(r["ruleId"], r.get("message")) for r in results
                if r.get("level", "warning") in ("error", "warning")]
    assert not problems and not notifications, (problems, notifications, done.stdout[-2000:])
    assert done.returncode == 0, done.stdout[-2000:]
    assert results  # the notes (PascalCase names, no snippets...) show the rules ran


# -- (c) fingerprints --------------------------------------------------------------------

def custom_model(extra_op: bool) -> bytes:
    """Two custom ops around a TANH; `extra_op` puts an unrelated RELU in front."""
    model = ModelBuilder()
    main = model.subgraph()
    x = current = main.tensor("x", [1, 8])
    if extra_op:
        current = main.tensor("pre", [1, 8])
        main.op("RELU", [x], [current])
    mid, out, w = (main.tensor(name, [1, 8]) for name in ("mid", "out", "w"))
    main.op("CUSTOM", [current], [mid], custom_code="MyOp")
    main.op("TANH", [mid], [out])
    main.op("CUSTOM", [out], [w], custom_code="MyOp")
    main.inputs, main.outputs = [x], [w]
    return model.build()


def fingerprints(path: Path) -> dict[str, tuple[str, str]]:
    report = tfllint.lint([str(path)], target=["gpu", "coral"], use_config=False)
    log = sarif_log(report, root=str(path.parent))
    validate(log)
    return {r["partialFingerprints"][FINGERPRINT]: (r["ruleId"], r["properties"]["key"])
            for r in log["runs"][0]["results"]}


def test_fingerprints_survive_an_unrelated_op(tmp_path):
    before, after = tmp_path / "before.tflite", tmp_path / "after.tflite"
    before.write_bytes(custom_model(False))
    after.write_bytes(custom_model(True))
    old, new = fingerprints(before), fingerprints(after)
    places = set(old.values())
    assert {("TFL102", "MyOp:mid"), ("TFL102", "MyOp:w"), ("TFL301", "MyOp:w")} <= places
    assert len(old) == len(places)  # one fingerprint per result
    missing = {value for fingerprint, value in old.items() if fingerprint not in new}
    assert not missing, missing
    assert {new[f] for f in old} == places
    # the op indices did move
    report = tfllint.lint([str(after)], target=["gpu"], use_config=False)
    assert {loc["op_index"] for f in report.findings if f["rule"] == "TFL102"
            for loc in f["locations"]} == {1, 3}


# -- (d) paths relative to the repository root -------------------------------------------

def artifact_uris(log: dict) -> list[str]:
    return [a["location"]["uri"] for a in log["runs"][0]["artifacts"]]


def test_uri_is_relative_to_the_git_root(tmp_path, monkeypatch):
    if not shutil.which("git"):
        pytest.skip("git is not installed")
    repository = tmp_path / "repo"
    (repository / "sub" / "my models").mkdir(parents=True)
    subprocess.run(["git", "init", "-q", str(repository)], check=True)
    model = repository / "sub" / "my models" / "m.tflite"
    model.write_bytes(custom_model(False))
    monkeypatch.delenv("TFLLINT_SARIF_ROOT", raising=False)
    monkeypatch.chdir(repository / "sub")
    report = tfllint.lint(["my models/m.tflite"], use_config=False)
    log = json.loads(get_reporter("sarif").render(report, None))
    validate(log)
    run = log["runs"][0]
    assert artifact_uris(log) == ["sub/my%20models/m.tflite"]
    location = run["results"][0]["locations"][0]["physicalLocation"]["artifactLocation"]
    assert location == {"uri": "sub/my%20models/m.tflite", "uriBaseId": "%SRCROOT%",
                        "index": 0}
    assert run["originalUriBaseIds"]["%SRCROOT%"]["uri"] == \
        repository.resolve().as_uri() + "/"
    # an explicit root wins over git's
    monkeypatch.setenv("TFLLINT_SARIF_ROOT", str(repository / "sub"))
    log = json.loads(get_reporter("sarif").render(report, None))
    assert artifact_uris(log) == ["my%20models/m.tflite"]


def test_outside_a_git_repository_the_path_is_as_given(tmp_path, monkeypatch):
    (tmp_path / "models").mkdir()
    (tmp_path / "models" / "m.tflite").write_bytes(custom_model(False))
    monkeypatch.delenv("TFLLINT_SARIF_ROOT", raising=False)
    monkeypatch.setenv("GIT_CEILING_DIRECTORIES", str(tmp_path.parent))
    monkeypatch.chdir(tmp_path)
    report = tfllint.lint(["models/m.tflite"], use_config=False)
    log = json.loads(get_reporter("sarif").render(report, None))
    validate(log)
    assert artifact_uris(log) == ["models/m.tflite"]
    assert "originalUriBaseIds" not in log["runs"][0]
    assert "uriBaseId" not in log["runs"][0]["artifacts"][0]["location"]
