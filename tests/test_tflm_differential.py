"""tfllint's tflm verdicts against the tflite-micro Python interpreter (the real TFLM).

For every sample model, every tiny model of test_target_tflm.py and three grids of one-op
models (elementwise, comparison and conversion ops in each tensor type; conv, depthwise,
fully connected, batch matmul and PReLU in each activation x weight type; data-movement,
reduction, resize and pooling ops in each tensor type), the interpreter loads the model
(MicroInterpreter::AllocateTensors: registration, Init, Prepare) and runs it once on
inputs of ones. "TFLM refuses" means it fails at load, at that first Invoke, or
aborts. Compared with tfllint:

* per model: refused <=> tfllint says the model is blocked, and the op TFLM names (a
  registration failure names the first op it lacks; a Prepare or Invoke failure names one
  op and its index) is one tfllint blocks;
* per op: every op of every model, cut out into a model of its own (its tensors, constant
  data and quantization kept), refused <=> tfllint's verdict for that op in the original
  model is "blocks". Control-flow ops (WHILE, IF, CALL_ONCE) are not cut out.

A model or op on which they disagree must be listed, with the reason, in
KNOWN_DISAGREEMENTS; the test fails on any new disagreement and on any listed one that
has gone away. The interpreter runs in a subprocess (a failed TFLITE_CHECK aborts the
process), which runs every model it can and is restarted after a crash.

Needs the PyPI package `tflite-micro` (tested with 0.dev20261023182759).
"""
from __future__ import annotations

import copy
import json
import os
import re
import subprocess
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path

import flatbuffers
import numpy as np
import pytest
from tflm_oracle import require_interpreter

require_interpreter("the TFLM differential test")

from conftest import SAMPLE_MODELS, view_of  # noqa: E402
from test_target_tflm import TINY_MODELS, Net  # noqa: E402

from tfllint.analyses import Analyses  # noqa: E402
from tfllint.engine.settings import settings_from_mapping  # noqa: E402
from tflite_micro.tensorflow.lite.micro.python import schema_py_generated as schema  # noqa: E402

CONTROL_FLOW = {"WHILE", "IF", "CALL_ONCE"}
REGISTRATION_CODES = {"not-listed", "tflm-ethos-u-kernel"}

# name -> why tfllint and TFLM disagree. Models are named as in MODEL SETS below; ops as
# "<model>#<subgraph>:<op index>".
KNOWN_DISAGREEMENTS = {
    # LOGICAL_AND/OR (logical_common.cc) never check their tensor types: the kernel reads any
    # bytes as bool and writes garbage. tfllint keeps the kernel's contract (bool) and blocks.
    **{f"grid:{op}[{dtype}]{suffix}": "TFLM reads non-bool inputs of LOGICAL_AND/OR as bool "
       "without checking (garbage, no error); tfllint blocks them"
       for op in ("LOGICAL_AND", "LOGICAL_OR")
       for dtype in ("FLOAT32", "INT8", "INT16", "INT32", "UINT8", "INT64")
       for suffix in ("", "#0:0")},
    # PRELU (prelu.cc) checks alpha's type only for int16 input; float32 and int8 kernels
    # read any alpha as their own type (garbage, no error). tfllint blocks the pairs the
    # kernels do not implement.
    **{f"weights:PRELU[{activation}x{alpha}]{suffix}": "TFLM reads a float32/int8 PRELU's "
       "alpha as its own type without checking (garbage, no error); tfllint blocks it"
       for activation, alphas in (("FLOAT32", ("INT8", "INT16", "UINT8")),
                                   ("INT8", ("FLOAT32", "INT16", "UINT8")))
       for alpha in alphas for suffix in ("", "#0:0")},
}


# -- the oracle -----------------------------------------------------------------------------

WORKER = r'''
import json, os, sys
import numpy as np
from tflite_micro.python.tflite_micro import runtime

paths = sys.argv[1].split("\n")
start, progress, log_path = int(sys.argv[2]), sys.argv[3], sys.argv[4]
saved_out, saved_err = os.dup(1), os.dup(2)
for position in range(start, len(paths)):
    with open(progress, "w") as handle:
        handle.write(str(position))
    with open(log_path, "wb") as log:  # TFLM prints with printf: catch fd 1 and 2
        os.dup2(log.fileno(), 1)
        os.dup2(log.fileno(), 2)
        stage = "load"
        try:
            data = open(paths[position], "rb").read()
            interpreter = runtime.Interpreter.from_bytes(
                data, arena_size=max(1 << 20, 20 * len(data)))
            stage = "invoke"
            for index in range(int(open(paths[position] + ".inputs").read())):
                details = interpreter.get_input_details(index)
                interpreter.set_input(np.ones(details["shape"], details["dtype"]), index)
            interpreter.invoke()
            stage = "ok"
        except Exception as error:
            print(f"\nPython: {type(error).__name__}: {error}", flush=True)
        sys.stdout.flush()
        sys.stderr.flush()
        os.dup2(saved_out, 1)
        os.dup2(saved_err, 2)
    with open(log_path, "rb") as log:
        text = log.read().decode("utf-8", "replace")
    with open(paths[position] + ".json", "w") as handle:
        json.dump({"stage": stage, "log": text}, handle)
'''


@dataclass(frozen=True)
class TflmResult:
    stage: str  # "ok", or where TFLM refused: "load", "invoke", "crash"
    op: str | None  # the op TFLM names
    op_index: int | None
    log: str

    @property
    def refused(self) -> bool:
        return self.stage != "ok"


def run_tflm(models: dict[str, tuple[bytes, int]]) -> dict[str, TflmResult]:
    """Each model (bytes, number of inputs) through the interpreter, in one subprocess
    that is restarted after the model that crashed it."""
    with tempfile.TemporaryDirectory() as scratch:
        directory = Path(scratch)
        paths = []
        for position, (data, inputs) in enumerate(models.values()):
            path = directory / f"{position}.tflite"
            path.write_bytes(data)
            Path(f"{path}.inputs").write_text(str(inputs))
            paths.append(str(path))
        progress, log = directory / "progress", directory / "log"
        start = 0
        while start < len(paths):
            finished = subprocess.run(
                [sys.executable, "-c", WORKER, "\n".join(paths), str(start), str(progress),
                 str(log)], capture_output=True, timeout=900, env={**os.environ,
                                                                    "PYTHONFAULTHANDLER": ""})
            if finished.returncode == 0:
                break
            crashed = int(progress.read_text())
            text = log.read_text(errors="replace") if log.exists() else ""
            Path(f"{paths[crashed]}.json").write_text(json.dumps(
                {"stage": "crash", "log": f"{text}\nsignal {-finished.returncode}"}))
            start = crashed + 1
        return {name: _result(json.loads(Path(f"{path}.json").read_text()))
                for name, path in zip(models, paths)}


FAILED_NODE = re.compile(r"Node (\S+) \(number (\d+)\) failed to (?:prepare|invoke)")
DYNAMIC = re.compile(r"Op#(\d+) \((\S+)\) of subgraph \d+ has dynamic tensor")
NOT_FOUND = re.compile(r"Didn't find op for builtin opcode '(\w+)'")
NO_REGISTRATION = re.compile(r"Failed to get registration from op code (\w*)")


def _result(raw: dict) -> TflmResult:
    log = raw["log"].replace("\r", "")
    op = index = None
    if match := NOT_FOUND.search(log):
        op = match.group(1)
    elif match := NO_REGISTRATION.search(log):
        op = match.group(1) or "UNKNOWN"
    elif match := FAILED_NODE.search(log):
        op, index = match.group(1), int(match.group(2))
    elif match := DYNAMIC.search(log):
        op, index = match.group(2), int(match.group(1))
    return TflmResult(raw["stage"], op, index, log)


# -- the models -----------------------------------------------------------------------------

GRID_TYPES = ("FLOAT32", "INT8", "INT16", "INT32", "UINT8", "INT64", "BOOL")
QUANTIZED = {"INT8": ([0.05], [0]), "INT16": ([0.001], [0]), "UINT8": ([0.05], [128])}
# Output quantization the kernels demand, so that the grid tests the types only.
GRID_OUTPUT_QUANTIZATION = {
    ("LOGISTIC", "INT8"): ([1 / 256], [-128]), ("SOFTMAX", "INT8"): ([1 / 256], [-128]),
    ("LOG_SOFTMAX", "INT8"): ([16 / 256], [127]), ("LOGISTIC", "INT16"): ([2 ** -15], [0]),
    ("TANH", "INT16"): ([2 ** -15], [0]), ("SOFTMAX", "INT16"): ([1 / 32768], [0]),
    ("TANH", "INT8"): ([1 / 128], [0])}
GRID_UNARY = ("ABS CEIL COS ELU EXP FLOOR HARD_SWISH LEAKY_RELU LOG LOGISTIC NEG RELU RELU6 ROUND "
              "RSQRT SIN SQRT SQUARE TANH L2_NORMALIZATION ZEROS_LIKE LOGICAL_NOT SOFTMAX "
              "LOG_SOFTMAX").split()
GRID_BINARY = ("ADD SUB MUL DIV FLOOR_DIV FLOOR_MOD MAXIMUM MINIMUM SQUARED_DIFFERENCE PRELU "
               "LOGICAL_AND LOGICAL_OR ADD_N").split()
GRID_COMPARISON = "EQUAL NOT_EQUAL GREATER GREATER_EQUAL LESS LESS_EQUAL".split()


def _grid_tensor(net: Net, name: str, dtype: str, op: str, output: bool = False) -> int:
    scale, zero_point = (GRID_OUTPUT_QUANTIZATION.get((op, dtype)) if output else None) \
        or QUANTIZED.get(dtype, ([], []))
    return net.act(name, [1, 4], dtype, scale=scale, zero_point=zero_point)


def _grid_model(op: str, input_types: list[str], output_type: str) -> bytes:
    net = Net()
    inputs = [_grid_tensor(net, f"x{i}", dtype, op) for i, dtype in enumerate(input_types)]
    output = _grid_tensor(net, "y", output_type, op, output=True)
    options = ("SoftmaxOptions", {"beta": 1.0}) if op == "SOFTMAX" else None
    net.op(op, inputs, [output], options=options)
    return net.build(inputs, [output])


def grid_models() -> dict[str, bytes]:
    models = {}
    for dtype in GRID_TYPES:
        for op in GRID_UNARY:
            models[f"{op}[{dtype}]"] = _grid_model(op, [dtype], dtype)
        for op in GRID_BINARY:
            models[f"{op}[{dtype}]"] = _grid_model(op, [dtype, dtype], dtype)
        for op in GRID_COMPARISON:
            models[f"{op}[{dtype}]"] = _grid_model(op, [dtype, dtype], "BOOL")
        models[f"DEQUANTIZE[{dtype}]"] = _grid_model("DEQUANTIZE", [dtype], "FLOAT32")
        models[f"QUANTIZE[FLOAT32->{dtype}]"] = _grid_model("QUANTIZE", ["FLOAT32"], dtype)
        models[f"QUANTIZE[{dtype}->INT8]"] = _grid_model("QUANTIZE", [dtype], "INT8")
        models[f"CAST[{dtype}->FLOAT32]"] = _grid_model("CAST", [dtype], "FLOAT32")
        models[f"CAST[FLOAT32->{dtype}]"] = _grid_model("CAST", ["FLOAT32"], dtype)
    return models


# Ops with constant weights: activation type x weight type, bias typed as TFLM pairs it.
WEIGHT_GRID_TYPES = ("FLOAT32", "INT8", "INT16", "UINT8")
BIAS_TYPE = {"FLOAT32": "FLOAT32", "INT8": "INT32", "INT16": "INT64", "UINT8": "INT32"}


def _weighted_model(op: str, activation: str, weight: str) -> bytes:
    net = Net()
    quantized = activation != "FLOAT32"

    def quantization(dtype, channels=1, axis=0):
        scale, zero_point = QUANTIZED.get(dtype, ([], []))
        return dict(scale=scale * channels, zero_point=zero_point * channels,
                    quantized_dimension=axis)

    def constant(name, values, dtype, channels=1, axis=0):
        return net.const(name, values, dtype, **quantization(dtype, channels, axis))

    if op in ("CONV_2D", "DEPTHWISE_CONV_2D"):
        x = net.act("x", [1, 4, 4, 2], activation, **quantization(activation))
        shape = (2, 3, 3, 2) if op == "CONV_2D" else (1, 3, 3, 2)
        inputs = [x, constant("w", np.ones(shape), weight, 2, 0 if op == "CONV_2D" else 3),
                  net.const("b", np.zeros(2), BIAS_TYPE[activation],
                            **(dict(scale=[0.001] * 2, zero_point=[0] * 2) if quantized else {}))]
        y = net.act("y", [1, 4, 4, 2], activation, **quantization(activation))
        table = "Conv2DOptions" if op == "CONV_2D" else "DepthwiseConv2DOptions"
        options = (table, {"padding": 0, "stride_w": 1, "stride_h": 1,
                           **({"depth_multiplier": 1} if op != "CONV_2D" else {})})
    elif op == "FULLY_CONNECTED":
        x = net.act("x", [1, 8], activation, **quantization(activation))
        inputs = [x, constant("w", np.ones((4, 8)), weight, 4),
                  net.const("b", np.zeros(4), BIAS_TYPE[activation],
                            **(dict(scale=[0.001] * 4, zero_point=[0] * 4) if quantized else {}))]
        y = net.act("y", [1, 4], activation, **quantization(activation))
        options = ("FullyConnectedOptions", {"fused_activation_function": 0})
    elif op == "BATCH_MATMUL":
        x = net.act("x", [1, 2, 3], activation, **quantization(activation))
        inputs = [x, constant("w", np.ones((1, 3, 4)), weight)]
        y = net.act("y", [1, 2, 4], activation, **quantization(activation))
        options = None
    else:  # PRELU
        x = net.act("x", [1, 4], activation, **quantization(activation))
        inputs = [x, constant("alpha", np.ones(4), weight)]
        y = net.act("y", [1, 4], activation, **quantization(activation))
        options = None
    net.op(op, inputs, [y], options=options)
    return net.build([x], [y])


def weight_grid_models() -> dict[str, bytes]:
    return {f"{op}[{activation}x{weight}]": _weighted_model(op, activation, weight)
            for op in ("CONV_2D", "DEPTHWISE_CONV_2D", "FULLY_CONNECTED", "BATCH_MATMUL",
                       "PRELU")
            for activation in WEIGHT_GRID_TYPES for weight in WEIGHT_GRID_TYPES}


# op -> (input shape, constant parameters as (position, values), output shapes, options).
# Position 0 is the data tensor unless a parameter takes it (SPLIT's axis comes first).
POOL = ("Pool2DOptions", {"padding": 1, "stride_w": 2, "stride_h": 2, "filter_width": 2,
                          "filter_height": 2})
REDUCE = ([1, 4], [(1, [1])], [[1]], ("ReducerOptions", {"keep_dims": False}))
MOVEMENT = {
    "RESHAPE": ([1, 4], [(1, [4])], [[4]], None),
    "SQUEEZE": ([1, 4], [], [[4]], None),
    "EXPAND_DIMS": ([1, 4], [(1, [0])], [[1, 1, 4]], None),
    "TRANSPOSE": ([1, 4], [(1, [1, 0])], [[4, 1]], None),
    "PAD": ([1, 4], [(1, [[0, 0], [1, 1]])], [[1, 6]], None),
    "PADV2": ([1, 4], [(1, [[0, 0], [1, 1]])], [[1, 6]], None),
    "MIRROR_PAD": ([1, 4], [(1, [[0, 0], [1, 1]])], [[1, 6]], None),
    "UNPACK": ([1, 4], [], [[1]] * 4, ("UnpackOptions", {"num": 4, "axis": 1})),
    "SPLIT": ([1, 4], [(0, 1)], [[1, 2]] * 2, ("SplitOptions", {"num_splits": 2})),
    "SLICE": ([1, 4], [(1, [0, 1]), (2, [1, 2])], [[1, 2]], None),
    "STRIDED_SLICE": ([1, 4], [(1, [0, 0]), (2, [1, 4]), (3, [1, 1])], [[1, 4]], None),
    "REVERSE_V2": ([1, 4], [(1, [1])], [[1, 4]], None),
    "MEAN": REDUCE, "SUM": REDUCE, "REDUCE_MAX": REDUCE, "REDUCE_MIN": REDUCE,
    "ARG_MAX": ([1, 4], [(1, [1])], [[1]], None),
    "ARG_MIN": ([1, 4], [(1, [1])], [[1]], None),
    "BROADCAST_TO": ([1, 4], [(1, [2, 4])], [[2, 4]], None),
    "CUMSUM": ([1, 4], [(1, 1)], [[1, 4]], None),
    "RESIZE_BILINEAR": ([1, 4, 4, 1], [(1, [8, 8])], [[1, 8, 8, 1]], None),
    "RESIZE_NEAREST_NEIGHBOR": ([1, 4, 4, 1], [(1, [8, 8])], [[1, 8, 8, 1]], None),
    "SPACE_TO_DEPTH": ([1, 4, 4, 1], [], [[1, 2, 2, 4]], ("SpaceToDepthOptions",
                                                          {"block_size": 2})),
    "DEPTH_TO_SPACE": ([1, 2, 2, 4], [], [[1, 4, 4, 1]], ("DepthToSpaceOptions",
                                                          {"block_size": 2})),
    "AVERAGE_POOL_2D": ([1, 4, 4, 1], [], [[1, 2, 2, 1]], POOL),
    "MAX_POOL_2D": ([1, 4, 4, 1], [], [[1, 2, 2, 1]], POOL),
    "L2_POOL_2D": ([1, 4, 4, 1], [], [[1, 2, 2, 1]], POOL),
}
# Ops with a second non-constant input: (its shape, its dtype (None: the data type), the
# output shape, options).
SECOND_INPUT = {"CONCATENATION": ([1, 4], None, [1, 8], ("ConcatenationOptions", {"axis": 1})),
                "PACK": ([4], None, [2, 4], ("PackOptions", {"values_count": 2, "axis": 0})),
                "GATHER": ([3], "INT32", [3, 2], ("GatherOptions", {"axis": 0}))}


def _movement_model(op: str, dtype: str) -> bytes:
    """One data-movement, reduction, resize or pooling op on a `dtype` tensor."""
    net = Net()
    quantization = dict(zip(("scale", "zero_point"), QUANTIZED.get(dtype, ([], []))))
    if op in SECOND_INPUT:
        second_shape, second_dtype, out_shape, options = SECOND_INPUT[op]
        first = net.act("x", {"PACK": [4], "GATHER": [4, 2]}.get(op, [1, 4]), dtype,
                        **quantization)
        second = net.act("x2", second_shape, second_dtype or dtype,
                         **({} if second_dtype else quantization))
        out = net.act("y", out_shape, dtype, **quantization)
        net.op(op, [first, second], [out], options=options)
        return net.build([first, second], [out])
    shape, parameters, out_shapes, options = MOVEMENT[op]
    x = net.act("x", shape, dtype, **quantization)
    inputs = [x]
    for position, values in parameters:
        inputs.insert(position, net.const(f"parameter{position}", values, "INT32"))
    out_dtype = "INT32" if op in ("ARG_MAX", "ARG_MIN") else dtype
    outputs = [net.act(f"y{i}", out_shape, out_dtype,
                       **(quantization if out_dtype == dtype else {}))
               for i, out_shape in enumerate(out_shapes)]
    net.op(op, inputs, outputs, options=options)
    return net.build([x], outputs)


def movement_grid_models() -> dict[str, bytes]:
    return {f"{op}[{dtype}]": _movement_model(op, dtype)
            for op in (*MOVEMENT, *SECOND_INPUT) for dtype in GRID_TYPES}


def model_sets() -> dict[str, bytes]:
    """"<set>:<name>" -> model bytes; the sets are the sample models, the tiny models of
    test_target_tflm.py, and three grids of one-op models over tensor types."""
    models = {f"sample:{path.stem}": path.read_bytes() for path in SAMPLE_MODELS}
    models.update({f"tiny:{name}": data for name, data in TINY_MODELS.items()})
    models.update({f"grid:{name}": data for name, data in grid_models().items()})
    models.update({f"weights:{name}": data for name, data in weight_grid_models().items()})
    models.update({f"movement:{name}": data for name, data in movement_grid_models().items()})
    return models


def cut_out_ops(data: bytes) -> dict[str, tuple[bytes, int]]:
    """"#<subgraph>:<op index>" -> a model holding only that op, and its input count."""
    original = schema.ModelT.InitFromObj(schema.Model.GetRootAsModel(data, 0))
    codes = original.operatorCodes or []
    models = {}
    for subgraph_index, subgraph in enumerate(original.subgraphs or []):
        for op_index, op in enumerate(subgraph.operators or []):
            code = codes[op.opcodeIndex]
            builtin = max(code.builtinCode, code.deprecatedBuiltinCode)
            name = next((n for n, v in vars(schema.BuiltinOperator).items() if v == builtin), "")
            if name in CONTROL_FLOW:
                continue
            models[f"#{subgraph_index}:{op_index}"] = _one_op_model(original, subgraph, op)
    return models


def _one_op_model(original, subgraph, op) -> tuple[bytes, int]:
    model = copy.deepcopy(original)
    op = copy.deepcopy(op)
    used = list(dict.fromkeys(i for i in [*(op.inputs if op.inputs is not None else []),
                                          *op.outputs, *(op.intermediates or [])] if i >= 0))
    new_index = {old: new for new, old in enumerate(used)}
    tensors = [copy.deepcopy(subgraph.tensors[i]) for i in used]

    def is_constant(tensor) -> bool:
        data = model.buffers[tensor.buffer].data if tensor.buffer < len(model.buffers) else None
        return data is not None and len(data) > 0

    op.inputs = [new_index[i] if i >= 0 else -1 for i in (op.inputs if op.inputs is not None
                                                             else [])]
    op.outputs = [new_index[i] for i in op.outputs]
    if op.intermediates is not None:
        op.intermediates = [new_index[i] for i in op.intermediates]
    one = schema.SubGraphT()
    one.tensors, one.operators, one.name = tensors, [op], "one_op"
    one.inputs = [i for i in dict.fromkeys(op.inputs) if i >= 0
                  and not is_constant(tensors[i]) and not tensors[i].isVariable]
    one.outputs = list(op.outputs)
    model.subgraphs = [one]
    model.signatureDefs = None
    model.metadata = [m for m in (model.metadata or []) if m.name not in
                      (b"OfflineMemoryAllocation", "OfflineMemoryAllocation")] or None
    builder = flatbuffers.Builder(1024)
    builder.Finish(model.Pack(builder), file_identifier=b"TFL3")
    return bytes(builder.Output()), len(one.inputs)


# -- tfllint's side -------------------------------------------------------------------------

def tfllint_tflm(data: bytes):
    view = view_of(data)
    return Analyses(view, settings_from_mapping({"target": ["tflm"]}, "test")).target("tflm")


def _model_agrees(result, tflm: TflmResult) -> bool:
    if result.blocked != tflm.refused:
        return False
    if not tflm.refused or tflm.op is None:
        return True  # nothing named (a crash, a model-level error) or both let it run
    blocked = [v for v in result.ops if v.verdict == "blocks"]
    registration = [v for v in blocked if {r.code for r in v.reasons} & REGISTRATION_CODES]
    if any(r.code == "tflm-every-subgraph-registered" for r in result.model_reasons):
        return True  # an op of a subgraph no op calls, named in the model reason
    if registration:  # TFLM stops at the first op it has no kernel for
        first = registration[0]
        return tflm.op in (first.op, "CUSTOM", "UNKNOWN")
    return any(v.op == tflm.op and (tflm.op_index is None or v.op_index == tflm.op_index)
               for v in blocked)


@dataclass
class Comparison:
    models_compared: int = 0
    models_agreeing: int = 0
    ops_compared: int = 0
    ops_agreeing: int = 0

    def figures(self) -> str:
        return (f"models agreeing {self.models_agreeing}/{self.models_compared}, "
                f"ops agreeing {self.ops_agreeing}/{self.ops_compared}")


def compare_everything() -> tuple[dict[str, Comparison], dict[str, str], dict[str, TflmResult]]:
    """Per model set: the figures; every disagreement: what each side said."""
    models = model_sets()
    runs = {name: (data, len(view_of(data).main.inputs)) for name, data in models.items()}
    for name, data in models.items():
        for suffix, one_op in cut_out_ops(data).items():
            runs[f"{name}{suffix}"] = one_op
    oracle = run_tflm(runs)
    figures: dict[str, Comparison] = {}
    disagreements: dict[str, str] = {}
    for name, data in models.items():
        comparison = figures.setdefault(name.split(":")[0], Comparison())
        result = tfllint_tflm(data)
        tflm = oracle[name]
        comparison.models_compared += 1
        if _model_agrees(result, tflm):
            comparison.models_agreeing += 1
        else:
            disagreements[name] = (f"tfllint blocked={result.blocked}; TFLM {tflm.stage} "
                                   f"{tflm.op}#{tflm.op_index}")
        verdicts = {f"#{v.subgraph}:{v.op_index}": v for v in result.ops}
        for suffix, verdict in verdicts.items():
            if f"{name}{suffix}" not in oracle:
                continue  # a control-flow op
            one = oracle[f"{name}{suffix}"]
            comparison.ops_compared += 1
            if (verdict.verdict == "blocks") == one.refused:
                comparison.ops_agreeing += 1
            else:
                disagreements[f"{name}{suffix}"] = (
                    f"tfllint {verdict.verdict} {[r.code for r in verdict.reasons]}; TFLM "
                    f"{one.stage}: {one.log.strip().splitlines()[:1]}")
    return figures, disagreements, oracle


@pytest.fixture(scope="module")
def comparison():
    return compare_everything()


def test_tflm_and_tfllint_agree_except_where_explained(comparison):
    figures, disagreements, _ = comparison
    total = Comparison(*(sum(getattr(c, field) for c in figures.values())
                         for field in Comparison.__dataclass_fields__))
    report = "\n".join(f"{name}: {c.figures()}" for name, c in sorted(figures.items()))
    print(f"\n{report}\nall: {total.figures()}")
    unexplained = {k: v for k, v in disagreements.items() if k not in KNOWN_DISAGREEMENTS}
    assert unexplained == {}
    assert sorted(set(KNOWN_DISAGREEMENTS) - set(disagreements)) == []


def test_every_sample_model_agrees_per_model_and_per_op(comparison):
    figures, _, _ = comparison
    samples = figures["sample"]
    assert samples.models_compared == len(SAMPLE_MODELS)
    assert (samples.models_agreeing, samples.ops_agreeing) == (samples.models_compared,
                                                               samples.ops_compared)


def test_tflm_words_match_the_profile(comparison):
    """The error lines the profile quotes are the ones this TFLM prints."""
    _, _, oracle = comparison
    expectations = {
        "tiny:gelu": "Didn't find op for builtin opcode 'GELU'",
        "tiny:custom_op": "Failed to get registration from op code CUSTOM",
        "tiny:ethos_u": "Failed to get registration from op code CUSTOM",
        "tiny:softmax_zero_point_0": "tensorflow/lite/micro/kernels/softmax_common.cc:103 "
                                     "output->params.zero_point != -128 (0 != -128)",
        "tiny:softmax_scale_1_255": "tensorflow/lite/micro/kernels/softmax_common.cc:104 "
                                    "output->params.scale == 1.f / 256 was not true.",
        "tiny:hybrid_conv": "tensorflow/lite/micro/kernels/conv_common.cc Hybrid models are "
                            "not supported on TFLite Micro.",
        "tiny:hybrid_fully_connected": "Input type: FLOAT32 with filter type: INT8 not "
                                       "supported.",
        "tiny:quantize_float_to_uint8": "Input FLOAT32, output UINT8 not supported.",
        "tiny:log_softmax_scale_0_05": "tensorflow/lite/micro/kernels/log_softmax.cc:72 "
                                       "output->params.scale == kOutputScale was not true.",
        "tiny:logistic_zero_point_0": "tensorflow/lite/micro/kernels/logistic_common.cc:46 "
                                      "output->params.zero_point != std::numeric_limits<int8_t>"
                                      "::min() (0 != -128)",
        "tiny:pad_runtime_paddings": "Node PAD (number 0) failed to prepare with status 1",
        "tiny:dynamic_output": "Op#0 (RELU) of subgraph 0 has dynamic tensor #1",
        "tiny:offline_plan_wrong_count": "Nbr of offline buffer offsets (3) in metadata not "
                                         "equal nbr tensors (2)",
        "tiny:unreachable_gelu": "Didn't find op for builtin opcode 'GELU'",
    }
    for name, words in expectations.items():
        assert words in oracle[name].log, (name, oracle[name].log)
    # The softmax scaling check aborts the process instead of returning an error.
    assert oracle["tiny:softmax_without_beta"].stage == "crash"
    assert oracle["tiny:softmax_tiny_input_scale"].stage == "crash"


if __name__ == "__main__":  # print the figures and every disagreement
    found_figures, found, _ = compare_everything()
    for set_name, figure in sorted(found_figures.items()):
        print(f"{set_name}: {figure.figures()}")
    for key, value in sorted(found.items()):
        print(("known " if key in KNOWN_DISAGREEMENTS else "NEW   ") + f"{key}: {value}")
