"""LiteRT's Qualcomm compiler plugin, run by ai-edge-litert's apply_plugin_main, as an
oracle for the npu-qualcomm target's per-op verdicts.

The plugin ships in the ai-edge-litert wheel; the QNN host libraries it loads (libQnnHtp.so
and friends, QAIRT 2.50.40) come from the onnxruntime-qnn wheel, installed in the oracle
extra only (nothing of Qualcomm's enters the repository: their licence governs those
binaries). libQnnLpai.so, which the plugin links but never calls here, is missing from that
wheel: an empty shared library with that soname, built with the C compiler at test time,
satisfies the loader.

`--cmd=partition` runs only the plugin's LiteRtCompilerPluginPartition: per op, the
LiteRT-to-QNN legalization, then QnnBackend_validateOpConfig of the real HTP library. The
selected runs of ops become DISPATCH_OP custom ops in the output model; the ops left in the
original subgraphs run on the CPU. Those remaining ops are mapped back to the input model
by their output tensor names, and the log gives each rejected op's reason.

Usable as a script: python tests/qnn_oracle.py MODEL.tflite [...] prints one JSON object
per model. Each call runs in a child process with its address space capped and a timeout.
"""
from __future__ import annotations

import json
import os
import re
import resource
import shutil
import subprocess
import sys
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

QNN_WHEEL = "onnxruntime-qnn==2.6.0"  # QAIRT 2.50.40, the line LiteRT 2.3.0 builds against
SOC = "SM8650"
MEMORY_LIMIT = 4 << 30  # RLIMIT_AS of the tool: the HTP library can grow without bound
TIMEOUT = 60
DISPATCH = "DISPATCH_OP"
PARTITIONED = re.compile(r"Partitioned subgraph<(\d+)>, selected (\d+) ops, from a total of "
                         r"(\d+) ops\. resulted in (\d+) partitions\.")
REJECTED = re.compile(r"\[(qnn_compose_graph|qnn_compiler_plugin)\.cc:\d+\] \n"
                      r"LiteRT Op #(\d+) '([^']*)' \(code=(\d+)\) is not supported in "
                      r"Qualcomm Compiler\.\n  Inputs:\n((?:    \[\d+\] name=.*\n)*)"
                      r"  Outputs:\n((?:    \[\d+\] name=.*\n?)*)")
NAME = re.compile(r'name="(.*)"  tensor_idx=(\d+)')
VALIDATION = re.compile(r"QNN op validation failed: '[^']*' \(type=(\w+)(?:, operation=(\w+))?\)\n"
                        r"  Inputs:\n((?:    \[\d+\] .*\n)*)  Outputs:\n((?:    \[\d+\] .*\n)*)"
                        r"  QNN error=(\d+)")
QNN_TENSOR = re.compile(r"dtype=QNN_DATATYPE_(\w+) dims=\[([\d,]*)\]")


@dataclass
class Setup:
    tool: str
    plugin_dir: str
    library_path: str


@dataclass
class OpResult:
    index: int
    op: str  # builtin name, or CUSTOM:<code>
    outputs: tuple[str, ...]
    on_npu: bool
    kind: str | None = None  # "legalization" or "validator" for a rejected op with a log
    reason: str | None = None  # the plugin's log for a rejected op


@dataclass
class Result:
    model: str
    returncode: int
    log: str
    subgraphs: list[list[OpResult]] = field(default_factory=list)
    # per subgraph: (selected, total, partitions) from the log
    stats: dict[int, tuple[int, int, int]] = field(default_factory=dict)
    error: str | None = None  # why no verdicts (the tool failed, timed out, ...)

    def to_json(self) -> dict:
        return {"model": self.model, "returncode": self.returncode, "error": self.error,
                "stats": {str(k): v for k, v in self.stats.items()},
                "subgraphs": [[op.__dict__ for op in ops] for ops in self.subgraphs]}


def site_packages() -> Path | None:
    try:
        import ai_edge_litert
    except ImportError:
        return None
    return Path(ai_edge_litert.__file__).resolve().parent.parent


def missing() -> str | None:
    """Why the oracle cannot run here, or None."""
    site = site_packages()
    if site is None:
        return "ai-edge-litert is not installed (pip install ai-edge-litert==2.3.0)"
    if not (site / "ai_edge_litert" / "tools" / "apply_plugin_main").is_file():
        return "this ai-edge-litert wheel has no tools/apply_plugin_main (x86-64 Linux only)"
    if not (site / "ai_edge_litert" / "vendors" / "qualcomm" / "compiler").is_dir():
        return "this ai-edge-litert wheel has no Qualcomm compiler plugin"
    if not (site / "onnxruntime_qnn" / "libQnnHtp.so").is_file():
        return (f"the QNN host libraries are missing: pip install --no-deps {QNN_WHEEL} "
                "(the oracle extra)")
    if compiler() is None:
        return "no C compiler (cc, gcc or clang) to build the empty libQnnLpai.so stub"
    return None


def compiler() -> str | None:
    for name in (os.environ.get("CC"), "cc", "gcc", "clang"):
        if name and shutil.which(name):
            return shutil.which(name)
    return None


def setup(work: Path) -> Setup:
    """Build the stub libQnnLpai.so in `work`; the tool's paths and library path."""
    site = site_packages()
    stub_dir = work / "qnn_stub"
    stub_dir.mkdir(parents=True, exist_ok=True)
    stub = stub_dir / "libQnnLpai.so"
    if not stub.exists():
        source = stub_dir / "stub.c"
        source.write_text("/* empty: satisfies the plugin's DT_NEEDED on libQnnLpai.so */\n")
        subprocess.run([compiler(), "-shared", "-Wl,-soname,libQnnLpai.so", "-o", str(stub),
                        str(source)], check=True, capture_output=True, timeout=60)
    paths = [str(site / "onnxruntime_qnn"), str(stub_dir)]
    return Setup(tool=str(site / "ai_edge_litert" / "tools" / "apply_plugin_main"),
                 plugin_dir=str(site / "ai_edge_litert" / "vendors" / "qualcomm" / "compiler"),
                 library_path=":".join(paths))


def _limit_memory() -> None:
    resource.setrlimit(resource.RLIMIT_AS, (MEMORY_LIMIT, MEMORY_LIMIT))


def _ops(path: Path) -> list[list[tuple[str, tuple[str, ...]]]]:
    """(op name, output tensor names) per op, per subgraph, read with the PyPI `tflite`
    bindings (independent of tfllint's reader)."""
    import tflite
    from tflite.BuiltinOperator import BuiltinOperator

    names = {value: key for key, value in vars(BuiltinOperator).items()
             if not key.startswith("_")}
    model = tflite.Model.GetRootAsModel(path.read_bytes(), 0)
    codes = []
    for i in range(model.OperatorCodesLength()):
        code = model.OperatorCodes(i)
        builtin = max(code.BuiltinCode(), code.DeprecatedBuiltinCode())
        # the partition step writes DISPATCH_OP with builtin code 0 and a custom code
        if builtin == BuiltinOperator.CUSTOM or code.CustomCode():
            codes.append(f"CUSTOM:{(code.CustomCode() or b'').decode()}")
        else:
            codes.append(names.get(builtin, str(builtin)))
    subgraphs = []
    for s in range(model.SubgraphsLength()):
        subgraph = model.Subgraphs(s)
        ops = []
        for o in range(subgraph.OperatorsLength()):
            op = subgraph.Operators(o)
            outputs = tuple((subgraph.Tensors(t).Name() or b"").decode()
                            for t in op.OutputsAsNumpy().tolist() if t >= 0) \
                if op.OutputsLength() else ()
            ops.append((codes[op.OpcodeIndex()], outputs))
        subgraphs.append(ops)
    return subgraphs


def _validation_text(match: re.Match) -> str:
    """The HTP validator's refusal as the plugin logs it: QNN op, operation, types."""
    def tensors(block: str) -> str:
        return ", ".join(f"{dtype}[{dims}]" for dtype, dims in QNN_TENSOR.findall(block))
    op = match.group(1) + (f" operation={match.group(2)}" if match.group(2) else "")
    return (f"QnnBackend_validateOpConfig refused QNN op {op}: inputs {tensors(match.group(3))}"
            f" -> outputs {tensors(match.group(4))} (QNN error {match.group(5)})")


def _reasons(log: str) -> dict[int, list[tuple[int, str, str, tuple[str, ...]]]]:
    """Per subgraph, the rejected ops the log names: (op index, kind, reason, outputs).
    The validator's block precedes the op's "not supported" block; a subgraph's blocks
    precede its "Partitioned subgraph<i>" line. `log` is the tool's stderr, where LiteRT
    logs in order (the QNN library writes its own lines to stdout)."""
    found: dict[int, list] = {}
    pending: list = []
    validation = None
    events = sorted([(m.start(), "op", m) for m in REJECTED.finditer(log)]
                    + [(m.start(), "qnn", m) for m in VALIDATION.finditer(log)]
                    + [(m.start(), "sg", m) for m in PARTITIONED.finditer(log)],
                    key=lambda event: event[0])
    for _, kind, match in events:
        if kind == "sg":
            found[int(match.group(1))] = pending
            pending = []
            continue
        if kind == "qnn":
            validation = _validation_text(match)
            continue
        source, index, op_name = match.group(1), int(match.group(2)), match.group(3)
        outputs = tuple(name for name, _ in NAME.findall(match.group(6)))
        if source == "qnn_compose_graph":
            pending.append((index, "legalization",
                            f"LiteRT Op '{op_name}' is not supported in Qualcomm Compiler "
                            "(no LiteRT-to-QNN legalization)", outputs))
        else:
            pending.append((index, "validator", validation or
                            "QnnBackend_validateOpConfig refused it", outputs))
        validation = None
    return found


def partition(model: Path, setup_: Setup, work: Path, soc: str = SOC,
              timeout: int = TIMEOUT) -> Result:
    """Run the plugin's partition step on `model`; per-op verdicts and reasons."""
    out = work / f"{model.stem}.partitioned.tflite"
    env = dict(os.environ, LD_LIBRARY_PATH=setup_.library_path)
    command = [setup_.tool, "--cmd=partition", f"--model={model}", f"--o={out}",
               "--soc_manufacturer=Qualcomm", f"--soc_model={soc}",
               f"--libs={setup_.plugin_dir}", "--err=-"]
    try:
        done = subprocess.run(command, capture_output=True, text=True, errors="replace",
                              env=env, timeout=timeout, preexec_fn=_limit_memory)
    except subprocess.TimeoutExpired:
        return Result(str(model), -1, "", error=f"timed out after {timeout} s")
    log = done.stderr
    result = Result(str(model), done.returncode, log)
    result.stats = {int(m.group(1)): (int(m.group(2)), int(m.group(3)), int(m.group(4)))
                    for m in PARTITIONED.finditer(log)}
    if done.returncode != 0 or not out.exists():
        errors = [line for line in log.splitlines() if line.startswith("ERROR")]
        result.error = f"the tool exited with {done.returncode}: " + \
            " | ".join(errors[-3:] or log.strip().splitlines()[-1:])
        return result
    original, partitioned = _ops(model), _ops(out)
    reasons = _reasons(log)
    for s, ops in enumerate(original):
        remaining: dict[tuple[str, ...], int] = {}
        for name, outputs in partitioned[s]:
            if name != f"CUSTOM:{DISPATCH}":
                remaining[outputs] = remaining.get(outputs, 0) + 1
        verdicts = []
        for index, (name, outputs) in enumerate(ops):
            on_cpu = remaining.get(outputs, 0) > 0
            if on_cpu:
                remaining[outputs] -= 1
            verdicts.append(OpResult(index, name, outputs, not on_cpu))
        for index, kind, reason, outputs in reasons.get(s, ()):
            if index < len(verdicts) and verdicts[index].outputs == outputs:
                verdicts[index].kind, verdicts[index].reason = kind, reason
        selected = sum(op.on_npu for op in verdicts)
        if s in result.stats and result.stats[s][0] != selected:
            result.error = (f"subgraph {s}: the log says {result.stats[s][0]} ops selected, "
                            f"the output tensor names map {selected}")
        result.subgraphs.append(verdicts)
    return result


def partition_all(models: list[Path], soc: str = SOC, workers: int = 2) -> list[Result]:
    """Every model, two tool runs at a time, in one scratch directory (output names
    follow the model's, so models must have distinct names)."""
    from concurrent.futures import ThreadPoolExecutor

    with tempfile.TemporaryDirectory(prefix="qnn-oracle-") as scratch:
        work = Path(scratch)
        setup_ = setup(work)
        with ThreadPoolExecutor(max_workers=workers) as pool:
            return list(pool.map(lambda model: partition(model, setup_, work, soc), models))


def main(argv: list[str]) -> int:
    why = missing()
    if why:
        print(json.dumps({"error": why}))
        return 2
    for result in partition_all([Path(a) for a in argv]):
        print(json.dumps(result.to_json()))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
