"""Shared test helpers: lint bytes or files in-process and get exact (rule, location) pairs."""
from __future__ import annotations

import os
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).parent))  # `import builder` from the tests

from tfllint.analyses import Analyses  # noqa: E402
from tfllint.cli import main  # noqa: E402
from tfllint.engine.registry import load_rules  # noqa: E402
from tfllint.engine.settings import enabled_rules, settings_from_mapping  # noqa: E402
from tfllint.pipeline import check_view  # noqa: E402
from tfllint.reader import ModelFile, decode_model  # noqa: E402
from tfllint.view import ModelView  # noqa: E402

REPO = Path(__file__).resolve().parent.parent
MODELS = REPO / "models"
SAMPLE_MODELS = sorted(MODELS.glob("*.tflite"))


@pytest.fixture(autouse=True, scope="session")
def _private_toml_cache(tmp_path_factory):
    """Tests, and the tfllint processes they start, keep parsed TOML in a cache of their
    own, not in the user's (tfllint.toml_files)."""
    os.environ["TFLLINT_CACHE_DIR"] = str(tmp_path_factory.mktemp("toml-cache"))


def view_of(data: bytes) -> ModelView:
    return ModelView(ModelFile(model=decode_model(data, "<test>"), data=data))


def lint_bytes(data: bytes, **settings) -> list:
    """Findings of every built-in rule on a model given as bytes, with `settings` keys."""
    options = settings_from_mapping(settings, "test")
    _, findings = check_view(view_of(data), options, enabled_rules(options, load_rules()))
    return findings


def target_result(data: bytes, target: str, settings: dict | None = None):
    """Per-op verdicts of a model on `target`, with extra config `settings`."""
    view = view_of(data)
    options = settings_from_mapping({"target": [target], **(settings or {})}, "test")
    return Analyses(view, options).target(target)


def verdicts(result, subgraph: int | None = None) -> list[tuple[int, str, str, tuple[str, ...]]]:
    """(op index, op, verdict, reason codes) per op, of one subgraph or of all."""
    return [(v.op_index, v.op, v.verdict, tuple(r.code for r in v.reasons)) for v in result.ops
            if subgraph is None or v.subgraph == subgraph]


def tools(result, op_index: int = 0, subgraph: int = 0) -> list[str | None]:
    """The real tool's wording of each reason of one op."""
    verdict = next(v for v in result.ops if v.subgraph == subgraph and v.op_index == op_index)
    return [r.tool for r in verdict.reasons]


def rule_locations(findings) -> set:
    """(rule, location) for every place of every finding: a finding of one cause at
    several places gives one pair per place."""
    return {(f.rule, location) for f in findings for location in f.locations}


@pytest.fixture
def run_cli(capsys):
    """Run the command line in-process: returns (exit code, stdout, stderr)."""
    def run(*arguments: str) -> tuple[int, str, str]:
        code = main([str(a) for a in arguments])
        captured = capsys.readouterr()
        return code, captured.out, captured.err
    return run
