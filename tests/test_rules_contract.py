"""The TFL5xx input/output contract rules: branches beyond each rule's examples, the sample
models, and the runtime behaviour the rules predict, checked against ai-edge-litert."""
from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import pytest
from builder import ModelBuilder
from conftest import MODELS, lint_bytes, rule_locations

sys.path.insert(0, str(Path(__file__).parent / "rule_examples"))
from _contract_models import difference, flatten, relu  # noqa: E402
from rule_examples import tfl003, tfl501, tfl505, tfl506  # noqa: E402
from rule_examples.tfl507 import image_metadata  # noqa: E402
from test_support_metadata import (  # noqa: E402
    IMAGE, NORMALIZATION, FlatbufferWriter, content, process_unit, tensor)

from tfllint.engine.rule import Location  # noqa: E402
from tfllint.rules._contract import caller_name, is_generated  # noqa: E402

RUNTIME = {"runtime-version": "2.21"}
NPU = str(Path(__file__).resolve().parent / "data" / "test_npu.toml")


def contract_findings(data: bytes, **settings) -> list:
    return [f for f in lint_bytes(data, **{**RUNTIME, **settings}) if f.rule.startswith("TFL5")]


def messages(findings, rule_id: str) -> list[str]:
    return [f.message for f in findings if f.rule == rule_id]


def at(name: str, index: int) -> Location:
    return Location(subgraph=0, tensor=name, tensor_index=index)


def sample(name: str) -> bytes:
    return (MODELS / f"{name}.tflite").read_bytes()


# -- the sample models ----------------------------------------------------------------------

SAMPLE_FINDINGS = {
    "cnn_float16": {("TFL507", at("serving_default_image:0", 0))},
    "cnn_float32": {("TFL507", at("serving_default_image:0", 0))},
    "cnn_int8": {("TFL507", at("serving_default_image:0", 0))},
    "cnn_int8_metadata": set(),
    "cnn_int8_uint8io": {("TFL507", at("serving_default_image:0", 0))},
    "dense_dynamic_range": set(),
    "dynamic_batch": {("TFL501", at("serving_default_features:0", 0))},
    "flex_op": set(),
    "micro_int8": set(),
    "two_inputs": {("TFL503", at("serving_default_key:0", 0))},
    "while_loop": set(),
}


@pytest.mark.parametrize("name", sorted(SAMPLE_FINDINGS))
def test_sample_models_fire_exactly_these_contract_rules(name):
    assert rule_locations(contract_findings(sample(name))) == SAMPLE_FINDINGS[name]


def test_every_sample_model_is_listed():
    assert sorted(path.stem for path in MODELS.glob("*.tflite")) == sorted(SAMPLE_FINDINGS)


# -- TFL501 dynamic-input-dimension ---------------------------------------------------------

def test_dynamic_batch_sample_says_how_to_resize():
    assert messages(contract_findings(sample("dynamic_batch")), "TFL501") == [
        "input 0 'serving_default_features:0' has dimension 0 unknown until run time "
        "(shape_signature [-1, 16]); the file's shape [1, 16] is a placeholder the interpreter "
        "allocates, so call resize_tensor_input(0, [n, 16]) and allocate_tensors() before "
        "feeding another size; delegates that take only static-sized tensors (GPU, Core ML, "
        "and NNAPI and Hexagon at their defaults) are rebuilt for each new size, and the Edge "
        "TPU compiler refuses it"]


def test_constant_reshape_shape_bakes_the_placeholder_in():
    [message] = messages(contract_findings(tfl501.bad()), "TFL501")
    assert ("op 0 RESHAPE reshapes data from it to the constant shape [1, 16], which has no "
            "-1, so any other size fails in allocate_tensors() (\"num_input_elements != "
            "num_output_elements\", or with XNNPACK \"XNNPack delegate failed to reshape "
            "runtime\")") in message


def test_reshape_that_keeps_minus_one_is_no_trap():
    [message] = messages(contract_findings(flatten([-1, 4, 4])), "TFL501")
    assert "RESHAPE" not in message


def test_reshape_to_a_shape_computed_at_run_time_is_no_trap():
    model = ModelBuilder()
    main = model.subgraph()
    x = main.tensor("x", [1, 4, 4], shape_signature=[-1, 4, 4])
    shape = main.tensor("shape", [2], "INT32")
    y = main.tensor("y", [1, 16], shape_signature=[-1, 16])
    main.op("RESHAPE", [x, shape], [y])
    main.inputs, main.outputs = [x, shape], [y]
    model.signature("serving_default", {"shape": shape, "x": x}, {"y": y})
    [message] = messages(contract_findings(model.build()), "TFL501")
    assert "RESHAPE" not in message


def test_reshape_of_another_input_is_not_blamed_on_this_one():
    model = ModelBuilder()
    main = model.subgraph()
    tokens = main.tensor("tokens", [1, 8], shape_signature=[1, -1])
    x = main.tensor("x", [1, 4, 4], shape_signature=[-1, 4, 4])
    new_shape = main.constant("new_shape", np.array([1, 16], np.int32), "INT32")
    y = main.tensor("y", [1, 16])
    z = main.tensor("z", [1, 8], shape_signature=[1, -1])
    main.op("RESHAPE", [x, new_shape], [y])
    main.op("RELU", [tokens], [z])
    main.inputs, main.outputs = [tokens, x], [y, z]
    model.signature("serving_default", {"tokens": tokens, "x": x}, {"y": y, "z": z})
    found = {f.location.tensor: f.message for f in contract_findings(model.build())
             if f.rule == "TFL501"}
    assert "RESHAPE" in found["x"] and "RESHAPE" not in found["tokens"]
    assert "has dimension 1 unknown" in found["tokens"]


def test_several_dynamic_dimensions_are_named():
    model = ModelBuilder()
    main = model.subgraph()
    x = main.tensor("x", [1, 1, 1, 3], shape_signature=[-1, -1, -1, 3])
    y = main.tensor("y", [1, 1, 1, 3], shape_signature=[-1, -1, -1, 3])
    main.op("RELU", [x], [y])
    main.inputs, main.outputs = [x], [y]
    model.signature("serving_default", {"x": x}, {"y": y})
    [message] = messages(contract_findings(model.build(), ignore=["TFL507"]), "TFL501")
    assert message.startswith("input 0 'x' has dimensions 0, 1, 2 unknown until run time "
                              "(shape_signature [-1, -1, -1, 3]); the file's shape [1, 1, 1, 3] "
                              "is a placeholder the interpreter allocates, so call "
                              "resize_tensor_input(0, [n, n, n, 3])")


TARGET_NOTES = {
    "gpu": "the LiteRT GPU delegate takes only static-sized tensors: each resize undoes it "
           "and allocate_tensors() builds it again for the new size, and it is refused if a "
           "size then depends on values computed at run time (\"Attempting to use a delegate "
           "that only supports static-sized tensors with a graph that has dynamic-sized "
           "tensors\")",
    "nnapi": "the NNAPI delegate takes only static-sized tensors (unless "
             "allow_dynamic_dimensions is set): ",
    "hexagon": "the Hexagon delegate takes only static-sized tensors (unless the experimental "
               "enable_dynamic_batch_size is set): ",
    "coreml": "the LiteRT Core ML delegate takes only static-sized tensors: ",
    "xnnpack": "the XNNPACK delegate follows each resize (its subgraph reshaping is on by "
               "default)",
    "cpu": "the LiteRT CPU runtime runs it at whatever size it is resized to",
    "tflm": "TFLite Micro reads only `shape`: it always runs at [1, 4] and cannot be resized",
    "coral": "the Coral Edge TPU refuses it: it needs static shapes (TFL302 reports it)",
    "ethos-u55": "the Arm Ethos-U55 NPU compiles it with batch 1 (Vela reads a -1 batch as 1)",
    NPU: "the test NPU refuses it: it needs static shapes (TFL302 reports it)",
}


@pytest.mark.parametrize("target", sorted(TARGET_NOTES))
def test_each_target_says_what_it_does_with_a_dynamic_batch(target):
    [message] = messages(contract_findings(relu_dynamic([-1, 4]), target=[target]), "TFL501")
    assert "; " + TARGET_NOTES[target] in message
    assert "delegates that take only static-sized tensors (GPU" not in message


def relu_dynamic(signature: list[int]) -> bytes:
    model = ModelBuilder()
    main = model.subgraph()
    x = main.tensor("x", [1, 4], shape_signature=signature)
    y = main.tensor("y", [1, 4], shape_signature=signature)
    main.op("RELU", [x], [y])
    main.inputs, main.outputs = [x], [y]
    model.signature("serving_default", {"x": x}, {"y": y})
    return model.build()


def test_ethos_u_puts_ops_with_a_later_dynamic_dimension_on_the_cpu():
    [message] = messages(contract_findings(relu_dynamic([1, -1]), target=["ethos-u55"]),
                         "TFL501")
    assert message.endswith("the Arm Ethos-U55 NPU puts the ops that touch a dynamic "
                            "dimension after the first on the CPU (Vela: \"Only the first "
                            "dimension of tensors can be dynamic.\")")


def test_a_profile_without_static_shapes_says_so(tmp_path):
    profile = tmp_path / "plain.toml"
    profile.write_text('[target]\nname = "plain"\ntitle = "the plain NPU"\n'
                       'partitioning = "all"\n[ops.RELU]\n')
    [message] = messages(contract_findings(relu_dynamic([-1, 4]), target=[str(profile)]),
                         "TFL501")
    assert message.endswith("; the plain NPU's profile does not require static shapes")


def test_several_targets_give_one_finding_with_a_note_each():
    findings = contract_findings(relu_dynamic([-1, 4]), target=["xnnpack", "tflm"])
    assert rule_locations(findings) == {("TFL501", at("x", 0))}
    [message] = messages(findings, "TFL501")
    assert message.endswith(f"; {TARGET_NOTES['xnnpack']}; {TARGET_NOTES['tflm']}")


# -- TFL502 batch-not-one -------------------------------------------------------------------

def test_edge_tpu_expects_batch_one_for_rank_four_inputs():
    findings = contract_findings(relu([2, 16, 16, 8]), target=["coral"])
    assert rule_locations(findings) == {("TFL502", at("x", 0))}
    [finding] = [f for f in findings if f.rule == "TFL502"]
    assert finding.target == "coral"
    assert finding.message == (
        "input 0 'x' has a fixed batch of 2 (shape [2, 16, 16, 8]); the Edge TPU maps a "
        "tensor of rank 4 only when every dimension before the 3 innermost is 1, so the ops "
        "reading it stay on the CPU")


def test_edge_tpu_maps_a_rank_two_batch():
    assert messages(contract_findings(relu([2, 8]), target=["coral"]), "TFL502") == []


def test_gpu_reports_its_opengl_backend():
    [finding] = [f for f in contract_findings(relu([4, 8]), target=["gpu", "xnnpack"])
                 if f.rule == "TFL502"]
    assert finding.target == "gpu"
    assert finding.message.endswith(
        "the GPU delegate's OpenGL ES backend (used where OpenCL is missing) takes only "
        "batch 1: \"ToTensorConverter: Batch size != 1 is not supported.\"")


@pytest.mark.parametrize("shape, signature, settings", [
    ([2, 8], None, {}),  # no target that expects batch 1
    ([2, 8], None, {"target": ["xnnpack"]}),
    ([1, 8], [-1, 8], {"target": ["gpu"]}),  # a dynamic batch is TFL501's
    ([8], None, {"target": ["gpu"]}),  # rank 1 has no batch
])
def test_batch_not_one_stays_quiet(shape, signature, settings):
    model = ModelBuilder()
    main = model.subgraph()
    x = main.tensor("x", shape, shape_signature=signature)
    y = main.tensor("y", shape, shape_signature=signature)
    main.op("RELU", [x], [y])
    main.inputs, main.outputs = [x], [y]
    model.signature("serving_default", {"x": x}, {"y": y})
    assert messages(contract_findings(model.build(), **settings), "TFL502") == []


# -- TFL503 ambiguous-input-order -----------------------------------------------------------

def test_two_inputs_sample_names_its_signature():
    assert messages(contract_findings(sample("two_inputs")), "TFL503") == [
        "inputs 0 'serving_default_key:0' and 1 'serving_default_query:0' are both float32 "
        "[1, 8], so only their order tells them apart: signature 'serving_default' names "
        "them 'key' and 'query'; call it by name, "
        "interpreter.get_signature_runner('serving_default')(key=..., query=...), not by "
        "position"]


def two_outputs(*, signature: dict[str, int] | None, third_input: bool = False) -> bytes:
    model = ModelBuilder()
    main = model.subgraph()
    x = main.tensor("x", [1, 4])
    low, high = main.tensor("low", [1, 4]), main.tensor("high", [1, 4])
    main.op("RELU", [x], [low])
    main.op("RELU6", [x], [high])
    main.inputs, main.outputs = [x], [high, low]
    if signature is not None:
        names = {name: {"high": high, "low": low}[tensor] for name, tensor in signature.items()}
        model.signature("serving_default", {"x": x}, names)
    return model.build()


def test_outputs_of_one_shape_are_read_by_name():
    findings = contract_findings(two_outputs(signature={"high": "high", "low": "low"}),
                                 ignore=["TFL506"])
    assert rule_locations(findings) == {("TFL503", at("high", 2))}
    assert messages(findings, "TFL503") == [
        "outputs 0 'high' and 1 'low' are both float32 [1, 4], so only their order tells them "
        "apart: signature 'serving_default' names them 'high' and 'low'; read them by name "
        "from the dict get_signature_runner('serving_default')(...) returns, not by "
        "position"]


def test_a_signature_that_names_only_some_of_them_does_not_help():
    [message] = messages(contract_findings(two_outputs(signature={"high": "high"})), "TFL503")
    assert message.endswith("no signature names them all, so callers can only go by position: "
                            "add them to the signature, or document the order")


def test_without_a_signature_only_positions_are_left():
    [message] = messages(contract_findings(two_outputs(signature=None)), "TFL503")
    assert message.endswith("the model has no signature, so callers can only go by position: "
                            "convert with a signature (named inputs and outputs), or document "
                            "the order")


def test_an_output_nothing_writes_is_left_to_tfl003():
    assert rule_locations(lint_bytes(tfl003.bad(), **RUNTIME)) == tfl003.BAD


def test_three_inputs_of_one_shape():
    data = difference([("a", [1, 4]), ("b", [1, 4]), ("c", [1, 4])])
    [message] = messages(contract_findings(data), "TFL503")
    assert message.startswith("inputs 0 'a', 1 'b' and 2 'c' are all float32 [1, 4]")
    assert "get_signature_runner('serving_default')(a=..., b=..., c=...)" in message


# -- TFL504 unhelpful-tensor-names ----------------------------------------------------------

@pytest.mark.parametrize("name, chosen, generated", [
    ("serving_default_image:0", "image", False),
    ("serving_default_args_0:0", "args_0", True),
    ("serving_default_input_1:0", "input_1", True),
    ("serving_default_keras_tensor_3:0", "keras_tensor_3", True),
    ("StatefulPartitionedCall:0", "StatefulPartitionedCall", True),
    ("StatefulPartitionedCall_1:11", "StatefulPartitionedCall_1", True),
    ("PartitionedCall:1", "PartitionedCall", True),
    ("Identity_2", "Identity_2", True),
    ("tf.identity_1", "tf.identity_1", True),
    ("Placeholder", "Placeholder", True),
    ("input_layer", "input_layer", True),
    ("output_0", "output_0", True),
    ("inputs", "inputs", True),
    ("123", "123", True),
    ("", "", True),
    ("serving_default_", "serving_default_", False),
    ("input", "input", False),
    ("output_scores", "output_scores", False),
    ("input_ids", "input_ids", False),
    ("x", "x", False),
])
def test_generated_names(name, chosen, generated):
    assert caller_name(name) == chosen
    assert is_generated(chosen) is generated


def test_another_signature_key_is_stripped_too():
    assert caller_name("encode_tokens:0", ["encode"]) == "tokens"


def keras_like_outputs(tensor_names: list[str], signature_names: list[str] | None) -> bytes:
    model = ModelBuilder()
    main = model.subgraph()
    x = main.tensor("serving_default_image:0", [1, 4])
    outputs = [main.tensor(name, [1, 4 + i]) for i, name in enumerate(tensor_names)]
    for output in outputs:
        main.op("FULLY_CONNECTED", [x, main.constant(
            f"w{output}", np.zeros((main.tensors[output]["shape"][1], 4), np.float32))],
            [output])
    main.inputs, main.outputs = [x], outputs
    if signature_names is not None:
        model.signature("serving_default", {"image": x},
                        dict(zip(signature_names, outputs)))
    return model.build()


def test_keras_outputs_have_only_generated_names():
    data = keras_like_outputs(["StatefulPartitionedCall_1:0", "StatefulPartitionedCall_1:1"],
                              ["output_0", "output_1"])
    findings = contract_findings(data)
    assert rule_locations(findings) == {("TFL504", Location())}
    assert messages(findings, "TFL504") == [
        "2 outputs have only generated names: output 0 'StatefulPartitionedCall_1:0' "
        "(signature 'serving_default': 'output_0'); output 1 'StatefulPartitionedCall_1:1' "
        "(signature 'serving_default': 'output_1')"]


def test_a_chosen_signature_name_is_enough():
    data = keras_like_outputs(["StatefulPartitionedCall:0", "StatefulPartitionedCall:1"],
                              ["boxes", "scores"])
    assert messages(contract_findings(data), "TFL504") == []


def test_tensor_and_signature_names_that_disagree():
    data = keras_like_outputs(["mask", "Identity"], ["weights", "output_1"])
    assert messages(contract_findings(data), "TFL504") == [
        "1 output has only generated names: output 1 'Identity' (signature "
        "'serving_default': 'output_1'). tensor and signature names differ: output 0 'mask' "
        "is 'weights' in signature 'serving_default'"]


def test_empty_names_without_a_signature():
    data = keras_like_outputs(["", ""], None)
    assert messages(contract_findings(data, ignore=["TFL505"]), "TFL504") == [
        "2 outputs have only generated names: output 0 (unnamed); output 1 (unnamed)"]


def test_a_lone_output_is_looked_at_only_with_min_count_one():
    data = keras_like_outputs(["StatefulPartitionedCall:0"], ["output_0"])
    assert messages(contract_findings(data), "TFL504") == []
    option = {"rule-options": {"TFL504": {"min-count": 1}}}
    assert messages(contract_findings(data, **option), "TFL504") == [
        "1 output has only generated names: output 0 'StatefulPartitionedCall:0' "
        "(signature 'serving_default': 'output_0')"]


# -- TFL505 missing-signature-def -----------------------------------------------------------

def test_missing_signature_lists_the_positions():
    assert messages(contract_findings(tfl505.bad()), "TFL505") == [
        "the model has no signature defs: callers can only go by position (inputs: 0 'offset' "
        "float32 [1, 1], 1 'reading' float32 [1, 4]; outputs: 0 'difference' float32 [1, 4]), "
        "and get_signature_runner() fails (\"SignatureDef signature_key is None and model has "
        "0 Signatures. None is only allowed when the model has 1 SignatureDef\")"]


def test_one_input_and_one_output_need_the_single_io_option():
    model = relu([1, 4])
    without_signature = ModelBuilder()
    main = without_signature.subgraph()
    x, y = main.tensor("x", [1, 4]), main.tensor("y", [1, 4])
    main.op("RELU", [x], [y])
    main.inputs, main.outputs = [x], [y]
    data = without_signature.build()
    assert contract_findings(data) == [] and contract_findings(model) == []
    option = {"rule-options": {"TFL505": {"single-io": True}}}
    assert rule_locations(contract_findings(data, **option)) == {("TFL505", Location())}


# -- TFL506 signature-order-differs ---------------------------------------------------------

def test_order_message_names_both_orders():
    assert messages(contract_findings(tfl506.bad()), "TFL506") == [
        "signature 'serving_default' lists its inputs as 'offset' and 'reading' (LiteRT sorts "
        "them by name), but the interpreter's input order (get_input_details()) is 'reading' "
        "and 'offset': position 0 is 'reading' (tensor #0 'reading'), not 'offset', so pairing "
        "the names with positions feeds the wrong tensors"]


def test_output_order():
    # the signature names differ from the tensor names (TFL504) to sort differently
    ignore = ["TFL503", "TFL504"]
    findings = contract_findings(two_outputs(signature={"a_high": "high", "b_low": "low"}),
                                 ignore=ignore)
    assert rule_locations(findings) == set()
    findings = contract_findings(two_outputs(signature={"b_high": "high", "a_low": "low"}),
                                 ignore=ignore)
    assert rule_locations(findings) == {("TFL506", at("high", 2))}
    assert messages(findings, "TFL506")[0].endswith(
        "so pairing the names with positions reads the wrong tensors")


def test_a_signature_over_other_tensors_is_not_compared():
    model = ModelBuilder()
    main = model.subgraph()
    a, b = main.tensor("a", [1, 4]), main.tensor("b", [1, 1])
    y = main.tensor("y", [1, 4])
    main.op("SUB", [a, b], [y])
    main.inputs, main.outputs = [b, a], [y]
    model.signature("serving_default", {"a": a}, {"y": y})  # b is not in it
    assert messages(contract_findings(model.build()), "TFL506") == []


def test_only_signatures_of_subgraph_zero_are_compared():
    model = ModelBuilder()
    for name in ("main", "other"):
        graph = model.subgraph(name)
        a, b = graph.tensor("a", [1, 4]), graph.tensor("b", [1, 1])
        y = graph.tensor("y", [1, 4])
        graph.op("SUB", [a, b], [y])
        graph.inputs, graph.outputs = ([a, b] if name == "main" else [b, a]), [y]
    model.signature("serving_default", {"a": 0, "b": 1}, {"y": 2})
    model.signature("other", {"a": 0, "b": 1}, {"y": 2}, subgraph=1)
    assert messages(contract_findings(model.build(), ignore=["TFL007"]), "TFL506") == []


# -- TFL507 image-input-without-normalization -----------------------------------------------

def test_int8_image_input_says_what_its_quantization_implies():
    assert messages(contract_findings(sample("cnn_int8")), "TFL507") == [
        "input 0 'serving_default_image:0' is an image (int8 [1, 32, 32, 3]) but the model has "
        "no TFLite Support metadata, so its value range and channel order are guesswork; its "
        "quantization covers real values [-0.9961, 1.004] (scale 0.00784308, zero point -1), "
        "the range of (pixel - 127.5) / 127.5"]


def test_float_image_input():
    [message] = messages(contract_findings(sample("cnn_float32")), "TFL507")
    assert message.endswith("nothing in the file says whether it takes pixels in [0, 255], "
                            "[0, 1] or [-1, 1]")


def quantized_image(dtype: str, scale: list[float], zero_point: list[int],
                    shape: list[int] | None = None, quantized_dimension: int = 0) -> bytes:
    model = ModelBuilder()
    main = model.subgraph()
    parameters = dict(scale=scale, zero_point=zero_point,
                      quantized_dimension=quantized_dimension)
    x = main.tensor("x", shape or [1, 32, 32, 3], dtype, **parameters)
    y = main.tensor("y", shape or [1, 32, 32, 3], dtype, **parameters)
    main.op("RELU", [x], [y])
    main.inputs, main.outputs = [x], [y]
    model.signature("serving_default", {"x": x}, {"y": y})
    return model.build()


@pytest.mark.parametrize("dtype, scale, zero_point, ending", [
    ("UINT8", [1 / 255], [0], "covers real values [0, 1] (scale 0.00392157, zero point 0), "
                              "the range of pixel / 255"),
    ("UINT8", [1.0], [0], "covers real values [0, 255] (scale 1, zero point 0), the range of "
                          "the raw pixel values"),
    ("INT8", [0.05], [0], "covers real values [-6.4, 6.35] (scale 0.05, zero point 0), which "
                          "matches no usual pixel scaling"),
])
def test_quantized_ranges(dtype, scale, zero_point, ending):
    findings = contract_findings(quantized_image(dtype, scale, zero_point), ignore=["TFL2"])
    [message] = messages(findings, "TFL507")
    assert message.endswith(ending)


def test_per_channel_input_gives_no_range():
    data = quantized_image("INT8", [0.1, 0.2, 0.3], [0, 0, 0], quantized_dimension=3)
    [message] = messages(contract_findings(data, ignore=["TFL2"]), "TFL507")
    assert message.endswith("its per-channel quantization does not say which real range it "
                            "expects")


def test_raw_uint8_pixels_need_no_normalization():
    model = ModelBuilder()
    main = model.subgraph()
    x = main.tensor("x", [1, 32, 32, 3], "UINT8")
    y = main.tensor("y", [1, 32, 32, 3], "UINT8")
    main.op("MAX_POOL_2D", [x], [y], options=("Pool2DOptions", {
        "stride_w": 1, "stride_h": 1, "filter_width": 1, "filter_height": 1}))
    main.inputs, main.outputs = [x], [y]
    model.signature("serving_default", {"x": x}, {"y": y})
    assert messages(contract_findings(model.build()), "TFL507") == []


def partial_metadata(*, normalization: bool, color: bool) -> bytes:
    """One image input: normalization and an RGB color space, each optional."""
    w = FlatbufferWriter()
    properties = w.table((0, "byte", 1)) if color else w.table()
    units = [process_unit(w, NORMALIZATION, w.table(
        (0, "offset", w.vector("float", [0.0])),
        (1, "offset", w.vector("float", [255.0]))))] if normalization else []
    image = tensor(w, "image", "", content_offset=content(w, IMAGE, properties), units=units)
    subgraph = w.table((2, "offset", w.vector("offset", [image])))
    return w.finish(w.table((3, "offset", w.vector("offset", [subgraph]))), b"M001")


def test_normalization_without_a_color_space():
    data = relu([1, 32, 32, 3], metadata=partial_metadata(normalization=True, color=False))
    [message] = messages(contract_findings(data), "TFL507")
    assert message.startswith("input 0 'x' is an image (float32 [1, 32, 32, 3]) but its "
                              "TFLite Support metadata gives no color space, so its channel "
                              "order is guesswork;")


def test_grayscale_needs_no_color_space():
    data = relu([1, 28, 28, 1], metadata=partial_metadata(normalization=True, color=False))
    assert messages(contract_findings(data), "TFL507") == []


def test_color_space_without_normalization():
    data = relu([1, 32, 32, 3], metadata=partial_metadata(normalization=False, color=True))
    [message] = messages(contract_findings(data), "TFL507")
    assert "metadata gives no normalization (mean/std), so its value range is guesswork" \
        in message


def test_metadata_marks_an_image_of_any_shape():
    data = relu([1, 3072], metadata=partial_metadata(normalization=False, color=True))
    [message] = messages(contract_findings(data), "TFL507")
    assert message.startswith("input 0 'x' is an image (float32 [1, 3072])")
    assert messages(contract_findings(relu([1, 3072])), "TFL507") == []  # not by shape


def test_min_size_option():
    small = relu([1, 8, 8, 3])
    assert messages(contract_findings(small), "TFL507") == []
    option = {"rule-options": {"TFL507": {"min-size": 8}}}
    assert rule_locations(contract_findings(small, **option)) == {("TFL507", at("x", 0))}


def test_corrupt_metadata_is_named():
    data = relu([1, 32, 32, 3], metadata=b"\x08\x00\x00\x00XXXX" + bytes(8))
    [message] = messages(contract_findings(data, ignore=["TFL0"]), "TFL507")
    assert "but its TFLite Support metadata is corrupt (" in message


def test_metadata_with_normalization_is_enough():
    assert contract_findings(relu([1, 32, 32, 3], metadata=image_metadata())) == []


# -- what the rules predict, against the real runtime ---------------------------------------

@pytest.fixture
def litert():
    return pytest.importorskip(
        "ai_edge_litert.interpreter",
        reason="ai-edge-litert is not installed: pip install -e .[oracle] to check the "
               "contract rules against the real LiteRT runtime")


@pytest.mark.parametrize("data", [tfl506.bad(), tfl506.good(), sample("two_inputs"),
                                  sample("while_loop")], ids=["bad", "good", "two_inputs",
                                                              "while_loop"])
def test_signature_order_is_sorted_and_positional_order_is_subgraph_order(litert, data):
    from tfllint.analyses.contract import analyze_contract

    from conftest import view_of

    contract = analyze_contract(view_of(data))
    interpreter = litert.Interpreter(model_content=data)
    runner_inputs = list(interpreter.get_signature_runner().get_input_details())
    assert runner_inputs == [name for name, _ in contract.signatures[0].inputs]
    assert [d["index"] for d in interpreter.get_input_details()] == \
        [t.index for t in contract.inputs]
    fires = bool(messages(contract_findings(data), "TFL506"))
    by_name = [dict((n, t.index) for n, t in contract.signatures[0].inputs)[n]
               for n in runner_inputs]
    assert fires == (by_name != [d["index"] for d in interpreter.get_input_details()])


def test_missing_signature_error_is_litert_s(litert):
    interpreter = litert.Interpreter(model_content=tfl505.bad())
    with pytest.raises(ValueError) as error:
        interpreter.get_signature_runner()
    assert str(error.value) in messages(contract_findings(tfl505.bad()), "TFL505")[0]


def test_constant_reshape_shape_fails_the_resize(litert):
    for data, fails in ((tfl501.bad(), True), (flatten([-1, 4, 4]), False)):
        interpreter = litert.Interpreter(
            model_content=data,
            experimental_op_resolver_type=litert.OpResolverType.BUILTIN_WITHOUT_DEFAULT_DELEGATES)
        interpreter.allocate_tensors()
        interpreter.resize_tensor_input(0, [2, 4, 4])
        if fails:
            with pytest.raises(RuntimeError, match="num_input_elements != num_output_elements"):
                interpreter.allocate_tensors()
        else:
            interpreter.allocate_tensors()
