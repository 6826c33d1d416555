"""The command line: exit codes, path expansion, selection, severities, formats."""
from __future__ import annotations

import json
import subprocess
import sys

import pytest
from builder import relu_model
from rule_examples import tfl101

from tfllint import __version__


@pytest.fixture
def clean(tmp_path):
    path = tmp_path / "clean.tflite"
    path.write_bytes(relu_model().build())
    return path


@pytest.fixture
def flex(tmp_path):
    path = tmp_path / "flex.tflite"
    path.write_bytes(tfl101.bad())
    return path


def rules_fired(out: str) -> list[tuple[str, str]]:
    return [(f["rule"], f["severity"]) for m in json.loads(out)["models"] for f in m["findings"]]


def test_clean_model_exits_0_and_info_counts_only_with_fail_on_info(run_cli, clean):
    assert run_cli(clean, "--no-config")[0] == 0
    code, out, _ = run_cli(clean, "--no-config", "--format", "json", "--fail-on", "info")
    assert code == 1 and rules_fired(out) == [("TFL107", "info")]


def test_error_finding_exits_1(run_cli, flex):
    code, out, _ = run_cli(flex, "--no-config", "--runtime-version", "2.21")
    assert code == 1
    assert "TFL101" in out and "FlexMatrixDeterminant" in out
    assert out.strip().endswith("1 model(s): 1 error(s), 0 warning(s), 0 info")


def test_select_ignore_and_severity_override(run_cli, flex):
    base = (flex, "--no-config", "--format", "json")
    assert rules_fired(run_cli(*base, "--ignore", "TFL101")[1]) == []  # no op in the runtime table
    assert rules_fired(run_cli(*base, "--select", "TFL0")[1]) == []
    assert rules_fired(run_cli(*base, "--select", "flex-op-needs-flex-delegate")[1]) == \
        [("TFL101", "error")]
    code, out, _ = run_cli(*base, "--select", "TFL101", "--severity", "TFL101=warning")
    assert code == 0 and rules_fired(out) == [("TFL101", "warning")]
    assert run_cli(*base, "--severity", "TFL101=warning", "--fail-on", "warning")[0] == 1
    assert run_cli(*base, "--fail-on", "none")[0] == 0


def test_unknown_selector_is_a_usage_error(run_cli, clean):
    code, out, err = run_cli(clean, "--no-config", "--select", "TFL9")
    assert code == 2 and out == ""
    assert "'TFL9' matches no rule" in err


def test_directories_recurse_and_globs_expand(run_cli, tmp_path):
    (tmp_path / "a" / "b").mkdir(parents=True)
    for path in (tmp_path / "one.tflite", tmp_path / "a" / "b" / "two.tflite"):
        path.write_bytes(relu_model().build())
    (tmp_path / "notes.txt").write_text("not a model")
    document = json.loads(run_cli(tmp_path, "--no-config", "--format", "json")[1])
    assert [m["path"] for m in document["models"]] == \
        [str(tmp_path / "a" / "b" / "two.tflite"), str(tmp_path / "one.tflite")]
    document = json.loads(run_cli(str(tmp_path / "**" / "*.tflite"), "--no-config",
                                  "--format", "json")[1])
    assert len(document["models"]) == 2


def test_unreadable_model_exits_2_and_the_others_are_still_linted(run_cli, tmp_path, flex):
    missing = tmp_path / "missing.tflite"
    empty = tmp_path / "empty"
    empty.mkdir()
    code, out, err = run_cli(flex, missing, empty, "--no-config", "--format", "json")
    assert code == 2 and "Traceback" not in err
    models = json.loads(out)["models"]
    assert [(m["path"], m["error"]) for m in models] == [
        (str(flex), None),
        (str(missing), "no such file or directory"),
        (str(empty), "directory holds no .tflite files")]
    assert models[0]["findings"]  # the readable model was linted


def test_text_report_shows_header_and_findings_and_the_contract_behind_show_io(run_cli, flex):
    _, out, _ = run_cli(flex, "--no-config")
    assert "  408 B, 1 op, float32, runtime needed: unknown, arena" in out
    assert "TFL101" in out and "fix:" in out
    assert "dtype" not in out  # the I/O table is behind --show io
    _, out, _ = run_cli(flex, "--no-config", "--show", "io")
    assert "matrix" in out and "determinant" in out and "dtype" in out


def test_text_report_names_signature_inputs_by_their_signature_names(run_cli):
    from conftest import MODELS

    _, out, _ = run_cli(MODELS / "flex_op.tflite", "--no-config", "--show=io")
    assert "signature 'serving_default': (matrix) -> (determinant)" in out


def test_version_and_module_entry_point(clean):
    result = subprocess.run([sys.executable, "-m", "tfllint", "--version"],
                            capture_output=True, text=True)
    assert result.returncode == 0 and result.stdout.strip() == f"tfllint {__version__}"
    result = subprocess.run([sys.executable, "-m", "tfllint", str(clean), "--no-config"],
                            capture_output=True, text=True)
    assert result.returncode == 0 and "1 model(s)" in result.stdout


def test_usage_errors_exit_2(run_cli):
    assert run_cli()[0] == 2
    with pytest.raises(SystemExit) as raised:
        run_cli("lint", "--no-such-option", "x.tflite")
    assert raised.value.code == 2
    code, _, err = run_cli("x.tflite", "--no-config", "--runtime-version", "two")
    assert code == 2 and "'two' is not a version" in err
    code, _, err = run_cli("x.tflite", "--no-config", "--format", "xml")
    assert code == 2 and "unknown format 'xml'" in err


def test_inspect_text_shows_contract_formulas_signatures_and_support_metadata(run_cli):
    from conftest import MODELS

    code, out, _ = run_cli("inspect", MODELS / "cnn_int8_metadata.tflite")
    assert code == 0
    assert "serving_default_image:0  int8     [1, 32, 32, 3]" in out
    assert "real = 0.00784307532 * (q + 1)" in out
    assert "input  'image' -> tensor 0 'serving_default_image:0'" in out
    assert "image RGB; normalize (x - [127.5]) / [127.5]" in out
    assert "TENSOR_AXIS_LABELS labels.txt (10 lines: airplane, automobile" in out


def test_inspect_of_an_unreadable_file_exits_2_with_one_message(run_cli, tmp_path):
    path = tmp_path / "junk.tflite"
    path.write_bytes(b"\x00" * 3)
    code, out, err = run_cli("inspect", path)
    assert code == 2 and out == ""
    assert err == f"tfllint: error: {path}: the file is 3 bytes, too short to be a TFLite model\n"
