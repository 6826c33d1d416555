"""The Coral Edge TPU profile (rules/targets/coral.toml, checks in targets/checks/coral.py).

Tiny int8 models, one per kind of constraint, with exact (op, verdict, reason codes); the
single-region partitioning; the samples end to end; and, when a google-coral/test_data
checkout is at hand, our verdicts against the real compiler's output models.
"""
from __future__ import annotations

import json
import os
from collections import Counter
from pathlib import Path

import numpy as np
import pytest
from builder import ModelBuilder
from conftest import MODELS, target_result, tools, verdicts, view_of
from rule_examples._targets import int8_chain

from tfllint.errors import ConfigError
from tfllint.targets.profile import load_target

OTHERWISE = "Operation is otherwise supported, but not mapped due to some unspecified limitation"
DATA_TYPE = "Operation is working on an unsupported data type"
NOT_CONSTANT = "Filter, bias, or other param is not constant at compile-time"
RANK = "Tensor has unsupported rank (up to 3 innermost dimensions mapped)"
ONE_REGION = "More than one subgraph is not supported"

RELU = 1  # ActivationFunctionType
SHUFFLED4x16INT8 = 1  # FullyConnectedOptionsWeightsFormat


class Net:
    """One int8 subgraph built tensor by tensor: activations, constants, ops."""

    def __init__(self) -> None:
        self.model = ModelBuilder()
        self.main = self.model.subgraph("main")

    def act(self, name: str, shape, dtype: str = "INT8", **kwargs) -> int:
        return self.main.tensor(name, shape, dtype, scale=[0.1], zero_point=[0], **kwargs)

    def const(self, name: str, values, dtype: str = "INT8") -> int:
        array = np.asarray(values, dtype=dtype.lower())
        if dtype == "INT32":
            return self.main.constant(name, array, dtype)
        return self.main.constant(name, array, dtype, scale=[0.1], zero_point=[0])

    def op(self, name: str, inputs, outputs, **kwargs) -> None:
        self.main.op(name, inputs, outputs, **kwargs)

    def build(self, inputs, outputs) -> bytes:
        self.main.inputs, self.main.outputs = list(inputs), list(outputs)
        return self.model.build()


def coral(data: bytes, target: str = "coral"):
    return target_result(data, target)


def single_op(op: str, in_shape, out_shape, *params, options=None, version: int = 1,
              dtype: str = "INT8") -> bytes:
    """x -> op(x, *params) -> y. A param is (name, values, dtype) for a constant, or
    (name, None, shape) for one more graph input."""
    net = Net()
    x = net.act("x", in_shape, dtype)
    graph_inputs, extra = [x], []
    for name, values, kind in params:
        if values is None:
            graph_inputs.append(net.act(name, kind))
            extra.append(graph_inputs[-1])
        else:
            extra.append(net.const(name, values, kind))
    y = net.act("y", out_shape, dtype)
    net.op(op, [x, *extra], [y], options=options, version=version)
    return net.build(graph_inputs, [y])


# -- the profile -------------------------------------------------------------------------

def test_profile_loads_by_name_and_alias_with_its_figures():
    profile = load_target("edgetpu")
    assert profile.name == "coral" and profile.partitioning == "first-run"
    assert profile.compiled_op == "edgetpu-custom-op" and profile.fallback == "cpu"
    assert profile.requirements.max_runtime_version == "2.6"
    assert profile.memory["parameter_cache_bytes"] == 8 * 1024 * 1024
    assert not profile.ops["LEAKY_RELU"].supported and profile.ops["PRELU"].supported


# -- samples end to end ------------------------------------------------------------------

def test_cnn_int8_maps_fully():
    result = coral((MODELS / "cnn_int8.tflite").read_bytes())
    assert [v.verdict for v in result.ops] == ["target"] * 9
    assert not result.model_reasons and (result.partitions, result.transitions) == (1, 0)


def test_sample_verdicts_end_to_end(run_cli):
    code, out, _ = run_cli(MODELS, "--target", "coral", "--format", "json", "--no-config")
    reports = {Path(m["path"]).name: m["targets"]["coral"] for m in json.loads(out)["models"]}
    counts = {name: dict(Counter(op["verdict"] for op in target["ops"]))
              for name, target in reports.items()}
    assert counts == {
        "cnn_float16.tflite": {"cpu": 19}, "cnn_float32.tflite": {"cpu": 9},
        "cnn_int8.tflite": {"target": 9}, "cnn_int8_metadata.tflite": {"target": 9},
        "cnn_int8_uint8io.tflite": {"target": 11}, "dense_dynamic_range.tflite": {"cpu": 3},
        "dynamic_batch.tflite": {"cpu": 3}, "flex_op.tflite": {"cpu": 3},
        "micro_int8.tflite": {"target": 3}, "two_inputs.tflite": {"cpu": 5},
        "while_loop.tflite": {"cpu": 6}}
    model_reasons = {name: [r["code"] for r in target["model_reasons"]]
                     for name, target in reports.items() if target["model_reasons"]}
    assert model_reasons == {
        "cnn_float16.tflite": ["coral-full-integer-quantization"],
        "cnn_float32.tflite": ["coral-full-integer-quantization"],
        "dense_dynamic_range.tflite": ["op-version-ceiling", "coral-full-integer-quantization"],
        "dynamic_batch.tflite": ["dynamic-shape", "coral-full-integer-quantization"],
        "flex_op.tflite": ["coral-full-integer-quantization"],
        "two_inputs.tflite": ["coral-full-integer-quantization"],
        "while_loop.tflite": ["coral-full-integer-quantization"]}
    assert reports["cnn_int8.tflite"]["summary"] == (
        "Number of operations that will run on Edge TPU: 9; "
        "Number of operations that will run on CPU: 0")
    assert code == 1  # TFL302 errors for the models that cannot run


def test_float_model_gives_the_data_type_status_on_every_op():
    result = coral((MODELS / "cnn_float32.tflite").read_bytes())
    [reason] = result.model_reasons
    assert reason.code == "coral-full-integer-quantization" and reason.tool == DATA_TYPE
    assert reason.message.startswith("the model is not integer-quantized: float32; the Edge TPU "
                                     "runs only models")
    assert all(v.reasons[0].code == "dtype" and v.reasons[0].tool == DATA_TYPE
               for v in result.ops)


def test_dynamic_range_model_also_exceeds_the_op_version_ceiling():
    result = coral((MODELS / "dense_dynamic_range.tflite").read_bytes())
    ceiling, quantization = result.model_reasons
    assert ceiling.message == ("FULLY_CONNECTED version 12 needs runtime 2.17.0, newer than "
                               "the 2.6 that edgetpu_compiler 16.0.384591198 (Edge TPU "
                               "runtime 14) knows")
    assert ceiling.tool == (
        "ERROR: Didn't find op for builtin opcode 'FULLY_CONNECTED' version '12'. An older "
        "version of this builtin might be supported. Are you using an old TFLite binary "
        "with a newer model?")
    assert quantization.message.startswith("the model is not integer-quantized: dynamic-range")


# -- model requirements ------------------------------------------------------------------

@pytest.mark.parametrize("op, version, refused", [
    ("RSQRT", 2, False),  # 2.5.0: compiler 16 parses it (#384)
    ("ADD", 4, False),  # 2.6.0: the ceiling chosen
    ("QUANTIZE", 3, True),  # 2.7.0: refused (#879)
    ("CONV_2D", 6, True),  # 2.9.0: refused (#631)
    ("TRANSPOSE_CONV", 4, True),  # 2.13.0: refused (#845)
])
def test_op_version_ceiling(op, version, refused):
    net = Net()
    x, y = net.act("x", [1, 4]), net.act("y", [1, 4])
    net.op(op, [x], [y], version=version)
    reasons = coral(net.build([x], [y])).model_reasons
    assert [r.code for r in reasons] == (["op-version-ceiling"] if refused else [])
    if refused:
        assert reasons[0].tool.startswith(f"ERROR: Didn't find op for builtin opcode '{op}' "
                                          f"version '{version}'.")


def test_op_code_beyond_the_compilers_schema():
    result = coral(int8_chain("RELU", 250))
    reasons = [r for r in result.model_reasons if r.code == "coral-op-code-range"]
    assert [r.message for r in reasons] == [
        "UNKNOWN(250) (builtin code 250) is newer than the compiler's op schema; it stops "
        "with \"ERROR: Op builtin_code out of range: 250. Are you using old TFLite binary "
        "with newer model?\""]
    assert verdicts(result)[1][2:] == ("cpu", ("not-listed",))


def test_dynamic_batch_is_refused_with_the_compilers_error():
    result = coral(int8_chain("ADD", batch=-1))
    [reason] = result.model_reasons
    assert reason.code == "dynamic-shape" and reason.tool.startswith(
        "ERROR: Attempting to use a delegate that only supports static-sized tensors")


def test_int16_activations_are_not_8_bit():
    net = Net()
    x, y = net.act("x", [1, 4], "INT16"), net.act("y", [1, 4], "INT16")
    net.op("ADD", [x], [y])
    result = coral(net.build([x], [y]))
    assert [r.code for r in result.model_reasons] == ["coral-full-integer-quantization"]
    assert verdicts(result) == [(0, "ADD", "cpu", ("dtype",))]


def test_int8_model_with_a_float_tail_maps_its_integer_part():
    net = Net()
    x, h = net.act("x", [1, 4]), net.act("h", [1, 4])
    y = net.main.tensor("y", [1, 4], "FLOAT32")
    net.op("RELU", [x], [h])
    net.op("DEQUANTIZE", [h], [y])
    result = coral(net.build([x], [y]))
    assert not result.model_reasons
    assert verdicts(result) == [(0, "RELU", "target", ()), (1, "DEQUANTIZE", "cpu", ("not-listed",))]
    assert tools(result, 1) == [DATA_TYPE]
    assert "Quantize the whole model" in result.ops[1].fix


# -- partitioning: one region --------------------------------------------------------------

def test_ops_after_the_first_unsupported_one_stay_on_the_cpu():
    result = coral(int8_chain("ADD", "LEAKY_RELU", "RELU", "LOGISTIC"))
    assert verdicts(result) == [
        (0, "ADD", "target", ()), (1, "LEAKY_RELU", "cpu", ("not-listed",)),
        (2, "RELU", "cpu", ("after-first-unsupported",)),
        (3, "LOGISTIC", "cpu", ("after-first-unsupported",))]
    assert tools(result, 1) == ["Operation not supported"]
    assert tools(result, 2) == [ONE_REGION]
    assert (result.partitions, result.transitions) == (1, 1)
    assert "PRELU" in result.ops[1].fix


def test_leading_cpu_ops_do_not_end_the_region():
    result = coral(int8_chain("HARD_SWISH", "ADD", "RELU"))
    assert [v.verdict for v in result.ops] == ["cpu", "target", "target"]
    assert (result.partitions, result.transitions) == (1, 1)


def test_a_branch_of_the_region_maps_even_after_a_cpu_op_in_file_order():
    """As the compiler did for movenet_single_pose_lightning (google-coral/test_data)."""
    net = Net()
    x, a, b, c, d = (net.act(name, [1, 4]) for name in "xabcd")
    net.op("RELU", [x], [a])
    net.op("GATHER", [a], [b])  # leaves the region
    net.op("LOGISTIC", [a], [c])  # reads only the region: joins it
    net.op("TANH", [b], [d])  # reads the CPU op after the region
    result = coral(net.build([x], [c, d]))
    assert verdicts(result) == [
        (0, "RELU", "target", ()), (1, "GATHER", "cpu", ("not-listed",)),
        (2, "LOGISTIC", "target", ()), (3, "TANH", "cpu", ("after-first-unsupported",))]


def test_control_flow_bodies_stay_on_the_cpu():
    model = ModelBuilder()
    main = model.subgraph("main")
    x = main.tensor("x", [1, 4], "INT8", scale=[0.1], zero_point=[0])
    y = main.tensor("y", [1, 4], "INT8", scale=[0.1], zero_point=[0])
    main.op("WHILE", [x], [y], options=("WhileOptions",
                                         {"cond_subgraph_index": 1, "body_subgraph_index": 2}))
    main.inputs, main.outputs = [x], [y]
    for name, ops in (("cond", ["RELU"]), ("body", ["ADD", "RELU"])):
        sub = model.subgraph(name)
        current = sub.tensor("a", [1, 4], "INT8", scale=[0.1], zero_point=[0])
        sub.inputs = [current]
        for position, op in enumerate(ops):
            output = sub.tensor(f"t{position}", [1, 4], "INT8", scale=[0.1], zero_point=[0])
            sub.op(op, [current], [output])
            current = output
        sub.outputs = [current]
    result = coral(model.build())
    assert [(v.subgraph, v.op_index, v.op, v.verdict, tuple(r.code for r in v.reasons))
            for v in result.ops] == [
        (0, 0, "WHILE", "cpu", ("not-listed",)),
        (1, 0, "RELU", "cpu", ("other-subgraph",)),
        (2, 0, "ADD", "cpu", ("other-subgraph",)),
        (2, 1, "RELU", "cpu", ("other-subgraph",))]
    assert result.ops[3].reasons[0].tool == ONE_REGION


def test_an_already_compiled_model():
    result = coral(int8_chain("CUSTOM", custom_code="edgetpu-custom-op"))
    assert verdicts(result) == [(0, "edgetpu-custom-op", "compiled", ())]
    assert result.compiled and result.ops_on_target == 1


# -- per-op constraints --------------------------------------------------------------------

def test_only_the_three_innermost_dimensions_may_exceed_one():
    fine = coral(single_op("RELU", [1, 1, 8, 8, 3], [1, 1, 8, 8, 3]))
    assert verdicts(fine) == [(0, "RELU", "target", ())]
    result = coral(single_op("RELU", [2, 8, 8, 3], [2, 8, 8, 3]))
    assert verdicts(result) == [(0, "RELU", "cpu", ("coral-innermost-3-dims",))]
    assert tools(result) == [RANK]
    assert result.ops[0].reasons[0].message == (
        "input 'x' has shape [2, 8, 8, 3]: only the 3 innermost dimensions may be larger "
        "than 1")


def test_8_bit_types_only():
    result = coral(single_op("RELU", [1, 4], [1, 4], dtype="INT32"))
    assert verdicts(result) == [(0, "RELU", "cpu", ("dtype",))]
    assert tools(result) == [DATA_TYPE]
    assert verdicts(coral(single_op("RELU", [1, 4], [1, 4], dtype="UINT8")))[0][2] == "target"


def test_lstm_keeps_an_int16_cell_state():
    net = Net()
    x, y = net.act("x", [1, 28, 28]), net.act("y", [1, 28, 20])
    weights = net.const("w", np.ones((20, 28)))
    cell = net.act("cell_state", [1, 20], "INT16", is_variable=True)
    net.op("UNIDIRECTIONAL_SEQUENCE_LSTM", [x, weights, cell], [y])
    assert verdicts(coral(net.build([x], [y]))) == [
        (0, "UNIDIRECTIONAL_SEQUENCE_LSTM", "target", ())]


@pytest.mark.parametrize("op", ["MAX_POOL_2D", "AVERAGE_POOL_2D"])
def test_pooling_takes_no_fused_activation(op):
    plain = single_op(op, [1, 8, 8, 3], [1, 4, 4, 3], options=("Pool2DOptions", {}))
    assert verdicts(coral(plain)) == [(0, op, "target", ())]
    fused = single_op(op, [1, 8, 8, 3], [1, 4, 4, 3],
                      options=("Pool2DOptions", {"fused_activation_function": RELU}))
    result = coral(fused)
    assert verdicts(result) == [(0, op, "cpu", ("fused-activation",))]
    assert tools(result) == [OTHERWISE]


@pytest.mark.parametrize("constant, count, fused, codes", [
    (np.zeros((1, 4, 4, 3)), 2, 0, ()),  # a zero pad of exactly 2 inputs maps
    (np.ones((1, 4, 4, 3)), 2, 0, ("coral-concat-constant",)),
    (np.zeros((1, 4, 4, 3)), 3, 0, ("coral-concat-constant",)),
    (None, 2, RELU, ("fused-activation",)),
])
def test_concatenation(constant, count, fused, codes):
    net = Net()
    x = net.act("x", [1, 4, 4, 3])
    inputs = [x] * (count - 1) + [net.const("k", constant) if constant is not None
                                  else net.act("x2", [1, 4, 4, 3])]
    y = net.act("y", [1, 4, 4, 3 * count])
    net.op("CONCATENATION", inputs, [y], options=(
        "ConcatenationOptions", {"axis": 3, "fused_activation_function": fused}))
    graph_inputs = [x] + ([inputs[-1]] if constant is None else [])
    result = coral(net.build(graph_inputs, [y]))
    assert verdicts(result) == [(0, "CONCATENATION", "cpu" if codes else "target", codes)]


def fully_connected(out_shape, *, weights_constant=True, weights_format=0) -> bytes:
    net = Net()
    x = net.act("x", [out_shape[0], 8])
    weights = net.const("w", np.ones((10, 8))) if weights_constant else net.act("w", [10, 8])
    bias = net.const("b", np.zeros(10), "INT32")
    y = net.act("y", out_shape)
    net.op("FULLY_CONNECTED", [x, weights, bias], [y], options=(
        "FullyConnectedOptions", {"weights_format": weights_format}), version=4)
    return net.build([x] + ([] if weights_constant else [weights]), [y])


def test_fully_connected():
    assert verdicts(coral(fully_connected([1, 10]))) == [(0, "FULLY_CONNECTED", "target", ())]
    two_d = coral(fully_connected([4, 10]))
    assert verdicts(two_d) == [(0, "FULLY_CONNECTED", "cpu", ("coral-1d-output",))]
    assert tools(two_d) == ["For example, a fully-connected or softmax layer with 2D output"]
    activation_weights = coral(fully_connected([1, 10], weights_constant=False))
    assert verdicts(activation_weights) == [(0, "FULLY_CONNECTED", "cpu", ("non-constant",))]
    assert tools(activation_weights) == [NOT_CONSTANT]
    shuffled = coral(fully_connected([1, 10], weights_format=SHUFFLED4x16INT8))
    assert verdicts(shuffled) == [(0, "FULLY_CONNECTED", "cpu", ("option",))]
    assert tools(shuffled) == [OTHERWISE]


@pytest.mark.parametrize("shape, codes", [
    ([1, 16000], ()), ([1, 16001], ("coral-softmax-size",)), ([2, 10], ("coral-1d-output",)),
])
def test_softmax(shape, codes):
    result = coral(single_op("SOFTMAX", shape, shape))
    assert verdicts(result) == [(0, "SOFTMAX", "cpu" if codes else "target", codes)]


def conv(dilation=(1, 1), weights_constant=True) -> bytes:
    net = Net()
    x = net.act("x", [1, 8, 8, 3])
    weights = net.const("w", np.ones((4, 3, 3, 3))) if weights_constant \
        else net.act("w", [4, 3, 3, 3])
    bias = net.const("b", np.zeros(4), "INT32")
    y = net.act("y", [1, 8, 8, 4])
    net.op("CONV_2D", [x, weights, bias], [y], version=3, options=("Conv2DOptions", {
        "stride_w": 1, "stride_h": 1, "dilation_w_factor": dilation[0],
        "dilation_h_factor": dilation[1]}))
    return net.build([x] + ([] if weights_constant else [weights]), [y])


def test_convolution_dilation_and_constant_filter():
    assert verdicts(coral(conv((2, 2)))) == [(0, "CONV_2D", "target", ())]
    uneven = coral(conv((2, 1)))
    assert verdicts(uneven) == [(0, "CONV_2D", "cpu", ("same-dilation",))]
    assert tools(uneven) == [OTHERWISE]
    # an activation as filter: not constant; its rank is not held against it as well
    assert verdicts(coral(conv(weights_constant=False))) == [
        (0, "CONV_2D", "cpu", ("non-constant",))]


def strided_slice(strides, ellipsis_mask=0) -> bytes:
    return single_op("STRIDED_SLICE", [1, 8, 8, 3], [1, 4, 8, 3],
                     ("begin", [0, 0, 0, 0], "INT32"), ("end", [1, 8, 8, 3], "INT32"),
                     ("strides", strides, "INT32"),
                     options=("StridedSliceOptions", {"ellipsis_mask": ellipsis_mask}))


def test_strided_slice():
    assert verdicts(coral(strided_slice([1, 1, 1, 1]))) == [(0, "STRIDED_SLICE", "target", ())]
    assert verdicts(coral(strided_slice([1, 2, 1, 1]))) == [
        (0, "STRIDED_SLICE", "cpu", ("coral-unit-strides",))]
    assert verdicts(coral(strided_slice([1, 1, 1, 1], ellipsis_mask=1))) == [
        (0, "STRIDED_SLICE", "cpu", ("option",))]
    dynamic = single_op("STRIDED_SLICE", [1, 8, 8, 3], [1, 4, 8, 3],
                        ("begin", None, [4]), ("end", [1, 8, 8, 3], "INT32"),
                        ("strides", [1, 1, 1, 1], "INT32"))
    assert verdicts(coral(dynamic)) == [(0, "STRIDED_SLICE", "cpu", ("non-constant",))]


@pytest.mark.parametrize("axes, depth, codes", [
    ([1, 2], 6, ()), ([3], 8, ()), ([3], 6, ("coral-mean-depth",)), ([0], 8, ("no-batch-axis",)),
])
def test_mean(axes, depth, codes):
    data = single_op("MEAN", [1, 4, 4, depth], [1, 1, 1, depth], ("axes", axes, "INT32"))
    assert verdicts(coral(data)) == [(0, "MEAN", "cpu" if codes else "target", codes)]


def test_no_work_along_the_batch_dimension():
    pad = single_op("PAD", [1, 8], [3, 8], ("paddings", [[1, 1], [0, 0]], "INT32"))
    assert verdicts(coral(pad)) == [(0, "PAD", "cpu", ("coral-pad-batch",))]
    pad_width = single_op("PAD", [1, 8], [1, 10], ("paddings", [[0, 0], [1, 1]], "INT32"))
    assert verdicts(coral(pad_width)) == [(0, "PAD", "target", ())]
    for axis, codes in ((0, ("coral-split-batch",)), (1, ())):
        net = Net()
        axis_tensor = net.const("axis", np.array(axis), "INT32")
        x, y = net.act("x", [2, 8]), net.act("y", [1, 8] if axis == 0 else [2, 4])
        net.op("SPLIT", [axis_tensor, x], [y])
        assert verdicts(coral(net.build([x], [y]))) == [
            (0, "SPLIT", "cpu" if codes else "target", codes)]
    for axis, codes in ((0, ("no-batch-axis",)), (1, ())):
        net = Net()
        a, b = net.act("a", [4, 4]), net.act("b", [4, 4])
        y = net.act("y", [2, 4, 4] if axis == 0 else [4, 2, 4])
        net.op("PACK", [a, b], [y], options=("PackOptions", {"values_count": 2, "axis": axis}))
        assert verdicts(coral(net.build([a, b], [y]))) == [
            (0, "PACK", "cpu" if codes else "target", codes)]
    reduce_batch = single_op("REDUCE_MAX", [2, 8], [8], ("axes", [0], "INT32"))
    assert verdicts(coral(reduce_batch)) == [(0, "REDUCE_MAX", "cpu", ("no-batch-axis",))]


@pytest.mark.parametrize("alpha_shape, codes", [
    ([1, 1, 3], ()), ([3], ()), ([8, 8, 3], ("coral-prelu-alpha",)),
])
def test_prelu_alpha_is_one_dimensional(alpha_shape, codes):
    data = single_op("PRELU", [1, 8, 8, 3], [1, 8, 8, 3],
                     ("alpha", np.ones(alpha_shape), "INT8"))
    assert verdicts(coral(data)) == [(0, "PRELU", "cpu" if codes else "target", codes)]


@pytest.mark.parametrize("op, hint", [
    ("LEAKY_RELU", "PRELU"), ("HARD_SWISH", "RELU6"), ("GATHER", "SLICE"),
    ("BATCH_MATMUL", "FULLY_CONNECTED"),
])
def test_common_missing_ops_have_a_fix(op, hint):
    result = coral(int8_chain(op))
    assert verdicts(result) == [(0, op, "cpu", ("not-listed",))]
    assert result.ops[0].reasons[0].message == f"{op} is not supported by the Coral Edge TPU"
    assert hint in result.ops[0].fix


def test_an_op_missing_from_the_table():
    result = coral(int8_chain("EXP"))
    assert verdicts(result) == [(0, "EXP", "cpu", ("not-listed",))]
    assert tools(result) == ["Operation not supported"]
    assert result.ops[0].fix == ("Replace EXP with ops the Coral Edge TPU runs (its profile "
                                 "lists them), or move it to the end of the graph so that "
                                 "only it runs on the CPU.")


# -- the real compiler's output (optional) -------------------------------------------------

TEST_DATA = os.environ.get("TFLLINT_CORAL_TEST_DATA")
# Pairs of (input model, compiled model) in google-coral/test_data and where we differ:
# the compiler left a RESIZE_BILINEAR on the CPU for a reason no source documents
# ("may not be mapped ... to avoid loss in precision", #31), and all after it.
EXPECTED_DISAGREEMENTS = {
    "deeplab_mobilenet_edgetpu_slim_cityscapes_quant": 1,
    "deeplabv3_mnv2_dm05_pascal_quant": 7,
    "deeplabv3_mnv2_pascal_quant": 7,
}


def compiled_pairs(root: Path) -> list[tuple[Path, Path]]:
    pairs = []
    for compiled in sorted(root.rglob("*_edgetpu.tflite")):
        source = compiled.with_name(compiled.name[:-len("_edgetpu.tflite")] + ".tflite")
        if source.exists():
            pairs.append((source, compiled))
    return pairs


def cpu_ops_left_by_the_compiler(source_ops: list[str], compiled_ops: list[str]) -> set[int]:
    """Indices of the source ops still in the compiled model, matched from the end (the
    compiler keeps the CPU ops in order; they trail or surround the edgetpu op)."""
    left, position = set(), len(source_ops) - 1
    for name in reversed([n for n in compiled_ops if n != "edgetpu-custom-op"]):
        while source_ops[position] != name:
            position -= 1
        left.add(position)
        position -= 1
    return left


@pytest.mark.skipif(not TEST_DATA, reason="set TFLLINT_CORAL_TEST_DATA to a checkout of "
                    "github.com/google-coral/test_data to compare with the real compiler's output")
def test_verdicts_agree_with_the_compiled_models_of_coral_test_data():
    pairs = compiled_pairs(Path(TEST_DATA))
    assert pairs, f"no <name>.tflite / <name>_edgetpu.tflite pairs under {TEST_DATA}"
    report = []
    for source, compiled in pairs:
        result = coral(source.read_bytes())
        main = [v for v in result.ops if v.subgraph == 0]
        left = cpu_ops_left_by_the_compiler(
            [v.op for v in main], [op.name for op in view_of(compiled.read_bytes()).main.operators])
        predicted = {v.op_index for v in main if v.verdict != "target"}
        differ = len(left ^ predicted)
        report.append(f"{source.stem}: {len(main) - differ} / {len(main)} ops agree")
        assert differ == EXPECTED_DISAGREEMENTS.get(source.stem, 0), report[-1]
    print("\n".join(report))


def test_tile_maps_and_detection_post_processing_stays_last_on_the_cpu():
    tile = single_op("TILE", [1, 1, 1, 8], [1, 4, 4, 8], ("multiples", [1, 4, 4, 1], "INT32"))
    assert verdicts(coral(tile)) == [(0, "TILE", "target", ())]
    result = coral(int8_chain("RELU", "CUSTOM", custom_code="TFLite_Detection_PostProcess"))
    assert verdicts(result) == [(0, "RELU", "target", ()),
                                (1, "TFLite_Detection_PostProcess", "cpu", ("not-listed",))]
    assert tools(result, 1) == ["Operation not supported"]
    assert result.ops[1].fix.startswith("Nothing to do if it is the last op")


def test_supported_must_be_a_boolean(tmp_path):
    path = tmp_path / "npu.toml"
    path.write_text('[target]\nname = "x"\n[ops.ADD]\nsupported = "no"\n')
    with pytest.raises(ConfigError, match=r"\[ops.ADD\].supported must be bool"):
        load_target(str(path))
