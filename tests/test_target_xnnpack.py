"""The `xnnpack` target: exact verdicts, reason codes and the delegate's own words for every
kind of constraint in rules/targets/xnnpack.toml, on tiny built models and the samples,
and the same verdicts from the real XNNPACK delegate of ai-edge-litert where installed."""
from __future__ import annotations

import numpy as np
import pytest
from builder import ModelBuilder, float16_weights_model
from conftest import MODELS, target_result, tools, verdicts as all_verdicts


TANH, SIGN_BIT = 4, 5  # ActivationFunctionType
QUANT = dict(scale=[0.1], zero_point=[0])


def xnnpack(data: bytes):
    return target_result(data, "xnnpack")


def verdicts(result):
    return all_verdicts(result, subgraph=0)


def single(op: str, shape=(1, 4), dtype="FLOAT32", *, out_shape=None, out_dtype=None,
           extra=(), version=1, options=None, custom_code=None, quant=None,
           out_quant=None, witness=False) -> bytes:
    """x -> op(x, *extra) -> y; `extra` builds more inputs: callable(subgraph) -> index.
    With `witness`, x is made by an op XNNPACK takes (RELU, or RESHAPE for 8-bit), so an
    oracle run shows the delegate was applied even when it refuses `op`."""
    model = ModelBuilder()
    main = model.subgraph()
    quant = quant if quant is not None else (QUANT if dtype in ("INT8", "UINT8") else {})
    out_dtype = out_dtype or dtype
    if out_quant is None:
        out_quant = QUANT if out_dtype in ("INT8", "UINT8") else {}
    x = first = main.tensor("x", list(shape), dtype, **quant)
    if witness:
        x = main.tensor("x_witnessed", list(shape), dtype, **quant)
        if dtype in ("INT8", "UINT8"):
            new_shape = main.constant("witness_shape", np.asarray(shape, np.int32), "INT32")
            main.op("RESHAPE", [first, new_shape], [x])
        else:
            main.op("RELU", [first], [x])
    inputs = [x] + [make(main) for make in extra]
    y = main.tensor("y", list(out_shape or shape), out_dtype, **out_quant)
    main.op(op, inputs, [y], version=version, options=options, custom_code=custom_code)
    main.inputs, main.outputs = [first], [y]
    return model.build()


def constant(name, values, dtype="FLOAT32", **kwargs):
    numpy_type = {"FLOAT32": np.float32, "FLOAT16": np.float16, "INT32": np.int32,
                  "INT8": np.int8}[dtype]
    return lambda main: main.constant(name, np.asarray(values, dtype=numpy_type), dtype,
                                      **kwargs)


def activation(name, shape, dtype="FLOAT32", **kwargs):
    return lambda main: main.tensor(name, list(shape), dtype, **kwargs)


def fully_connected(weights_constant=True, *, version=1, witness=False) -> bytes:
    weights = (constant("w", np.ones((3, 4))) if weights_constant
               else activation("w", (3, 4)))
    return single("FULLY_CONNECTED", out_shape=(1, 3), version=version, witness=witness,
                  extra=[weights, constant("b", np.zeros(3))])


# -- which ops ---------------------------------------------------------------------------------

def test_an_op_xnnpack_lacks_gets_its_logging_build_wording():
    result = xnnpack(single("LESS", extra=[activation("z", (1, 4))], out_dtype="BOOL"))
    assert verdicts(result) == [(0, "LESS", "cpu", ("not-listed",))]
    assert tools(result) == ["unsupported operator type LESS in node #0"]


def test_custom_ops_xnnpack_claims_are_listed_and_others_are_not():
    mediapipe = xnnpack(single("CUSTOM", (1, 2, 2, 1), custom_code="MaxUnpooling2D",
                               out_shape=(1, 4, 4, 1),
                               extra=[activation("indices", (1, 2, 2, 1), "INT32")]))
    assert verdicts(mediapipe) == [(0, "MaxUnpooling2D", "cpu", ("xnnpack-mediapipe-options",))]
    assert tools(mediapipe) == ["invalid stride width 0 in node #0"]
    as_int8 = xnnpack(single("CUSTOM", (1, 2, 2, 1), "INT8", custom_code="MaxUnpooling2D",
                             out_shape=(1, 4, 4, 1),
                             extra=[activation("indices", (1, 2, 2, 1), "INT32")]))
    assert verdicts(as_int8) == [(0, "MaxUnpooling2D", "cpu", (
        "xnnpack-float32-io", "xnnpack-float32-io", "xnnpack-mediapipe-options"))]
    assert tools(as_int8)[:2] == [
        "CheckTensorFloat32Type: unsupported type INT8 in tensor #0 in node #0",
        "CheckTensorFloat32Type: unsupported type INT8 in tensor #2 in node #0"]
    other = xnnpack(single("CUSTOM", custom_code="MyOp"))
    assert verdicts(other) == [(0, "MyOp", "cpu", ("not-listed",))]
    assert tools(other) == ['unsupported custom operator type "MyOp" in node #0']


def test_the_deconvolution_custom_op_needs_constant_weights():
    result = xnnpack(single("CUSTOM", (1, 2, 2, 1), custom_code="Convolution2DTransposeBias",
                            out_shape=(1, 4, 4, 1),
                            extra=[activation("w", (1, 3, 3, 1)),
                                   constant("b", np.zeros(1))]))
    assert verdicts(result) == [(0, "Convolution2DTransposeBias", "cpu", (
        "xnnpack-static-inputs", "xnnpack-mediapipe-options"))]
    assert tools(result)[0] == ("invalid allocation type in tensor #1 in CUSTOM node #0: "
                                "expected static read-only tensor")


def test_expand_dims_is_switched_off_silently():
    result = xnnpack(single("EXPAND_DIMS", out_shape=(1, 1, 4),
                            extra=[constant("axis", [1], "INT32")]))
    assert verdicts(result) == [(0, "EXPAND_DIMS", "cpu", ("xnnpack-disabled",))]
    assert tools(result) == [None]
    assert result.ops[0].fix == "Use RESHAPE with a constant shape, which XNNPACK runs."


# -- types and quantization --------------------------------------------------------------------

def test_a_float_only_op_refuses_int8_without_tool_words():
    result = xnnpack(single("SOFTMAX", dtype="INT8", options=("SoftmaxOptions", {"beta": 1.0})))
    assert verdicts(result) == [(0, "SOFTMAX", "cpu", ("dtype",))]
    assert tools(result) == [None]
    assert result.ops[0].reasons[0].message == "input 'x' is INT8; supported: FLOAT32, FLOAT16"


def test_int8_activations_must_be_quantized_per_tensor():
    per_channel = dict(scale=[0.1, 0.2], zero_point=[0, 0], quantized_dimension=1)
    result = xnnpack(single("ADD", (1, 2), "INT8", quant=per_channel,
                            extra=[activation("z", (1, 2), "INT8", **QUANT)]))
    assert verdicts(result) == [(0, "ADD", "cpu", ("xnnpack-per-tensor-quantization",))]
    assert tools(result) == ["unsupported quantization type 1 in tensor #0 in node #0"]
    unquantized = xnnpack(single("ADD", (1, 2), "INT8", quant={},
                                 extra=[activation("z", (1, 2), "INT8", **QUANT)]))
    assert tools(unquantized) == ["unsupported quantization type 0 in tensor #0 in node #0"]


def test_binary_ops_need_one_type_and_a_scale_ratio_in_range():
    mixed = xnnpack(single("ADD", extra=[constant("c", np.ones((1, 4)), "INT8", **QUANT)]))
    assert verdicts(mixed) == [(0, "ADD", "cpu", ("xnnpack-binary",))]
    assert tools(mixed) == ["unsupported mixed types in ADD operator #0"]
    tiny_out = dict(scale=[1000.0], zero_point=[0])
    ratio = xnnpack(single("ADD", dtype="INT8", out_quant=tiny_out,
                           extra=[activation("z", (1, 4), "INT8", **QUANT)]))
    assert verdicts(ratio) == [(0, "ADD", "cpu", ("xnnpack-binary",))]
    assert tools(ratio) == ["unsupported input-to-output scale in ADD node #0"]


def test_requantizing_between_int8_and_uint8_is_refused():
    result = xnnpack(single("QUANTIZE", dtype="UINT8", out_dtype="INT8"))
    assert verdicts(result) == [(0, "QUANTIZE", "cpu", ("xnnpack-quantize",))]
    assert tools(result) == ["unsupported combination of input type (UINT8) and output type "
                             "(INT8) in QUANTIZE node #0"]
    assert verdicts(xnnpack(single("QUANTIZE", out_dtype="INT8"))) == [
        (0, "QUANTIZE", "target", ())]


# -- static inputs, ranks, activations, options ------------------------------------------------

def test_fully_connected_needs_static_weights_and_not_version_8():
    assert verdicts(xnnpack(fully_connected())) == [(0, "FULLY_CONNECTED", "target", ())]
    dynamic = xnnpack(fully_connected(weights_constant=False))
    assert verdicts(dynamic) == [(0, "FULLY_CONNECTED", "cpu", ("xnnpack-static-inputs",))]
    assert tools(dynamic) == ["invalid allocation type in tensor #1 in FULLY_CONNECTED node "
                              "#0: expected static read-only tensor"]
    sparse = xnnpack(fully_connected(version=8))
    assert verdicts(sparse) == [(0, "FULLY_CONNECTED", "cpu", ("xnnpack-fully-connected",))]
    assert tools(sparse) == ["Unsupported version 8 of FullyConnected."]


def test_float16_weights_behind_a_dequantize_count_as_static():
    model = float16_weights_model()
    result = xnnpack(model.build())
    assert verdicts(result) == [(0, "DEQUANTIZE", "target", ()),
                                (1, "FULLY_CONNECTED", "target", ())]


def test_convolution_needs_a_bias_with_the_delegates_wording():
    result = xnnpack(single("CONV_2D", (1, 4, 4, 1), out_shape=(1, 4, 4, 2),
                            extra=[constant("w", np.ones((2, 1, 1, 1))), lambda main: -1],
                            options=("Conv2DOptions", {"stride_w": 1, "stride_h": 1})))
    assert verdicts(result) == [(0, "CONV_2D", "cpu", ("xnnpack-convolution",))]
    assert tools(result) == ["unsupported CONV_2D node #0 without bias"]


def test_reduce_min_axes_must_be_static_and_the_delegate_names_it_add():
    result = xnnpack(single("REDUCE_MIN", out_shape=(1,),
                            extra=[activation("axes", (1,), "INT32")],
                            options=("ReducerOptions", {"keep_dims": False})))
    assert verdicts(result) == [(0, "REDUCE_MIN", "cpu", ("xnnpack-static-inputs",))]
    assert tools(result) == ["invalid allocation type in tensor #1 in ADD node #0: expected "
                             "static read-only tensor"]


def test_rank_above_six_is_refused():
    assert verdicts(xnnpack(single("RELU", (1,) * 6))) == [(0, "RELU", "target", ())]
    result = xnnpack(single("RELU", (1,) * 7))
    assert verdicts(result) == [(0, "RELU", "cpu", ("rank",))]
    assert result.ops[0].reasons[0].message == "input 'x' has rank 7; at most 6"
    assert tools(result) == [None]


@pytest.mark.parametrize("fused", [TANH, SIGN_BIT])
def test_tanh_and_sign_bit_cannot_be_fused(fused):
    result = xnnpack(single("ADD", extra=[activation("z", (1, 4))],
                            options=("AddOptions", {"fused_activation_function": fused})))
    assert verdicts(result) == [(0, "ADD", "cpu", ("fused-activation",))]


def test_softmax_beta_must_be_one():
    result = xnnpack(single("SOFTMAX", options=("SoftmaxOptions", {"beta": 2.0})))
    assert verdicts(result) == [(0, "SOFTMAX", "cpu", ("xnnpack-softmax-beta",))]
    assert tools(result) == ["unsupported beta value 2.0000000 in SOFTMAX node #0"]


def test_strided_slice_takes_stride_one_and_no_shrink_mask():
    def strided(strides, **masks):
        return single("STRIDED_SLICE", (1, 4), out_shape=(1, 2), extra=[
            constant("begin", [0, 0], "INT32"), constant("end", [1, 4], "INT32"),
            constant("strides", strides, "INT32")],
            options=("StridedSliceOptions", masks))

    assert verdicts(xnnpack(strided([1, 1]))) == [(0, "STRIDED_SLICE", "target", ())]
    stride = xnnpack(strided([1, 2]))
    assert verdicts(stride) == [(0, "STRIDED_SLICE", "cpu", ("xnnpack-strided-slice",))]
    assert tools(stride) == ["stride at dimension 1, 2, must be 1in STRIDED_SLICE node #0"]
    shrink = xnnpack(strided([1, 1], shrink_axis_mask=1))
    assert verdicts(shrink) == [(0, "STRIDED_SLICE", "cpu", ("xnnpack-strided-slice",))]
    assert tools(shrink) == [None]


def test_slice_size_minus_one_is_refused():
    result = xnnpack(single("SLICE", (1, 4), out_shape=(1, 3), extra=[
        constant("begin", [0, 1], "INT32"), constant("size", [1, -1], "INT32")]))
    assert verdicts(result) == [(0, "SLICE", "cpu", ("xnnpack-slice",))]
    assert tools(result) == ["size -1 must be positive in SLICE node #0"]


def test_pooling_stride_must_not_exceed_the_window():
    result = xnnpack(single("MAX_POOL_2D", (1, 4, 4, 1), out_shape=(1, 1, 1, 1),
                            options=("Pool2DOptions", {"stride_w": 3, "stride_h": 3,
                                                       "filter_width": 2,
                                                       "filter_height": 2})))
    assert verdicts(result) == [(0, "MAX_POOL_2D", "cpu", ("xnnpack-pooling",))]
    assert tools(result) == ["unsupported width stride 3 exceeding filter width 2 in "
                             "MAX_POOL_2D node #0"]


# -- partitioning ------------------------------------------------------------------------------

def test_every_partition_is_delegated():
    model = ModelBuilder()
    main = model.subgraph()
    current = main.tensor("x", [1, 4])
    main.inputs = [current]
    for position, name in enumerate(["RELU", "CUSTOM"] * 3 + ["RELU"]):
        output = main.tensor(f"t{position}", [1, 4])
        main.op(name, [current], [output], custom_code="MyOp" if name == "CUSTOM" else None)
        current = output
    main.outputs = [current]
    result = xnnpack(model.build())
    assert [v.verdict for v in result.ops] == ["target", "cpu"] * 3 + ["target"]
    assert (result.partitions, result.transitions) == (4, 6)


# -- the sample models -------------------------------------------------------------------------

SAMPLE_COUNTS = {  # model: (ops on XNNPACK, ops), verified against ai-edge-litert 2.3.0
    "cnn_float16.tflite": (19, 19), "cnn_float32.tflite": (9, 9), "cnn_int8.tflite": (7, 9),
    "cnn_int8_metadata.tflite": (7, 9), "cnn_int8_uint8io.tflite": (7, 11),
    "dense_dynamic_range.tflite": (3, 3), "dynamic_batch.tflite": (3, 3),
    "flex_op.tflite": (2, 3), "micro_int8.tflite": (3, 3), "two_inputs.tflite": (5, 5),
    "while_loop.tflite": (3, 6),
}


@pytest.mark.parametrize("name", sorted(SAMPLE_COUNTS))
def test_sample_models(name):
    result = xnnpack((MODELS / name).read_bytes())
    assert (result.ops_on_target, result.ops_total) == SAMPLE_COUNTS[name]


def test_int8_cnn_keeps_average_pool_and_softmax_on_the_cpu():
    result = xnnpack((MODELS / "cnn_int8.tflite").read_bytes())
    assert [(v.op_index, v.op, tuple(r.code for r in v.reasons)) for v in result.ops
            if v.verdict == "cpu"] == [(5, "AVERAGE_POOL_2D", ("dtype",)),
                                       (8, "SOFTMAX", ("dtype",))]
    assert (result.partitions, result.transitions) == (2, 3)


# -- the real delegate as an oracle ------------------------------------------------------------

def delegated_by_litert(data: bytes) -> tuple[set[int], int]:
    """(op indices of subgraph 0 that ai-edge-litert's default XNNPACK delegate took, ops).

    The Python interpreter applies XNNPACK in allocate_tensors (even when a CPU kernel then
    fails to prepare) and lists one DELEGATE node per partition after the original nodes;
    a partition's ops are those its outputs reach back to without crossing its inputs."""
    from ai_edge_litert.interpreter import Interpreter

    interpreter = Interpreter(model_content=data)
    if not hasattr(interpreter, "_get_ops_details"):
        pytest.skip("this ai-edge-litert no longer lists nodes (_get_ops_details)")
    try:
        interpreter.allocate_tensors()
    except (RuntimeError, ValueError):
        pass  # e.g. a Flex op without the Flex delegate: the delegation already happened
    nodes = interpreter._get_ops_details()
    original = [n for n in nodes if n["op_name"] != "DELEGATE"]
    producer = {int(t): n["index"] for n in original for t in n["outputs"]}
    delegated: set[int] = set()
    for partition in (n for n in nodes if n["op_name"] == "DELEGATE"):
        boundary = {int(t) for t in partition["inputs"]}
        pending = [int(t) for t in partition["outputs"]]
        while pending:
            tensor = pending.pop()
            if tensor in boundary or tensor not in producer or producer[tensor] in delegated:
                continue
            delegated.add(producer[tensor])
            pending.extend(int(t) for t in original[producer[tensor]]["inputs"])
    return delegated, len(original)


def oracle_cases():
    """The samples, and one model per constraint kind; each refused op follows a witness op
    XNNPACK takes, so the oracle shows the delegate was applied and refused only it."""
    samples = [(path.name, path.read_bytes) for path in sorted(MODELS.glob("*.tflite"))]
    z_float, z_int8 = activation("z", (1, 4)), activation("z", (1, 4), "INT8", **QUANT)
    conv_options = ("Conv2DOptions", {"stride_w": 1, "stride_h": 1})
    pool_options = ("Pool2DOptions", {"stride_w": 3, "stride_h": 3, "filter_width": 2,
                                      "filter_height": 2})
    built = [
        ("relu-rank-6", lambda: single("RELU", (1,) * 6)),
        ("relu-rank-7", lambda: single("RELU", (1,) * 7)),
        ("fc-static", lambda: fully_connected()),
        ("quantize-float-to-int8", lambda: single("QUANTIZE", out_dtype="INT8")),
        ("softmax-int8", lambda: single("SOFTMAX", dtype="INT8", witness=True,
                                        options=("SoftmaxOptions", {"beta": 1.0}))),
        ("softmax-beta-2", lambda: single("SOFTMAX", witness=True,
                                          options=("SoftmaxOptions", {"beta": 2.0}))),
        ("fc-dynamic-weights", lambda: fully_connected(weights_constant=False, witness=True)),
        ("fc-version-8", lambda: fully_connected(version=8, witness=True)),
        ("quantize-uint8-to-int8", lambda: single("QUANTIZE", dtype="UINT8", out_dtype="INT8",
                                                  witness=True)),
        ("add-tanh", lambda: single("ADD", extra=[z_float], witness=True, options=(
            "AddOptions", {"fused_activation_function": TANH}))),
        ("add-sign-bit", lambda: single("ADD", extra=[z_float], witness=True, options=(
            "AddOptions", {"fused_activation_function": SIGN_BIT}))),
        ("add-int8-scale-ratio", lambda: single(
            "ADD", dtype="INT8", out_quant=dict(scale=[1000.0], zero_point=[0]),
            extra=[z_int8], witness=True)),
        ("add-mixed-types", lambda: single(
            "ADD", extra=[constant("c", np.ones((1, 4)), "INT8", **QUANT)], witness=True)),
        ("expand-dims", lambda: single("EXPAND_DIMS", out_shape=(1, 1, 4), witness=True,
                                       extra=[constant("axis", [1], "INT32")])),
        ("less", lambda: single("LESS", extra=[z_float], out_dtype="BOOL", witness=True)),
        ("conv-without-bias", lambda: single(
            "CONV_2D", (1, 4, 4, 1), out_shape=(1, 4, 4, 2), options=conv_options,
            extra=[constant("w", np.ones((2, 1, 1, 1))), lambda main: -1], witness=True)),
        ("reduce-min-dynamic-axes", lambda: single(
            "REDUCE_MIN", out_shape=(1,), extra=[activation("axes", (1,), "INT32")],
            options=("ReducerOptions", {"keep_dims": False}), witness=True)),
        ("slice-size-minus-one", lambda: single(
            "SLICE", (1, 4), out_shape=(1, 3), witness=True, extra=[
                constant("begin", [0, 1], "INT32"), constant("size", [1, -1], "INT32")])),
        ("max-pool-stride-over-window", lambda: single(
            "MAX_POOL_2D", (1, 4, 4, 1), out_shape=(1, 1, 1, 1), options=pool_options,
            witness=True)),
    ]
    return samples + built


@pytest.mark.parametrize("name,make", oracle_cases(), ids=[c[0] for c in oracle_cases()])
def test_verdicts_match_litert_xnnpack(name, make):
    pytest.importorskip("ai_edge_litert", reason="the real XNNPACK delegate comes with "
                        "ai-edge-litert (pip install -e .[oracle])")
    data = make()
    oracle, count = delegated_by_litert(data)
    ours = {v.op_index for v in xnnpack(data).ops if v.subgraph == 0 and v.verdict == "target"}
    disagreeing = sorted(i for i in range(count) if (i in ours) != (i in oracle))
    assert disagreeing == [], f"{name}: tfllint {sorted(ours)}, LiteRT {sorted(oracle)}"
