"""Issue 13's harness, full run: semantic mutations of working models in the real runtimes.

    python bench/fuzz_semantic.py                     # samples (6 per class) and real
                                                      # corpus (1 per class), seeds 0-3
    python bench/fuzz_semantic.py --seed 0 --samples-only --per-class 6
    python bench/fuzz_semantic.py --out /tmp/fuzz.json --show misses
    python bench/fuzz_semantic.py --load /tmp/fuzz.json   # figures of a saved run again
    python bench/fuzz_semantic.py --load /tmp/fuzz.json --relint --out /tmp/fuzz.json
    python bench/fuzz_semantic.py --replay cnn_int8.tflite option 0 3   # one mutation

The classes, seeds and what is counted are tools/fuzz_semantic.py's docstring. Models: the
11 samples (models/*.tflite) and the real-model corpus (~/.cache/tfllint-real-models,
`python tools/fetch_real_models.py`) up to 8 MB, each only when ai-edge-litert runs it
unmodified. Each mutated file: ai-edge-litert and tflite-micro in child processes (two
workers), tfllint in process. Prints the figures and every miss (a crash without an
error, a refusal without a matching error, a file that runs but gets an error); --out
writes every result as JSON, from which a (model, class, seed, index) rebuilds the file
(--replay, --write); --record keeps the crashing ones' identities and outcomes in
tests/data/fuzz_semantic_crashes.json. Needs the `oracle` extra. The last run's figures
are in the README ("Semantic fuzzing against the real runtimes"); it takes about 4
minutes a seed on 2 workers.
"""
from __future__ import annotations

import argparse
import json
import sys
import tempfile
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(REPO / "tools")]
import fuzz_semantic as fuzz  # noqa: E402

CRASHES = REPO / "tests" / "data" / "fuzz_semantic_crashes.json"
CORPUS = Path.home() / ".cache" / "tfllint-real-models" / "models"
MAX_BYTES = 8 << 20


def models(samples_only: bool, real_only: bool = False) -> list[Path]:
    paths = [] if real_only else sorted((REPO / "models").glob("*.tflite"))
    if not samples_only:
        paths += [p for p in sorted(CORPUS.glob("*.tflite")) if p.stat().st_size <= MAX_BYTES]
    return paths


def find(name: str) -> Path:
    for directory in (REPO / "models", CORPUS):
        if (directory / name).exists():
            return directory / name
    raise SystemExit(f"no model {name}")


def bases_of(paths: list[Path]) -> dict:
    return {p.name: {runtime: fuzz.run(runtime, p) for runtime in ("litert", "tflm")}
            for p in paths}


def miss(result: dict, verdict: dict) -> str | None:
    if verdict["kind"] == "crashed" and not verdict["ok"]:
        return "crash not predicted"
    if verdict["kind"] == "refused" and not verdict["ok"]:
        return "refusal without a matching error"
    if verdict["kind"] == "ran" and not verdict["ok"]:
        return "runs, but an error"
    return None


def record(results: list[dict], bases: dict) -> None:
    """The crashing files, by identity, with what each runtime did."""
    keys = ("model", "class", "seed", "index", "mutation", "litert", "tflm")
    rows = [{key: result[key] for key in keys} for result in results
            if "skipped" not in result and fuzz.classify(result, bases)["kind"] == "crashed"]
    CRASHES.write_text(json.dumps(rows, indent=0) + "\n")


def relint(results: list[dict]) -> None:
    """tfllint's verdicts again, on each mutated file rebuilt from its identity."""
    with tempfile.TemporaryDirectory() as directory:
        file = Path(directory) / "mutated.tflite"
        for result in results:
            if "skipped" in result:
                continue
            file.write_bytes(fuzz.mutate(find(result["model"]), result["class"],
                                         result["seed"], result["index"])[1])
            result["lint"] = fuzz.verdict(fuzz.cve_catalogue.lint(file, tflm=False))
            result["lint_tflm"] = fuzz.verdict(fuzz.cve_catalogue.lint(file, tflm=True))


def show(result: dict, bases: dict, which: str) -> None:
    """A line for a miss (or, with which == "all", for every file)."""
    verdict = fuzz.classify(result, bases)
    why = miss(result, verdict)
    if which == "all" or why:
        print(f"{why or verdict['kind']:34} {result['model']} {result['class']} "
              f"{result['seed']} {result['index']}: {result['mutation']} | litert "
              f"{result['litert'][:90]} | tflm {result['tflm'][:90]} | "
              f"{','.join(result['lint']) or '-'} | tflm: "
              f"{','.join(result['lint_tflm']) or '-'}", flush=True)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--samples-only", action="store_true")
    parser.add_argument("--real-only", action="store_true")
    parser.add_argument("--seed", type=int, nargs="+", default=[0, 1, 2, 3],
                        help="the seeds to run (default 0 1 2 3)")
    parser.add_argument("--per-class", type=int, default=6,
                        help="mutations per class and sample model (default 6)")
    parser.add_argument("--per-class-real", type=int, default=1,
                        help="mutations per class and real model (default 1)")
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--out", type=Path, help="write every result (JSON)")
    parser.add_argument("--show", choices=("misses", "all"), default="misses")
    parser.add_argument("--load", type=Path, nargs="+", metavar="JSON",
                        help="figures and misses of a saved --out run (the table again)")
    parser.add_argument("--record", action="store_true",
                        help=f"write the crashing files' identities and outcomes to "
                             f"{CRASHES.relative_to(REPO)} (tests/test_fuzz_semantic.py "
                             f"lints each again)")
    parser.add_argument("--relint", action="store_true",
                        help="with --load: lint each file again (after a new check); the "
                             "runtimes' outcomes are the saved ones")
    parser.add_argument("--replay", nargs=4, metavar=("MODEL", "CLASS", "SEED", "INDEX"),
                        help="run one mutation and print its result")
    parser.add_argument("--write", type=Path, help="with --replay: write the mutated file")
    arguments = parser.parse_args()
    if arguments.replay:
        name, kind, seed, index = arguments.replay
        task = (str(find(name)), kind, int(seed), int(index), True)
        if arguments.write:
            arguments.write.write_bytes(fuzz.mutate(*task[:4])[1])
        print(json.dumps(fuzz.evaluate(task), indent=1))
        return 0
    if arguments.load:
        saved = {"bases": {}, "results": []}
        for part in arguments.load:
            loaded = json.loads(part.read_text())
            saved["bases"].update(loaded["bases"])
            saved["results"] += loaded["results"]
        if arguments.relint:
            relint(saved["results"])
        for result in saved["results"]:
            if "skipped" not in result:
                show(result, saved["bases"], arguments.show)
        if arguments.out:
            arguments.out.write_text(json.dumps(saved, indent=0))
        if arguments.record:
            record(saved["results"], saved["bases"])
        print(json.dumps(fuzz.figures(saved["results"], saved["bases"]), indent=1))
        return 0
    paths = models(arguments.samples_only, arguments.real_only)
    bases = bases_of(paths)
    runnable = [p for p in paths if bases[p.name]["litert"] == "ran"]
    print(f"{len(runnable)} of {len(paths)} models run in ai-edge-litert "
          f"({sum(b['tflm'] == 'ran' for b in bases.values())} in tflite-micro)", flush=True)
    samples = [p for p in runnable if p.parent == REPO / "models"]
    work = [task for seed in arguments.seed for task in (
        fuzz.tasks(samples, seed, arguments.per_class)
        + fuzz.tasks([p for p in runnable if p not in samples], seed,
                     arguments.per_class_real))]
    print(f"{len(work)} mutated files", flush=True)

    def progress(result):
        if "skipped" not in result:
            show(result, bases, arguments.show)

    results = fuzz.run_all(work, arguments.workers, progress)
    if arguments.out:
        arguments.out.write_text(json.dumps({"bases": bases, "results": results}, indent=0))
    if arguments.record:
        record(results, bases)
    print(json.dumps(fuzz.figures(results, bases), indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
