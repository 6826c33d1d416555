"""The pre-commit hook runs its entry on the files its `files` pattern selects, as pre-commit does."""
from __future__ import annotations

import re
import shlex
import shutil
import subprocess
import sys
from pathlib import Path

import yaml
from conftest import REPO, SAMPLE_MODELS


def hook() -> dict:
    hooks = yaml.safe_load((REPO / ".pre-commit-hooks.yaml").read_text())
    assert [h["id"] for h in hooks] == ["tfllint"]
    return hooks[0]


def test_hook_selects_only_tflite_files():
    pattern = re.compile(hook()["files"])
    tracked = subprocess.run(["git", "ls-files"], cwd=REPO, capture_output=True, text=True,
                             check=True).stdout.split()
    selected = [path for path in tracked if pattern.search(path)]
    assert selected and all(path.endswith(".tflite") for path in selected)
    assert not pattern.search("models/build.py") and not pattern.search("a.tflite.txt")


def test_hook_entry_runs_like_pre_commit_would():
    spec = hook()
    assert spec["language"] == "python"
    entry = shlex.split(spec["entry"])
    # pre-commit installs the repository into a venv and finds `entry` on its PATH.
    executable = shutil.which(entry[0], path=str(Path(sys.executable).parent))
    assert executable, "the console script is not installed next to this Python"
    files = [str(p.relative_to(REPO)) for p in SAMPLE_MODELS]
    result = subprocess.run([executable, *entry[1:], *spec.get("args", []), *files],
                            cwd=REPO, capture_output=True, text=True)
    assert result.returncode == 1, result.stderr  # flex_op.tflite has an error finding
    for path in files:
        assert path in result.stdout
    assert f"{len(files)} model(s): 1 error(s)" in result.stdout
