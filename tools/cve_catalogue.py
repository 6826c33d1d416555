"""Run the CVE reproducers in the real runtimes and in tfllint, and print the catalogue.

    python tools/cve_catalogue.py                 # the table, from a fresh run
    python tools/cve_catalogue.py --record        # ... and write tests/data/cve_outcomes.json
    python tools/cve_catalogue.py --docs          # ... and write docs/cve-catalogue.md
    python tools/cve_catalogue.py --from-record --docs   # docs from the recorded outcomes
    python tools/cve_catalogue.py --relint --record --docs   # new checks: tfllint again
    python tools/cve_catalogue.py --only CVE-2021-29587

The rows are tests/data/cve_catalogue.toml; the reproducers are the functions of
tests/cve_models.py. Each reproducer is written to a temporary file and run, one child
process at a time, with a 20 s timeout and a 2 GiB address-space limit:

- ai-edge-litert: ai_edge_litert.interpreter.Interpreter, allocate_tensors, invoke on
  zero inputs;
- tflite-micro: tflite_micro's runtime.Interpreter.from_bytes (1 MiB arena), invoke on
  zero inputs;
- tfllint: `tfllint FILE --format json --preview` (new rules start in preview), and
  again with `--target tflm` (TFLite Micro crashes on reproducers of advisories that
  name only TFLite), in process: the rule IDs at error severity, or exit 2.

An outcome is "ran", "refused: <first line of the runtime's message>", "crashed: <signal>"
or "hung" (the timeout). Each reproducer runs RUNS times per runtime and the distinct
outcomes are recorded: an out-of-bounds read can crash one run and not the next (CVE-2020-
15211's index -1 in ai-edge-litert). tests/test_cve_catalogue.py checks that a fresh run
gives one of the recorded outcomes.
"""
from __future__ import annotations

import argparse
import io
import json
import re
import signal
import subprocess
import sys
import tempfile
from contextlib import redirect_stderr, redirect_stdout
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
CATALOGUE = REPO / "tests" / "data" / "cve_catalogue.toml"
OUTCOMES = REPO / "tests" / "data" / "cve_outcomes.json"
DOCS = REPO / "docs" / "cve-catalogue.md"
TIMEOUT = 20  # seconds per child process
RUNS = 5  # child processes per reproducer and runtime: out-of-bounds reads vary from run to run
MEMORY = 2 << 30  # RLIMIT_AS of each child process
ARENA = 1 << 20  # tflite-micro arena
REQUIRED = ("id", "ghsa", "component", "runtime", "defect", "precondition", "fixed_in",
            "source")
RUNTIMES = ("litert", "tflm", "both")

# The child: load, allocate and invoke on zero inputs; print RAN when all of it worked.
CHILD = r'''
import resource, sys
resource.setrlimit(resource.RLIMIT_AS, ({memory}, {memory}))
import numpy as np
runtime = sys.argv[1]
data = sys.stdin.buffer.read()
if runtime == "litert":
    from ai_edge_litert.interpreter import Interpreter
    interpreter = Interpreter(model_content=data)
    interpreter.allocate_tensors()
    for detail in interpreter.get_input_details():
        interpreter.set_tensor(detail["index"], np.zeros(detail["shape"], detail["dtype"]))
    interpreter.invoke()
else:
    import tflite
    from tflite_micro.python.tflite_micro import runtime as micro
    inputs = tflite.Model.GetRootAsModel(data, 0).Subgraphs(0).InputsLength()
    interpreter = micro.Interpreter.from_bytes(data, arena_size={arena})
    for index in range(inputs):
        detail = interpreter.get_input_details(index)
        interpreter.set_input(np.zeros(detail["shape"], detail["dtype"]), index)
    interpreter.invoke()
print("RAN", flush=True)
'''.format(memory=MEMORY, arena=ARENA)

SEVERITY = ("crashed", "hung", "refused", "ran")
ADDRESS = re.compile(r"0x[0-9a-f]{6,}")


def load_catalogue(path: Path = CATALOGUE) -> list[dict]:
    from tfllint.toml_files import parse_toml  # tomllib, or tomli on Python 3.10

    return parse_toml(path.read_text(encoding="utf-8"), str(path))["cve"]


def reproducers() -> dict:
    sys.path.insert(0, str(REPO / "tests"))
    import cve_models

    return cve_models.REPRODUCERS


def message_of(stderr: str) -> str:
    """The runtime's reason in one line: the first line the runtime logged before the
    Python traceback (tflite-micro logs the reason, then raises a generic error), else the
    exception's message, else the last line."""
    lines = [line.strip() for line in stderr.splitlines() if line.strip()]
    logged = []
    for line in lines:
        if line.startswith("Traceback"):
            break
        if not line.startswith("INFO:"):
            logged.append(line)
    if logged:
        return ADDRESS.sub("0x…", logged[0])[:300]
    for line in reversed(lines):
        match = re.match(r"^(\w+(?:\.\w+)*(?:Error|Exception)): (.*)$", line)
        if match:
            return ADDRESS.sub("0x…", match.group(2))[:300]
    return ADDRESS.sub("0x…", lines[-1])[:300] if lines else ""


def run_runtime(runtime: str, path: Path) -> str:
    """One child process: "ran", "refused: <message>", "crashed: <signal>" or "hung"."""
    try:
        # The model comes on standard input so that the child's argv, and with it the
        # heap layout an out-of-bounds read meets, does not depend on the file's path.
        done = subprocess.run([sys.executable, "-c", CHILD, runtime], input=path.read_bytes(),
                              capture_output=True, timeout=TIMEOUT)
    except subprocess.TimeoutExpired:
        return "hung"
    if done.returncode < 0:
        return f"crashed: {signal.Signals(-done.returncode).name}"
    stdout, stderr = (stream.decode(errors="replace") for stream in (done.stdout, done.stderr))
    if done.returncode == 0 and "RAN" in stdout:
        return "ran"
    return f"refused: {message_of(stderr + stdout)}"


def lint(path: Path, tflm: bool) -> dict:
    """tfllint's verdict: exit code and [rule, location] of every error-severity finding
    (a location as "subgraph/op_index/tensor_index/buffer", None where absent)."""
    from tfllint.cli import main

    arguments = [str(path), "--format", "json", "--no-config", "--preview"]
    if tflm:
        arguments += ["--target", "tflm"]
    output, errors = io.StringIO(), io.StringIO()
    with redirect_stdout(output), redirect_stderr(errors):
        code = main(arguments)
    model = json.loads(output.getvalue())["models"][0]
    found = sorted({(finding["rule"], location_key(location))
                    for finding in model["findings"] if finding["severity"] == "error"
                    for location in finding["locations"]})
    return {"exit": code, "unreadable": model["error"], "errors": [list(f) for f in found]}


def location_key(location: dict) -> str:
    return "/".join(str(location.get(part)) for part in
                    ("subgraph", "op_index", "tensor_index", "buffer"))


def run_row(row: dict, build, recorded: dict | None = None) -> dict:
    """The row's outcomes; with `recorded`, the runtimes' outcomes are taken from there
    and only tfllint runs again."""
    with tempfile.TemporaryDirectory() as directory:
        path = Path(directory) / f"{row['id']}.tflite"
        path.write_bytes(build())
        result = {runtime: recorded[runtime] if recorded else
                  sorted({run_runtime(runtime, path) for _ in range(RUNS)})
                  for runtime in ("litert", "tflm")}
        result["tfllint"] = lint(path, tflm=False)
        result["tfllint_tflm"] = lint(path, tflm=True)
    return result


def caught_by(result: dict, key: str = "tfllint") -> str:
    """The rules of one tfllint verdict ("tfllint": no target, "tfllint_tflm": `--target
    tflm`) that give an error, or "exit 2", or "not caught"."""
    verdict = result[key]
    rules = {rule for rule, _ in verdict["errors"]}
    if verdict["exit"] == 2:
        rules.add("exit 2")
    return ", ".join(sorted(rules)) or "not caught"


def table(rows: list[dict], outcomes: dict, markdown: bool) -> str:
    header = ["CVE", "defect", "reproducer", "ai-edge-litert 2.3.0", "tflite-micro",
              "tfllint", "tfllint --target tflm"]
    lines = []
    if markdown:
        lines += ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    for row in rows:
        result = outcomes.get(row["id"])
        reproducer = f"`{row['id'].lower().replace('-', '_')}`" if result else "none"
        cells = [f"[{row['id']}]({source_url(row['source'])})" if markdown else row["id"],
                 row["defect"], reproducer,
                 " or ".join(result["litert"]) if result else "not run",
                 " or ".join(result["tflm"]) if result else "not run",
                 caught_by(result) if result else "—",
                 caught_by(result, "tfllint_tflm") if result else "—"]
        if markdown:
            lines.append("| " + " | ".join(c.replace("|", "\\|") for c in cells) + " |")
        else:
            lines.append(f"{cells[0]:15} {cells[3][:40]:40} {cells[4][:40]:40} {cells[5]:10} "
                         f"{cells[6]}")
    return "\n".join(lines)


def source_url(source: str) -> str:
    """A link for a row's source: the advisory file at its commit, or the GitHub advisory."""
    match = re.match(r"([\w.-]+/[\w.-]+)@([0-9a-f]{40}):(\S+)", source)
    if match:
        return "https://github.com/{}/blob/{}/{}".format(*match.groups())
    match = re.match(r"([\w.-]+/[\w.-]+) security advisory (GHSA-[\w-]+)$", source)
    return "https://github.com/{}/security/advisories/{}".format(*match.groups()) \
        if match else source


def gaps(rows: list[dict], outcomes: dict) -> str:
    """The rows tfllint does not catch without a target, with the check each needs."""
    lines = ["| CVE | the check it needs (the precondition) | ai-edge-litert 2.3.0 | "
             "tflite-micro |", "|---|---|---|---|"]
    for row in rows:
        result = outcomes.get(row["id"])
        if result is None or caught_by(result) == "not caught":
            today = [worst(result[runtime]) if result else "no reproducer"
                     for runtime in ("litert", "tflm")]
            lines.append(f"| {row['id']} | {row['precondition']} | {today[0]} | {today[1]} |")
    return "\n".join(lines)


def worst(outcomes: list[str]) -> str:
    """The worst of a reproducer's outcomes in one runtime, without the refusal's message."""
    outcome = min(outcomes, key=lambda o: SEVERITY.index(o.split(":")[0]))
    return "refused" if outcome.startswith("refused") else outcome


def counts(rows: list[dict], outcomes: dict) -> str:
    reproduced = [outcomes[row["id"]] for row in rows if row["id"] in outcomes]
    parts = [f"{len(rows)} advisories, {len(reproduced)} reproduced"]
    for runtime in ("litert", "tflm"):
        kinds: dict[str, int] = {}
        for result in reproduced:  # a row whose runs differ counts as its worst outcome
            kind = worst(result[runtime]).split(":")[0]
            kinds[kind] = kinds.get(kind, 0) + 1
        parts.append(f"{runtime}: " + ", ".join(f"{n} {k}" for k, n in sorted(kinds.items())))
    for key, name in (("tfllint", "tfllint"), ("tfllint_tflm", "tfllint --target tflm")):
        caught = sum(caught_by(result, key) != "not caught" for result in reproduced)
        parts.append(f"{name}: an error or exit 2 on {caught} of {len(reproduced)}")
    return "; ".join(parts)


DOC_HEAD = """# CVE catalogue: model files that took down TFLite

Generated by `python tools/cve_catalogue.py --from-record --docs` from
`tests/data/cve_catalogue.toml` (the advisories: defect, precondition, fixed version, source)
and `tests/data/cve_outcomes.json` (what the reproducers of `tests/cve_models.py` do today);
`tests/test_cve_catalogue.py` keeps both honest.

Each reproducer is a tiny model built in code whose only defect is the advisory's
precondition. It is run in a child process (20 s timeout, 2 GiB address space) in
ai-edge-litert 2.3.0 (load, `allocate_tensors`, `invoke` on zero inputs) and in
tflite-micro {tflm} (1 MiB arena, `invoke` on zero inputs). "refused" is a clean error
with the runtime's message, "crashed" a signal, "hung" the timeout. The tfllint column is
the rules that report an error without a target (`--preview`: new rules such as TFL009
start in preview), the last column with `--target tflm`
("exit 2" when tfllint cannot read the file). With `--target tflm`, TFL302 says TFLite
Micro has no kernel for the op or cannot plan its zero-sized or dynamic tensors: that is
TFLite Micro's own refusal of the file, not a finding of the advisory's defect. The rows
"not caught" without a target are the roadmap below.

Rows without a reproducer need what the test builder cannot write yet (sparsity
parameters) or a file of gigabytes (an int array whose byte size overflows 32 bits), or
their advisory does not say which op or precondition triggers them.

"""


def docs(rows: list[dict], outcomes: dict) -> str:
    from tflm_oracle import VERSION

    return (DOC_HEAD.format(tflm=VERSION) + counts(rows, outcomes) + ".\n\n"
            + table(rows, outcomes, markdown=True) + "\n\n## Not caught yet: the checks "
            "to add\n\nEach row below is a static precondition tfllint does not report as "
            "an error yet (rows without a reproducer included). An error means the runtime "
            "refuses the file or crashes (tfllint's severity policy): a row whose reproducer "
            "ai-edge-litert runs is a candidate for a warning, and with `--target tflm` "
            "TFL302 already reports TFLite Micro's refusals.\n\n"
            + gaps(rows, outcomes) + "\n")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--record", action="store_true", help=f"write {OUTCOMES.name}")
    parser.add_argument("--docs", action="store_true", help=f"write {DOCS.name}")
    parser.add_argument("--from-record", action="store_true",
                        help="use the recorded outcomes instead of running")
    parser.add_argument("--relint", action="store_true",
                        help="keep the recorded runtime outcomes, run only tfllint again")
    parser.add_argument("--only", action="append", help="run only this CVE (repeatable)")
    options = parser.parse_args()
    rows = load_catalogue()
    builds = reproducers()
    recorded = json.loads(OUTCOMES.read_text()) if OUTCOMES.exists() else {}
    if options.from_record:
        outcomes = recorded
    else:
        outcomes = dict(recorded) if options.only or options.relint else {}
        for row in rows:
            if row["id"] in builds and (not options.only or row["id"] in options.only):
                outcomes[row["id"]] = run_row(row, builds[row["id"]],
                                              recorded.get(row["id"]) if options.relint
                                              else None)
                print(table([row], outcomes, markdown=False), flush=True)
    print(counts(rows, outcomes))
    if options.record and not options.from_record:
        OUTCOMES.write_text(json.dumps(dict(sorted(outcomes.items())), indent=1) + "\n")
    if options.docs:
        DOCS.write_text(docs(rows, outcomes))
    return 0


if __name__ == "__main__":
    sys.exit(main())
