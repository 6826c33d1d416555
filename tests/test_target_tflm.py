"""The tflm target (rules/targets/tflm.toml, tfllint/targets/checks/tflm.py): exact per-op
verdicts and reason codes on tiny models, one or more per kind of constraint, and the
whole sample set through the command line.

TINY_MODELS is also the differential test's set (test_tflm_differential.py runs each model
in the tflite-micro interpreter).
"""
from __future__ import annotations

import json
import struct
from tfllint.records import replace

import numpy as np
import pytest

from builder import ModelBuilder
from conftest import MODELS, lint_bytes, rule_locations, view_of

from tfllint.analyses import Analyses
from tfllint.engine.rule import Location
from tfllint.engine.settings import settings_from_mapping
from tfllint.targets import load_target
from tfllint.targets.checks import OpContext, get_check

INT8 = dict(scale=[0.05], zero_point=[0])
SOFTMAX_INT8_OUT = dict(scale=[1 / 256], zero_point=[-128])


class Net:
    """One subgraph under construction: tensors, ops, then bytes."""

    def __init__(self) -> None:
        self.model = ModelBuilder()
        self.main = self.model.subgraph("main")

    def act(self, name, shape, dtype="FLOAT32", **kwargs) -> int:
        return self.main.tensor(name, shape, dtype, **kwargs)

    def const(self, name, values, dtype, **kwargs) -> int:
        array = np.asarray(values, dtype=builder_numpy(dtype))
        return self.main.tensor(name, array.shape, dtype, data=array.tobytes(), **kwargs)

    def op(self, name, inputs, outputs, **kwargs) -> int:
        return self.main.op(name, inputs, outputs, **kwargs)

    def build(self, inputs, outputs) -> bytes:
        self.main.inputs, self.main.outputs = list(inputs), list(outputs)
        return self.model.build()


def builder_numpy(dtype: str) -> str:
    return {"FLOAT32": "<f4", "FLOAT16": "<f2", "INT8": "i1", "UINT8": "u1", "INT16": "<i2",
            "INT32": "<i4", "INT64": "<i8", "BOOL": "?"}[dtype]


def unary(op, dtype="FLOAT32", out_dtype=None, shape=(1, 4), out_shape=None, quant=None,
          out_quant=None, **op_arguments) -> bytes:
    net = Net()
    x = net.act("x", shape, dtype, **(quant or {}))
    y = net.act("y", out_shape or shape, out_dtype or dtype, **(out_quant or quant or {}))
    net.op(op, [x], [y], **op_arguments)
    return net.build([x], [y])


def depthwise_int8(quantized_dimension: int) -> bytes:
    """An int8 DEPTHWISE_CONV_2D with per-channel weights [1, 3, 3, 2] quantized along
    `quantized_dimension` (TFLM needs 3, the channel axis)."""
    net = Net()
    x = net.act("x", [1, 4, 4, 2], "INT8", **INT8)
    filters = net.const("f", np.ones((1, 3, 3, 2)), "INT8", scale=[0.02] * 2,
                        zero_point=[0] * 2, quantized_dimension=quantized_dimension)
    bias = net.const("b", np.zeros(2), "INT32", scale=[0.001] * 2, zero_point=[0] * 2)
    y = net.act("y", [1, 4, 4, 2], "INT8", **INT8)
    net.op("DEPTHWISE_CONV_2D", [x, filters, bias], [y],
           options=("DepthwiseConv2DOptions", {"padding": 0, "stride_w": 1, "stride_h": 1,
                                               "depth_multiplier": 1}))
    return net.build([x], [y])


def fully_connected(in_dtype="INT8", weight_dtype="INT8", bias_dtype="INT32") -> bytes:
    quantized = in_dtype != "FLOAT32"
    net = Net()
    x = net.act("x", [1, 8], in_dtype, **(INT8 if quantized else {}))
    weights = net.const("w", np.ones((4, 8)), weight_dtype,
                        **(dict(scale=[0.02] * 4, zero_point=[0] * 4)
                           if weight_dtype != "FLOAT32" else {}))
    bias = net.const("b", np.zeros(4), bias_dtype,
                     **(dict(scale=[0.001] * 4, zero_point=[0] * 4) if quantized else {}))
    y = net.act("y", [1, 4], in_dtype, **(INT8 if quantized else {}))
    net.op("FULLY_CONNECTED", [x, weights, bias], [y],
           options=("FullyConnectedOptions", {"fused_activation_function": 0}))
    return net.build([x], [y])


def conv(in_dtype="FLOAT32", filter_dtype="FLOAT32") -> bytes:
    quantized = in_dtype != "FLOAT32"
    net = Net()
    x = net.act("x", [1, 4, 4, 1], in_dtype, **(INT8 if quantized else {}))
    filters = net.const("f", np.ones((2, 3, 3, 1)), filter_dtype,
                        **(dict(scale=[0.02] * 2, zero_point=[0] * 2)
                           if filter_dtype != "FLOAT32" else {}))
    bias = net.const("b", np.zeros(2), "INT32" if quantized else "FLOAT32",
                     **(dict(scale=[0.001] * 2, zero_point=[0] * 2) if quantized else {}))
    y = net.act("y", [1, 4, 4, 2], in_dtype, **(INT8 if quantized else {}))
    net.op("CONV_2D", [x, filters, bias], [y],
           options=("Conv2DOptions", {"padding": 0, "stride_w": 1, "stride_h": 1}))
    return net.build([x], [y])


def softmax(out_quant=SOFTMAX_INT8_OUT, in_scale=0.05, beta: float | None = 1.0) -> bytes:
    options = ("SoftmaxOptions", {"beta": beta}) if beta is not None else None
    return unary("SOFTMAX", "INT8", quant=dict(scale=[in_scale], zero_point=[0]),
                 out_quant=out_quant, options=options)


def int8_classifier() -> bytes:
    """FULLY_CONNECTED int8 -> SOFTMAX int8 with the output TFLM demands."""
    net = Net()
    x = net.act("x", [1, 8], "INT8", **INT8)
    weights = net.const("w", np.ones((4, 8)), "INT8", scale=[0.02] * 4, zero_point=[0] * 4)
    bias = net.const("b", np.zeros(4), "INT32", scale=[0.001] * 4, zero_point=[0] * 4)
    logits = net.act("logits", [1, 4], "INT8", **INT8)
    y = net.act("y", [1, 4], "INT8", **SOFTMAX_INT8_OUT)
    net.op("FULLY_CONNECTED", [x, weights, bias], [logits],
           options=("FullyConnectedOptions", {"fused_activation_function": 0}))
    net.op("SOFTMAX", [logits], [y], options=("SoftmaxOptions", {"beta": 1.0}))
    return net.build([x], [y])


def float16_dequantize() -> bytes:
    net = Net()
    x = net.act("x", [1, 4])
    half = net.const("w16", np.ones((1, 4)), "FLOAT16")
    w = net.act("w", [1, 4])
    y = net.act("y", [1, 4])
    net.op("DEQUANTIZE", [half], [w], version=3)
    net.op("ADD", [x, w], [y])
    return net.build([x], [y])


def concatenation_int8(second_scale: float) -> bytes:
    net = Net()
    a = net.act("a", [1, 4], "INT8", **INT8)
    b = net.act("b", [1, 4], "INT8", scale=[second_scale], zero_point=[0])
    y = net.act("y", [1, 8], "INT8", **INT8)
    net.op("CONCATENATION", [a, b], [y], options=("ConcatenationOptions", {"axis": 1}))
    return net.build([a, b], [y])


def pad(constant_paddings: bool) -> bytes:
    net = Net()
    x = net.act("x", [1, 4])
    paddings = (net.const("paddings", [[0, 0], [1, 1]], "INT32") if constant_paddings
                else net.act("paddings", [2, 2], "INT32"))
    y = net.act("y", [1, 6])
    net.op("PAD", [x, paddings], [y])
    return net.build([x] if constant_paddings else [x, paddings], [y])


def transpose(rank: int) -> bytes:
    net = Net()
    shape = [1] * (rank - 1) + [4]
    x = net.act("x", shape)
    perm = net.const("perm", list(range(rank)), "INT32")
    y = net.act("y", shape)
    net.op("TRANSPOSE", [x, perm], [y])
    return net.build([x], [y])


def strided_slice(rank: int) -> bytes:
    net = Net()
    shape = [1] * (rank - 1) + [4]
    x = net.act("x", shape)
    begin = net.const("begin", [0] * rank, "INT32")
    end = net.const("end", shape, "INT32")
    strides = net.const("strides", [1] * rank, "INT32")
    y = net.act("y", shape)
    net.op("STRIDED_SLICE", [x, begin, end, strides], [y])
    return net.build([x], [y])


def reshape_rank(rank: int) -> bytes:
    net = Net()
    x = net.act("x", [1, 4])
    out_shape = [1] * (rank - 1) + [4]
    shape = net.const("shape", out_shape, "INT32")
    y = net.act("y", out_shape)
    net.op("RESHAPE", [x, shape], [y])
    return net.build([x], [y])


def gather(params_dtype: str) -> bytes:
    net = Net()
    params = net.act("params", [4, 2], params_dtype)
    indices = net.act("indices", [3], "INT32")
    y = net.act("y", [3, 2], params_dtype)
    net.op("GATHER", [params, indices], [y], options=("GatherOptions", {"axis": 0}))
    return net.build([params, indices], [y])


def max_pool_int8(out_scale: float) -> bytes:
    return unary("MAX_POOL_2D", "INT8", shape=(1, 4, 4, 1), out_shape=(1, 2, 2, 1), quant=INT8,
                 out_quant=dict(scale=[out_scale], zero_point=[0]),
                 options=("Pool2DOptions", {"padding": 1, "stride_w": 2, "stride_h": 2,
                                            "filter_width": 2, "filter_height": 2}))


def mean_int8() -> bytes:
    net = Net()
    x = net.act("x", [1, 2, 2, 4], "INT8", **INT8)
    axes = net.const("axes", [1, 2], "INT32")
    y = net.act("y", [1, 4], "INT8", **INT8)
    net.op("MEAN", [x, axes], [y], options=("ReducerOptions", {"keep_dims": False}))
    return net.build([x], [y])


def prelu_int16(alpha_dtype: str) -> bytes:
    net = Net()
    x = net.act("x", [1, 4], "INT16", scale=[0.001], zero_point=[0])
    alpha = net.const("alpha", np.ones(4), alpha_dtype, scale=[0.01], zero_point=[0])
    y = net.act("y", [1, 4], "INT16", scale=[0.001], zero_point=[0])
    net.op("PRELU", [x, alpha], [y])
    return net.build([x], [y])


def select_v2(condition_dtype: str) -> bytes:
    net = Net()
    condition = net.act("condition", [1, 4], condition_dtype)
    a, b = net.act("a", [1, 4]), net.act("b", [1, 4])
    y = net.act("y", [1, 4])
    net.op("SELECT_V2", [condition, a, b], [y])
    return net.build([condition, a, b], [y])


def relu_with(**tensor_arguments) -> bytes:
    """A float RELU whose output tensor takes `tensor_arguments` (shape, signature)."""
    net = Net()
    shape = tensor_arguments.pop("shape", [1, 4])
    x = net.act("x", [1, 4], shape_signature=tensor_arguments.get("shape_signature"))
    y = net.act("y", shape, **tensor_arguments)
    net.op("RELU", [x], [y])
    return net.build([x], [y])


def reshape_minus_one() -> bytes:
    """A RESHAPE whose stored output shape keeps the -1 it resolves in Prepare."""
    net = Net()
    x = net.act("x", [1, 4])
    shape = net.const("shape", [-1, 4], "INT32")
    y = net.act("y", [-1, 4])
    net.op("RESHAPE", [x, shape], [y])
    return net.build([x], [y])


def offline_plan(count: int) -> bytes:
    net = Net()
    x, y = net.act("x", [1, 4]), net.act("y", [1, 4])
    net.op("RELU", [x], [y])
    net.model.add_metadata("OfflineMemoryAllocation",
                           struct.pack(f"<3i{count}i", 1, 0, count, *([-1] * count)))
    return net.build([x], [y])


def unreachable_gelu() -> bytes:
    """Subgraph 0 runs RELU; subgraph 1, which nothing calls, holds a GELU."""
    net = Net()
    x, y = net.act("x", [1, 4]), net.act("y", [1, 4])
    net.op("RELU", [x], [y])
    other = net.model.subgraph("unused")
    a, b = other.tensor("a", [1, 4]), other.tensor("b", [1, 4])
    other.op("GELU", [a], [b])
    other.inputs, other.outputs = [a], [b]
    return net.build([x], [y])


def custom(code: str) -> bytes:
    return unary("CUSTOM", custom_code=code)


def lstm(*, cifg: bool = False, peephole: bool = False, variable_states: bool = True) -> bytes:
    """A float UNIDIRECTIONAL_SEQUENCE_LSTM with the 24 inputs TFLM expects (unit tests
    only: the builder writes no LSTM options)."""
    net = Net()
    x = net.act("x", [1, 2, 3])
    inputs = [x]
    for position in range(1, 24):
        if position in (1, 5) and cifg:  # input-gate weights absent
            inputs.append(-1)
        elif 1 <= position <= 4:
            inputs.append(net.const(f"w_input{position}", np.ones((4, 3)), "FLOAT32"))
        elif 5 <= position <= 8:
            inputs.append(net.const(f"w_recurrent{position}", np.ones((4, 4)), "FLOAT32"))
        elif 9 <= position <= 11:
            inputs.append(net.const(f"peephole{position}", np.ones(4), "FLOAT32")
                          if peephole else -1)
        elif 12 <= position <= 15:
            inputs.append(net.const(f"bias{position}", np.zeros(4), "FLOAT32"))
        elif position in (18, 19):
            inputs.append(net.act(f"state{position}", [1, 4], is_variable=variable_states))
        else:
            inputs.append(-1)
    y = net.act("y", [1, 2, 4])
    net.op("UNIDIRECTIONAL_SEQUENCE_LSTM", inputs, [y])
    return net.build([x], [y])


def tiny_models() -> dict[str, bytes]:
    """The tiny models, shared with the differential test: name -> bytes."""
    return {
        "int8_classifier": int8_classifier(),
        "float_conv": conv(),
        "int8_depthwise_per_channel": depthwise_int8(3),
        "depthwise_per_channel_wrong_axis": depthwise_int8(0),
        "int16x8_fully_connected": fully_connected("INT16", "INT8", "INT64"),
        "shape_signature_batch": relu_with(shape_signature=[-1, 4]),
        "int8_mean": mean_int8(),
        "float_gather": gather("FLOAT32"),
        "int16_prelu_int8_alpha": prelu_int16("INT8"),
        "bool_select_v2": select_v2("BOOL"),
        "pad_constant_paddings": pad(True),
        "transpose_rank5": transpose(5),
        "strided_slice_rank4": strided_slice(4),
        "reshape_rank7": reshape_rank(7),
        "reshape_minus_one": reshape_minus_one(),
        "uint8_add": unary("RELU", "UINT8", quant=dict(scale=[0.1], zero_point=[128])),
        "hybrid_fully_connected": fully_connected("FLOAT32", "INT8", "FLOAT32"),
        "hybrid_conv": conv("FLOAT32", "INT8"),
        "int8_conv_float_filter": conv("INT8", "FLOAT32"),
        "float16_dequantize": float16_dequantize(),
        "quantize_float_to_uint8": unary("QUANTIZE", "FLOAT32", "UINT8",
                                         out_quant=dict(scale=[0.1], zero_point=[128])),
        "int16_exp": unary("EXP", "INT16", quant=dict(scale=[0.001], zero_point=[0])),
        "int8_neg": unary("NEG", "INT8", quant=INT8),
        "int32_gather": gather("INT32"),
        "int16_prelu_int16_alpha": prelu_int16("INT16"),
        "float_select_v2": select_v2("FLOAT32"),
        "gelu": unary("GELU"),
        "tile": unary("TILE"),
        "unknown_builtin_code": unary(250),
        "custom_op": custom("MyCustomOp"),
        "flex_op": custom("FlexMatrixDeterminant"),
        "ethos_u": custom("ethos-u"),
        "edgetpu": custom("edgetpu-custom-op"),
        "softmax_zero_point_0": softmax(dict(scale=[1 / 256], zero_point=[0])),
        "softmax_scale_1_255": softmax(dict(scale=[1 / 255], zero_point=[-128])),
        "softmax_without_beta": softmax(beta=None),
        "softmax_tiny_input_scale": softmax(in_scale=1e-9),
        "logistic_zero_point_0": unary("LOGISTIC", "INT8", quant=INT8,
                                       out_quant=dict(scale=[1 / 256], zero_point=[0])),
        "log_softmax_scale_0_05": unary("LOG_SOFTMAX", "INT8", quant=INT8,
                                        out_quant=dict(scale=[0.05], zero_point=[127])),
        "int16_tanh_scale_0_0001": unary("TANH", "INT16",
                                         quant=dict(scale=[1 / 4096], zero_point=[0]),
                                         out_quant=dict(scale=[0.0001], zero_point=[0])),
        "max_pool_rescaling": max_pool_int8(0.1),
        "max_pool_same_scale": max_pool_int8(0.05),
        "concatenation_mixed_scales": concatenation_int8(0.1),
        "concatenation_same_scales": concatenation_int8(0.05),
        "pad_runtime_paddings": pad(False),
        "transpose_rank6": transpose(6),
        "strided_slice_rank5": strided_slice(5),
        "dynamic_output": relu_with(shape=[-1, 4]),
        "offline_plan_wrong_count": offline_plan(3),
        "offline_plan_right_count": offline_plan(2),
        "unreachable_gelu": unreachable_gelu(),
    }


TINY_MODELS = tiny_models()


def analyse(data: bytes):
    view = view_of(data)
    return Analyses(view, settings_from_mapping({"target": ["tflm"]}, "test")).target("tflm")


def verdicts(data: bytes) -> list[tuple[int, int, str, tuple[str, ...]]]:
    """(subgraph, op index, verdict, reason codes) of every op that does not run."""
    return [(v.subgraph, v.op_index, v.verdict, tuple(r.code for r in v.reasons))
            for v in analyse(data).ops if v.verdict != "target"]


def model_reasons(data: bytes) -> list[tuple[str, str, str | None]]:
    return [(r.code, r.message, r.tool) for r in analyse(data).model_reasons]


# -- the profile ----------------------------------------------------------------------------

def test_profile_loads_under_both_names():
    profile = load_target("micro")
    assert (profile.name, profile.partitioning, profile.fallback) == ("tflm", "none", "none")
    assert load_target("tflm").ops.keys() == profile.ops.keys()


def test_every_builtin_of_the_micro_resolver_is_listed_and_nothing_else():
    # micro_mutable_op_resolver.h @90b983c2 has an Add*() for these 100 builtin codes.
    resolver = set("""ABS ADD ADD_N ARG_MAX ARG_MIN ASSIGN_VARIABLE AVERAGE_POOL_2D BATCH_MATMUL
        BATCH_TO_SPACE_ND BROADCAST_ARGS BROADCAST_TO CALL_ONCE CAST CEIL CONCATENATION CONV_2D
        COS CUMSUM DEPTHWISE_CONV_2D DEPTH_TO_SPACE DEQUANTIZE DIV DYNAMIC_UPDATE_SLICE ELU
        EMBEDDING_LOOKUP EQUAL EXP EXPAND_DIMS FILL FLOOR FLOOR_DIV FLOOR_MOD FULLY_CONNECTED
        GATHER GATHER_ND GREATER GREATER_EQUAL HARD_SWISH IF L2_NORMALIZATION L2_POOL_2D
        LEAKY_RELU LESS LESS_EQUAL LOG LOGICAL_AND LOGICAL_NOT LOGICAL_OR LOGISTIC LOG_SOFTMAX
        MAXIMUM MAX_POOL_2D MEAN MINIMUM MIRROR_PAD MUL NEG NOT_EQUAL PACK PAD PADV2 PRELU
        QUANTIZE READ_VARIABLE REDUCE_ALL REDUCE_MAX REDUCE_MIN RELU RELU6 RESHAPE
        RESIZE_BILINEAR RESIZE_NEAREST_NEIGHBOR REVERSE_V2 ROUND RSQRT SELECT_V2 SHAPE SIN SLICE
        SOFTMAX SPACE_TO_BATCH_ND SPACE_TO_DEPTH SPLIT SPLIT_V SQRT SQUARE SQUARED_DIFFERENCE
        SQUEEZE STRIDED_SLICE SUB SUM SVDF TANH TRANSPOSE TRANSPOSE_CONV
        UNIDIRECTIONAL_SEQUENCE_LSTM UNPACK VAR_HANDLE WHILE ZEROS_LIKE""".split())
    profile = load_target("tflm")
    runnable = {name for name, op in profile.ops.items() if op.supported and name != "*"}
    assert {name for name in runnable if not name.startswith("CUSTOM:")} == resolver
    assert len(resolver) == 100
    assert not any(op.versions for op in profile.ops.values())  # TFLM ignores op versions


# -- models that run ------------------------------------------------------------------------

@pytest.mark.parametrize("name", [
    "int8_classifier", "float_conv", "int8_depthwise_per_channel", "int16x8_fully_connected",
    "shape_signature_batch", "int8_mean", "float_gather", "int16_prelu_int8_alpha",
    "bool_select_v2", "pad_constant_paddings", "transpose_rank5", "strided_slice_rank4",
    "reshape_rank7", "concatenation_same_scales", "max_pool_same_scale",
    "offline_plan_right_count"])
def test_models_tflm_runs_have_no_blocking_op(name):
    assert verdicts(TINY_MODELS[name]) == []
    assert model_reasons(TINY_MODELS[name]) == []
    assert not analyse(TINY_MODELS[name]).blocked


def test_registered_custom_ops_run():
    for code in ("SignalWindow", "TFLM_DECODE", "TFLite_Detection_PostProcess"):
        assert verdicts(custom(code)) == [], code
    # CIRCULAR_BUFFER is registered but int8 only (circular_buffer_common.cc)
    assert verdicts(custom("CIRCULAR_BUFFER")) == [(0, 0, "blocks", ("dtype",))]


# -- ops TFLM lacks -------------------------------------------------------------------------

def test_op_missing_from_the_resolver_blocks_with_tflms_words_and_a_fix():
    result = analyse(TINY_MODELS["gelu"])
    (verdict,) = result.ops
    assert (verdict.verdict, [r.code for r in verdict.reasons]) == ("blocks", ["not-listed"])
    assert verdict.reasons[0].tool == "Didn't find op for builtin opcode 'GELU'"
    assert verdict.fix.startswith("Write it with ops TFLM has: x * LOGISTIC(1.702 * x)")
    assert verdicts(TINY_MODELS["tile"]) == [(0, 0, "blocks", ("not-listed",))]


def test_op_missing_without_a_known_rewrite_still_blocks():
    assert verdicts(unary("SCATTER_ND")) == [(0, 0, "blocks", ("not-listed",))]
    assert verdicts(TINY_MODELS["unknown_builtin_code"]) == [(0, 0, "blocks", ("not-listed",))]


@pytest.mark.parametrize("name, message", [
    ("custom_op", "custom op MyCustomOp is not supported by TFLite Micro"),
    ("flex_op", "Flex op (TensorFlow op MatrixDeterminant): only the Flex delegate runs it, "
                "not TFLite Micro"),
    ("edgetpu", "edgetpu-custom-op is a model already compiled for the Coral Edge TPU; it "
                "runs only there, not on TFLite Micro"),
])
def test_unregistered_custom_ops_block(name, message):
    (verdict,) = analyse(TINY_MODELS[name]).ops
    assert (verdict.verdict, [(r.code, r.message, r.tool) for r in verdict.reasons]) == (
        "blocks", [("not-listed", message, "Failed to get registration from op code CUSTOM")])


def test_ethos_u_op_blocks_on_a_build_without_the_ethos_u_kernel():
    (verdict,) = analyse(TINY_MODELS["ethos_u"]).ops
    assert (verdict.verdict, [r.code for r in verdict.reasons]) == (
        "blocks", ["tflm-ethos-u-kernel"])
    assert verdict.reasons[0].tool == "Failed to get registration from op code CUSTOM"
    assert "--target ethos-u55/u65/u85" in verdict.fix


# -- kernel types ---------------------------------------------------------------------------

@pytest.mark.parametrize("name, expected", [
    ("uint8_add", [(0, 0, "blocks", ("dtype",))]),
    ("int16_exp", [(0, 0, "blocks", ("dtype",))]),
    ("int8_neg", [(0, 0, "blocks", ("dtype",))]),
    ("float16_dequantize", [(0, 0, "blocks", ("weight-dtype",))]),
    ("hybrid_fully_connected", [(0, 0, "blocks", ("tflm-weight-types",))]),
    ("hybrid_conv", [(0, 0, "blocks", ("tflm-weight-types",))]),
    ("int8_conv_float_filter", [(0, 0, "blocks", ("tflm-weight-types",))]),
    ("int16_prelu_int16_alpha", [(0, 0, "blocks", ("tflm-weight-types",))]),
    ("quantize_float_to_uint8", [(0, 0, "blocks", ("tflm-type-pairs",))]),
    ("depthwise_per_channel_wrong_axis", [(0, 0, "blocks", ("tflm-per-channel-weights",))]),
    ("int32_gather", [(0, 0, "blocks", ("tflm-tensor-roles",))]),
    ("float_select_v2", [(0, 0, "blocks", ("tflm-tensor-roles",))]),
])
def test_wrongly_typed_ops_block(name, expected):
    assert verdicts(TINY_MODELS[name]) == expected


def test_hybrid_ops_name_the_weights_and_quote_the_kernel():
    (reason,) = analyse(TINY_MODELS["hybrid_conv"]).ops[0].reasons
    assert reason.message == ("FLOAT32 input with INT8 weights 'f' is a hybrid (dynamic-range) "
                              "op: TFLM has no hybrid kernels")
    assert reason.tool == ("tensorflow/lite/micro/kernels/conv_common.cc Hybrid models are "
                           "not supported on TFLite Micro.")
    (reason,) = analyse(TINY_MODELS["hybrid_fully_connected"]).ops[0].reasons
    assert reason.tool == "Input type: FLOAT32 with filter type: INT8 not supported."


def test_uint8_compute_names_the_tensor_and_the_types_tflm_takes():
    (reason,) = analyse(TINY_MODELS["uint8_add"]).ops[0].reasons
    assert reason.message == "input 'x' is UINT8; supported: FLOAT32, INT8, INT16"


def test_quantize_pair_quotes_the_kernel():
    (reason,) = analyse(TINY_MODELS["quantize_float_to_uint8"]).ops[0].reasons
    assert reason.tool == "Input FLOAT32, output UINT8 not supported."


def test_uint8_boundary_quantize_and_dequantize_run():
    uint8 = dict(scale=[0.1], zero_point=[128])
    assert verdicts(unary("QUANTIZE", "UINT8", "INT8", quant=uint8, out_quant=INT8)) == []
    assert verdicts(unary("DEQUANTIZE", "UINT8", "FLOAT32", quant=uint8, out_quant={})) == []


# -- quantization parameters the kernels demand ---------------------------------------------

def test_int8_softmax_output_zero_point_must_be_minus_128():
    (reason,) = analyse(TINY_MODELS["softmax_zero_point_0"]).ops[0].reasons
    assert (reason.code, reason.message, reason.tool) == (
        "tflm-output-quantization",
        "output 'y' has zero point 0; TFLM's INT8 SOFTMAX needs zero point -128",
        "tensorflow/lite/micro/kernels/softmax_common.cc:103 output->params.zero_point != "
        "-128 (0 != -128)")


def test_int8_softmax_output_scale_must_be_exactly_1_256():
    (reason,) = analyse(TINY_MODELS["softmax_scale_1_255"]).ops[0].reasons
    assert (reason.code, reason.message, reason.tool) == (
        "tflm-output-quantization",
        "output 'y' has scale 0.00392156886; TFLM's INT8 SOFTMAX needs scale 1/256",
        "tensorflow/lite/micro/kernels/softmax_common.cc:104 output->params.scale == 1.f / 256 "
        "was not true.")


def test_int8_to_int16_softmax_output():
    assert verdicts(unary("SOFTMAX", "INT8", "INT16", quant=INT8,
                          out_quant=dict(scale=[1 / 65536], zero_point=[-32768]),
                          options=("SoftmaxOptions", {"beta": 1.0}))) == []
    assert verdicts(unary("SOFTMAX", "INT8", "INT16", quant=INT8,
                          out_quant=dict(scale=[1 / 65536], zero_point=[0]),
                          options=("SoftmaxOptions", {"beta": 1.0}))) == [
        (0, 0, "blocks", ("tflm-output-quantization",))]


@pytest.mark.parametrize("name", ["softmax_without_beta", "softmax_tiny_input_scale"])
def test_int8_softmax_whose_scaling_aborts_tflm(name):
    (verdict,) = analyse(TINY_MODELS[name]).ops
    assert [r.code for r in verdict.reasons] == ["tflm-softmax-input-scale"]
    assert "TFLM aborts in Prepare" in verdict.reasons[0].message


@pytest.mark.parametrize("name", ["log_softmax_scale_0_05", "int16_tanh_scale_0_0001"])
def test_output_scales_tflm_demands(name):
    assert verdicts(TINY_MODELS[name]) == [(0, 0, "blocks", ("tflm-output-quantization",))]


def test_int8_logistic_output_zero_point_must_be_minus_128():
    assert verdicts(TINY_MODELS["logistic_zero_point_0"]) == [
        (0, 0, "blocks", ("tflm-output-quantization",))]


def test_int16_tanh_needs_power_of_two_output_scale():
    int16 = dict(scale=[1 / 4096], zero_point=[0])
    good = dict(scale=[2 ** -15], zero_point=[0])
    assert verdicts(unary("TANH", "INT16", quant=int16, out_quant=good)) == []
    assert verdicts(unary("TANH", "INT16", quant=int16,
                          out_quant=dict(scale=[0.0001], zero_point=[0]))) == [
        (0, 0, "blocks", ("tflm-output-quantization",))]


def test_int8_log_softmax_output():
    good = dict(scale=[16 / 256], zero_point=[127])
    assert verdicts(unary("LOG_SOFTMAX", "INT8", quant=INT8, out_quant=good)) == []
    assert [r.message for r in analyse(unary("LOG_SOFTMAX", "INT8", quant=INT8,
                                             out_quant=INT8)).ops[0].reasons] == [
        "output 'y' has zero point 0; TFLM's INT8 LOG_SOFTMAX needs zero point 127",
        "output 'y' has scale 0.0500000007; TFLM's INT8 LOG_SOFTMAX needs scale 1/16"]


def test_int8_pooling_does_not_rescale():
    (reason,) = analyse(TINY_MODELS["max_pool_rescaling"]).ops[0].reasons
    assert (reason.code, reason.tool) == (
        "tflm-same-quantization", "Node MAX_POOL_2D (number 0) failed to prepare with status 1")


def test_int8_concatenation_does_not_rescale():
    assert verdicts(TINY_MODELS["concatenation_mixed_scales"]) == [
        (0, 0, "blocks", ("tflm-concatenation",))]


# -- structure ------------------------------------------------------------------------------

def test_non_constant_paddings_block_with_the_prepare_failure():
    (verdict,) = analyse(TINY_MODELS["pad_runtime_paddings"]).ops
    assert [(r.code, r.tool) for r in verdict.reasons] == [
        ("non-constant", "Node PAD (number 0) failed to prepare with status 1")]


@pytest.mark.parametrize("name", ["transpose_rank6", "strided_slice_rank5"])
def test_rank_limits(name):
    assert verdicts(TINY_MODELS[name]) == [(0, 0, "blocks", ("rank",))]


def test_a_dynamic_output_blocks_but_a_dynamic_signature_does_not():
    (verdict,) = analyse(TINY_MODELS["dynamic_output"]).ops
    assert [(r.code, r.tool) for r in verdict.reasons] == [
        ("tflm-dynamic-output", "Op#0 (RELU) of subgraph 0 has dynamic tensor #1")]
    assert verdicts(TINY_MODELS["shape_signature_batch"]) == []


def test_reshape_resolves_one_minus_one_itself():
    assert verdicts(TINY_MODELS["reshape_minus_one"]) == []


def test_offline_plan_must_cover_every_tensor():
    assert model_reasons(TINY_MODELS["offline_plan_wrong_count"]) == [(
        "tflm-offline-plan",
        "the OfflineMemoryAllocation metadata plans 3 tensors but the model has 2",
        "Nbr of offline buffer offsets (3) in metadata not equal nbr tensors (2)")]
    assert analyse(TINY_MODELS["offline_plan_wrong_count"]).blocked


def test_ops_of_subgraphs_nothing_calls_are_still_registered():
    assert verdicts(TINY_MODELS["unreachable_gelu"]) == []
    assert model_reasons(TINY_MODELS["unreachable_gelu"]) == [(
        "tflm-every-subgraph-registered",
        "op 0 (GELU) of subgraph 1, which nothing calls, has no TFLM kernel; TFLM registers "
        "every subgraph's ops", "Didn't find op for builtin opcode 'GELU'")]


@pytest.mark.parametrize("arguments, codes", [
    ({}, ()),
    ({"cifg": True}, ("tflm-lstm-variant",)),
    ({"peephole": True}, ("tflm-lstm-variant",)),
    ({"variable_states": False}, ("tflm-lstm-variant",) * 2),  # hidden and cell state
])
def test_lstm_variants_tflm_lacks(arguments, codes):
    expected = [(0, 0, "blocks", codes)] if codes else []
    assert verdicts(lstm(**arguments)) == expected


def test_lstm_variant_messages():
    messages = [r.message for r in analyse(lstm(cifg=True, peephole=True)).ops[0].reasons]
    assert messages == [
        "gate weight inputs [1, 5] are absent (a CIFG LSTM); TFLM needs all eight",
        "peephole inputs [9, 10, 11] are present; TFLM's LSTM has no peephole"]


def _op_context(data: bytes, **op_changes) -> OpContext:
    view = view_of(data)
    profile = load_target("tflm")
    op = replace(view.model.subgraphs[0].operators[0], **op_changes)
    return OpContext(view, Analyses(view, settings_from_mapping({}, "test")), profile,
                     None, op, profile.support_for(op.opcode.name))


def test_builtin_op_with_custom_options_is_refused():
    # tests/builder.py writes no custom options, so the op is changed after decoding.
    context = _op_context(unary("RELU"), custom_options_size=8)
    assert list(get_check("tflm-builtin-custom-options").function(context)) == [(
        "builtin RELU carries 8 bytes of custom options, which TFLM refuses for builtin ops",
        "Unsupported behavior: found builtin operator RELU with custom options.")]


def test_intermediate_tensors_must_be_empty():
    # The builder writes no intermediates: point the op at its own input (16 bytes).
    context = _op_context(unary("RELU"), intermediates=(0,))
    assert list(get_check("tflm-intermediate-tensors").function(context)) == [(
        "intermediate tensor 'x' has 16 bytes; TFLM supports only empty intermediates "
        "(convert the LSTM for TFLM without them)",
        "Does not support intermediate tensor with non-zero size: 16")]


# -- the rule and the command line ----------------------------------------------------------

def test_tfl302_names_the_op_and_tflms_words():
    findings = lint_bytes(TINY_MODELS["gelu"], target=["tflm"])
    assert rule_locations([f for f in findings if f.rule.startswith("TFL3")]) == {
        ("TFL302", Location(subgraph=0, op_index=0, op="GELU"))}


EXPECTED_SAMPLES = {  # model -> (ops that run, ops that block, reason codes of blocked ops)
    "cnn_float16": (9, 10, {"weight-dtype"}),
    "cnn_float32": (9, 0, set()),
    "cnn_int8": (9, 0, set()),
    "cnn_int8_metadata": (9, 0, set()),
    "cnn_int8_uint8io": (11, 0, set()),
    "dense_dynamic_range": (0, 3, {"tflm-weight-types"}),
    "dynamic_batch": (3, 0, set()),
    "flex_op": (2, 1, {"not-listed"}),
    "micro_int8": (3, 0, set()),
    "two_inputs": (5, 0, set()),
    "while_loop": (6, 0, set()),
}


def test_sample_models_end_to_end(run_cli):
    code, out, _ = run_cli(MODELS, "--target", "tflm", "--no-config", "--format", "json")
    assert code == 1  # three samples cannot run: TFL302 errors
    report = json.loads(out)
    seen = {}
    for model in report["models"]:
        name = model["path"].rsplit("/", 1)[-1].removesuffix(".tflite")
        ops = model["targets"]["tflm"]["ops"]
        blocked = [op for op in ops if op["verdict"] == "blocks"]
        seen[name] = (len(ops) - len(blocked), len(blocked),
                      {reason["code"] for op in blocked for reason in op["reasons"]})
        assert {op["verdict"] for op in ops} <= {"target", "blocks"}
        # one TFL302 finding per cause, at every op it blocks
        places = [(place["subgraph"], place["op_index"]) for finding in model["findings"]
                  if finding["rule"] == "TFL302" for place in finding["locations"]
                  if place["op_index"] is not None]
        assert sorted(places) == sorted((op["subgraph"], op["op_index"]) for op in blocked)
    assert seen == EXPECTED_SAMPLES
