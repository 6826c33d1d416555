"""Arena planning: how long tfllint takes, and its figures beside the real tools'.

For each model: the time to plan with each planner (best of --repeat runs, the model
already read), tfllint's TFLite Micro head / tail / total (64-bit build) and total for a
32-bit microcontroller build, and LiteRT arena, and, where
the tools are installed:

- `--tflm`: tflite-micro's print_allocations() head / tail / total and the smallest
  arena_size that works (binary search, one subprocess per probe);
- `--vela`: Vela's "Total SRAM used" for Ethos-U55-128 (Shared_Sram, the default), and
  tfllint's TFLM head of Vela's output model, which carries the OfflineMemoryAllocation
  Vela planned (so the two should agree).

    python bench/arena.py                      # models/ and bench/out/ (if built)
    python bench/arena.py --tflm --vela        # with the oracles (slower)
    python bench/arena.py path/to/model.tflite --tflm

Figures go to stdout as a markdown table. Informational: no test runs this.
"""
from __future__ import annotations

import argparse
import os
import re
import subprocess
import sys
import tempfile
import time
from pathlib import Path

BENCH_DIR = Path(__file__).resolve().parent
REPO_ROOT = BENCH_DIR.parent
sys.path.insert(0, str(REPO_ROOT))
sys.path.insert(0, str(REPO_ROOT / "tests"))  # the TFLM oracle the differential test uses

from tflm_oracle import measure  # noqa: E402

from tfllint.analyses.arena import plan_arena  # noqa: E402
from tfllint.reader import read_model  # noqa: E402
from tfllint.view import ModelView  # noqa: E402

SRAM = re.compile(r"Total SRAM used\s+([\d.]+) KiB")


def default_models() -> list[Path]:
    models = sorted((REPO_ROOT / "models").glob("*.tflite"))
    for name in ("mobilenet_v2_sized", "ops_10k"):
        path = BENCH_DIR / "out" / f"{name}.tflite"
        if path.exists():
            models.append(path)
    return models


def timed_plans(view: ModelView, repeat: int) -> dict[str, tuple[object, float]]:
    found = {}
    for planner in ("tflm", "litert"):
        best = float("inf")
        for _ in range(repeat):
            start = time.perf_counter()
            plan = plan_arena(view, planner)
            best = min(best, time.perf_counter() - start)
        found[planner] = (plan, best)
    return found


def tflm_figures(path: Path, estimate: int) -> str:
    found = measure(path, estimate)
    if found is None:
        return "refused | -"
    return f"{found.head} / {found.tail} / {found.total} | {found.minimum}"


def vela_figures(path: Path) -> str:
    with tempfile.TemporaryDirectory() as out:
        done = subprocess.run(["vela", str(path), "--accelerator-config", "ethos-u55-128",
                               "--output-dir", out], capture_output=True, text=True,
                              timeout=600)
        sram = SRAM.search(done.stdout)
        compiled = Path(out) / f"{path.stem}_vela.tflite"
        if done.returncode != 0 or not compiled.exists():
            return "failed | -"
        if sram is None:  # every op stays on the CPU: Vela prints no SRAM figure
            return "no NPU ops | -"
        head = plan_arena(ModelView(read_model(compiled)), "tflm").head_bytes
        return f"{round(float(sram.group(1)) * 1024)} | {head}"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("models", nargs="*", type=Path)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--tflm", action="store_true", help="run tflite-micro as well")
    parser.add_argument("--vela", action="store_true", help="run Vela as well")
    args = parser.parse_args(argv)
    header = ["model", "ops", "plan tflm (s)", "plan litert (s)",
              "tfllint tflm head / tail / total", "tfllint tflm 32-bit total",
              "tfllint litert head / tail"]
    if args.tflm:
        header += ["TFLM head / tail / total", "smallest TFLM arena"]
    if args.vela:
        header += ["Vela SRAM (U55-128)", "tfllint head of Vela output"]
    print("| " + " | ".join(header) + " |")
    print("|" + "---|" * len(header))
    for path in args.models or default_models():
        view = ModelView(read_model(path))
        plans = timed_plans(view, args.repeat)
        tflm, tflm_time = plans["tflm"]
        litert, litert_time = plans["litert"]
        ops = sum(len(s.operators) for s in view.subgraphs)
        row = [path.stem, str(ops), f"{tflm_time:.3f}", f"{litert_time:.3f}",
               f"{tflm.head_bytes} / {tflm.tail_bytes} / {tflm.total_bytes}",
               " / ".join(str(b.total_bytes) for b in tflm.other_builds),
               f"{litert.head_bytes} / {litert.tail_bytes}"]
        if args.tflm:
            row.append(tflm_figures(path, tflm.total_bytes))
        if args.vela:
            row.append(vela_figures(path))
        print("| " + " | ".join(row) + " |", flush=True)
    return 0


if __name__ == "__main__":
    os.environ.setdefault("PYTHONHASHSEED", "0")
    sys.exit(main())
