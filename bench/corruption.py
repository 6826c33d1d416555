"""The worst-case time of a lint over the corrupt models tests/test_corruption.py checks.

    python bench/corruption.py                  # every case; the 10 slowest runs
    python bench/corruption.py --top 25 --limit 0.5
    python bench/corruption.py --only cnn_int8  # the cases of one sample model

The same deterministic cases (tests/corrupt.py) and the same commands as the test, run
in-process through `tfllint.cli.main` with the imports and rule loading paid once before
timing: `--format json`, `--format text`, and the memory run (`--target tflm,coral`, both
budgets, `--plot`); `tfllint inspect` in both formats for the model with TFLite Support
metadata. The test asserts what each run prints and exits with; this script says how long
the slowest took. Exit 1 when one took longer than `--limit` seconds (default 0.5: a
sample lints in about 10 ms, so a corruption that takes 50 times that is worth a look).
Needs the `test` extra (flatbuffers, tflite) for the generator; takes about a minute.
"""
from __future__ import annotations

import argparse
import contextlib
import io
import statistics
import sys
import tempfile
import time
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO_ROOT / "tests"))

from corrupt import generate_cases  # noqa: E402

from tfllint.cli import main as tfllint_main  # noqa: E402

MODELS = sorted((REPO_ROOT / "models").glob("*.tflite"))
METADATA_MODEL = "cnn_int8_metadata"  # as in tests/test_corruption.py


def timed(arguments: list[str]) -> tuple[float, int]:
    """(seconds, exit code) of one in-process run, its output discarded."""
    with contextlib.redirect_stdout(io.StringIO()), contextlib.redirect_stderr(io.StringIO()):
        start = time.perf_counter()
        code = tfllint_main(arguments)
        return time.perf_counter() - start, code


def commands(path: Path, case_id: str, directory: Path) -> dict[str, list[str]]:
    """What tests/test_corruption.py runs on one case, by a short name."""
    found = {
        "json": [str(path), "--format", "json", "--no-config"],
        "text": [str(path), "--format", "text", "--no-config"],
        "memory": [str(path), "--format", "json", "--no-config", "--target", "tflm,coral",
                   "--memory-budget", "1KiB", "--weights-budget", "1KiB",
                   "--plot", str(directory / f"{case_id}.svg")],
    }
    if case_id.startswith(METADATA_MODEL + "-"):
        found["inspect json"] = ["inspect", str(path), "--format", "json"]
        found["inspect text"] = ["inspect", str(path), "--format", "text"]
    return found


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--top", type=int, default=10, help="how many of the slowest runs "
                        "to list (default 10)")
    parser.add_argument("--limit", type=float, default=0.5, help="seconds; exit 1 when a "
                        "run took longer (default 0.5)")
    parser.add_argument("--only", metavar="MODEL", help="only the cases of this sample "
                        "model (its file name without .tflite)")
    arguments = parser.parse_args()
    cases = [case for case in generate_cases(MODELS)
             if not arguments.only or case.id.startswith(arguments.only + "-")]
    if not cases:
        parser.error(f"--only {arguments.only}: no sample model of that name")
    runs: list[tuple[float, str, str, int]] = []  # (seconds, case, command, exit code)
    with tempfile.TemporaryDirectory(prefix="tfllint-corruption-") as name:
        directory = Path(name)
        sample = REPO_ROOT / "models" / f"{METADATA_MODEL}.tflite"
        for argv in commands(sample, f"{METADATA_MODEL}-warm-up", directory).values():
            timed(argv)  # imports and rule loading, once, untimed
        for case in cases:
            path = directory / f"{case.id}.tflite"
            path.write_bytes(case.data)
            for command, argv in commands(path, case.id, directory).items():
                seconds, code = timed(argv)
                runs.append((seconds, case.id, command, code))
            for written in directory.iterdir():
                written.unlink()
    times = sorted(seconds for seconds, *_ in runs)
    print(f"{len(runs)} runs over {len(cases)} corrupt models: median "
          f"{statistics.median(times) * 1000:.1f} ms, 99th percentile "
          f"{times[int(len(times) * 0.99)] * 1000:.1f} ms, worst {times[-1] * 1000:.1f} ms")
    print(f"the {min(arguments.top, len(runs))} slowest:")
    for seconds, case_id, command, code in sorted(runs, reverse=True)[:arguments.top]:
        print(f"  {seconds * 1000:8.1f} ms  {case_id}  {command}  (exit {code})")
    over = [run for run in runs if run[0] > arguments.limit]
    if over:
        print(f"{len(over)} run(s) took longer than {arguments.limit} s")
        return 1
    print(f"every run took under {arguments.limit} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
