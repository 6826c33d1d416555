"""Corrupt models give exit 0, 1 or 2 and one clear message: never a traceback, a hang or
a huge allocation (DESIGN.md, Reader contract).

Over two thousand deterministic corruptions of the sample models (tests/corrupt.py:
truncations, bit flips, hostile offsets and lengths, emptied vectors, vtable damage,
shared-table bombs, not-a-model files) go through `tfllint.cli.main` in-process, in both
report formats, some under tracemalloc. `tfllint inspect` gets the corruptions of the
model that carries TFLite Support metadata. A batch of the nastiest cases runs as real
processes under an address-space limit, so an allocation sized by a corrupt length field
would fail there even if it escaped tracemalloc, and under a timeout far above any normal
run, so a hang fails there.

No run is timed here: a loaded CI machine would make a per-run limit flaky. How long the
worst case takes is measured by `python bench/corruption.py`, over the same cases.
"""
from __future__ import annotations

import contextlib
import io
import json
import resource
import subprocess
import sys
import time
import tracemalloc
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
from corrupt import Case, generate_cases

from tfllint.cli import main

MODELS = sorted((Path(__file__).resolve().parent.parent / "models").glob("*.tflite"))
CASES = generate_cases(MODELS)
METADATA_MODEL = "cnn_int8_metadata"  # the sample with a TFLITE_METADATA flatbuffer
ALLOCATION_LIMIT = 64 << 20  # peak bytes Python may allocate while linting one case
# tracemalloc makes a lint several times slower, so allocations are traced (in a separate
# run) for every case of the kinds that damage lengths or share tables, and for every
# eighth case of the other kinds.
TRACED_KINDS = {"length", "selfref", "bomb", "not-a-model"}
TRACED = {case.id for number, case in enumerate(CASES)
          if case.kind in TRACED_KINDS or number % 8 == 0}
SUBPROCESS_TIMEOUT = 20  # seconds; generous for a slow CI machine, far from a hang
ADDRESS_SPACE_LIMIT = 1 << 30  # a normal run needs under 256 MiB of address space
BUG_MARKERS = ("Traceback", "This is a bug in the rule")


def test_there_are_enough_cases() -> None:
    assert len(MODELS) >= 10
    assert len(CASES) >= 1000
    assert len({case.id for case in CASES}) == len(CASES)


@pytest.fixture(scope="module")
def case_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A directory for the corrupt files; the first lint pays for imports and rule loading."""
    run_main(MODELS[0], "--format", "json", "--no-config")
    return tmp_path_factory.mktemp("corrupt")


@contextlib.contextmanager
def written(case: Case, directory: Path):
    path = directory / f"{case.id}.tflite"
    path.write_bytes(case.data)
    try:
        yield path
    finally:
        path.unlink()


def run_main(*arguments: object) -> tuple[int, str, str]:
    """`tfllint ARGUMENTS...` in-process: (exit code, stdout, stderr). Exceptions escape."""
    stdout, stderr = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(stdout), contextlib.redirect_stderr(stderr):
        code = main([str(argument) for argument in arguments])
    return code, stdout.getvalue(), stderr.getvalue()


def run_checked(*arguments: object) -> tuple[int, str, str]:
    """run_main, asserting an exit code of 0, 1 or 2 and no traceback."""
    code, out, err = run_main(*arguments)
    assert code in (0, 1, 2), f"exit code {code}"
    for marker in BUG_MARKERS:
        assert marker not in out + err, f"{marker!r} in the output:\n{out}{err}"
    return code, out, err


def peak_allocation(*arguments: object) -> int:
    tracemalloc.start()
    try:
        run_main(*arguments)
        return tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()


def must_be_unreadable(case: Case) -> bool:
    """Too short to hold a model, or not a model at all; anything else may still parse."""
    return case.kind == "not-a-model" or len(case.data) < 16


@pytest.mark.parametrize("case", CASES, ids=[case.id for case in CASES])
def test_corrupt_model_is_reported_not_crashed_on(case: Case, case_dir: Path) -> None:
    with written(case, case_dir) as path:
        code, out, _ = run_checked(path, "--format", "json", "--no-config")
        [report] = json.loads(out)["models"]
        if code == 2:
            assert isinstance(report["error"], str) and report["error"].strip()
            assert report["findings"] == []
        else:
            assert report["error"] is None
            assert not must_be_unreadable(case)

        text_code, text_out, _ = run_checked(path, "--format", "text", "--no-config")
        assert text_code == code
        if code == 2:  # the same message, wrapped to the width
            assert f"error: {report['error']}" in " ".join(text_out.split())

        # the TFLite Micro planner, the budget rules and the plot: a readable model stays
        # readable (findings are exit 1, never 2), an unreadable one says so again
        plot = case_dir / f"{case.id}.svg"
        memory_code, _, _ = run_checked(path, "--format", "json", "--no-config", "--target",
                                        "tflm,coral", "--memory-budget", "1KiB",
                                        "--weights-budget", "1KiB", "--plot", plot)
        assert (memory_code == 2) == (code == 2)
        plot.unlink(missing_ok=True)

        if case.id in TRACED:
            peak = peak_allocation(path, "--format", "json", "--no-config")
            assert peak < ALLOCATION_LIMIT, f"peak allocation {peak / 2**20:.0f} MiB"


INSPECTED = [case for case in CASES if case.id.startswith(METADATA_MODEL + "-")]


@pytest.mark.parametrize("case", INSPECTED, ids=[case.id for case in INSPECTED])
def test_inspect_of_a_corrupt_model_is_reported_not_crashed_on(case: Case,
                                                                case_dir: Path) -> None:
    with written(case, case_dir) as path:
        for output_format in ("json", "text"):
            code, out, err = run_checked("inspect", path, "--format", output_format)
            if code == 2:
                assert err.startswith(f"tfllint: error: {path}: ") and out == ""
            else:
                assert code == 0
                if output_format == "json":
                    assert json.loads(out)["path"] == str(path)


def test_a_slow_run_is_not_a_failure(monkeypatch: pytest.MonkeyPatch) -> None:
    """Speed is the benchmark's to check (bench/corruption.py), not a test's: a run slowed
    down by a busy machine passes when its exit code and output are right."""
    def slow_main(arguments, real_main=main):
        time.sleep(0.6)  # past the 0.5 s per run these tests used to allow
        return real_main(arguments)

    monkeypatch.setattr(sys.modules[__name__], "main", slow_main)
    code, _, _ = run_checked(MODELS[0], "--format", "json", "--no-config")
    assert code in (0, 1)


def test_uncorrupted_samples_lint() -> None:
    for model in MODELS:
        code, out, _ = run_checked(model, "--format", "json", "--no-config")
        assert code in (0, 1), (model.name, json.loads(out)["models"][0]["error"])


# -- a batch in real processes, under an address-space limit ---------------------------------

def subprocess_cases() -> list[Case]:
    """Lengths of 0xFFFFFFFF and 0x7FFFFFFF in the Model table's first vectors, the first
    shared-table bomb of every model, and not-a-model files: 40 cases."""
    wanted = {f"{model.stem}-{suffix}" for model in MODELS
              for suffix in ("length-0000", "length-0001", "bomb-0000")}
    chosen = [case for case in CASES if case.id in wanted]
    return chosen + [case for case in CASES if case.kind == "not-a-model"][:40 - len(chosen)]


def limit_address_space() -> None:
    resource.setrlimit(resource.RLIMIT_AS, (ADDRESS_SPACE_LIMIT, ADDRESS_SPACE_LIMIT))


def run_tfllint(path: Path) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "tfllint", str(path), "--no-config"],
                          capture_output=True, text=True, timeout=SUBPROCESS_TIMEOUT,
                          preexec_fn=limit_address_space)


@pytest.mark.skipif(not hasattr(resource, "RLIMIT_AS"), reason="needs RLIMIT_AS")
def test_nastiest_cases_in_a_limited_process(tmp_path: Path) -> None:
    cases = subprocess_cases()
    assert len(cases) == 40
    paths = [tmp_path / f"{case.id}.tflite" for case in cases]
    for case, path in zip(cases, paths):
        path.write_bytes(case.data)
    sane = run_tfllint(MODELS[0])  # the limit leaves room for a normal run
    assert sane.returncode in (0, 1), sane.stderr
    with ThreadPoolExecutor(max_workers=2) as pool:
        results = list(pool.map(run_tfllint, paths))
    for case, result in zip(cases, results):
        assert result.returncode in (0, 1, 2), (case.id, result.returncode, result.stderr)
        assert "Traceback" not in result.stderr, (case.id, result.stderr)
        if must_be_unreadable(case):
            assert result.returncode == 2 and "error:" in result.stdout, case.id
