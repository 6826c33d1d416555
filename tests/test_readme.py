"""The README says what tfllint does: its sample output, its rule-writing example and its
configuration example are run here as a user would run them. (The pre-commit snippet and
the CI-gate table have tests of their own: test_precommit_real.py, test_ci_gate.py.)"""
from __future__ import annotations

import re
import sys

from tfllint.records import replace

from builder import relu_model
from conftest import REPO, view_of

from tfllint.analyses import Analyses
from tfllint.engine.registry import load_rules
from tfllint.engine.runner import run_rules
from tfllint.engine.settings import Settings
from tfllint.view import ModelView

sys.path.insert(0, str(REPO / "tools"))
import readme_samples  # noqa: E402

README = (REPO / "README.md").read_text()


def test_sample_outputs_are_what_tfllint_prints():
    found = readme_samples.samples(README)
    assert found and README.index(found[0][1]) < README.index("## Commands")  # one on top
    for command, shown in found:
        printed = readme_samples.run(command)
        assert printed == shown, (f"README sample of `{command}` is stale (run "
                                  f"`python tools/readme_samples.py`); it prints:\n{printed}")


def section(title: str) -> str:
    start = README.index(f"## {title}\n")
    end = README.find("\n## ", start + 1)
    return README[start:end if end > 0 else None]


def test_writing_rules_example_loads_and_fires(run_cli, tmp_path):
    code = re.search(r"```python\n(.*?)```", section("Writing rules"), re.S)[1]
    rules = tmp_path / "acme_rules"
    rules.mkdir()
    (rules / "acme001_model_has_no_description.py").write_text(code)
    [rule] = [r for r in load_rules((str(rules),)) if r.id == "ACME001"]
    described = view_of(relu_model().build())  # the test builder writes a description
    undescribed = ModelView(replace(described.file, model=replace(described.model,
                                                                  description="")))
    settings = Settings()
    assert [f.message for f in run_rules(described, Analyses(described), (rule,), settings)] \
        == []
    assert [(f.rule, f.severity, f.message) for f in run_rules(
        undescribed, Analyses(undescribed), (rule,), settings)] == [
        ("ACME001", "warning", "the model has no description")]
    exit_code, out, err = run_cli(tmp_path / "none.tflite", "--no-config", "--rules-path",
                                  rules, "--select", "ACME001")
    assert exit_code == 2 and "no such file" in out and err == ""  # loaded and selectable
    exit_code, out, _ = run_cli("explain", "ACME001", "--no-config", "--rules-path", rules)
    assert exit_code == 0 and "Why it matters" in out


def test_python_api_example_runs(monkeypatch, capsys):
    code = re.search(r"```python\n(.*?)```", section("Python API"), re.S)[1]
    monkeypatch.chdir(REPO)
    exec(compile(code, "README.md: Python API", "exec"), {})
    assert "TFL101" in capsys.readouterr().out  # flex_op.tflite's finding, printed


def test_configuration_example_is_valid(run_cli, tmp_path):
    toml = re.search(r"```toml\n(.*?)```", section("Configuration"), re.S)[1]
    (tmp_path / "pyproject.toml").write_text(toml)
    for path in re.findall(r'rules-path = \["([^"]+)"\]', toml):
        (tmp_path / path).mkdir(parents=True)
    models = tmp_path / "models"
    (models / "legacy").mkdir(parents=True)
    (models / "legacy" / "old.tflite").write_bytes((REPO / "models" / "micro_int8.tflite")
                                                   .read_bytes())
    code, out, err = run_cli(models, "--config", tmp_path / "pyproject.toml")
    assert "Traceback" not in err and "error:" not in err, err
    assert code in (0, 1) and "1 model(s)" in out
