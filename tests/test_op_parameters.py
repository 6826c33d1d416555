"""TFL009 (op-parameters-crash-runtime): each check of rules/data/op_parameters.toml on a
model with the defect (the exact finding) and on its nearest valid neighbour (nothing),
the data's claims against the runtimes' recorded outcomes (tests/data/cve_outcomes.json),
and the CVE reproducers it catches.
"""
from __future__ import annotations

import importlib.util
import json
import sys

import numpy as np
import pytest
from conftest import REPO, lint_bytes, rule_locations

import cve_models
from builder import ModelBuilder
from cve_models import _conv, _ints, _one_op, _svdf, stateful
from tfllint.analyses.data import load_data_table
from tfllint.engine.rule import Location
from tfllint.reader.decode import OPERATOR_NAMES
from tfllint.rules._op_parameters import KINDS

OPS = set(OPERATOR_NAMES.values())

DATA = load_data_table("op_parameters")
OUTCOMES = json.loads((REPO / "tests" / "data" / "cve_outcomes.json").read_text())
SETTINGS = {"runtime-version": "2.21", "preview": True, "select": ["TFL009"]}


def found(data: bytes) -> set:
    return rule_locations(lint_bytes(data, **SETTINGS))


def at(op: str, index: int = 0, tensor: str | None = None, tensor_index: int | None = None,
       subgraph: int = 0) -> set:
    return {("TFL009", Location(subgraph=subgraph, op_index=index, op=op, tensor=tensor,
                                tensor_index=tensor_index))}


def conv(stride=1, dilation=1, **kwargs) -> bytes:
    return _conv("CONV_2D", ("Conv2DOptions", {"padding": 0, "stride_w": stride, "stride_h": 1,
                                               "dilation_w_factor": dilation,
                                               "dilation_h_factor": 1}), **kwargs).build()


def split(num_splits: int, outputs: int, axis: int = 1, width: int = 4) -> bytes:
    model = ModelBuilder()
    main = model.subgraph()
    a = main.constant("axis", _ints(axis), "INT32")
    x = main.tensor("x", [1, width])
    ys = [main.tensor(f"y{i}", [1, width // max(outputs, 1)]) for i in range(outputs)]
    main.op("SPLIT", [a, x], ys, options=("SplitOptions", {"num_splits": num_splits}))
    main.inputs, main.outputs = [x], ys
    return model.build()


def reduction(axis) -> bytes:
    return _one_op("SUM", [("x", [2, 3]), ("axis", _ints(axis), "INT32")], [2],
                   options=("ReducerOptions", {"keep_dims": False})).build()


def expand_dims(axis: int) -> bytes:
    return _one_op("EXPAND_DIMS", [("x", [1, 4]), ("axis", _ints([axis]), "INT32")],
                   [1, 1, 4]).build()


def gather(index: int, axis: int = 0) -> bytes:
    return _one_op("GATHER", [("params", [4, 2]), ("indices", _ints([index]), "INT32")],
                   [1, 2], options=("GatherOptions", {"axis": axis})).build()


def concatenation(axis: int) -> bytes:
    return _one_op("CONCATENATION", [("a", [1, 2]), ("b", [1, 2])], [1, 4],
                   options=("ConcatenationOptions", {"axis": axis})).build()


def segment_sum(ids) -> bytes:
    return cve_models._segment_sum(ids).build()


def divide(divisor, dtype="INT32", zero_point=None) -> bytes:
    model = ModelBuilder()
    main = model.subgraph()
    quant = {} if zero_point is None else {"scale": [0.5], "zero_point": [zero_point]}
    x = main.tensor("x", [1, 4], dtype, **quant)
    d = main.constant("d", np.asarray([divisor], {"INT32": np.int32, "INT8": np.int8}[dtype]),
                      dtype, **quant)
    y = main.tensor("y", [1, 4], dtype, **quant)
    main.op("DIV", [x, d], [y], options=("DivOptions", {}))
    main.inputs, main.outputs = [x], [y]
    return model.build()


def fully_connected(bias_index: int | None) -> bytes:
    model = ModelBuilder()
    main = model.subgraph()
    x = main.tensor("x", [1, 4])
    w = main.constant("w", np.ones((3, 4), np.float32))
    y = main.tensor("y", [1, 3])
    inputs = [x, w] + ([] if bias_index is None else [bias_index])
    main.op("FULLY_CONNECTED", inputs, [y], options=("FullyConnectedOptions", {}))
    main.inputs, main.outputs = [x], [y]
    return model.build()


def fully_connected_options(**options) -> bytes:
    """FULLY_CONNECTED [1, 4] x [3, 4] with these options (weights_format,
    quantized_bias_type as the numbers the file holds)."""
    return _one_op("FULLY_CONNECTED", [("x", [1, 4]), ("w", np.ones((3, 4), np.float32))],
                   [1, 3], options=("FullyConnectedOptions", options)).build()


def add(second: int) -> bytes:
    model = ModelBuilder()
    main = model.subgraph()
    x = main.tensor("x", [1, 4])
    y = main.tensor("y", [1, 4])
    main.op("ADD", [x, x if second == 0 else second], [y], options=("AddOptions", {}))
    main.inputs, main.outputs = [x], [y]
    return model.build()


def while_loop(cond: int, body: int, body_calls_main: bool = False) -> bytes:
    """WHILE in subgraph 0 with cond and body subgraphs 1 and 2 (or as given); the body
    may itself run a WHILE over subgraphs 0 and 1, closing the cycle 0 -> 2 -> 0."""
    model = ModelBuilder()
    main, first, second = (model.subgraph(name) for name in ("main", "cond", "body"))
    x, y = main.tensor("x", [1], "INT32"), main.tensor("y", [1], "INT32")
    main.op("WHILE", [x], [y], options=("WhileOptions", {"cond_subgraph_index": cond,
                                                         "body_subgraph_index": body}))
    main.inputs, main.outputs = [x], [y]
    a, flag = first.tensor("a", [1], "INT32"), first.tensor("flag", [1], "BOOL")
    first.op("LESS", [a, a], [flag])
    first.inputs, first.outputs = [a], [flag]
    b, c = second.tensor("b", [1], "INT32"), second.tensor("c", [1], "INT32")
    if body_calls_main:
        second.op("WHILE", [b], [c], options=("WhileOptions", {"cond_subgraph_index": 1,
                                                               "body_subgraph_index": 0}))
    else:
        second.op("ADD", [b, b], [c], options=("AddOptions", {}))
    second.inputs, second.outputs = [b], [c]
    return model.build()


def while_operands(inputs: int = 1) -> bytes:
    """WHILE over subgraphs 1 and 2 (one INT32 loop variable each) with `inputs`
    INT32 operands."""
    model = ModelBuilder()
    main, first, second = (model.subgraph(name) for name in ("main", "cond", "body"))
    xs = [main.tensor(f"x{i}", [1], "INT32") for i in range(inputs)]
    ys = [main.tensor(f"y{i}", [1], "INT32") for i in range(inputs)]
    main.op("WHILE", xs, ys, options=("WhileOptions", {"cond_subgraph_index": 1,
                                                       "body_subgraph_index": 2}))
    main.inputs, main.outputs = xs, ys
    a, flag = first.tensor("a", [1], "INT32"), first.tensor("flag", [1], "BOOL")
    first.op("LESS", [a, a], [flag])
    first.inputs, first.outputs = [a], [flag]
    b, c = second.tensor("b", [1], "INT32"), second.tensor("c", [1], "INT32")
    second.op("ADD", [b, b], [c], options=("AddOptions", {}))
    second.inputs, second.outputs = [b], [c]
    return model.build()


def gather_nd(index, params=(4, 2)) -> bytes:
    return _one_op("GATHER_ND", [("params", list(params)), ("indices", _ints([index]), "INT32")],
                   [1, 2]).build()


def scatter_nd(index) -> bytes:
    return _one_op("SCATTER_ND", [("indices", _ints([index]), "INT32"), ("updates", [1, 2]),
                                  ("shape", _ints([4, 2]), "INT32")], [4, 2]).build()


def lsh_projection(rows: int) -> bytes:
    return _one_op("LSH_PROJECTION", [("hash", np.ones((2, 2), np.float32), "FLOAT32"),
                                      ("x", [rows, 3])], [4], out_dtype="INT32",
                   options=("LSHProjectionOptions", {"type": 2})).build()


def concatenate_int8(size: int) -> bytes:
    return _one_op("CONCATENATION", [("a", [size], "INT8"), ("b", [size], "INT8")],
                   [min(2 * size, (1 << 31) - 1)], out_dtype="INT8",
                   options=("ConcatenationOptions", {"axis": 0})).build()


def int8_fully_connected(weights_quantized: bool) -> bytes:
    model = ModelBuilder()
    main = model.subgraph()
    quant = {"scale": [0.1], "zero_point": [0]}
    x = main.tensor("x", [1, 4], "INT8", **quant)
    w = main.constant("w", np.ones((3, 4), np.int8), "INT8",
                      **({"scale": [0.1], "zero_point": [0]} if weights_quantized else {}))
    b = main.constant("b", np.zeros(3, np.int32), "INT32", scale=[0.01], zero_point=[0])
    y = main.tensor("y", [1, 3], "INT8", **quant)
    main.op("FULLY_CONNECTED", [x, w, b], [y], options=("FullyConnectedOptions", {}))
    main.inputs, main.outputs = [x], [y]
    return model.build()


def rnn(state_is_variable: bool) -> bytes:
    return stateful("RNN", (1, 3), {"w": (2, 3), "r": (2, 2), "b": 2}, ("h", (1, 2)), (1, 2),
                    state_is_variable=state_is_variable).build()


def reshape(shape_index: int) -> bytes:
    """RESHAPE of [1, 4] to [2, 2], its shape input the constant (1) or -1."""
    model = ModelBuilder()
    main = model.subgraph()
    x = main.tensor("x", [1, 4])
    shape = main.constant("shape", _ints([2, 2]), "INT32")
    y = main.tensor("y", [2, 2])
    main.op("RESHAPE", [x, shape if shape_index == 1 else -1], [y])
    main.inputs, main.outputs = [x], [y]
    return model.build()


def conv_without_input() -> bytes:
    """CONV_2D whose data input (0) is -1: GetInputSafe refuses it."""
    model = cve_models._conv("CONV_2D", ("Conv2DOptions", {"stride_w": 1, "stride_h": 1}))
    operator = model.subgraphs[0].operators[0]
    operator["inputs"] = [-1, *operator["inputs"][1:]]
    return model.build()


# (name, bad model, its exact findings, the valid neighbour)
CASES = [
    ("conv stride 0", conv(stride=0), at("CONV_2D"), conv()),
    ("conv dilation -1", conv(dilation=-1), at("CONV_2D"), conv(dilation=2)),
    ("conv filter 0 input channels", conv(filter_shape=(1, 3, 3, 0), filter_input=True),
     at("CONV_2D"), conv(filter_shape=(1, 3, 3, 1), filter_input=True)),
    ("svdf rank 0", _svdf(0, True).build(), at("SVDF"), _svdf(1, True).build()),
    ("svdf rank does not divide", _svdf(3, True).build(), at(
        "SVDF", tensor="weights_feature", tensor_index=1), _svdf(1, True).build()),
    ("svdf state not a variable", _svdf(1, False).build(),
     at("SVDF", tensor="state", tensor_index=4), _svdf(1, True).build()),
    ("rnn state not a variable", rnn(False), at("RNN", tensor="h", tensor_index=4), rnn(True)),
    ("split num_splits 0", split(0, 1), at("SPLIT"), split(1, 1)),
    ("split more than its outputs", split(3, 2), at("SPLIT"), split(2, 2)),
    ("split fewer than its outputs", split(1, 2), at("SPLIT"), split(2, 2)),
    ("split uneven", split(3, 3, width=4), at("SPLIT", tensor="x", tensor_index=1),
     split(2, 2, width=4)),
    ("split axis", split(2, 2, axis=2), at("SPLIT", tensor="axis", tensor_index=0),
     split(2, 2, axis=-1)),
    ("reduction axis", reduction([-3]), at("SUM", tensor="axis", tensor_index=1),
     reduction([-2, 1])),
    ("expand_dims axis", expand_dims(3), at("EXPAND_DIMS", tensor="axis", tensor_index=1),
     expand_dims(-3)),
    ("concatenation axis", concatenation(2), at("CONCATENATION"), concatenation(-1)),
    ("gather index", gather(4), at("GATHER", tensor="indices", tensor_index=1), gather(3)),
    ("gather axis", gather(0, axis=2), at("GATHER"), gather(1, axis=-1)),
    ("segment ids skip", segment_sum([0, 0, 2, 2]),
     at("SEGMENT_SUM", tensor="segment_ids", tensor_index=1), segment_sum([0, 0, 1, 1])),
    ("int32 divisor 0", divide(0), at("DIV", tensor="d", tensor_index=1), divide(2)),
    ("int8 divisor at its zero point", divide(3, "INT8", zero_point=3),
     at("DIV", tensor="d", tensor_index=1), divide(0, "INT8", zero_point=3)),
    ("gather_nd index", gather_nd([4, 0]), at("GATHER_ND", tensor="indices", tensor_index=1),
     gather_nd([3, 1])),
    ("gather_nd empty params", gather_nd([0], params=(2, 0)),
     at("GATHER_ND", tensor="params", tensor_index=0), gather_nd([1], params=(2, 2))),
    ("scatter_nd index", scatter_nd([-1]), at("SCATTER_ND", tensor="indices", tensor_index=0),
     scatter_nd([3])),
    ("lsh_projection no rows", lsh_projection(0), at("LSH_PROJECTION", tensor="x",
                                                     tensor_index=1), lsh_projection(1)),
    ("concatenation size overflows", concatenate_int8(1 << 30), at("CONCATENATION"),
     concatenate_int8(4)),
    ("int8 fully_connected weights without scales", int8_fully_connected(False),
     at("FULLY_CONNECTED", tensor="w", tensor_index=1), int8_fully_connected(True)),
    ("fully_connected weights_format unknown", fully_connected_options(weights_format=2),
     at("FULLY_CONNECTED"), fully_connected_options(weights_format=0)),
    ("fully_connected quantized_bias_type unknown",
     fully_connected_options(quantized_bias_type=-1), at("FULLY_CONNECTED"),
     fully_connected_options(quantized_bias_type=2)),
    ("while with more inputs than its subgraphs", while_operands(inputs=2), at("WHILE"),
     while_operands()),
    ("index -1 in ADD", add(-1), at("ADD"), add(0)),
    ("index -1 in RESHAPE's shape", reshape(-1), at("RESHAPE"), reshape(1)),
    ("index -1 in CONV_2D's input", conv_without_input(), at("CONV_2D"), conv()),
    ("while calls its own subgraph", while_loop(0, 0), at("WHILE"), while_loop(1, 2)),
    ("while body is its caller", while_loop(1, 0), at("WHILE"), while_loop(1, 2)),
    ("while body calls back to main", while_loop(1, 2, body_calls_main=True),
     at("WHILE") | at("WHILE", subgraph=2), while_loop(1, 2)),
]


@pytest.mark.parametrize("name, bad, expected, good", CASES, ids=[c[0] for c in CASES])
def test_check_finds_exactly_the_defect(name, bad, expected, good):
    assert found(bad) == expected
    assert found(good) == set()


def test_optional_bias_of_fully_connected_is_accepted():
    assert found(fully_connected(-1)) == set()


def test_space_to_batch_zero_names_the_tflite_micro_crash():
    data = cve_models.REPRODUCERS["CVE-2021-29597"]()
    [finding] = lint_bytes(data, **SETTINGS)
    assert finding.severity == "error"
    assert finding.message == (
        "the constant block_shape [2, 0] holds a 0: LiteRT refuses it "
        "(tflite/kernels/space_to_batch_nd.cc ResizeOutputTensor); TFLite Micro divides by "
        "zero (SIGFPE) [CVE-2021-29597]")


def test_rule_is_preview():
    findings = lint_bytes(conv(stride=0), **{"runtime-version": "2.21"})
    assert "TFL009" not in {finding.rule for finding in findings}


def conv_of_an_add(file_type: str) -> bytes:
    """ADD of a float input with itself into `h`, which the file types `file_type`, then a
    float CONV_2D of `h` (its filter and bias without quantization)."""
    model = ModelBuilder()
    main = model.subgraph()
    x, h = main.tensor("x", [1, 4, 4, 1]), main.tensor("h", [1, 4, 4, 1], file_type)
    main.op("ADD", [x, x], [h], options=("AddOptions", {}))
    w = main.constant("w", np.ones((1, 1, 1, 1), np.float32))
    b = main.constant("b", np.zeros(1, np.float32))
    y = main.tensor("y", [1, 4, 4, 1])
    main.op("CONV_2D", [h, w, b], [y], options=("Conv2DOptions", {"stride_w": 1,
                                                                  "stride_h": 1}))
    main.inputs, main.outputs = [x], [y]
    return model.build()


def test_the_type_an_earlier_prepare_writes_is_the_one_judged(tmp_path):
    """ADD's Prepare gives `h` its input's type, FLOAT32, whatever the file says (INT16):
    the CONV_2D after it is a float one and needs no quantization; ai-edge-litert runs it."""
    assert found(conv_of_an_add("INT16")) == set()
    if importlib.util.find_spec("ai_edge_litert") is None:
        pytest.skip("needs ai-edge-litert: pip install -e .[oracle]")
    sys.path.insert(0, str(REPO / "tools"))
    import cve_catalogue

    path = tmp_path / "model.tflite"
    path.write_bytes(conv_of_an_add("INT16"))
    assert cve_catalogue.run_runtime("litert", path) == "ran"


def test_every_check_has_a_known_kind_ops_and_sources():
    special = {"call_cycle", "optional_input"}
    for check in DATA["check"]:
        assert check["kind"] in set(KINDS) | special, check["id"]
        assert check["litert"] in ("refuses", "crashes (SIGSEGV)",
                                   "refuses or crashes (SIGSEGV)", "ran"), check["id"]
        if check["litert"] == "ran":  # reported only for TFLite Micro: it must fail there
            assert check["tflm"].startswith(("crashes", "refuses")), check["id"]
        assert any(source in check["litert_source"] for source in (
            "tflite/kernels/", "tflite/core/api/flatbuffer_conversions.cc")), check["id"]
        for op in check.get("ops", ()):
            assert op in OPS, op
    for op in DATA["optional_inputs"]:
        if op not in ("any", "any_prefix"):
            assert op in OPS, op


def test_the_data_agrees_with_the_recorded_runtime_outcomes():
    """A check that says LiteRT crashes names CVEs whose reproducer crashed ai-edge-litert;
    one that says it refuses, CVEs it refused; TFLite Micro's crash likewise."""
    words = {"refuses": "refused", "crashes (SIGSEGV)": "crashed: SIGSEGV",
             "divides by zero (SIGFPE)": "crashed: SIGFPE", "ran": "ran"}
    for check in DATA["check"]:
        for cve in check["cves"]:
            for runtime in ("litert", "tflm"):
                if runtime in check:
                    outcomes = OUTCOMES[cve][runtime]
                    assert any(o.startswith(words[check[runtime]]) for o in outcomes), \
                        (check["id"], cve, runtime, outcomes)


def test_every_cve_it_names_is_caught_by_it():
    for check in DATA["check"]:
        for cve in check["cves"]:
            errors = {rule for rule, _ in OUTCOMES[cve]["tfllint"]["errors"]}
            assert "TFL009" in errors, (check["id"], cve)


# What a finding's message says each runtime does -> the start of the recorded outcome.
CLAIMS = {"LiteRT refuses it": ("litert", "refused"),
          "LiteRT crashes (SIGSEGV)": ("litert", "crashed: SIGSEGV"),
          "TFLite Micro crashes (SIGSEGV)": ("tflm", "crashed: SIGSEGV"),
          "TFLite Micro divides by zero (SIGFPE)": ("tflm", "crashed: SIGFPE")}


@pytest.mark.parametrize("name, bad, expected, good", CASES, ids=[c[0] for c in CASES])
def test_runtimes_do_what_the_finding_says(name, bad, expected, good, tmp_path):
    """Differential: the bad model in ai-edge-litert (and tflite-micro) in a child process
    does what the finding's message says; the valid neighbour runs in ai-edge-litert and
    crashes neither runtime."""
    pytest.importorskip("ai_edge_litert", reason="needs ai-edge-litert: pip install -e .[oracle]")
    pytest.importorskip("tflite_micro", reason="needs tflite-micro: pip install -e .[oracle]")
    sys.path.insert(0, str(REPO / "tools"))
    import cve_catalogue

    messages = [finding.message for finding in lint_bytes(bad, **SETTINGS)]
    claims = [claim for text, claim in CLAIMS.items() if any(text in m for m in messages)]
    assert claims and claims[0][0] == "litert", messages
    path = tmp_path / "model.tflite"
    path.write_bytes(bad)
    for runtime, outcome in claims:
        if runtime == "litert" and any("or crashes (SIGSEGV)" in m for m in messages):
            outcome = ("refused", "crashed: SIGSEGV")
        assert cve_catalogue.run_runtime(runtime, path).startswith(outcome), (runtime, outcome)
    path.write_bytes(good)
    assert cve_catalogue.run_runtime("litert", path) == "ran"
    assert not cve_catalogue.run_runtime("tflm", path).startswith("crashed")


def test_mutations_of_a_sample_model_agree_with_litert(tmp_path):
    """bench/op_parameters_agreement.py on one sample model (each mutation once, in a child
    process): TFL009 gives an error exactly when ai-edge-litert refuses or crashes."""
    pytest.importorskip("ai_edge_litert", reason="needs ai-edge-litert: pip install -e .[oracle]")
    sys.path[:0] = [str(REPO / "tools"), str(REPO / "bench")]
    import cve_catalogue
    import op_parameters_agreement as bench

    disagree, count = [], 0
    for description, data in bench.mutations((REPO / "models" / "cnn_int8.tflite").read_bytes()):
        path = tmp_path / "mutated.tflite"
        path.write_bytes(data)
        count += 1
        outcome = cve_catalogue.run_runtime("litert", path)
        if bench.linted(path) != (outcome != "ran"):
            disagree.append((description, outcome))
    assert count >= 20 and disagree == []


def dequantized_filter_conv(file_channels: int) -> bytes:
    """x [1, 4, 4, 1] -> CONV_2D with a filter DEQUANTIZE writes from int8 weights
    [1, 3, 3, 1]; the file gives the DEQUANTIZE output `file_channels` input channels."""
    model = ModelBuilder()
    main = model.subgraph()
    x = main.tensor("x", [1, 4, 4, 1])
    weights = main.constant("w_q", np.ones((1, 3, 3, 1), np.int8), "INT8",
                            scale=[0.5], zero_point=[0])
    filter_ = main.tensor("w", [1, 3, 3, file_channels])
    bias = main.constant("b", np.zeros(1, np.float32))
    y = main.tensor("y", [1, 4, 4, 1])
    main.op("DEQUANTIZE", [weights], [filter_])
    main.op("CONV_2D", [x, filter_, bias], [y], options=(
        "Conv2DOptions", {"padding": 0, "stride_w": 1, "stride_h": 1,
                          "dilation_w_factor": 1, "dilation_h_factor": 1}))
    main.inputs, main.outputs = [x], [y]
    return model.build()


def test_a_size_another_op_computes_is_not_judged(tmp_path):
    """The file's 0 channels of a DEQUANTIZE'd filter do not count: DEQUANTIZE's Prepare
    resizes its output from the weights, and ai-edge-litert runs the model (a false error
    the semantic fuzz harness found)."""
    bad_in_file = dequantized_filter_conv(0)
    assert found(bad_in_file) == set() and found(dequantized_filter_conv(1)) == set()
    pytest.importorskip("ai_edge_litert", reason="needs ai-edge-litert: pip install -e .[oracle]")
    sys.path.insert(0, str(REPO / "tools"))
    import cve_catalogue

    path = tmp_path / "model.tflite"
    path.write_bytes(bad_in_file)
    assert cve_catalogue.run_runtime("litert", path) == "ran"
