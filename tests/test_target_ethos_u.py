"""The Arm Ethos-U profiles (rules/targets/ethos-u55.toml, ethos-u65.toml, ethos-u85.toml;
checks in targets/checks/ethos_u.py), and the profile `extends` key they are built with.

MODELS holds one tiny model per kind of constraint; the tests here assert the exact
(op, verdict, reason codes) each accelerator gives it, and test_vela_differential.py runs
the same models through Vela itself.
"""
from __future__ import annotations

from pathlib import Path
from typing import Callable

import numpy as np
import pytest
from builder import ModelBuilder
from conftest import MODELS as MODELS_DIR, target_result, tools, verdicts

from tfllint.errors import ConfigError
from tfllint.targets.checks import all_checks
from tfllint.targets.profile import load_target

SAME, VALID = 0, 1  # Padding
RELU = 1  # ActivationFunctionType
INT32 = 2  # TensorType, for ArgMaxOptions.output_type
S = (1, 4, 4, 8)


class Net:
    """One subgraph built tensor by tensor; feature maps int8 with scale 0.05 unless told."""

    def __init__(self) -> None:
        self.model = ModelBuilder()
        self.main = self.model.subgraph("main")

    def fm(self, name: str, shape=S, dtype: str = "INT8", *, scale=(0.05,), zero_point=(0,),
           **kwargs) -> int:
        if dtype in ("FLOAT32", "BOOL", "INT32", "INT64") or scale is None:
            return self.main.tensor(name, shape, dtype, **kwargs)
        return self.main.tensor(name, shape, dtype, scale=list(scale),
                                zero_point=list(zero_point), **kwargs)

    def const(self, name: str, values, dtype: str = "INT32", **quantization) -> int:
        array = np.asarray(values, dtype=dtype.lower())
        return self.main.constant(name, array, dtype, **quantization)

    def op(self, name: str, inputs, outputs, options=None, **kwargs) -> None:
        self.main.op(name, inputs, outputs, options=options, **kwargs)

    def build(self, inputs, outputs) -> bytes:
        self.main.inputs, self.main.outputs = list(inputs), list(outputs)
        return self.model.build()


def unary(op: str, in_shape=S, out_shape=None, dtype: str = "INT8", out_dtype=None, *,
          params=(), options=None, x_kwargs=None, y_kwargs=None) -> bytes:
    """x -> op(x, *params) -> y; a param is a constant (name, values, dtype)."""
    net = Net()
    x = net.fm("x", in_shape, dtype, **(x_kwargs or {}))
    y = net.fm("y", out_shape or in_shape, out_dtype or dtype, **(y_kwargs or {}))
    constants = [net.const(name, values, kind) for name, values, kind in params]
    net.op(op, [x, *constants], [y], options=options)
    return net.build([x], [y])


def binary(op: str, dtype: str = "INT8", shape=S, options=None, x_kwargs=None) -> bytes:
    net = Net()
    x, z = net.fm("x", shape, dtype, **(x_kwargs or {})), net.fm("z", shape, dtype)
    y = net.fm("y", shape, dtype)
    net.op(op, [x, z], [y], options=options)
    return net.build([x, z], [y])


def conv(op: str = "CONV_2D", *, ifm=(1, 16, 16, 8), ofm=(1, 16, 16, 8), kernel=(3, 3),
         stride=(1, 1), padding=SAME, dilation=(1, 1), dtype="INT8", weights_dtype="INT8",
         weight_value=1, bias_dtype="INT32", bias_value=0, bias_constant=True) -> bytes:
    net = Net()
    x, y = net.fm("x", ifm, dtype), net.fm("y", ofm, dtype)
    channels = ofm[-1]
    shape = (1, kernel[1], kernel[0], channels) if op == "DEPTHWISE_CONV_2D" else \
        (channels, kernel[1], kernel[0], ifm[-1])
    weights = net.const("w", np.full(shape, weight_value), weights_dtype, scale=[0.01],
                        zero_point=[0])
    graph_inputs = [x]
    if bias_constant:
        bias = net.const("b", np.full((channels,), bias_value), bias_dtype)
    else:
        bias = net.fm("b", (channels,), bias_dtype)
        graph_inputs.append(bias)
    table = "DepthwiseConv2DOptions" if op == "DEPTHWISE_CONV_2D" else "Conv2DOptions"
    options = dict(padding=padding, stride_w=stride[0], stride_h=stride[1],
                   dilation_w_factor=dilation[0], dilation_h_factor=dilation[1])
    if op == "DEPTHWISE_CONV_2D":
        options["depth_multiplier"] = 1
    net.op(op, [x, weights, bias], [y], options=(table, options))
    return net.build(graph_inputs, [y])


def pool(op: str, *, ifm=(1, 16, 16, 8), ofm=(1, 16, 16, 8), kernel=(2, 2), stride=(1, 1),
         padding=SAME) -> bytes:
    return unary(op, ifm, ofm, options=("Pool2DOptions", dict(
        padding=padding, stride_w=stride[0], stride_h=stride[1], filter_width=kernel[0],
        filter_height=kernel[1])))


def mean(shape=S, axes=(1, 2), constant_axes=True) -> bytes:
    net = Net()
    x = net.fm("x", shape)
    out = tuple(1 if i in axes else d for i, d in enumerate(shape))
    y = net.fm("y", out)
    graph_inputs = [x]
    if constant_axes:
        axis = net.const("axes", list(axes))
    else:
        axis = net.fm("axes", (len(axes),), "INT32")
        graph_inputs.append(axis)
    net.op("MEAN", [x, axis], [y], options=("ReducerOptions", dict(keep_dims=True)))
    return net.build(graph_inputs, [y])


def resize(op: str, factor: int, *, half_pixel=False, align=False) -> bytes:
    size = 4 * factor
    table = "ResizeBilinearOptions" if op == "RESIZE_BILINEAR" else \
        "ResizeNearestNeighborOptions"
    return unary(op, S, (1, size, size, 8), params=[("size", [size, size], "INT32")],
                 options=(table, dict(align_corners=align, half_pixel_centers=half_pixel)))


def transpose_conv(stride: int, ofm_size: int) -> bytes:
    net = Net()
    x, y = net.fm("x", S), net.fm("y", (1, ofm_size, ofm_size, 8))
    shape = net.const("shape", [1, ofm_size, ofm_size, 8])
    weights = net.const("w", np.ones((8, 3, 3, 8)), "INT8", scale=[0.01], zero_point=[0])
    bias = net.const("b", np.zeros(8), "INT32")
    net.op("TRANSPOSE_CONV", [shape, weights, x, bias], [y], options=(
        "TransposeConvOptions", dict(padding=SAME, stride_w=stride, stride_h=stride)))
    return net.build([x], [y])


def strided_slice(strides, out_shape) -> bytes:
    return unary("STRIDED_SLICE", S, out_shape, params=[
        ("begin", [0, 0, 0, 0], "INT32"), ("end", list(S), "INT32"),
        ("strides", list(strides), "INT32")], options=("StridedSliceOptions", {}))


def islands() -> bytes:
    """RELU, SIN, RELU: the NPU runs both RELUs, the CPU the SIN between them."""
    net = Net()
    x, a, b, y = (net.fm(name) for name in ("x", "a", "b", "y"))
    net.op("RELU", [x], [a])
    net.op("SIN", [a], [b])
    net.op("RELU", [b], [y])
    return net.build([x], [y])


def branches() -> bytes:
    """x feeds an NPU branch (RELU, RELU) and a CPU branch (DEQUANTIZE, QUANTIZE) that an ADD
    joins. LiteRT-style grouping gives two NPU partitions; Vela runs the CPU branch first
    and makes one ethos-u op of the three NPU ops."""
    net = Net()
    x, a, c, b, y = (net.fm(name) for name in ("x", "a", "c", "b", "y"))
    f = net.fm("f", S, "FLOAT32")
    net.op("RELU", [x], [a])
    net.op("DEQUANTIZE", [x], [f])
    net.op("QUANTIZE", [f], [b])
    net.op("RELU", [a], [c])
    net.op("ADD", [b, c], [y])
    return net.build([x], [y])


def scalar_add() -> bytes:
    net = Net()
    x, z, y = net.fm("x", ()), net.fm("z", ()), net.fm("y", ())
    net.op("ADD", [x, z], [y])
    return net.build([x, z], [y])


def maximum_mixed_quantization() -> bytes:
    net = Net()
    x, z = net.fm("x"), net.fm("z", scale=(0.1,))
    y = net.fm("y")
    net.op("MAXIMUM", [x, z], [y])
    return net.build([x, z], [y])


def arg_max(shape, axis: int) -> bytes:
    out = tuple(d for i, d in enumerate(shape) if i != axis)
    return unary("ARG_MAX", shape, out, out_dtype="INT32", params=[("axis", [axis], "INT32")],
                 options=("ArgMaxOptions", dict(output_type=INT32)))


def pad_variable() -> bytes:
    net = Net()
    x, y = net.fm("x"), net.fm("y", (1, 6, 6, 8))
    paddings = net.fm("paddings", (4, 2), "INT32")
    net.op("PAD", [x, paddings], [y])
    return net.build([x, paddings], [y])


def gather(axis: int = 0) -> bytes:
    net = Net()
    x = net.fm("x", (4, 8))
    y = net.fm("y", (2, 8) if axis == 0 else (4, 2))
    indices = net.const("indices", [0, 2])
    net.op("GATHER", [x, indices], [y], options=("GatherOptions", dict(axis=axis)))
    return net.build([x], [y])


def batch_matmul(dtype: str) -> bytes:
    net = Net()
    x, z, y = net.fm("x", (1, 4, 8), dtype), net.fm("z", (1, 8, 4), dtype), \
        net.fm("y", (1, 4, 4), dtype)
    net.op("BATCH_MATMUL", [x, z], [y], options=("BatchMatMulOptions", {}))
    return net.build([x, z], [y])


def fully_connected_dynamic(dtype: str) -> bytes:
    net = Net()
    x, w, y = net.fm("x", (1, 8), dtype), net.fm("w", (4, 8)), net.fm("y", (1, 4), dtype)
    net.op("FULLY_CONNECTED", [x, w, -1], [y], options=("FullyConnectedOptions", {}))
    return net.build([x, w], [y])


def logical_and() -> bytes:
    net = Net()
    x, z, y = net.fm("x", S, "BOOL"), net.fm("z", S, "BOOL"), net.fm("y", S, "BOOL")
    net.op("LOGICAL_AND", [x, z], [y])
    return net.build([x, z], [y])


def transpose(dtype: str, perm, shape=S) -> bytes:
    out = tuple(shape[axis] for axis in perm)
    return unary("TRANSPOSE", shape, out, dtype, params=[("perm", list(perm), "INT32")])


def split(num_splits: int, outputs: int) -> bytes:
    net = Net()
    x = net.fm("x")
    axis = net.const("axis", 3)
    ys = [net.fm(f"y{i}", (1, 4, 4, 8 // outputs)) for i in range(outputs)]
    net.op("SPLIT", [axis, x], ys, options=("SplitOptions", dict(num_splits=num_splits)))
    return net.build([x], ys)


def scatter_nd(indices) -> bytes:
    net = Net()
    index = net.const("indices", np.asarray(indices).reshape(-1, 1))
    updates, y = net.fm("updates", (len(indices), 8)), net.fm("y", (4, 8))
    shape = net.const("shape", [4, 8])
    net.op("SCATTER_ND", [index, updates, shape], [y])
    return net.build([updates], [y])


def compiled_for_ethos_u() -> bytes:
    """What Vela writes: a CUSTOM "ethos-u" op (here followed by a CPU RELU)."""
    net = Net()
    x, a, y = net.fm("x"), net.fm("a"), net.fm("y")
    stream = net.const("command_stream", np.zeros(16), "UINT8")
    net.op("CUSTOM", [stream, x], [a], custom_code="ethos-u")
    net.op("RELU", [a], [y])
    return net.build([x], [y])


# name -> model. Every one of them but the last group also goes through Vela in
# test_vela_differential.py.
MODELS: dict[str, Callable[[], bytes]] = {
    "relu": lambda: unary("RELU"),
    "islands": islands,
    "branches": branches,
    "float_add": lambda: binary("ADD", "FLOAT32"),
    "no_quantization": lambda: unary("RELU", x_kwargs=dict(scale=None),
                                     y_kwargs=dict(scale=None)),
    "per_axis_add": lambda: binary("ADD", x_kwargs=dict(
        scale=[0.05] * 8, zero_point=[0] * 8, quantized_dimension=3)),
    "huge_scale": lambda: unary("RELU", y_kwargs=dict(scale=(1e10,))),
    "int32_relu": lambda: unary("RELU", dtype="INT32"),
    "int32_add": lambda: binary("ADD", "INT32"),
    "int32_add_relu": lambda: binary("ADD", "INT32", options=(
        "AddOptions", dict(fused_activation_function=RELU))),
    "int64_neg": lambda: unary("NEG", dtype="INT64"),
    "uint8_negative_zero_point": lambda: unary("RELU", dtype="UINT8",
                                               x_kwargs=dict(zero_point=(-1,))),
    "int16_zero_point": lambda: unary("RELU", dtype="INT16", x_kwargs=dict(zero_point=(5,))),
    "dynamic_height": lambda: unary("RELU", x_kwargs=dict(shape_signature=[1, -1, 4, 8]),
                                    y_kwargs=dict(shape_signature=[1, -1, 4, 8])),
    "dynamic_batch_int8": lambda: unary("RELU", x_kwargs=dict(shape_signature=[-1, 4, 4, 8]),
                                   y_kwargs=dict(shape_signature=[-1, 4, 4, 8])),
    "scalar_add": scalar_add,
    "conv": lambda: conv(),
    "conv_stride4_same": lambda: conv(ofm=(1, 4, 4, 8), kernel=(5, 5), stride=(4, 4)),
    # SAME padding that pads nothing: 3x3 at stride 4 over 16 ends exactly at the edge
    "conv_stride4_same_3x3": lambda: conv(ofm=(1, 4, 4, 8), stride=(4, 4)),
    "conv_stride4_valid": lambda: conv(ofm=(1, 4, 4, 8), stride=(4, 4), padding=VALID),
    "conv_stride4_same_unpadded": lambda: conv(ofm=(1, 4, 4, 8), kernel=(1, 1), stride=(4, 4)),
    "conv_stride4_dilated": lambda: conv(ifm=(1, 20, 20, 8), ofm=(1, 4, 4, 8), stride=(4, 4),
                                         padding=VALID, dilation=(2, 2)),
    "conv_int16_weights": lambda: conv(weights_dtype="INT16"),
    # 3 * 3 * 7225 weights of -128: each output channel sums to 8,323,200
    "conv_weight_sum": lambda: conv(ifm=(1, 3, 3, 7225), ofm=(1, 1, 1, 1), padding=VALID,
                                    weight_value=-128),
    "conv_weight_sum_int16": lambda: conv(ifm=(1, 3, 3, 7225), ofm=(1, 1, 1, 1),
                                          padding=VALID, weight_value=-128, dtype="INT16",
                                          bias_dtype="INT64"),
    "conv_float_bias": lambda: conv(bias_dtype="FLOAT32"),
    "conv_variable_bias": lambda: conv(bias_constant=False),
    "conv_large_int64_bias": lambda: conv(dtype="INT16", bias_dtype="INT64",
                                          bias_value=1 << 41),
    "depthwise_stride4": lambda: conv("DEPTHWISE_CONV_2D", ofm=(1, 4, 4, 8), stride=(4, 4),
                                      padding=VALID),
    "avg_pool_9x9_same": lambda: pool("AVERAGE_POOL_2D", kernel=(9, 9)),
    "avg_pool_9x9_valid": lambda: pool("AVERAGE_POOL_2D", ofm=(1, 8, 8, 8), kernel=(9, 9),
                                       padding=VALID),
    "avg_pool_5x5_stride4_same": lambda: pool("AVERAGE_POOL_2D", ofm=(1, 4, 4, 8),
                                              kernel=(5, 5), stride=(4, 4)),
    "max_pool_300_high": lambda: pool("MAX_POOL_2D", ifm=(1, 300, 4, 8), ofm=(1, 1, 4, 8),
                                      kernel=(1, 300), padding=VALID),
    "mean_hw": lambda: mean(),
    "mean_depth": lambda: mean(axes=(3,)),
    "mean_batch_2": lambda: mean(shape=(2, 4, 4, 8)),
    "mean_long_axis": lambda: mean(shape=(1, 1, 5000, 8), axes=(2,)),
    "softmax_large": lambda: unary("SOFTMAX", (1, 300, 300, 2), options=(
        "SoftmaxOptions", dict(beta=1.0))),
    "resize_bilinear_x2": lambda: resize("RESIZE_BILINEAR", 2),
    "resize_bilinear_x3": lambda: resize("RESIZE_BILINEAR", 3),
    "resize_bilinear_x4_half_pixel": lambda: resize("RESIZE_BILINEAR", 4, half_pixel=True),
    "resize_nearest_x3": lambda: resize("RESIZE_NEAREST_NEIGHBOR", 3),
    "resize_bilinear_align_and_half_pixel": lambda: resize("RESIZE_BILINEAR", 2, align=True,
                                                           half_pixel=True),
    "transpose_conv_stride3": lambda: transpose_conv(3, 12),
    "transpose_conv_wrong_shape": lambda: transpose_conv(2, 9),
    "strided_slice_depth_stride": lambda: strided_slice((1, 1, 1, 2), (1, 4, 4, 4)),
    "strided_slice_hw_stride": lambda: strided_slice((1, 2, 2, 1), (1, 2, 2, 8)),
    "split_count_mismatch": lambda: split(4, 2),
    "split": lambda: split(2, 2),
    "quantize_float_input": lambda: unary("QUANTIZE", dtype="FLOAT32", out_dtype="INT8"),
    "log_int8_to_int16": lambda: unary("LOG", out_dtype="INT16"),
    "rsqrt_uint8": lambda: unary("RSQRT", dtype="UINT8"),
    "elu_int16": lambda: unary("ELU", dtype="INT16"),
    "maximum_mixed_quantization": maximum_mixed_quantization,
    "reverse": lambda: unary("REVERSE_V2", params=[("axis", [1], "INT32")]),
    "arg_max_deep": lambda: arg_max((1, 1, 1, 200), 3),
    "arg_max_height": lambda: arg_max(S, 1),
    "gather": gather,
    "gather_axis_1": lambda: gather(axis=1),
    "scatter_nd_repeated_index": lambda: scatter_nd([0, 2, 2]),
    "batch_matmul_int16": lambda: batch_matmul("INT16"),
    "fully_connected_dynamic_int16": lambda: fully_connected_dynamic("INT16"),
    "logical_and": logical_and,
    "transpose_int32_nchw": lambda: transpose("INT32", (0, 3, 1, 2)),
    "transpose_int8_nchw": lambda: transpose("INT8", (0, 3, 1, 2)),
    "transpose_int8_large": lambda: transpose("INT8", (1, 0, 2, 3), (2, 300, 300, 2)),
    # Vela refuses these models as a whole.
    "zero_scale": lambda: unary("RELU", y_kwargs=dict(scale=(0.0,))),
    "pad_variable_paddings": pad_variable,
    "mean_variable_axes": lambda: mean(constant_axes=False),
    # Already compiled: not for Vela.
    "compiled_for_ethos_u": compiled_for_ethos_u,
}
NOT_FOR_VELA = {"compiled_for_ethos_u"}


def analyse(data: bytes, target: str = "ethos-u55"):
    return target_result(data, target)


def messages(result, op_index: int = 0) -> list[str]:
    return [r.message for r in result.ops[op_index].reasons]


# -- the profiles ---------------------------------------------------------------------------

@pytest.mark.parametrize("name, ops, memory", [
    ("ethos-u55", 55, {}), ("ethos-u65", 55, {"arena_cache_bytes": 393216}),
    ("ethos-u85", 74, {"arena_cache_bytes": 393216})])
def test_profiles_load_with_their_figures(name, ops, memory):
    profile = load_target(name)
    assert profile.name == name and "Vela 5.2.0" in profile.describes
    assert (profile.partitioning, profile.fallback, profile.compiled_op) == (
        "islands", "cpu", "ethos-u")
    assert len([n for n, op in profile.ops.items() if n != "*" and op.supported]) == ops
    assert dict(profile.memory) == memory
    assert profile.requirements.checks == ("ethos-u-finite-scales", "ethos-u-constant-layout")


def test_ethos_u_is_an_alias_of_the_u55_only():
    assert load_target("ethos-u").name == "ethos-u55"
    assert load_target("ethos-u65").aliases == () == load_target("ethos-u85").aliases


def test_u85_states_only_its_differences():
    u55, u85 = load_target("ethos-u55"), load_target("ethos-u85")
    assert "ethos-u85-zero-points" in u85.ops["*"].checks
    assert "ethos-u55-no-32-bit" not in u85.ops["*"].checks
    assert u85.ops["ELU"] == u55.ops["ELU"]  # inherited as is
    assert u85.ops["CONV_2D"].checks == ("ethos-u-weights-8-bit", "ethos-u85-weight-sum",
                                         "ethos-u-bias", "ethos-u85-bias-range")
    assert u85.ops["REVERSE_V2"].checks == ()  # the U55 axis check, and so its fix, is gone
    assert u85.ops["DIV"].supported and not u55.ops["DIV"].supported
    assert u85.dtypes == ("INT8", "UINT8", "INT16", "INT32", "INT64", "BOOL")


def test_every_ethos_u_check_is_used_and_documented():
    from tfllint.targets.checks import ethos_u

    used = {check for name in ("ethos-u55", "ethos-u85") for profile in [load_target(name)]
            for check in (*profile.requirements.checks,
                          *(c for op in profile.ops.values() for c in op.checks))}
    ours = {name for name, check in all_checks().items()
            if check.function.__module__ == ethos_u.__name__}
    assert ours == used
    for name in ours:
        doc = all_checks()[name].doc
        assert doc and "{" not in doc.replace('{"', ""), name
    assert "exceed 8323072 (8-bit IFM) or 2130706432 (16-bit IFM)" in \
        all_checks()["ethos-u85-weight-sum"].doc.replace("\n    ", " ")


# -- `extends`: a profile that states only what differs from another -------------------------

def write(tmp_path, name: str, text: str) -> str:
    path = tmp_path / name
    path.write_text(text)
    return str(path)


def test_a_user_profile_extends_a_built_in_one(tmp_path):
    path = write(tmp_path, "board.toml", """
[target]
extends = "ethos-u55"
name = "my-board"
[memory]
sram_bytes = 262144
[ops.SOFTMAX]
fix.ethos-u-softmax-size = "keep softmax on the CPU"
""")
    profile = load_target(path)
    base = load_target("ethos-u55")
    assert (profile.name, profile.aliases, profile.title) == ("my-board", (), base.title)
    assert dict(profile.memory) == {"sram_bytes": 262144}
    assert profile.ops["SOFTMAX"].checks == base.ops["SOFTMAX"].checks  # merged, not replaced
    assert profile.ops["SOFTMAX"].fixes == {"ethos-u-softmax-size": "keep softmax on the CPU"}
    assert analyse(MODELS["islands"](), path).partitions == 2


def test_extends_takes_a_path_relative_to_the_extending_file(tmp_path):
    write(tmp_path, "base.toml", '[target]\nname = "base"\naliases = ["b"]\ndtypes = ["INT8"]\n'
                                 '[ops.ADD]\n[ops.RELU]\n')
    (tmp_path / "sub").mkdir()
    path = write(tmp_path / "sub", "child.toml",
                 '[target]\nextends = "../base.toml"\nname = "child"\ndtypes = ["INT16"]\n'
                 '[ops.RELU]\nfix.dtype = "x"\n')
    profile = load_target(path)
    assert profile.dtypes == ("INT16",) and profile.aliases == ()
    assert set(profile.ops) == {"ADD", "RELU"} and profile.ops["RELU"].fixes == {"dtype": "x"}


@pytest.mark.parametrize("child, message", [
    ('[target]\nextends = "tpu9000"\nname = "x"\n',
     "[target].extends: unknown target 'tpu9000'"),
    ('[target]\nextends = "missing.toml"\nname = "x"\n', "[target].extends"),
    ('[target]\nextends = 3\nname = "x"\n', "[target].extends must be a target name"),
    ('[target]\nextends = "ethos-u55"\n', "[target]: name is required"),
    ('[target]\nextends = "ethos-u55"\nname = "x"\n[ops.ADD]\nchecks = ["nope"]\n',
     "unknown check 'nope'"),
])
def test_extends_mistakes_are_one_clear_error(tmp_path, child, message):
    path = write(tmp_path, "child.toml", child)
    with pytest.raises(ConfigError) as raised:
        load_target(path)
    assert message in str(raised.value) and path in str(raised.value)


def test_profiles_that_extend_each_other_are_an_error(tmp_path):
    write(tmp_path, "a.toml", '[target]\nextends = "b.toml"\nname = "a"\n')
    path = write(tmp_path, "b.toml", '[target]\nextends = "a.toml"\nname = "b"\n')
    with pytest.raises(ConfigError) as raised:
        load_target(path)
    assert "the profiles extend each other" in str(raised.value)
    assert "b.toml -> " in str(raised.value) and "a.toml" in str(raised.value)


# -- every kind of constraint: (op index, verdict, reason codes) per accelerator --------------

NPU = [(0, "target", ())]


def cpu(*codes: str) -> list:
    return [(0, "cpu", codes)]


# model: (Ethos-U55/U65, Ethos-U85); every one of these agrees with Vela 5.2.0
# (test_vela_differential.py), and so do the reasons: Vela names one of them.
EXPECTED = {
    "relu": (NPU, NPU),
    "islands": ([(0, "target", ()), (1, "cpu", ("not-listed",)), (2, "target", ())],) * 2,
    "float_add": (cpu("dtype"),) * 2,
    "no_quantization": (cpu("ethos-u-quantized"),) * 2,
    "per_axis_add": (cpu("ethos-u-per-axis"),) * 2,
    "huge_scale": (cpu("ethos-u-quantization-scale"),) * 2,
    "int32_relu": (cpu("ethos-u55-no-32-bit"), NPU),
    "int32_add": (NPU, NPU),
    "int32_add_relu": (cpu("ethos-u55-no-32-bit"), NPU),
    "int64_neg": (cpu("ethos-u55-no-64-bit"), NPU),
    "uint8_negative_zero_point": (cpu("ethos-u55-zero-points"), cpu("ethos-u85-zero-points")),
    "int16_zero_point": (NPU, cpu("ethos-u85-zero-points")),
    "dynamic_height": (cpu("ethos-u-dynamic-dims"),) * 2,
    "dynamic_batch_int8": (NPU, NPU),
    "scalar_add": (cpu("ethos-u-shapeless"),) * 2,
    "conv": (NPU, NPU),
    "conv_stride4_same": (cpu("ethos-u55-stride-needs-valid"), NPU),
    "conv_stride4_same_3x3": (NPU, NPU),
    "conv_stride4_valid": (NPU, NPU),
    "conv_stride4_same_unpadded": (NPU, NPU),
    "conv_stride4_dilated": (cpu("ethos-u55-stride-needs-valid"), NPU),
    "conv_int16_weights": (cpu("ethos-u-weights-8-bit"),) * 2,
    "conv_weight_sum": (cpu("ethos-u55-weight-sum"), cpu("ethos-u85-weight-sum")),
    "conv_weight_sum_int16": (cpu("ethos-u55-weight-sum"), NPU),
    "conv_float_bias": (cpu("ethos-u-bias"),) * 2,
    "conv_variable_bias": (cpu("ethos-u-bias"),) * 2,
    "conv_large_int64_bias": (cpu("ethos-u55-bias-range"), NPU),
    "depthwise_stride4": (cpu("ethos-u55-stride-max-3"), NPU),
    "avg_pool_9x9_same": (cpu("ethos-u-avg-pool-kernel"),) * 2,
    "avg_pool_9x9_valid": (NPU, NPU),
    "avg_pool_5x5_stride4_same": (cpu("ethos-u55-stride-needs-valid"), NPU),
    "max_pool_300_high": (cpu("ethos-u-max-pool-kernel"),) * 2,
    "mean_hw": (NPU, NPU),
    "mean_depth": (cpu("ethos-u-mean"),) * 2,
    "mean_batch_2": (cpu("ethos-u-mean"),) * 2,
    "mean_long_axis": (cpu("ethos-u-mean"),) * 2,
    "softmax_large": (cpu("ethos-u-softmax-size"),) * 2,
    "resize_bilinear_x2": (NPU, NPU),
    "resize_bilinear_x3": (cpu("ethos-u55-resize"), cpu("ethos-u85-resize")),
    "resize_bilinear_x4_half_pixel": (cpu("ethos-u55-resize"), NPU),
    "resize_nearest_x3": (cpu("ethos-u55-resize"), NPU),
    "resize_bilinear_align_and_half_pixel": (
        cpu("ethos-u55-resize"), cpu("ethos-u85-resize", "ethos-u85-resize")),
    "transpose_conv_stride3": (cpu("ethos-u55-transpose-conv-stride"), NPU),
    "transpose_conv_wrong_shape": (cpu("ethos-u-transpose-conv-shape"),) * 2,
    "strided_slice_depth_stride": (cpu("ethos-u-strided-slice"),) * 2,
    "strided_slice_hw_stride": (NPU, NPU),
    "split_count_mismatch": (cpu("ethos-u-split-count"),) * 2,
    "split": (NPU, NPU),
    "quantize_float_input": (cpu("dtype"),) * 2,
    "log_int8_to_int16": (cpu("ethos-u-unary-types"),) * 2,
    "rsqrt_uint8": (cpu("ethos-u-rsqrt-input"),) * 2,
    "elu_int16": (cpu("ethos-u-unary-types"),) * 2,
    "maximum_mixed_quantization": (cpu("ethos-u-matching-quantization"),) * 2,
    "reverse": (cpu("ethos-u55-reverse-axis"), NPU),
    "arg_max_deep": (cpu("ethos-u55-arg-max"), NPU),
    "arg_max_height": (cpu("ethos-u55-arg-max"), NPU),
    "gather": (cpu("not-listed"), NPU),
    "gather_axis_1": (cpu("not-listed"), cpu("ethos-u85-gather-axis")),
    "scatter_nd_repeated_index": (cpu("not-listed"), cpu("ethos-u85-scatter-nd")),
    "batch_matmul_int16": (cpu("ethos-u55-matmul"), NPU),
    "fully_connected_dynamic_int16": (cpu("ethos-u55-matmul"), NPU),
    "logical_and": (cpu("not-listed"), NPU),
    "transpose_int32_nchw": (cpu("ethos-u55-transpose-shape"), NPU),
    "transpose_int8_nchw": (NPU, NPU),
    "transpose_int8_large": (cpu("ethos-u55-transpose-shape"), NPU),
    "zero_scale": (NPU, NPU),  # the model as a whole fails: test_vela_refuses_...
    "pad_variable_paddings": (cpu("ethos-u-constant-params"),) * 2,
    "mean_variable_axes": (cpu("ethos-u-constant-params"),) * 2,
    "branches": ([(0, "target", ()), (1, "cpu", ("not-listed",)), (2, "cpu", ("dtype",)),
                  (3, "target", ()), (4, "target", ())],) * 2,
    "compiled_for_ethos_u": ([(0, "compiled", ()), (1, "target", ())],) * 2,
}


def test_every_model_has_expected_verdicts():
    assert set(EXPECTED) == set(MODELS)


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_verdicts_and_reasons(name):
    data = MODELS[name]()
    u55, u85 = EXPECTED[name]
    results = {target: analyse(data, target) for target in ("ethos-u55", "ethos-u65", "ethos-u85")}
    assert [(i, v, c) for i, _, v, c in verdicts(results["ethos-u55"])] == u55
    assert [(i, v, c) for i, _, v, c in verdicts(results["ethos-u65"])] == u55  # same checker
    assert [(i, v, c) for i, _, v, c in verdicts(results["ethos-u85"])] == u85


# -- what the reasons say ---------------------------------------------------------------------

def test_an_op_outside_the_set_gets_velas_unsupported_optype():
    result = analyse(MODELS["islands"]())
    assert messages(result, 1) == ["SIN is not supported by the Arm Ethos-U55 NPU"]
    assert tools(result, 1) == ["Unsupported opType"]


def test_float_tensors_get_the_feature_map_type_constraint():
    assert tools(analyse(MODELS["float_add"]())) == [
        'Feature-map dataTypes must be one of {"INT16", "INT32", "INT64", "INT8", "UINT8"}']
    assert tools(analyse(MODELS["float_add"](), "ethos-u85")) == [
        'Feature-map dataTypes must be one of {"BOOL", "INT16", "INT32", "INT64", "INT8", '
        '"UINT8"}']


@pytest.mark.parametrize("name, target, message, tool", [
    ("no_quantization", "ethos-u55", "no quantization parameters: IFM 'x' (INT8), OFM 'y' (INT8)",
     "Input(s), Output and Weight tensors must have quantization parameters."),
    ("per_axis_add", "ethos-u55", "quantized per axis: IFM 'x' (8 scales)",
     "Per-axis quantization is not supported."),
    ("huge_scale", "ethos-u55",
     "quantization scale too large to apply with a right shift: OFM 'y' (1e+10)",
     "Quantization scale of any tensor must be positive."),
    ("int32_add_relu", "ethos-u55",
     "the fused RELU becomes an op of its own on the INT32 output 'y'",
     "32-bit feature-maps are not supported."),
    ("uint8_negative_zero_point", "ethos-u55", "IFM 'x' (UINT8) has zero point -1",
     "Zero-points must be 0 for Int32 and non-negative for unsigned dataTypes"),
    ("int16_zero_point", "ethos-u85", "IFM 'x' (INT16) has zero point 5",
     "IFM Zero-points must be in the range: Other: zp must be 0."),
    ("dynamic_height", "ethos-u55",
     "dynamic dimension after the first in IFM 'x' [1, -1, 4, 8], OFM 'y' [1, -1, 4, 8]",
     "Only the first dimension of tensors can be dynamic."),
    ("scalar_add", "ethos-u55", "no shape (a non-constant scalar): IFM 'x', IFM 'z', OFM 'y'",
     "Tensors must have constant shape."),
    ("conv_stride4_same", "ethos-u55",
     "stride 4x4 with SAME padding that pads; a stride above 3 needs VALID padding (or no "
     "padding) and dilation 1", "Stride>3 is only supported IF (dilation = 1 AND padding = VALID)"),
    ("depthwise_stride4", "ethos-u55", "stride 4x4; at most 3",
     "Kernel stride must be in the range (1,3)."),
    ("conv_weight_sum", "ethos-u55",
     "output channel 0 of weights 'w' sums to 8,323,200 in absolute value; at most 8,323,072 "
     "with a 8-bit IFM", "Weigth sum constraints: IF 8-bit IFM: The sum of absolute weights "
     "cannot exceed 8323072"),
    ("conv_weight_sum_int16", "ethos-u55",
     "output channel 0 of weights 'w' sums to 8,323,200 in absolute value; at most 8,323,072 "
     "with a 16-bit IFM", "Weigth sum constraints: IF 16-bit IFM: The sum of absolute weights "
     "cannot exceed 8323072"),
    ("conv_large_int64_bias", "ethos-u55",
     "int64 bias 'b' holds 2,199,023,255,552, above 1,099,511,627,775",
     "Int64 bias must be smaller than 1099511627775"),
    ("conv_variable_bias", "ethos-u55", "bias 'b' is not constant",
     "Bias tensors must be constant"),
    ("avg_pool_9x9_same", "ethos-u55",
     "kernel 9x9 with SAME padding; at most 8x8 when the pool pads (VALID allows up to 256 high)",
     "Kernel constraints: ELSE: Kernel width and height must be less than or equal to 8"),
    ("max_pool_300_high", "ethos-u85", "kernel 1x300; at most 256 high and 65,536 elements",
     "kernel product must be less than or equal to 256*256 and kernel height must be less "
     "than or equal to 256."),
    ("mean_depth", "ethos-u55",
     "reduces over depth of IFM [1, 4, 4, 8], where none of height, width, depth is 1",
     "Reduction over depth is only supported if any of h,w,c == 1"),
    ("mean_batch_2", "ethos-u55", "batch 2", "Batch must be 1."),
    ("mean_long_axis", "ethos-u55", "a reduced axis has 5,000 elements; at most 4,096",
     "Reduced axis must be less than 4096"),
    ("softmax_large", "ethos-u55", "IFM 'x' is 300 wide and 300 high (90,000); at most 65,536",
     "The product of IFM width and height must be less than 65536"),
    ("resize_bilinear_x3", "ethos-u55", "scale factor 3; 2, 4 or 8",
     "IF not (IFM H == IFM W == 1) AND not IFM Shape == OFM Shape: Else: Scale-factor needs "
     "to be one of: 2x/4x/8x"),
    ("resize_bilinear_x3", "ethos-u85", "width scale 12/4 is not a power of two",
     "Scale-factor must be an integer power of two."),
    ("resize_bilinear_x4_half_pixel", "ethos-u55", "scale factor 4; only 2",
     "IF not (IFM H == IFM W == 1) AND not IFM Shape == OFM Shape: IF half pixel centers: "
     "Scale-factor needs to be 2x"),
    ("transpose_conv_stride3", "ethos-u55", "stride 3x3 (WxH)",
     "Stride values WxH must be: 1x1 OR 2x2 OR 2x1 (if IFM height and kernel height is 1) OR "
     "1x2 (if IFM width and kernel width is 1)"),
    ("transpose_conv_wrong_shape", "ethos-u85",
     "OFM 9x9 (WxH) from IFM 4x4 with stride 2x2; expected 8x8",
     "Shape constraints: IF PADDING=SAME: OFM must be equal to IFM * stride"),
    ("strided_slice_depth_stride", "ethos-u55",
     "strides [1, 1, 1, 2] step along an axis other than height and width",
     "Slice must represent a volume. Stride must be non-negative (and over W or H)."),
    ("split_count_mismatch", "ethos-u55", "num_splits is 4 but the op has 2 outputs",
     "num_splits must match the number of outputs."),
    ("elu_int16", "ethos-u55",
     "IFM 'x' is INT16 and OFM 'y' is INT16; ELU takes INT8 in and out",
     "IFM and OFM datatypes must match, and must be Int8"),
    ("maximum_mixed_quantization", "ethos-u55", "the inputs' quantization differs from OFM 'y'",
     "Both Input quantization parameters must match OFM quantization parameters"),
    ("reverse", "ethos-u55", "reverses along an axis", "Axis attribute is not supported."),
    ("arg_max_deep", "ethos-u55", "IFM depth 200; at most 127",
     "IFM depth must be less than or equal to 127."),
    ("arg_max_height", "ethos-u55", "axis 1 of a rank-4 IFM; only the last axis",
     "Operation must be performed along the depth axis."),
    ("gather_axis_1", "ethos-u85", "axis 1 differs from batch_dims 0",
     "axis must be equal to batch_dims"),
    ("scatter_nd_repeated_index", "ethos-u85", "an index appears twice",
     "Index tensor elements must be unique"),
    ("batch_matmul_int16", "ethos-u55", "IFM 'x' is INT16",
     "IF Matmul or (FC with dynamic weights): IFM precision must be Int8"),
    ("transpose_int32_nchw", "ethos-u55", "int32 IFM with permutation [0, 3, 1, 2]",
     "IF IFM is Int32: Any other permutation vector is unsupported"),
    ("pad_variable_paddings", "ethos-u55", "parameter 'paddings' is not constant",
     "Parameter tensors must be constant"),
])
def test_reason_message_and_velas_words(name, target, message, tool):
    reasons = analyse(MODELS[name](), target).ops[0].reasons
    assert (reasons[0].message, reasons[0].tool) == (message, tool)


def test_u85_resize_reports_both_broken_rules():
    result = analyse(MODELS["resize_bilinear_align_and_half_pixel"](), "ethos-u85")
    assert tools(result) == ["align_corners and half_pixel_centers are mutually exclusive.",
                             "Scale-factor must be an integer power of two."]


# -- partitioning, compiled models, models Vela refuses ----------------------------------------

def test_a_cpu_op_between_npu_ops_makes_two_npu_regions():
    result = analyse(MODELS["islands"]())
    assert (result.partitions, result.transitions) == (2, 2)
    assert (result.ops_on_target, result.ops_total) == (2, 3)
    assert result.ops[1].fix.startswith("Replace SIN with ops the Arm Ethos-U55 NPU runs")
    assert not result.blocked


def test_branches_are_grouped_as_litert_groups_them():
    # Vela makes one ethos-u op here (it runs the CPU branch first); tfllint counts two.
    result = analyse(MODELS["branches"]())
    assert (result.partitions, result.transitions) == (2, 2)


def test_a_vela_compiled_model_is_compiled_for_every_ethos_u(run_cli, tmp_path):
    data = MODELS["compiled_for_ethos_u"]()
    for target in ("ethos-u55", "ethos-u65", "ethos-u85"):
        assert analyse(data, target).compiled
    assert not analyse(data, "cpu").compiled
    path = tmp_path / "m_vela.tflite"
    path.write_bytes(data)
    code, out, _ = run_cli(path, "--no-config", "--target", "ethos-u")
    assert code == 0 and "TFL305" in out and "already compiled for the Arm Ethos-U55 NPU" in out


@pytest.mark.parametrize("name, code, message", [
    ("zero_scale", "ethos-u-finite-scales",
     "op 0 RELU: IFM scale 0.05 / OFM scale 0 is not finite; Vela stops with 'Does not have "
     "valid TFLite Semantics'"),
    ("pad_variable_paddings", "ethos-u-constant-layout",
     "op 0 PAD: paddings input 'paddings' is not constant; Vela stops before compiling"),
    ("mean_variable_axes", "ethos-u-constant-layout",
     "op 0 MEAN: axes input 'axes' is not constant; Vela 5.2.0 crashes"),
])
def test_models_vela_refuses_cannot_run(name, code, message):
    for target in ("ethos-u55", "ethos-u85"):
        result = analyse(MODELS[name](), target)
        assert result.blocked
        assert [(r.code, r.message) for r in result.model_reasons] == [(code, message)]


# -- the sample models, end to end --------------------------------------------------------------

@pytest.mark.parametrize("target", ["ethos-u55", "ethos-u85"])
def test_sample_models_end_to_end(run_cli, target):
    import json

    code, out, _ = run_cli(MODELS_DIR, "--no-config", "--target", target, "--format", "json")
    reports = {Path(r["path"]).name: r["targets"][target] for r in json.loads(out)["models"]}
    summary = {name: (t["ops_on_target"], t["ops_total"], t["partitions"], t["can_run"])
               for name, t in reports.items()}
    assert summary == {
        "cnn_float16.tflite": (0, 19, 0, True), "cnn_float32.tflite": (0, 9, 0, True),
        "cnn_int8.tflite": (9, 9, 1, True), "cnn_int8_metadata.tflite": (9, 9, 1, True),
        "cnn_int8_uint8io.tflite": (11, 11, 1, True),
        "dense_dynamic_range.tflite": (0, 3, 0, True), "dynamic_batch.tflite": (0, 3, 0, True),
        "flex_op.tflite": (0, 3, 0, True), "micro_int8.tflite": (3, 3, 1, True),
        "two_inputs.tflite": (0, 5, 0, True), "while_loop.tflite": (0, 6, 0, True)}
    float16 = reports["cnn_float16.tflite"]["ops"][0]
    assert float16["op"] == "DEQUANTIZE" and float16["fix"].startswith("Quantize the whole model")
    body_add = [op for op in reports["while_loop.tflite"]["ops"] if op["subgraph"] == 2][0]
    assert [r["code"] for r in body_add["reasons"]] == ["ethos-u-shapeless"]
    assert reports["cnn_int8.tflite"]["summary"] == (
        f"9 of 9 ops run on the Arm Ethos-{target[-3:].upper()} NPU in 1 ethos-u op(s), 0 on "
        "the CPU (0 CPU<->NPU transitions)")
