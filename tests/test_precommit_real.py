"""The README's pre-commit snippet, run by the real `pre-commit` in a throw-away git repository.

The snippet's `repo:` becomes this clone and its `rev:` this clone's HEAD, so pre-commit
installs the committed HEAD (not uncommitted work) into its own virtualenv, from PyPI,
under a PRE_COMMIT_HOME inside the test's temporary directory. That install is the slow
part (a minute or more) and happens once per session, for both commits.
"""
from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml
from conftest import MODELS, REPO

TIMEOUT = 600  # seconds: pre-commit pip-installs tfllint and its dependencies
FAILING = "flex_op.tflite"    # TFL101, an error finding, with the README's args
CLEAN = "micro_int8.tflite"   # info findings only, with the README's args


def readme_snippet() -> str:
    """The ```yaml block of the README's "Pre-commit" section."""
    readme = (REPO / "README.md").read_text()
    section = re.search(r"^### Pre-commit\n(.*?)(?=^##)", readme, re.S | re.M)
    assert section, "README.md has no '### Pre-commit' section"
    blocks = re.findall(r"^```yaml\n(.*?)^```", section.group(1), re.S | re.M)
    assert len(blocks) == 1, "the Pre-commit section should have exactly one ```yaml block"
    return blocks[0]


def local_config(snippet: str, repo: str, rev: str) -> dict:
    config = yaml.safe_load(snippet)
    [entry] = config["repos"]
    assert [hook["id"] for hook in entry["hooks"]] == ["tfllint"]
    assert "rev" in entry and "repo" in entry
    entry["repo"], entry["rev"] = repo, rev
    return config


def git_env(home: Path) -> dict[str, str]:
    """The environment for git and pre-commit: no user or system git config, no inherited
    GIT_* variables (as when pytest itself runs inside a git hook), our own pre-commit cache."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("GIT_", "PRE_COMMIT"))}
    env.update(GIT_CONFIG_GLOBAL=os.devnull, GIT_CONFIG_NOSYSTEM="1",
               PRE_COMMIT_HOME=str(home), PRE_COMMIT_COLOR="never")
    return env


def run(args, cwd: Path, env: dict[str, str], check: bool = True) -> subprocess.CompletedProcess:
    result = subprocess.run([str(a) for a in args], cwd=cwd, env=env, capture_output=True,
                            text=True, timeout=TIMEOUT)
    if check and result.returncode != 0:
        pytest.fail(f"{' '.join(map(str, args))} exited {result.returncode}:\n"
                    f"{result.stdout}\n{result.stderr}")
    return result


@pytest.fixture(scope="module")
def hooked_repo(tmp_path_factory):
    """A new git repository with the README's config (pointing at this clone's HEAD)
    committed and its hook environment installed: (work tree, environment)."""
    pre_commit = shutil.which("pre-commit", path=str(Path(sys.executable).parent))
    if pre_commit is None:
        pytest.skip("pre-commit is not installed next to this Python "
                    "(pip install -e '.[test]' installs it)")
    if shutil.which("git") is None:
        pytest.skip("git is not installed")
    base = tmp_path_factory.mktemp("precommit")
    env = git_env(base / "pre-commit-home")
    head = run(["git", "rev-parse", "HEAD"], REPO, env).stdout.strip()
    config = local_config(readme_snippet(), str(REPO), head)

    work = base / "project"
    work.mkdir()
    run(["git", "init", "-q"], work, env)
    for key, value in (("user.name", "tfllint test"), ("user.email", "test@example.invalid"),
                       ("commit.gpgsign", "false")):
        run(["git", "config", key, value], work, env)
    (work / ".pre-commit-config.yaml").write_text(yaml.safe_dump(config, sort_keys=False))
    run(["git", "add", ".pre-commit-config.yaml"], work, env)
    run([pre_commit, "install"], work, env)
    run([pre_commit, "install-hooks"], work, env)  # clone + venv + pip install: the slow part
    run(["git", "commit", "-q", "-m", "pre-commit config"], work, env)
    return work, env


def commit_model(work: Path, env: dict[str, str], name: str) -> subprocess.CompletedProcess:
    shutil.copy(MODELS / name, work / name)
    run(["git", "add", name], work, env)
    return run(["git", "commit", "-m", f"add {name}"], work, env, check=False)


def test_commit_of_a_model_with_an_error_finding_is_blocked(hooked_repo):
    work, env = hooked_repo
    result = commit_model(work, env, FAILING)
    output = result.stdout + result.stderr
    assert result.returncode != 0, output
    assert re.search(r"^tfllint\.+Failed$", output, re.M), output
    assert "- exit code: 1" in output, output  # a finding, not a usage error (2)
    assert "TFL101" in output and FAILING in output, output
    # Nothing was committed; unstage and remove the model for the other test.
    assert FAILING not in run(["git", "ls-tree", "-r", "--name-only", "HEAD"], work, env).stdout
    run(["git", "rm", "-q", "--cached", FAILING], work, env)
    (work / FAILING).unlink()


def test_commit_of_a_clean_model_passes(hooked_repo):
    work, env = hooked_repo
    result = commit_model(work, env, CLEAN)
    output = result.stdout + result.stderr
    assert result.returncode == 0, output
    assert re.search(r"^tfllint\.+Passed$", output, re.M), output
    assert CLEAN in run(["git", "ls-tree", "-r", "--name-only", "HEAD"], work, env).stdout
