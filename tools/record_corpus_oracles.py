"""Record what the real runtimes do with each model of the real-model corpus.

    python tools/fetch_real_models.py            # the corpus, into ~/.cache/tfllint-real-models
    python tools/record_corpus_oracles.py        # writes tests/data/real_models_oracles.json
    python tools/record_corpus_oracles.py --only mww_okay_nabu --only oww_melspectrogram
    python tools/record_corpus_oracles.py --tables   # the README's two corpus tables

For every model of tools/fetch_real_models.py's manifest this asks three oracles, each in
a subprocess (a failed check in a native runtime aborts the process) with a time budget:

* ai-edge-litert: does `Interpreter(model_path=...)` load the model, `allocate_tensors()`
  succeed, `invoke()` succeed with every input zero; the error text when not; and
  `get_input_details()` / `get_output_details()` (name, index, dtype, shape,
  shape_signature, quantization parameters).
* tflite-micro: does `runtime.Interpreter.from_bytes` load the model with a generous arena,
  and the smallest `arena_size` that works (binary search, as tests/tflm_oracle.py does).
* Vela (ethos-u-vela, `--accelerator-config ethos-u55-128`): which ops it leaves on the CPU,
  as (op type, output tensor names) with a count, or that it wrote no model and why.

The answers go to tests/data/real_models_oracles.json with the tool versions and the
manifest's sha256 of each model, so tests/test_real_models.py compares tfllint against
the record without running the oracles (it re-checks a small sample live). Re-record after
changing the manifest or an oracle's version; about two minutes for the whole corpus.

`--tables` prints the README's agreement table and rule hit-rate table (the test of the
README checks they are fresh); the functions behind it are imported by the test.
"""
from __future__ import annotations

import argparse
import json
import os
import platform
import subprocess
import sys
import tempfile
import time
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from importlib import metadata
from pathlib import Path

HERE = Path(__file__).resolve().parent
REPO = HERE.parent
sys.path.insert(0, str(HERE))
import fetch_real_models  # noqa: E402

RECORD = REPO / "tests" / "data" / "real_models_oracles.json"
VELA_ACCELERATOR = "ethos-u55-128"
BUDGET_S = 240  # per model and oracle; past it the oracle's answer is "timeout"
TOOLS = ("ai-edge-litert", "tflite-micro", "ethos-u-vela", "numpy")


def models_dir() -> Path:
    """Where the corpus is: $TFLLINT_REAL_MODELS, else the fetch script's default."""
    return Path(os.environ.get("TFLLINT_REAL_MODELS") or fetch_real_models.DEFAULT_OUT)


def corpus(directory: Path | None = None) -> dict[str, Path]:
    """name -> path for every manifest model (present or not)."""
    directory = directory or models_dir()
    return {e.name: directory / f"{e.name}.tflite" for e in fetch_real_models.MANIFEST}


def tool_versions() -> dict[str, str]:
    versions = {"python": platform.python_version(), "machine": platform.machine()}
    for name in TOOLS:
        try:
            versions[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            versions[name] = "not installed"
    return versions


# -- ai-edge-litert ------------------------------------------------------------------------

LITERT_PROBE = r'''
import json, sys
import numpy as np
from ai_edge_litert.interpreter import Interpreter

def details(entries):
    out = []
    for d in entries:
        q = d["quantization_parameters"]
        out.append({"name": d["name"], "index": int(d["index"]),
                    "dtype": np.dtype(d["dtype"]).name,
                    "shape": [int(x) for x in d["shape"]],
                    "shape_signature": [int(x) for x in d["shape_signature"]],
                    "quantization": {"scale": [float(np.float32(s)) for s in q["scales"]],
                                     "zero_point": [int(z) for z in q["zero_points"]],
                                     "quantized_dimension": int(q["quantized_dimension"])}})
    return out

answer = {"load": False, "allocate": None, "invoke": None, "error": None}
def say():
    print("@@@" + json.dumps(answer), flush=True)
try:
    interpreter = Interpreter(model_path=sys.argv[1])
    answer["load"] = True
    answer["inputs"] = details(interpreter.get_input_details())
    answer["outputs"] = details(interpreter.get_output_details())
    answer["allocate"] = False
    say()
    interpreter.allocate_tensors()
    answer["allocate"] = True
    answer["invoke"] = False
    say()
    for d in interpreter.get_input_details():
        interpreter.set_tensor(d["index"], np.zeros(d["shape"], dtype=d["dtype"]))
    interpreter.invoke()
    answer["invoke"] = True
except Exception as error:
    answer["error"] = f"{type(error).__name__}: {error}"[-1500:]
say()
'''


def _last_answer(text: str) -> dict | None:
    lines = [line for line in text.splitlines() if line.startswith("@@@")]
    return json.loads(lines[-1][3:]) if lines else None


def litert(path: Path, budget: float = BUDGET_S) -> dict:
    """What ai-edge-litert does with the model (see the module docstring)."""
    try:
        done = subprocess.run([sys.executable, "-c", LITERT_PROBE, str(path)],
                              capture_output=True, text=True, timeout=budget,
                              stdin=subprocess.DEVNULL)
    except subprocess.TimeoutExpired as expired:
        stdout = expired.stdout.decode() if isinstance(expired.stdout, bytes) else expired.stdout
        answer = _last_answer(stdout or "") or {"load": None, "allocate": None, "invoke": None}
        answer["error"] = "timeout"
        return answer
    answer = _last_answer(done.stdout)
    if answer is None:
        return {"load": False, "allocate": None, "invoke": None,
                "error": f"crashed (exit {done.returncode}): {done.stderr[-800:]}"}
    if done.returncode != 0 and answer["error"] is None:  # aborted in the next step
        step = "invoke" if answer["invoke"] is False else "allocate"
        answer["error"] = f"crashed in {step} (exit {done.returncode}): {done.stderr[-800:]}"
    return answer


# -- tflite-micro ---------------------------------------------------------------------------

TFLM_PROBE = r'''
import sys
from tflite_micro.python.tflite_micro import runtime
data = open(sys.argv[1], "rb").read()
runtime.Interpreter.from_bytes(data, arena_size=int(sys.argv[2]))
print("@@@loaded", flush=True)
'''


def _tflm_probe(path: Path, arena: int, timeout: float) -> tuple[bool, str]:
    done = subprocess.run([sys.executable, "-c", TFLM_PROBE, str(path), str(arena)],
                          capture_output=True, text=True, timeout=timeout,
                          stdin=subprocess.DEVNULL)
    ok = done.returncode == 0 and "@@@loaded" in done.stdout
    said = [line for line in (done.stderr + done.stdout).splitlines() if line.strip()]
    return ok, "\n".join(said[-6:])[-1200:]


def tflm(path: Path, estimate: int, budget: float = BUDGET_S) -> dict:
    """Does tflite-micro load the model with a generous arena, and the smallest arena that
    works (to 16 bytes), searched between half and twice the figures."""
    deadline = time.monotonic() + budget
    generous = max(1 << 22, 4 * path.stat().st_size, 4 * estimate) // 16 * 16
    try:
        loaded, said = _tflm_probe(path, generous, budget)
    except subprocess.TimeoutExpired:
        return {"load": None, "error": "timeout", "smallest_arena": None}
    if not loaded:
        return {"load": False, "error": said, "smallest_arena": None}
    def works(units: int) -> bool:
        left = deadline - time.monotonic()
        if left <= 0:
            raise subprocess.TimeoutExpired("tflm", budget)
        return _tflm_probe(path, units * 16, left)[0]

    high = generous // 16  # known to work
    low = 0  # taken not to work
    try:
        if estimate:
            if works(2 * estimate // 16 + 1):
                high = 2 * estimate // 16 + 1
            if works(estimate // 32):
                high = estimate // 32
            else:
                low = estimate // 32
        while high - low > 1:
            middle = (low + high) // 2
            if works(middle):
                high = middle
            else:
                low = middle
    except subprocess.TimeoutExpired:
        return {"load": True, "error": "timeout", "smallest_arena": None}
    return {"load": True, "error": None, "smallest_arena": high * 16}


# -- Vela -----------------------------------------------------------------------------------

VELA_DRIVER = """
import sys
from ethosu.vela.vela import main
model, accelerator, out = sys.argv[1:4]
try:
    main([model, "--accelerator-config", accelerator, "--output-dir", out])
except BaseException as error:
    print("Vela raised:", repr(error), flush=True)
"""


def vela_cpu_ops(output: Path) -> tuple[Counter | None, int]:
    """(Counter of (op type, output names) of the ops Vela left on the CPU, number of
    ethos-u ops) in the model Vela wrote; (None, 0) when it wrote none. Shared with
    tests/test_vela_differential.py."""
    from tfllint.reader import decode_model

    if not output.exists():
        return None, 0
    compiled = decode_model(output.read_bytes(), str(output))
    cpu, regions = Counter(), 0
    for subgraph in compiled.subgraphs:
        for op in subgraph.operators:
            if op.opcode.custom_code == "ethos-u":
                regions += 1
            else:
                cpu[(op.name, tuple(subgraph.tensors[t].name for t in op.outputs))] += 1
    return cpu, regions


def vela(path: Path, budget: float = BUDGET_S) -> dict:
    """The ops Vela leaves on the CPU: [[op type, [output names], count], ...] sorted."""
    with tempfile.TemporaryDirectory() as out:
        try:
            done = subprocess.run([sys.executable, "-c", VELA_DRIVER, str(path),
                                   VELA_ACCELERATOR, out], capture_output=True, text=True,
                                  timeout=budget, stdin=subprocess.DEVNULL)
        except subprocess.TimeoutExpired:
            return {"compiled": None, "error": "timeout", "cpu_ops": None}
        cpu, regions = vela_cpu_ops(Path(out) / f"{path.stem}_vela.tflite")
        if cpu is None:
            said = [line for line in (done.stdout + done.stderr).splitlines() if line.strip()]
            return {"compiled": False, "cpu_ops": None,
                    "error": f"exit {done.returncode}: " + "\n".join(said[-6:])[-1200:]}
    return compact_vela({"compiled": True, "error": None, "npu_regions": regions,
                         "cpu_ops": sorted([name, list(outputs), count]
                                           for (name, outputs), count in cpu.items())}, path)


def compact_vela(answer: dict, path: Path) -> dict:
    """When Vela left every op of the model on the CPU (float models), say "all" rather
    than list them: the record stays small."""
    from tfllint.reader import decode_model

    model = decode_model(path.read_bytes(), str(path))
    ops = Counter((op.name, tuple(sg.tensors[t].name for t in op.outputs))
                  for sg in model.subgraphs for op in sg.operators)
    listed = Counter({(name, tuple(outputs)): count
                      for name, outputs, count in answer["cpu_ops"]})
    if answer["npu_regions"] == 0 and listed == ops:
        answer["cpu_ops"] = "all"
    return answer


# -- recording ------------------------------------------------------------------------------

def tflm_estimate(path: Path) -> int:
    import tfllint

    document = tfllint.lint([str(path)], use_config=False, target="tflm").to_json()
    return int(document["models"][0]["memory"]["arena_bytes"] or 0)


def record_one(name: str, path: Path, estimate: int) -> dict:
    """estimate: tfllint's tflm arena figure, where the search for the smallest starts."""
    entry = next(e for e in fetch_real_models.MANIFEST if e.name == name)
    started = time.monotonic()
    answer = {"package": f"{entry.registry}:{entry.package}=={entry.version}",
              "member": entry.member, "sha256": entry.sha256,
              "litert": litert(path), "tflm": tflm(path, estimate),
              "vela": vela(path)}
    answer["seconds"] = round(time.monotonic() - started, 1)
    return answer


def record(names: list[str], directory: Path, jobs: int = 2) -> dict:
    paths = corpus(directory)
    missing = [n for n in names if not paths[n].is_file()]
    if missing:
        raise SystemExit(f"not in {directory}: {', '.join(missing)}; run "
                         "python tools/fetch_real_models.py first")
    previous = json.loads(RECORD.read_text()) if RECORD.is_file() else {"models": {}}
    estimates = {n: tflm_estimate(paths[n]) for n in names}
    with ThreadPoolExecutor(max_workers=jobs) as pool:
        answers = dict(zip(names, pool.map(lambda n: record_one(n, paths[n], estimates[n]),
                                           names)))
    models = {**previous.get("models", {}), **answers}
    known = {e.name for e in fetch_real_models.MANIFEST}
    return {"recorded_by": "tools/record_corpus_oracles.py",
            "tools": tool_versions(), "vela_accelerator": VELA_ACCELERATOR,
            "budget_seconds": BUDGET_S,
            "models": {n: models[n] for n in sorted(models) if n in known}}


# -- the README's tables --------------------------------------------------------------------

CHECKS = {  # check -> what it compares (the README's agreement table, in this order)
    "io": "input/output contract = ai-edge-litert get_input/output_details",
    "cpu-errors": "error findings (no target, --target cpu) iff ai-edge-litert fails "
                  "to load, allocate or invoke",
    "tflm-load": "tflm target's can_run = tflite-micro loads the model",
    "tflm-arena": "tflm arena estimate within 2% of tflite-micro's smallest arena",
    "vela-cpu-ops": "ethos-u55 CPU ops = the ops Vela (ethos-u55-128) leaves on the CPU",
}


def agreement_table(outcomes: dict[tuple[str, str], bool | None]) -> str:
    """outcomes: (model, check) -> True (agree), False (disagree), None (not compared)."""
    lines = ["| check | agree / compared | what is compared |", "| --- | --- | --- |"]
    for check, what in CHECKS.items():
        seen = [v for (_, c), v in outcomes.items() if c == check and v is not None]
        lines.append(f"| {check} | {sum(seen)} / {len(seen)} | {what} |")
    return "\n".join(lines)


def hit_rate_table(default_findings: dict[str, set[str]], rules: dict[str, str]) -> str:
    """default_findings: model -> the rule IDs with a finding (default settings);
    rules: rule ID -> name, every built-in rule."""
    total = len(default_findings)
    counts = Counter(rule for fired in default_findings.values() for rule in fired)
    lines = [f"| rule | fires on (of {total} models) | share |", "| --- | --- | --- |"]
    for rule in sorted(rules, key=lambda r: (-counts[r], r)):
        if counts[rule]:
            lines.append(f"| {rule} {rules[rule]} | {counts[rule]} | "
                         f"{100 * counts[rule] / total:.0f}% |")
    silent = sorted(r for r in rules if not counts[r])
    lines.append("")
    lines.append(f"No finding on any corpus model: {', '.join(silent) or 'none'}.")
    return "\n".join(lines)


def default_findings(paths: dict[str, Path]) -> dict[str, set[str]]:
    import tfllint

    document = tfllint.lint([str(p) for p in paths.values()], use_config=False).to_json()
    by_path = {m["path"]: {f["rule"] for f in m["findings"]} for m in document["models"]}
    return {name: by_path[str(path)] for name, path in paths.items()}


def builtin_rules() -> dict[str, str]:
    from tfllint.engine.registry import load_rules

    return {rule.id: rule.name for rule in load_rules()}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--models", type=Path, default=None,
                        help="the corpus folder (default $TFLLINT_REAL_MODELS or "
                             f"{fetch_real_models.DEFAULT_OUT})")
    parser.add_argument("--only", action="append", default=[], metavar="NAME",
                        help="re-record only this model (repeatable); the others are kept")
    parser.add_argument("--jobs", type=int, default=2)
    parser.add_argument("--tables", action="store_true",
                        help="print the README's corpus tables instead of recording")
    args = parser.parse_args(argv)
    directory = args.models or models_dir()
    if args.tables:
        sys.path.insert(0, str(REPO / "tests"))
        import test_real_models

        print(test_real_models.readme_tables(directory))
        return 0
    names = args.only or [e.name for e in fetch_real_models.MANIFEST]
    document = record(names, directory, args.jobs)
    RECORD.parent.mkdir(parents=True, exist_ok=True)
    RECORD.write_text(json.dumps(document, indent=1, sort_keys=False) + "\n")
    slow = max(document["models"].values(), key=lambda m: m["seconds"])
    print(f"recorded {len(names)} models into {RECORD.relative_to(REPO)} "
          f"(slowest {slow['seconds']} s)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
