"""TFL205-TFL210 (quantization parameters, non-finite constants) beyond their examples.

Exact (rule, location) pairs and messages; at the end, a differential check against
LiteRT (`ai_edge_litert`, skipped when absent) of what the messages say the runtime does.
"""
from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import pytest
from builder import ModelBuilder, relu_model
from conftest import lint_bytes
from rule_examples.tfl209 import int8_conv

from tfllint.engine.rule import Location

SETTINGS = {"runtime-version": "2.21", "ignore": ["TFL213"]}  # see rule_examples/tfl209.py
OURS = ("TFL205", "TFL206", "TFL207", "TFL208", "TFL209", "TFL210")
# Tensor types newer than the `tflite` bindings, by their schema.fbs values.
NEWER_TYPES = {"INT2": 19, "UINT4": 20}


def findings(data: bytes, **settings) -> dict[tuple[str, Location], list[str]]:
    """Our rules' findings: (rule, location) -> messages; every place of a finding of one
    cause at several places has the finding's message."""
    found: dict[tuple[str, Location], list[str]] = {}
    for finding in lint_bytes(data, **{**SETTINGS, **settings}):
        if finding.rule in OURS:
            for location in finding.locations:
                found.setdefault((finding.rule, location), []).append(finding.message)
    return found


def only(data: bytes, **settings) -> tuple[tuple[str, Location], str]:
    """The one finding of our rules, as ((rule, location), message)."""
    found = findings(data, **settings)
    assert len(found) == 1 and len(next(iter(found.values()))) == 1, found
    key, (message,) = next(iter(found.items()))
    return key, message


def at(name: str, index: int) -> Location:
    return Location(subgraph=0, tensor=name, tensor_index=index)


def at_op(index: int, op: str, name: str, tensor: int) -> Location:
    return Location(subgraph=0, op_index=index, op=op, tensor=name, tensor_index=tensor)


def dense(*, input_dtype: str = "INT8", input_scale: float = 0.5,
          weights_scale=(0.25,), weights_zero_point=None, bias_scale=None, bias_zero_point=None,
          bias_dtype: str = "INT32", output_scale: float = 1.0,
          weights_constant: bool = True, weights_dtype: str = "INT8") -> bytes:
    """x [1, 4] -> FULLY_CONNECTED (weights [2, 4], bias [2]) -> y [1, 2]."""
    model = ModelBuilder()
    main = model.subgraph()
    quantized_input = input_dtype != "FLOAT32"
    x = main.tensor("x", [1, 4], input_dtype,
                    **(dict(scale=[input_scale], zero_point=[0]) if quantized_input else {}))
    weights_zero_point = weights_zero_point or [0] * len(weights_scale)
    if weights_constant:
        w = main.constant("w", np.ones((2, 4), np.int8), weights_dtype,
                          scale=list(weights_scale), zero_point=list(weights_zero_point))
    else:
        w = main.tensor("w", [2, 4], weights_dtype, scale=list(weights_scale),
                        zero_point=list(weights_zero_point))
    if bias_dtype == "FLOAT32":
        b = main.constant("b", np.zeros(2, np.float32))
    else:
        bias_scale = bias_scale or [input_scale * s for s in weights_scale]
        b = main.constant("b", np.array([10, 10], np.dtype(bias_dtype.lower())), bias_dtype,
                          scale=list(bias_scale),
                          zero_point=list(bias_zero_point or [0] * len(bias_scale)))
    y = main.tensor("y", [1, 2], input_dtype,
                    **(dict(scale=[output_scale], zero_point=[0]) if quantized_input else {}))
    main.op("FULLY_CONNECTED", [x, w, b], [y], version=4 if quantized_input else 1)
    main.inputs = [x, w] if not weights_constant else [x]
    main.outputs = [y]
    return model.build()


# -- TFL205 invalid-quantization-scale ------------------------------------------------------

def test_nan_and_infinite_activation_scales_are_reported_per_tensor():
    model = ModelBuilder()
    main = model.subgraph()
    x = main.tensor("x", [1, 4], "INT8", scale=[float("nan")], zero_point=[0])
    y = main.tensor("y", [1, 4], "INT8", scale=[float("inf")], zero_point=[0])
    main.op("RELU", [x], [y])
    main.inputs, main.outputs = [x], [y]
    # one cause (invalid INT8 scales), both places, the first as the example
    message = ("tensor 'x' (#0), INT8: scale is nan; a quantization scale must be a positive "
               "finite number (and 1 more alike)")
    assert findings(model.build()) == {("TFL205", at("x", 0)): [message],
                                       ("TFL205", at("y", 1)): [message]}


def test_negative_per_channel_scales_name_the_first_and_the_count():
    key, message = only(int8_conv(weight_scales=[-0.25, -0.125], bias_scales=[0.125, 0.0625]))
    assert key == ("TFL205", at("w", 1))
    assert message == ("tensor 'w' (#1), INT8: scale[0] is -0.25 (2 of 2 scales); a "
                       "quantization scale must be a positive finite number")


def test_zero_scale_of_an_all_zero_channel_says_so():
    weights = np.arange(54, dtype=np.int8).reshape(2, 3, 3, 3) - 27
    weights[1] = 0
    _, message = only(int8_conv(weights=weights, weight_scales=[0.25, 0.0],
                                bias_scales=[0.125, 0.0625]))
    assert message.endswith("scale[1] is 0 (1 of 2 scales); a quantization scale must be a "
                            "positive finite number; channel 1 of its data is all zeros")
    # Along dimension 3 (depthwise layout) the channel is a different slice.
    weights = np.ones((1, 3, 3, 2), np.int8)
    weights[..., 0] = 0
    model = ModelBuilder()
    main = model.subgraph()
    w = main.constant("w", weights, "INT8", scale=[0.0, 0.5], zero_point=[0, 0],
                      quantized_dimension=3)
    main.outputs = [w]
    assert only(model.build())[1].endswith("channel 0 of its data is all zeros")


def test_zero_per_tensor_scale_of_all_zero_data_says_so_and_of_other_data_does_not():
    def model_with(values: np.ndarray) -> bytes:
        model = ModelBuilder()
        main = model.subgraph()
        main.outputs = [main.constant("c", values, "INT8", scale=[0.0], zero_point=[0])]
        return model.build()

    assert only(model_with(np.zeros(4, np.int8)))[1].endswith("; its data is all zeros")
    assert only(model_with(np.ones(4, np.int8)))[1].endswith("positive finite number")


def test_scales_on_float_tensors_are_not_quantization():
    assert findings(relu_model(scale=[0.0], zero_point=[0]).build()) == {}


# -- TFL206 zero-point-out-of-range ---------------------------------------------------------

@pytest.mark.parametrize("dtype, zero_point, allowed", [
    ("UINT8", 256, "0..255"), ("UINT8", -1, "0..255"), ("INT8", -129, "-128..127"),
    ("INT16", 5, "0 (int16 quantization is symmetric); LiteRT's int16 kernels refuse it at "
                 "allocate_tensors()"),
    ("INT4", 8, "-8..7"),
    ("INT2", 2, "-2..1"), ("UINT4", 16, "0..15"),
    ("INT32", 2 ** 31, "-2147483648..2147483647"),
])
def test_zero_point_outside_the_type_range(dtype, zero_point, allowed):
    data = relu_model(dtype=NEWER_TYPES.get(dtype, dtype), scale=[0.5],
                      zero_point=[zero_point]).build()
    message = (f"tensor 'x' (#0), {dtype}: zero_point is {zero_point}; {dtype} takes "
               f"{allowed} (and 1 more alike)")  # one cause at both tensors
    assert findings(data) == {
        ("TFL206", Location(subgraph=0, tensor=name, tensor_index=index)): [message]
        for index, name in enumerate(("x", "y"))}


@pytest.mark.parametrize("dtype, zero_point", [
    ("UINT8", 255), ("UINT8", 0), ("INT8", -128), ("INT16", 0), ("INT4", -8), ("INT2", 1)])
def test_zero_point_at_the_edge_of_the_range_is_fine(dtype, zero_point):
    data = relu_model(dtype=NEWER_TYPES.get(dtype, dtype), scale=[0.5],
                      zero_point=[zero_point]).build()
    assert findings(data) == {}


def test_every_zero_point_range_holds_zero():
    """TFL206 passes over all-zero zero points without looking up their type's range."""
    from tfllint.rules._quant_params import ZERO_POINT_RANGES

    assert all(low <= 0 <= high for low, high in ZERO_POINT_RANGES.values())


def test_per_channel_int4_weights_may_carry_zero_point_8_but_not_per_tensor():
    def int4_constant(scales, zero_points) -> bytes:
        model = ModelBuilder()
        main = model.subgraph()
        main.outputs = [main.tensor("w", [2, 2], "INT4", data=bytes(2), scale=scales,
                                    zero_point=zero_points)]
        return model.build()

    assert findings(int4_constant([0.5, 0.5], [8, 8])) == {}
    assert only(int4_constant([0.5], [8]))[0] == ("TFL206", at("w", 0))


def test_per_channel_zero_points_name_the_first_bad_one_and_the_count():
    weights = np.ones((3, 4), np.int8)
    model = ModelBuilder()
    main = model.subgraph()
    main.outputs = [main.constant("w", weights, "UINT8", scale=[0.1] * 3,
                                  zero_point=[0, 300, -4])]
    assert only(model.build())[1] == ("tensor 'w' (#0), UINT8: zero_point[1] is 300 (2 of 3 "
                                      "zero points); UINT8 takes 0..255")


# -- TFL207 per-channel-scale-count-mismatch ------------------------------------------------

def test_scale_and_zero_point_counts_differ():
    key, message = only(int8_conv(weight_zero_points=[0], bias_scales=[0.125, 0.0625]))
    assert key == ("TFL207", at("w", 1))
    assert message == (
        "tensor 'w' (#1) has 2 scales but 1 zero point; LiteRT refuses the model: "
        "\"QuantizationParam has 1 zero_point values and 2 scale values. Must have same "
        "number.\", then \"Tensor 1 has invalid quantization parameters.\"")


def test_scales_without_zero_points_quote_both_runtime_wordings():
    model = ModelBuilder()
    main = model.subgraph()
    main.outputs = [main.tensor("c", [2], "INT8", data=bytes(2), scale=[0.5], zero_point=[])]
    _, message = only(model.build())
    assert "has 1 scale but no zero points" in message
    assert "\"Quantization parameters has non-null scale but null zero_point.\"" in message


@pytest.mark.parametrize("dimension", [4, -1])
def test_quantized_dimension_outside_the_rank_even_per_tensor(dimension):
    key, message = only(int8_conv(weight_scales=[0.25], weight_dimension=dimension,
                                  bias_scales=[0.125]))
    assert key == ("TFL207", at("w", 1))
    assert (f"has quantized_dimension {dimension} but rank 4 (shape [2, 3, 3, 3]); LiteRT "
            f"refuses the model: \"quantized_dimension must be in range [0, 4). Was "
            f"{dimension}.\"") in message


def test_rank_zero_tensors_skip_the_dimension_checks_as_litert_does():
    model = ModelBuilder()
    main = model.subgraph()
    main.outputs = [main.tensor("s", [], "INT8", data=bytes(1), scale=[0.5, 0.5],
                                zero_point=[0, 0], quantized_dimension=3)]
    assert findings(model.build()) == {}


# -- TFL208 asymmetric-int8-weights ---------------------------------------------------------

def test_per_tensor_fully_connected_weights_with_a_zero_point_are_computed_right():
    """LiteRT's builtin int8 FULLY_CONNECTED takes a per-tensor zero point as the weights'
    offset: the model computes what the file means (the differential below), so TFL208
    says nothing; out of int8's range it does not (TFL206)."""
    assert findings(dense(weights_zero_point=[3])) == {}
    assert [key for key in findings(dense(weights_zero_point=[200]))] == \
        [("TFL206", at("w", 1))]


@pytest.mark.parametrize("zero_point, right", [(3, True), (100, True), (200, False)])
def test_litert_computes_an_int8_fully_connected_with_weight_zero_points(zero_point, right):
    """Differential: ai-edge-litert (its default kernels) against the file's numbers in
    float64: right with a zero point in int8's range, wrong with 200."""
    pytest.importorskip("ai_edge_litert.interpreter", reason="LiteRT (the oracle extra) is "
                        "not installed")
    from ai_edge_litert.interpreter import Interpreter

    x = np.array([[1, 2, 3, 4]], np.int8)
    interpreter = Interpreter(model_content=dense(weights_zero_point=[zero_point],
                                                  output_scale=64.0))
    interpreter.allocate_tensors()
    interpreter.set_tensor(interpreter.get_input_details()[0]["index"], x)
    interpreter.invoke()
    y = interpreter.get_tensor(interpreter.get_output_details()[0]["index"])
    meant = (0.5 * x @ (0.25 * (np.ones((2, 4)) - zero_point)).T + 10 * 0.125) / 64.0
    assert np.array_equal(y, np.clip(np.round(meant), -128, 127)) == right


def test_per_channel_weights_of_fully_connected_break_xnnpack():
    _, message = only(dense(weights_scale=[0.25, 0.25], weights_zero_point=[0, 4]))
    assert message.endswith("(1 of 2 channels); TFLite's int8 spec wants symmetric weights "
                            "(zero point 0); LiteRT's XNNPACK delegate fails on it and the "
                            "builtin kernels ignore it, computing wrong values")


def test_conv_weights_are_refused_and_hybrid_weights_reported_without_a_consequence():
    assert only(int8_conv(weight_zero_points=[0, 5]))[1].endswith(
        "LiteRT's CONV_2D kernel refuses it at allocate_tensors()")
    key, message = only(dense(input_dtype="FLOAT32", weights_zero_point=[2],
                              bias_dtype="FLOAT32"))
    assert key == ("TFL208", at_op(0, "FULLY_CONNECTED", "w", 1))
    assert message.endswith("wants symmetric weights (zero point 0)")


def test_out_of_range_or_non_constant_weights_are_not_tfl208s():
    assert set(findings(dense(weights_zero_point=[200]))) == {("TFL206", at("w", 1))}
    assert findings(dense(weights_zero_point=[3], weights_constant=False)) == {}


# -- TFL209 bias-scale-mismatch -------------------------------------------------------------

def test_fully_connected_bias_far_off_is_refused_by_the_kernel():
    key, message = only(dense(bias_scale=[0.25]))
    assert key == ("TFL209", at_op(0, "FULLY_CONNECTED", "b", 2))
    assert message == (
        "bias 'b' (#2) of FULLY_CONNECTED: scale is 0.25 but input scale * weight scale is "
        "0.125 (relative difference 1); LiteRT's builtin FULLY_CONNECTED kernel refuses it "
        "at allocate_tensors() (|difference| / output scale = 0.125 > 0.02)")


def test_fully_connected_bias_slightly_off_passes_the_kernel_but_is_reported():
    _, message = only(dense(bias_scale=[0.125 * 1.01]))
    assert message.endswith("(relative difference 0.01); LiteRT's kernels add the bias as "
                            "if its scale were input scale * weight scale")


def test_rounding_differences_are_within_the_tolerance_and_the_option_tightens_it():
    nearly = dense(bias_scale=[0.125 * (1 + 4e-6)])
    assert findings(nearly) == {}
    options = {"rule-options": {"TFL209": {"relative-tolerance": 1e-6}}}
    assert only(nearly, **options)[0] == ("TFL209", at_op(0, "FULLY_CONNECTED", "b", 2))


def test_a_per_tensor_bias_is_compared_with_every_weight_channel():
    _, message = only(int8_conv(bias_scales=[0.125]))
    assert message.startswith("bias 'b' (#2) of CONV_2D: scale is 0.125 but input scale * "
                              "weight scale is 0.0625 (relative difference 1; 1 of 2 channels)")


def test_int16x8_convolution_with_an_int64_bias():
    data = int8_conv(activation_dtype="INT16", input_zero_point=[0], bias_dtype="INT64",
                     bias_scales=[0.125, 0.125])
    assert only(data)[0] == ("TFL209", at_op(0, "CONV_2D", "b", 2))
    assert findings(int8_conv(activation_dtype="INT16", input_zero_point=[0],
                              bias_dtype="INT64")) == {}


def test_bias_zero_point_per_tensor_and_per_channel():
    key, message = only(int8_conv(weight_scales=[0.25], bias_scales=[0.125],
                                  bias_zero_points=[3]))
    assert key == ("TFL209", at_op(0, "CONV_2D", "b", 2))
    assert message == ("bias 'b' (#2) of CONV_2D: zero_point is 3; a quantized bias must "
                       "have zero point 0; LiteRT's CONV_2D kernel refuses it at "
                       "allocate_tensors()")
    assert only(int8_conv(bias_zero_points=[0, 3]))[1].endswith(
        "LiteRT's XNNPACK delegate fails on it and the builtin kernels ignore it")
    assert only(dense(bias_zero_point=[3]))[1].endswith("; LiteRT's kernels ignore it")


def test_transpose_conv_reads_its_input_from_position_2():
    model = ModelBuilder()
    main = model.subgraph()
    shape = main.constant("shape", np.array([1, 4, 4, 2], np.int32), "INT32")
    w = main.constant("w", np.ones((2, 3, 3, 3), np.int8), "INT8", scale=[0.25, 0.125],
                      zero_point=[0, 0])
    x = main.tensor("x", [1, 4, 4, 3], "INT8", scale=[0.5], zero_point=[0])
    b = main.constant("b", np.array([7, 7], np.int32), "INT32", scale=[0.125, 0.0625 * 3],
                      zero_point=[0, 0])
    y = main.tensor("y", [1, 4, 4, 2], "INT8", scale=[1.0], zero_point=[0])
    main.op("TRANSPOSE_CONV", [shape, w, x, b], [y], version=3,
            options=("TransposeConvOptions", dict(padding=0, stride_w=1, stride_h=1)))
    main.inputs, main.outputs = [x], [y]
    _, message = only(model.build())
    assert "scale[1] is 0.1875 but input scale * weight scale is 0.0625" in message


def test_an_all_zero_bias_shared_by_layers_of_different_scales_is_fine():
    # TensorFlow 2.21 gives a CONV_2D and the DEPTHWISE_CONV_2D after it one all-zero bias
    # tensor, whose scales are the first op's.
    model = ModelBuilder()
    main = model.subgraph()
    x = main.tensor("x", [1, 4, 4, 2], "INT8", scale=[0.5], zero_point=[0])
    w1 = main.constant("w1", np.ones((2, 1, 1, 2), np.int8), "INT8", scale=[0.25, 0.125],
                       zero_point=[0, 0])
    zeros = main.constant("zeros", np.zeros(2, np.int32), "INT32", scale=[0.125, 0.0625],
                          zero_point=[0, 0])
    h = main.tensor("h", [1, 4, 4, 2], "INT8", scale=[0.1], zero_point=[0])
    w2 = main.constant("w2", np.ones((1, 3, 3, 2), np.int8), "INT8", scale=[0.5, 0.5],
                       zero_point=[0, 0], quantized_dimension=3)
    y = main.tensor("y", [1, 4, 4, 2], "INT8", scale=[1.0], zero_point=[0])
    main.op("CONV_2D", [x, w1, zeros], [h], version=3,
            options=("Conv2DOptions", dict(padding=0, stride_w=1, stride_h=1)))
    main.op("DEPTHWISE_CONV_2D", [h, w2, zeros], [y], version=3,
            options=("DepthwiseConv2DOptions", dict(padding=0, stride_w=1, stride_h=1,
                                                    depth_multiplier=1)))
    main.inputs, main.outputs = [x], [y]
    assert findings(model.build()) == {}


def test_float_biases_and_inconsistent_counts_are_not_tfl209s():
    assert findings(dense(input_dtype="FLOAT32", bias_dtype="FLOAT32")) == {}
    assert set(findings(int8_conv(bias_scales=[0.125, 0.0625, 0.1]))) == {
        ("TFL207", at("b", 2))}


# -- TFL210 non-finite-constant -------------------------------------------------------------
# (which infinities are deliberate is checked against LiteRT and TFLM in
# test_runtime_semantics.py; here: the scan, the counts and the positions)

NAN = ": NaN propagates: every output it reaches is NaN"

def constant_model(values: bytes | np.ndarray, dtype: str, shape) -> bytes:
    model = ModelBuilder()
    main = model.subgraph()
    x = main.tensor("x", list(shape), "FLOAT32")
    c = main.tensor("c", list(shape), dtype, data=values if isinstance(values, bytes)
                    else values.tobytes())
    y = main.tensor("y", list(shape), "FLOAT32")
    main.op("ADD", [x, c], [y])
    main.inputs, main.outputs = [x], [y]
    return model.build()


def test_float16_infinity_is_counted_with_its_position():
    values = np.ones((2, 3), np.float16)
    values[1, 0] = np.inf
    values[1, 2] = -np.inf
    key, message = only(constant_model(values, "FLOAT16", (2, 3)))
    assert key == ("TFL210", at("c", 1))
    assert message == ("constant 'c' (#1), FLOAT16 [2, 3]: 0 NaN and 2 infinite values of 6, "
                       "the first at [1, 0]: float16 overflow (values above 65504 become inf) "
                       "of ADD (op 0): not a -inf mask that only reaches a softmax, so its "
                       "outputs are inf or NaN")


def test_bfloat16_and_float64_are_scanned():
    # bfloat16 is the top half of a float32: 0x7FC0 is a NaN, 0x3F80 is 1.0.
    bfloat16 = np.array([0x3F80, 0x3F80, 0x7FC0, 0x3F80], "<u2").tobytes()
    assert only(constant_model(bfloat16, "BFLOAT16", (4,)))[1].endswith(
        "1 NaN and 0 infinite values of 4, the first at [2]" + NAN)
    float64 = np.array([1.0, -np.inf, np.nan, 2.0])
    assert only(constant_model(float64, "FLOAT64", (4,)))[1].endswith(
        "1 NaN and 1 infinite values of 4, the first at [1]" + NAN)


def test_allow_infinity_keeps_only_nan():
    infinite = np.array([1.0, -np.inf, 0.0, -np.inf], np.float32)
    options = {"rule-options": {"TFL210": {"allow-infinity": True}}}
    assert findings(constant_model(infinite, "FLOAT32", (4,)), **options) == {}
    both = np.array([1.0, -np.inf, np.nan, -np.inf], np.float32)
    assert only(constant_model(both, "FLOAT32", (4,)), **options)[1].endswith(
        "1 NaN and 2 infinite values of 4, the first NaN at [2]" + NAN)


def test_values_past_the_first_chunk_are_found_and_located():
    values = np.zeros((3, 1 << 20), np.float32)  # three scan chunks
    values[2, 5] = np.nan
    values[2, 7] = np.nan
    assert only(constant_model(values, "FLOAT32", values.shape))[1].endswith(
        "2 NaN and 0 infinite values of 3145728, the first at [2, 5]" + NAN)


@pytest.fixture
def numpy_scan(monkeypatch):
    """Make TFL210 take the numpy scan it keeps for models with over 16 MB of floats."""
    import sys

    from tfllint.engine.registry import load_rules

    rule = next(rule for rule in load_rules() if rule.id == "TFL210")
    monkeypatch.setattr(sys.modules[rule.origin], "PYTHON_LOOK_BYTES", 0)


@pytest.mark.parametrize("dtype, values, expected", [
    ("FLOAT32", np.array([1, 3e38, np.nan, 0], np.float32), "1 NaN and 0 infinite"),
    ("FLOAT16", np.array([1, -np.inf, 2, 0], np.float16), "0 NaN and 1 infinite"),
    ("FLOAT64", np.array([1e308, 1e308, 0, -np.inf]), "0 NaN and 1 infinite"),
])
def test_the_numpy_scan_of_big_models_finds_the_same(numpy_scan, dtype, values, expected):
    assert expected in only(constant_model(values, dtype, values.shape))[1]
    assert findings(constant_model(np.ones(5, values.dtype), dtype, (5,))) == {}


def test_huge_finite_values_are_suspects_but_not_reported():
    # 3e38 has the top byte of a float32 infinity (0x7F): the exact scan clears it.
    values = np.array([3e38, -3e38, 1, 0], np.float32)
    assert findings(constant_model(values, "FLOAT32", (4,))) == {}


def test_finite_extremes_are_not_reported():
    extremes = np.array([np.finfo(np.float32).max, np.finfo(np.float32).min,
                         np.finfo(np.float32).tiny, -0.0], np.float32)
    assert findings(constant_model(extremes, "FLOAT32", (4,))) == {}
    halves = np.array([65504, -65504, 6e-8, 0], np.float16)
    assert findings(constant_model(halves, "FLOAT16", (4,))) == {}


# -- what LiteRT does, against what the messages say ----------------------------------------

REFUSES = ("refuses it at allocate_tensors()", "refuse it at allocate_tensors()",
           "LiteRT refuses the model")
RUNTIME_CASES = {
    "conv healthy": lambda: int8_conv(),
    "conv asymmetric weights": lambda: int8_conv(weight_zero_points=[0, 5]),
    "conv bias scale off": lambda: int8_conv(bias_scales=[0.125, 0.125]),
    "conv per-tensor bias zero point": lambda: int8_conv(
        weight_scales=[0.25], bias_scales=[0.125], bias_zero_points=[3]),
    "conv per-channel bias zero point": lambda: int8_conv(bias_zero_points=[0, 3]),
    "conv int16 zero point": lambda: int8_conv(activation_dtype="INT16",
                                               input_zero_point=[5], bias_dtype="INT64"),
    "conv int16": lambda: int8_conv(activation_dtype="INT16", input_zero_point=[0],
                                    bias_dtype="INT64"),
    "dense healthy": lambda: dense(),
    "dense bias far off": lambda: dense(bias_scale=[0.25]),
    "dense bias slightly off": lambda: dense(bias_scale=[0.125 * 1.01]),
    "dense uint8 bias far off": lambda: dense(input_dtype="UINT8", weights_dtype="UINT8",
                                              bias_scale=[0.25]),
    "dense uint8 bias slightly off": lambda: dense(input_dtype="UINT8", weights_dtype="UINT8",
                                                   bias_scale=[0.125 * 1.01]),
    "int8 zero point 200": lambda: int8_conv(input_zero_point=[200]),
    "dense asymmetric per-tensor weights": lambda: dense(weights_zero_point=[3]),
    "dense bias zero point": lambda: dense(bias_zero_point=[3]),
    "dense asymmetric per-channel weights": lambda: dense(weights_scale=[0.25, 0.25],
                                                          weights_zero_point=[0, 4]),
    "weights quantized_dimension 4": lambda: int8_conv(
        weight_scales=[0.25], weight_dimension=4, bias_scales=[0.125]),
    "weights with 3 scales": lambda: int8_conv(weight_scales=[0.25, 0.125, 0.5],
                                               bias_scales=[0.125, 0.0625]),
    "weights with 1 zero point": lambda: int8_conv(weight_zero_points=[0],
                                                   bias_scales=[0.125, 0.0625]),
}


def builtin_kernels_load(data: bytes, delegates: bool = False) -> str | None:
    """None when LiteRT's builtin kernels (without XNNPACK unless `delegates`) build and
    allocate the model, else the error text."""
    from ai_edge_litert.interpreter import Interpreter, OpResolverType

    resolver = (OpResolverType.AUTO if delegates
                else OpResolverType.BUILTIN_WITHOUT_DEFAULT_DELEGATES)
    try:
        interpreter = Interpreter(model_content=data, experimental_op_resolver_type=resolver)
        interpreter.allocate_tensors()
    except (RuntimeError, ValueError) as error:
        return str(error)
    return None


@pytest.mark.parametrize("case", RUNTIME_CASES)
def test_messages_agree_with_litert_builtin_kernels(case):
    pytest.importorskip("ai_edge_litert.interpreter", reason="LiteRT (the oracle extra) is "
                        "not installed")
    data = RUNTIME_CASES[case]()
    messages = [m for found in findings(data).values() for m in found]
    error = builtin_kernels_load(data)
    said_refused = [m for m in messages if any(phrase in m for phrase in REFUSES)]
    assert bool(said_refused) == (error is not None), (messages, error)
    for message in said_refused:
        quoted = message.split("LiteRT refuses the model: ")[-1]
        if quoted != message:  # TFL207 quotes the runtime's words
            first = quoted.split("\", then")[0].strip("\"")
            assert first in error, (first, error)


NOT_A_NUMBER = float("nan")


@pytest.mark.parametrize("data", [
    int8_conv(bias_scales=[NOT_A_NUMBER, 0.0625]),  # per-channel weights: the scale is never read
    dense(weights_scale=[0.25, 0.25], bias_scale=[0.0, 0.125]),
    dense(bias_scale=[0.0], output_scale=10.0)])  # read, within the kernel's 2%: 0.0125
def test_a_bias_scale_the_kernel_computes_without_is_tfl209s_warning(data):
    """LiteRT's convolutions and FULLY_CONNECTED take the bias scale to be input scale *
    weight scale; the stored one is read only by the check of a per-tensor
    FULLY_CONNECTED (or a UINT8 convolution), within 2% of the output scale. An invalid
    stored one that passes it changes nothing (the differential test below), so it is a
    warning, not TFL205's error."""
    (rule, location), message = only(data)
    assert rule == "TFL209" and location.tensor == "b", (rule, location)
    assert message.endswith("LiteRT's kernels add the bias as if its scale were input "
                            "scale * weight scale")


def test_a_bias_scale_the_kernel_reads_is_tfl205s_error():
    """FULLY_CONNECTED with per-tensor weights checks the bias scale
    (GetQuantizedConvolutionMultipler): NaN fails it."""
    key, message = only(dense(bias_scale=[NOT_A_NUMBER]))
    assert key == ("TFL205", at("b", 2))


def outputs(data: bytes) -> list:
    """The model's outputs in ai-edge-litert (XNNPACK on) for one fixed input."""
    from ai_edge_litert.interpreter import Interpreter

    interpreter = Interpreter(model_content=data)
    interpreter.allocate_tensors()
    for detail in interpreter.get_input_details():
        values = np.arange(np.prod(detail["shape"])) % 50 - 25
        interpreter.set_tensor(detail["index"],
                               values.reshape(detail["shape"]).astype(detail["dtype"]))
    interpreter.invoke()
    return [interpreter.get_tensor(d["index"]).tolist()
            for d in interpreter.get_output_details()]


def test_the_runtime_reads_the_bias_scale_where_tfl205_says_it_does():
    """Differential: an invalid bias scale the kernel never reads gives the valid model's
    outputs; one it checks within 2% of the output scale passes; NaN fails the check and
    the builtin kernel refuses the model."""
    pytest.importorskip("ai_edge_litert.interpreter", reason="LiteRT (the oracle extra) is "
                        "not installed")
    assert outputs(int8_conv(bias_scales=[NOT_A_NUMBER, 0.0625])) == outputs(int8_conv())
    dense_per_channel = dict(weights_scale=[0.25, 0.25])
    assert outputs(dense(**dense_per_channel, bias_scale=[0.0, 0.125])) == \
        outputs(dense(**dense_per_channel))
    assert builtin_kernels_load(dense(bias_scale=[0.0], output_scale=10.0)) is None
    assert builtin_kernels_load(dense(bias_scale=[NOT_A_NUMBER])) is not None


def requantize(output_dtype: str, scale: float) -> bytes:
    """QUANTIZE of an INT8 [1, 10] (scale 0.5) to `output_dtype` at `scale`."""
    model = ModelBuilder()
    main = model.subgraph()
    x = main.tensor("x", [1, 10], "INT8", scale=[0.5], zero_point=[0])
    y = main.tensor("y", [1, 10], output_dtype, scale=[scale],
                    zero_point=[128 if output_dtype == "UINT8" else 0])
    main.op("QUANTIZE", [x], [y])
    main.inputs, main.outputs = [x], [y]
    return model.build()


CRASH = ("; ai-edge-litert crashes on it (SIGSEGV) in QUANTIZE's requantization "
         "(tflite/kernels/quantize.cc)")


@pytest.mark.parametrize("output_dtype, scale, crashes", [
    ("UINT8", -1.0, True), ("INT8", 0.0, True), ("INT8", NOT_A_NUMBER, True),
    ("INT16", -1.0, False)])
def test_a_requantization_to_an_invalid_scale_says_litert_crashes(output_dtype, scale,
                                                                  crashes):
    key, message = only(requantize(output_dtype, scale))
    assert key == ("TFL205", at("y", 1))
    assert message.endswith(CRASH) == crashes, message


def test_litert_crashes_on_a_requantization_to_an_invalid_scale(tmp_path):
    """Differential: ai-edge-litert (child process) crashes on QUANTIZE INT8 -> INT8/UINT8
    to a scale of -1, 0 or NaN, and runs it to INT16, or to a valid scale."""
    pytest.importorskip("ai_edge_litert.interpreter", reason="LiteRT (the oracle extra) is "
                        "not installed")
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tools"))
    import cve_catalogue

    path = tmp_path / "model.tflite"
    for output_dtype, scale, expected in (
            ("UINT8", -1.0, "crashed: SIGSEGV"), ("INT8", 0.0, "crashed: SIGSEGV"),
            ("INT8", NOT_A_NUMBER, "crashed: SIGSEGV"), ("INT16", -1.0, "ran"),
            ("UINT8", 0.25, "ran")):
        path.write_bytes(requantize(output_dtype, scale))
        assert cve_catalogue.run_runtime("litert", path) == expected, (output_dtype, scale)


@pytest.mark.parametrize("case", ["conv per-channel bias zero point",
                                  "dense asymmetric per-channel weights"])
def test_xnnpack_failures_the_messages_name_happen(case):
    pytest.importorskip("ai_edge_litert.interpreter", reason="LiteRT (the oracle extra) is "
                        "not installed")
    data = RUNTIME_CASES[case]()
    _, message = only(data)
    assert "LiteRT's XNNPACK delegate fails on it" in message
    error = builtin_kernels_load(data, delegates=True)
    assert error is not None and "in XNNPACK delegate" in error, error
