"""The README's "tfllint in CI" section: its workflow files are valid YAML of the shape each
platform reads, and every tfllint command in them runs as written (on copies of the
sample models laid out as the examples assume), so the examples do not rot."""
from __future__ import annotations

import json
import re
import shlex
import shutil

import pytest
import yaml

from conftest import MODELS, REPO

README = (REPO / "README.md").read_text()
SECTION = README[README.index("## tfllint in CI\n"):README.index("## Reading the report\n")]
OPERATORS = {"|", "||", "&&", ";", ">", ">>"}


def yaml_blocks() -> list[dict]:
    return [yaml.safe_load(block) for block in re.findall(r"```yaml\n(.*?)```", SECTION,
                                                          re.DOTALL)]


def scripts(value) -> list[str]:
    """The shell commands of a workflow: GitHub's `run:`, GitLab's `script:` entries."""
    if isinstance(value, dict):
        return [text for key, item in value.items()
                for text in ([item] if key == "run" else item if key == "script"
                             else scripts(item))]
    if isinstance(value, list):
        return [text for item in value for text in scripts(item)]
    return []


def tfllint_commands() -> list[list[str]]:
    """Every `tfllint ...` command of the YAML blocks, as argv after `tfllint`."""
    commands = []
    for document in yaml_blocks():
        for script in scripts(document):
            for line in script.replace("\\\n", " ").splitlines():
                lexer = shlex.shlex(line, posix=True, punctuation_chars=True)
                lexer.whitespace_split = True
                command: list[str] = []
                for token in [*lexer, ";"]:
                    if token in OPERATORS:
                        if command[:1] == ["tfllint"]:
                            commands.append(command[1:])
                        command = [] if token != ">" and token != ">>" else ["redirect"]
                    else:
                        command.append(token)
    return commands


def test_the_workflows_have_the_shape_their_platforms_read():
    blocks = [block for block in yaml_blocks() if isinstance(block, dict)]
    github, gitlab, precommit = (next(block for block in blocks if key in block)
                                 for key in ("jobs", "model-diff", "repos"))
    steps = github["jobs"]["tfllint"]["steps"]
    assert github["permissions"]["security-events"] == "write"
    upload = next(step for step in steps if "upload-sarif" in step.get("uses", ""))
    assert upload["uses"].endswith("@v4") and upload["if"] == "always()"
    assert upload["with"]["sarif_file"] == "tfllint.sarif"
    assert any("GITHUB_STEP_SUMMARY" in step.get("run", "") for step in steps)
    assert gitlab["tfllint"]["artifacts"]["reports"]["codequality"] == "gl-code-quality.json"
    assert precommit["repos"][0]["hooks"][0]["id"] == "tfllint"


def test_every_tfllint_command_of_the_examples_runs(run_cli, tmp_path, monkeypatch):
    (tmp_path / "models").mkdir()
    for name in ("cnn_int8.tflite", "two_inputs.tflite"):
        shutil.copy(MODELS / name, tmp_path / "models" / name)
    shutil.copy(MODELS / "cnn_int8.tflite", tmp_path / "models" / "detector.tflite")
    shutil.copy(MODELS / "cnn_float32.tflite", tmp_path / "base.tflite")
    monkeypatch.chdir(tmp_path)
    commands = [[re.sub(r"\$\w+/", "", argument) for argument in command]
                for command in tfllint_commands()]
    assert len(commands) >= 8
    for command in commands:
        if "--baseline" in command:  # as committed: written once by --write-baseline
            at = command.index("--baseline")
            code, _, err = run_cli(*command[:at], *command[at + 2:], "--format", "text",
                                   "--write-baseline", command[at + 1])
            assert code == 0, err
        code, out, err = run_cli(*command)
        assert code in (0, 1), f"tfllint {shlex.join(command)}: exit {code}\n{err}"
        if "--output-file" in command:
            written = (tmp_path / command[command.index("--output-file") + 1]).read_text()
            document = json.loads(written)
            assert document["version"] == "2.1.0" if "sarif" in command else \
                isinstance(document, list)
        else:
            assert out.strip(), shlex.join(command)


@pytest.mark.parametrize("anchor", ["tfllint-as-a-ci-gate", "baselines", "model-diff",
                                    "pre-commit"])
def test_the_sections_it_points_to_exist(anchor):
    headings = {re.sub(r"[^a-z0-9 -]", "", line.lstrip("#").strip().lower()).replace(" ", "-")
                for line in README.splitlines() if line.startswith("#")}
    assert f"(#{anchor})" in SECTION and anchor in headings
