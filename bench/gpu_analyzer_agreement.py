"""How often tfllint's `gpu` verdict for an op agrees with TensorFlow 2.17's GPU analyzer.

    python bench/gpu_analyzer_agreement.py [--tf-python /tmp/tf217/bin/python] [--verbose]

The oracle is `tf.lite.experimental.Analyzer.analyze(model_path=..., gpu_compatibility=True)`
of tensorflow-cpu 2.17, the last release whose analyzer still runs the per-op check
(`CheckGpuDelegateCompatibility` on the flatbuffer, gpu_compatibility.cc; TF 2.18 and later
print no GPU warnings at all, tensorflow/tensorflow#77042). TensorFlow 2.17 cannot share an
environment with tfllint's, so it lives in its own virtual environment and runs in a child
process:

    python3.11 -m venv /tmp/tf217 && /tmp/tf217/bin/pip install 'tensorflow-cpu==2.17.*'

What is compared. The analyzer prints "GPU COMPATIBILITY WARNING: <reason>" under each op
it refuses, in every subgraph. It models neither the delegate's partitioning nor anything
the delegate decides at run time, so an op counts as refused by tfllint when it has a
reason other than `partition` (the figure the issue asks for). A second figure leaves out
as well the reasons the offline check cannot see by design (the run-time tensor filter,
the parsers' version caps and extra rules, dynamic-sized tensors): it measures whether the
two encode the same gpu_compatibility rules. Each disagreement is printed with both
sides' reasons and its cause, when the cause is a known difference between the TF 2.17
analyzer and what the classic delegate does at LiteRT HEAD.

The models: every sample in models/, and small built models (the rule cases of
tests/test_target_gpu.py and the ones below) for ops and types the GPU refuses.
Needs tfllint's test extra (numpy, flatbuffers, tflite) and the TF 2.17 environment; takes
about ten seconds.
"""
from __future__ import annotations

import argparse
import json
import re
import subprocess
import sys
import tempfile
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

import numpy as np

REPO_ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO_ROOT / "tests"))

from builder import ModelBuilder  # noqa: E402
from test_target_gpu import CASES, single  # noqa: E402

from tfllint.analyses import Analyses  # noqa: E402
from tfllint.engine.settings import settings_from_mapping  # noqa: E402
from tfllint.reader import ModelFile, decode_model  # noqa: E402
from tfllint.view import ModelView  # noqa: E402

DEFAULT_TF_PYTHON = "/tmp/tf217/bin/python"
ANALYZER_SCRIPT = r"""
import contextlib, io, json, sys
import tensorflow as tf
print(json.dumps({"version": tf.__version__}), flush=True)
for path in sys.argv[1:]:
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        tf.lite.experimental.Analyzer.analyze(model_path=path, gpu_compatibility=True)
    print(json.dumps({"path": path, "text": out.getvalue()}), flush=True)
"""
# Reasons the offline check cannot give by design: the delegate decides them at run time.
RUNTIME_ONLY = {
    "dtype": "the delegate's run-time tensor filter (GetOpsToReplace) refuses the tensor "
             "type; the offline check has no type filter",
    "rank": "the delegate's run-time tensor filter refuses rank 5+; not checked offline",
    "gpu-tensor-filter": "the delegate's run-time tensor filter; not checked offline",
    "gpu-static-tensors": "dynamic-sized tensors make the interpreter refuse the delegate "
                          "at run time (subgraph.cc); not checked offline",
    "version": "the parsers' CheckMaxSupportedOpVersion (model_builder.cc) caps the op "
               "version; the offline check does not",
    "gpu-logical-consumer": "the comparison parser (model_builder.cc) needs one CAST/SELECT "
                            "consumer; not part of gpu_compatibility.cc",
    "gpu-bool-cast": "CastOperationParser (model_builder.cc) checks where a BOOL cast reads "
                     "from; not part of gpu_compatibility.cc",
}
# Known differences when tfllint refuses and the analyzer accepts: (reason code, pattern
# of tfllint's message or None, cause).
TFLLINT_ONLY = [
    ("not-listed", None,
     "gpu_compatibility.cc has a rule for this op, but the classic delegate has no parser for "
     "it (NewOperationParser): the rule serves the newer ML Drift backend"),
    ("gpu-broadcast", None,
     "the classic delegate calls the check with standard broadcast flags; LiteRT HEAD's "
     "offline check assumes enhanced broadcast (TF 2.17's analyzer did not)"),
    ("gpu-select", r"^a 2-D (if|else) branch must be a constant$",
     "TF 2.17's check had this test inverted (it refused constant 2-D branches, "
     "`is_const && dims.size() == 2`); LiteRT HEAD refuses computed ones"),
    ("gpu-custom-op", r"^(src and warp|warp needs)",
     "TF 2.17 checked only Resampler's input count; LiteRT HEAD added the src/warp shape "
     "checks"),
]
# Known differences when the analyzer refuses and tfllint accepts.
ANALYZER_ONLY = [
    (re.compile(r"Not supported op (RELU_0_TO_1|UNPACK)$"),
     "the classic delegate parses this op (ReLUOperationParser / UnpackOperationParser) "
     "without calling gpu_compatibility.cc, which has no case for it"),
]
FOLDED_FP16 = ("the op reads float16 weights through DEQUANTIZE: at run time the delegate "
               "points it at the FLOAT16 constants (FP16GraphPartitionHelper), so they count "
               "as constant inputs; the offline check sees computed inputs")


@dataclass(frozen=True)
class OpResult:
    model: str
    subgraph: int
    op_index: int
    op: str
    analyzer: tuple[str, ...]  # the analyzer's warnings for this op
    tfllint: tuple[tuple[str, str], ...]  # (code, message) of reasons other than partition
    reads_fp16_weights: bool = False

    def tfllint_refuses(self, like_for_like: bool) -> bool:
        return any(not (like_for_like and code in RUNTIME_ONLY) for code, _ in self.tfllint)

    def cause(self) -> str | None:
        """Why the two disagree, when it is a known difference; None when unexplained."""
        if self.analyzer and not self.tfllint:
            if self.reads_fp16_weights:
                return FOLDED_FP16
            for pattern, cause in ANALYZER_ONLY:
                if all(pattern.search(message) for message in self.analyzer):
                    return cause
            return None
        if self.tfllint and not self.analyzer:
            causes = []
            for code, message in self.tfllint:
                cause = RUNTIME_ONLY.get(code) or next(
                    (cause for known, pattern, cause in TFLLINT_ONLY
                     if known == code and (pattern is None or re.search(pattern, message))),
                    None)
                if cause is None:
                    return None
                causes.append(cause)
            return "; ".join(dict.fromkeys(causes))
        return None


def extra_models() -> dict[str, bytes]:
    """Built models for ops and types the GPU refuses, beyond the test rule cases."""
    f, image = "FLOAT32", [1, 8, 8, 4]
    models = {
        "gather_nd": single("GATHER_ND", [("x", image, f), ("i", [1, 2], "INT32")], [1, 4]),
        "arg_max": single("ARG_MAX", [("x", [1, 8], f), ("axis", [1], "INT32", "const")], [1],
                          "INT64"),
        "log_softmax": single("LOG_SOFTMAX", [("x", [1, 8], f)], [1, 8]),
        "squeeze": single("SQUEEZE", [("x", [1, 8, 1], f)], [1, 8]),
        "custom_op": single("CUSTOM", [("x", image, f)], image, custom_code="MyOp"),
        "flex_erf": single("CUSTOM", [("x", image, f)], image, custom_code="FlexErf"),
        "detection_postprocess": single(
            "CUSTOM", [("boxes", [1, 10, 4], f), ("scores", [1, 10, 3], f),
                       ("anchors", np.ones((10, 4)), f, "const")], [1, 10, 4],
            custom_code="TFLite_Detection_PostProcess"),
        "ceil": single("CEIL", [("x", [1, 8], f)], [1, 8]),
        "round": single("ROUND", [("x", [1, 8], f)], [1, 8]),
        "logical_not": single("LOGICAL_NOT", [("x", [1, 8], "BOOL")], [1, 8], "BOOL"),
        "relu_0_to_1": single("RELU_0_TO_1", [("x", [1, 8], f)], [1, 8]),
        "unpack": single("UNPACK", [("x", [2, 8], f)], [([8], f), ([8], f)]),
        "add_int32": single("ADD", [("a", image, "INT32"), ("b", image, "INT32")], image, "INT32"),
        "add_rank5": single("ADD", [("a", [1, 2, 2, 2, 2], f), ("b", [1, 2, 2, 2, 2], f)],
                            [1, 2, 2, 2, 2]),
        "tanh_v3": single("TANH", [("x", image, f)], image, version=3),
        "add_broadcast_2d": single("ADD", [("a", image, f), ("b", [8, 4], f)], image),
        "softmax_beta_1": single("SOFTMAX", [("x", [1, 8], f)], [1, 8],
                                 options=("SoftmaxOptions", {"beta": 1.0})),
        "softmax_beta_2": single("SOFTMAX", [("x", [1, 8], f)], [1, 8],
                                 options=("SoftmaxOptions", {"beta": 2.0})),
    }
    model = ModelBuilder()  # RESHAPE to a computed shape: dynamic-sized, 2 runtime inputs
    main = model.subgraph()
    x, shape = main.tensor("x", [1, 8]), main.tensor("shape", [2], "INT32")
    y, z = main.tensor("y", [2, 4]), main.tensor("z", [2, 4])
    main.op("RESHAPE", [x, shape], [y])
    main.op("RELU", [y], [z])
    main.inputs, main.outputs = [x, shape], [z]
    models["reshape_computed_shape"] = model.build()
    return models


def build_models(directory: Path) -> list[Path]:
    paths = sorted((REPO_ROOT / "models").glob("*.tflite"))
    built = {f"case_{re.sub(r'[^a-z0-9]+', '_', name.lower())}": make()
             for name, (make, _, _) in CASES.items()}
    built.update(extra_models())
    for name, data in built.items():
        path = directory / f"{name}.tflite"
        path.write_bytes(data)
        paths.append(path)
    return paths


def run_analyzer(tf_python: str, paths: list[Path]) -> tuple[str, dict[str, str | None]]:
    """The analyzer's report per model (None where it crashed), in as few child processes
    as the crashes allow: a child reports each model as it goes, and after a crash the
    next child starts at the model after the one that crashed it."""
    texts: dict[str, str | None] = {}
    version, pending = "?", [str(p) for p in paths]
    while pending:
        completed = subprocess.run([tf_python, "-c", ANALYZER_SCRIPT, *pending],
                                   capture_output=True, text=True, check=False)
        lines = [json.loads(line) for line in completed.stdout.splitlines()
                 if line.startswith("{")]
        if not lines:
            sys.exit(f"the analyzer did not start ({tf_python}):\n{completed.stderr[-2000:]}")
        version = lines[0]["version"]
        texts.update((line["path"], line["text"]) for line in lines[1:])
        pending = [p for p in pending if p not in texts]
        if pending and completed.returncode == 0:
            sys.exit(f"the analyzer skipped {pending}")
        if pending:  # the first pending model crashed the analyzer
            texts[pending.pop(0)] = None
    return version, texts


def analyzer_warnings(text: str) -> dict[tuple[int, int], list[str]]:
    """(subgraph, op index) -> the GPU warnings printed under that op."""
    warnings: dict[tuple[int, int], list[str]] = {}
    subgraph, op = 0, None
    for line in text.splitlines():
        if match := re.match(r"Subgraph#(\d+) ", line):
            subgraph, op = int(match.group(1)), None
        elif match := re.match(r"\s+Op#(\d+) ", line):
            op = int(match.group(1))
        elif line.startswith("GPU COMPATIBILITY WARNING: "):
            message = line[len("GPU COMPATIBILITY WARNING: "):].rstrip()
            if op is not None and not re.match(r"Subgraph#\d+ has GPU delegate", message):
                warnings.setdefault((subgraph, op), []).append(message)
    return warnings


def tfllint_results(path: Path, warnings) -> list[OpResult]:
    data = path.read_bytes()
    view = ModelView(ModelFile(model=decode_model(data, str(path)), data=data))
    target = Analyses(view, settings_from_mapping({"target": ["gpu"]}, "bench")).target("gpu")
    return [OpResult(path.stem, v.subgraph, v.op_index, v.op,
                     tuple(warnings.get((v.subgraph, v.op_index), ())),
                     tuple((r.code, r.message) for r in v.reasons if r.code != "partition"),
                     _reads_fp16_weights(view, v.subgraph, v.op_index))
            for v in target.ops]


def _reads_fp16_weights(view, subgraph: int, op_index: int) -> bool:
    op = view.model.subgraphs[subgraph].operators[op_index]
    for tensor in op.inputs:
        producer = view.producer(subgraph, tensor) if tensor >= 0 else None
        if producer is not None and producer.opcode.name == "DEQUANTIZE" and producer.inputs:
            source = view.tensor(subgraph, producer.inputs[0])
            if source.dtype == "FLOAT16" and source.is_constant:
                return True
    return False


def report(results: list[OpResult], like_for_like: bool, verbose: bool) -> int:
    """Print one agreement figure; returns the number of unexplained disagreements."""
    title = ("rule for rule (run-time-only reasons left out)" if like_for_like
             else "per-op support (every reason but `partition`)")
    agree = [r for r in results if bool(r.analyzer) == r.tfllint_refuses(like_for_like)]
    print(f"\n== {title}: {len(agree)} / {len(results)} ops agree "
          f"({len(agree) / len(results):.1%})")
    per_model = Counter(r.model for r in results)
    per_model_agree = Counter(r.model for r in agree)
    samples = {path.stem for path in (REPO_ROOT / "models").glob("*.tflite")}
    for label, chosen in (("sample models", True), ("built models", False)):
        total = sum(n for model, n in per_model.items() if (model in samples) == chosen)
        agreeing = sum(n for model, n in per_model_agree.items() if (model in samples) == chosen)
        print(f"   {label}: {agreeing} / {total}")
    if verbose:
        for model in sorted(per_model):
            print(f"   {model}: {per_model_agree[model]} / {per_model[model]}")
    unexplained = 0
    for result in results:
        if result in agree:
            continue
        cause = result.cause()
        unexplained += cause is None
        tfllint = "; ".join(f"[{code}] {message}" for code, message in result.tfllint
                            if not (like_for_like and code in RUNTIME_ONLY)) or "runs on the GPU"
        analyzer = "; ".join(result.analyzer) or "compatible"
        print(f" - {result.model} sg{result.subgraph} op{result.op_index} {result.op}\n"
              f"     analyzer: {analyzer}\n     tfllint:  {tfllint}\n"
              f"     cause:    {cause or 'UNEXPLAINED'}")
    return unexplained


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tf-python", default=DEFAULT_TF_PYTHON,
                        help="python of a venv with tensorflow-cpu 2.17 (default: %(default)s)")
    parser.add_argument("--verbose", action="store_true", help="agreement per model too")
    arguments = parser.parse_args(argv)
    if not Path(arguments.tf_python).exists():
        print(f"{arguments.tf_python} not found. Install the oracle first:\n"
              "  python3.11 -m venv /tmp/tf217 && /tmp/tf217/bin/pip install "
              "'tensorflow-cpu==2.17.*'", file=sys.stderr)
        return 2
    with tempfile.TemporaryDirectory() as directory:
        paths = build_models(Path(directory))
        version, texts = run_analyzer(arguments.tf_python, paths)
        crashed = [path.stem for path in paths if texts[str(path)] is None]
        results = [op for path in paths if texts[str(path)] is not None
                   for op in tfllint_results(path, analyzer_warnings(texts[str(path)]))]
    print(f"TensorFlow {version} GPU analyzer vs tfllint --target gpu: "
          f"{len(paths) - len(crashed)} models, {len(results)} ops")
    if crashed:
        print(f"left out, the analyzer crashed on them: {', '.join(crashed)}")
    unexplained = report(results, like_for_like=False, verbose=arguments.verbose)
    unexplained += report(results, like_for_like=True, verbose=arguments.verbose)
    print(f"\nunexplained disagreements: {unexplained}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
