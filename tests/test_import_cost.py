"""What a lint imports. Start-up is most of a small model's run (README, Speed and memory),
so heavy modules are imported only by the runs that need them. Not timed: bench/run.py
measures the time; this checks the imports that once cost the most do not creep back."""
from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from tfllint.targets.checks import _builtin_module, all_checks

MODEL = str(Path(__file__).resolve().parents[1] / "models" / "cnn_int8.tflite")
HEAVY = ("numpy", "importlib.metadata", "multiprocessing", "email", "tfllint.model_diff",
         "tfllint.baseline", "hashlib", "traceback", "inspect", "dataclasses", "zipfile",
         "tfllint.reader.support_metadata", "shutil", "bz2", "lzma")

PROBE = """
import json, sys
from tfllint.cli import main
sys.argv = ["tfllint", *sys.argv[1:]]
try:
    main()
except SystemExit:
    pass
print(json.dumps(sorted(sys.modules)), file=sys.stderr)
"""


def imported_by(*arguments: str) -> set[str]:
    done = subprocess.run([sys.executable, "-c", PROBE, *arguments], capture_output=True,
                          text=True, check=True)
    return set(json.loads(done.stderr.strip().splitlines()[-1]))


@pytest.mark.parametrize("arguments", [(), ("--target", "gpu"), ("--target", "coral")])
def test_a_lint_imports_nothing_heavy_it_does_not_use(arguments):
    modules = imported_by(MODEL, "--no-config", "--format", "json", *arguments)
    assert "tfllint.rules" in modules  # the probe ran a lint
    assert sorted(name for name in modules if name.split(".")[0] in HEAVY
                  or name in HEAVY) == []


def test_a_target_imports_only_its_own_checks():
    modules = imported_by(MODEL, "--no-config", "--format", "json", "--target", "gpu")
    assert sorted(name for name in modules if name.startswith("tfllint.targets.checks.")) \
        == ["tfllint.targets.checks.gpu"]


def test_every_builtin_check_lives_where_its_name_says():
    for name, check in all_checks().items():
        module = check.function.__module__.rsplit(".", 1)[-1]
        assert module in (_builtin_module(name), "common"), name
