"""The `npu-mediatek` target: LiteRT's MediaTek compiler plugin's public partition rule.

The profile's op table against the plugin's table as the source and the 2.3.0 wheel hold
it (tests/data/npu_mediatek_ops_f67457790c9c.txt), the tensor-type rule of VerifyCommonOp,
composites, the legalizations that stop the compile, partitioning and the sample models.
MediaTek's NeuronAdapter (the NeuroPilot SDK) is not on PyPI: its closed "get supported
operations" check, which a Neuron SDK from 8.2.24 adds, has the last word and is not
checked anywhere; tests/test_npu_public_rule_differential.py runs the plugin's own partition
step with a names-only stub of it."""
from __future__ import annotations

import numpy as np
import pytest
from builder import ModelBuilder
from conftest import MODELS, lint_bytes, rule_locations, target_result, verdicts
from intel_oracle import composite_model
from npu_tables import chain, recorded, table_count, wheel_plugin

from tfllint.engine.rule import Location
from tfllint.targets.checks import mediatek
from tfllint.targets.profile import load_target

DATA = "npu_mediatek_ops_f67457790c9c.txt"
SOURCE = ("google-ai-edge/LiteRT@f67457790c9c2ab67347d6fe53270e8d3df20868 "
          "litert/vendors/mediatek/compiler/compiler_plugin.cc")


def mediatek_result(data: bytes):
    return target_result(data, "npu-mediatek")


def single(op: str, inputs, outputs, options=None) -> bytes:
    """One op; inputs and outputs are (name, shape, dtype, tensor keywords) tuples, an
    input with `data` among its keywords being a constant."""
    model = ModelBuilder()
    main = model.subgraph()
    ins = [main.tensor(name, shape, dtype, **extra) for name, shape, dtype, extra in inputs]
    outs = [main.tensor(name, shape, dtype, **extra) for name, shape, dtype, extra in outputs]
    main.op(op, ins, outs, options=options)
    main.inputs = [t for t, spec in zip(ins, inputs) if "data" not in spec[3]]
    main.outputs = outs
    return model.build()


def unary(op: str, dtype: str, **quantization) -> bytes:
    return single(op, [("x", [1, 8], dtype, quantization)], [("y", [1, 8], dtype, quantization)])


INT8 = dict(scale=[0.5], zero_point=[-3])


# -- the op table ------------------------------------------------------------------------------

def test_the_recorded_tables_are_the_sources_and_the_wheels():
    source, wheel = recorded(DATA, "source"), recorded(DATA, "wheel")
    assert len(source) == len(set(source)) == 45
    # the 2.3.0 wheel was built after the source commit: TILE and UNPACK after MINIMUM
    at = source.index("MINIMUM") + 1
    assert wheel == source[:at] + ["TILE", "UNPACK"] + source[at:]
    assert tuple(recorded(DATA, "composite")) == mediatek.COMPOSITES


def test_the_profile_selects_exactly_the_wheels_table():
    profile = load_target("npu-mediatek")
    listed = {name for name, op in profile.ops.items() if name != "*" and op.supported}
    assert listed == set(recorded(DATA, "wheel"))
    assert profile.ops["STABLEHLO_COMPOSITE"].checks == ("mediatek-composite",)
    assert profile.support_for("*").checks == ("mediatek-tensor-types", "npu-cpu-call")
    assert profile.requirements.checks == ("mediatek-compile-fails",
                                           "npu-compiled-for-another-soc",
                                           "npu-dispatch-bytecode-outside-file",
                                           "npu-dispatch-without-bytecode")
    assert any(SOURCE in source for source in profile.sources)
    assert (profile.partitioning, profile.fallback, profile.runtime_path) == (
        "runs", "cpu", "compiledmodel-accelerator")
    assert "last word" in profile.describes and "mt6989" in profile.describes


PLUGIN = wheel_plugin("mediatek", "libLiteRtCompilerPlugin_MediaTek.so")


@pytest.mark.skipif(PLUGIN is None, reason="ai-edge-litert (the oracle extra) with the MediaTek "
                                           "plugin is not installed")
def test_the_wheels_plugin_holds_the_recorded_table():
    assert table_count(PLUGIN, recorded(DATA, "wheel")) == 1
    assert table_count(PLUGIN, recorded(DATA, "source")) == 0


# -- one op ------------------------------------------------------------------------------------

def test_a_listed_op_with_mapped_types_is_selected_and_others_stay_on_the_cpu():
    result = mediatek_result(chain("TANH", "EXP", "RELU"))
    assert verdicts(result) == [(0, "TANH", "target", ()), (1, "EXP", "cpu", ("not-listed",)),
                                (2, "RELU", "target", ())]
    reason = result.ops[1].reasons[0]
    assert reason.message == "EXP is not supported by LiteRT's MediaTek NPU plugin"
    assert reason.tool is None  # the plugin logs nothing for an op it does not select
    assert reason.fix.startswith("The MediaTek plugin maps only the ops of its table")
    assert (result.partitions, result.transitions) == (2, 2)


def test_each_run_of_selected_ops_in_file_order_is_one_partition():
    # RELU and TANH form one connected group, but EXP (not selected, on another branch)
    # sits between them in the file: GroupPartitionsV2 cuts there, two DISPATCH_OPs
    model = ModelBuilder()
    main = model.subgraph()
    x, a, b, c = (main.tensor(name, [1, 8]) for name in "xabc")
    main.op("RELU", [x], [a])
    main.op("EXP", [x], [b])
    main.op("TANH", [a], [c])
    main.inputs, main.outputs = [x], [b, c]
    result = mediatek_result(model.build())
    assert [v[2] for v in verdicts(result)] == ["target", "cpu", "target"]
    assert result.partitions == 2


@pytest.mark.parametrize("dtype, quantization, tool", [
    ("FLOAT32", {}, None),
    ("FLOAT16", {}, None),
    ("UINT8", {}, None),
    ("INT8", INT8, None),
    ("INT8", dict(scale=[0.5, 0.25], zero_point=[0, 0], quantized_dimension=1), None),
    ("INT8", {}, "Int8 is not supported."),
    ("INT16", dict(scale=[0.5], zero_point=[0]), None),
    ("INT16", {}, "Int16 is not supported."),
    ("INT16", dict(scale=[0.5, 0.25], zero_point=[0, 0], quantized_dimension=1),
     "Int16 is not supported."),
    ("UINT16", {}, "UInt16 is not supported."),
    ("INT32", {}, None),
    # the source refuses this one; the 2.3.0 wheel's plugin selects it (the differential test)
    ("INT32", dict(scale=[1.0, 1.0], zero_point=[0, 1], quantized_dimension=1), None),
    (19, dict(scale=[0.5], zero_point=[0]), None),  # INT2: the 2.3.0 wheel maps it as INT4
    (19, {}, "Int2 is not supported."),
    ("INT64", {}, "Unsupported element type: INT64"),
    ("FLOAT64", {}, "Unsupported element type: FLOAT64"),
])
def test_every_tensor_must_map_to_a_neuron_type(dtype, quantization, tool):
    result = mediatek_result(unary("RELU", dtype, **quantization))
    if tool is None:
        assert verdicts(result) == [(0, "RELU", "target", ())]
        return
    assert verdicts(result) == [(0, "RELU", "cpu", ("mediatek-tensor-types",))]
    assert [r.tool for r in result.ops[0].reasons] == [tool]


def test_int64_and_int4_constants_map_but_block_wise_int4_does_not():
    model = ModelBuilder()
    main = model.subgraph()
    x = main.tensor("x", [1, 4, 8], "INT8", **INT8)
    axes = main.constant("axes", np.array([1], np.int64), "INT64")
    y = main.tensor("y", [1, 8], "INT8", **INT8)
    main.op("MEAN", [x, axes], [y])
    main.inputs, main.outputs = [x], [y]
    assert verdicts(mediatek_result(model.build())) == [(0, "MEAN", "target", ())]

    def fully_connected(**weight_quantization) -> bytes:
        model = ModelBuilder()
        main = model.subgraph()
        x = main.tensor("x", [1, 32], "INT8", **INT8)
        scales = main.constant("scales", np.ones((4, 1), np.float16), "FLOAT16")
        weights = main.tensor("w", [4, 32], "INT4", data=bytes(64), **(
            weight_quantization or dict(blockwise=(scales, -1, 32))))
        y = main.tensor("y", [1, 4], "INT8", **INT8)
        main.op("FULLY_CONNECTED", [x, weights], [y])
        main.inputs, main.outputs = [x], [y]
        return model.build()

    assert verdicts(mediatek_result(fully_connected(scale=[0.1] * 4, zero_point=[0] * 4,
                                                    quantized_dimension=0))) == [
        (0, "FULLY_CONNECTED", "target", ())]
    blockwise = mediatek_result(fully_connected())
    assert verdicts(blockwise) == [(0, "FULLY_CONNECTED", "cpu", ("mediatek-tensor-types",))]
    assert blockwise.ops[0].reasons[0].message == (
        "input 'w' is INT4 (quantized block-wise, which the plugin reads as no quantization), "
        "which maps to no Neuron tensor type")
    assert blockwise.ops[0].reasons[0].tool == "Int4 is not supported."


def test_only_the_rms_norm_and_l2_norm_composites_are_selected():
    for name in ("odml.rms_norm", "odml.l2_norm", "odml.npu_call"):
        assert verdicts(mediatek_result(composite_model(name)), subgraph=0) == [
            (0, "STABLEHLO_COMPOSITE", "target", ())], name
    other = mediatek_result(composite_model("odml.group_norm"))
    assert verdicts(other, subgraph=0) == [(0, "STABLEHLO_COMPOSITE", "cpu",
                                            ("mediatek-composite",))]
    assert other.ops[0].reasons[0].message == (
        "composite 'odml.group_norm': the MediaTek compiler plugin takes only odml.rms_norm "
        "and odml.l2_norm; LiteRT inlines its decomposition (subgraph 1) and partitions those "
        "ops instead")
    cpu_call = mediatek_result(composite_model("odml.cpu_call"))
    assert "LiteRT never lets a plugin select odml.cpu_call" in \
        cpu_call.ops[0].reasons[0].message
    # nor the ops of its decomposition, which LiteRT inlines after partitioning
    assert verdicts(cpu_call, subgraph=1) == [(0, "RELU", "cpu", ("npu-cpu-call",))]


# -- the compile -------------------------------------------------------------------------------

def resize_nearest(constant_size: bool) -> bytes:
    model = ModelBuilder()
    main = model.subgraph()
    x = main.tensor("x", [1, 4, 4, 8])
    size = main.constant("size", np.array([8, 8], np.int32), "INT32") if constant_size \
        else main.tensor("size", [2], "INT32")
    y = main.tensor("y", [1, 8, 8, 8])
    # the options table as the converter writes it (the legalization reads align_corners)
    main.op("RESIZE_NEAREST_NEIGHBOR", [x, size], [y],
            options=("ResizeNearestNeighborOptions", dict(align_corners=False)))
    main.inputs, main.outputs = ([x] if constant_size else [x, size]), [y]
    return model.build()


def transpose_conv(constant_shape: bool, bias: bool) -> bytes:
    model = ModelBuilder()
    main = model.subgraph()
    shape = main.constant("shape", np.array([1, 8, 8, 4], np.int32), "INT32") \
        if constant_shape else main.tensor("shape", [4], "INT32")
    weights = main.constant("w", np.ones((4, 3, 3, 8), np.float32))
    x = main.tensor("x", [1, 4, 4, 8])
    inputs = [shape, weights, x]
    if bias:
        inputs.append(main.constant("b", np.zeros(4, np.float32)))
    y = main.tensor("y", [1, 8, 8, 4])
    main.op("TRANSPOSE_CONV", inputs, [y],
            options=("TransposeConvOptions", dict(padding=0, stride_w=2, stride_h=2)))
    main.inputs, main.outputs = ([x] if constant_shape else [shape, x]), [y]
    return model.build()


def test_legalizations_that_stop_the_compile_block_the_model():
    assert mediatek_result(resize_nearest(constant_size=True)).model_reasons == ()
    computed = mediatek_result(resize_nearest(constant_size=False))
    assert [(r.code, r.tool) for r in computed.model_reasons] == [
        ("mediatek-compile-fails", "The second input of ResizeNearestNeighbor is not const.")]
    assert computed.model_reasons[0].message.startswith(
        "op 0 RESIZE_NEAREST_NEIGHBOR (subgraph 0): its size input is not a constant")
    assert computed.blocked
    findings = lint_bytes(resize_nearest(constant_size=False), target=["npu-mediatek"])
    assert ("TFL302", Location()) in rule_locations(findings)
    assert [f.severity for f in findings if f.rule == "TFL302"] == ["error"]

    assert mediatek_result(transpose_conv(constant_shape=True, bias=False)).model_reasons == ()
    assert mediatek_result(transpose_conv(constant_shape=False, bias=True)).model_reasons == ()
    no_bias = mediatek_result(transpose_conv(constant_shape=False, bias=False))
    assert [r.tool for r in no_bias.model_reasons] == [
        "The output_shape input of TransposeConv is not const."]


def int64_reshape(shape) -> bytes:
    """x -> RESHAPE to `shape`, given as an INT64 constant."""
    model = ModelBuilder()
    main = model.subgraph()
    x = main.tensor("x", [1, 8])
    target_shape = main.constant("shape", np.array(shape, np.int64), "INT64")
    y = main.tensor("y", [8])
    main.op("RESHAPE", [x, target_shape], [y])
    main.inputs, main.outputs = [x], [y]
    return model.build()


def test_an_int64_constant_outside_the_int32_range_stops_the_compile():
    assert mediatek_result(int64_reshape([8])).model_reasons == ()
    wide = mediatek_result(int64_reshape([1 << 40]))
    assert [r.tool for r in wide.model_reasons] == [
        "CastInt64IntoInt32: value out of int32_t range."]


def test_an_op_without_the_options_its_legalization_reads_stops_the_compile():
    def add(options) -> bytes:
        model = ModelBuilder()
        main = model.subgraph()
        a, b, c = (main.tensor(name, [1, 8]) for name in "abc")
        main.op("ADD", [a, b], [c], options=options)
        main.inputs, main.outputs = [a, b], [c]
        return model.build()

    assert mediatek_result(add(("AddOptions", dict(fused_activation_function=0)))
                           ).model_reasons == ()
    bare = mediatek_result(add(None))
    assert [(r.code, r.message) for r in bare.model_reasons] == [
        ("mediatek-compile-fails", "op 0 ADD (subgraph 0): it has no builtin options table, "
                                   "which the legalization reads at compile time")]
    # an op whose legalization reads no option compiles without them
    assert mediatek_result(unary("RELU", "FLOAT32")).model_reasons == ()


def test_an_op_the_plugin_does_not_select_cannot_stop_the_compile():
    # a non-constant size on an op whose types keep it on the CPU is never legalized
    model = ModelBuilder()
    main = model.subgraph()
    x = main.tensor("x", [1, 4, 4, 8], "INT8")  # int8 without quantization: not selected
    size = main.tensor("size", [2], "INT32")
    y = main.tensor("y", [1, 8, 8, 8], "INT8")
    main.op("RESIZE_NEAREST_NEIGHBOR", [x, size], [y])
    main.inputs, main.outputs = [x, size], [y]
    result = mediatek_result(model.build())
    assert result.model_reasons == ()
    assert verdicts(result) == [(0, "RESIZE_NEAREST_NEIGHBOR", "cpu",
                                 ("mediatek-tensor-types",))]


# -- the sample models -------------------------------------------------------------------------

def test_sample_models():
    expected = {  # model: ops off the NPU (op index, op, reason codes), per subgraph 0
        "cnn_int8": [], "cnn_float32": [], "cnn_float16": [], "dense_dynamic_range": [],
        "flex_op": [(0, "FlexMatrixDeterminant", ("not-listed",))],
        "while_loop": [(0, "WHILE", ("not-listed",))],
    }
    for name, off in expected.items():
        result = mediatek_result((MODELS / f"{name}.tflite").read_bytes())
        assert result.model_reasons == (), name
        assert [(i, op, codes) for i, op, verdict, codes in verdicts(result, subgraph=0)
                if verdict != "target"] == off, name
