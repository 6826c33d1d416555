"""The `npu-intel` target: LiteRT's Intel OpenVINO compiler plugin's partition step.

Exact verdicts, reason codes and the plugin's own log lines on tiny built models, the
profile's op table against the plugin's allowlist as the source states it, partitioning,
and the sample models end to end. tests/test_npu_intel_differential.py checks the same
verdicts against the plugin itself."""
from __future__ import annotations

import json

import numpy as np
from builder import ModelBuilder
from conftest import MODELS, lint_bytes, rule_locations, target_result, verdicts
from intel_oracle import composite_model

from tfllint.engine.rule import Location
from tfllint.targets.profile import load_target

SOURCE = ("google-ai-edge/LiteRT@f67457790c9c2ab67347d6fe53270e8d3df20868 "
          "litert/vendors/intel_openvino/compiler/openvino_compiler_plugin.cc")
# kSupportedOps of SOURCE, in its order, as TFLite builtin names (litert_op_code.h gives
# each LiteRtOpCode the builtin's number): 82 entries.
K_SUPPORTED_OPS = (
    "CONV_2D DEPTHWISE_CONV_2D SPLIT FULLY_CONNECTED ADD RESHAPE MEAN RESIZE_BILINEAR "
    "RESIZE_NEAREST_NEIGHBOR CONCATENATION MAX_POOL_2D AVERAGE_POOL_2D MUL TRANSPOSE_CONV "
    "SOFTMAX MIRROR_PAD STRIDED_SLICE DEPTH_TO_SPACE GATHER BATCH_MATMUL LEAKY_RELU PACK CAST "
    "DIV CUMSUM SUB GELU GATHER_ND SUM REDUCE_MAX EMBEDDING_LOOKUP CONV_3D ARG_MAX ONE_HOT "
    "UNPACK REDUCE_ALL STABLEHLO_COMPOSITE DEQUANTIZE LOGISTIC RELU TANH PAD TRANSPOSE SLICE "
    "QUANTIZE RANGE BROADCAST_TO PADV2 EQUAL NOT_EQUAL EXP REVERSE_V2 MAXIMUM LOGICAL_OR "
    "EXPAND_DIMS LOG SIN POW FLOOR_DIV COS MINIMUM SQUARED_DIFFERENCE RSQRT ABS LESS SELECT "
    "SELECT_V2 HARD_SWISH PRELU SQRT GREATER_EQUAL LESS_EQUAL LOGICAL_AND LOGICAL_NOT "
    "L2_NORMALIZATION GREATER RELU_0_TO_1 SQUARE FLOOR_MOD SIGN TILE TOPK_V2").split()


def intel(data: bytes):
    return target_result(data, "npu-intel")


def chain(*ops: str, shape=(1, 8), dtype="FLOAT32") -> bytes:
    """x -> op0 -> op1 -> ... (one-input ops, same shape and type throughout)."""
    model = ModelBuilder()
    main = model.subgraph()
    current = first = main.tensor("x", list(shape), dtype)
    for index, op in enumerate(ops):
        output = main.tensor(f"t{index}", list(shape), dtype)
        main.op(op, [current], [output])
        current = output
    main.inputs, main.outputs = [first], [current]
    return model.build()


def topk(constant_k: bool) -> bytes:
    model = ModelBuilder()
    main = model.subgraph()
    x = main.tensor("x", [1, 8])
    k = main.constant("k", np.array([2], np.int32), "INT32") if constant_k \
        else main.tensor("k", [1], "INT32")
    values, indices = main.tensor("values", [1, 2]), main.tensor("indices", [1, 2], "INT32")
    main.op("TOPK_V2", [x, k], [values, indices])
    main.inputs, main.outputs = ([x] if constant_k else [x, k]), [values, indices]
    return model.build()


# -- the op table ------------------------------------------------------------------------------

def test_the_profile_lists_exactly_the_plugins_allowlist():
    profile = load_target("npu-intel")
    assert len(K_SUPPORTED_OPS) == len(set(K_SUPPORTED_OPS)) == 82
    assert set(profile.ops) - {"*"} == set(K_SUPPORTED_OPS)
    assert any(SOURCE in source for source in profile.sources)
    assert load_target("intel-npu").name == "npu-intel"


def test_a_listed_op_is_selected_whatever_its_types_rank_and_version():
    # the plugin reads the op code only: an int64 rank-5 ADD and a float16 EXP are selected
    model = ModelBuilder()
    main = model.subgraph()
    a, b = main.tensor("a", [1, 1, 2, 2, 4], "INT64"), main.tensor("b", [1, 1, 2, 2, 4], "INT64")
    c = main.tensor("c", [1, 1, 2, 2, 4], "INT64")
    main.op("ADD", [a, b], [c], version=5)
    main.inputs, main.outputs = [a, b], [c]
    assert verdicts(intel(model.build())) == [(0, "ADD", "target", ())]
    assert verdicts(intel(chain("EXP", dtype="FLOAT16"))) == [(0, "EXP", "target", ())]


def test_an_op_off_the_list_stays_on_the_cpu_with_the_plugins_log_line():
    result = intel(chain("TANH", "FLOOR", "TANH"))
    assert verdicts(result) == [(0, "TANH", "target", ()), (1, "FLOOR", "cpu", ("not-listed",)),
                                (2, "TANH", "target", ())]
    reason = result.ops[1].reasons[0]
    assert reason.message == "FLOOR is not supported by LiteRT's Intel OpenVINO NPU plugin"
    assert reason.tool == "op type 8 is not supported"
    assert reason.fix.startswith("The Intel OpenVINO plugin selects only the ops of its "
                                 "allowlist: FLOOR stays on the CPU")
    assert (result.partitions, result.transitions) == (2, 2)


def test_ops_the_plugin_lacks_that_other_npus_run():
    # research probes: CEIL ELU FLOOR NEG RELU6 RELU_N1_TO_1 ROUND stay on the CPU
    for op in ("CEIL", "ELU", "FLOOR", "NEG", "RELU6", "RELU_N1_TO_1", "ROUND", "ZEROS_LIKE"):
        assert verdicts(intel(chain(op)))[0][2:] == ("cpu", ("not-listed",)), op


# -- the plugin's checks ----------------------------------------------------------------------

def test_topk_v2_needs_a_constant_k():
    assert verdicts(intel(topk(constant_k=True))) == [(0, "TOPK_V2", "target", ())]
    computed = intel(topk(constant_k=False))
    assert verdicts(computed) == [(0, "TOPK_V2", "cpu", ("intel-topk-constant-k",))]
    assert computed.ops[0].reasons[0].message == (
        "K ('k') is computed at run time; the plugin takes TOPK_V2 only with a constant K")
    assert computed.ops[0].reasons[0].tool == (
        "TOPK_V2 with non-constant K is not supported on NPU; leaving op on CPU.")


def test_only_the_rms_norm_composite_is_selected():
    # the NPU runs the selected composite whole: its decomposition (subgraph 1) never runs,
    # so its ops get no verdict and count in no share
    assert verdicts(intel(composite_model("odml.rms_norm"))) == [
        (0, "STABLEHLO_COMPOSITE", "target", ())]
    assert verdicts(intel(composite_model("odml.npu_call")), subgraph=0) == [
        (0, "STABLEHLO_COMPOSITE", "target", ())]
    other = intel(composite_model("odml.scaled_dot_product_attention"))
    assert verdicts(other) == [(0, "STABLEHLO_COMPOSITE", "cpu", ("intel-composite",)),
                               (0, "RELU", "target", ())]
    assert other.ops[0].reasons[0].message == (
        "composite 'odml.scaled_dot_product_attention': the plugin takes only the "
        "odml.rms_norm composite; LiteRT inlines its decomposition (subgraph 1) and "
        "partitions those ops instead")
    assert other.ops[0].reasons[0].tool == "op type 206 is not supported"
    cpu_call = intel(composite_model("odml.cpu_call"))
    assert verdicts(cpu_call) == [(0, "STABLEHLO_COMPOSITE", "cpu", ("intel-composite",)),
                                  (0, "RELU", "cpu", ("intel-cpu-call",))]
    assert "LiteRT never lets a plugin select odml.cpu_call" in cpu_call.ops[0].reasons[0].message


def rank_model(input_shape, reshaped=None) -> bytes:
    """x (input_shape) -> RELU, optionally RESHAPE to `reshaped` first."""
    model = ModelBuilder()
    main = model.subgraph()
    x = main.tensor("x", list(input_shape))
    current = x
    if reshaped:
        shape = main.constant("shape", np.array(reshaped, np.int32), "INT32")
        current = main.tensor("r", list(reshaped))
        main.op("RESHAPE", [x, shape], [current])
    y = main.tensor("y", list(reshaped or input_shape))
    main.op("RELU", [current], [y])
    main.inputs, main.outputs = [x], [y]
    return model.build()


def test_a_subgraph_input_of_rank_six_fails_the_whole_partition():
    result = intel(rank_model([1, 1, 1, 1, 2, 4]))
    assert [r.code for r in result.model_reasons] == ["intel-input-rank"]
    assert result.blocked
    assert result.model_reasons[0].tool == (
        "Model not supported: subgraph input 0 has 6 dimensions (>= 6), skipping partitioning.")
    findings = lint_bytes(rank_model([1, 1, 1, 1, 2, 4]), target=["npu-intel"])
    assert ("TFL302", Location()) in rule_locations(findings)
    # rank 6 inside the graph is not checked; rank 5 inputs are fine
    inside = intel(rank_model([1, 8], reshaped=[1, 1, 1, 1, 2, 4]))
    assert not inside.model_reasons and inside.ops_on_target == 2
    assert not intel(rank_model([1, 1, 1, 2, 4])).model_reasons


# -- partitioning and the samples -------------------------------------------------------------

def test_every_run_of_selected_ops_is_a_partition():
    # the research note's probe: TANH -> ZEROS_LIKE -> TANH -> ZEROS_LIKE -> TANH gives NcNcN,
    # 3 partitions; FLOOR_MOD is on the list, so the same chain with it is one partition
    split = intel(chain("TANH", "ZEROS_LIKE", "TANH", "ZEROS_LIKE", "TANH"))
    assert [v.verdict for v in split.ops] == ["target", "cpu"] * 2 + ["target"]
    assert split.partitions == 3
    joined = intel(chain("TANH", "FLOOR_MOD", "TANH", "FLOOR_MOD", "TANH"))
    assert (joined.ops_on_target, joined.partitions) == (5, 1)


SAMPLES = {  # model: (ops selected, ops, partitions, {(subgraph, op): codes} of the others)
    "cnn_float16": (19, 19, 1, {}), "cnn_float32": (9, 9, 1, {}), "cnn_int8": (9, 9, 1, {}),
    "cnn_int8_metadata": (9, 9, 1, {}), "cnn_int8_uint8io": (11, 11, 1, {}),
    "dense_dynamic_range": (3, 3, 1, {}), "dynamic_batch": (3, 3, 1, {}),
    "flex_op": (2, 3, 1, {(0, 0): ("not-listed",)}), "micro_int8": (3, 3, 1, {}),
    "two_inputs": (5, 5, 1, {}), "while_loop": (5, 6, 2, {(0, 0): ("not-listed",)}),
}


def test_every_sample_model_end_to_end(run_cli):
    code, out, err = run_cli(MODELS, "--no-config", "--target", "npu-intel", "--format", "json")
    assert code in (0, 1), err
    seen = {}
    for report in json.loads(out)["models"]:
        name = report["path"].rsplit("/", 1)[-1][:-len(".tflite")]
        target = report["targets"]["npu-intel"]
        assert target["model_reasons"] == []
        off = {(o["subgraph"], o["op_index"]): tuple(r["code"] for r in o["reasons"])
               for o in target["ops"] if o["verdict"] != "target"}
        seen[name] = (target["ops_on_target"], target["ops_total"], target["partitions"], off)
        tfl301 = {(place["subgraph"], place["op_index"]) for f in report["findings"]
                  if f["rule"] == "TFL301" for place in f["locations"]}
        assert tfl301 == set(off), name
    assert seen == SAMPLES


# -- models LiteRT already compiled --------------------------------------------------------------

def test_a_model_compiled_for_intel_is_recognised_and_one_for_another_npu_is_refused():
    from test_litert_compiled import compiled

    ours = intel(compiled("IntelOpenVINO", "LNL", cpu_op="FLOOR"))
    assert verdicts(ours) == [(0, "DISPATCH_OP", "compiled", ()),
                              (1, "FLOOR", "cpu", ("not-listed",))]
    assert ours.model_reasons == ()
    theirs = intel(compiled("Qualcomm", "SM8650"))
    assert verdicts(theirs) == [(0, "DISPATCH_OP", "cpu", ("not-listed",))]
    assert [r.code for r in theirs.model_reasons] == ["npu-compiled-for-another-soc"]
