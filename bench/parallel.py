"""Time `tfllint DIR` over many models with -j 1, -j 2 and the default worker count.

    python bench/parallel.py [--models 1000] [--repeat 3] [--markdown FILE] [MODEL_DIR ...]

The models are real: the third-party corpus of tools/fetch_real_models.py
(~/.cache/tfllint-real-models/models, or $TFLLINT_REAL_MODELS) and the repository's
models/, shuffled with a fixed seed and cycled to --models files, symlinked into a
temporary directory. Each measurement is one whole process, `python -m tfllint DIR
--format json -j N`, from spawn to exit; the table gives the median of --repeat runs.
A second table times small sets (the first 1, 2, 4, ... of the same files), where the
default must not start workers that do not repay their start-up. The three commands run
in turn within each repeat.
"""
from __future__ import annotations

import argparse
import json
import os
import platform
import random
import statistics
import subprocess
import sys
import tempfile
import time

REPO_ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
REAL_MODELS = os.environ.get("TFLLINT_REAL_MODELS",
                             os.path.expanduser("~/.cache/tfllint-real-models/models"))
SMALL_SETS = (1, 2, 4, 8, 16, 32, 64)


def distinct_models(directories: list[str]) -> list[str]:
    found = sorted({os.path.realpath(os.path.join(root, name))
                    for directory in directories for root, _, names in os.walk(directory)
                    for name in names if name.endswith(".tflite")})
    random.Random(0).shuffle(found)
    return found


def link_models(models: list[str], count: int, directory: str) -> str:
    """`count` symlinks cycling through `models`, in a new directory under `directory`."""
    target = os.path.join(directory, f"{count}_models")
    os.makedirs(target)
    for index in range(count):
        source = models[index % len(models)]
        os.symlink(source, os.path.join(target, f"{index:04d}_{os.path.basename(source)}"))
    return target


def lint_seconds(directory: str, jobs: str | None, output: str) -> float:
    """Seconds of one `tfllint DIR` process; its report is checked afterwards: every
    model linted and readable (exit 1 only means findings)."""
    command = [sys.executable, "-m", "tfllint", directory, "--format", "json"]
    command += ["-j", jobs] if jobs else []
    started = time.perf_counter()
    with open(output, "w") as stdout:
        finished = subprocess.run(command, stdout=stdout, stderr=subprocess.PIPE, text=True)
    seconds = time.perf_counter() - started
    try:
        with open(output) as report:
            summary = json.load(report)["summary"]
        linted = summary["models"] - summary["unreadable"]
    except (ValueError, KeyError):
        linted = None
    if finished.returncode not in (0, 1) or linted != len(os.listdir(directory)):
        sys.exit(f"{' '.join(command)} failed (exit {finished.returncode}, {linted} models "
                 f"linted): {finished.stderr[-2000:]}")
    return seconds


def interleaved_medians(directory: str, repeat: int) -> tuple[float, float, float]:
    """Median seconds of -j 1, -j 2 and the default, run in turn so that a busy spell of
    the machine falls on all three alike."""
    output = os.path.join(os.path.dirname(directory), "report.json")
    runs = [[lint_seconds(directory, jobs, output) for jobs in ("1", "2", None)]
            for _ in range(repeat)]
    return tuple(statistics.median(column) for column in zip(*runs))  # type: ignore[return-value]


def default_workers(directory: str) -> int:
    from tfllint.parallel import worker_count
    from tfllint.pipeline import expand_paths

    return worker_count(None, expand_paths([directory]))


def megabytes(directory: str) -> float:
    return sum(os.path.getsize(os.path.join(directory, name))
               for name in os.listdir(directory)) / 1e6


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("directories", nargs="*", metavar="MODEL_DIR")
    parser.add_argument("--models", type=int, default=1000)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--small-repeat", type=int, default=7)
    parser.add_argument("--markdown", metavar="FILE", help="also write the tables to FILE")
    options = parser.parse_args()
    directories = options.directories or [REAL_MODELS, os.path.join(REPO_ROOT, "models")]
    models = distinct_models(directories)
    if not models:
        sys.exit(f"no .tflite files in {', '.join(directories)}; "
                 "python tools/fetch_real_models.py fetches the corpus")
    # as installed: bytecode written once (PYTHONDONTWRITEBYTECODE would recompile each run)
    subprocess.run([sys.executable, "-m", "compileall", "-q", os.path.join(REPO_ROOT, "tfllint"),
                    os.path.join(REPO_ROOT, "rules")], capture_output=True)
    sizes = sorted(os.path.getsize(model) for model in models)
    lines = [f"{platform.system()} {platform.machine()}, {os.cpu_count()} CPUs, Python "
             f"{platform.python_version()}, {time.strftime('%Y-%m-%d')}; {len(models)} distinct "
             f"models ({sizes[0] / 1e3:.1f} kB to {sizes[-1] / 1e6:.1f} MB, median "
             f"{statistics.median(sizes) / 1e6:.2f} MB) cycled; median of the runs.", ""]
    with tempfile.TemporaryDirectory() as scratch:
        big = link_models(models, options.models, scratch)
        serial_output, parallel_output = (os.path.join(scratch, f"{name}.json")
                                          for name in ("serial", "parallel"))
        lint_seconds(big, "1", serial_output)  # warms the page cache; checks the output
        lint_seconds(big, "2", parallel_output)
        with open(serial_output, "rb") as serial, open(parallel_output, "rb") as parallel:
            if serial.read() != parallel.read():
                sys.exit("-j 2 printed a different report from -j 1")
        lines += [f"{options.models:,} models, {megabytes(big):,.0f} MB (the -j 2 report is "
                  "byte for byte the -j 1 report):", "",
                  "| command | workers | wall (s) | speed-up |", "|---|--:|--:|--:|"]
        serial, parallel, default = interleaved_medians(big, options.repeat)
        for jobs, label, seconds in (("1", "-j 1", serial), ("2", "-j 2", parallel),
                                     (None, "(default)", default)):
            lines.append(f"| `tfllint DIR --format json {label}` | {jobs or default_workers(big)}"
                         f" | {seconds:.2f} | {serial / seconds:.2f}x |")
            print(lines[-1], flush=True)
        lines += ["", "Small sets (the first N of the same files):", "",
                  "| models | MB | -j 1 (s) | -j 2 (s) | default workers | default (s) |",
                  "|--:|--:|--:|--:|--:|--:|"]
        for count in SMALL_SETS:
            directory = link_models(models, count, scratch)
            serial, parallel, default = interleaved_medians(directory, options.small_repeat)
            lines.append(f"| {count} | {megabytes(directory):.1f} | {serial:.3f} | "
                         f"{parallel:.3f} | {default_workers(directory)} | {default:.3f} |")
            print(lines[-1], flush=True)
    text = "\n".join(lines) + "\n"
    print("\n" + text)
    if options.markdown:
        with open(options.markdown, "w") as file:
            file.write(text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
