"""Rules from --rules-path and from third-party entry points go through the same checks."""
from __future__ import annotations

import json
import sys
import textwrap
from tfllint.entry_points import EntryPoint

import pytest
from builder import relu_model

from tfllint.engine import registry

GOOD_RULE = '''
from tfllint.engine.rule import Location, Violation, rule

@rule(id="ACME001", name="model-has-no-description", severity="warning")
def check(ctx):
    """Models should say what they are.

    What it finds:
        Models whose description is the converter default.
    Why it matters:
        Nobody knows where the file came from.
    Example:
        description "MLIR Converted."
    How to fix:
        Set a description.
    """
    yield Violation("description is " + repr(ctx.view.model.description), Location())
'''


@pytest.fixture
def model(tmp_path):
    path = tmp_path / "m.tflite"
    path.write_bytes(relu_model().build())
    return path


def write_rules(directory, name: str, text: str):
    directory.mkdir(parents=True, exist_ok=True)
    (directory / f"{name}.py").write_text(textwrap.dedent(text))
    return directory


def test_rules_path_rule_runs_and_is_listed(run_cli, model, tmp_path):
    rules_dir = write_rules(tmp_path / "my_rules", "acme", GOOD_RULE)
    code, out, _ = run_cli(model, "--no-config", "--rules-path", rules_dir, "--format", "json",
                           "--select", "ACME")
    assert code == 0
    findings = json.loads(out)["models"][0]["findings"]
    assert [(f["rule"], f["severity"]) for f in findings] == [("ACME001", "warning")]
    code, out, _ = run_cli("rules", "--no-config", "--rules-path", rules_dir)
    assert code == 0 and "ACME001" in out and "TFL101" in out


@pytest.mark.parametrize("change, message", [
    (("ACME001", "TFL101"), "rule TFL101 is defined twice"),
    (("ACME001", "acme-1"), "is not letters followed by 3-4 digits"),
    (("model-has-no-description", "NoDescription"), "is not kebab-case"),
    (('severity="warning"', 'severity="fatal"'), "severity 'fatal'"),
    (("    How to fix:\n        Set a description.\n", ""), "lacks section(s): How to fix"),
])
def test_invalid_rules_are_rejected_on_load(run_cli, model, tmp_path, change, message):
    rules_dir = write_rules(tmp_path / "bad_rules", "acme", GOOD_RULE.replace(*change))
    code, out, err = run_cli(model, "--no-config", "--rules-path", rules_dir)
    assert code == 2 and out == "" and message in err


def test_rule_module_that_fails_to_import_is_a_clear_error(run_cli, model, tmp_path):
    rules_dir = write_rules(tmp_path / "broken", "oops", "import no_such_module\n")
    code, _, err = run_cli(model, "--no-config", "--rules-path", rules_dir)
    assert code == 2 and "failed to import" in err and "no_such_module" in err


def test_rule_that_raises_is_a_failure_finding_and_the_other_findings_stay(run_cli, model,
                                                                          tmp_path):
    rules_dir = write_rules(tmp_path / "crashing", "acme",
                            GOOD_RULE.replace('yield Violation(', 'raise KeyError("boom"); yield Violation('))
    arguments = (model, "--no-config", "--rules-path", rules_dir)
    code, out, err = run_cli(*arguments, "--format", "json")
    assert code == 2 and "Traceback" not in err
    document = json.loads(out)
    entry = document["models"][0]
    assert entry["error"] is None
    assert [(f["rule"], f["severity"]) for f in entry["findings"]] == [
        ("ACME001", "failure"), ("TFL107", "info")]  # the built-in rules still report
    assert "rule ACME001 (model-has-no-description) failed: KeyError: 'boom'" in \
        entry["findings"][0]["message"]
    assert document["summary"]["rule_failures"] == 1
    assert document["summary"]["findings"] == {"error": 0, "warning": 0, "info": 1}
    code, out, _ = run_cli(*arguments)
    assert code == 2 and "failure ACME001" in out and "1 rule failure(s)" in out


def test_third_party_entry_point_uses_the_same_door(run_cli, model, tmp_path, monkeypatch):
    package = tmp_path / "site" / "acme_tfllint"
    package.mkdir(parents=True)
    (package / "__init__.py").write_text("")
    (package / "naming.py").write_text(textwrap.dedent(GOOD_RULE))
    monkeypatch.syspath_prepend(str(tmp_path / "site"))
    builtin = list(registry.entry_points(group=registry.ENTRY_POINT_GROUP))
    assert [e.value for e in builtin] == ["tfllint.rules"]  # built-ins come through it too
    plugin = EntryPoint(name="acme", value="acme_tfllint", group=registry.ENTRY_POINT_GROUP)
    monkeypatch.setattr(registry, "entry_points", lambda group: [*builtin, plugin])
    code, out, _ = run_cli(model, "--no-config", "--select", "ACME001", "--format", "json")
    assert code == 0
    assert [f["rule"] for f in json.loads(out)["models"][0]["findings"]] == ["ACME001"]
    sys.modules.pop("acme_tfllint.naming", None)


def test_rules_path_in_config_is_relative_to_the_config_file(run_cli, model, tmp_path,
                                                              monkeypatch):
    project = tmp_path / "project"
    write_rules(project / "lint_rules", "acme", GOOD_RULE)
    (project / "tfllint.toml").write_text('rules-path = ["lint_rules"]\nselect = ["ACME"]\n')
    (project / "deep" / "er").mkdir(parents=True)
    monkeypatch.chdir(project / "deep" / "er")
    code, out, err = run_cli(model, "--format", "json")
    assert code == 0, err
    assert [f["rule"] for f in json.loads(out)["models"][0]["findings"]] == ["ACME001"]
