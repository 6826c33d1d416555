"""The quantization analysis: op classes, the model's scheme, float islands, and the
converter's CONVERSION_METADATA, on tiny built models and on every sample model."""
from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import pytest
from conftest import SAMPLE_MODELS, view_of

from builder import ModelBuilder
from tfllint.analyses import Analyses
from tfllint.analyses.quantization import FloatIsland, classify_op
from tfllint.reader.conversion_metadata import ConversionMetadata, parse_conversion_metadata

sys.path.insert(0, str(Path(__file__).parent / "rule_examples"))
from _mixed_quant import (PTQ_DYNAMIC_RANGE, PTQ_FLOAT16, PTQ_FULL_INTEGER,  # noqa: E402
                          chain, chain_builder, conversion_metadata, fully_connected,
                          quantization)

# What the converter made of each sample (models/README.md), and what it was asked for.
SAMPLES = {
    "cnn_float16": ("float16-weights", {"float32": 9}, ("PTQ_FLOAT16",)),
    "cnn_float32": ("float32", {"float32": 9}, ()),
    "cnn_int8": ("int8", {"int8": 9}, ("PTQ_FULL_INTEGER",)),
    "cnn_int8_metadata": ("int8", {"int8": 9}, ("PTQ_FULL_INTEGER",)),
    # The uint8 I/O QUANTIZE ops are boundaries: the compute is all int8.
    "cnn_int8_uint8io": ("int8", {"int8": 9}, ("PTQ_FULL_INTEGER",)),
    "dense_dynamic_range": ("dynamic-range", {"hybrid": 3}, ("PTQ_DYNAMIC_RANGE",)),
    "dynamic_batch": ("float32", {"float32": 3}, ()),
    "flex_op": ("float32", {"float32": 3}, ()),
    "micro_int8": ("int8", {"int8": 3}, ("PTQ_FULL_INTEGER",)),
    "two_inputs": ("float32", {"float32": 5}, ()),
    # WHILE is control flow (no class); its body's MUL, ADD, TANH are float, the int32
    # counter ADD and the LESS condition are neutral.
    "while_loop": ("float32", {"float32": 3}, ()),
}


def quantization_of(data: bytes):
    view = view_of(data)
    return Analyses(view).quantization


def test_every_sample_model_is_listed():
    assert {path.stem for path in SAMPLE_MODELS} == set(SAMPLES)


@pytest.mark.parametrize("path", SAMPLE_MODELS, ids=[p.stem for p in SAMPLE_MODELS])
def test_sample_model(path):
    analysis = quantization_of(path.read_bytes())
    scheme, counts, requested = SAMPLES[path.stem]
    assert (analysis.scheme, analysis.class_counts, analysis.requested_modes) == \
        (scheme, counts, requested)
    assert analysis.islands == ()  # no sample computes in integers around float ops
    assert analysis.conversion.tensorflow_version == "2.21.0"


# -- op classes -------------------------------------------------------------------------

def classes(data: bytes) -> list[str | None]:
    view = view_of(data)
    return [classify_op(view, op) for op in view.operators()]


@pytest.mark.parametrize("steps, expected", [
    ((("RELU", "FLOAT32"),), ["float32"]),
    ((("RELU", "FLOAT16"),), ["float32"]),  # float16 kernels are float too
    ((("RELU", "INT8"),), ["int8"]),
    ((("RELU", "UINT8"),), ["uint8"]),
    ((("RELU", "INT16"),), ["int16x8"]),
    ((("RELU", "INT32"),), [None]),  # indices, shapes: neutral
    ((("QUANTIZE", "INT8"), ("DEQUANTIZE", "FLOAT32")), [None, None]),  # boundaries
], ids=["float32", "float16", "int8", "uint8", "int16", "int32", "boundaries"])
def test_op_class_follows_the_activations(steps, expected):
    first = {"FLOAT16": "FLOAT16", "INT8": "INT8", "UINT8": "UINT8", "INT16": "INT16",
             "INT32": "INT32"}.get(steps[0][1], "FLOAT32")
    assert classes(chain(first, *steps)) == expected


def test_float_activations_with_integer_weights_are_hybrid():
    assert classes(fully_connected("FLOAT32", "INT8").build()) == ["hybrid"]
    assert classes(fully_connected("FLOAT32", "FLOAT32").build()) == ["float32"]
    assert classes(fully_connected("INT8", "INT8").build()) == ["int8"]


def test_int8_op_with_int16_state_or_output_is_int8():
    # The integer LSTM keeps an int16 cell state; an int8 SOFTMAX may write int16.
    model = ModelBuilder()
    main = model.subgraph()
    x = main.tensor("x", [1, 4], "INT8", **quantization("INT8"))
    state = main.tensor("state", [1, 4], "INT16", is_variable=True, **quantization("INT16"))
    y = main.tensor("y", [1, 4], "INT16", **quantization("INT16"))
    main.op("ADD", [x, state], [y])
    main.inputs, main.outputs = [x], [y]
    assert classes(model.build()) == ["int8"]


def test_control_flow_ops_take_no_class():
    model = ModelBuilder()
    main, body, cond = model.subgraph("main"), model.subgraph("body"), model.subgraph("cond")
    x, y = main.tensor("x", [1, 4]), main.tensor("y", [1, 4])
    main.op("WHILE", [x], [y], options=("WhileOptions", dict(cond_subgraph_index=2,
                                                             body_subgraph_index=1)))
    main.inputs, main.outputs = [x], [y]
    a, b = body.tensor("a", [1, 4]), body.tensor("b", [1, 4])
    body.op("TANH", [a], [b])
    body.inputs, body.outputs = [a], [b]
    c, d = cond.tensor("c", [1, 4], "BOOL"), cond.tensor("d", [], "BOOL")
    cond.op("REDUCE_ANY", [c], [d])  # booleans only: neutral
    cond.inputs, cond.outputs = [c], [d]
    analysis = quantization_of(model.build())
    assert analysis.op_classes == {(1, 0): "float32"}
    assert analysis.scheme == "float32"


# -- schemes ----------------------------------------------------------------------------

def weight_dequantized_model(weight_dtype: str) -> bytes:
    """A float FULLY_CONNECTED whose weights are stored as `weight_dtype` and dequantized."""
    model = ModelBuilder()
    main = model.subgraph()
    x, w_float, y = main.tensor("x", [1, 4]), main.tensor("w_float", [4, 4]), \
        main.tensor("y", [1, 4])
    values = np.arange(16).reshape(4, 4)
    if weight_dtype == "FLOAT16":
        w = main.constant("w", values.astype(np.float16), "FLOAT16")
    else:
        w = main.constant("w", values.astype(np.int8), "INT8", scale=[0.1], zero_point=[0])
    main.op("DEQUANTIZE", [w], [w_float], version=3 if weight_dtype == "FLOAT16" else 2)
    main.op("FULLY_CONNECTED", [x, w_float, -1], [y])
    main.inputs, main.outputs = [x], [y]
    return model.build()


def gather_model(then: str) -> bytes:
    """ids (int32) -> GATHER from an int8 table -> DEQUANTIZE and MUL in float, or an int8
    RELU (`then`)."""
    model = ModelBuilder()
    main = model.subgraph()
    q = quantization("INT8")
    ids = main.tensor("ids", [1, 2], "INT32")
    table = main.constant("table", np.ones((64, 32), np.int8), "INT8", **q)
    rows = main.tensor("rows", [1, 2, 32], "INT8", **q)
    main.op("GATHER", [table, ids], [rows], version=2)
    if then == "float":
        rows_float, y = main.tensor("rows_float", [1, 2, 32]), main.tensor("y", [1, 2, 32])
        two = main.constant("two", np.full((1,), 2, np.float32))
        main.op("DEQUANTIZE", [rows], [rows_float], version=2)
        main.op("MUL", [rows_float, two], [y])
    else:
        y = main.tensor("y", [1, 2, 32], "INT8", **q)
        main.op("RELU", [rows], [y], version=2)
    main.inputs, main.outputs = [ids], [y]
    return model.build()


def test_gather_of_an_int8_table_into_float_ops_moves_weights():
    # What TF 2.21 makes of tf.gather(64x32 float table, ids) * 2 with Optimize.DEFAULT.
    analysis = quantization_of(gather_model("float"))
    assert (analysis.scheme, analysis.op_classes) == ("dynamic-range", {(0, 2): "float32"})
    # In an int8 graph the same GATHER computes in int8.
    analysis = quantization_of(gather_model("int8"))
    assert (analysis.scheme, analysis.op_classes) == ("int8", {(0, 0): "int8", (0, 1): "int8"})


@pytest.mark.parametrize("data, scheme, label", [
    (chain("INT32", ("RELU", "INT32")), "none", "no compute ops"),
    (chain("FLOAT32", ("RELU", "FLOAT32")), "float32", "float32"),
    (weight_dequantized_model("FLOAT16"), "float16-weights",
     "float16 weights (float32 compute)"),
    (fully_connected("FLOAT32", "INT8").build(), "dynamic-range",
     "dynamic-range (int8 weights, float activations)"),
    # The converter's weight-only fallback: int8 weights dequantized at load.
    (weight_dequantized_model("INT8"), "dynamic-range",
     "dynamic-range (int8 weights, float activations)"),
    (chain("INT8", ("RELU", "INT8")), "int8", "full integer (int8)"),
    (chain("INT16", ("RELU", "INT16")), "int16x8", "int16 activations, int8 weights (16x8)"),
    (chain("UINT8", ("RELU", "UINT8")), "uint8", "legacy uint8"),
    (chain("INT8", ("RELU", "INT8"), ("DEQUANTIZE", "FLOAT32"), ("TANH", "FLOAT32"),
           ("QUANTIZE", "INT8")), "mixed", "mixed (float32 1, int8 1 ops)"),
    (chain("INT8", ("RELU", "INT8"), ("QUANTIZE", "UINT8"), ("RELU", "UINT8")), "mixed",
     "mixed (int8 1, uint8 1 ops)"),
    (fully_connected("FLOAT32", "INT8", around="INT8").build(), "mixed",
     "mixed (hybrid 1, int8 1 ops)"),
    # Float in, float out, integer inside: the converter's default full-integer model.
    (chain("FLOAT32", ("QUANTIZE", "INT8"), ("RELU", "INT8"), ("DEQUANTIZE", "FLOAT32")),
     "int8", "full integer (int8)"),
], ids=["none", "float32", "float16-weights", "hybrid", "weight-only", "int8", "int16x8",
        "uint8", "int8+float", "int8+uint8", "int8+hybrid", "int8-float-io"])
def test_scheme(data, scheme, label):
    analysis = quantization_of(data)
    assert (analysis.scheme, analysis.label) == (scheme, label)


def test_computes_in_integers():
    assert quantization_of(chain("INT8", ("RELU", "INT8"))).computes_in_integers
    assert not quantization_of(fully_connected("FLOAT32", "INT8").build()).computes_in_integers


# -- float islands ----------------------------------------------------------------------

def test_enclosed_island_names_its_entry_and_exit():
    data = chain("INT8", ("RELU", "INT8"), ("DEQUANTIZE", "FLOAT32"), ("TANH", "FLOAT32"),
                 ("LOGISTIC", "FLOAT32"), ("QUANTIZE", "INT8"), ("RELU", "INT8"))
    (island,) = quantization_of(data).islands
    assert island == FloatIsland(subgraph=0, ops=(2, 3), entries=(1,), exits=(4,),
                                 inputs=(), outputs=())
    assert island.enclosed


def test_float_tail_and_head_are_islands_but_not_enclosed():
    tail = chain("INT8", ("RELU", "INT8"), ("DEQUANTIZE", "FLOAT32"), ("SOFTMAX", "FLOAT32"))
    (island,) = quantization_of(tail).islands
    assert (island.ops, island.entries, island.exits, island.outputs) == ((2,), (1,), (), (3,))
    assert not island.enclosed
    head = chain("FLOAT32", ("TANH", "FLOAT32"), ("QUANTIZE", "INT8"), ("RELU", "INT8"))
    (island,) = quantization_of(head).islands
    assert (island.ops, island.entries, island.exits, island.inputs) == ((0,), (), (1,), (0,))
    assert not island.enclosed


def test_separate_islands_and_a_branching_one():
    model = ModelBuilder()
    main = model.subgraph()
    q = quantization("INT8")
    x = main.tensor("x", [1, 4], "INT8", **q)
    names = ["a", "b", "c", "d", "e", "f", "g"]
    f = {name: main.tensor(name, [1, 4]) for name in names}
    i = {name: main.tensor(f"i_{name}", [1, 4], "INT8", **q) for name in ("1", "2", "y")}
    main.op("DEQUANTIZE", [x], [f["a"]], version=2)       # 0: enters island 1
    main.op("TANH", [f["a"]], [f["b"]])                    # 1
    main.op("LOGISTIC", [f["a"]], [f["c"]])                # 2: a branch
    main.op("ADD", [f["b"], f["c"]], [f["d"]])             # 3: the branches join
    main.op("QUANTIZE", [f["d"]], [i["1"]])                # 4: leaves island 1
    main.op("RELU", [i["1"]], [i["2"]], version=2)         # 5: int8
    main.op("DEQUANTIZE", [i["2"]], [f["e"]], version=2)   # 6: enters island 2
    main.op("EXP", [f["e"]], [f["f"]])                     # 7
    main.op("QUANTIZE", [f["f"]], [i["y"]])                # 8: leaves island 2
    main.inputs, main.outputs = [x], [i["y"]]
    islands = quantization_of(model.build()).islands
    assert [(island.ops, island.entries, island.exits) for island in islands] == \
        [((1, 2, 3), (0,), (4,)), ((7,), (6,), (8,))]


def test_dequantized_weights_do_not_enter_an_island():
    # An int8 graph with one float op whose weights are int8 constants dequantized at
    # load: the weight DEQUANTIZE is no entry, the activation DEQUANTIZE is.
    model = ModelBuilder()
    main = model.subgraph()
    q = quantization("INT8")
    x, x_relu = main.tensor("x", [1, 4], "INT8", **q), main.tensor("x_relu", [1, 4], "INT8", **q)
    x_float, w_float = main.tensor("x_float", [1, 4]), main.tensor("w_float", [4, 4])
    y_float, y = main.tensor("y_float", [1, 4]), main.tensor("y", [1, 4], "INT8", **q)
    w = main.constant("w", np.ones((4, 4), np.int8), "INT8", scale=[0.1], zero_point=[0])
    main.op("RELU", [x], [x_relu], version=2)
    main.op("DEQUANTIZE", [w], [w_float], version=2)
    main.op("DEQUANTIZE", [x_relu], [x_float], version=2)
    main.op("FULLY_CONNECTED", [x_float, w_float, -1], [y_float])
    main.op("QUANTIZE", [y_float], [y])
    main.inputs, main.outputs = [x], [y]
    (island,) = quantization_of(model.build()).islands
    assert (island.ops, island.entries, island.exits) == ((3,), (2,), (4,))


def test_a_float_model_has_no_islands():
    assert quantization_of(chain("FLOAT32", ("TANH", "FLOAT32"))).islands == ()
    assert quantization_of(fully_connected("FLOAT32", "INT8").build()).islands == ()


def test_islands_in_a_called_subgraph():
    model = ModelBuilder()
    main, body, cond = model.subgraph("main"), model.subgraph("body"), model.subgraph("cond")
    q = quantization("INT8")
    x, y = main.tensor("x", [1, 4], "INT8", **q), main.tensor("y", [1, 4], "INT8", **q)
    main.op("WHILE", [x], [y], options=("WhileOptions", dict(cond_subgraph_index=2,
                                                             body_subgraph_index=1)))
    main.inputs, main.outputs = [x], [y]
    a, b = body.tensor("a", [1, 4], "INT8", **q), body.tensor("b", [1, 4], "INT8", **q)
    a_float, b_float = body.tensor("a_float", [1, 4]), body.tensor("b_float", [1, 4])
    c = body.tensor("c", [1, 4], "INT8", **q)
    body.op("RELU", [a], [b], version=2)
    body.op("DEQUANTIZE", [b], [a_float], version=2)
    body.op("TANH", [a_float], [b_float])
    body.op("QUANTIZE", [b_float], [c])
    body.inputs, body.outputs = [a], [c]
    t, u = cond.tensor("t", [1, 4], "INT8", **q), cond.tensor("u", [], "BOOL")
    cond.op("REDUCE_ANY", [t], [u])
    cond.inputs, cond.outputs = [t], [u]
    (island,) = quantization_of(model.build()).islands
    assert (island.subgraph, island.ops, island.entries, island.exits) == (1, (2,), (1,), (3,))


# -- CONVERSION_METADATA ----------------------------------------------------------------

def test_conversion_metadata_round_trip():
    data = conversion_metadata([PTQ_FLOAT16, PTQ_DYNAMIC_RANGE, PTQ_FULL_INTEGER, 4242])
    assert parse_conversion_metadata(data) == ConversionMetadata(
        tensorflow_version="2.21.0",
        optimization_modes=("PTQ_FLOAT16", "PTQ_DYNAMIC_RANGE", "PTQ_FULL_INTEGER",
                            "UNKNOWN(4242)"))
    assert parse_conversion_metadata(conversion_metadata([])).optimization_modes == ()


@pytest.mark.parametrize("cut", [0, 3, 12, 24, 40])
def test_damaged_conversion_metadata_reads_as_absent(cut):
    data = conversion_metadata([PTQ_DYNAMIC_RANGE])
    assert parse_conversion_metadata(data[:cut]) is None


def test_hostile_vector_length_reads_as_absent():
    data = bytearray(conversion_metadata([PTQ_DYNAMIC_RANGE]))
    position = bytes(data).index((PTQ_DYNAMIC_RANGE).to_bytes(4, "little")) - 4
    data[position:position + 4] = (1 << 30).to_bytes(4, "little")
    assert parse_conversion_metadata(bytes(data)) is None


def test_requested_modes_of_a_model():
    model = chain_builder("FLOAT32", ("RELU", "FLOAT32"))
    assert quantization_of(model.build()).requested_modes is None  # no metadata: unknown
    model.add_metadata("CONVERSION_METADATA", conversion_metadata([PTQ_DYNAMIC_RANGE]))
    assert quantization_of(model.build()).requested_modes == ("PTQ_DYNAMIC_RANGE",)
