"""Configuration files: discovery, keys, per-model ignores, and the command line winning."""
from __future__ import annotations

import json

import pytest
from builder import relu_model
from rule_examples import tfl101


@pytest.fixture
def project(tmp_path, monkeypatch):
    """A project directory with a flex model in models/ and the cwd inside it."""
    (tmp_path / "models").mkdir()
    (tmp_path / "models" / "flex.tflite").write_bytes(tfl101.bad())
    (tmp_path / "models" / "clean.tflite").write_bytes(relu_model().build())
    monkeypatch.chdir(tmp_path)
    return tmp_path


def fired(run_cli, *arguments) -> tuple[int, dict[str, list[str]]]:
    code, out, err = run_cli("models", "--format", "json", *arguments)
    assert code != 2, err
    document = json.loads(out)
    return code, {m["path"].split("/")[-1]: [f"{f['rule']}:{f['severity']}" for f in m["findings"]]
                  for m in document["models"]}


def test_tfllint_toml_is_found_and_applied(project, run_cli):
    (project / "tfllint.toml").write_text(
        'runtime-version = "2.21"\nseverity = { TFL101 = "warning" }\n')
    code, findings = fired(run_cli)
    assert code == 0
    assert findings == {"clean.tflite": [], "flex.tflite": ["TFL101:warning"]}


def test_pyproject_table_is_found_from_a_subdirectory(project, run_cli, monkeypatch):
    (project / "pyproject.toml").write_text('[tool.tfllint]\nignore = ["TFL1"]\n')
    monkeypatch.chdir(project / "models")
    code, out, _ = run_cli(".", "--format", "json")
    assert code == 0
    assert all(not m["findings"] for m in json.loads(out)["models"])


def test_pyproject_without_table_is_passed_over(project, run_cli):
    (project / "pyproject.toml").write_text('[project]\nname = "app"\n')
    assert fired(run_cli)[0] == 1  # defaults: TFL101 is an error


def test_command_line_wins_over_config(project, run_cli):
    (project / "tfllint.toml").write_text('fail-on = "none"\nselect = ["TFL0"]\n')
    assert fired(run_cli)[0] == 0
    code, findings = fired(run_cli, "--select", "TFL101", "--fail-on", "error")
    assert code == 1 and findings["flex.tflite"] == ["TFL101:error"]


def test_per_model_ignores_by_glob_and_op(project, run_cli):
    (project / "tfllint.toml").write_text(
        'runtime-version = "2.21"\n'
        '[per-model-ignores]\n'
        '"models/flex*.tflite" = { rules = ["flex-op-needs-flex-delegate"], op = "Flex*" }\n')
    code, findings = fired(run_cli)
    assert code == 0 and findings["flex.tflite"] == []
    (project / "tfllint.toml").write_text(
        'runtime-version = "2.21"\n'
        '[per-model-ignores]\n'
        '"models/flex*.tflite" = { rules = ["TFL101"], op = "Conv*" }\n')
    assert fired(run_cli)[1]["flex.tflite"] == ["TFL101:error"]


@pytest.mark.parametrize("text, message", [
    ('colour = "red"\n', "unknown key(s) 'colour'"),
    ('fail-on = "sometimes"\n', "fail-on must be one of"),
    ('select = ["TFL99"]\n', "'TFL99' matches no rule"),
    ('[rule-options.TFL101]\nmax-ops = 3\n', "unknown option 'max-ops' for TFL101"),
    ('[per-model-ignores]\n"*.tflite" = { rules = ["TFL101"], opp = "x" }\n', "unknown key(s) opp"),
    ('runtime-version = "latest"\n', "'latest' is not a version"),
    ('select = [\n', "not valid TOML"),
    ('memory-budget = "1.5"\n', "memory-budget: a size in bytes must be a whole number, got "
                                "'1.5'; did you mean 1.5KiB or 1.5MiB?"),
    ('weights-budget = 2.5\n', "weights-budget: a size in bytes must be a whole number, got "
                               "2.5; did you mean 2.5KiB or 2.5MiB?"),
])
def test_bad_config_is_one_clear_error(project, run_cli, text, message):
    (project / "tfllint.toml").write_text(text)
    code, out, err = run_cli("models")
    assert code == 2 and out == ""
    assert message in err and str(project / "tfllint.toml") in err
    assert "Traceback" not in err


def test_explicit_config_and_no_config(project, run_cli, tmp_path):
    config = tmp_path / "strict.toml"
    config.write_text('fail-on = "info"\n')
    assert run_cli("models", "--config", config)[0] == 1
    (project / "tfllint.toml").write_text('colour = "red"\n')  # would be an error
    assert run_cli("models", "--no-config", "--ignore", "TFL101")[0] == 0
    code, _, err = run_cli("models", "--config", tmp_path / "missing.toml")
    assert code == 2 and "no such file" in err


@pytest.mark.parametrize("option", ["--memory-budget", "--weights-budget"])
def test_a_fraction_of_a_byte_on_the_command_line_is_a_usage_error(project, run_cli, option):
    code, out, err = run_cli("models", "--no-config", option, "1.5")
    assert (code, out) == (2, "")
    assert err.strip().endswith(f"{option[2:]}: a size in bytes must be a whole number, got "
                                "'1.5'; did you mean 1.5KiB or 1.5MiB?")
