"""TFL012 (operand-shapes-kernel-refuses): each check of
rules/data/kernel_operand_shapes.toml on a tiny model with the defect (the exact finding)
and on its nearest valid neighbour (nothing), the shapes it judges only where the runtime
is certain to see them, and the differential: the bad models refused by ai-edge-litert
2.3.0 in a child process, the good ones run.
"""
from __future__ import annotations

import importlib.util
import sys

import numpy as np
import pytest
from conftest import REPO, lint_bytes, rule_locations

from builder import ModelBuilder
from cve_models import _conv, _ints, _one_op
from test_arena import StreamingBuilder
from tfllint.analyses.data import load_data_table
from tfllint.engine.rule import Location
from tfllint.reader.decode import OPERATOR_NAMES
from tfllint.rules._operand_shapes import KINDS

DATA = load_data_table("kernel_operand_shapes")
SETTINGS = {"runtime-version": "2.21", "preview": True, "select": ["TFL012"]}
NEEDS_LITERT = "needs ai-edge-litert: pip install -e .[oracle]"
VALID = {"padding": 1, "stride_w": 1, "stride_h": 1}  # Padding.VALID


def found(data: bytes) -> set:
    return rule_locations(lint_bytes(data, **SETTINGS))


def at(op: str, index: int = 0, tensor: str | None = None, tensor_index: int | None = None):
    return {("TFL012", Location(subgraph=0, op_index=index, op=op, tensor=tensor,
                                tensor_index=tensor_index))}


def fully_connected(weights=(3, 4), bias: int | None = 3) -> bytes:
    inputs = [("x", [1, 4]), ("w", np.ones(weights, np.float32))]
    if bias is not None:
        inputs.append(("b", np.zeros(bias, np.float32)))
    return _one_op("FULLY_CONNECTED", inputs, [1, weights[0]],
                   options=("FullyConnectedOptions", {})).build()


def _bias_input(model: ModelBuilder, count: int) -> ModelBuilder:
    """The conv's bias made a graph input of `count` elements: not static, so XNNPACK
    declines the node and the kernel's Prepare judges it."""
    main = model.subgraphs[0]
    operator = main.operators[0]
    bias = main.tensor("bias", [count])
    operator["inputs"] = [*operator["inputs"][:2], bias]
    main.inputs.append(bias)
    return model


def fully_connected_rows(width: int, dtype: str = "FLOAT32", constant_filter=True) -> bytes:
    """FULLY_CONNECTED of an input [1, width] with a filter [3, 4] and a bias of 3: XNNPACK
    takes it (FLOAT32, or INT8 with INT32 bias) unless the filter is a graph input."""
    model = ModelBuilder()
    main = model.subgraph()
    quant = {"scale": [0.5], "zero_point": [0]} if dtype == "INT8" else {}
    x = main.tensor("x", [1, width], dtype, **quant)
    if constant_filter:
        w = main.constant("w", np.ones((3, 4), np.int8 if dtype == "INT8" else np.float32),
                          dtype, **quant)
    else:
        w = main.tensor("w", [3, 4], dtype, **quant)
    bias_quant = {"scale": [0.25], "zero_point": [0]} if dtype == "INT8" else {}
    b = main.constant("b", np.zeros(3, np.int32 if dtype == "INT8" else np.float32),
                      "INT32" if dtype == "INT8" else "FLOAT32", **bias_quant)
    y = main.tensor("y", [max(width // 4, 1), 3], dtype, **quant)
    main.op("FULLY_CONNECTED", [x, w, b], [y], options=("FullyConnectedOptions", {}))
    main.inputs, main.outputs = [x] + ([] if constant_filter else [w]), [y]
    return model.build()


def conv(bias: int, static: bool = False) -> bytes:
    """CONV_2D [1, 4, 4, 1] x [1, 3, 3, 1] with a bias of `bias` elements, a constant
    (`static`) or a graph input."""
    options = ("Conv2DOptions", {"padding": 0, "stride_w": 1, "stride_h": 1})
    if static:
        return _conv("CONV_2D", options, bias=bias).build()
    return _bias_input(_conv("CONV_2D", options, bias=1), bias).build()


def groups(input_shape, filter_shape, **kwargs) -> bytes:
    """CONV_2D of a graph input and a constant filter (SAME, stride 1)."""
    return _conv("CONV_2D", ("Conv2DOptions", {"padding": 0, "stride_w": 1, "stride_h": 1}),
                 input_shape=input_shape, filter_shape=filter_shape, **kwargs).build()


def depthwise(input_shape=(1, 4, 4, 1), filter_shape=(1, 3, 3, 1), bias=1,
              static: bool = True) -> bytes:
    multiplier = max(filter_shape[-1] // max(input_shape[-1], 1), 1)
    model = _conv("DEPTHWISE_CONV_2D", ("DepthwiseConv2DOptions", {
        "padding": 0, "stride_w": 1, "stride_h": 1, "depth_multiplier": multiplier}),
        input_shape=input_shape, filter_shape=filter_shape, bias=bias,
        output_shape=(1, 4, 4, filter_shape[-1]))
    return model.build() if static else _bias_input(model, bias).build()


def max_pool(input_shape) -> bytes:
    return _one_op("MAX_POOL_2D", [("x", list(input_shape))], [1, 2, 2, 1], options=(
        "Pool2DOptions", {**VALID, "filter_width": 2, "filter_height": 2, "stride_w": 2,
                          "stride_h": 2})).build()


def read_variable(constant_id: bool) -> bytes:
    """VAR_HANDLE, ASSIGN_VARIABLE of the input, READ_VARIABLE of the handle, or (bad) of
    a constant INT32 [2] in the resource id's place."""
    model = StreamingBuilder()  # VarHandleOptions' strings
    main = model.subgraph()
    x, y = main.tensor("x", [1, 2]), main.tensor("y", [1, 2])
    handle = main.tensor("handle", [], "RESOURCE")
    main.op("VAR_HANDLE", [], [handle], options=(
        "VarHandleOptions", {"container": "", "shared_name": "v"}))
    main.op("ASSIGN_VARIABLE", [handle, x], [])
    source = main.constant("id", _ints([0, 0]), "INT32") if constant_id else handle
    main.op("READ_VARIABLE", [source], [y])
    main.inputs, main.outputs = [x], [y]
    return model.build()


def reshape(new_shape, input_shape=(1, 4)) -> bytes:
    inputs = [("x", list(input_shape)), ("shape", _ints(new_shape), "INT32")]
    return _one_op("RESHAPE", inputs, [max(v, 1) for v in new_shape]).build()


def add(first, second) -> bytes:
    return _one_op("ADD", [("a", list(first)), ("b", list(second))],
                   [max(a, b) for a, b in zip(first, second)],
                   options=("AddOptions", {})).build()


def conv_then_add(bias_shape) -> bytes:
    """CONV_2D [1, 4, 4, 1] x [2, 3, 3, 1] VALID -> [1, 2, 2, 2] (a shape the conv computes,
    as the file gives it), then ADD of a constant `bias_shape`."""
    model = ModelBuilder()
    main = model.subgraph()
    x = main.tensor("x", [1, 4, 4, 1])
    w = main.constant("w", np.ones((2, 3, 3, 1), np.float32))
    b = main.constant("b", np.zeros(2, np.float32))
    h = main.tensor("h", [1, 2, 2, 2])
    main.op("CONV_2D", [x, w, b], [h], options=("Conv2DOptions", VALID))
    c = main.constant("c", np.ones(bias_shape, np.float32))
    y = main.tensor("y", [1, 2, 2, 2])
    main.op("ADD", [h, c], [y], options=("AddOptions", {}))
    main.inputs, main.outputs = [x], [y]
    return model.build()


def windowed_then_reshape(op: str, stride_h: int = 1, filter_h: int = 2,
                          input_shape=(1, 4, 4, 1), padding: int = 0) -> bytes:
    """CONV_2D (a 2x2 filter of 1 output channel) or MAX_POOL_2D (filter_h x 2) over an
    input of 4x4, its output [1, 4, 4, 1] in the file as SAME with stride 1 gives it, then
    RESHAPE to [1, 16]: fine unless the op's options make Prepare compute another size."""
    model = ModelBuilder()
    main = model.subgraph()
    x = main.tensor("x", list(input_shape))
    h = main.tensor("h", [1, 4, 4, 1])
    if op == "CONV_2D":
        w = main.constant("w", np.ones((1, 2, 2, 1), np.float32))
        b = main.constant("b", np.zeros(1, np.float32))
        main.op("CONV_2D", [x, w, b], [h], options=("Conv2DOptions", {
            "padding": padding, "stride_w": 1, "stride_h": stride_h}))
    else:
        main.op("MAX_POOL_2D", [x], [h], options=("Pool2DOptions", {
            "padding": padding, "stride_w": 1, "stride_h": stride_h, "filter_width": 2,
            "filter_height": filter_h}))
    shape = main.constant("shape", _ints([1, 16]), "INT32")
    y = main.tensor("y", [1, 16])
    main.op("RESHAPE", [h, shape], [y])
    main.inputs, main.outputs = [x], [y]
    return model.build()


def mean_sub_mul(width: int) -> bytes:
    """x [1, 8] -> MEAN over axis 1 with keep_dims ([1, 1]) -> SUB from a constant of
    `width` ([1, width], the file says [1, 8]) -> MUL by a constant [8]."""
    model = ModelBuilder()
    main = model.subgraph()
    x = main.tensor("x", [1, 8])
    axis = main.constant("axis", _ints([1]), "INT32")
    m = main.tensor("m", [1, 1])
    main.op("MEAN", [x, axis], [m], options=("ReducerOptions", {"keep_dims": True}))
    c = main.constant("c", np.ones(width, np.float32))
    d = main.tensor("d", [1, 8])
    main.op("SUB", [c, m], [d], options=("SubOptions", {}))
    k = main.constant("k", np.ones(8, np.float32))
    y = main.tensor("y", [1, 8])
    main.op("MUL", [d, k], [y], options=("MulOptions", {}))
    main.inputs, main.outputs = [x], [y]
    return model.build()


def add_read_before_written(second, cycle: bool, written=(1, 4)) -> bytes:
    """ADD of x [1, 4] and t, which a later RELU writes: of the ADD's output (a cycle:
    ADD's Prepare sees t's file shape `second`) or of another input x2 of shape `written`
    (ai-edge-litert prepares the RELU first: t is `written` whatever the file says)."""
    model = ModelBuilder()
    main = model.subgraph()
    x, x2 = main.tensor("x", [1, 4]), main.tensor("x2", list(written))
    t, y = main.tensor("t", list(second)), main.tensor("y", [1, 4])
    main.op("ADD", [x, t], [y], options=("AddOptions", {}))
    main.op("RELU", [y if cycle else x2], [t])
    main.inputs, main.outputs = [x] if cycle else [x, x2], [y]
    return model.build()


def resize_concat_add(channels: int) -> bytes:
    """x [1, 2, 2, 1] -> RESIZE_BILINEAR to a constant [4, 4] (the file says [1, 2, 2, 1])
    -> CONCATENATION on axis 3 with z [1, 4, 4, 1] ([1, 4, 4, 2]) -> ADD of a constant
    [1, 4, 4, `channels`]."""
    model = ModelBuilder()
    main = model.subgraph()
    x, z = main.tensor("x", [1, 2, 2, 1]), main.tensor("z", [1, 4, 4, 1])
    size = main.constant("size", _ints([4, 4]), "INT32")
    r = main.tensor("r", [1, 2, 2, 1])
    main.op("RESIZE_BILINEAR", [x, size], [r], options=("ResizeBilinearOptions", {}))
    j = main.tensor("j", [1, 4, 4, 2])
    main.op("CONCATENATION", [r, z], [j], options=("ConcatenationOptions", {"axis": 3}))
    c = main.constant("c", np.ones((1, 4, 4, channels), np.float32))
    y = main.tensor("y", [1, 4, 4, 2])
    main.op("ADD", [j, c], [y], options=("AddOptions", {}))
    main.inputs, main.outputs = [x, z], [y]
    return model.build()


def reshape_of_add(file_shape) -> bytes:
    """ADD of two [1, 4] inputs (Prepare gives [1, 4]) whose output the file gives as
    `file_shape`, then RESHAPE to [2, 2]: the file's shape is not the one the kernel
    sees."""
    model = ModelBuilder()
    main = model.subgraph()
    x = main.tensor("x", [1, 4])
    h = main.tensor("h", list(file_shape))
    main.op("ADD", [x, x], [h], options=("AddOptions", {}))
    shape = main.constant("shape", _ints([2, 2]), "INT32")
    y = main.tensor("y", [2, 2])
    main.op("RESHAPE", [h, shape], [y])
    main.inputs, main.outputs = [x], [y]
    return model.build()


# (name, bad model, its exact findings, the valid neighbour)
CASES = [
    ("fully_connected filter rank", fully_connected(weights=(4,), bias=None),
     at("FULLY_CONNECTED", tensor="w", tensor_index=1), fully_connected(bias=None)),
    ("fully_connected bias size", fully_connected(bias=2),
     at("FULLY_CONNECTED", tensor="b", tensor_index=2), fully_connected(bias=3)),
    ("fully_connected rows (XNNPACK)", fully_connected_rows(6),
     at("FULLY_CONNECTED", tensor="x", tensor_index=0), fully_connected_rows(8)),
    ("int8 fully_connected rows (XNNPACK)", fully_connected_rows(6, "INT8"),
     at("FULLY_CONNECTED", tensor="x", tensor_index=0), fully_connected_rows(8, "INT8")),
    ("conv channels not a multiple", groups((1, 4, 4, 3), (1, 3, 3, 2)),
     at("CONV_2D", tensor="w", tensor_index=1), groups((1, 4, 4, 2), (1, 3, 3, 2))),
    ("conv groups do not divide the output channels",
     groups((1, 4, 4, 4), (3, 3, 3, 2), bias=3, output_shape=(1, 4, 4, 3)),
     at("CONV_2D", tensor="w", tensor_index=1),
     groups((1, 4, 4, 4), (2, 3, 3, 2), bias=2, output_shape=(1, 4, 4, 2))),
    ("conv bias size", conv(bias=2), at("CONV_2D", tensor="bias", tensor_index=4),
     conv(bias=1)),
    ("depthwise input rank", depthwise(input_shape=(1, 4, 4)),
     at("DEPTHWISE_CONV_2D", tensor="x", tensor_index=0), depthwise()),
    ("depthwise filter rank", depthwise(filter_shape=(3, 3, 1)),
     at("DEPTHWISE_CONV_2D", tensor="w", tensor_index=1), depthwise()),
    ("depthwise channel multiple", depthwise((1, 4, 4, 2), (1, 3, 3, 3), bias=3),
     at("DEPTHWISE_CONV_2D", tensor="w", tensor_index=1),
     depthwise((1, 4, 4, 2), (1, 3, 3, 4), bias=4)),
    ("depthwise bias size", depthwise(filter_shape=(1, 3, 3, 2), bias=3, static=False),
     at("DEPTHWISE_CONV_2D", tensor="bias", tensor_index=4),
     depthwise(filter_shape=(1, 3, 3, 2), bias=2, static=False)),
    ("pool input rank", max_pool((1, 4, 4)), at("MAX_POOL_2D", tensor="x", tensor_index=0),
     max_pool((1, 4, 4, 1))),
    ("read_variable resource id", read_variable(True),
     at("READ_VARIABLE", index=2, tensor="id", tensor_index=3), read_variable(False)),
    ("reshape element count", reshape([3]), at("RESHAPE", tensor="x", tensor_index=0),
     reshape([2, 2])),
    ("reshape stretch", reshape([-1, 3], input_shape=(1, 4)),
     at("RESHAPE", tensor="x", tensor_index=0), reshape([-1, 2], input_shape=(1, 4))),
    ("add broadcast", add((1, 4), (1, 3)), at("ADD"), add((1, 4), (1, 1))),
    ("add of a conv output", conv_then_add((3,)), at("ADD", index=1), conv_then_add((2,))),
    # Prepare recomputes the op's output: a stride past the input leaves one row
    ("reshape after a conv of a huge stride", windowed_then_reshape("CONV_2D", 1 << 30),
     at("RESHAPE", index=1, tensor="h", tensor_index=1), windowed_then_reshape("CONV_2D")),
    # a pool filter of -1: XNNPACK declines the node, the kernel gives an empty output
    ("reshape after a pool of filter -1", windowed_then_reshape("MAX_POOL_2D", filter_h=-1),
     at("RESHAPE", index=1, tensor="h", tensor_index=1),
     windowed_then_reshape("MAX_POOL_2D")),
    # MEAN's and SUB's outputs as Prepare computes them ([1, 1], [1, 4]), not as filed
    ("mul after a mean and a sub", mean_sub_mul(4), at("MUL", index=2), mean_sub_mul(8)),
    # RESIZE_BILINEAR's and CONCATENATION's outputs as Prepare computes them
    ("add after a resize and a concatenation", resize_concat_add(3), at("ADD", index=2),
     resize_concat_add(2)),
    # read before written in a cycle: the ADD's Prepare sees the file's [1, 3]
    ("add reading a later op's output in a cycle", add_read_before_written((1, 3), True),
     at("ADD"), add_read_before_written((1, 4), True)),
    # read before written, no cycle: the shape is the same whichever op is prepared first
    ("add reading a later op's output", add_read_before_written((1, 3), False, (1, 3)),
     at("ADD"), add_read_before_written((1, 4), False, (1, 4))),
    # a VALID window taller than the input: the kernel gives 0 rows, XNNPACK 1: both refuse
    ("reshape after a pool taller than its input",
     windowed_then_reshape("MAX_POOL_2D", input_shape=(1, 1, 4, 1), padding=1),
     at("RESHAPE", index=1, tensor="h", tensor_index=1),
     windowed_then_reshape("MAX_POOL_2D", filter_h=1, input_shape=(1, 4, 4, 1))),
]


@pytest.mark.parametrize("name, bad, expected, good", CASES, ids=[c[0] for c in CASES])
def test_check_finds_exactly_the_defect(name, bad, expected, good):
    assert found(bad) == expected
    assert found(good) == set()


def test_message_names_the_kernel():
    [finding] = lint_bytes(fully_connected(bias=2), **SETTINGS)
    assert finding.severity == "error"
    assert finding.message == ("the bias has 2 elements for the "
                               "filter's 3 output units (LiteRT's kernel refuses it: "
                               "fully_connected.cc Prepare)")


def test_rule_is_preview():
    findings = lint_bytes(conv(bias=2), **{"runtime-version": "2.21"})
    assert "TFL012" not in {finding.rule for finding in findings}


def test_a_shape_the_runtime_recomputes_is_not_judged():
    """ADD's output is given as [1, 3] in the file but Prepare makes it [1, 4]: the RESHAPE
    to [2, 2] is not judged by the file's 3 elements (and runs: the differential below)."""
    assert found(reshape_of_add((1, 3))) == set()
    assert found(reshape_of_add((1, 4))) == set()


def test_an_op_refused_upstream_does_not_cascade():
    """A CONV_2D whose input channels (2) are not a multiple of the filter's groups is
    refused there: the RESHAPE after it, which would see an 8x8 output where the file
    says 4x4, is never prepared, so the one finding is the CONV_2D's."""
    bad = windowed_then_reshape("CONV_2D", input_shape=(1, 8, 8, 2))
    assert found(bad) == at("CONV_2D", 0, "w", 2)
    assert found(windowed_then_reshape("CONV_2D", input_shape=(1, 8, 8, 1))) == \
        at("RESHAPE", 1, "h", 1)


@pytest.mark.parametrize("input_shape, filter_shape, kwargs, micro", [
    ((1, 4, 4, 3), (1, 3, 3, 4), {}, True),  # 0 groups
    ((1, 4, 4, 4), (1, 3, 3, 2), {}, True),  # 2 groups for 1 output channel
    ((1, 4, 4, 3), (1, 3, 3, 2), {}, False),  # 1 group: tflite-micro reads past, runs
    ((1, 4, 4, 4), (3, 3, 3, 2), {"bias": 3, "output_shape": (1, 4, 4, 3)}, False)])
def test_conv_groups_name_tflite_micros_division_by_zero(input_shape, filter_shape, kwargs,
                                                         micro, tmp_path):
    """TFLite Micro divides the output channels by the group count and each output channel
    by the quotient, unchecked: a group count of 0, or above the output channels, is a
    SIGFPE in tflite-micro (the differential below), which the message names."""
    data = groups(input_shape, filter_shape, **kwargs)
    [finding] = lint_bytes(data, **SETTINGS)
    assert finding.message.endswith("; TFLite Micro divides by zero (SIGFPE)") == micro
    if importlib.util.find_spec("tflite_micro") is None:
        pytest.skip("needs tflite-micro: pip install -e .[oracle]")
    sys.path.insert(0, str(REPO / "tools"))
    import cve_catalogue

    path = tmp_path / "model.tflite"
    path.write_bytes(data)
    outcome = cve_catalogue.run_runtime("tflm", path)
    assert (outcome == "crashed: SIGFPE") == micro, outcome


def test_a_rank_below_the_kernels_says_tflite_micro_reads_past_it():
    [finding] = lint_bytes(depthwise(filter_shape=(3, 3, 1)), **SETTINGS)
    assert finding.message.endswith(
        "; TFLite Micro does not check it and reads the shape past its rank "
        "(depthwise_conv_common.cc: dims->data[1] to [3])")


def test_every_check_has_a_known_kind_ops_and_source():
    ops = set(OPERATOR_NAMES.values())
    for check in DATA["check"]:
        assert check["kind"] in KINDS, check["id"]
        assert check["litert_source"].split()[0].endswith(".cc"), check["id"]
        for op in check["ops"]:
            assert op in ops, op
    for names in DATA["propagate"].values():
        assert set(names) <= ops


def _litert(data: bytes, tmp_path) -> str:
    sys.path.insert(0, str(REPO / "tools"))
    import cve_catalogue

    path = tmp_path / "model.tflite"
    path.write_bytes(data)
    return cve_catalogue.run_runtime("litert", path)


@pytest.mark.parametrize("name, bad, expected, good", CASES, ids=[c[0] for c in CASES])
def test_litert_refuses_the_bad_and_runs_the_good(name, bad, expected, good, tmp_path):
    """Differential: ai-edge-litert 2.3.0 (its default XNNPACK delegate included) in a
    child process refuses each bad model cleanly and runs its neighbour."""
    pytest.importorskip("ai_edge_litert", reason=NEEDS_LITERT)
    assert _litert(bad, tmp_path).startswith("refused"), name
    assert _litert(good, tmp_path) == "ran", name


# models a kernel's Prepare would refuse but ai-edge-litert runs: TFL012 leaves them alone
RUNS = [("reshape of a recomputed shape", reshape_of_add((1, 3))),
        # a constant rank-1 bias: XNNPACK takes the node and does not compare the bias
        ("conv with a static bias too long", conv(bias=2, static=True)),
        ("depthwise with a static bias too long",
         depthwise(filter_shape=(1, 3, 3, 2), bias=3)),
        # read before written without a cycle: the RELU is prepared first
        ("add reading a later op's output", add_read_before_written((1, 3), False)),
        # a filter XNNPACK does not take as static: the kernel truncates the batch and runs
        ("fully_connected rows with a graph-input filter",
         fully_connected_rows(6, constant_filter=False))]


@pytest.mark.parametrize("name, model", RUNS, ids=[r[0] for r in RUNS])
def test_what_litert_runs_is_not_judged(name, model, tmp_path):
    assert found(model) == set()
    pytest.importorskip("ai_edge_litert", reason=NEEDS_LITERT)
    assert _litert(model, tmp_path) == "ran"
