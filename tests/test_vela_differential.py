"""Our Ethos-U verdicts against Vela itself (the `ethos-u-vela` package, an optional oracle).

Every sample model and every tiny model of test_target_ethos_u.MODELS is compiled by
`vela MODEL --accelerator-config ethos-u55-256` (and ethos-u85-256) in a subprocess. In
Vela's output model every op outside a CUSTOM "ethos-u" op runs on the CPU; an op is
recognised by its type and output tensor names, which Vela keeps. Each model's set of CPU
ops must equal tfllint's. Vela also documents its constraints
(`regor.tflite_operator_constraints`): our op sets must equal its, and every Vela wording
we quote must be one of its lines.

CI: pip install ethos-u-vela==5.2.0: binary wheels (2 MB) for CPython 3.10-3.13 on Linux
x86-64/aarch64, macOS arm64 and Windows; it needs only numpy and flatbuffers and installs in
about 4 s. One Python process per accelerator runs Vela on every model (about 20 ms each
after a 0.3 s start), so the whole file takes about 4 s.
"""
from __future__ import annotations

import subprocess
import sys
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
from conftest import SAMPLE_MODELS
from test_target_ethos_u import MODELS, NOT_FOR_VELA, analyse

from tfllint.reader import decode_model

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tools"))
from record_corpus_oracles import vela_cpu_ops  # noqa: E402  (one reading of Vela's output)

pytest.importorskip("ethosu.vela", reason="ethos-u-vela is not installed; the Vela "
                    "differential test needs it (pip install ethos-u-vela==5.2.0)")
from ethosu import regor  # noqa: E402

ACCELERATORS = {"ethos-u55": ("ethos-u55-256", "EthosU55"),
                "ethos-u65": ("ethos-u65-256", "EthosU55"),
                "ethos-u85": ("ethos-u85-256", "EthosU85")}
# Models Vela 5.2.0 fails on although its checker accepts them (or leaves them to the
# CPU): (model, target) -> what happens. tfllint gives the checker's verdict.
VELA_FAILS: dict[tuple[str, str], str] = {
    ("int32_relu", "ethos-u85"): "segfault: no valid OFM microblock for Relu with 32-bit input",
    ("int64_neg", "ethos-u85"): "segfault: no valid OFM microblock for Sub with 64-bit input",
    ("logical_and", "ethos-u55"): "RuntimeError: Non-passthrough operation (NotEqual) could "
                                  "not run on NPU (BOOL graph inputs on U55)",
    ("logical_and", "ethos-u65"): "RuntimeError: Non-passthrough operation (NotEqual) could "
                                  "not run on NPU (BOOL graph inputs on U65)",
}


def model_bytes() -> dict[str, bytes]:
    models = {path.stem: path.read_bytes() for path in SAMPLE_MODELS}
    assert not set(models) & set(MODELS), "a tiny model has a sample model's name"
    models.update({name: build() for name, build in MODELS.items() if name not in NOT_FOR_VELA})
    return models


# Runs Vela's own command line (ethosu.vela.vela.main) on one model per stdin line, in one
# process: starting Python and importing Vela once instead of per model saves ~0.3 s each.
DRIVER = """
import sys
from ethosu.vela.vela import main
for line in sys.stdin:
    model, accelerator, out = line.rstrip("\\n").split("\\t")
    print("@@@ " + model, flush=True)
    try:
        main([model, "--accelerator-config", accelerator, "--output-dir", out])
    except BaseException as error:
        print("Vela raised:", repr(error), flush=True)
"""


def run_vela(jobs: list[tuple[Path, str, Path]]) -> dict[Path, str]:
    """Compile (model, accelerator, output dir) jobs; Vela's log per output dir. A crash
    (Vela 5.2.0 segfaults on a few models) ends a batch; the next batch starts after it."""
    logs: dict[Path, str] = {}
    pending = list(jobs)
    while pending:
        process = subprocess.run(
            [sys.executable, "-c", DRIVER], capture_output=True, text=True, timeout=600,
            input="".join(f"{model}\t{accelerator}\t{out}\n"
                          for model, accelerator, out in pending))
        sections = process.stdout.split("@@@ ")[1:]
        if not sections:
            raise RuntimeError(f"Vela did not start: {process.stderr[-2000:]}")
        for (_, _, out), section in zip(pending, sections):
            logs[out] = section
        if process.returncode != 0:
            logs[pending[len(sections) - 1][2]] += f"(exit code {process.returncode})\n"
        pending = pending[len(sections):]
    return logs


def compare(data: bytes, name: str, target: str, vela_cpu: Counter | None,
            vela_regions: int) -> dict:
    ours = analyse(data, target)
    disagreeing = []
    if vela_cpu is not None:
        remaining = Counter(vela_cpu)
        model = decode_model(data, name)
        for verdict in ours.ops:
            subgraph = model.subgraphs[verdict.subgraph]
            op = subgraph.operators[verdict.op_index]
            key = (op.name, tuple(subgraph.tensors[t].name for t in op.outputs))
            on_cpu = remaining[key] > 0
            remaining[key] -= on_cpu
            if on_cpu != (verdict.verdict == "cpu"):
                disagreeing.append((verdict.subgraph, verdict.op_index, op.name,
                                    "vela: " + ("cpu" if on_cpu else "npu"),
                                    "tfllint: " + verdict.verdict))
    return dict(compared=len(ours.ops) if vela_cpu is not None else 0,
                agreeing=len(ours.ops) - len(disagreeing) if vela_cpu is not None else 0,
                disagreeing=disagreeing, compiled=vela_cpu is not None,
                refused=bool(ours.model_reasons), partitions=ours.partitions,
                vela_regions=vela_regions)


def compare_with_vela(root: Path) -> dict[tuple[str, str], dict]:
    """(model, target) -> agreement figures and Vela's log; Vela works in `root`."""
    models = model_bytes()
    jobs, where = [], {}
    for name, data in models.items():
        (root / f"{name}.tflite").write_bytes(data)
        for target, (accelerator, _) in ACCELERATORS.items():
            out = root / target / name
            jobs.append((root / f"{name}.tflite", accelerator, out))
            where[(name, target)] = (jobs[-1][0], out / f"{name}_vela.tflite")
    by_accelerator = [[job for job in jobs if job[1] == accelerator]
                      for accelerator, _ in ACCELERATORS.values()]
    with ThreadPoolExecutor(max_workers=len(by_accelerator)) as pool:
        logs = {}
        for found in pool.map(run_vela, by_accelerator):
            logs.update(found)
    table = {}
    for (name, target), (model, output) in where.items():
        table[(name, target)] = compare(models[name], name, target, *vela_cpu_ops(output))
        table[(name, target)].update(log=logs.get(output.parent, ""), output=output)
    return table


def agreement_lines(comparisons: dict[tuple[str, str], dict],
                    per_model: bool = True) -> list[str]:
    """Per accelerator: ops agreeing / ops compared over the models Vela compiled, whether
    tfllint's partition count equals Vela's number of ethos-u ops, the models Vela refused;
    then (per_model) the same figures per model."""
    lines = []
    for target in ACCELERATORS:
        rows = {name: f for (name, t), f in sorted(comparisons.items()) if t == target}
        compiled = {name: f for name, f in rows.items() if f["compiled"]}
        agreeing = sum(f["agreeing"] for f in compiled.values())
        compared = sum(f["compared"] for f in compiled.values())
        same_regions = sum(f["partitions"] == f["vela_regions"] for f in compiled.values())
        refused = ", ".join(name for name, f in rows.items() if not f["compiled"])
        lines.append(f"{target}: {agreeing}/{compared} ops agree over {len(compiled)} models "
                     f"Vela compiled; partitions = ethos-u ops in {same_regions}/{len(compiled)}; "
                     f"refused by Vela: {refused}")
        lines += [f"  {name}: {f['agreeing']}/{f['compared']}, partitions {f['partitions']}, "
                  f"ethos-u ops {f['vela_regions']}" for name, f in compiled.items()
                  if per_model]
    return lines


@pytest.fixture(scope="module")
def comparisons(tmp_path_factory) -> dict[tuple[str, str], dict]:
    return compare_with_vela(tmp_path_factory.mktemp("vela"))


CASES = [(name, target) for name in sorted(model_bytes()) for target in ACCELERATORS]


@pytest.mark.parametrize("name, target", CASES)
def test_cpu_ops_agree_with_vela(comparisons, name, target):
    """Vela refuses exactly the models tfllint says it cannot compile, and leaves exactly
    tfllint's CPU ops on the CPU in the others."""
    figures = comparisons[(name, target)]
    if figures["refused"]:
        assert not figures["compiled"], f"Vela compiled {name}, tfllint says it cannot"
        return
    if not figures["compiled"] and (name, target) in VELA_FAILS:
        pytest.xfail(VELA_FAILS[(name, target)])
    assert figures["compiled"], f"Vela did not compile {name}:\n{figures['log'][-3000:]}"
    assert figures["disagreeing"] == [], figures["log"][-3000:]


def test_every_accelerator_has_models_vela_compiled(comparisons):
    """Vela compiled models for each accelerator and their ops were compared (the figures
    per model, for a person: python bench/vela_agreement.py)."""
    summary = "\n".join(agreement_lines(comparisons, per_model=False))
    for target in ACCELERATORS:
        compiled = [f for (_, t), f in comparisons.items() if t == target and f["compiled"]]
        assert compiled and sum(f["compared"] for f in compiled) > 0, f"{target}:\n{summary}"


@pytest.mark.parametrize("target", ACCELERATORS)
def test_op_sets_equal_vela_constraint_tables(target):
    from tfllint.targets.profile import load_target

    profile = load_target(target)
    ours = {name for name, op in profile.ops.items() if name != "*" and op.supported}
    theirs = {"ARG_MAX" if name == "ARGMAX" else name
              for name in regor.tflite_operator_constraints(ACCELERATORS[target][1])}
    assert ours == theirs


def _doc_lines(text: str) -> list[str]:
    return [line.strip().removeprefix("- ").strip() for line in text.splitlines() if line.strip()]


def _is_made_of(tool: str, lines: set[str]) -> bool:
    """Whether `tool` is one line of Vela's text or several joined by single spaces."""
    if tool in lines:
        return True
    return any(tool.startswith(line + " ") and _is_made_of(tool[len(line) + 1:], lines)
               for line in lines)


@pytest.mark.parametrize("target", ACCELERATORS)
def test_quoted_wording_is_vela_constraint_text(target):
    constraints = regor.tflite_operator_constraints(ACCELERATORS[target][1])
    every_line = {line for docs in constraints.values() for doc in docs
                  for line in _doc_lines(doc)} | {"Unsupported opType"}
    quoted = Counter()
    for name, build in MODELS.items():
        if name in NOT_FOR_VELA:
            continue
        for verdict in analyse(build(), target).ops:
            for reason in verdict.reasons:
                if reason.tool:
                    quoted[reason.tool] += 1
                    assert _is_made_of(reason.tool, every_line), (name, reason)
    assert len(quoted) > 10


@pytest.mark.parametrize("target", ACCELERATORS)
def test_velas_output_is_compiled_except_for_its_cpu_ops(comparisons, target):
    """Linting what Vela wrote: each ethos-u op is `compiled` for the target and every op
    Vela left outside one still runs on the CPU."""
    checked = 0
    for (name, t), figures in comparisons.items():
        if t != target or not figures["compiled"]:
            continue
        result = analyse(figures["output"].read_bytes(), target)
        for verdict in result.ops:
            assert verdict.verdict == ("compiled" if verdict.op == "ethos-u" else "cpu"), (
                name, verdict)
            checked += 1
    assert checked > 100


def vela_warnings(log: str) -> dict[tuple[str, str], set[str]]:
    """(op type, OFM name) -> the lines Vela printed for the op it left on the CPU: the
    "Reason:" line and the text of the constraint that failed."""
    found = {}
    for block in log.split("Warning (supported operators) operator: ")[1:]:
        head, _, rest = block.partition("\n")
        op, _, ofm = head.partition(", ofm: ")
        lines = []
        for line in rest.splitlines():
            if not line.strip():
                break
            lines.append(line.removeprefix("Reason: "))
        found[(op.replace("ARGMAX", "ARG_MAX"), ofm.strip("'"))] = set(
            line for text in lines for line in _doc_lines(text))
    return found


@pytest.mark.parametrize("target", ACCELERATORS)
def test_vela_prints_one_of_the_reasons_we_quote(comparisons, target):
    """For every op Vela reports, its printed constraint is one of the tool texts
    tfllint gives that op (Vela stops at the first failure, tfllint lists them all)."""
    models, checked = model_bytes(), 0
    for (name, t), figures in comparisons.items():
        if t != target or not figures["compiled"]:
            continue
        printed = vela_warnings(figures["log"])
        model = decode_model(models[name], name)
        for verdict in analyse(models[name], target).ops:
            subgraph = model.subgraphs[verdict.subgraph]
            op = subgraph.operators[verdict.op_index]
            key = (op.name, subgraph.tensors[op.outputs[0]].name if op.outputs else "")
            if verdict.verdict != "cpu" or key not in printed:
                continue
            checked += 1
            tools = [r.tool for r in verdict.reasons if r.tool]
            assert any(_is_made_of(tool, printed[key]) for tool in tools), (name, key, tools,
                                                                            printed[key])
    assert checked > 40
