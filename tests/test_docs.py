"""Generated documentation stays fresh, and real JSON output matches its schema."""
from __future__ import annotations

import json

import jsonschema
import pytest
from conftest import REPO, SAMPLE_MODELS

SCHEMA = json.loads((REPO / "tfllint" / "report.schema.json").read_text())


def test_rules_catalogue_is_fresh(run_cli):
    code, out, _ = run_cli("rules", "--format", "markdown", "--no-config")
    assert code == 0
    assert (REPO / "docs" / "rules.md").read_text() == out, \
        "docs/rules.md is stale: run `tfllint rules --format markdown > docs/rules.md`"


def test_schema_is_valid_json_schema():
    jsonschema.Draft202012Validator.check_schema(SCHEMA)


def test_json_report_of_every_sample_model_matches_schema(run_cli, tmp_path):
    broken = tmp_path / "broken.tflite"
    broken.write_bytes(b"not a model at all")
    npu = REPO / "tests" / "data" / "test_npu.toml"
    code, out, _ = run_cli(*SAMPLE_MODELS, broken, "--format", "json", "--no-config",
                           "--target", f"cpu,{npu}")
    assert code == 2  # the unreadable model
    document = json.loads(out)
    jsonschema.validate(document, SCHEMA)
    assert len(document["models"]) == len(SAMPLE_MODELS) + 1
    assert document["models"][-1]["error"].startswith("not a TFLite model")
    assert set(document["models"][0]["targets"]) == {"cpu", "test-npu"}


def test_explain_prints_the_rule_documentation(run_cli):
    code, out, _ = run_cli("explain", "TFL101", "--no-config")
    assert code == 0
    assert out.startswith("TFL101 flex-op-needs-flex-delegate (default severity: error)")
    for title in ("What it finds:", "Why it matters:", "Example:", "How to fix:"):
        assert title in out
    assert run_cli("explain", "flex-op-needs-flex-delegate", "--no-config")[1] == out


def test_explain_unknown_rule_is_a_usage_error(run_cli):
    code, _, err = run_cli("explain", "TFL999", "--no-config")
    assert code == 2 and "no rule 'TFL999'" in err


def test_non_finite_scales_stay_strict_json(run_cli, tmp_path):
    from builder import relu_model

    path = tmp_path / "nan.tflite"
    path.write_bytes(relu_model(dtype="INT8", scale=[float("nan")], zero_point=[0]).build())

    def strict(text: str):
        return json.loads(text, parse_constant=lambda name: pytest.fail(f"bare {name} in JSON"))

    code, out, _ = run_cli(path, "--format", "json", "--no-config")
    document = strict(out)
    jsonschema.validate(document, SCHEMA)
    assert document["models"][0]["inputs"][0]["quantization"]["scale"] == ["NaN"]
    assert strict(run_cli("inspect", path, "--format", "json")[1])["inputs"][0][
        "quantization"]["scale"] == ["NaN"]
    assert "scale NaN, zero point 0" in run_cli(path, "--no-config", "--show", "io")[1]
