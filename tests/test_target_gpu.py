"""The `gpu` target: exact verdicts, reason codes and the delegate's own words for every
kind of constraint in rules/targets/gpu.toml, on tiny built models and on the samples."""
from __future__ import annotations

import json

import numpy as np
import pytest
from builder import ModelBuilder
from conftest import MODELS, lint_bytes, view_of

from tfllint.analyses import Analyses
from tfllint.engine.settings import settings_from_mapping

NOT_COMPATIBLE = "OP is supported, but tensor type/shape isn't compatible."

SIGN_BIT, SYMMETRIC, SHUFFLED = 5, 1, 1  # schema enum values


def gpu(data: bytes, **settings):
    view = view_of(data)
    return Analyses(view, settings_from_mapping({"target": ["gpu"], **settings}, "test")
                    ).target("gpu")


def verdicts(result) -> list[tuple[int, int, str, str, tuple[str, ...]]]:
    return [(v.subgraph, v.op_index, v.op, v.verdict, tuple(r.code for r in v.reasons))
            for v in result.ops]


def tools(result, op_index: int = 0, subgraph: int = 0) -> list[str | None]:
    verdict = next(v for v in result.ops if (v.subgraph, v.op_index) == (subgraph, op_index))
    return [r.tool for r in verdict.reasons]


def const(sub, name, values, dtype="FLOAT32"):
    numpy_type = {"FLOAT32": np.float32, "INT32": np.int32, "INT64": np.int64,
                  "FLOAT16": np.float16}[dtype]
    return sub.constant(name, np.asarray(values, dtype=numpy_type), dtype)


def single(op: str, inputs, output_shape, output_dtype="FLOAT32", *, version=1,
           options=None, custom_code=None, extra=None) -> bytes:
    """One op. `inputs` lists (name, shape, dtype) for model inputs, or (name, values, dtype,
    "const") for constants; `extra(main, tensors)` may add more ops after it."""
    model = ModelBuilder()
    main = model.subgraph()
    tensors, model_inputs = [], []
    for spec in inputs:
        if spec is None:
            tensors.append(-1)
        elif len(spec) == 4:
            tensors.append(const(main, spec[0], spec[1], spec[2]))
        else:
            tensors.append(main.tensor(spec[0], spec[1], spec[2]))
            model_inputs.append(tensors[-1])
    outputs = [main.tensor(f"out{i}", shape, dtype) for i, (shape, dtype) in enumerate(
        output_shape if isinstance(output_shape, list) and output_shape
        and isinstance(output_shape[0], tuple) else [(output_shape, output_dtype)])]
    main.op(op, tensors, outputs, version=version, options=options, custom_code=custom_code)
    main.inputs, main.outputs = model_inputs, outputs
    if extra:
        main.outputs = extra(main, outputs)
    return model.build()


def chain(*ops: str, shape=(1, 8)) -> bytes:
    """x -> op -> op -> ... float32 ops of one input each."""
    model = ModelBuilder()
    main = model.subgraph()
    current = main.tensor("x", shape)
    main.inputs = [current]
    for position, name in enumerate(ops):
        output = main.tensor(f"t{position}", shape)
        main.op(name, [current], [output])
        current = output
    main.outputs = [current]
    return model.build()


F = "FLOAT32"
IMAGE = [1, 8, 8, 4]


# -- ops without a parser, custom and Flex ops --------------------------------------------

def test_op_without_a_parser_prints_operation_is_not_supported():
    result = gpu(single("GATHER_ND", [("x", IMAGE, F), ("i", [1, 2], "INT32")], [1, 4]))
    assert verdicts(result) == [(0, 0, "GATHER_ND", "cpu", ("not-listed",))]
    assert tools(result) == ["GATHER_ND: Operation is not supported."]
    assert result.ops[0].reasons[0].message == (
        "GATHER_ND is not supported by the LiteRT GPU delegate")


def test_unparsed_custom_and_flex_ops_are_named_as_the_delegate_names_them():
    result = gpu(single("CUSTOM", [("x", IMAGE, F)], IMAGE, custom_code="MyOp"))
    assert verdicts(result) == [(0, 0, "MyOp", "cpu", ("not-listed",))]
    assert tools(result) == ["CUSTOM MyOp: MyOp"]
    flex = gpu(single("CUSTOM", [("x", IMAGE, F)], IMAGE, custom_code="FlexErf"))
    assert tools(flex) == ["CUSTOM FlexErf: FlexErf"]


def test_ops_listed_as_unsupported_carry_a_fix():
    result = gpu(single("ARG_MAX", [("x", [1, 8], F), ("axis", [1], "INT32", "const")], [1],
                        "INT32"))
    assert verdicts(result) == [(0, 0, "ARG_MAX", "cpu", ("not-listed",))]
    assert tools(result) == ["ARG_MAX: Operation is not supported."]
    assert result.ops[0].fix.startswith("Take the arg max in the app")


def test_control_flow_is_never_delegated_but_its_bodies_are_checked():
    model = ModelBuilder()
    main, cond, body = model.subgraph("main"), model.subgraph("cond"), model.subgraph("body")
    x, y = main.tensor("x", [1, 4]), main.tensor("y", [1, 4])
    main.op("WHILE", [x], [y], options=("WhileOptions", {"cond_subgraph_index": 1,
                                                         "body_subgraph_index": 2}))
    main.inputs, main.outputs = [x], [y]
    c_in, c_out = cond.tensor("c_in", [1, 4]), cond.tensor("c_out", [], "BOOL")
    limit = cond.constant("limit", np.zeros((1, 4), np.float32))
    cond.op("LESS", [c_in, limit], [c_out], version=1)
    cond.inputs, cond.outputs = [c_in], [c_out]
    b_in, b_out = body.tensor("b_in", [1, 4]), body.tensor("b_out", [1, 4])
    body.op("TANH", [b_in], [b_out])
    body.inputs, body.outputs = [b_in], [b_out]
    result = gpu(model.build())
    assert verdicts(result) == [
        (0, 0, "WHILE", "cpu", ("not-listed",)),
        (1, 0, "LESS", "cpu", ("gpu-logical-consumer",)),
        (2, 0, "TANH", "target", ()),
    ]
    assert tools(result, 0, 1) == ["LESS: Not supported logical op case"]


# -- versions, tensor types, rank, fused activation ---------------------------------------

def test_op_version_above_the_parsers_maximum():
    result = gpu(single("TANH", [("x", IMAGE, F)], IMAGE, version=3))
    assert verdicts(result) == [(0, 0, "TANH", "cpu", ("version",))]
    assert tools(result) == ["TANH: Max version supported: 2. Requested version 3."]
    assert gpu(single("MUL", [("a", IMAGE, F), ("b", IMAGE, F)], IMAGE, version=3,
                      options=("MulOptions", {}))).ops[0].verdict == "target"


def test_tensor_types_float_and_quantized_pass_int32_does_not():
    for dtype in ("FLOAT32", "FLOAT16", "INT8", "UINT8"):
        assert gpu(single("ADD", [("a", IMAGE, dtype), ("b", IMAGE, dtype)], IMAGE, dtype)
                   ).ops[0].verdict == "target", dtype
    result = gpu(single("ADD", [("a", IMAGE, "INT32"), ("b", IMAGE, "INT32")], IMAGE, "INT32"))
    assert verdicts(result) == [(0, 0, "ADD", "cpu", ("dtype",))]
    assert tools(result) == [f"ADD: {NOT_COMPATIBLE}"]


def test_rank_five_tensors_are_refused_even_constant_ones():
    result = gpu(single("ADD", [("a", [1, 2, 2, 2, 2], F), ("b", [1, 2, 2, 2, 2], F)],
                        [1, 2, 2, 2, 2]))
    assert verdicts(result) == [(0, 0, "ADD", "cpu", ("rank",))]
    assert tools(result) == [f"ADD: {NOT_COMPATIBLE}"]
    constant = gpu(single("ADD", [("a", [1, 1, 1, 1, 2], F),
                                  ("b", np.ones((1, 1, 1, 1, 2)), F, "const")],
                          [1, 1, 1, 1, 2]))
    assert verdicts(constant) == [(0, 0, "ADD", "cpu", ("rank", "gpu-tensor-filter"))]


def test_extra_types_on_one_side_only():
    # a comparison may output BOOL but not read it; GATHER may read INT32 but not output it
    def to_select(main, outputs):
        picked = main.tensor("picked", [1, 2, 8])
        main.op("SELECT_V2", [outputs[0], main.tensor("p", [1, 2, 8]),
                              main.tensor("q", [1, 2, 8])], [picked])
        return [picked]
    ok = gpu(single("GREATER", [("a", [1, 2, 8], F), ("b", [1, 2, 8], F)], [1, 2, 8], "BOOL",
                    extra=to_select))
    assert verdicts(ok) == [(0, 0, "GREATER", "target", ()), (0, 1, "SELECT_V2", "target", ())]
    bools = gpu(single("EQUAL", [("a", [1, 2, 8], "BOOL"), ("b", [1, 2, 8], "BOOL")], [1, 2, 8],
                       "BOOL", extra=to_select))
    assert verdicts(bools)[0] == (0, 0, "EQUAL", "cpu", ("gpu-tensor-filter",))
    assert tools(bools) == [f"EQUAL: {NOT_COMPATIBLE}"]
    gathered = gpu(single("GATHER", [("x", [4, 8], "INT32"), ("i", [2], "INT32")], [2, 8],
                          "INT32"))
    assert verdicts(gathered) == [(0, 0, "GATHER", "cpu", ("gpu-tensor-filter",))]


def test_sign_bit_fused_activation():
    options = ("MulOptions", {"fused_activation_function": SIGN_BIT})
    result = gpu(single("MUL", [("a", IMAGE, F), ("b", IMAGE, F)], IMAGE, options=options))
    assert verdicts(result) == [(0, 0, "MUL", "cpu", ("fused-activation",))]
    assert tools(result) == ["MUL: TfLiteFusedActivation.kTfLiteActSignBit"]
    relu6 = ("MulOptions", {"fused_activation_function": 3})
    assert gpu(single("MUL", [("a", IMAGE, F), ("b", IMAGE, F)], IMAGE, options=relu6)
               ).ops[0].verdict == "target"


def test_softmax_beta_is_an_option_limit_with_the_delegates_words():
    result = gpu(single("SOFTMAX", [("x", [1, 8], F)], [1, 8],
                        options=("SoftmaxOptions", {"beta": 2.0})))
    assert verdicts(result) == [(0, 0, "SOFTMAX", "cpu", ("option",))]
    assert tools(result) == ["SOFTMAX: Softmax.beta != 1 is not supported."]
    assert gpu(single("SOFTMAX", [("x", [1, 8], F)], [1, 8],
                      options=("SoftmaxOptions", {"beta": 1.0}))).ops[0].verdict == "target"


# -- gpu_compatibility.cc rules, one case each --------------------------------------------

W = np.ones((4, 3, 3, 4))
CASES = {
    "strided slice shrink mask": (
        lambda: single("STRIDED_SLICE", [("x", IMAGE, F), ("b", [0, 0, 0, 0], "INT32", "const"),
                                 ("e", [1, 8, 8, 4], "INT32", "const"),
                                 ("s", [1, 1, 1, 1], "INT32", "const")], [8, 8, 4],
               options=("StridedSliceOptions", {"shrink_axis_mask": 1})),
        ("gpu-strided-slice",),
        "STRIDED_SLICE: StridedSlice does not support shrink_axis_mask parameter."),
    "strided slice 2-D input": (
        lambda: single("STRIDED_SLICE", [("x", [4, 8], F), ("b", [0, 0], "INT32", "const"),
                                 ("e", [4, 8], "INT32", "const"), ("s", [1, 1], "INT32", "const")],
               [4, 8], options=("StridedSliceOptions", {})),
        ("gpu-strided-slice",),
        "STRIDED_SLICE: STRIDED_SLICE supports for 3 or 4 dimensional tensors only."),
    "resize align corners and half pixel": (
        lambda: single("RESIZE_BILINEAR", [("x", IMAGE, F), ("size", [16, 16], "INT32", "const")],
               [1, 16, 16, 4], options=("ResizeBilinearOptions", {"align_corners": True,
                                                                  "half_pixel_centers": True})),
        ("gpu-resize",),
        "RESIZE_BILINEAR: If half_pixel_centers is True, align_corners must be False."),
    "mirror pad symmetric": (
        lambda: single("MIRROR_PAD", [("x", IMAGE, F), ("p", np.ones((4, 2)), "INT32", "const")],
               [1, 10, 10, 6], options=("MirrorPadOptions", {"mode": SYMMETRIC})),
        ("gpu-paddings",),
        "MIRROR_PAD: Only Reflective padding is supported for Mirror Pad operation. But node "
        "has 1"),
    "pad of a 2-D tensor": (
        lambda: single("PAD", [("x", [4, 8], F), ("p", np.ones((2, 2)), "INT32", "const")],
                       [6, 10]),
        ("gpu-paddings",),
        "PAD: Invalid paddings tensor shape: expected 4x2 or 3x2, got 2x2"),
    "mean with computed axes": (
        lambda: single("MEAN", [("x", IMAGE, F), ("axes", [2], "INT32")], [1, 4],
               options=("ReducerOptions", {})),
        ("dtype", "gpu-static-tensors", "gpu-constant-axes"),
        "MEAN: Expected 1 const input tensor(s), but node has 0 const input(s)."),
    "mean with int64 axes": (
        lambda: single("MEAN", [("x", IMAGE, F), ("axes", [1, 2], "INT64", "const")],
               [1, 4], options=("ReducerOptions", {})),
        ("gpu-constant-axes",),
        "MEAN: MEAN supports int32 tensor for axes. But node has INT64"),
    "broadcast [b,c] over a batch of 1": (
        lambda: single("ADD", [("a", IMAGE, F), ("b", [4, 4], F)], IMAGE),
        ("gpu-broadcast",),
        "ADD: Doesn't support broadcasting - input0: [1,8,8,4], input1: [4,4]"),
    "add_n of three": (
        lambda: single("ADD_N", [("a", IMAGE, F), ("b", IMAGE, F), ("c", IMAGE, F)], IMAGE),
        ("gpu-two-inputs",),
        "ADD_N: ADD_N only supports 2 inputs."),
    "unary op on a constant": (
        lambda: single("EXP", [("c", np.ones((1, 8)), F, "const")], [1, 8]),
        ("gpu-unary-operands",),
        "EXP: Expected 0 const input tensor(s), but node has 1 const input(s)."),
    "binary op on two constants": (
        lambda: single("SUB", [("a", np.ones((1, 8)), F, "const"),
                               ("b", np.ones((1, 8)), F, "const")],
               [1, 8], options=("SubOptions", {})),
        ("gpu-binary-operands",),
        "SUB: Op can only handle 1 or 2 operand(s)."),
    "conv with zero strides": (
        lambda: single("CONV_2D", [("x", IMAGE, F), ("w", W, F, "const"), None], [1, 6, 6, 4],
               options=("Conv2DOptions", {"dilation_w_factor": 1, "dilation_h_factor": 1})),
        ("gpu-positive-params",),
        "CONV_2D: Incorrect stride values: stride_height = 0, stride_width = 0"),
    "conv without weights": (
        lambda: single("CONV_2D", [("x", IMAGE, F)], [1, 6, 6, 4],
               options=("Conv2DOptions", {"stride_w": 1, "stride_h": 1})),
        ("gpu-conv-operands",),
        "CONV_2D: Requested index goes beyond array size: 1 vs 1"),
    "depthwise channels": (
        lambda: single("DEPTHWISE_CONV_2D", [("x", IMAGE, F),
                                             ("w", np.ones((1, 3, 3, 8)), F, "const"),
                                     ("bias", np.ones(8), F, "const")], [1, 6, 6, 8],
               options=("DepthwiseConv2DOptions", {"stride_w": 1, "stride_h": 1,
                                                   "depth_multiplier": 1,
                                                   "dilation_w_factor": 1,
                                                   "dilation_h_factor": 1})),
        ("gpu-depthwise-shapes",),
        "DEPTHWISE_CONV_2D: output.c != input.c * depth_multiplier"),
    "pool with a zero kernel": (
        lambda: single("MAX_POOL_2D", [("x", IMAGE, F)], [1, 4, 4, 4],
               options=("Pool2DOptions", {"stride_w": 2, "stride_h": 2})),
        ("gpu-positive-params",),
        "MAX_POOL_2D: Incorrect kernel values: kernel_height = 0, kernel_width = 0"),
    "fully connected on a constant input": (
        lambda: single("FULLY_CONNECTED", [("a", np.ones((1, 8)), F, "const"), ("w", [4, 8], F)],
                       [1, 4],
               options=("FullyConnectedOptions", {})),
        ("gpu-fully-connected",),
        "FULLY_CONNECTED: FullyConnected doesn't support constant input."),
    "fully connected shuffled weights": (
        lambda: single("FULLY_CONNECTED", [("a", [1, 8], F), ("w", np.ones((4, 8)), F, "const")],
                       [1, 4],
               options=("FullyConnectedOptions", {"weights_format": SHUFFLED})),
        ("gpu-fully-connected",),
        "FULLY_CONNECTED: Unsupported FullyConnected weights format: 1"),
    "gather with 2-D indices": (
        lambda: single("GATHER", [("x", [4, 8], F), ("i", [2, 2], "INT32")], [2, 2, 8]),
        ("gpu-gather",),
        "GATHER: Only support 1D indices"),
    "cast int32 to bool": (
        lambda: single("CAST", [("x", [1, 8], "INT32")], [1, 8], "BOOL"),
        ("gpu-cast",),
        "CAST: Not supported Cast case. Input type: INT32 and output type: BOOL"),
    "cast from a bool model input": (
        lambda: single("CAST", [("x", [1, 8], "BOOL")], [1, 8], "FLOAT32"),
        ("gpu-bool-cast",),
        "CAST: Not supported cast case"),
    "comparison that is a model output": (
        lambda: single("LESS", [("a", [1, 8], F), ("b", [1, 8], F)], [1, 8], "BOOL"),
        ("gpu-logical-consumer",),
        "LESS: Not supported logical op case"),
    "dequantize int16": (
        lambda: single("DEQUANTIZE", [("x", [1, 8], "INT16")], [1, 8]),
        ("dtype", "gpu-dequantize"),
        "DEQUANTIZE: Unsupported dequantization type."),
    "depth to space by 1": (
        lambda: single("DEPTH_TO_SPACE", [("x", IMAGE, F)], IMAGE,
               options=("DepthToSpaceOptions", {"block_size": 1})),
        ("gpu-block-size",),
        "DEPTH_TO_SPACE: DEPTH_TO_SPACE block_size = 1 is a no-op."),
    "slice of a 2-D tensor": (
        lambda: single("SLICE", [("x", [4, 8], F), ("b", [0, 0], "INT32", "const"),
                         ("s", [2, 8], "INT32", "const")], [2, 8]),
        ("gpu-slice",),
        "SLICE: SLICE supports for 3 or 4 dimensional tensors only, but node has 2 dimensional "
        "tensors."),
    "cumsum on a computed axis": (
        lambda: single("CUMSUM", [("x", [1, 8], F), ("axis", [], "INT32")], [1, 8]),
        ("dtype", "gpu-cumsum"),
        "CUMSUM: Input/output must be float type and indices must be constant int32 type"),
    "one-hot on axis 0": (
        lambda: single("ONE_HOT", [("i", [4], "INT32"), ("depth", [3], "INT32", "const"),
                           ("on", [1.0], F, "const"), ("off", [0.0], F, "const")], [3, 4],
               options=("OneHotOptions", {"axis": 0})),
        ("gpu-one-hot",),
        "ONE_HOT: Indices must be int32 type, on/off tensors must be constant, scalar, float "
        "type, axis must be -1 or last dim"),
    "select with a 2-D computed branch": (
        lambda: single("SELECT_V2", [("c", [4, 8], "BOOL"), ("t", [4, 8], F), ("e", [4, 8], F)],
                       [4, 8]),
        ("gpu-select",),
        "SELECT_V2: 2-D if tensor only supported if constant."),
    "full lstm with 3 inputs": (
        lambda: single("LSTM", [("x", [1, 8], F), ("w", [4, 8], F), ("h", [1, 4], F)], [1, 4]),
        ("gpu-lstm",),
        "LSTM: Expected 20 or 24 input tensors, but node has 3 input(s)."),
    "resampler warp of one channel": (
        lambda: single("CUSTOM", [("src", IMAGE, F), ("warp", [1, 8, 8, 1], F)], IMAGE,
               custom_code="Resampler"),
        ("gpu-custom-op",),
        "CUSTOM Resampler: warp.c < 2"),
    "transpose conv bias without options": (
        lambda: single("CUSTOM", [("x", IMAGE, F), ("w", W, F, "const")], [1, 16, 16, 4],
               custom_code="Convolution2DTransposeBias"),
        ("gpu-custom-op",),
        "CUSTOM Convolution2DTransposeBias: Unable to retrieve custom_initial_data."),
}


@pytest.mark.parametrize("case", list(CASES))
def test_gpu_compatibility_rule(case):
    build, codes, tool = CASES[case]
    result = gpu(build())
    assert verdicts(result)[0][3:] == ("cpu", codes)
    assert tools(result)[-1] == tool


def test_reshape_to_a_computed_shape_is_refused_and_makes_the_subgraph_dynamic():
    model = ModelBuilder()
    main = model.subgraph()
    x, shape = main.tensor("x", [1, 8]), main.tensor("shape", [2], "INT32")
    y, z = main.tensor("y", [2, 4]), main.tensor("z", [2, 4])
    main.op("RESHAPE", [x, shape], [y])
    main.op("RELU", [y], [z])
    main.inputs, main.outputs = [x, shape], [z]
    result = gpu(model.build())
    assert verdicts(result) == [
        (0, 0, "RESHAPE", "cpu", ("dtype", "gpu-static-tensors", "gpu-one-runtime-input")),
        (0, 1, "RELU", "cpu", ("gpu-static-tensors",)),
    ]
    static = ("Attempting to use a delegate that only supports static-sized tensors with a "
              "graph that has dynamic-sized tensors (tensor#2 is a dynamic-sized tensor).")
    assert tools(result) == [f"RESHAPE: {NOT_COMPATIBLE}", static,
                             "RESHAPE: Expected 1 runtime input tensor(s), but node has 2 "
                             "runtime input(s)."]
    messages = [r.message for r in result.ops[0].reasons]
    assert messages[2] == "input 1 ('shape') must be a constant, but it is computed at run time"
    assert messages[1].startswith("op 0 RESHAPE makes tensor #2 dynamic-sized (its input 1 "
                                  "('shape') sets the output size but is computed at run time)")


def test_shape_from_the_shape_op_is_known_before_the_first_run():
    # SHAPE output is persistent: RESHAPE to it is not dynamic (but still 2 runtime inputs)
    model = ModelBuilder()
    main = model.subgraph()
    x, shape = main.tensor("x", [1, 8]), main.tensor("shape", [2], "INT32")
    y = main.tensor("y", [1, 8])
    main.op("SHAPE", [x], [shape])
    main.op("RESHAPE", [x, shape], [y])
    main.inputs, main.outputs = [x], [y]
    result = gpu(model.build())
    assert [codes for *_, codes in verdicts(result)] == [
        ("not-listed",), ("dtype", "gpu-one-runtime-input")]


def test_a_dynamic_subgraph_stops_the_delegate_there_and_for_later_subgraphs():
    # the interpreter applies the delegate subgraph by subgraph and stops at the first
    # one with a dynamic-sized tensor; CALL_ONCE does not pass that on to its caller
    model = ModelBuilder()
    main, init, later = model.subgraph("main"), model.subgraph("init"), model.subgraph("later")
    x, y = main.tensor("x", [1, 4]), main.tensor("y", [1, 4])
    main.op("RELU", [x], [y])
    main.op("CALL_ONCE", [], [], options=("CallOnceOptions", {"init_subgraph_index": 1}))
    main.op("CALL_ONCE", [], [], options=("CallOnceOptions", {"init_subgraph_index": 2}))
    main.inputs, main.outputs = [x], [y]
    condition = init.tensor("c", [1, 4], "BOOL")
    where, a, b = init.tensor("where", [4, 2], "INT64"), init.tensor("a", [1, 4]), \
        init.tensor("b", [1, 4])
    init.op("WHERE", [condition], [where])
    init.op("TANH", [a], [b])
    init.inputs, init.outputs = [a, condition], [b, where]
    c, d = later.tensor("c", [1, 4]), later.tensor("d", [1, 4])
    later.op("RELU", [c], [d])
    later.inputs, later.outputs = [c], [d]
    result = gpu(model.build())
    assert verdicts(result) == [
        (0, 0, "RELU", "target", ()),
        (0, 1, "CALL_ONCE", "cpu", ("not-listed",)),
        (0, 2, "CALL_ONCE", "cpu", ("not-listed",)),
        (1, 0, "WHERE", "cpu", ("not-listed",)),
        (1, 1, "TANH", "cpu", ("gpu-static-tensors",)),
        (2, 0, "RELU", "cpu", ("gpu-static-tensors",)),
    ]
    assert result.ops[5].reasons[0].message == (
        "the GPU delegate is not applied from subgraph 1 on: op 0 WHERE in subgraph 1 makes "
        "tensor #1 dynamic-sized (its input 0 ('c') sets the output size but is computed at "
        "run time)")


# -- partitioning -------------------------------------------------------------------------

def test_only_the_largest_partition_runs_on_the_gpu():
    data = chain("RELU", "RELU", "RELU", "LOG_SOFTMAX", "RELU", "RELU")
    result = gpu(data)
    assert [(v.op_index, v.verdict, tuple(r.code for r in v.reasons)) for v in result.ops] == [
        (0, "target", ()), (1, "target", ()), (2, "target", ()),
        (3, "cpu", ("not-listed",)), (4, "cpu", ("partition",)), (5, "cpu", ("partition",))]
    assert (result.partitions, result.ops_on_target) == (1, 3)
    assert result.ops[4].reasons[0].message == (
        "supported, but in a partition of 2 ops outside the 1 largest that the LiteRT GPU "
        "delegate delegates (--max-delegated-partitions)")
    both = gpu(data, **{"max-delegated-partitions": 2})
    assert [v.verdict for v in both.ops] == ["target"] * 3 + ["cpu"] + ["target"] * 2
    assert (both.partitions, both.transitions) == (2, 2)


def test_summary_uses_the_delegates_wording(run_cli, tmp_path):
    path = tmp_path / "m.tflite"
    path.write_bytes(chain("RELU", "RELU", "RELU", "LOG_SOFTMAX", "RELU", "RELU"))
    code, out, _ = run_cli(path, "--no-config", "--target", "gpu", "--format", "json")
    target = json.loads(out)["models"][0]["targets"]["gpu"]
    assert target["summary"] == ("3 operations will run on the GPU, and the remaining 3 "
                                 "operations will run on the CPU.")
    assert (target["ops_on_target"], target["partitions"]) == (3, 1)


def test_findings_carry_the_delegates_log_line():
    findings = lint_bytes(chain("RELU", "LOG_SOFTMAX"), target=["gpu"], select=["TFL301"])
    assert [(f.rule, f.location.op_index, f.message) for f in findings] == [(
        "TFL301", 1, "left on the CPU by the LiteRT GPU delegate: "
        "LOG_SOFTMAX is not supported by the LiteRT GPU delegate (the tool says: "
        "\"LOG_SOFTMAX: Operation is not supported.\")")]
    assert findings[0].fix == "Use SOFTMAX followed by LOG; both run on the GPU."


# -- float16 weights ----------------------------------------------------------------------

def test_float16_weights_are_folded_into_their_consumer():
    model = ModelBuilder()
    main = model.subgraph()
    x, y = main.tensor("x", [1, 8]), main.tensor("y", [1, 4])
    half = const(main, "w16", np.ones((4, 8)), "FLOAT16")
    weights = main.tensor("w", [4, 8])
    main.op("DEQUANTIZE", [half], [weights], version=3)
    main.op("FULLY_CONNECTED", [x, weights, -1], [y], options=("FullyConnectedOptions", {}))
    main.inputs, main.outputs = [x], [y]
    assert verdicts(gpu(model.build())) == [(0, 0, "DEQUANTIZE", "target", ()),
                                            (0, 1, "FULLY_CONNECTED", "target", ())]
    # the folded weight counts as a constant: as input 0 it is refused
    model = ModelBuilder()
    main = model.subgraph()
    w, y = main.tensor("w", [4, 8]), main.tensor("y", [4, 4])
    half = const(main, "a16", np.ones((4, 8)), "FLOAT16")
    activation = main.tensor("a", [1, 8])
    main.op("DEQUANTIZE", [half], [w], version=3)
    main.op("FULLY_CONNECTED", [w, activation, -1], [y], options=("FullyConnectedOptions", {}))
    main.inputs, main.outputs = [activation], [y]
    assert verdicts(gpu(model.build()))[1] == (0, 1, "FULLY_CONNECTED", "cpu",
                                               ("gpu-fully-connected",))


def test_cnn_float16_sample_runs_whole_on_the_gpu():
    result = gpu((MODELS / "cnn_float16.tflite").read_bytes())
    assert [(v.op, v.verdict) for v in result.ops if v.op == "DEQUANTIZE"] == [
        ("DEQUANTIZE", "target")] * 10
    assert (result.ops_on_target, result.ops_total, result.partitions) == (19, 19, 1)


# -- end to end ---------------------------------------------------------------------------

SAMPLES = {  # model: (ops on the GPU, ops, {op index in subgraph 0 or (sg, i): codes})
    "cnn_float16": (19, 19, {}),
    "cnn_float32": (9, 9, {}),
    "cnn_int8": (9, 9, {}),
    "cnn_int8_metadata": (9, 9, {}),
    "cnn_int8_uint8io": (11, 11, {}),
    "dense_dynamic_range": (0, 3, {0: ("version",), 1: ("version",), 2: ("version",)}),
    "dynamic_batch": (3, 3, {}),
    "flex_op": (2, 3, {0: ("not-listed",)}),
    "micro_int8": (3, 3, {}),
    "two_inputs": (5, 5, {}),
    "while_loop": (3, 6, {0: ("not-listed",), (1, 0): ("dtype", "gpu-logical-consumer"),
                          (2, 0): ("dtype",)}),
}


def test_every_sample_model_end_to_end(run_cli):
    code, out, err = run_cli(MODELS, "--no-config", "--target", "gpu", "--format", "json")
    assert code in (0, 1), err
    seen = {}
    for report in json.loads(out)["models"]:
        name = report["path"].rsplit("/", 1)[-1][:-len(".tflite")]
        target = report["targets"]["gpu"]
        off = {(o["op_index"] if o["subgraph"] == 0 else (o["subgraph"], o["op_index"])):
               tuple(r["code"] for r in o["reasons"]) for o in target["ops"]
               if o["verdict"] != "target"}
        seen[name] = (target["ops_on_target"], target["ops_total"], off)
    assert seen == SAMPLES
