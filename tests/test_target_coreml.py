"""The `coreml` target: exact verdicts and reason codes for every kind of constraint in
rules/targets/coreml.toml, on tiny built models and on the samples."""
from __future__ import annotations

import json

import numpy as np
import pytest
from builder import ModelBuilder
from conftest import MODELS, target_result, verdicts
from test_target_gpu import chain, const, single


F = "FLOAT32"
IMAGE = [1, 8, 8, 4]
SIGN_BIT, RELU, SYMMETRIC, SHUFFLED = 5, 1, 1, 1  # schema enum values


def coreml(data: bytes, **settings):
    return target_result(data, "coreml", settings)


def conv(weights: np.ndarray, *, activation: int = 0, weights_dtype: str = F,
         constant_weights: bool = True) -> bytes:
    """x [1,8,8,4] -> CONV_2D(weights, bias) -> RELU: two ops, so one partition of 2."""
    model = ModelBuilder()
    main = model.subgraph()
    x = main.tensor("x", IMAGE)
    if constant_weights:
        w = const(main, "w", weights, weights_dtype) if weights_dtype != "INT8" else \
            main.constant("w", weights.astype(np.int8), "INT8", scale=[0.1], zero_point=[0])
    else:
        w = main.tensor("w", weights.shape)
    bias = const(main, "bias", np.zeros(weights.shape[0]))
    channels = weights.shape[0]
    y, z = main.tensor("y", [1, 8, 8, channels]), main.tensor("z", [1, 8, 8, channels])
    main.op("CONV_2D", [x, w, bias], [y], options=("Conv2DOptions", {
        "stride_w": 1, "stride_h": 1, "fused_activation_function": activation}))
    main.op("RELU", [y], [z])
    main.inputs, main.outputs = ([x] if constant_weights else [x, w]), [z]
    return model.build()


def then_relu(main, outputs):
    """Append a RELU so the op under test is in a partition of two."""
    relu_out = main.tensor("relu", main.tensors[outputs[0]]["shape"])
    main.op("RELU", [outputs[0]], [relu_out])
    return [relu_out]


def first(result):
    return verdicts(result)[0]


# -- the model and the versions -----------------------------------------------------------

def test_integer_models_are_refused_as_a_whole():
    result = coreml((MODELS / "cnn_int8.tflite").read_bytes())
    assert [r.code for r in result.model_reasons] == ["quantization"]
    assert result.model_reasons[0].message == (
        "the LiteRT Core ML delegate needs a float model; this model is full integer (int8)")
    assert result.ops_on_target == 0 and result.blocked


def test_op_versions_one_except_depthwise_and_fully_connected():
    assert first(coreml(single("TANH", [("x", IMAGE, F)], IMAGE, version=2, extra=then_relu))
                 ) == (0, "TANH", "cpu", ("version",))
    fc = single("FULLY_CONNECTED", [("x", [1, 8], F), ("w", np.ones((4, 8)), F, "const"),
                                    ("b", np.zeros(4), F, "const")], [1, 4], version=6,
                options=("FullyConnectedOptions", {}), extra=then_relu)
    assert first(coreml(fc)) == (0, "FULLY_CONNECTED", "target", ())
    fc7 = single("FULLY_CONNECTED", [("x", [1, 8], F), ("w", np.ones((4, 8)), F, "const"),
                                     ("b", np.zeros(4), F, "const")], [1, 4], version=7,
                 options=("FullyConnectedOptions", {}), extra=then_relu)
    assert first(coreml(fc7)) == (0, "FULLY_CONNECTED", "cpu", ("version",))
    assert coreml(fc7).ops[0].reasons[0].message == (
        "version 7; the LiteRT Core ML delegate runs versions 1..6")


def test_not_listed_ops_and_listed_unsupported_ops_with_a_fix():
    result = coreml(chain("RELU", "EXP", "LEAKY_RELU"))
    assert verdicts(result) == [(0, "RELU", "cpu", ("partition",)),
                                (1, "EXP", "cpu", ("not-listed",)),
                                (2, "LEAKY_RELU", "cpu", ("not-listed",))]
    assert result.ops[1].reasons[0].tool is None  # the delegate prints no reason
    assert result.ops[2].fix.startswith("Write it as RELU(x) + (-alpha) * RELU(-1 * x)")


def test_data_input_must_be_float32():
    result = coreml(single("RELU", [("x", [1, 8], "INT32")], [1, 8], "INT32", extra=then_relu))
    assert verdicts(result)[0] == (0, "RELU", "cpu", ("coreml-float-input",))
    assert result.ops[0].reasons[0].message == (
        "input 0 ('x') is INT32; Core ML runs only ops whose data input is FLOAT32")


# -- convolutions and fully connected -----------------------------------------------------

def test_convolution_weights_constant_float_and_no_sign_bit():
    weights = np.ones((4, 3, 3, 4))
    assert verdicts(coreml(conv(weights))) == [(0, "CONV_2D", "target", ()),
                                               (1, "RELU", "target", ())]
    assert first(coreml(conv(weights, constant_weights=False))) == (
        0, "CONV_2D", "cpu", ("non-constant",))
    assert first(coreml(conv(weights, weights_dtype="INT8"))) == (
        0, "CONV_2D", "cpu", ("weight-dtype",))
    assert first(coreml(conv(weights, activation=SIGN_BIT))) == (
        0, "CONV_2D", "cpu", ("fused-activation",))
    assert first(coreml(conv(weights, activation=RELU)))[2] == "target"


def test_kernel_dimensions_at_most_16384():
    result = coreml(conv(np.ones((1, 1, 16385, 4))))
    assert first(result) == (0, "CONV_2D", "cpu", ("coreml-kernel-size",))
    assert result.ops[0].reasons[0].message == (
        "weights [1, 1, 16385, 4]: kernel dimensions may be at most 16384")


def test_fully_connected_single_batch_and_weights_format():
    rows = single("FULLY_CONNECTED", [("x", [2, 8], F), ("w", np.ones((4, 8)), F, "const")],
                  [2, 4], options=("FullyConnectedOptions", {}), extra=then_relu)
    assert first(coreml(rows)) == (0, "FULLY_CONNECTED", "cpu", ("coreml-single-batch",))
    shuffled = single("FULLY_CONNECTED", [("x", [1, 8], F), ("w", np.ones((4, 8)), F, "const")],
                      [1, 4], options=("FullyConnectedOptions", {"weights_format": SHUFFLED}),
                      extra=then_relu)
    assert first(coreml(shuffled)) == (0, "FULLY_CONNECTED", "cpu", ("option",))


# -- the other ops ------------------------------------------------------------------------

CASES = {
    "add across height only": (
        lambda: single("ADD", [("a", IMAGE, F), ("b", [1, 8, 1, 4], F)], IMAGE, extra=then_relu),
        ("coreml-binary-broadcast",), None),
    "add of channels broadcast": (
        lambda: single("ADD", [("a", IMAGE, F), ("b", [1, 1, 1, 4], F)], IMAGE, extra=then_relu),
        (), None),
    "mul over batch by a computed tensor": (
        lambda: single("MUL", [("a", [2, 8, 8, 4], F), ("b", [1, 8, 8, 4], F)], [2, 8, 8, 4],
                       options=("MulOptions", {}), extra=then_relu),
        ("coreml-binary-broadcast",), None),
    "pooling with a fused relu": (
        lambda: single("MAX_POOL_2D", [("x", IMAGE, F)], [1, 4, 4, 4], extra=then_relu,
                       options=("Pool2DOptions", {"stride_w": 2, "stride_h": 2,
                                                  "filter_width": 2, "filter_height": 2,
                                                  "fused_activation_function": RELU})),
        ("fused-activation",), None),
    "concatenation on height": (
        lambda: single("CONCATENATION", [("a", IMAGE, F), ("b", IMAGE, F)], [1, 16, 8, 4],
                       options=("ConcatenationOptions", {"axis": 1}), extra=then_relu),
        ("coreml-concat-axis",), None),
    "concatenation on channels": (
        lambda: single("CONCATENATION", [("a", IMAGE, F), ("b", IMAGE, F)], [1, 8, 8, 8],
                       options=("ConcatenationOptions", {"axis": -1}), extra=then_relu),
        (), None),
    "pad of the batch": (
        lambda: single("PAD", [("x", IMAGE, F), ("p", [[1, 0], [0, 0], [0, 0], [0, 0]], "INT32",
                                                  "const")], [2, 8, 8, 4], extra=then_relu),
        ("coreml-paddings",), "p: Padding for batch dimension is not supported in PAD."),
    "pad of height and width": (
        lambda: single("PAD", [("x", IMAGE, F), ("p", [[0, 0], [1, 1], [1, 1], [0, 0]], "INT32",
                                                  "const")], [1, 10, 10, 4], extra=then_relu),
        (), None),
    "mirror pad symmetric": (
        lambda: single("MIRROR_PAD", [("x", IMAGE, F), ("p", [[0, 0], [1, 1], [1, 1], [0, 0]],
                                                        "INT32", "const")], [1, 10, 10, 4],
                       options=("MirrorPadOptions", {"mode": SYMMETRIC}), extra=then_relu),
        ("coreml-paddings",), "Only REFLECT mode is supported for MIRROR_PAD."),
    "mean over channels": (
        lambda: single("MEAN", [("x", IMAGE, F), ("axes", [3], "INT32", "const")], [1, 8, 8, 1],
                       options=("ReducerOptions", {"keep_dims": True}), extra=then_relu),
        ("coreml-mean-axes",), "Mean op should reduce for H and W dimensions."),
    "mean without keep_dims": (
        lambda: single("MEAN", [("x", IMAGE, F), ("axes", [1, 2], "INT32", "const")], [1, 4],
                       options=("ReducerOptions", {}), extra=then_relu),
        ("coreml-mean-axes",), "keep_dims should be true for Mean op."),
    "global average by mean": (
        lambda: single("MEAN", [("x", IMAGE, F), ("axes", [1, 2], "INT32", "const")],
                       [1, 1, 1, 4], options=("ReducerOptions", {"keep_dims": True}),
                       extra=then_relu),
        (), None),
    "reshape on core ml 3": (
        lambda: single("RESHAPE", [("x", IMAGE, F), ("s", [1, 256], "INT32", "const")], [1, 256],
                       extra=then_relu),
        ("coreml-reshape",), None),
    "softmax with beta 2": (
        lambda: single("SOFTMAX", [("x", [1, 8], F)], [1, 8],
                       options=("SoftmaxOptions", {"beta": 2.0}), extra=then_relu),
        ("option",), None),
    "resize to a computed size": (
        lambda: single("RESIZE_BILINEAR", [("x", IMAGE, F), ("size", [2], "INT32")],
                       [1, 16, 16, 4], options=("ResizeBilinearOptions", {}), extra=then_relu),
        ("coreml-static-tensors", "coreml-resize-size"),
        "Output size of ResizeBilinear should be constant."),
}


@pytest.mark.parametrize("case", list(CASES))
def test_core_ml_rule(case):
    build, codes, tool = CASES[case]
    result = coreml(build())
    expected = "target" if not codes else "cpu"
    assert first(result)[2:] == (expected, codes)
    if tool is not None:
        assert result.ops[0].reasons[-1].tool == tool


# -- partitions ---------------------------------------------------------------------------

def test_partitions_of_one_op_stay_on_the_cpu():
    result = coreml(chain("RELU", "EXP", "RELU", "TANH", "EXP", "LOGISTIC"))
    assert verdicts(result) == [
        (0, "RELU", "cpu", ("partition",)), (1, "EXP", "cpu", ("not-listed",)),
        (2, "RELU", "target", ()), (3, "TANH", "target", ()),
        (4, "EXP", "cpu", ("not-listed",)), (5, "LOGISTIC", "cpu", ("partition",))]
    assert result.ops[0].reasons[0].message == (
        "supported, but in a partition of 1 op(s), fewer than the 2 the LiteRT Core ML delegate "
        "needs to delegate a partition (min_nodes_per_partition)")
    assert (result.partitions, result.ops_on_target) == (1, 2)


def test_every_partition_of_two_or_more_is_delegated():
    result = coreml(chain("RELU", "TANH", "EXP", "RELU", "TANH", "EXP", "RELU6", "LOGISTIC"))
    assert [v.verdict for v in result.ops] == ["target", "target", "cpu"] * 2 + ["target"] * 2
    assert result.partitions == 3


# -- float16 weights and the samples ------------------------------------------------------

def test_float16_weights_are_folded_and_count_as_constant():
    result = coreml((MODELS / "cnn_float16.tflite").read_bytes())
    assert [(v.op, v.verdict) for v in result.ops if v.verdict != "target"] == [("RESHAPE", "cpu")]
    assert (result.ops_on_target, result.ops_total, result.partitions) == (18, 19, 2)


SAMPLES = {  # model: (ops on Core ML, ops, model reasons, {(subgraph, op): codes})
    "cnn_float16": (18, 19, [], {(0, 16): ("coreml-reshape",)}),
    "cnn_float32": (8, 9, [], {(0, 6): ("coreml-reshape",)}),
    "cnn_int8": (0, 9, ["quantization"], None),
    "cnn_int8_metadata": (0, 9, ["quantization"], None),
    "cnn_int8_uint8io": (0, 11, ["quantization"], None),
    "dense_dynamic_range": (0, 3, ["quantization"], None),
    "dynamic_batch": (3, 3, [], {}),
    "flex_op": (2, 3, [], {(0, 0): ("not-listed",)}),
    "micro_int8": (0, 3, ["quantization"], None),
    "two_inputs": (4, 5, [], {(0, 4): ("not-listed",)}),
    "while_loop": (3, 6, [], {(0, 0): ("not-listed",), (1, 0): ("not-listed",),
                              (2, 0): ("coreml-float-input", "coreml-binary-broadcast")}),
}


def test_every_sample_model_end_to_end(run_cli):
    code, out, err = run_cli(MODELS, "--no-config", "--target", "coreml", "--format", "json")
    assert code in (0, 1), err
    seen = {}
    for report in json.loads(out)["models"]:
        name = report["path"].rsplit("/", 1)[-1][:-len(".tflite")]
        target = report["targets"]["coreml"]
        reasons = [r["code"] for r in target["model_reasons"]]
        off = {(o["subgraph"], o["op_index"]): tuple(r["code"] for r in o["reasons"])
               for o in target["ops"] if o["verdict"] != "target"}
        seen[name] = (target["ops_on_target"], target["ops_total"], reasons,
                      None if reasons else off)
    assert seen == SAMPLES
    assert "CoreML delegate: 8 nodes delegated out of 9 nodes, with 2 partitions." in [
        json.loads(out)["models"][i]["targets"]["coreml"]["summary"]
        for i in range(len(SAMPLES))]
