"""Preview: new rules, and rules whose severity rises, run (or apply it) only with --preview
or `preview = true`, so that an upgrade does not break a pipeline (issue 11.8)."""
from __future__ import annotations

import json
import textwrap

import pytest
from builder import relu_model

from tfllint.engine.registry import load_rules

RULES = '''
from tfllint.engine.rule import Location, Violation, rule

DOC = """{summary}

What it finds:
    Every model.
Why it matters:
    It is a test.
Example:
    any model
How to fix:
    Nothing to fix.
"""


def _new(ctx):
    yield Violation("a new rule fired", Location())


def _rising(ctx):
    yield Violation("a rising rule fired", Location())


_new.__doc__ = DOC.format(summary="A new rule, in preview.")
_rising.__doc__ = DOC.format(summary="A rule whose severity rises.")
new = rule(id="ACME100", name="new-rule", severity="warning", {new})(_new)
rising = rule(id="ACME200", name="rising-rule", severity="warning", {rising})(_rising)
'''


def write_rules(directory, new: str = "preview=True", rising: str = 'preview_severity="error"'):
    directory.mkdir(parents=True, exist_ok=True)
    (directory / "acme.py").write_text(textwrap.dedent(RULES.format(
        summary="{summary}", new=new, rising=rising)))
    return directory


@pytest.fixture
def rules_dir(tmp_path):
    return write_rules(tmp_path / "acme_rules")


@pytest.fixture
def model(tmp_path):
    path = tmp_path / "m.tflite"
    path.write_bytes(relu_model().build())
    return path


def fired(run_cli, *arguments) -> tuple[int, list[str]]:
    code, out, err = run_cli(*arguments, "--format", "json")
    assert code != 2, err
    return code, sorted(f"{f['rule']}:{f['severity']}" for f in
                        json.loads(out)["models"][0]["findings"] if f["rule"].startswith("ACME"))


def test_preview_rules_and_severities_apply_only_with_preview(run_cli, model, rules_dir):
    common = (model, "--no-config", "--rules-path", rules_dir)
    assert fired(run_cli, *common) == (0, ["ACME200:warning"])
    assert fired(run_cli, *common, "--preview") == (1, ["ACME100:warning", "ACME200:error"])
    assert fired(run_cli, *common, "--no-preview") == (0, ["ACME200:warning"])
    # ALL and a prefix leave a preview rule out without a word, as ruff does
    assert fired(run_cli, *common, "--select", "ALL") == (0, ["ACME200:warning"])
    assert fired(run_cli, *common, "--select", "ACME") == (0, ["ACME200:warning"])
    assert fired(run_cli, *common, "--select", "ACME", "--preview") == (
        1, ["ACME100:warning", "ACME200:error"])


def test_a_user_severity_beats_the_preview_severity(run_cli, model, rules_dir):
    common = (model, "--no-config", "--rules-path", rules_dir, "--preview")
    assert fired(run_cli, *common, "--severity", "ACME200=info") == (
        0, ["ACME100:warning", "ACME200:info"])
    assert fired(run_cli, *common, "--severity", "ACME=info") == (
        0, ["ACME100:info", "ACME200:info"])


@pytest.mark.parametrize("selector", ["ACME100", "acme100", "new-rule"])
def test_selecting_a_preview_rule_by_id_or_name_needs_preview(run_cli, model, rules_dir,
                                                              selector):
    code, out, err = run_cli(model, "--no-config", "--rules-path", rules_dir,
                             "--select", selector)
    assert code == 2 and out == ""
    assert f"select {selector!r}: ACME100 is a preview rule; add --preview (or preview = " \
           "true in the config) to run it" in err
    assert fired(run_cli, model, "--no-config", "--rules-path", rules_dir, "--select",
                 selector, "--preview") == (0, ["ACME100:warning"])
    # ignoring it, or setting its severity ahead of graduation, needs no preview
    assert fired(run_cli, model, "--no-config", "--rules-path", rules_dir, "--ignore",
                 selector, "--severity", f"{selector}=error") == (0, ["ACME200:warning"])


def test_config_key(run_cli, model, rules_dir, tmp_path, monkeypatch):
    project = tmp_path / "project"
    project.mkdir()
    monkeypatch.chdir(project)
    config = project / "tfllint.toml"
    config.write_text(f'preview = true\nrules-path = ["{rules_dir}"]\nselect = ["ACME100"]\n')
    assert fired(run_cli, model) == (0, ["ACME100:warning"])
    # the command line wins: --no-preview turns it off, and the selection is then refused
    code, _, err = run_cli(model, "--no-preview")
    assert code == 2 and "ACME100 is a preview rule" in err
    config.write_text(f'preview = false\nrules-path = ["{rules_dir}"]\n')
    assert fired(run_cli, model) == (0, ["ACME200:warning"])
    assert fired(run_cli, model, "--preview") == (1, ["ACME100:warning", "ACME200:error"])
    (project / "pyproject.toml").write_text(
        f'[tool.tfllint]\npreview = true\nrules-path = ["{rules_dir}"]\n')
    config.unlink()
    assert fired(run_cli, model) == (1, ["ACME100:warning", "ACME200:error"])


@pytest.mark.parametrize("value", ['"yes"', "1", '"true"', "[]"])
def test_config_refuses_a_preview_that_is_not_a_boolean(run_cli, model, tmp_path, value):
    config = tmp_path / "bad.toml"
    config.write_text(f"preview = {value}\n")
    code, out, err = run_cli(model, "--config", config)
    assert code == 2 and out == ""
    assert "preview must be true or false, got" in err


def test_rules_shows_each_rules_state(run_cli, rules_dir):
    code, out, _ = run_cli("rules", "--no-config", "--rules-path", rules_dir)
    assert code == 0
    lines = {line.split()[0]: line.split() for line in out.splitlines() if line.strip()}
    assert lines["id"][:4] == ["id", "name", "severity", "state"]
    assert lines["ACME100"][1:4] == ["new-rule", "warning", "preview"]
    assert lines["ACME200"][1:7] == ["rising-rule", "warning", "stable,", "error", "in",
                                     "preview"]
    assert lines["TFL101"][3] == "stable"

    catalogue = {r["id"]: r for r in json.loads(run_cli(
        "rules", "--no-config", "--rules-path", rules_dir, "--format", "json")[1])}
    assert (catalogue["ACME100"]["state"], catalogue["ACME100"]["preview_severity"]) == \
        ("preview", None)
    assert (catalogue["ACME200"]["state"], catalogue["ACME200"]["preview_severity"]) == \
        ("stable", "error")
    assert (catalogue["TFL101"]["state"], catalogue["TFL101"]["preview_severity"]) == \
        ("stable", None)

    markdown = run_cli("rules", "--no-config", "--rules-path", rules_dir, "--format",
                       "markdown")[1]
    assert "| [ACME100](#acme100) | `new-rule` | warning | preview | A new rule" in markdown
    assert "| [ACME200](#acme200) | `rising-rule` | warning | stable, error in preview |" \
        in markdown
    assert "**Preview**: runs only with `--preview`" in markdown
    assert "**Preview**: severity **error** with `--preview`" in markdown

    explained = run_cli("explain", "ACME100", "--no-config", "--rules-path", rules_dir)[1]
    assert "Preview: runs only with --preview (or preview = true)" in explained
    explained = run_cli("explain", "ACME200", "--no-config", "--rules-path", rules_dir)[1]
    assert "Preview: severity error with --preview" in explained
    assert "Preview" not in run_cli("explain", "TFL101", "--no-config")[1]


@pytest.mark.parametrize("new, rising, message", [
    ("preview=True", 'preview_severity="fatal"', "preview_severity 'fatal' is not one of"),
    ("preview=True", 'preview_severity="warning"', "is not higher than severity 'warning'"),
    ("preview=True", 'preview_severity="info"', "is not higher than severity 'warning'"),
    ('preview=True, preview_severity="error"', 'preview_severity="error"',
     "a preview rule has no preview_severity"),
    ('preview="yes"', 'preview_severity="error"', "preview must be True or False"),
])
def test_invalid_preview_declarations_are_refused_on_load(run_cli, model, tmp_path, new,
                                                          rising, message):
    rules_dir = write_rules(tmp_path / "bad_rules", new, rising)
    code, out, err = run_cli(model, "--no-config", "--rules-path", rules_dir)
    assert code == 2 and out == "" and message in err


def test_changelog_names_every_built_in_preview_rule():
    """CHANGELOG.md's "In preview" section of the Unreleased release names each rule in
    preview (a new rule or a rising severity), so an upgrade says what will move."""
    from conftest import REPO

    text = (REPO / "CHANGELOG.md").read_text()
    unreleased = text[text.index("## Unreleased"):]
    unreleased = unreleased[:unreleased.index("\n## ", 1)]
    section = unreleased[unreleased.index("### In preview"):]
    section = section[:section.find("\n### ", 1) if "\n### " in section[1:] else None]
    previewed = [r.id for r in load_rules() if r.preview or r.preview_severity]
    assert [rule_id for rule_id in previewed if rule_id not in section] == []
