"""TFL009 beside ai-edge-litert on one-field mutations of working models, for a person.

    python bench/op_parameters_agreement.py                  # the sample models
    python bench/op_parameters_agreement.py --real           # and the real-model corpus
                                                             # (12 mutations per model)
    python bench/op_parameters_agreement.py --show-all       # a line per mutated file
    python bench/op_parameters_agreement.py --tflm           # tflite-micro's crashes too

Each mutation changes one thing that TFL009 judges, in one op of a model that runs: a
stride, dilation or block size to 0 or -1; an options axis, or a constant axis input, to
the input's rank or one below -rank; num_splits to one more; one input index to -1. The
mutated file is written through LiteRT's own flatbuffer object API (ai_edge_litert.
schema_py_generated), run once in ai-edge-litert in a child process (tools/
cve_catalogue.py: load, allocate, invoke on zero inputs), and linted with
`--preview --select TFL009`. It prints how often TFL009's error and the runtime agree
(error and refused or crashed; no error and ran), and each file on which they do not.
Mutations are deterministic (the first MAX_PER_KIND ops of each kind in each model).
Needs the `oracle` extra (ai-edge-litert); about a second per mutated file.

Last run (ai-edge-litert 2.3.0, tflite-micro 0.dev20261023182759; `--real --tflm`, the 11
samples and the 40 real models up to 8 MB): 646 mutated files, TFL009 and ai-edge-litert
agree on all 646 (502 refused and 125 crashed, each with a TFL009 error; 19 ran, none
with one); tflite-micro crashed on 40, each with a TFL009 error. About 10 minutes.
"""
from __future__ import annotations

import argparse
import contextlib
import io
import json
import sys
import tempfile
from collections import Counter
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(REPO / "tools"), str(REPO / "tests")]
from fuzz_semantic import load, op_names, pack  # noqa: E402  (LiteRT's object API)
MAX_PER_KIND = 2  # ops mutated per model and kind of mutation
MAX_BYTES = 8 << 20  # real models larger than this are left out (run time)

# op -> (options class name, [option fields to set to 0 and -1])
OPTION_FIELDS = {
    "CONV_2D": ("Conv2DOptions", ["strideW", "dilationHFactor"]),
    "DEPTHWISE_CONV_2D": ("DepthwiseConv2DOptions", ["strideH", "dilationWFactor"]),
    "TRANSPOSE_CONV": ("TransposeConvOptions", ["strideW"]),
    "AVERAGE_POOL_2D": ("Pool2DOptions", ["strideW"]),
    "MAX_POOL_2D": ("Pool2DOptions", ["strideH"]),
    "SPACE_TO_DEPTH": ("SpaceToDepthOptions", ["blockSize"]),
    "DEPTH_TO_SPACE": ("DepthToSpaceOptions", ["blockSize"]),
}
OPTION_AXES = {"CONCATENATION": 0, "GATHER": 0}  # op -> the input whose rank bounds it
AXIS_INPUTS = {"SUM": (1, 0), "MEAN": (1, 0), "REDUCE_MAX": (1, 0), "REDUCE_MIN": (1, 0),
               "REDUCE_PROD": (1, 0), "ARG_MAX": (1, 0), "ARG_MIN": (1, 0),
               "SPLIT": (0, 1), "SPLIT_V": (2, 0), "EXPAND_DIMS": (1, 0)}  # (axis, data)


def mutations(data: bytes):
    """(description, mutated bytes) for one model, deterministic."""
    schema, first = load(data)
    names = op_names(schema, first)
    seen: Counter = Counter()
    subgraph = first.subgraphs[0]
    for index, op in enumerate(subgraph.operators):
        name = names[op.opcodeIndex]
        for kind, apply in kinds(name, op, subgraph, first):
            if seen[(name, kind)] >= MAX_PER_KIND:
                continue
            _, model = load(data)  # a fresh object tree per mutation
            target = model.subgraphs[0].operators[index]
            if apply(model, target) is not False:
                seen[(name, kind)] += 1
                yield f"op{index} {name} {kind}", pack(model)


def kinds(name: str, op, subgraph, model):
    """The mutations that apply to this op: (kind, function(model, op) -> False to skip)."""
    if name in OPTION_FIELDS and op.builtinOptions is not None:
        for field in OPTION_FIELDS[name][1]:
            for value in (0, -1):
                yield f"{field}={value}", setter(field, value)
    if name in OPTION_AXES and op.builtinOptions is not None:
        rank = len(subgraph.tensors[op.inputs[OPTION_AXES[name]]].shape)
        for value in (rank, -rank - 1):
            yield f"axis={value}", setter("axis", value)
    if name in AXIS_INPUTS:
        axis_slot, data_slot = AXIS_INPUTS[name]
        rank = len(subgraph.tensors[op.inputs[data_slot]].shape)
        for value in (rank + (name == "EXPAND_DIMS"), -rank - 1 - (name == "EXPAND_DIMS")):
            yield f"axis input={value}", axis_input(axis_slot, value)
    if name == "SPLIT" and op.builtinOptions is not None:
        yield "num_splits+1", lambda m, o: setattr(o.builtinOptions, "numSplits",
                                                   o.builtinOptions.numSplits + 1)
    for slot in range(len(op.inputs)):
        if op.inputs[slot] >= 0:
            yield f"input{slot}=-1", no_tensor(slot)


def setter(field: str, value: int):
    def apply(model, op):
        setattr(op.builtinOptions, field, value)
    return apply


def no_tensor(slot: int):
    def apply(model, op):
        op.inputs = [-1 if position == slot else index
                     for position, index in enumerate(op.inputs)]
    return apply


def axis_input(slot: int, value: int):
    """The constant axis input (all its values) set to `value`; skipped when it is not a
    constant of its own (a buffer no other tensor shares)."""
    def apply(model, op):
        tensor = model.subgraphs[0].tensors[op.inputs[slot]]
        buffer = model.buffers[tensor.buffer]
        if tensor.buffer == 0 or buffer.data is None or len(buffer.data) == 0:
            return False
        users = sum(t.buffer == tensor.buffer for s in model.subgraphs for t in s.tensors)
        if users != 1:
            return False
        dtype = np.int64 if len(buffer.data) % 8 == 0 and tensor.type == 4 else np.int32
        count = len(buffer.data) // np.dtype(dtype).itemsize
        buffer.data = np.full(count, value, dtype).view(np.uint8)
    return apply


def linted(path: Path) -> bool:
    """TFL009 gives an error."""
    from tfllint.cli import main

    output = io.StringIO()
    with contextlib.redirect_stdout(output), contextlib.redirect_stderr(io.StringIO()):
        main([str(path), "--format", "json", "--no-config", "--preview", "--select", "TFL009"])
    model = json.loads(output.getvalue())["models"][0]
    return any(f["rule"] == "TFL009" and f["severity"] == "error" for f in model["findings"])


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--real", action="store_true",
                        help="also the real-model corpus (~/.cache/tfllint-real-models)")
    parser.add_argument("--show-all", action="store_true", help="a line per mutated file")
    parser.add_argument("--tflm", action="store_true",
                        help="run each mutated file in tflite-micro as well, and count its "
                             "crashes TFL009 does not predict")
    parser.add_argument("--per-model", type=int, default=12,
                        help="mutations per real model, evenly spread (default 12)")
    arguments = parser.parse_args()
    import cve_catalogue

    paths = [(path, None) for path in sorted((REPO / "models").glob("*.tflite"))]
    if arguments.real:
        corpus = Path.home() / ".cache" / "tfllint-real-models" / "models"
        paths += [(path, arguments.per_model) for path in sorted(corpus.glob("*.tflite"))
                  if path.stat().st_size <= MAX_BYTES]
    table: Counter = Counter()
    micro_crashes: Counter = Counter()  # TFL009 error -> tflite-micro crashes
    with tempfile.TemporaryDirectory() as directory:
        for model_path, limit in paths:
            if cve_catalogue.run_runtime("litert", model_path) != "ran":
                continue  # only models that run: the mutation is then the only defect
            chosen = list(mutations(model_path.read_bytes()))
            if limit:
                chosen = chosen[::max(1, len(chosen) // limit)][:limit]
            for description, data in chosen:
                path = Path(directory) / "mutated.tflite"
                path.write_bytes(data)
                error = linted(path)
                outcome = cve_catalogue.run_runtime("litert", path)
                kind = outcome.split(":")[0]
                table[(error, kind)] += 1
                micro = cve_catalogue.run_runtime("tflm", path) if arguments.tflm else ""
                unpredicted = micro.startswith("crashed") and not error
                micro_crashes[error] += micro.startswith("crashed")
                if arguments.show_all or error != (kind != "ran") or unpredicted:
                    print(f"{'ERROR' if error else 'none ':5} {outcome[:70]:70} "
                          f"{micro[:20]:20} {model_path.name} {description}", flush=True)
    total = sum(table.values())
    agree = table[(True, "refused")] + table[(True, "crashed")] + table[(False, "ran")]
    print(f"{total} mutated files; TFL009 and ai-edge-litert agree on {agree}")
    for (error, kind), count in sorted(table.items()):
        print(f"  TFL009 {'error' if error else 'none '} / ai-edge-litert {kind}: {count}")
    if arguments.tflm:
        print(f"  tflite-micro crashed on {sum(micro_crashes.values())}, "
              f"{micro_crashes[False]} of them without a TFL009 error")
    return 0


if __name__ == "__main__":
    sys.exit(main())
