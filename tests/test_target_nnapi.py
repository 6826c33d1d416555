"""The `nnapi` target: exact verdicts and reason codes for every kind of constraint in
rules/targets/nnapi.toml on tiny built models, how --android-api changes them, and the
sample models. NNAPI logs no reasons in a normal build, so no reason carries tool words."""
from __future__ import annotations

import numpy as np
import pytest
from builder import ModelBuilder, float16_weights_model
from conftest import MODELS, target_result, verdicts as all_verdicts

from tfllint.targets.profile import load_target

RELU = 1  # ActivationFunctionType
UINT8 = dict(scale=[0.5], zero_point=[128])


def nnapi(data: bytes, android_api: int | None = None, **settings):
    if android_api is not None:
        settings["android-api"] = android_api
    return target_result(data, "nnapi", settings)


def verdicts(result):
    return all_verdicts(result, subgraph=0)


def messages(result, op_index: int = 0) -> list[str]:
    return [r.message for r in result.ops[op_index].reasons]


def single(op: str, shape=(1, 4), dtype="FLOAT32", *, out_shape=None, out_dtype=None,
           extra=(), version=1, options=None, custom_code=None, quant=None,
           out_quant=None) -> bytes:
    """x -> op(x, *extra) -> y; `extra` builds more inputs: callable(subgraph) -> index."""
    model = ModelBuilder()
    main = model.subgraph()
    quant = quant if quant is not None else (UINT8 if dtype in ("INT8", "UINT8") else {})
    out_dtype = out_dtype or dtype
    if out_quant is None:
        out_quant = UINT8 if out_dtype in ("INT8", "UINT8") else {}
    x = main.tensor("x", list(shape), dtype, **quant)
    inputs = [x] + [make(main) for make in extra]
    y = main.tensor("y", list(out_shape or shape), out_dtype, **out_quant)
    main.op(op, inputs, [y], version=version, options=options, custom_code=custom_code)
    main.inputs, main.outputs = [x], [y]
    return model.build()


def constant(name, values, dtype="FLOAT32", **kwargs):
    numpy_type = {"FLOAT32": np.float32, "FLOAT16": np.float16, "INT32": np.int32,
                  "INT8": np.int8, "UINT8": np.uint8}[dtype]
    return lambda main: main.constant(name, np.asarray(values, dtype=numpy_type), dtype,
                                      **kwargs)


def activation(name, shape, dtype="FLOAT32", **kwargs):
    return lambda main: main.tensor(name, list(shape), dtype, **kwargs)


def conv(dtype="FLOAT32", *, weight_scales=(0.5,), output_scale=0.5, dilation=1,
         bias=True, input_channels=1) -> bytes:
    """CONV_2D 1x4x4xC -> 1x4x4x2 with constant 1x1x1 weights (grouped when C > 1)."""
    quantized = dtype == "UINT8"
    weights = constant("w", np.ones((2, 1, 1, 1)), "UINT8" if quantized else "FLOAT32",
                       **(dict(scale=list(weight_scales), zero_point=[0] * len(weight_scales))
                          if quantized else {}))
    bias_input = (constant("b", np.zeros(2), "INT32" if quantized else "FLOAT32",
                           **(dict(scale=[0.25], zero_point=[0]) if quantized else {}))
                  if bias else None)
    return single("CONV_2D", (1, 4, 4, input_channels), dtype, out_shape=(1, 4, 4, 2),
                  out_quant=dict(scale=[output_scale], zero_point=[128]) if quantized else {},
                  extra=[weights] + ([bias_input] if bias else []),
                  options=("Conv2DOptions", {"stride_w": 1, "stride_h": 1,
                                             "dilation_w_factor": dilation,
                                             "dilation_h_factor": dilation}))


# -- the device's level ------------------------------------------------------------------------

def test_android_api_changes_the_verdict():
    model = single("ABS")
    at_28 = nnapi(model, android_api=28)
    assert verdicts(at_28) == [(0, "ABS", "cpu", ("nnapi-api-29",))]
    assert messages(at_28) == ["ABS needs Android API 29 (NNAPI 1.2, Android 10) or newer; "
                               "the device runs API 28 (--android-api)"]
    assert at_28.ops[0].reasons[0].tool is None
    assert verdicts(nnapi(model, android_api=30)) == [(0, "ABS", "target", ())]
    assert verdicts(nnapi(model)) == [(0, "ABS", "target", ())]  # default: API 35


def test_below_api_27_the_delegate_does_nothing():
    result = nnapi(single("RELU"), android_api=26)
    assert verdicts(result) == [(0, "RELU", "cpu", ("nnapi-api-27",))]
    assert messages(result) == ["the NNAPI delegate does nothing below Android API 27 "
                                "(NNAPI 1.0, Android 8.1); the device runs API 26 "
                                "(--android-api)"]


def test_feature_level_ops_need_a_named_accelerator():
    model = single("BATCH_MATMUL", (1, 2, 2), out_shape=(1, 2, 2),
                   extra=[activation("z", (1, 2, 2))])
    default = nnapi(model)
    assert verdicts(default) == [(0, "BATCH_MATMUL", "cpu", ("nnapi-feature-level-6",))]
    assert messages(default) == [
        "BATCH_MATMUL needs NNAPI feature level 6, which the delegate uses only with an "
        "accelerator named on a device whose updatable NNAPI runtime reports it "
        "(--android-api 1000006); tfllint assumed API 35 (pass --android-api with the "
        "device's level)"]
    assert verdicts(nnapi(model, android_api=1000006)) == [(0, "BATCH_MATMUL", "target", ())]


# -- op table, versions ------------------------------------------------------------------------

def test_an_op_nnapi_lacks_is_not_listed():
    result = nnapi(single("GELU"))
    assert verdicts(result) == [(0, "GELU", "cpu", ("not-listed",))]
    assert [r.tool for r in result.ops[0].reasons] == [None]


def test_op_version_above_what_validate_accepts():
    result = nnapi(single("MUL", version=3, extra=[activation("z", (1, 4))]))
    assert verdicts(result) == [(0, "MUL", "cpu", ("version",))]
    assert messages(result) == ["version 3; the NNAPI delegate runs versions 1..2"]


# -- types -------------------------------------------------------------------------------------

def test_int32_add_needs_api_30_and_no_fused_activation():
    model = single("ADD", dtype="INT32", extra=[activation("z", (1, 4), "INT32")])
    at_29 = nnapi(model, android_api=29)
    assert verdicts(at_29) == [(0, "ADD", "cpu", ("nnapi-input-types",))]
    assert messages(at_29) == ["input 0 ('x') is INT32, which NNAPI takes for ADD only from "
                               "Android API 30 (NNAPI 1.3, Android 11); the device runs API "
                               "29 (--android-api)"]
    assert verdicts(nnapi(model, android_api=30)) == [(0, "ADD", "target", ())]
    fused = single("ADD", dtype="INT32", extra=[activation("z", (1, 4), "INT32")],
                   options=("AddOptions", {"fused_activation_function": RELU}))
    assert verdicts(nnapi(fused, android_api=30)) == [
        (0, "ADD", "cpu", ("nnapi-no-int32-activation",))]


def test_a_type_no_level_accepts():
    result = nnapi(single("DIV", dtype="INT32", extra=[activation("z", (1, 4), "INT32")]))
    assert verdicts(result) == [(0, "DIV", "cpu", ("nnapi-input-types",))]
    assert messages(result) == ["input 0 ('x') is INT32; NNAPI takes FLOAT32 for DIV"]


def test_int8_output_of_quantize_needs_api_30():
    model = single("QUANTIZE", out_dtype="INT8")
    assert verdicts(nnapi(model, android_api=29)) == [
        (0, "QUANTIZE", "cpu", ("nnapi-output-types",))]
    assert verdicts(nnapi(model, android_api=30)) == [(0, "QUANTIZE", "target", ())]


# -- convolution and fully connected before NNAPI 1.2 --------------------------------------------

def test_per_channel_convolution_needs_api_29():
    model = conv("UINT8", weight_scales=(0.5, 0.25))
    assert verdicts(nnapi(model, android_api=28)) == [
        (0, "CONV_2D", "cpu", ("nnapi-per-channel-before-29",))]
    assert verdicts(nnapi(model, android_api=29)) == [(0, "CONV_2D", "target", ())]


def test_uint8_scale_inequality_before_api_29():
    model = conv("UINT8", weight_scales=(1.0,), output_scale=0.5)  # 0.5 * 1.0 is not < 0.5
    at_28 = nnapi(model, android_api=28)
    assert verdicts(at_28) == [(0, "CONV_2D", "cpu", ("nnapi-restricted-scales-before-29",))]
    assert messages(at_28) == ["input scale 0.5 x weight scale 1 is not below the output "
                               "scale 0.5, which NNAPI before Android API 29 (NNAPI 1.2, "
                               "Android 10) requires of UINT8 ops; the device runs API 28 "
                               "(--android-api)"]
    assert verdicts(nnapi(conv("UINT8", output_scale=1.0), android_api=28)) == [
        (0, "CONV_2D", "target", ())]
    assert verdicts(nnapi(model, android_api=29)) == [(0, "CONV_2D", "target", ())]


def test_dilated_and_grouped_convolution_before_api_29():
    assert verdicts(nnapi(conv(dilation=2), android_api=28)) == [
        (0, "CONV_2D", "cpu", ("nnapi-dilation-before-29",))]
    assert verdicts(nnapi(conv(input_channels=2), android_api=28)) == [
        (0, "CONV_2D", "cpu", ("nnapi-grouped-conv-before-29",))]
    assert verdicts(nnapi(conv(dilation=2), android_api=29)) == [(0, "CONV_2D", "target", ())]


def test_convolution_needs_a_bias_input():
    result = nnapi(conv(bias=False))
    assert verdicts(result) == [(0, "CONV_2D", "cpu", ("nnapi-conv-bias",))]
    assert result.ops[0].fix == ("Keep the converter's bias: NNAPI takes no CONV_2D without a "
                                 "bias input (add a zero bias).")


def test_hybrid_fully_connected_needs_api_29():
    model = single("FULLY_CONNECTED", out_shape=(1, 3), extra=[
        constant("w", np.ones((3, 4)), "INT8", scale=[0.1], zero_point=[0]),
        constant("b", np.zeros(3))])
    assert verdicts(nnapi(model, android_api=28)) == [
        (0, "FULLY_CONNECTED", "cpu", ("nnapi-hybrid-before-29",))]
    assert verdicts(nnapi(model, android_api=29)) == [(0, "FULLY_CONNECTED", "target", ())]


def test_keep_num_dims_needs_api_30():
    model = single("FULLY_CONNECTED", out_shape=(1, 3), extra=[
        constant("w", np.ones((3, 4))), constant("b", np.zeros(3))],
        options=("FullyConnectedOptions", {"keep_num_dims": True}))
    assert verdicts(nnapi(model, android_api=29)) == [
        (0, "FULLY_CONNECTED", "cpu", ("nnapi-fully-connected",))]
    assert verdicts(nnapi(model, android_api=30)) == [(0, "FULLY_CONNECTED", "target", ())]


# -- rank, constant inputs, fused activations ------------------------------------------------

def test_rank_above_four():
    result = nnapi(single("ADD", (1, 1, 1, 1, 4), extra=[activation("z", (1, 1, 1, 1, 4))]))
    assert verdicts(result) == [(0, "ADD", "cpu", ("rank",))]
    assert messages(result) == ["input 'x' has rank 5; at most 4"]


def test_softmax_rank_3_before_api_29():
    model = single("SOFTMAX", (1, 2, 4))
    assert verdicts(nnapi(model, android_api=28)) == [
        (0, "SOFTMAX", "cpu", ("nnapi-softmax-rank-before-29",))]
    assert verdicts(nnapi(model, android_api=29)) == [(0, "SOFTMAX", "target", ())]


def test_shape_and_permutation_inputs_must_be_constant():
    reshape = nnapi(single("RESHAPE", out_shape=(4,), extra=[activation("shape", (1,), "INT32")]))
    assert verdicts(reshape) == [(0, "RESHAPE", "cpu", ("non-constant",))]
    assert messages(reshape) == ["input 1 ('shape') must be a constant"]
    transpose = nnapi(single("TRANSPOSE", (1, 4), out_shape=(4, 1),
                             extra=[constant("perm", [1, 0], "INT32")]))
    assert verdicts(transpose) == [(0, "TRANSPOSE", "target", ())]


def test_concatenation_takes_no_fused_activation():
    result = nnapi(single("CONCATENATION", out_shape=(1, 8), extra=[activation("z", (1, 4))],
                          options=("ConcatenationOptions", {"axis": 1,
                                                            "fused_activation_function": RELU})))
    assert verdicts(result) == [(0, "CONCATENATION", "cpu", ("fused-activation",))]


# -- float16 weights, dequantize ---------------------------------------------------------------

def test_constant_float16_weights_are_folded_and_float16_activations_need_api_30():
    model = float16_weights_model()
    assert verdicts(nnapi(model.build(), android_api=27)) == [
        (0, "DEQUANTIZE", "target", ()), (1, "FULLY_CONNECTED", "target", ())]
    activation16 = single("DEQUANTIZE", dtype="FLOAT16", out_dtype="FLOAT32", version=3)
    assert verdicts(nnapi(activation16, android_api=29)) == [
        (0, "DEQUANTIZE", "cpu", ("nnapi-dequantize", "nnapi-dequantize"))]
    assert verdicts(nnapi(activation16, android_api=30)) == [(0, "DEQUANTIZE", "target", ())]


# -- partitioning ------------------------------------------------------------------------------

def chain_with_gaps(sizes: list[int]) -> bytes:
    """Runs of RELU of the given sizes, separated by a custom op NNAPI does not take."""
    model = ModelBuilder()
    main = model.subgraph()
    current = main.tensor("x", [1, 4])
    main.inputs = [current]
    names = []
    for run, size in enumerate(sizes):
        names += ["RELU"] * size + (["CUSTOM"] if run < len(sizes) - 1 else [])
    for position, name in enumerate(names):
        output = main.tensor(f"t{position}", [1, 4])
        main.op(name, [current], [output], custom_code="MyOp" if name == "CUSTOM" else None)
        current = output
    main.outputs = [current]
    return model.build()


def test_only_the_three_largest_partitions_are_delegated():
    model = chain_with_gaps([1, 2, 1, 3, 1])
    result = nnapi(model)
    on_target = [v.op_index for v in result.ops if v.verdict == "target"]
    assert on_target == [0, 2, 3, 7, 8, 9]  # sizes 3, 2 and the first of size 1
    assert result.partitions == 3
    dropped = next(v for v in result.ops if v.op_index == 5)
    assert [r.code for r in dropped.reasons] == ["partition"]
    everything = nnapi(model, **{"max-delegated-partitions": 5})
    assert everything.partitions == 5 and everything.ops_on_target == 8


# -- the profile and the sample models ---------------------------------------------------------

def test_the_profile_is_marked_deprecated():
    profile = load_target("nnapi")
    assert profile.deprecated.startswith("NNAPI is deprecated as of Android 15")
    assert (profile.partitioning, profile.max_delegated_partitions) == ("largest", 3)


SAMPLE_COUNTS = {  # model: ((ops on NNAPI at the default API 35, at API 28), ops)
    "cnn_float16.tflite": ((19, 19), 19), "cnn_float32.tflite": ((9, 9), 9),
    "cnn_int8.tflite": ((9, 4), 9), "cnn_int8_metadata.tflite": ((9, 4), 9),
    "cnn_int8_uint8io.tflite": ((11, 4), 11), "dense_dynamic_range.tflite": ((0, 0), 3),
    "dynamic_batch.tflite": ((3, 3), 3), "flex_op.tflite": ((2, 2), 3),
    "micro_int8.tflite": ((3, 0), 3), "two_inputs.tflite": ((5, 5), 5),
    "while_loop.tflite": ((5, 3), 6),
}


@pytest.mark.parametrize("name", sorted(SAMPLE_COUNTS))
def test_sample_models(name):
    data = (MODELS / name).read_bytes()
    (default, at_28), total = SAMPLE_COUNTS[name]
    assert (nnapi(data).ops_on_target, nnapi(data).ops_total) == (default, total)
    assert nnapi(data, android_api=28).ops_on_target == at_28


def test_int8_cnn_at_api_28_keeps_the_convolutions_on_the_cpu():
    result = nnapi((MODELS / "cnn_int8.tflite").read_bytes(), android_api=28)
    assert verdicts(result) == [
        (0, "CONV_2D", "cpu", ("nnapi-input-types", "nnapi-per-channel-before-29")),
        (1, "DEPTHWISE_CONV_2D", "cpu", ("nnapi-input-types",)),
        (2, "CONV_2D", "cpu", ("nnapi-input-types", "nnapi-per-channel-before-29")),
        (3, "MAX_POOL_2D", "target", ()),
        (4, "CONV_2D", "cpu", ("nnapi-input-types", "nnapi-per-channel-before-29")),
        (5, "AVERAGE_POOL_2D", "target", ()),
        (6, "RESHAPE", "target", ()),
        (7, "FULLY_CONNECTED", "cpu", ("nnapi-input-types",)),
        (8, "SOFTMAX", "target", ())]


def test_dynamic_range_model_exceeds_the_fully_connected_version():
    result = nnapi((MODELS / "dense_dynamic_range.tflite").read_bytes())
    assert {tuple(r.code for r in v.reasons) for v in result.ops} == {("version",)}


def test_android_api_on_the_command_line(run_cli):
    import json

    model = MODELS / "cnn_int8.tflite"
    for api, on_target in (("28", 4), ("29", 9)):
        code, out, _ = run_cli(model, "--target", "nnapi", "--android-api", api,
                               "--format", "json", "--no-config")
        target = json.loads(out)["models"][0]["targets"]["nnapi"]
        assert (target["ops_on_target"], target["ops_total"]) == (on_target, 9)
    code, out, _ = run_cli(model, "--target", "nnapi", "--android-api", "28", "--no-config")
    assert ("[nnapi] CONV_2D x3 (ops 0, 2, 4): left on the CPU by the NNAPI delegate"
            in " ".join(out.split()))
