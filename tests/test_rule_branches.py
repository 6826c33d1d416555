"""Rule branches beyond each rule's one bad example, asserted as exact (rule, location)."""
from __future__ import annotations

import pytest
from builder import ModelBuilder, relu_model
from conftest import MODELS, lint_bytes, rule_locations
from rule_examples.tfl102 import custom_model

from tfllint.analyses.data import load_data_table
from tfllint.analyses.runtime import newest_known_release
from tfllint.engine.rule import Location
from tfllint.engine.settings import settings_from_mapping, settings_notes
from tfllint.versions import format_version

RUNTIME = {"runtime-version": "2.21"}


def single_op(name, version: int = 1, **op_arguments) -> bytes:
    model = ModelBuilder()
    main = model.subgraph()
    x, y = main.tensor("x", [1, 4]), main.tensor("y", [1, 4])
    main.op(name, [x], [y], version=version, **op_arguments)
    main.inputs, main.outputs = [x], [y]
    return model.build()


def messages(findings, rule_id: str) -> list[str]:
    return [f.message for f in findings if f.rule == rule_id]


def test_op_version_above_every_registered_version_fires_without_a_runtime_version():
    findings = lint_bytes(single_op("CONV_2D", version=9))
    assert rule_locations(findings) == {
        ("TFL106", Location(subgraph=0, op_index=0, op="CONV_2D"))}
    assert messages(findings, "TFL106") == [
        "CONV_2D version 9 is outside the versions 1..8 the newest LiteRT runtime registers; "
        "loading fails with \"Didn't find op for builtin opcode 'CONV_2D' version '9'. An "
        "older version of this builtin might be supported. Are you using an old TFLite "
        "binary with a newer model?\""]


def test_op_version_below_the_registered_range_fires():
    # BROADCAST_TO v1 was rolled back: register.cc registers versions 2..4 only.
    findings = lint_bytes(single_op("BROADCAST_TO", version=1), **RUNTIME)
    assert rule_locations(findings) == {
        ("TFL106", Location(subgraph=0, op_index=0, op="BROADCAST_TO"))}


def test_runtime_version_without_patch_covers_every_patch_release():
    # TRANSPOSE v7 first ran in 2.14.4: "2.14" means any 2.14.x, so it is not flagged.
    assert lint_bytes(single_op("TRANSPOSE", version=7), **{"runtime-version": "2.14"}) == []
    assert rule_locations(lint_bytes(single_op("TRANSPOSE", version=7),
                                     **{"runtime-version": "2.14.3"})) == {
        ("TFL106", Location(subgraph=0, op_index=0, op="TRANSPOSE"))}


def test_a_runtime_newer_than_the_version_table_gets_a_note_and_is_still_checked():
    newest = format_version(newest_known_release())
    settings = settings_from_mapping({"runtime-version": "9.9"}, "test")
    assert settings_notes(settings) == (
        f"tfllint's op-version table ends at LiteRT {newest}; runtime-version 9.9 is "
        f"checked as {newest}: op versions added later are not known",)
    # checked as the newest release tfllint knows: every version it lists runs, and a
    # version past what the newest runtime registers still fires
    assert lint_bytes(single_op("CONV_2D", version=8), **{"runtime-version": "9.9"}) == []
    assert rule_locations(lint_bytes(single_op("CONV_2D", version=9),
                                     **{"runtime-version": "9.9"})) == {
        ("TFL106", Location(subgraph=0, op_index=0, op="CONV_2D"))}


def test_runtimes_the_version_table_knows_get_no_note():
    newest = format_version(newest_known_release())
    assert newest_known_release() >= (2, 21)
    for runtime in ("2.16", "2", newest, f"{newest}.7"):
        assert settings_notes(settings_from_mapping({"runtime-version": runtime}, "t")) == ()
    assert settings_notes(settings_from_mapping({}, "test")) == ()


def test_a_shared_operator_code_is_reported_once_with_its_use_count():
    model = relu_model()
    main = model.subgraphs[0]
    z = main.tensor("z", [1, 4])
    main.op("RELU", [1], [z], version=3)
    main.op("RELU", [z], [main.tensor("w", [1, 4])], version=3)
    main.outputs = [3]
    findings = lint_bytes(model.build(), **{"runtime-version": "2.4"})
    assert messages(findings, "TFL106")[0].startswith("RELU version 3 (used by 2 ops) needs "
                                                      "runtime >= 2.5.0; runtime 2.4 fails")


def test_known_op_with_unknown_options_type_fires_tfl103():
    findings = lint_bytes(single_op("ADD", options_type=200), **RUNTIME)
    assert rule_locations(findings) == {("TFL103", Location(subgraph=0, op_index=0, op="ADD"))}
    assert "options of type UNKNOWN(200)" in messages(findings, "TFL103")[0]


def test_known_custom_op_providers_are_named():
    edgetpu = lint_bytes(custom_model("edgetpu-custom-op"), **RUNTIME)
    assert rule_locations(edgetpu) == {
        ("TFL102", Location(subgraph=0, op_index=0, op="edgetpu-custom-op"))}
    assert "already compiled for the Coral Edge TPU" in edgetpu[0].message
    assert "libedgetpu" in edgetpu[0].fix
    mediapipe = lint_bytes(custom_model("Convolution2DTransposeBias"), **RUNTIME)
    assert "MediaPipe" in mediapipe[0].message
    vela = lint_bytes(custom_model("ethos-u"), **RUNTIME)
    assert "Arm Ethos-U NPU" in vela[0].message


FLEX_DELEGATE_ERROR = (
    "Select TensorFlow op(s), included in the given model, is(are) not supported by this "
    "interpreter. Make sure you apply/link the Flex delegate before inference. For the "
    "Android, it can be resolved by adding \"org.tensorflow:tensorflow-lite-select-tf-ops\" "
    "dependency. See instructions: https://www.tensorflow.org/lite/guide/ops_select")


def test_flex_op_quotes_the_two_runtime_messages_apart():
    findings = lint_bytes((MODELS / "flex_op.tflite").read_bytes(), select=["TFL101"])
    assert messages(findings, "TFL101") == [
        "FlexMatrixDeterminant is TensorFlow op MatrixDeterminant, which needs the Flex "
        f"delegate; a runtime without it fails with \"{FLEX_DELEGATE_ERROR}\", then \"Node "
        "number 0 (FlexMatrixDeterminant) failed to prepare.\""]


def test_flex_runtime_messages_are_what_litert_prints():
    """LiteRT's Python exception joins the two messages with nothing between."""
    interpreter = pytest.importorskip(
        "ai_edge_litert.interpreter", reason="ai-edge-litert is not installed: pip install "
        "-e .[oracle] to check the Flex wording against the real interpreter")
    data = load_data_table("custom_op_providers")
    model = interpreter.Interpreter(model_path=str(MODELS / "flex_op.tflite"))
    with pytest.raises(RuntimeError) as raised:
        model.allocate_tensors()
    assert str(raised.value) == data["flex_error"] + data["flex_node_error"].format(
        op_index=0, op="FlexMatrixDeterminant")
    assert data["flex_error"] == FLEX_DELEGATE_ERROR


def test_unresolved_custom_op_messages_are_what_litert_prints():
    """The unresolved op, then the node: two messages, quoted apart by TFL102."""
    interpreter = pytest.importorskip(
        "ai_edge_litert.interpreter", reason="ai-edge-litert is not installed: pip install "
        "-e .[oracle] to check the custom-op wording against the real interpreter")
    from test_report_layout import int8_chain

    data = load_data_table("custom_op_providers")
    model = int8_chain(1, custom=1)  # AcmeOp0 is op 1
    with pytest.raises(RuntimeError) as raised:
        interpreter.Interpreter(model_content=model).allocate_tensors()
    unresolved = data["unresolved_error"].format(op="AcmeOp0")
    node = data["unresolved_node_error"].format(op="AcmeOp0", op_index=1)
    assert str(raised.value) == f"{unresolved} {node}"
    [finding] = [f for f in lint_bytes(model) if f.rule == "TFL102"]
    assert finding.message.endswith(
        "fails with \"Encountered unresolved custom op: AcmeOp0. See instructions: "
        "https://www.tensorflow.org/lite/guide/ops_custom\", then \"Node number 1 (AcmeOp0) "
        "failed to prepare.\"")


def test_custom_op_without_a_custom_code():
    findings = lint_bytes(single_op("CUSTOM"), **RUNTIME)
    assert messages(findings, "TFL102") == [
        "custom op without a custom code: the runtime fails with \"Operator with CUSTOM "
        "builtin_code has no custom_code.\""]


def test_unreadable_declared_min_runtime_version():
    model = relu_model()
    model.add_metadata("min_runtime_version", b"garbage\0\0\0\0\0\0\0\0\0")
    findings = lint_bytes(model.build(), **RUNTIME)
    assert messages(findings, "TFL108") == ["min_runtime_version metadata 'garbage' is not a version"]


def test_subgraphs_run_by_control_flow_or_signatures_are_reachable():
    model = relu_model()
    body = model.subgraph("body")
    a, b = body.tensor("a", [1, 4]), body.tensor("b", [1, 4])
    body.op("RELU", [a], [b])
    body.inputs, body.outputs = [a], [b]
    entry = model.subgraph("second_signature")
    c, d = entry.tensor("c", [2]), entry.tensor("d", [2])
    entry.op("RELU", [c], [d])
    entry.inputs, entry.outputs = [c], [d]
    model.signature("second", {"c": c}, {"d": d}, subgraph=2)
    main = model.subgraphs[0]
    main.op("CALL_ONCE", [], [], options=("CallOnceOptions", {"init_subgraph_index": 1}))
    assert "TFL007" not in {f.rule for f in lint_bytes(model.build(), **RUNTIME)}
