"""TFL011 (operand-types-kernel-refuses): each check of rules/data/kernel_operand_types.toml
on a one-op model with the wrong type (the exact finding) and on its nearest valid
neighbour (nothing), and both in ai-edge-litert 2.3.0 in a child process: the first is
refused by the kernel the finding names, the second runs.
"""
from __future__ import annotations

import re
import sys

import numpy as np
import pytest
from conftest import REPO, lint_bytes, rule_locations

from builder import ModelBuilder
from tfllint.analyses.data import load_data_table
from tfllint.engine.rule import Location
from tfllint.reader.decode import OPERATOR_NAMES

DATA = load_data_table("kernel_operand_types")
SETTINGS = {"runtime-version": "2.21", "preview": True, "select": ["TFL011"]}
OPS = set(OPERATOR_NAMES.values())
NEEDS_LITERT = "needs ai-edge-litert (the oracle runtime): pip install -e .[oracle]"

BITS = {"FLOAT32": 32, "FLOAT16": 16, "BFLOAT16": 16, "INT32": 32, "UINT8": 8, "INT64": 64,
        "BOOL": 8, "INT16": 16, "COMPLEX64": 64, "INT8": 8, "FLOAT64": 64, "UINT64": 64,
        "UINT32": 32, "UINT16": 16, "INT4": 4}
# quantization a type gets in these models (the scales make the int kernels' multipliers
# valid: bias scale = input scale x filter scale)
QUANT = {"INT8": dict(scale=[0.5], zero_point=[0]),
         "UINT8": dict(scale=[0.5], zero_point=[128]),
         "INT16": dict(scale=[0.5], zero_point=[0]),
         "INT4": dict(scale=[0.5], zero_point=[0])}
BIAS_QUANT = dict(scale=[0.25], zero_point=[0])


def found(data: bytes) -> set:
    return rule_locations(lint_bytes(data, **SETTINGS))


def at(op: str, tensor: str, tensor_index: int, index: int = 0, subgraph: int = 0) -> set:
    return {("TFL011", Location(subgraph=subgraph, op_index=index, op=op, tensor=tensor,
                                tensor_index=tensor_index))}


def _constant(graph, name: str, shape, dtype: str, quant: dict | None = None) -> int:
    """A constant of zeros (ones for floats) stored with the bytes its type needs."""
    count = int(np.prod(shape)) if len(shape) else 1
    size = (count * BITS[dtype] + 7) // 8
    data = np.ones(count, np.float32).tobytes() if dtype == "FLOAT32" else bytes(size)
    return graph.tensor(name, list(shape), dtype, data=data, **(quant or {}))


def _quant(dtype: str) -> dict:
    return QUANT.get(dtype, {})


def conv(op: str = "CONV_2D", x="FLOAT32", w=None, b=None, y=None,
         bias_quant: dict | None = None, bias_shape=(2,)) -> bytes:
    """x [1, 4, 4, 2] -> CONV_2D (filter [2, 1, 1, 2]) or DEPTHWISE_CONV_2D (filter
    [1, 1, 1, 2]) with a bias of 2 (of shape `bias_shape`): the filter's type is the
    input's, the bias's the one the kernel wants, unless given."""
    w = w or ("INT8" if x == "INT16" else x)
    b = b or {"UINT8": "INT32", "INT8": "INT32", "INT16": "INT64"}.get(x, x)
    model = ModelBuilder()
    main = model.subgraph()
    xi = main.tensor("x", [1, 4, 4, 2], x, **_quant(x))
    shape = (2, 1, 1, 2) if op == "CONV_2D" else (1, 1, 1, 2)
    wq = dict(scale=[0.5], zero_point=[0]) if w in QUANT else {}
    wi = _constant(main, "w", shape, w, wq)
    integer_bias = b in ("INT32", "INT64") and x != "FLOAT32"
    bi = _constant(main, "b", bias_shape, b,
                   bias_quant or (BIAS_QUANT if integer_bias else None))
    yi = main.tensor("y", [1, 4, 4, 2], y or x, **_quant(y or x))
    options = {"padding": 1, "stride_w": 1, "stride_h": 1, "dilation_w_factor": 1,
               "dilation_h_factor": 1}
    if op == "CONV_2D":
        main.op(op, [xi, wi, bi], [yi], options=("Conv2DOptions", options))
    else:
        main.op(op, [xi, wi, bi], [yi],
                options=("DepthwiseConv2DOptions", {**options, "depth_multiplier": 1}))
    main.inputs, main.outputs = [xi], [yi]
    return model.build()


def transpose_conv(x="FLOAT32", w=None, y=None, b: str | None = None) -> bytes:
    """TRANSPOSE_CONV of x [1, 2, 2, 1] by a filter [1, 1, 1, 1] to [1, 2, 2, 1], with a
    bias of type `b` or none."""
    w = w or ("INT8" if x == "INT16" else x)
    model = ModelBuilder()
    main = model.subgraph()
    shape = main.constant("output_shape", np.asarray([1, 2, 2, 1], np.int32), "INT32")
    wi = _constant(main, "w", (1, 1, 1, 1), w, dict(scale=[0.5], zero_point=[0])
                   if w in QUANT else None)
    xi = main.tensor("x", [1, 2, 2, 1], x, **_quant(x))
    inputs = [shape, wi, xi]
    if b is not None:
        inputs.append(_constant(main, "b", (1,), b, BIAS_QUANT if b.startswith("INT")
                                else None))
    yi = main.tensor("y", [1, 2, 2, 1], y or x, **_quant(y or x))
    main.op("TRANSPOSE_CONV", inputs, [yi],
            options=("TransposeConvOptions", {"padding": 1, "stride_w": 1, "stride_h": 1}))
    main.inputs, main.outputs = [xi], [yi]
    return model.build()


def fully_connected(x="FLOAT32", w="FLOAT32", b: str | None = "FLOAT32", y=None,
                    bias_index: int | None = None, x_quant: dict | None = None,
                    bias_quant: dict | None = None) -> bytes:
    """FULLY_CONNECTED [1, 4] x [3, 4] (+ a bias of 3, or input index `bias_index`)."""
    model = ModelBuilder()
    main = model.subgraph()
    xi = main.tensor("x", [1, 4], x, **(x_quant or _quant(x)))
    wi = _constant(main, "w", (3, 4), w, dict(scale=[0.5], zero_point=[0]) if w in QUANT
                   else None)
    inputs = [xi, wi]
    if bias_index is not None:
        inputs.append(bias_index)
    elif b is not None:
        inputs.append(_constant(main, "b", (3,), b, bias_quant or (
            BIAS_QUANT if b in ("INT32", "INT64") else None)))
    yi = main.tensor("y", [1, 3], y or x, **_quant(y or x))
    main.op("FULLY_CONNECTED", inputs, [yi], options=("FullyConnectedOptions", {}))
    main.inputs, main.outputs = [xi], [yi]
    return model.build()


def one_input(op: str, x="FLOAT32", y=None, shape=(1, 4, 4, 2), options=None,
              constant_input: bool = False) -> bytes:
    """One op of one input (a graph input, or a constant) and one output."""
    model = ModelBuilder()
    main = model.subgraph()
    if constant_input:
        xi = _constant(main, "x", shape, x, _quant(x))
    else:
        xi = main.tensor("x", list(shape), x, **_quant(x))
    yi = main.tensor("y", list(shape), y or x, **_quant(y or x))
    main.op(op, [xi], [yi], **({"options": options} if options else {}))
    main.inputs, main.outputs = ([] if constant_input else [xi]), [yi]
    return model.build()


def pool(op: str, x="FLOAT32", y=None) -> bytes:
    return one_input(op, x, y, options=("Pool2DOptions", {
        "padding": 1, "stride_w": 1, "stride_h": 1, "filter_width": 1, "filter_height": 1}))


def binary(op: str, second="FLOAT32") -> bytes:
    """`op` of a FLOAT32 graph input and a constant of type `second`."""
    model = ModelBuilder()
    main = model.subgraph()
    a = main.tensor("a", [1, 4])
    b = _constant(main, "b", (1, 4), second, _quant(second))
    y = main.tensor("y", [1, 4])
    table = {"ADD": "AddOptions", "SUB": "SubOptions", "MUL": "MulOptions"}[op]
    main.op(op, [a, b], [y], options=(table, {}))
    main.inputs, main.outputs = [a], [y]
    return model.build()


def concatenation(first="FLOAT32", second="FLOAT32", out="FLOAT32") -> bytes:
    model = ModelBuilder()
    main = model.subgraph()
    a = main.tensor("a", [1, 2], first, **_quant(first))
    b = _constant(main, "b", (1, 2), second, _quant(second))
    y = main.tensor("y", [1, 4], out, **_quant(out))
    main.op("CONCATENATION", [a, b], [y], options=("ConcatenationOptions", {"axis": 1}))
    main.inputs, main.outputs = [a], [y]
    return model.build()


def pad(op: str = "PAD", out="FLOAT32", value="FLOAT32") -> bytes:
    model = ModelBuilder()
    main = model.subgraph()
    x = main.tensor("x", [1, 2])
    paddings = main.constant("paddings", np.asarray([[0, 0], [1, 1]], np.int32), "INT32")
    inputs = [x, paddings]
    if op == "PADV2":
        inputs.append(_constant(main, "value", (1,), value))
    y = main.tensor("y", [1, 4], out, **_quant(out))
    main.op(op, inputs, [y])
    main.inputs, main.outputs = [x], [y]
    return model.build()


def quantize(x="FLOAT32", y="INT8") -> bytes:
    """QUANTIZE of x [1, 4] to y, both with quantization parameters (the kernel needs
    them on the output)."""
    model = ModelBuilder()
    main = model.subgraph()
    quant = dict(scale=[0.5], zero_point=[0])
    xi = main.tensor("x", [1, 4], x, **(quant if x != "FLOAT32" else {}))
    yi = main.tensor("y", [1, 4], y, **quant)
    main.op("QUANTIZE", [xi], [yi])
    main.inputs, main.outputs = [xi], [yi]
    return model.build()


def reduction(op: str = "MEAN", x="FLOAT32", axis="INT32") -> bytes:
    """`op` of x [2, 3] over the constant axis [1] stored as `axis`, keep_dims false."""
    model = ModelBuilder()
    main = model.subgraph()
    xi = main.tensor("x", [2, 3], x)
    dtypes = {"INT32": np.int32, "INT64": np.int64, "INT16": np.int16}
    values = np.asarray([1], dtypes[axis])
    ai = main.constant("axis", values, axis)
    yi = main.tensor("y", [2], x)
    main.op(op, [xi, ai], [yi], options=("ReducerOptions", {"keep_dims": False}))
    main.inputs, main.outputs = [xi], [yi]
    return model.build()


def strided_slice(begin="INT32", end="INT32", strides="INT32") -> bytes:
    """STRIDED_SLICE of x [4] with constant begin [0], end [2] and strides [1], each stored
    as the given type."""
    model = ModelBuilder()
    main = model.subgraph()
    x, y = main.tensor("x", [4]), main.tensor("y", [2])
    indices = [main.constant(name, np.asarray([value], dtype.lower()), dtype)
               for name, value, dtype in (("begin", 0, begin), ("end", 2, end),
                                          ("strides", 1, strides))]
    main.op("STRIDED_SLICE", [x, *indices], [y], options=("StridedSliceOptions", {}))
    main.inputs, main.outputs = [x], [y]
    return model.build()


def while_loop(second_input: str = "v", body_op: str = "TANH", factor: str = "v") -> bytes:
    """WHILE over (i INT32 [1], v FLOAT32 [1, 4]) whose body returns (i + 1, tanh(v)), or
    with body_op "MUL" (i + 1, v * v), or v * i (factor "i": the body's MUL then takes an
    INT32, the type the WHILE passes: Prepare_impl copies the WHILE's input types onto the
    body's inputs). The WHILE's second input is v, or i again ("i": the body gets an INT32
    where it returns the FLOAT32 tanh)."""
    model = ModelBuilder()
    main, cond, body = (model.subgraph(name) for name in ("main", "cond", "body"))
    i, v = main.tensor("i", [1], "INT32"), main.tensor("v", [1, 4])
    i_out, v_out = main.tensor("i_out", [1], "INT32"), main.tensor("v_out", [1, 4])
    main.op("WHILE", [i, v if second_input == "v" else i], [i_out, v_out],
            options=("WhileOptions", {"cond_subgraph_index": 1, "body_subgraph_index": 2}))
    main.inputs, main.outputs = [i, v], [i_out, v_out]
    ci, cv = cond.tensor("ci", [1], "INT32"), cond.tensor("cv", [1, 4])
    limit = cond.constant("limit", np.asarray([3], np.int32), "INT32")
    flag = cond.tensor("flag", [1], "BOOL")
    cond.op("LESS", [ci, limit], [flag])
    cond.inputs, cond.outputs = [ci, cv], [flag]
    bi, bv = body.tensor("bi", [1], "INT32"), body.tensor("bv", [1, 4])
    one = body.constant("one", np.asarray([1], np.int32), "INT32")
    bi_out, bv_out = body.tensor("bi_out", [1], "INT32"), body.tensor("bv_out", [1, 4])
    body.op("ADD", [bi, one], [bi_out], options=("AddOptions", {}))
    if body_op == "MUL":
        body.op("MUL", [bv, bi if factor == "i" else bv], [bv_out],
                options=("MulOptions", {}))
    else:
        body.op("TANH", [bv], [bv_out])
    body.inputs, body.outputs = [bi, bv], [bi_out, bv_out]
    return model.build()


def gather_then_dequantize(params: str) -> bytes:
    """GATHER of a constant [4] of type `params` whose output the file types FLOAT16,
    then DEQUANTIZE to FLOAT32. gather.cc's Prepare gives the output the params' type and
    the XNNPACK delegate does not visit GATHER; nor does it take a DEQUANTIZE of a
    FLOAT16 tensor that is no constant: dequantize.cc sees the params' type."""
    model = ModelBuilder()
    main = model.subgraph()
    p = _constant(main, "p", (4,), params)
    i = main.tensor("i", [2], "INT32")
    g = main.tensor("g", [2], "FLOAT16")
    y = main.tensor("y", [2])
    main.op("GATHER", [p, i], [g], options=("GatherOptions", {"axis": 0}))
    main.op("DEQUANTIZE", [g], [y])
    main.inputs, main.outputs = [i], [y]
    return model.build()


def add_then_relu(add_output: str, relu_output: str) -> bytes:
    """ADD of two FLOAT32 inputs whose output the file types `add_output` (ADD's Prepare
    makes it FLOAT32), then RELU with an output of `relu_output`."""
    model = ModelBuilder()
    main = model.subgraph()
    a = main.tensor("a", [1, 4])
    s = main.tensor("s", [1, 4], add_output, **_quant(add_output))
    y = main.tensor("y", [1, 4], relu_output, **_quant(relu_output))
    main.op("ADD", [a, a], [s], options=("AddOptions", {}))
    main.op("RELU", [s], [y])
    main.inputs, main.outputs = [a], [y]
    return model.build()


# (name, bad model, its exact findings, the valid neighbour)
CASES = [
    ("strided_slice begin type", strided_slice(begin="INT64"),
     at("STRIDED_SLICE", "begin", 2), strided_slice()),
    ("strided_slice end type", strided_slice(end="INT8"), at("STRIDED_SLICE", "end", 3),
     strided_slice()),
    ("strided_slice strides type", strided_slice(strides="INT16"),
     at("STRIDED_SLICE", "strides", 4), strided_slice()),
    ("conv input type", conv(x="BOOL", w="FLOAT32", b="FLOAT32", y="BOOL"),
     at("CONV_2D", "x", 0), conv()),
    ("conv output type", conv(y="INT16"), at("CONV_2D", "y", 3), conv()),
    ("conv int8 bias", conv(x="INT8", b="INT64"), at("CONV_2D", "b", 2), conv(x="INT8")),
    ("conv int16 bias", conv(x="INT16", b="INT16"), at("CONV_2D", "b", 2),
     conv(x="INT16", b="INT32")),
    ("conv float bias", conv(b="INT4"), at("CONV_2D", "b", 2), conv()),
    ("conv float bias FLOAT16", conv(b="FLOAT16"), at("CONV_2D", "b", 2), conv()),
    ("depthwise input type", conv("DEPTHWISE_CONV_2D", x="INT32", w="FLOAT32", b="FLOAT32"),
     at("DEPTHWISE_CONV_2D", "x", 0), conv("DEPTHWISE_CONV_2D")),
    ("depthwise output type", conv("DEPTHWISE_CONV_2D", y="INT16"),
     at("DEPTHWISE_CONV_2D", "y", 3), conv("DEPTHWISE_CONV_2D")),
    ("depthwise filter type", conv("DEPTHWISE_CONV_2D", w="INT16"),
     at("DEPTHWISE_CONV_2D", "w", 1), conv("DEPTHWISE_CONV_2D")),
    ("depthwise int8 bias", conv("DEPTHWISE_CONV_2D", x="INT8", b="INT8"),
     at("DEPTHWISE_CONV_2D", "b", 2), conv("DEPTHWISE_CONV_2D", x="INT8")),
    ("depthwise int16 bias", conv("DEPTHWISE_CONV_2D", x="INT16", b="INT32"),
     at("DEPTHWISE_CONV_2D", "b", 2), conv("DEPTHWISE_CONV_2D", x="INT16")),
    ("depthwise float bias", conv("DEPTHWISE_CONV_2D", b="FLOAT16"),
     at("DEPTHWISE_CONV_2D", "b", 2), conv("DEPTHWISE_CONV_2D")),
    ("transpose_conv input type", transpose_conv(x="INT32", w="FLOAT32"),
     at("TRANSPOSE_CONV", "x", 2), transpose_conv()),
    ("transpose_conv float filter", transpose_conv(w="INT16"),
     at("TRANSPOSE_CONV", "w", 1), transpose_conv()),
    ("transpose_conv int8 filter", transpose_conv(x="INT8", w="INT16"),
     at("TRANSPOSE_CONV", "w", 1), transpose_conv(x="INT8")),
    ("transpose_conv uint8 filter", transpose_conv(x="UINT8", w="INT16"),
     at("TRANSPOSE_CONV", "w", 1), transpose_conv(x="UINT8")),
    ("transpose_conv int8 bias", transpose_conv(x="INT8", b="INT16"),
     at("TRANSPOSE_CONV", "b", 3), transpose_conv(x="INT8", b="INT32")),
    ("transpose_conv int16 bias", transpose_conv(x="INT16", b="INT8"),
     at("TRANSPOSE_CONV", "b", 3), transpose_conv(x="INT16", b="INT64")),
    ("transpose_conv float bias", transpose_conv(b="INT64"),
     at("TRANSPOSE_CONV", "b", 3), transpose_conv(b="FLOAT32")),
    ("transpose_conv int16 filter", transpose_conv(x="INT16", w="INT16"),
     at("TRANSPOSE_CONV", "w", 1), transpose_conv(x="INT16")),
    ("transpose_conv output type", transpose_conv(y="INT16"),
     at("TRANSPOSE_CONV", "y", 3), transpose_conv()),
    ("fully_connected hybrid output", fully_connected(w="INT8", y="INT16"),
     at("FULLY_CONNECTED", "y", 3), fully_connected(w="INT8")),
    ("fully_connected hybrid bias", fully_connected(w="INT8", b="INT64"),
     at("FULLY_CONNECTED", "b", 2), fully_connected(w="INT8")),
    ("fully_connected int8 input",
     fully_connected(x="INT64", w="INT8", b="INT32", y="INT8"),
     at("FULLY_CONNECTED", "x", 0), fully_connected(x="INT8", w="INT8", b="INT32")),
    ("fully_connected int8 output", fully_connected(x="INT8", w="INT8", b="INT32",
                                                    y="BOOL"),
     at("FULLY_CONNECTED", "y", 3), fully_connected(x="INT8", w="INT8", b="INT32")),
    ("fully_connected int8 bias", fully_connected(x="INT8", w="INT8", b="BFLOAT16"),
     at("FULLY_CONNECTED", "b", 2), fully_connected(x="INT8", w="INT8", b=None)),
    ("fully_connected int16 filter input", fully_connected(x="INT8", w="INT16", b=None),
     at("FULLY_CONNECTED", "x", 0), fully_connected(x="INT16", w="INT8", b="INT64")),
    ("fully_connected int16 filter output", fully_connected(x="INT16", w="INT16", b=None,
                                                            y="INT8"),
     at("FULLY_CONNECTED", "y", 2), fully_connected(x="INT16", w="INT16", b=None)),
    ("fully_connected int16 filter bias",
     fully_connected(x="INT16", w="INT16", b="FLOAT32"), at("FULLY_CONNECTED", "b", 2),
     fully_connected(x="INT16", w="INT16", b="INT64")),
    ("fully_connected float input", fully_connected(x="INT32", y="FLOAT32"),
     at("FULLY_CONNECTED", "x", 0), fully_connected()),
    ("fully_connected float output", fully_connected(y="INT16"),
     at("FULLY_CONNECTED", "y", 3), fully_connected()),
    ("fully_connected float filter", fully_connected(w="BFLOAT16"),
     at("FULLY_CONNECTED", "w", 1), fully_connected()),
    ("fully_connected float bias", fully_connected(b="BFLOAT16"),
     at("FULLY_CONNECTED", "b", 2), fully_connected(bias_index=-1)),
    ("dequantize input type", one_input("DEQUANTIZE", "INT32", "FLOAT32", shape=(4,)),
     at("DEQUANTIZE", "x", 0), one_input("DEQUANTIZE", "INT8", "FLOAT32", shape=(4,))),
    ("max_pool output type", pool("MAX_POOL_2D", y="BFLOAT16"), at("MAX_POOL_2D", "y", 1),
     pool("MAX_POOL_2D")),
    ("max_pool input type", pool("MAX_POOL_2D", x="INT32"), at("MAX_POOL_2D", "x", 0),
     pool("MAX_POOL_2D", x="INT16")),
    ("average_pool input type", pool("AVERAGE_POOL_2D", x="INT32"),
     at("AVERAGE_POOL_2D", "x", 0), pool("AVERAGE_POOL_2D", x="INT8")),
    ("l2_pool input type", pool("L2_POOL_2D", x="INT8"), at("L2_POOL_2D", "x", 0),
     pool("L2_POOL_2D")),
    ("add input types", binary("ADD", "INT32"), at("ADD", "b", 1), binary("ADD")),
    ("sub input types", binary("SUB", "COMPLEX64"), at("SUB", "b", 1), binary("SUB")),
    ("mul input types", binary("MUL", "BFLOAT16"), at("MUL", "b", 1), binary("MUL")),
    *[(f"{op.lower()} output type", one_input(op, y="INT16", shape=(1, 4)),
       at(op, "y", 1), one_input(op, shape=(1, 4)))
      for op in ("RELU", "RELU6", "TANH", "LOGISTIC", "LEAKY_RELU", "LOG_SOFTMAX")],
    ("concatenation input type", concatenation("COMPLEX64", "COMPLEX64", "COMPLEX64"),
     at("CONCATENATION", "a", 0), concatenation("INT32", "INT32", "INT32")),
    ("concatenation second input", concatenation(second="INT32"),
     at("CONCATENATION", "b", 1), concatenation()),
    ("concatenation output type", concatenation(out="INT16"), at("CONCATENATION", "y", 2),
     concatenation()),
    ("pad output type", pad(out="INT32"), at("PAD", "y", 2), pad()),
    ("padv2 constant value type", pad("PADV2", value="INT32"), at("PADV2", "value", 2),
     pad("PADV2")),
    ("quantize float output type", quantize(y="INT32"), at("QUANTIZE", "y", 1),
     quantize()),
    ("quantize int16 output type", quantize(x="INT16", y="UINT8"), at("QUANTIZE", "y", 1),
     quantize(x="INT16", y="INT8")),
    ("quantize int32 output type", quantize(x="INT32", y="INT32"), at("QUANTIZE", "y", 1),
     quantize(x="INT32", y="INT16")),
    ("quantize input type", quantize(x="INT64"), at("QUANTIZE", "x", 0),
     quantize(x="UINT8")),
    ("requantize output type", quantize(x="INT8", y="INT32"), at("QUANTIZE", "y", 1),
     quantize(x="INT8", y="INT16")),
    ("mean axis type", reduction(axis="INT64"), at("MEAN", "axis", 1), reduction()),
    ("reduce_max axis type", reduction("REDUCE_MAX", axis="INT16"),
     at("REDUCE_MAX", "axis", 1), reduction("REDUCE_MAX")),
    ("reduce_any input type", reduction("REDUCE_ANY", x="FLOAT32"),
     at("REDUCE_ANY", "x", 0), reduction("REDUCE_ANY", x="BOOL")),
    ("reduce_all axis type", reduction("REDUCE_ALL", x="BOOL", axis="INT64"),
     at("REDUCE_ALL", "axis", 1), reduction("REDUCE_ALL", x="BOOL")),
    ("while body returns another type", while_loop("i"), at("WHILE", "i", 0),
     while_loop()),
    # the XNNPACK delegate declines these (its checks in xnnpack_delegate.cc): the
    # builtin kernel judges them
    ("conv int8 bias INT8 with scales", conv(x="INT8", b="INT8", bias_quant=BIAS_QUANT),
     at("CONV_2D", "b", 2), conv(x="INT8")),
    ("fully_connected int8 bias INT8 with scales",
     fully_connected(x="INT8", w="INT8", b="INT8", bias_quant=BIAS_QUANT),
     at("FULLY_CONNECTED", "b", 2), fully_connected(x="INT8", w="INT8", b="INT32")),
    ("fully_connected int8 bias INT4 with scales",
     fully_connected(x="INT8", w="INT8", b="INT4", bias_quant=BIAS_QUANT),
     at("FULLY_CONNECTED", "b", 2), fully_connected(x="INT8", w="INT8", b="INT32")),
    ("fully_connected quantized INT32 input",
     fully_connected(x="INT32", w="INT8", b="INT32", y="INT8", x_quant=QUANT["INT8"]),
     at("FULLY_CONNECTED", "x", 0), fully_connected(x="INT8", w="INT8", b="INT32")),
    ("dequantize FLOAT32 input", one_input("DEQUANTIZE", "FLOAT32", "FLOAT32", shape=(4,)),
     at("DEQUANTIZE", "x", 0), one_input("DEQUANTIZE", "INT8", "FLOAT32", shape=(4,))),
    ("dequantize of a type GATHER writes", gather_then_dequantize("INT32"),
     at("DEQUANTIZE", "g", 2, index=1), gather_then_dequantize("FLOAT16")),
    ("average_pool INT8 to FLOAT16", pool("AVERAGE_POOL_2D", x="INT8", y="FLOAT16"),
     at("AVERAGE_POOL_2D", "y", 1), pool("AVERAGE_POOL_2D", x="INT8")),
    ("add FLOAT32 and FLOAT16", binary("ADD", "FLOAT16"), at("ADD", "b", 1),
     binary("ADD")),
    ("mul FLOAT32 and FLOAT16", binary("MUL", "FLOAT16"), at("MUL", "b", 1),
     binary("MUL")),
    ("depthwise FLOAT16 with a bias of rank 4",
     conv("DEPTHWISE_CONV_2D", x="FLOAT16", w="FLOAT16", b="FLOAT16",
          bias_shape=(1, 1, 1, 2)),
     at("DEPTHWISE_CONV_2D", "x", 0),
     conv("DEPTHWISE_CONV_2D", x="FLOAT16", w="FLOAT16", b="FLOAT16")),
    ("mul in a WHILE body of the WHILE's types", while_loop(body_op="MUL", factor="i"),
     at("MUL", "bi", 0, index=1, subgraph=2), while_loop(body_op="MUL")),
]


@pytest.mark.parametrize("name, bad, expected, good", CASES, ids=[c[0] for c in CASES])
def test_check_finds_exactly_the_defect(name, bad, expected, good):
    assert found(bad) == expected
    assert found(good) == set()


def test_every_check_is_tested():
    """Each [[op.check]] line of the data is the line of some case's finding."""
    cited = {(entry["kernel"], check["line"]) for entry in DATA["op"]
             for check in entry["check"]}
    hit = set()
    for _, bad, _, _ in CASES:
        for finding in lint_bytes(bad, **SETTINGS):
            kernel, line = _source(finding.message).split(" ")[0].split(":")
            hit.add((kernel.rsplit("/", 1)[1], int(line)))
    untested = cited - hit
    assert untested == set()


def test_message_names_the_types_and_the_kernel():
    [finding] = lint_bytes(conv(b="INT4"), **SETTINGS)
    assert finding.severity == "error"
    assert finding.message == ("the bias is INT4 but the input FLOAT32: "
                               "LiteRT refuses it (tflite/kernels/conv.cc:419 Prepare)")


def test_hybrid_fully_connected_is_accepted():
    assert found(fully_connected(w="INT8")) == set()
    assert found(fully_connected(w="INT8", bias_index=-1)) == set()
    assert found(fully_connected(w="INT4", b=None)) == set()


def test_a_type_a_prepare_writes_is_not_judged():
    """ADD's Prepare gives its output input2's type whatever the file says: a RELU after
    it sees FLOAT32, and only a RELU output of another type is refused."""
    assert found(add_then_relu("INT16", "FLOAT32")) == set()
    assert found(add_then_relu("FLOAT32", "INT16")) == at("RELU", "y", 2, index=1)


def test_rule_is_preview():
    findings = lint_bytes(conv(b="INT4"), **{"runtime-version": "2.21"})
    assert "TFL011" not in {finding.rule for finding in findings}


def test_every_entry_names_known_ops_kernels_and_roles():
    for entry in DATA["op"]:
        for op in entry["ops"]:
            assert op in OPS, op
        assert entry["litert"] == "refuses"
        assert entry["kernel"].endswith(".cc") and entry["function"]
        for check in entry["check"]:
            assert isinstance(check["line"], int)
            if entry.get("special"):
                continue
            assert check["role"] in entry["roles"], (entry["ops"], check)
            assert ("allowed" in check) != ("same_as" in check), check
    for op, rule in DATA["output_type"].items():
        assert op in OPS, op
        assert rule == "unknown" or rule.startswith("in") or rule.isupper(), (op, rule)


def _source(message: str) -> str:
    """"tflite/kernels/conv.cc:419 Prepare" of a finding's message."""
    return re.search(r"\((tflite/kernels/[^)]*)\)", message).group(1)


def _run(path, data: bytes) -> str:
    sys.path.insert(0, str(REPO / "tools"))
    import cve_catalogue

    path.write_bytes(data)
    return cve_catalogue.run_runtime("litert", path)


@pytest.mark.parametrize("name, bad, expected, good", CASES, ids=[c[0] for c in CASES])
def test_litert_refuses_the_bad_and_runs_the_good(name, bad, expected, good, tmp_path):
    """Differential: the bad model in ai-edge-litert (child process) is refused by the
    kernel the finding names (its file in the message, or the op failing to invoke for a
    check in Eval), not by the XNNPACK delegate; the valid neighbour runs."""
    pytest.importorskip("ai_edge_litert", reason=NEEDS_LITERT)
    [finding] = lint_bytes(bad, **SETTINGS)
    kernel = _source(finding.message).split(":")[0]
    outcome = _run(tmp_path / "bad.tflite", bad)
    assert outcome.startswith("refused"), outcome
    op = next(iter(expected))[1].op
    assert kernel in outcome or f"({op}) failed to invoke" in outcome, outcome
    assert _run(tmp_path / "good.tflite", good) == "ran"


def test_litert_runs_what_is_not_judged(tmp_path):
    pytest.importorskip("ai_edge_litert", reason=NEEDS_LITERT)
    for data in (add_then_relu("INT16", "FLOAT32"),
                 fully_connected(w="INT8", bias_index=-1)):
        assert _run(tmp_path / "model.tflite", data) == "ran"


# Ops the XNNPACK delegate takes by their file types, which the builtin kernel refuses:
# ai-edge-litert runs them (the delegate, applied first, never calls the kernel).
XNNPACK_RUNS = {
    "conv all FLOAT16": conv(x="FLOAT16", w="FLOAT16", b="FLOAT16"),
    "depthwise all FLOAT16": conv("DEPTHWISE_CONV_2D", x="FLOAT16", w="FLOAT16",
                                  b="FLOAT16"),
    "fully_connected all FLOAT16": fully_connected(x="FLOAT16", w="FLOAT16", b="FLOAT16"),
    "average_pool FLOAT16": pool("AVERAGE_POOL_2D", x="FLOAT16"),
    "conv FLOAT16 with a FLOAT32 bias": conv(x="FLOAT16", w="FLOAT16", b="FLOAT32"),
}


@pytest.mark.parametrize("name", XNNPACK_RUNS)
def test_what_xnnpack_may_take_is_not_judged(name, tmp_path):
    assert found(XNNPACK_RUNS[name]) == set()
    pytest.importorskip("ai_edge_litert", reason=NEEDS_LITERT)
    assert _run(tmp_path / "model.tflite", XNNPACK_RUNS[name]) == "ran"
