"""Branches of the mixed-quantization and I/O rules (TFL201-TFL204, TFL211-TFL213) that
their rule examples do not cover, with exact locations and messages."""
from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import pytest
from conftest import SAMPLE_MODELS, lint_bytes, view_of

from builder import ModelBuilder
from tfllint.engine.rule import Location
from tfllint.rules._quantization import is_uint8_io_wrapper

sys.path.insert(0, str(Path(__file__).parent / "rule_examples"))
from _mixed_quant import (PTQ_DYNAMIC_RANGE, PTQ_FLOAT16, chain, chain_builder,  # noqa: E402
                          conversion_metadata, fully_connected, quantization)
from rule_examples import tfl201, tfl203, tfl211, tfl212  # noqa: E402

OURS = ("TFL201", "TFL202", "TFL203", "TFL204", "TFL211", "TFL212", "TFL213")


def findings(data: bytes, rule: str, **settings) -> list:
    return [f for f in lint_bytes(data, **{"runtime-version": "2.21", **settings})
            if f.rule == rule]


def located(data: bytes, rule: str, **settings) -> set:
    return {f.location for f in findings(data, rule, **settings)}


def message(data: bytes, rule: str, **settings) -> str:
    (finding,) = findings(data, rule, **settings)
    return finding.message


# What each sample model is and therefore which of these rules it must fire: the int8
# samples have quantized integer I/O (TFL213 gives the formulas); nothing else applies.
SAMPLE_FINDINGS = {
    "cnn_int8": {("TFL213", "serving_default_image:0"), ("TFL213", "StatefulPartitionedCall:0")},
    "cnn_int8_metadata": {("TFL213", "serving_default_image:0"),
                          ("TFL213", "StatefulPartitionedCall:0")},
    "cnn_int8_uint8io": {("TFL213", "serving_default_image:0"),
                         ("TFL213", "StatefulPartitionedCall:0")},
    "micro_int8": {("TFL213", "serving_default_x:0"), ("TFL213", "StatefulPartitionedCall:0")},
}


@pytest.mark.parametrize("path", SAMPLE_MODELS, ids=[p.stem for p in SAMPLE_MODELS])
def test_sample_models(path):
    fired = {(f.rule, f.location.tensor) for f in lint_bytes(path.read_bytes(),
                                                             **{"runtime-version": "2.21"})
             if f.rule in OURS}
    assert fired == SAMPLE_FINDINGS.get(path.stem, set())


# -- TFL201 float-island-in-integer-graph ----------------------------------------------

def test_tfl201_message_names_entry_ops_and_exit():
    assert message(tfl201.bad(), "TFL201") == (
        "float island of 2 ops in the int8 graph: DEQUANTIZE op 1 enters, TANH op 2 and "
        "LOGISTIC op 3 compute in float32, QUANTIZE op 4 leaves")


def test_tfl201_leaves_float_heads_and_tails_alone():
    tail = chain("INT8", ("RELU", "INT8"), ("DEQUANTIZE", "FLOAT32"), ("SOFTMAX", "FLOAT32"))
    head = chain("FLOAT32", ("TANH", "FLOAT32"), ("QUANTIZE", "INT8"), ("RELU", "INT8"))
    assert findings(tail, "TFL201") == findings(head, "TFL201") == []


def test_tfl201_leaves_hybrid_only_islands_to_tfl203():
    data = fully_connected("FLOAT32", "INT8", around="INT8").build()
    assert findings(data, "TFL201") == []
    assert located(data, "TFL203") == {location for _, location in tfl203.BAD}


def test_tfl201_island_that_also_writes_a_model_output():
    model = ModelBuilder()
    main = model.subgraph()
    q = quantization("INT8")
    x, i, f, g = (main.tensor("x", [1, 4], "INT8", **q), main.tensor("i", [1, 4], "INT8", **q),
                  main.tensor("f", [1, 4]), main.tensor("g", [1, 4]))
    y = main.tensor("y", [1, 4], "INT8", **q)
    main.op("RELU", [x], [i], version=2)
    main.op("DEQUANTIZE", [i], [f], version=2)
    main.op("TANH", [f], [g])
    main.op("QUANTIZE", [g], [y])
    main.inputs, main.outputs = [x], [y, g]
    data = model.build()
    assert located(data, "TFL201") == {Location(subgraph=0, op_index=2, op="TANH")}
    assert message(data, "TFL201").endswith("; it also writes the float output 'g' (#3)")


def test_tfl201_two_islands_two_findings():
    data = chain("INT8", ("RELU", "INT8"), ("DEQUANTIZE", "FLOAT32"), ("TANH", "FLOAT32"),
                 ("QUANTIZE", "INT8"), ("RELU", "INT8"), ("DEQUANTIZE", "FLOAT32"),
                 ("EXP", "FLOAT32"), ("QUANTIZE", "INT8"))
    assert located(data, "TFL201") == {Location(subgraph=0, op_index=2, op="TANH"),
                                       Location(subgraph=0, op_index=6, op="EXP")}


# -- TFL202 int8-uint8-mixed -----------------------------------------------------------

def test_tfl202_message_and_the_minority_type():
    data = chain("UINT8", ("RELU", "UINT8"), ("RELU", "UINT8"), ("QUANTIZE", "INT8"),
                 ("RELU", "INT8"))
    assert located(data, "TFL202", ignore=["TFL213"]) == \
        {Location(subgraph=0, op_index=3, op="RELU")}
    assert message(data, "TFL202", ignore=["TFL213"]) == (
        "the model computes in int8 (1 op) and in uint8 (2 ops); this is its first int8 op; "
        "QUANTIZE op 2 converts between them")


def test_uint8_io_wrapper_is_recognised_exactly():
    sample = next(p for p in SAMPLE_MODELS if p.stem == "cnn_int8_uint8io")
    view = view_of(sample.read_bytes())
    quantizes = [op for op in view.operators() if op.opcode.name == "QUANTIZE"]
    assert [is_uint8_io_wrapper(view, op) for op in quantizes] == [True, True]
    # Zero points not 128 apart: a requantization, not the converter's wrapper.
    view = view_of(chain("UINT8", ("QUANTIZE", "INT8", 5), ("RELU", "INT8", 5),
                         input_zero_point=128))
    assert not is_uint8_io_wrapper(view, view.main.operators[0])


# -- TFL203 hybrid-op-in-integer-model -------------------------------------------------

def test_tfl203_message():
    assert message(tfl203.bad(), "TFL203", ignore=["TFL213"]) == (
        "FULLY_CONNECTED op 2 computes on float activations with int8 weights 'w' (#1) "
        "(a dynamic-range kernel) in a model that otherwise computes in int8")


def test_tfl203_silent_on_a_dynamic_range_model():
    assert findings(fully_connected("FLOAT32", "INT8").build(), "TFL203") == []


# -- TFL204 quantize-dequantize-round-trip ---------------------------------------------

def test_tfl204_quantize_dequantize_message():
    data = chain("FLOAT32", ("QUANTIZE", "INT8"), ("DEQUANTIZE", "FLOAT32"), ("RELU", "FLOAT32"))
    assert message(data, "TFL204") == (
        "QUANTIZE op 0 converts 'x' (#0) from float32 to int8 and its only reader, "
        "DEQUANTIZE op 1, converts it straight back to float32: the pair only rounds the "
        "values to the int8 grid")


def test_tfl204_dequantize_quantize_with_the_same_parameters():
    same = chain("INT8", ("RELU", "INT8"), ("DEQUANTIZE", "FLOAT32"), ("QUANTIZE", "INT8"),
                 ("RELU", "INT8"))
    assert located(same, "TFL204", ignore=["TFL213"]) == {
        Location(subgraph=0, op_index=1, op="DEQUANTIZE", tensor="t0", tensor_index=1)}
    assert message(same, "TFL204", ignore=["TFL213"]) == (
        "DEQUANTIZE op 1 converts 't0' (#1) from int8 to float32 and its only reader, "
        "QUANTIZE op 2, converts it back to int8 with the same scale 0.5, zero point 0: "
        "the pair does nothing")
    rescaled = chain("INT8", ("RELU", "INT8"), ("DEQUANTIZE", "FLOAT32"),
                     ("QUANTIZE", "INT8", 3), ("RELU", "INT8", 3))
    assert findings(rescaled, "TFL204", ignore=["TFL213"]) == []


def test_tfl204_requantize_to_the_same_parameters():
    same = chain("INT8", ("QUANTIZE", "INT8"), ("RELU", "INT8"))
    assert located(same, "TFL204", ignore=["TFL213"]) == {
        Location(subgraph=0, op_index=0, op="QUANTIZE", tensor="x", tensor_index=0)}
    assert "requantizes 'x' (#0) from int8 to int8 with the same scale 0.5, zero point 0" \
        in message(same, "TFL204", ignore=["TFL213"])
    rescaled = chain("INT8", ("QUANTIZE", "INT8", 7), ("RELU", "INT8", 7))
    assert findings(rescaled, "TFL204", ignore=["TFL213"]) == []


def test_tfl204_needs_a_single_reader_that_is_not_an_output():
    # The quantized tensor is also a model output: the caller reads it, the pair is not idle.
    model = chain_builder("FLOAT32", ("QUANTIZE", "INT8"), ("DEQUANTIZE", "FLOAT32"))
    model.subgraphs[0].outputs = [1, 2]
    assert findings(model.build(), "TFL204", ignore=["TFL213"]) == []
    # A second reader of the quantized tensor.
    model = chain_builder("FLOAT32", ("QUANTIZE", "INT8"), ("DEQUANTIZE", "FLOAT32"))
    main = model.subgraphs[0]
    extra = main.tensor("extra", [1, 4], "INT8", **quantization("INT8"))
    main.op("RELU", [1], [extra], version=2)
    main.outputs = [2, extra]
    assert findings(model.build(), "TFL204", ignore=["TFL213"]) == []


def test_tfl204_ignores_weight_dequantization():
    # int8 weights dequantized then re-quantized with the same parameters are constants,
    # not activations: the converter's business, not an idle round trip in the graph.
    model = ModelBuilder()
    main = model.subgraph()
    q = quantization("INT8")
    w = main.constant("w", np.ones((1, 4), np.int8), "INT8", **q)
    w_float, w_again = main.tensor("w_float", [1, 4]), main.tensor("w_again", [1, 4], "INT8", **q)
    x, y = main.tensor("x", [1, 4], "INT8", **q), main.tensor("y", [1, 4], "INT8", **q)
    main.op("DEQUANTIZE", [w], [w_float], version=2)
    main.op("QUANTIZE", [w_float], [w_again])
    main.op("ADD", [x, w_again], [y], version=2)
    main.inputs, main.outputs = [x], [y]
    assert findings(model.build(), "TFL204", ignore=["TFL213"]) == []


# -- TFL211 dynamic-range-quantized-nothing --------------------------------------------

def with_metadata(model: ModelBuilder, modes) -> bytes:
    model.add_metadata("CONVERSION_METADATA", conversion_metadata(modes))
    return model.build()


def test_tfl211_message():
    assert message(tfl211.bad(), "TFL211") == (
        "the conversion asked for dynamic-range quantization (CONVERSION_METADATA: "
        "PTQ_DYNAMIC_RANGE), but nothing was quantized: the converter skips float weights "
        "with fewer than 1024 elements, and the model's only quantizable weight, 'w' (#1) "
        "of FULLY_CONNECTED op 0, has 64")


def test_tfl211_names_the_largest_of_several_weights():
    model = ModelBuilder()
    main = model.subgraph()
    x, h, y = main.tensor("x", [1, 8]), main.tensor("h", [1, 16]), main.tensor("y", [1, 4])
    w1 = main.constant("w1", np.ones((16, 8), np.float32))
    w2 = main.constant("w2", np.ones((4, 16), np.float32))
    main.op("FULLY_CONNECTED", [x, w1, -1], [h])
    main.op("FULLY_CONNECTED", [h, w2, -1], [y])
    main.inputs, main.outputs = [x], [y]
    data = with_metadata(model, [PTQ_DYNAMIC_RANGE])
    assert message(data, "TFL211").endswith(
        "and the largest of the model's 2 quantizable weights, 'w1' (#3) of "
        "FULLY_CONNECTED op 0, has 128")


def test_tfl211_needs_the_request():
    small = fully_connected("FLOAT32", "FLOAT32", units=8, depth=8)
    assert findings(small.build(), "TFL211") == []  # no metadata: intent unknown
    assert findings(with_metadata(small, []), "TFL211") == []  # a float conversion
    small = fully_connected("FLOAT32", "FLOAT32", units=8, depth=8)
    assert findings(with_metadata(small, [PTQ_FLOAT16]), "TFL211") == []


def test_tfl211_without_metadata_option():
    options = {"rule-options": {"TFL211": {"without-metadata": True}}}
    small = fully_connected("FLOAT32", "FLOAT32", units=8, depth=8).build()
    assert message(small, "TFL211", **options).startswith(
        "if you asked for dynamic-range quantization, nothing was quantized (this file has "
        "no CONVERSION_METADATA to say whether you did): the converter skips")
    # Big enough to be quantized, or no candidate weights at all: not the silent no-op.
    large = fully_connected("FLOAT32", "FLOAT32", units=32, depth=32).build()
    assert findings(large, "TFL211", **options) == []
    assert findings(chain("FLOAT32", ("RELU", "FLOAT32")), "TFL211", **options) == []


def test_tfl211_no_quantizable_op():
    data = with_metadata(chain_builder("FLOAT32", ("RELU", "FLOAT32")), [PTQ_DYNAMIC_RANGE])
    assert message(data, "TFL211").endswith(
        "nothing was quantized: no op has weights the dynamic-range quantizer handles "
        "(BATCH_MATMUL, BIDIRECTIONAL_SEQUENCE_LSTM, CONV_2D, DEPTHWISE_CONV_2D, "
        "EMBEDDING_LOOKUP, FULLY_CONNECTED, GATHER, LSTM, SVDF, TRANSPOSE_CONV, "
        "UNIDIRECTIONAL_SEQUENCE_LSTM, UNIDIRECTIONAL_SEQUENCE_RNN)")


def test_tfl211_large_float_weight_left_unquantized():
    data = with_metadata(fully_connected("FLOAT32", "FLOAT32", units=32, depth=32),
                         [PTQ_DYNAMIC_RANGE])
    assert message(data, "TFL211").endswith(
        "nothing was quantized: although 'w' (#1) of FULLY_CONNECTED op 0 has 1024 elements, "
        "at least the 1024 the converter needs to quantize a weight (see the converter's "
        "log for why it did not)")


# -- TFL212 quantized-model-float-io ---------------------------------------------------

def test_tfl212_messages():
    messages = sorted(f.message for f in findings(tfl212.bad(), "TFL212"))
    assert messages == [
        "input 'x' (#0) is float32 [1, 4]: callers feed floats, and as the model computes "
        "in int8, QUANTIZE op 0 converts all 4 elements on every call (scale 0.5, zero "
        "point 0); an int8 input would take 4 bytes instead of 16",
        "output 'y' (#3) is float32 [1, 4]: callers read floats, which DEQUANTIZE op 2 "
        "makes from the int8 result on every call (4 elements; scale 0.5, zero point 0); "
        "an int8 output would take 4 bytes instead of 16"]


def test_tfl212_uint8_and_int16_models():
    uint8 = chain("FLOAT32", ("QUANTIZE", "UINT8"), ("RELU", "UINT8"), ("DEQUANTIZE", "FLOAT32"))
    assert [f.message.rsplit("; ", 1)[1] for f in findings(uint8, "TFL212")] == [
        "a uint8 input would take 4 bytes instead of 16",
        "a uint8 output would take 4 bytes instead of 16"]
    int16 = chain("FLOAT32", ("QUANTIZE", "INT16"), ("RELU", "INT16"), ("DEQUANTIZE", "FLOAT32"))
    assert [f.message.rsplit("; ", 1)[1] for f in findings(int16, "TFL212")] == [
        "an int16 input would take 8 bytes instead of 16",
        "an int16 output would take 8 bytes instead of 16"]


def test_tfl212_input_also_read_by_a_float_op():
    model = chain_builder("FLOAT32", ("QUANTIZE", "INT8"), ("RELU", "INT8"),
                          ("DEQUANTIZE", "FLOAT32"))
    main = model.subgraphs[0]
    side = main.tensor("side", [1, 4])
    main.op("TANH", [0], [side])
    main.outputs = [3, side]
    assert located(model.build(), "TFL212") == {
        Location(subgraph=0, op_index=2, op="DEQUANTIZE", tensor="y", tensor_index=3)}


def test_tfl212_silent_on_float_models():
    assert findings(chain("FLOAT32", ("QUANTIZE", "INT8"), ("DEQUANTIZE", "FLOAT32")),
                    "TFL212") == []


# -- TFL213 integer-io-needs-quantizing ------------------------------------------------

@pytest.mark.parametrize("dtype, zero_point, input_text, output_text", [
    ("INT8", -3, "q = round(real / 0.5) - 3, clipped to [-128, 127]", "real = 0.5 * (q + 3)"),
    ("UINT8", 128, "q = round(real / 0.5) + 128, clipped to [0, 255]",
     "real = 0.5 * (q - 128)"),
    ("INT16", 0, "q = round(real / 0.5), clipped to [-32768, 32767]", "real = 0.5 * q"),
])
def test_tfl213_formulas(dtype, zero_point, input_text, output_text):
    data = chain(dtype, ("RELU", dtype, zero_point), input_zero_point=zero_point)
    found = {f.location.tensor: f.message for f in findings(data, "TFL213")}
    assert found == {
        "x": f"input 'x' (#0) is {dtype.lower()}: quantize real values before feeding, "
             f"{input_text}",
        "y": f"output 'y' (#1) is {dtype.lower()}: dequantize what you read, {output_text}"}


def test_tfl213_per_channel_input():
    model = ModelBuilder()
    main = model.subgraph()
    x = main.tensor("x", [1, 2], "INT8", scale=[0.5, 0.25], zero_point=[0, 0],
                    quantized_dimension=1)
    y = main.tensor("y", [1, 2])
    main.op("DEQUANTIZE", [x], [y], version=2)
    main.inputs, main.outputs = [x], [y]
    assert message(model.build(), "TFL213") == (
        "input 'x' (#0) is int8: quantize real values before feeding per channel along "
        "dimension 1, with 2 scales (0.5, 0.25) and their zero points")


def test_tfl213_needs_quantization_parameters():
    model = ModelBuilder()
    main = model.subgraph()
    x, y = main.tensor("x", [1, 4], "INT8"), main.tensor("y", [1, 4], "INT32")
    main.op("CAST", [x], [y])
    main.inputs, main.outputs = [x], [y]
    assert findings(model.build(), "TFL213") == []


def test_detection_postprocess_anchors_are_its_input_not_hybrid_weights():
    """uint8 SSD models feed TFLite_Detection_PostProcess float boxes and scores and uint8
    constant anchors: that custom op runs so, it is no dynamic-range kernel (TFL203)."""
    from builder import ModelBuilder

    model = ModelBuilder()
    main = model.subgraph()
    quantized = dict(scale=[0.1], zero_point=[128])
    image = main.tensor("image", [1, 4, 4], "UINT8", **quantized)
    boxes_q = main.tensor("boxes_q", [1, 4, 4], "UINT8", **quantized)
    main.op("RELU", [image], [boxes_q])
    boxes = main.tensor("boxes", [1, 4, 4])
    main.op("DEQUANTIZE", [boxes_q], [boxes])
    logits = main.tensor("logits", [1, 4, 2])
    scores = main.tensor("scores", [1, 4, 2])
    main.op("LOGISTIC", [logits], [scores])
    anchors = main.constant("anchors", np.full((4, 4), 128, np.uint8), "UINT8", **quantized)
    outputs = [main.tensor(name, shape) for name, shape in (
        ("detection_boxes", [1, 10, 4]), ("detection_classes", [1, 10]),
        ("detection_scores", [1, 10]), ("num_detections", [1]))]
    main.op("CUSTOM", [boxes, scores, anchors], outputs,
            custom_code="TFLite_Detection_PostProcess")
    main.inputs, main.outputs = [image, logits], outputs
    findings = lint_bytes(model.build(), **{"runtime-version": "2.21"})
    assert "TFL203" not in {f.rule for f in findings}
    assert findings  # linted: TFL213 and others still report
