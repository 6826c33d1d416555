"""Many models in parallel (issue 11 point 5): `-j N` prints byte for byte what `-j 1`
prints; by default workers start only for enough work; a progress line on a terminal."""
from __future__ import annotations

import concurrent.futures
import io
import os
import pty
import shutil
import subprocess
import sys
import textwrap

import pytest
from conftest import MODELS, SAMPLE_MODELS
from test_baseline import chain

import tfllint
from tfllint import parallel
from tfllint.cli import main
from tfllint.engine.runner import IgnoreUsage
from tfllint.pipeline import LintRun, expand_paths
from tfllint.progress import ProgressBar

needs_fork = pytest.mark.skipif(sys.platform != "linux", reason="patches reach workers by fork")

SLOW_RULE = '''
import time
from tfllint.engine.rule import Location, Violation, rule

@rule(id="SLOW001", name="model-takes-a-while", severity="info")
def check(ctx):
    """Takes a tenth of a second per model, so that a run lasts.

    What it finds:
        Every model.
    Why it matters:
        A test needs a run longer than half a second.
    Example:
        any model
    How to fix:
        Nothing.
    """
    time.sleep(0.1)
    yield Violation("slow", Location())
'''


@pytest.fixture
def project(tmp_path, monkeypatch):
    """Sample models, generated ones with findings, a per-model ignore used by one model
    and one that silences nothing, and a baseline that hides some findings and has a
    stale entry; the cwd inside."""
    models = tmp_path / "models"
    models.mkdir()
    for sample in SAMPLE_MODELS:
        shutil.copy(sample, models / sample.name)
    for index in range(6):
        (models / f"chain{index}.tflite").write_bytes(
            chain(("FlexAcme", f"f{index}"), ("CUMSUM", "c"), ("ADD", "out")))
    (models / "broken.tflite").write_bytes(b"TFL3 not a model")
    (tmp_path / "tfllint.toml").write_text(
        '[per-model-ignores]\n'
        '"models/chain1.tflite" = ["TFL101"]\n'
        '"models/chain2.tflite" = { rules = ["TFL101"], op = "CONV_2D" }\n')
    monkeypatch.chdir(tmp_path)
    (tmp_path / "kept").mkdir()
    shutil.move(models / "chain3.tflite", tmp_path / "kept" / "chain3.tflite")
    assert main(["models", "--write-baseline", "baseline.json"]) == 2  # broken.tflite
    shutil.move(tmp_path / "kept" / "chain3.tflite", models / "chain3.tflite")
    (models / "chain0.tflite").write_bytes(chain(("FlexOther", "g"), ("ADD", "out")))
    return tmp_path


@pytest.mark.parametrize("report_format", ["json", "text", "sarif"])
def test_parallel_output_is_the_serial_output_byte_for_byte(project, run_cli, report_format):
    arguments = ("models", str(MODELS), "--format", report_format, "--target", "xnnpack",
                 "--baseline", "baseline.json")
    serial = run_cli(*arguments, "-j", "1")
    assert serial[0] == 2 and "per-model-ignores 'models/chain2.tflite'" in serial[2]
    assert "baseline baseline.json" in serial[2]  # entries that matched nothing: noted
    assert run_cli(*arguments, "-j", "2") == serial
    assert run_cli(*arguments, "--jobs", "auto") == serial


def test_parallel_runs_rules_from_the_rules_path(project, run_cli):
    (project / "slow").mkdir()
    (project / "slow" / "slow.py").write_text(textwrap.dedent(SLOW_RULE).replace("0.1", "0"))
    arguments = ("models", "--no-config", "--rules-path", "slow", "--format", "json")
    serial = run_cli(*arguments, "-j", "1")
    assert '"SLOW001"' in serial[1] and run_cli(*arguments, "-j", "3") == serial


def test_worker_count(project):
    models = expand_paths(["models"])
    assert parallel.worker_count(1, models) == 1
    assert parallel.worker_count(3, models) == 3
    assert parallel.worker_count(0, models) == parallel.cpu_count()
    assert parallel.worker_count(8, models[:2]) == 2  # never more workers than models
    assert parallel.worker_count(None, models[:1]) == 1  # a pre-commit run on one file
    # the samples are tiny: not worth starting workers for
    assert parallel.worker_count(None, models) == 1
    assert parallel.worker_count(None, [("missing", "no such file")] * 50) == 1
    many = [(f"big{index}.tflite", None) for index in range(30)]
    sizes = {path: 40_000_000 for path, _ in many}
    assert sum(parallel.estimated_seconds(size) for size in sizes.values()) > 1
    original = parallel._size
    parallel._size = lambda path: sizes.get(path) or original(path)
    try:
        assert parallel.worker_count(None, many) == parallel.cpu_count()
        assert parallel.worker_count(None, many[:1]) == 1
    finally:
        parallel._size = original


def test_a_single_file_or_a_graph_starts_no_workers(project, run_cli, monkeypatch):
    def no_pool(*arguments, **keywords):
        raise AssertionError("a worker pool was started")

    monkeypatch.setattr(concurrent.futures, "ProcessPoolExecutor", no_pool)
    code, out, err = run_cli("models/chain4.tflite", "--format", "json")
    assert code == 1 and '"TFL' in out, err
    assert run_cli("models/micro_int8.tflite")[0] == 0
    assert run_cli(str(MODELS), "--format", "json")[0] == 1  # the tiny samples
    # --graph sees each model read, so it lints in this process whatever -j says
    code, _, err = run_cli("models", "-j", "2", "--target", "cpu", "--graph",
                           "graphs-{model}.dot", "--no-config")
    assert code == 2 and os.path.exists("graphs-chain4.dot"), err


@needs_fork
def test_a_killed_worker_loses_no_model(project, monkeypatch):
    parent, lint_path = os.getpid(), LintRun.lint_path

    def dies_in_a_worker(self, path, *arguments, **keywords):
        if os.getpid() != parent and path.endswith("chain4.tflite"):
            os._exit(9)  # as the kernel's out-of-memory killer would
        return lint_path(self, path, *arguments, **keywords)

    monkeypatch.setattr(LintRun, "lint_path", dies_in_a_worker)
    serial = tfllint.lint("models", jobs=1)
    report = tfllint.lint("models", jobs=2)
    assert report.models == serial.models and report.exit_code == serial.exit_code
    assert report.unused_suppressions == serial.unused_suppressions
    died = [note for note in report.notes if note not in serial.notes]
    assert len(died) == 1 and died[0].startswith("a worker process died; the ")


def test_progress_calls_in_both_modes(project):
    run = LintRun.load({}, use_config=False)
    paths = expand_paths(["models"])
    for workers in (1, 2):
        calls = []
        reports, notes = parallel.lint_models(run, paths, IgnoreUsage(), workers,
                                              progress=lambda *call: calls.append(call))
        assert calls == [(done, len(paths)) for done in range(1, len(paths) + 1)]
        assert [report["path"] for report in reports] == [path for path, _ in paths]


def test_progress_bar_draws_after_a_moment_and_erases_itself(monkeypatch):
    stream, clock = io.StringIO(), [100.0]
    monkeypatch.setattr("tfllint.progress.time.monotonic", lambda: clock[0])
    bar = ProgressBar(stream)
    bar(1, 1000)
    assert stream.getvalue() == ""  # a quick run shows nothing
    clock[0] += 0.6
    bar(12, 1000)
    bar(13, 1000)  # too soon to redraw
    clock[0] += 0.2
    bar(130, 1000)
    bar.close()
    assert stream.getvalue() == ("\rtfllint: linting 12/1000 models"
                                 "\rtfllint: linting 130/1000 models"
                                 "\r" + " " * 32 + "\r")


def run_with_terminal_stderr(*arguments: str) -> tuple[bytes, bytes]:
    """(stdout, what a terminal on stderr received) of a tfllint process."""
    primary, secondary = pty.openpty()
    process = subprocess.Popen([sys.executable, "-m", "tfllint", *arguments],
                               stdout=subprocess.PIPE, stderr=secondary)
    os.close(secondary)
    terminal = b""
    while True:
        try:
            chunk = os.read(primary, 4096)
        except OSError:  # the process closed the terminal
            break
        if not chunk:
            break
        terminal += chunk
    os.close(primary)
    stdout = process.stdout.read()
    process.wait()
    return stdout, terminal


def test_progress_line_only_on_a_terminal_and_without_quiet(tmp_path):
    rules = tmp_path / "slow"
    rules.mkdir()
    (rules / "slow.py").write_text(textwrap.dedent(SLOW_RULE))
    arguments = (str(MODELS), "--no-config", "--rules-path", str(rules), "--select",
                 "SLOW", "--fail-on", "none", "-j", "1")  # 11 models: 1.1 s
    stdout, terminal = run_with_terminal_stderr(*arguments)
    assert b"\rtfllint: linting " in terminal and b"/11 models" in terminal
    assert terminal.endswith(b"\r") and b"linting" not in stdout and b"SLOW001" in stdout
    _, terminal = run_with_terminal_stderr(*arguments, "--quiet")
    assert b"linting" not in terminal
    piped = subprocess.run([sys.executable, "-m", "tfllint", *arguments],
                           capture_output=True)
    assert b"linting" not in piped.stderr and piped.stdout == stdout
