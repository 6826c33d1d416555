"""The `hexagon` target: exact verdicts and reason codes for every kind of constraint in
rules/targets/hexagon.toml on tiny built models, its partitioning, and the sample models.
The delegate logs no per-op reasons, so none carries tool words."""
from __future__ import annotations

import numpy as np
import pytest
from builder import ModelBuilder
from conftest import MODELS, target_result, verdicts as all_verdicts

from tfllint.targets.profile import load_target

TANH, SAME = 4, 0
QUANT = dict(scale=[0.1], zero_point=[0])


def hexagon(data: bytes):
    return target_result(data, "hexagon")


def verdicts(result):
    return all_verdicts(result, subgraph=0)


def pair(op: str, shape=(1, 4), dtype="INT8", *, out_shape=None, extra=(), version=1,
         options=None, quant=QUANT) -> bytes:
    """x -> op(x, *extra) -> y -> RELU (int8, v2) -> z: two ops, since Hexagon delegates no
    partition of one op. `extra` builds more inputs: callable(subgraph) -> index."""
    model = ModelBuilder()
    main = model.subgraph()
    q = quant if dtype in ("INT8", "UINT8", "INT16") else {}
    x = main.tensor("x", list(shape), dtype, **q)
    inputs = [x] + [make(main) for make in extra]
    y = main.tensor("y", list(out_shape or shape), dtype, **q)
    main.op(op, inputs, [y], version=version, options=options)
    z = main.tensor("z", list(out_shape or shape), dtype, **q)
    main.op("RELU", [y], [z], version=2)
    main.inputs, main.outputs = [x], [z]
    return model.build()


def constant(name, values, dtype="INT8", **kwargs):
    numpy_type = {"FLOAT32": np.float32, "INT32": np.int32, "INT8": np.int8}[dtype]
    return lambda main: main.constant(name, np.asarray(values, dtype=numpy_type), dtype,
                                      **kwargs)


def activation(name, shape, dtype="INT8", **kwargs):
    return lambda main: main.tensor(name, list(shape), dtype, **kwargs)


def int8_weights(shape, scales=(0.1,)):
    return constant("w", np.ones(shape), scale=list(scales), zero_point=[0] * len(scales))


def int32_bias(size):
    return constant("b", np.zeros(size), "INT32", scale=[0.01], zero_point=[0])


# -- the model and the op table ----------------------------------------------------------------

def test_a_float_model_is_refused_as_a_whole_and_op_by_op():
    result = hexagon(pair("ADD", dtype="FLOAT32", extra=[activation("w", (1, 4), "FLOAT32")]))
    assert result.blocked and [r.code for r in result.model_reasons] == ["quantization"]
    assert verdicts(result) == [(0, "ADD", "cpu", ("hexagon-input-types",) * 2),
                                (1, "RELU", "cpu", ("hexagon-input-types",))]
    assert result.ops[0].reasons[0].message == (
        "input 0 ('x') is FLOAT32; Hexagon takes UINT8 or INT8")
    assert {r.tool for v in result.ops for r in v.reasons} == {None}


def test_an_op_hexagon_lacks_is_not_listed():
    assert verdicts(hexagon(pair("SUM", extra=[constant("axes", [1], "INT32")]))) == [
        (0, "SUM", "cpu", ("not-listed",)), (1, "RELU", "cpu", ("partition",))]


def test_version_allowlist():
    relu_v1 = hexagon(pair("RELU", dtype="UINT8", version=1))
    assert verdicts(relu_v1)[0] == (0, "RELU", "cpu", ("version",))
    assert relu_v1.ops[0].reasons[0].message == (
        "version 1; the Hexagon delegate runs versions 2..2")
    assert verdicts(hexagon(pair("TANH", version=3)))[0] == (0, "TANH", "cpu", ("version",))
    assert verdicts(hexagon(pair("TANH", version=2)))[0] == (0, "TANH", "target", ())


# -- tensors -----------------------------------------------------------------------------------

def test_rank_above_four():
    result = hexagon(pair("TANH", (1, 1, 1, 1, 4), version=2))
    assert verdicts(result)[0] == (0, "TANH", "cpu", ("rank",))


def test_input_count_and_types():
    int16 = hexagon(pair("ADD", dtype="INT16", extra=[activation("w", (1, 4), "INT16", **QUANT)]))
    assert verdicts(int16)[0] == (0, "ADD", "cpu", ("hexagon-input-types",) * 2)
    int32_axis = hexagon(pair("MEAN", (1, 2, 2, 4), out_shape=(1, 4), extra=[
        constant("axes", [1, 2], "INT32")], options=("ReducerOptions", {"keep_dims": False})))
    assert verdicts(int32_axis)[0] == (0, "MEAN", "target", ())


def test_constant_inputs():
    result = hexagon(pair("MEAN", (1, 2, 2, 4), out_shape=(1, 4), extra=[
        activation("axes", (2,), "INT32")], options=("ReducerOptions", {"keep_dims": False})))
    assert verdicts(result)[0] == (0, "MEAN", "cpu", ("non-constant",))


def test_fused_activation_beyond_the_relu_family():
    result = hexagon(pair("ADD", extra=[activation("w", (1, 4), **QUANT)],
                          options=("AddOptions", {"fused_activation_function": TANH})))
    assert verdicts(result)[0] == (0, "ADD", "cpu", ("fused-activation",))


# -- op-specific limits ------------------------------------------------------------------------

def conv(stride=1, dilation=1) -> bytes:
    return pair("CONV_2D", (1, 8, 8, 1), out_shape=(1, 8, 8, 2), version=3,
                extra=[int8_weights((2, 1, 1, 1)), int32_bias(2)],
                options=("Conv2DOptions", {"stride_w": stride, "stride_h": stride,
                                           "dilation_w_factor": dilation,
                                           "dilation_h_factor": dilation}))


def test_convolution_stride_and_dilation_limits():
    assert verdicts(hexagon(conv()))[0] == (0, "CONV_2D", "target", ())
    stride = hexagon(conv(stride=4))
    assert verdicts(stride)[0] == (0, "CONV_2D", "cpu", ("option", "option"))
    assert stride.ops[0].reasons[0].message == (
        "stride_w = 4 is outside what the Hexagon delegate supports (<= 3)")
    assert verdicts(hexagon(conv(dilation=2)))[0] == (0, "CONV_2D", "cpu", ("option", "option"))


def test_depthwise_multiplier_and_filter_height():
    def depthwise(multiplier, channels, kernel_height=3):
        return pair("DEPTHWISE_CONV_2D", (1, 8, 8, channels),
                    out_shape=(1, 8, 8, channels * multiplier), version=2,
                    extra=[int8_weights((1, kernel_height, 3, channels * multiplier)),
                           int32_bias(channels * multiplier)],
                    options=("DepthwiseConv2DOptions", {"stride_w": 1, "stride_h": 1,
                                                        "depth_multiplier": multiplier}))

    assert verdicts(hexagon(depthwise(1, 3)))[0] == (0, "DEPTHWISE_CONV_2D", "target", ())
    assert verdicts(hexagon(depthwise(2, 1)))[0] == (0, "DEPTHWISE_CONV_2D", "target", ())
    assert verdicts(hexagon(depthwise(2, 3)))[0] == (
        0, "DEPTHWISE_CONV_2D", "cpu", ("hexagon-depthwise",))
    assert verdicts(hexagon(depthwise(1, 3, kernel_height=1)))[0] == (
        0, "DEPTHWISE_CONV_2D", "cpu", ("hexagon-depthwise",))


def test_fully_connected_weights_per_tensor():
    def fully_connected(scales):
        return pair("FULLY_CONNECTED", out_shape=(1, 2), version=4,
                    extra=[int8_weights((2, 4), scales), int32_bias(2)])

    assert verdicts(hexagon(fully_connected((0.1,))))[0] == (0, "FULLY_CONNECTED", "target", ())
    per_channel = hexagon(fully_connected((0.1, 0.2)))
    assert verdicts(per_channel)[0] == (0, "FULLY_CONNECTED", "cpu", ("hexagon-fc-weights",))
    assert per_channel.ops[0].fix.startswith("Quantize FULLY_CONNECTED weights per tensor")


def test_max_pool_same_padding_window_limit():
    def max_pool(size):
        return pair("MAX_POOL_2D", (1, 16, 16, 1), out_shape=(1, 16, 16, 1), version=2,
                    options=("Pool2DOptions", {"padding": SAME, "stride_w": 1, "stride_h": 1,
                                               "filter_width": size, "filter_height": size}))

    assert verdicts(hexagon(max_pool(12)))[0] == (0, "MAX_POOL_2D", "target", ())
    assert verdicts(hexagon(max_pool(13)))[0] == (
        0, "MAX_POOL_2D", "cpu", ("hexagon-max-pool-window",))


# -- partitioning ------------------------------------------------------------------------------

def chain_with_gaps(sizes: list[int]) -> bytes:
    """Runs of int8 TANH (v2) of the given sizes, separated by int8 SUMs Hexagon refuses."""
    model = ModelBuilder()
    main = model.subgraph()
    current = main.tensor("x", [1, 4], "INT8", **QUANT)
    axes = main.constant("axes", np.asarray([0], np.int32), "INT32")
    main.inputs = [current]
    names = []
    for run, size in enumerate(sizes):
        names += ["TANH"] * size + (["SUM"] if run < len(sizes) - 1 else [])
    for position, name in enumerate(names):
        output = main.tensor(f"t{position}", [1, 4], "INT8", **QUANT)
        main.op(name, [current, axes] if name == "SUM" else [current], [output],
                version=2 if name == "TANH" else 1)
        current = output
    main.outputs = [current]
    return model.build()


def test_a_partition_of_one_op_stays_on_the_cpu():
    result = hexagon(chain_with_gaps([2, 1, 3]))  # partitions [0, 1] [3] [5, 6, 7]
    assert [v.op_index for v in result.ops if v.verdict == "target"] == [0, 1, 5, 6, 7]
    assert result.partitions == 2
    assert [r.message for r in result.ops[3].reasons] == [
        "supported, but in a partition of 1 op(s), fewer than the 2 the Hexagon delegate "
        "needs to delegate a partition (min_nodes_per_partition)"]


def test_only_the_four_largest_partitions_run_on_the_dsp():
    result = hexagon(chain_with_gaps([2, 3, 2, 2, 2]))
    # partitions [0, 1] [3, 4, 5] [7, 8] [10, 11] [13, 14]: the last pair is fifth
    assert [v.op_index for v in result.ops if v.verdict == "target"] == [
        0, 1, 3, 4, 5, 7, 8, 10, 11]
    assert result.partitions == 4
    assert [r.code for r in result.ops[13].reasons] == ["partition"]


# -- the profile and the sample models ---------------------------------------------------------

def test_the_profile_is_marked_deprecated():
    profile = load_target("hexagon")
    assert profile.deprecated.startswith("no longer supported by LiteRT")
    assert (profile.partitioning, profile.max_delegated_partitions,
            profile.min_nodes_per_partition) == ("largest", 4, 2)


SAMPLE_COUNTS = {  # model: (ops on the DSP, ops, can run at all)
    "cnn_float16.tflite": (0, 19, False), "cnn_float32.tflite": (0, 9, False),
    "cnn_int8.tflite": (7, 9, True), "cnn_int8_metadata.tflite": (7, 9, True),
    "cnn_int8_uint8io.tflite": (10, 11, True), "dense_dynamic_range.tflite": (0, 3, False),
    "dynamic_batch.tflite": (0, 3, False), "flex_op.tflite": (0, 3, False),
    "micro_int8.tflite": (0, 3, True), "two_inputs.tflite": (0, 5, False),
    "while_loop.tflite": (0, 6, False),
}


@pytest.mark.parametrize("name", sorted(SAMPLE_COUNTS))
def test_sample_models(name):
    result = hexagon((MODELS / name).read_bytes())
    assert (result.ops_on_target, result.ops_total, not result.blocked) == SAMPLE_COUNTS[name]


def test_int8_cnn_loses_the_per_channel_fully_connected_and_the_lone_softmax():
    result = hexagon((MODELS / "cnn_int8.tflite").read_bytes())
    assert [(v.op_index, v.op, tuple(r.code for r in v.reasons)) for v in result.ops
            if v.verdict == "cpu"] == [(7, "FULLY_CONNECTED", ("hexagon-fc-weights",)),
                                       (8, "SOFTMAX", ("partition",))]
