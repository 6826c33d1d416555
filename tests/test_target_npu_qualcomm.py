"""The `npu-qualcomm` target: LiteRT's Qualcomm compiler plugin's partition step with the
QNN HTP op validator.

Exact verdicts, reason codes and the plugin's log wording on tiny built models, the
profile's op table against GetOpBuilders as the source states it, partitioning by op
order, and the sample models end to end. tests/test_npu_qualcomm_differential.py checks
the same verdicts against the plugin itself."""
from __future__ import annotations

import numpy as np
from builder import ModelBuilder
from conftest import SAMPLE_MODELS, lint_bytes, rule_locations, target_result, verdicts
from intel_oracle import composite_model
from npu_probes import probes
from test_target_npu_intel import SAMPLES, chain  # the same verdicts on the samples

from tfllint.engine.rule import Location
from tfllint.targets.profile import load_target

SOURCE = ("google-ai-edge/LiteRT@f67457790c9c2ab67347d6fe53270e8d3df20868 "
          "litert/vendors/qualcomm/compiler/qnn_compose_graph.cc")
# GetOpBuilders of SOURCE (lines 1490-1589), in its order, as TFLite builtin names (the
# LiteRtOpCode of each is the builtin's number): 98 entries.
GET_OP_BUILDERS = (
    "ADD AVERAGE_POOL_2D CONCATENATION CONV_2D DEPTHWISE_CONV_2D DEPTH_TO_SPACE DEQUANTIZE "
    "EMBEDDING_LOOKUP FLOOR FULLY_CONNECTED L2_NORMALIZATION L2_POOL_2D LOGISTIC MAX_POOL_2D MUL "
    "RELU RELU_N1_TO_1 RELU6 RESHAPE RESIZE_BILINEAR SOFTMAX SPACE_TO_DEPTH BATCH_TO_SPACE_ND "
    "SPACE_TO_BATCH_ND TANH PAD GATHER TRANSPOSE MEAN SUB DIV STRIDED_SLICE EXP TOPK_V2 SPLIT "
    "SPLIT_V LOG_SOFTMAX CAST PRELU MAXIMUM ARG_MAX MINIMUM LESS NEG PADV2 GREATER GREATER_EQUAL "
    "LESS_EQUAL SELECT SLICE SIN TRANSPOSE_CONV TILE EQUAL NOT_EQUAL LOG SUM SQRT RSQRT POW "
    "ARG_MIN REDUCE_MAX PACK LOGICAL_OR ONE_HOT LOGICAL_AND LOGICAL_NOT UNPACK REDUCE_MIN "
    "FLOOR_DIV FLOOR_MOD REDUCE_ANY SQUARE RESIZE_NEAREST_NEIGHBOR LEAKY_RELU SQUARED_DIFFERENCE "
    "MIRROR_PAD ABS CEIL REVERSE_V2 GATHER_ND COS ELU QUANTIZE ROUND HARD_SWISH SCATTER_ND "
    "SELECT_V2 BATCH_MATMUL CUMSUM BROADCAST_TO CONV_3D REDUCE_ALL GELU DYNAMIC_UPDATE_SLICE "
    "RELU_0_TO_1 SIGN STABLEHLO_COMPOSITE").split()
WHEEL_ONLY = {"SQUEEZE", "ADD_N"}  # lowered by the 2.3.0 wheel's plugin, not in SOURCE


def qualcomm(data: bytes, target: str = "npu-qualcomm"):
    return target_result(data, target)


def probe(name: str) -> bytes:
    return next(p for p in probes() if p.name == name).build()


# -- the op table ------------------------------------------------------------------------------

def test_the_profile_lists_get_op_builders_and_the_wheels_additions():
    profile = load_target("npu-qualcomm")
    assert len(GET_OP_BUILDERS) == len(set(GET_OP_BUILDERS)) == 98
    # DENSIFY has no builder: it is listed (supported = false) only for its fix
    assert set(profile.ops) - {"*", "DENSIFY"} == set(GET_OP_BUILDERS) | WHEEL_ONLY
    assert any(SOURCE in source for source in profile.sources)
    assert (profile.partitioning, profile.fallback, profile.max_rank) == ("runs", "cpu", 5)
    assert load_target("qualcomm-npu").name == "npu-qualcomm"
    # L2_POOL_2D: the one listed op the HTP validator refused in every type probed
    assert [name for name, op in profile.ops.items() if not op.supported] == [
        "DENSIFY", "L2_POOL_2D"]


def test_an_op_without_a_legalization_stays_on_the_cpu_with_the_plugins_line():
    result = qualcomm(chain("TANH", "ZEROS_LIKE", "TANH"))
    assert verdicts(result) == [(0, "TANH", "target", ()),
                                (1, "ZEROS_LIKE", "cpu", ("not-listed",)),
                                (2, "TANH", "target", ())]
    reason = result.ops[1].reasons[0]
    assert reason.tool == ("LiteRT Op #1 'ZEROS_LIKE' (code=93) is not supported in Qualcomm "
                           "Compiler.")
    assert reason.fix.startswith("LiteRT's Qualcomm plugin has no QNN lowering for ZEROS_LIKE: ")


# -- what the HTP validator refuses (probes of tests/npu_probes.py) --------------------------

def test_the_validators_type_refusals_give_the_types_it_takes():
    cases = {  # probe: (the type refused, the QNN op the plugin names)
        "EXP-int8": ("INT8", "ElementWiseUnary, operation=Exp"),
        "ADD-int64": ("INT64", "ElementWiseBinary, operation=Add"),
        "FLOOR_MOD-float32": ("FLOAT32", "ElementWiseBinary, operation=Mod"),
        "PACK-int32": ("INT32", "Pack"),
        "DEPTHWISE_CONV_2D-int16": ("INT16", "DepthWiseConv2d")}
    for name, (dtype, qnn_op) in cases.items():
        result = qualcomm(probe(name))
        op = result.ops[0]
        assert (op.verdict, [r.code for r in op.reasons]) == ("cpu", ["dtype"]), name
        assert f"is {dtype}; supported: " in op.reasons[0].message, name
        assert op.reasons[0].tool == (f"QNN op validation failed: (type={qnn_op}); Unsupported "
                                      "input/output datatypes requested for the HTP Op (QNN "
                                      "error=3110)")
    exp = qualcomm(probe("EXP-int8")).ops[0].reasons[0]
    assert exp.message.endswith("supported: FLOAT32, FLOAT16, UINT8")
    floor_mod = qualcomm(probe("FLOOR_MOD-float32")).ops[0].reasons[0]
    assert floor_mod.message.endswith("supported: INT32")
    for name in ("EXP-float32", "EXP-uint8", "ADD-int32", "FLOOR_MOD-int32", "ADD-int16"):
        assert qualcomm(probe(name)).ops[0].verdict == "target", name


def test_ranks_the_validator_takes():
    assert [v.verdict for v in qualcomm(probe("ADD-float32-rank5")).ops] == ["target"]
    assert verdicts(qualcomm(probe("ADD-float32-rank6"))) == [(0, "ADD", "cpu", ("rank",))]
    tanh = qualcomm(probe("TANH-float32-rank5"))
    assert verdicts(tanh) == [(0, "TANH", "cpu", ("rank",))]
    assert tanh.ops[0].reasons[0].tool == (
        "QNN op validation failed: (type=ElementWiseNeuron, operation=Tanh); the HTP Op refuses "
        "this tensor rank (QNN error=3110)")
    assert [v.verdict for v in qualcomm(probe("RELU-int8-rank5")).ops] == ["target"]


def test_inputs_the_qnn_builders_need_constant():
    model = ModelBuilder()
    main = model.subgraph()
    x, axis = main.tensor("x", [1, 4, 4, 8]), main.tensor("axis", [2], "INT32")
    y = main.tensor("y", [1, 1, 1, 8])
    main.op("MEAN", [x, axis], [y], options=("ReducerOptions", {"keep_dims": True}))
    main.inputs, main.outputs = [x, axis], [y]
    result = qualcomm(model.build())
    # the INT32 axis is also outside MEAN's types: both reasons are given
    assert verdicts(result) == [(0, "MEAN", "cpu", ("dtype", "non-constant"))]
    assert result.ops[0].reasons[1].tool == (
        "MEAN: the QNN op builder needs this input as a constant tensor; no QNN op is built")
    assert qualcomm(probe("MEAN-float32")).ops[0].verdict == "target"


def test_dynamic_update_slice_only_as_a_kv_cache_write():
    assert [v.verdict for v in qualcomm(probe("DYNAMIC_UPDATE_SLICE-float32-kv")).ops] == \
        ["target"]
    result = qualcomm(probe("DYNAMIC_UPDATE_SLICE-float32"))  # update [1, 2, 2, 16]
    assert verdicts(result) == [(0, "DYNAMIC_UPDATE_SLICE", "cpu",
                                 ("qualcomm-kv-cache-update",))]
    assert result.ops[0].reasons[0].tool == "QNN op validation failed: (type=ElementWiseSelect)"


def test_only_the_three_norm_composites_are_lowered():
    assert qualcomm(composite_model("odml.rms_norm")).ops[0].verdict == "target"
    assert qualcomm(composite_model("odml.l2_norm")).ops[0].verdict == "target"
    attention = qualcomm(composite_model("odml.scaled_dot_product_attention"))
    assert [r.code for r in attention.ops[0].reasons] == ["qualcomm-composite"]
    assert "odml.rms_norm, odml.group_norm and odml.l2_norm" in \
        attention.ops[0].reasons[0].message


def test_a_valid_window_over_a_dynamic_dimension_compiled_as_one():
    # oww_melspectrogram: width -1 (compiled as 1) under a VALID filter 512 wide
    model = ModelBuilder()
    main = model.subgraph()
    x = main.tensor("x", [1, 1, 1, 1], shape_signature=[-1, 1, -1, 1])
    w = main.constant("w", np.ones([8, 1, 16, 1], np.float32))
    b = main.constant("b", np.zeros([8], np.float32))
    y = main.tensor("y", [1, 1, 1, 8], shape_signature=[-1, 1, -1, 8])
    valid = {"padding": 1, "stride_w": 4, "stride_h": 1}
    main.op("CONV_2D", [x, w, b], [y], options=("Conv2DOptions", valid))
    main.inputs, main.outputs = [x], [y]
    result = qualcomm(model.build())
    assert verdicts(result) == [(0, "CONV_2D", "cpu", ("qualcomm-dynamic-window",))]
    assert "dynamic width, which the plugin compiles as 1" in result.ops[0].reasons[0].message


# -- a tensor QNN has no type for: the whole partition step fails -------------------------------

def resource_model() -> bytes:
    """VAR_HANDLE -> READ_VARIABLE -> ADD: a streaming model's state variable."""
    model = ModelBuilder()
    main = model.subgraph()
    handle = main.tensor("handle", [], "RESOURCE")
    state, x, y = main.tensor("state", [1, 8]), main.tensor("x", [1, 8]), main.tensor("y", [1, 8])
    main.op("VAR_HANDLE", [], [handle])
    main.op("READ_VARIABLE", [handle], [state])
    main.op("ADD", [x, state], [y])
    main.inputs, main.outputs = [x], [y]
    return model.build()


def test_a_resource_tensor_fails_the_partition_of_the_whole_model():
    result = qualcomm(resource_model())
    assert [r.code for r in result.model_reasons] == ["qualcomm-tensor-types"]
    assert result.model_reasons[0].tool == "QNN Unsupported data type, litert type: 14"
    assert result.blocked and result.ops_on_target == 0
    assert verdicts(result)[2] == (2, "ADD", "cpu", ("qualcomm-partition-fails",))
    findings = lint_bytes(resource_model(), target=["npu-qualcomm"])
    assert ("TFL302", Location()) in rule_locations(findings)


def test_block_wise_weights_fail_the_partition_of_the_whole_model():
    """ConvertTensor has no QNN form for kLiteRtQuantizationBlockWise; the real plugin
    exits 1 with "Unsupported quantization type." (test_npu_qualcomm_differential)."""
    from rule_examples._generative import blockwise_fully_connected

    result = qualcomm(blockwise_fully_connected(8, 64))
    [reason] = result.model_reasons
    assert (reason.code, reason.tool) == ("qualcomm-tensor-types",
                                          "Unsupported quantization type.")
    assert reason.message.startswith("op 0 FULLY_CONNECTED of subgraph 0 has tensor "
                                     "'weights' INT4 quantized block-wise, which the Qualcomm")
    assert verdicts(result) == [(0, "FULLY_CONNECTED", "cpu", ("qualcomm-partition-fails",))]


# -- partitioning, the share on the NPU, compiled models ----------------------------------------

def test_each_run_of_selected_ops_in_op_order_is_a_partition(tmp_path):
    # the plugin's GroupPartitionsV2: NcNcN is 3 partitions; two independent TANH ops with a
    # CPU op between them in op order are 2 (ready-op grouping, "all", would make them 1)
    assert qualcomm(chain("TANH", "ZEROS_LIKE", "TANH", "ZEROS_LIKE", "TANH")).partitions == 3
    branches = probe("branches-TANH-float32")
    assert (qualcomm(branches).ops_on_target, qualcomm(branches).partitions) == (2, 2)
    grouped = tmp_path / "grouped.toml"
    grouped.write_text('[target]\nname = "grouped"\nextends = "npu-qualcomm"\n'
                       'partitioning = "all"\n')
    assert qualcomm(branches, str(grouped)).partitions == 1


def test_a_partly_delegated_model_shows_its_share_and_fails_a_gate():
    data = chain("TANH", "ZEROS_LIKE", "TANH", "ZEROS_LIKE")
    findings = lint_bytes(data, target=["npu-qualcomm"], **{"min-on-target": 0.9})
    assert {(f.rule, f.target) for f in findings if f.rule.startswith("TFL30")} == {
        ("TFL301", "npu-qualcomm"), ("TFL304", "npu-qualcomm")}
    tfl304 = next(f for f in findings if f.rule == "TFL304")
    assert tfl304.message.startswith("50% of ops run on LiteRT's Qualcomm QNN HTP NPU plugin")


def test_dispatch_ops_are_compiled_and_the_partition_steps_output_is_refused():
    model = ModelBuilder()
    main = model.subgraph()
    x, y = main.tensor("x", [1, 8]), main.tensor("y", [1, 8])
    main.op("CUSTOM", [x], [y], custom_code="DISPATCH_OP")
    main.inputs, main.outputs = [x], [y]
    result = qualcomm(model.build())
    assert verdicts(result) == [(0, "DISPATCH_OP", "compiled", ())]
    # without custom options it names no bytecode: the partition step's output, not compiled
    assert [r.code for r in result.model_reasons] == ["npu-dispatch-without-bytecode"]


def test_every_sample_model_end_to_end():
    seen = {}
    for path in SAMPLE_MODELS:
        data = path.read_bytes()
        result = qualcomm(data)
        assert result.model_reasons == ()
        off = {(v.subgraph, v.op_index): tuple(r.code for r in v.reasons) for v in result.ops
               if v.verdict != "target"}
        seen[path.stem] = (result.ops_on_target, result.ops_total, result.partitions, off)
        found = lint_bytes(data, target=["npu-qualcomm"])
        assert {(location.subgraph, location.op_index) for f in found if f.rule == "TFL301"
                for location in f.locations} == set(off), path.stem
    assert seen == SAMPLES


def test_htp_v68_and_v69_socs_refuse_16_bit_batch_matmul():
    data = probe("BATCH_MATMUL-int16")
    assert qualcomm(data).ops[0].verdict == "target"
    for name in ("npu-qualcomm-v69", "npu-qualcomm-sm8450", "npu-qualcomm-sa8295"):
        assert verdicts(qualcomm(data, name)) == [(0, "BATCH_MATMUL", "cpu", ("dtype",))]
    assert qualcomm(probe("BATCH_MATMUL-int8"), "npu-qualcomm-v69").ops[0].verdict == "target"
    older = load_target("npu-qualcomm-v69")
    assert (older.partitioning, len(older.ops)) == ("runs", len(load_target("npu-qualcomm").ops))
