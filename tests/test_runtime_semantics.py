"""TFL001 and TFL210 against what the real runtimes do with each pattern.

Each test builds one pattern, runs it on LiteRT (ai_edge_litert's Interpreter:
allocate_tensors + invoke) and, where the pattern is one TFLite Micro can load, on the
tflite-micro interpreter (in a subprocess: a failed check aborts the process), and asserts
that tfllint's verdict agrees: the rule fires <=> the runtime refuses the model or
computes wrong results; where it fails, the finding quotes the runtime's error text.

What the runtimes do (the sources the rules cite):
* a tensor no op writes, with bytes: LiteRT never gives it memory and Subgraph::Invoke
  refuses the op ("Input tensor N lacks data", tensorflow/lite/core/subgraph.cc), except
  RESHAPE's input 1 when it is not a vector (reshape.cc then takes ReshapeOptions.new_shape);
  TFLM plans it from its first use only (micro_allocation_info.cc) and reads whatever its
  arena holds there: the previous invoke's values of another tensor;
* TFLM's RESHAPE never reads input 1 (reshape_common.cc takes the output tensor's shape);
* a tensor with no elements has no bytes: nothing is checked or read; an empty INT32
  vector as RESHAPE's input 1 is the new shape [] (a scalar) for LiteRT's reshape.cc;
* +inf in MINIMUM, -inf in MAXIMUM, -inf added before SOFTMAX or as a SELECT_V2 fill
  value compute what the graph means; inf in weights gives inf/NaN; NaN propagates.

Needs the oracle extras (ai-edge-litert, tflite-micro); each part is skipped, saying why,
when its runtime is absent.
"""
from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pytest

from builder import ModelBuilder
from conftest import lint_bytes
from rule_examples.tfl001 import orphan_add, reshape_with_unwritten_shape
from tflm_oracle import VERSION as TFLM_VERSION

# the real-model corpus (tools/fetch_real_models.py), where tests/test_real_models.py finds it
REAL_MODELS = Path(os.environ.get("TFLLINT_REAL_MODELS")
                   or Path.home() / ".cache" / "tfllint-real-models" / "models")
INF = np.float32(np.inf)


# -- the runtimes ----------------------------------------------------------------------------

@dataclass
class Run:
    """One runtime's outcome: the outputs of each invoke, or where and why it failed."""
    failed: str | None = None  # "load" or "invoke"
    error: str = ""
    outputs: list[list[np.ndarray]] = field(default_factory=list)  # per invoke, per output


@pytest.fixture(scope="module")
def litert():
    module = pytest.importorskip(
        "ai_edge_litert.interpreter",
        reason="ai-edge-litert is not installed: pip install -e .[oracle] to check TFL001 and "
               "TFL210 against what LiteRT does")

    def run(data: bytes, *feeds: list[np.ndarray], xnnpack: bool = True) -> Run:
        """Resizes the inputs to the first feed's shapes; `xnnpack=False`: the builtin
        kernels only (no default delegate)."""
        resolver = module.OpResolverType.AUTO if xnnpack else \
            module.OpResolverType.BUILTIN_WITHOUT_DEFAULT_DELEGATES
        interpreter = module.Interpreter(model_content=data,
                                         experimental_op_resolver_type=resolver)
        for details, value in zip(interpreter.get_input_details(), feeds[0] if feeds else ()):
            if tuple(details["shape"]) != value.shape:
                interpreter.resize_tensor_input(details["index"], value.shape)
        try:
            interpreter.allocate_tensors()
        except RuntimeError as error:
            return Run("load", str(error))
        result = Run()
        for feed in feeds:
            for details, value in zip(interpreter.get_input_details(), feed):
                interpreter.set_tensor(details["index"], value)
            try:
                interpreter.invoke()
            except RuntimeError as error:
                return Run("invoke", str(error))
            result.outputs.append([interpreter.get_tensor(d["index"]).copy()
                                   for d in interpreter.get_output_details()])
        return result
    return run


TFLM_WORKER = r'''
import json, os, sys
import numpy as np
from tflite_micro.python.tflite_micro import runtime
data = open(sys.argv[1], "rb").read()
feeds = json.loads(open(sys.argv[2]).read())
result = {"failed": "load", "error": "", "outputs": []}
try:
    interpreter = runtime.Interpreter.from_bytes(data, arena_size=1 << 20)
    result["failed"] = "invoke"
    for feed in feeds:
        for index, value in enumerate(feed):
            details = interpreter.get_input_details(index)
            interpreter.set_input(np.array(value, details["dtype"]).reshape(details["shape"]),
                                  index)
        interpreter.invoke()
        outputs, index = [], 0
        while True:
            try:
                outputs.append(interpreter.get_output(index).tolist())
            except Exception:
                break
            index += 1
        result["outputs"].append(outputs)
    result["failed"] = None
except Exception as error:
    result["error"] = f"{type(error).__name__}: {error}"
print("RESULT " + json.dumps(result), flush=True)
'''


@pytest.fixture(scope="module")
def tflm():
    from tflm_oracle import require_interpreter

    require_interpreter(f"checking TFL001 and TFL210 against TFLite Micro ({TFLM_VERSION})")

    def run(data: bytes, *feeds: list[np.ndarray]) -> Run:
        with tempfile.TemporaryDirectory() as scratch:
            model, inputs = Path(scratch) / "model.tflite", Path(scratch) / "feeds.json"
            model.write_bytes(data)
            inputs.write_text(json.dumps([[np.asarray(v).tolist() for v in feed]
                                          for feed in feeds]))
            done = subprocess.run([sys.executable, "-c", TFLM_WORKER, str(model), str(inputs)],
                                  capture_output=True, text=True, timeout=120)
        lines = [line for line in done.stdout.splitlines() if line.startswith("RESULT ")]
        if not lines:  # aborted
            return Run("crash", done.stdout + done.stderr)
        result = json.loads(lines[-1][len("RESULT "):])
        return Run(result["failed"], result["error"] + done.stdout,
                   [[np.asarray(o, np.float32) for o in outputs]
                    for outputs in result["outputs"]])
    return run


def findings(data: bytes, rule: str) -> list:
    return [f for f in lint_bytes(data) if f.rule == rule]


def only_message(data: bytes, rule: str) -> str:
    found = findings(data, rule)
    assert len(found) == 1, [f.message for f in found]
    return found[0].message


def close(actual: np.ndarray, expected: np.ndarray) -> bool:
    return actual.shape == np.shape(expected) and np.allclose(actual, expected, equal_nan=False)


ROW = np.array([[-2.0, 0.5, 3.0, 7.0]], np.float32)


# -- TFL001: tensors no op writes ------------------------------------------------------------

def chain_reading_orphan() -> bytes:
    """y = 8 * (x + orphan) in four ADDs; 'orphan' has no producer and no data."""
    model = ModelBuilder()
    main = model.subgraph()
    x = main.tensor("x", [1, 4])
    orphan = main.tensor("orphan", [1, 4])
    a, b, c, y = (main.tensor(name, [1, 4]) for name in "abcy")
    main.op("ADD", [x, orphan], [a])
    main.op("ADD", [a, a], [b])
    main.op("ADD", [b, b], [c])
    main.op("ADD", [c, c], [y])
    main.inputs, main.outputs = [x], [y]
    return model.build()


def test_an_unwritten_operand_fails_on_litert_with_the_error_tfl001_quotes(litert):
    data = orphan_add()
    run = litert(data, [ROW])
    assert run.failed == "invoke"
    assert run.error == "Input tensor 1 lacks data"
    assert "LiteRT fails at invoke with 'Input tensor 1 lacks data'" in only_message(
        data, "TFL001")


def test_an_unwritten_operand_gives_tflm_stale_values_as_tfl001_says(tflm):
    data = chain_reading_orphan()
    run = tflm(data, [np.ones((1, 4), np.float32)], [np.full((1, 4), 2, np.float32)])
    assert run.failed is None, run.error
    # x + 0 on the first invoke (a fresh arena), then whatever the arena held: not 8 * x
    assert not close(run.outputs[1][0], np.full((1, 4), 16)), run.outputs
    assert "TFLite Micro reads whatever its arena holds there (wrong results, no error)" in \
        findings(data, "TFL001")[0].message


def test_an_unwritten_int32_shape_vector_fails_on_litert_and_tfl001_fires(litert, tflm):
    data = reshape_with_unwritten_shape([1, 4], [4], [1])
    run = litert(data, [ROW])
    assert (run.failed, run.error) == ("invoke", "Input tensor 1 lacks data")
    micro = tflm(data, [ROW])  # TFLM's RESHAPE never reads input 1
    assert micro.failed is None and close(micro.outputs[0][0], ROW.reshape(4)), micro.error
    assert only_message(data, "TFL001").endswith(
        "LiteRT fails at invoke with 'Input tensor 1 lacks data'; TFLite Micro ignores it "
        "(it takes the output tensor's shape)")


def test_an_empty_shape_vector_of_a_one_element_reshape_runs_and_tfl001_is_silent(litert,
                                                                                  tflm):
    # What birdnet_fp32.tflite's op 9 is: INT32 shape (0,), no buffer, input of shape [1].
    data = reshape_with_unwritten_shape([1], [], [0])
    value = np.array([3.0], np.float32)
    run = litert(data, [value])
    assert run.failed is None and close(run.outputs[0][0], np.float32(3.0)), run.error
    micro = tflm(data, [value])
    assert micro.failed is None and close(micro.outputs[0][0], np.float32(3.0)), micro.error
    assert findings(data, "TFL001") == []


def test_an_empty_shape_vector_of_a_bigger_reshape_fails_on_litert_as_tfl001_says(litert,
                                                                                   tflm):
    data = reshape_with_unwritten_shape([1, 4], [4], [0])
    run = litert(data, [ROW])
    assert run.failed == "invoke"
    assert "num_input_elements != num_output_elements (4 != 1)" in run.error
    micro = tflm(data, [ROW])
    assert micro.failed is None and close(micro.outputs[0][0], ROW.reshape(4)), micro.error
    assert only_message(data, "TFL001").endswith(
        "LiteRT reads it as the new shape [] (a scalar) and fails at invoke with "
        "'num_input_elements != num_output_elements (4 != 1)'; TFLite Micro ignores it and "
        "takes the output tensor's shape")


@pytest.mark.parametrize("new_shape, output", [([4], [4]), ([2, 2], [2, 2]), ([-1], [4])])
def test_a_shape_input_that_is_no_vector_is_never_read_and_tfl001_is_silent(litert, tflm,
                                                                           new_shape, output):
    data = reshape_with_unwritten_shape([1, 4], output, [1, 1], new_shape=new_shape)
    for run in (litert(data, [ROW]), tflm(data, [ROW])):
        assert run.failed is None and close(run.outputs[0][0], ROW.reshape(output)), run.error
    assert findings(data, "TFL001") == []


def test_an_unwritten_tensor_with_no_elements_is_never_read_and_tfl001_is_silent(litert):
    # (TFLM refuses any zero-element tensor, written or not: "Dynamic tensors are not
    # supported"; that is the tflm target's concern, not TFL001's.)
    data = orphan_add((0, 4))
    run = litert(data, [np.zeros((0, 4), np.float32)])
    assert run.failed is None and run.outputs[0][0].shape == (0, 4), run.error
    assert findings(data, "TFL001") == []


# -- TFL210: NaN and infinite constants ------------------------------------------------------

def binary(op: str, constant: np.ndarray, dtype: str = "FLOAT32") -> bytes:
    """x [1, 4] -> op(x, constant) -> y [1, 4]."""
    model = ModelBuilder()
    main = model.subgraph()
    x = main.tensor("x", [1, 4])
    c = main.constant("c", constant, dtype)
    y = main.tensor("y", [1, 4])
    main.op(op, [x, c], [y])
    main.inputs, main.outputs = [x], [y]
    return model.build()


def dense(weights: np.ndarray, float16: bool = False) -> bytes:
    """x [1, 4] -> FULLY_CONNECTED(weights [3, 4], zero bias) -> y [1, 3]; float16 weights
    behind a DEQUANTIZE, as the converter writes them."""
    model = ModelBuilder()
    main = model.subgraph()
    x = main.tensor("x", [1, 4])
    if float16:
        half = main.constant("w16", weights.astype(np.float16), "FLOAT16")
        w = main.tensor("w", [3, 4])
        main.op("DEQUANTIZE", [half], [w], version=3)
    else:
        w = main.constant("w", weights.astype(np.float32))
    b = main.constant("b", np.zeros(3, np.float32))
    y = main.tensor("y", [1, 3])
    main.op("FULLY_CONNECTED", [x, w, b], [y])
    main.inputs, main.outputs = [x], [y]
    return model.build()


def masked_softmax(mask: np.ndarray, select: bool = False, softmax: bool = True) -> bytes:
    """x [1, 4] + mask -> SOFTMAX -> y; or SELECT_V2(keep, x, mask) -> SOFTMAX (tf.where);
    or the masked scores themselves as the output."""
    model = ModelBuilder()
    main = model.subgraph()
    x = main.tensor("x", [1, 4])
    m = main.constant("mask", mask.astype(np.float32))
    scores = main.tensor("scores", [1, 4])
    if select:
        keep = main.constant("keep", np.array([[True, True, False, False]]), "BOOL")
        main.op("SELECT_V2", [keep, x, m], [scores])
    else:
        main.op("ADD", [x, m], [scores])
    y = scores
    if softmax:
        y = main.tensor("y", [1, 4])
        main.op("SOFTMAX", [scores], [y], options=("SoftmaxOptions", dict(beta=1.0)))
    main.inputs, main.outputs = [x], [y]
    return model.build()


def softmax(values: np.ndarray) -> np.ndarray:
    exp = np.exp(values - values.max())
    return exp / exp.sum()


RUNTIMES = ["litert", "tflm"]


@pytest.fixture(params=RUNTIMES)
def runtime(request):
    return request.getfixturevalue(request.param)


def runs_right(run: Run, expected: np.ndarray) -> bool:
    return run.failed is None and close(run.outputs[0][0], expected)


@pytest.mark.parametrize("op, bound, reference", [
    ("MINIMUM", INF, np.minimum), ("MAXIMUM", -INF, np.maximum)])
def test_an_infinite_clamp_bound_that_bounds_nothing_runs_right_and_tfl210_is_silent(
        runtime, op, bound, reference):
    data = binary(op, np.array(bound, np.float32))
    assert runs_right(runtime(data, [ROW]), ROW)  # min(x, +inf) = x
    assert findings(data, "TFL210") == []


@pytest.mark.parametrize("op, bound", [("MINIMUM", -INF), ("MAXIMUM", INF)])
def test_a_clamp_to_the_wrong_infinity_loses_the_input_and_tfl210_says_so(runtime, op, bound):
    data = binary(op, np.array(bound, np.float32))
    run = runtime(data, [ROW], [ROW * 3])
    assert run.failed is None, run.error
    for outputs in run.outputs:  # every output is the infinity, whatever the input
        assert np.all(outputs[0] == bound)
    sign = "-inf" if bound < 0 else "+inf"
    assert only_message(data, "TFL210").endswith(
        f"{op} (op 0) with {sign} makes every output {sign}; a clamp bound that bounds nothing "
        f"is {'+inf' if sign == '-inf' else '-inf'}")


@pytest.mark.parametrize("op", ["MINIMUM", "MAXIMUM"])
def test_nan_as_a_clamp_bound_gives_nan_or_not_by_kernel_and_tfl210_fires(litert, tflm, op):
    data = binary(op, np.array(np.nan, np.float32))
    # LiteRT's builtin kernel and TFLM propagate it; XNNPACK's min/max drop it: the result
    # depends on which kernel runs the op, and is NaN on two of the three.
    for run in (litert(data, [ROW], xnnpack=False), tflm(data, [ROW])):
        assert run.failed is None and np.isnan(run.outputs[0][0]).all(), run
    assert runs_right(litert(data, [ROW]), ROW)
    assert only_message(data, "TFL210") == (
        "constant 'c' (#1), FLOAT32 scalar: NaN: NaN propagates: every output it reaches is NaN")


@pytest.mark.parametrize("runtime_name, float16", [
    ("litert", False), ("tflm", False), ("litert", True)], ids=[
    "litert-float32", "tflm-float32", "litert-float16"])  # TFLM: no float16 DEQUANTIZE
def test_an_infinite_weight_gives_nan_and_tfl210_fires(request, runtime_name, float16):
    runtime = request.getfixturevalue(runtime_name)
    weights = np.ones((3, 4), np.float32)
    weights[1, 2] = INF  # a float16 of 1e5 overflows to the same
    data = dense(weights, float16)
    x = np.array([[1.0, 1.0, 0.0, 1.0]], np.float32)  # inf * 0 = NaN
    run = runtime(data, [x])
    assert run.failed is None, run.error
    assert np.isnan(run.outputs[0][0][0, 1]) and not np.isnan(run.outputs[0][0][0, 0])
    message = only_message(data, "TFL210")
    expected = "float16 overflow (values above 65504 become inf)" if float16 else \
        "infinite weights or biases"
    op = "FULLY_CONNECTED (op 1)" if float16 else "FULLY_CONNECTED (op 0)"
    assert message.endswith(f"{expected} of {op}: its outputs become inf or NaN "
                            "(inf * 0, inf - inf)")


@pytest.mark.parametrize("select", [False, True], ids=["ADD", "SELECT_V2"])
def test_a_minus_inf_mask_before_softmax_runs_right_and_tfl210_is_silent(runtime, select):
    mask = np.array([[0.0, 0.0, -INF, -INF]], np.float32)
    if select:
        mask = np.full((1, 4), -INF, np.float32)
    data = masked_softmax(mask, select)
    expected = np.concatenate([softmax(ROW[0, :2]), [0.0, 0.0]]).reshape(1, 4)
    assert runs_right(runtime(data, [ROW]), expected)
    assert findings(data, "TFL210") == []


def test_an_infinite_addend_that_reaches_the_output_is_reported(litert):
    data = masked_softmax(np.array([[0.0, 0.0, -INF, -INF]], np.float32), softmax=False)
    run = litert(data, [ROW])
    assert run.failed is None and np.isinf(run.outputs[0][0]).any()
    assert only_message(data, "TFL210").endswith(
        "an infinite addend of ADD (op 0): not a -inf mask that only reaches a softmax, so "
        "its outputs are inf or NaN")


def test_an_infinite_fill_value_that_reaches_the_output_is_reported(litert):
    """SELECT_V2(keep, x, +inf) straight to the output: the infinities are the result."""
    data = masked_softmax(np.full((1, 4), INF, np.float32), select=True, softmax=False)
    run = litert(data, [ROW])
    assert run.failed is None and np.isinf(run.outputs[0][0]).any()
    assert only_message(data, "TFL210").endswith(
        "an infinite fill value of SELECT_V2 (op 0): not a -inf mask that only reaches a "
        "softmax, so its outputs are inf or NaN")


def test_a_nan_weight_gives_nan_and_tfl210_fires(litert):
    weights = np.ones((3, 4), np.float32)
    weights[1, 2] = np.nan
    data = dense(weights)
    run = litert(data, [np.ones((1, 4), np.float32)])
    assert run.failed is None
    assert np.isnan(run.outputs[0][0][0, 1]) and not np.isnan(run.outputs[0][0][0, 0])
    assert "NaN propagates" in only_message(data, "TFL210")


def test_a_plus_inf_mask_before_softmax_gives_nan_and_tfl210_fires(litert):
    data = masked_softmax(np.array([[0.0, 0.0, INF, 0.0]], np.float32))
    run = litert(data, [ROW])
    assert run.failed is None and np.isnan(run.outputs[0][0]).any()
    assert len(findings(data, "TFL210")) == 1


def test_allow_infinity_still_keeps_nan_and_silences_infinite_weights():
    weights = np.ones((3, 4), np.float32)
    weights[0, 0] = INF
    options = {"rule-options": {"TFL210": {"allow-infinity": True}}}
    assert [f for f in lint_bytes(dense(weights), **options) if f.rule == "TFL210"] == []
    weights[0, 1] = np.nan
    assert len([f for f in lint_bytes(dense(weights), **options) if f.rule == "TFL210"]) == 1


# -- the real models the issue names ---------------------------------------------------------

def real_model(name: str) -> bytes:
    path = REAL_MODELS / name
    if not path.is_file():
        pytest.skip(f"{path} is not on this machine: `python tools/fetch_real_models.py` "
                    "fetches the real-model corpus")
    return path.read_bytes()


@pytest.mark.parametrize("name, rule", [("birdnet_fp32.tflite", "TFL001"),
                                        ("oww_melspectrogram.tflite", "TFL210")])
def test_the_real_models_run_on_litert_and_the_rules_are_silent(litert, name, rule):
    data = real_model(name)
    from ai_edge_litert.interpreter import Interpreter

    details = Interpreter(model_content=data).get_input_details()
    # oww_melspectrogram's input is [1, -1] audio samples: a second of 16 kHz audio
    shapes = [[1, 16000] if -1 in d["shape_signature"][1:] else d["shape"] for d in details]
    feed = [np.random.default_rng(0).standard_normal(shape).astype(d["dtype"]) * 0.1
            for shape, d in zip(shapes, details)]
    run = litert(data, feed)
    assert run.failed is None, run.error
    assert all(np.isfinite(output).all() for output in run.outputs[0])
    assert findings(data, rule) == []
