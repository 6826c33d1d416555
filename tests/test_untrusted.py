"""Untrusted mode (--untrusted, `untrusted = true`) and its rules: TFL010 (32-bit size
overflow), TFL110 (Flex ops that touch files), TFL111 (custom ops run by native code),
and TFL009's TFLite Micro-only crashes, reported for a TFLM target and in untrusted mode."""
from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import pytest
from conftest import MODELS, REPO, lint_bytes, rule_locations, view_of

from builder import ModelBuilder, relu_model
from tfllint.analyses import Analyses
from tfllint.analyses.data import load_data_table
from tfllint.engine.registry import load_rules
from tfllint.engine.rule import Location, RuleContext
from tfllint.engine.settings import enabled_rules, settings_from_mapping, severity_for
from tfllint.model import Buffer
from tfllint.records import replace
from tfllint.view import ModelView

sys.path.insert(0, str(Path(__file__).parent / "rule_examples"))
from rule_examples import tfl009, tfl010, tfl102, tfl110  # noqa: E402

RULES = load_rules()
BY_ID = {rule.id: rule for rule in RULES}
# The untrusted-mode rules: what README "Untrusted models" lists.
UNTRUSTED = {"TFL001", "TFL002", "TFL003", "TFL004", "TFL008", "TFL009", "TFL010",
             "TFL011", "TFL012", "TFL101", "TFL102", "TFL103", "TFL104", "TFL105", "TFL110", "TFL111",
             "TFL205", "TFL206", "TFL207"}


def enabled(**settings) -> set[str]:
    return {rule.id for rule in enabled_rules(settings_from_mapping(settings, "test"), RULES)}


def of(rule: str, data: bytes, **settings) -> list:
    """The findings of one rule (untrusted mode runs its other rules too)."""
    return [finding for finding in lint_bytes(data, **settings) if finding.rule == rule]


def findings(data: bytes, **settings) -> dict[str, tuple[str, set]]:
    """rule -> (severity, locations) of each finding of the selected rules."""
    result: dict[str, tuple[str, set]] = {}
    selected = settings.get("select", ())
    for finding in lint_bytes(data, **settings):
        if selected and finding.rule not in selected:
            continue
        severity, places = result.setdefault(finding.rule, (finding.severity, set()))
        places.update(finding.locations)
    return result


# -- the mode --------------------------------------------------------------------------

def test_the_untrusted_rules_are_the_ones_documented():
    assert {rule.id for rule in RULES if rule.untrusted_severity} == UNTRUSTED


def test_untrusted_mode_adds_its_preview_rules_and_no_other_preview_rule():
    plain, untrusted = enabled(), enabled(untrusted=True)
    assert untrusted - plain == {"TFL009", "TFL010", "TFL011", "TFL012", "TFL110", "TFL111"}
    assert plain - untrusted == set()
    preview_only = {r.id for r in RULES if r.preview and not r.untrusted_severity}
    assert preview_only and not preview_only & untrusted  # e.g. TFL306 stays off


def test_untrusted_mode_adds_to_a_selection_and_ignore_still_wins():
    assert enabled(select=["TFL5"], untrusted=True) == \
        {r.id for r in RULES if r.id.startswith("TFL5") and not r.preview} | UNTRUSTED
    assert "TFL110" not in enabled(ignore=["TFL110"], untrusted=True)
    # naming a preview rule that untrusted mode runs needs no --preview
    assert enabled(select=["TFL009"], untrusted=True) == UNTRUSTED


def test_untrusted_severity_applies_only_in_untrusted_mode_and_a_user_severity_wins():
    rule = BY_ID["TFL110"]
    assert severity_for(rule, settings_from_mapping({"preview": True}, "t")) == "warning"
    assert severity_for(rule, settings_from_mapping({"untrusted": True}, "t")) == "error"
    assert severity_for(rule, settings_from_mapping(
        {"untrusted": True, "severity": {"TFL110": "info"}}, "t")) == "info"


def test_an_untrusted_severity_lower_than_the_rule_s_is_refused(tmp_path, run_cli):
    (tmp_path / "acme.py").write_text('''
from tfllint.engine.rule import rule

@rule(id="ACME100", name="acme", severity="error", untrusted_severity="warning")
def check(ctx):
    """Acme.

    What it finds:
        x
    Why it matters:
        x
    Example:
        x
    How to fix:
        x
    """
    return []
''')
    model = tmp_path / "m.tflite"
    model.write_bytes(relu_model().build())
    code, _, err = run_cli("--no-config", "--rules-path", tmp_path, model)
    assert code == 2
    assert "untrusted_severity 'warning' is lower than severity 'error'" in err


def test_the_command_line_and_the_config_key(tmp_path, run_cli, monkeypatch):
    model = tmp_path / "read.tflite"
    model.write_bytes(tfl110.bad())
    code, out, _ = run_cli("--no-config", "--format", "json", model)
    assert code == 1 and '"TFL110"' not in out  # preview: off by default
    code, out, _ = run_cli("--no-config", "--untrusted", "--select", "TFL110",
                           "--format", "json", model)
    assert code == 1 and '"rule": "TFL110"' in out and '"severity": "error"' in out
    (tmp_path / "tfllint.toml").write_text("untrusted = true\nselect = [\"TFL110\"]\n")
    monkeypatch.chdir(tmp_path)
    code, out, _ = run_cli("--format", "json", "read.tflite")
    assert code == 1 and '"rule": "TFL110"' in out
    # without untrusted mode the selected TFL110 is a preview rule again
    code, _, err = run_cli("--no-untrusted", "read.tflite")
    assert code == 2 and "TFL110 is a preview rule; add --preview" in err
    (tmp_path / "tfllint.toml").write_text("untrusted = \"yes\"\n")
    code, _, err = run_cli("read.tflite")
    assert code == 2 and "untrusted must be true or false" in err


def test_help_documents_the_option(capsys):
    from tfllint.cli import main

    with pytest.raises(SystemExit):
        main(["lint", "--help"])
    out = " ".join(capsys.readouterr().out.split())
    assert "--untrusted" in out and "(README: Untrusted models)" in out


# -- TFL110: Flex ops that touch files ------------------------------------------------

FILE_OPS = load_data_table("flex_file_ops")


@pytest.mark.parametrize("tf_op, action", [
    ("ReadFile", "reads files"), ("WriteFile", "writes files"), ("SaveV2", "writes files"),
    ("RestoreV2", "reads files"), ("InitializeTableFromTextFileV2", "reads files"),
    ("TFRecordReaderV2", "reads files"), ("TextLineDataset", "reads files"),
    ("ImmutableConst", "reads files"), ("LoadAndRemapMatrix", "reads files"),
    ("MergeV2Checkpoints", "writes files"), ("CacheDatasetV2", "reads and writes files"),
    ("FileSystemSetConfiguration", "changes a file system's configuration"),
    ("PrintV2", "can write a file: its output_stream attribute may name a file")])
def test_each_file_op_is_reported_with_what_it_does(tf_op, action):
    found = of("TFL110", tfl110.flex_model(f"Flex{tf_op}"), untrusted=True)
    assert [(f.rule, f.severity, f.locations) for f in found] == \
        [("TFL110", "error", (Location(subgraph=0, op_index=0, op=f"Flex{tf_op}"),))]
    assert f"Flex{tf_op} is TensorFlow op {tf_op}, which {action}" in found[0].message


def test_ops_that_touch_no_file_and_non_flex_custom_ops_are_not_reported():
    for code in ("FlexStringUpper", "FlexMatrixDeterminant", "ReadFile", "MyReadFile"):
        assert findings(tfl110.flex_model(code), untrusted=True, select=["TFL110"]) == {}


def test_the_file_op_lists_do_not_overlap():
    lists = [set(FILE_OPS[key]) for key in ("reads", "writes", "reads_and_writes", "configures")]
    lists.append(set(FILE_OPS["via"]))
    assert sum(map(len, lists)) == len(set().union(*lists))


# -- TFL111: custom ops run by native code ---------------------------------------------

@pytest.mark.parametrize("code, expected", [
    ("MyCompanyResize", "has no known provider: the app must link or load native code"),
    ("edgetpu-custom-op", "runs in libedgetpu, a shared library the app loads at run time"),
    ("DISPATCH_OP", "runs in the SoC vendor's dispatch library")])
def test_custom_ops_whose_native_code_comes_from_outside_the_app(code, expected):
    found = of("TFL111", tfl102.custom_model(code), untrusted=True)
    assert [(f.rule, f.severity, f.locations) for f in found] == \
        [("TFL111", "warning", (Location(subgraph=0, op_index=0, op=code),))]
    assert expected in found[0].message


@pytest.mark.parametrize("code", ["TFLite_Detection_PostProcess", "MaxUnpooling2D", "ethos-u",
                                  "FlexReadFile"])
def test_stock_linked_and_flex_custom_ops_are_not_tfl111(code):
    assert findings(tfl102.custom_model(code), untrusted=True, select=["TFL111"]) == {}


# -- TFL010: 32-bit size overflow ------------------------------------------------------

def test_an_element_count_past_int32_is_an_error_everywhere():
    x, y = Location(subgraph=0, tensor="x", tensor_index=0), \
        Location(subgraph=0, tensor="y", tensor_index=1)
    # y, ADD's output, is sized by ADD's Prepare in LiteRT; TFLite Micro plans its file size
    assert findings(tfl010.add_model([2, 2**30]), preview=True, select=["TFL010"]) == \
        {"TFL010": ("error", {x})}
    assert findings(tfl010.add_model([2, 2**30]), preview=True, select=["TFL010"],
                    target=["tflm"]) == {"TFL010": ("error", {x, y})}
    assert findings(tfl010.add_model([2, 2**30 - 1]), preview=True, select=["TFL010"]) == {}


def test_a_byte_size_past_int32_is_reported_for_tflite_micro_and_in_untrusted_mode():
    # 2^29 FLOAT32 elements fit an int; their 2^31 bytes do not (TFLM's AddBuffer)
    data = tfl010.add_model([2**29])
    x, y = Location(subgraph=0, tensor="x", tensor_index=0), \
        Location(subgraph=0, tensor="y", tensor_index=1)
    assert findings(data, preview=True, select=["TFL010"]) == {}
    for settings in ({"target": ["tflm"]}, {"target": ["ethos-u55"]}, {"untrusted": True}):
        assert findings(data, preview=True, select=["TFL010"], **settings) == \
            {"TFL010": ("error", {x, y})}, settings
    assert findings(tfl010.add_model([2**29 - 1]), untrusted=True, select=["TFL010"]) == {}


def test_a_negative_dimension_the_loader_refuses(tmp_path):
    """LiteRT loads every tensor at its file shape through BytesRequired, which refuses a
    negative dimension (CheckedNumElements); a sparse constant is not checked."""
    x, y = Location(subgraph=0, tensor="x", tensor_index=0), \
        Location(subgraph=0, tensor="y", tensor_index=1)
    for shape in ([1, 8, -1], [1, -1]):
        assert findings(tfl010.add_model(shape), preview=True, select=["TFL010"]) == \
            {"TFL010": ("error", {x, y})}, shape  # an op's output too: loaded as filed
    assert findings(tfl010.add_model([1, 8, 4]), preview=True, select=["TFL010"]) == {}
    pytest.importorskip("ai_edge_litert", reason="needs ai-edge-litert: pip install -e .[oracle]")
    sys.path.insert(0, str(REPO / "tools"))
    import cve_catalogue

    path = tmp_path / "model.tflite"
    for shape in ([1, 8, -1], [1, -1]):
        path.write_bytes(tfl010.add_model(shape))
        assert cve_catalogue.run_runtime("litert", path) == \
            "refused: tflite/util.cc BytesRequired number of elements overflowed.", shape


def _appended_at(offset: int) -> ModelView:
    """A model whose buffer 1 claims to be stored after the flatbuffer at `offset`: the
    reader refuses one past the file's end, so the view is made by hand."""
    view = view_of(relu_model().build())
    model = replace(view.model, buffers=(*view.model.buffers[:1],
                                         Buffer(1, offset, 16, appended=True)))
    return ModelView(replace(view.file, model=model))


@pytest.mark.parametrize("word_size, offset, expected", [
    (32, 2**32 - 16, False), (32, 2**32 - 15, True), (64, 2**33, False)])
def test_a_buffer_past_4_gib_is_reported_for_a_32_bit_tflite_micro(word_size, offset, expected):
    settings = settings_from_mapping({"target": ["tflm"], "tflm-word-size": word_size}, "t")
    view = _appended_at(offset)
    ctx = RuleContext(view, Analyses(view, settings), {}, settings)
    locations = [v.location for v in BY_ID["TFL010"].check(ctx)]
    assert locations == ([Location(buffer=1)] if expected else [])


# -- TFL009: crashes only TFLite Micro has ---------------------------------------------

def elementwise(op: str, inputs: list[list[int]], output: list[int]) -> bytes:
    """One elementwise op, its inputs and its output as the file sizes it; inputs given
    as one shape twice are one tensor read twice."""
    model = ModelBuilder()
    main = model.subgraph()
    tensors = [main.tensor(f"x{n}", shape) for n, shape in enumerate(inputs)
               if n == 0 or shape != inputs[0]]
    y = main.tensor("y", output)
    options = {"ADD": ("AddOptions", {}), "MUL": ("MulOptions", {})}.get(op)
    main.op(op, [tensors[min(n, len(tensors) - 1)] for n in range(len(inputs))], [y],
            options=options)
    main.inputs, main.outputs = tensors, [y]
    return model.build()


TFLM_SCOPES = ({"target": ["tflm"]}, {"target": ["ethos-u55"]}, {"untrusted": True})


@pytest.mark.parametrize("op, inputs, output, text", [
    ("RELU", [[1, 4]], [1, 1], "the output [1, 1] holds 1 elements, the result [1, 4] 4"),
    ("ADD", [[1, 4], [1, 4]], [1, 1], "the output [1, 1] holds 1 elements, the result "
                                      "[1, 4] 4"),
    ("MUL", [[2, 3], [2, 3]], [3], "the output [3] holds 3 elements, the result [2, 3] 6")])
def test_an_output_smaller_than_the_result_is_a_crash_only_tflite_micro_has(
        op, inputs, output, text):
    """LiteRT resizes the output itself and runs the model; TFLite Micro writes the whole
    result into the file's smaller output: reported for a TFLM target and in untrusted
    mode, not otherwise."""
    bad = elementwise(op, inputs, output)
    place = Location(subgraph=0, op_index=0, op=op, tensor="y", tensor_index=1)
    assert findings(bad, preview=True, select=["TFL009"]) == {}
    for settings in TFLM_SCOPES:
        [found] = of("TFL009", bad, preview=True, **settings)
        assert (found.severity, found.locations) == ("error", (place,)), settings
        assert found.message == f"{text}: LiteRT runs it; TFLite Micro crashes " + \
            ("(SIGSEGV or SIGABRT)" if len(inputs) == 2 else "(SIGSEGV)") + \
            ": it writes the whole result past the output's arena buffer"


@pytest.mark.parametrize("op, inputs, output", [
    ("RELU", [[1, 4]], [1, 4]), ("ADD", [[1, 4], [1, 4]], [1, 4]),
    ("ADD", [[1, 4], [4, 1]], [1, 4]),  # broadcast: TFLite Micro loops over the output
    ("ADD", [[1, 4], [1]], [1, 1]),
    ("EXP", [[1, 4]], [1, 1])])  # TFLite Micro's exp.cc checks the output's bytes
def test_outputs_the_kernel_fills_exactly_are_not_reported(op, inputs, output):
    for settings in TFLM_SCOPES:
        found = of("TFL009", elementwise(op, inputs, output), preview=True, **settings)
        assert [f for f in found if "output" in f.message] == []


def test_the_runtimes_do_what_the_output_size_finding_says(tmp_path):
    """Differential: ai-edge-litert runs a RELU of a [1, 250000] input and an ADD of it to
    itself into a [1, 1] output; tflite-micro (1 MiB arena) crashes on both, and runs
    them at [1, 1000] with the output sized right, and the ADD of a broadcast [1] into
    [1, 1]."""
    pytest.importorskip("ai_edge_litert", reason="needs ai-edge-litert: pip install -e .[oracle]")
    pytest.importorskip("tflite_micro", reason="needs tflite-micro: pip install -e .[oracle]")
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tools"))
    import cve_catalogue

    path = tmp_path / "model.tflite"
    for op, inputs in (("RELU", [[1, 250000]]), ("ADD", [[1, 250000]] * 2)):
        path.write_bytes(elementwise(op, inputs, [1, 1]))
        assert cve_catalogue.run_runtime("litert", path) == "ran", op
        assert cve_catalogue.run_runtime("tflm", path).startswith("crashed: SIG"), op
        path.write_bytes(elementwise(op, [[1, 1000]] * len(inputs), [1, 1000]))
        assert (cve_catalogue.run_runtime("litert", path),
                cve_catalogue.run_runtime("tflm", path)) == ("ran", "ran"), op
    path.write_bytes(elementwise("ADD", [[1, 250000], [1]], [1, 1]))
    assert cve_catalogue.run_runtime("tflm", path) == "ran"


@pytest.mark.parametrize("op, expected", [("ADD", True), ("MAXIMUM", True), ("MUL", False)])
def test_an_output_larger_than_the_result_aborts_tflite_micro_where_its_kernel_checks(
        op, expected):
    """TFLite Micro's ADD, SUB, DIV, MAXIMUM and MINIMUM (and MUL of INT8 or INT16) check
    that the output holds as many elements as the inputs (MatchingElementsSize) and abort;
    its FLOAT32 MUL writes the result and leaves the rest."""
    bad = elementwise(op, [[1, 8], [1, 8]], [1, 9])
    assert findings(bad, preview=True, select=["TFL009"]) == {}
    for settings in TFLM_SCOPES:
        found = of("TFL009", bad, preview=True, **settings)
        assert [f.message for f in found] == ([
            "the output [1, 9] holds 9 elements, the result [1, 8] 8: LiteRT runs it; "
            "TFLite Micro crashes (SIGABRT): its kernel checks that the output holds as "
            "many elements as the inputs and aborts"] if expected else []), settings


def test_the_runtimes_do_what_the_larger_output_finding_says(tmp_path):
    pytest.importorskip("ai_edge_litert", reason="needs ai-edge-litert: pip install -e .[oracle]")
    pytest.importorskip("tflite_micro", reason="needs tflite-micro: pip install -e .[oracle]")
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tools"))
    import cve_catalogue

    path = tmp_path / "model.tflite"
    for op, micro in (("ADD", "crashed: SIGABRT"), ("MAXIMUM", "crashed: SIGABRT"),
                      ("MUL", "ran")):
        path.write_bytes(elementwise(op, [[1, 8], [1, 8]], [1, 9]))
        assert (cve_catalogue.run_runtime("litert", path),
                cve_catalogue.run_runtime("tflm", path)) == ("ran", micro), op


def fully_connected(input_shape: list[int], depth: int = 8,
                    signature: list[int] | None = None) -> bytes:
    """A float FULLY_CONNECTED from a graph input (of `signature`, when given) to a [1, 4]
    output through a [4, depth] filter, no bias."""
    model = ModelBuilder()
    main = model.subgraph()
    x = main.tensor("x", input_shape, shape_signature=signature)
    y = main.tensor("y", [1, 4], shape_signature=[-1, 4] if signature else None)
    weights = main.constant("w", np.ones((4, depth), np.float32))
    main.op("FULLY_CONNECTED", [x, weights, -1], [y],
            options=("FullyConnectedOptions", {}))
    main.inputs, main.outputs = [x], [y]
    return model.build()


@pytest.mark.parametrize("input_shape, expected", [
    ([1, 0], "the input [1, 0] holds 0 elements, the kernel reads 8 (1 row(s) of the "
             "filter's depth 8)"),
    ([1, 5], "the input [1, 5] holds 5 elements, the kernel reads 8 (1 row(s) of the "
             "filter's depth 8)"),
    ([1, 8], None), ([2, 4], None)])
def test_a_fully_connected_input_smaller_than_tflite_micro_reads(input_shape, expected):
    """TFLite Micro takes FULLY_CONNECTED's rows from the output's shape and reads them
    from the input whatever it holds; LiteRT sizes the output from the input."""
    data = fully_connected(input_shape)
    assert findings(data, preview=True, select=["TFL009"]) == {}
    place = Location(subgraph=0, op_index=0, op="FULLY_CONNECTED", tensor="x",
                     tensor_index=0)
    for settings in TFLM_SCOPES:
        found = of("TFL009", data, preview=True, **settings)
        if expected is None:
            assert found == [], settings
            continue
        [finding] = found
        assert (finding.severity, finding.locations) == ("error", (place,)), settings
        assert finding.message == f"{expected}: LiteRT runs it; TFLite Micro crashes " \
            "(SIGSEGV on an empty input): it reads past the input"


@pytest.mark.parametrize("input_shape, signature, expected", [
    ([1, 0], [-1, 0], True),  # no element whatever the batch
    ([1, 1], [-1, -1], False)])  # a placeholder: an open dimension may hold enough
def test_a_fully_connected_input_with_open_dimensions(input_shape, signature, expected):
    data = fully_connected(input_shape, signature=signature)
    for settings in TFLM_SCOPES:
        assert bool(of("TFL009", data, preview=True, **settings)) == expected, settings


def test_the_runtimes_do_what_the_fully_connected_input_finding_says(tmp_path):
    """Differential: an empty [1, 0] input into FULLY_CONNECTED runs in ai-edge-litert and
    takes tflite-micro down; the [1, 8] input it expects runs in both."""
    pytest.importorskip("ai_edge_litert", reason="needs ai-edge-litert: pip install -e .[oracle]")
    pytest.importorskip("tflite_micro", reason="needs tflite-micro: pip install -e .[oracle]")
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tools"))
    import cve_catalogue

    path = tmp_path / "model.tflite"
    path.write_bytes(fully_connected([1, 0]))
    assert cve_catalogue.run_runtime("litert", path) == "ran"
    assert cve_catalogue.run_runtime("tflm", path) == "crashed: SIGSEGV"
    path.write_bytes(fully_connected([1, 8]))
    assert (cve_catalogue.run_runtime("litert", path),
            cve_catalogue.run_runtime("tflm", path)) == ("ran", "ran")


def while_over(cond_input: list[int]) -> bytes:
    """WHILE of an INT32 [1] over a cond subgraph whose input is `cond_input` (LESS of it
    with itself: the loop ends at once) and a body that adds it to itself."""
    model = ModelBuilder()
    main, cond, body = (model.subgraph(name) for name in ("main", "cond", "body"))
    x, y = main.tensor("x", [1], "INT32"), main.tensor("y", [1], "INT32")
    main.op("WHILE", [x], [y], options=("WhileOptions", {"cond_subgraph_index": 1,
                                                       "body_subgraph_index": 2}))
    main.inputs, main.outputs = [x], [y]
    a, flag = cond.tensor("a", cond_input, "INT32"), cond.tensor("flag", [1], "BOOL")
    cond.op("LESS", [a, a], [flag])
    cond.inputs, cond.outputs = [a], [flag]
    b, c = body.tensor("b", [1], "INT32"), body.tensor("c", [1], "INT32")
    body.op("ADD", [b, b], [c], options=("AddOptions", {}))
    body.inputs, body.outputs = [b], [c]
    return model.build()


def test_a_while_operand_sized_unlike_the_subgraph_tensor_is_a_tflite_micro_refusal():
    """TFLite Micro copies WHILE's operands into the called subgraphs only between tensors
    of one byte size; LiteRT resizes the subgraph's tensors."""
    bad = while_over([2])
    assert findings(bad, preview=True, select=["TFL009"]) == {}
    place = Location(subgraph=0, op_index=0, op="WHILE", tensor="x", tensor_index=0)
    for settings in TFLM_SCOPES:
        [finding] = of("TFL009", bad, preview=True, **settings)
        assert (finding.severity, finding.locations) == ("error", (place,)), settings
        assert finding.message.startswith(
            "input 0 [1] INT32 (4 bytes) and the cond subgraph input 0 [2] INT32 (8 bytes) "
            "differ in size: LiteRT runs it; TFLite Micro refuses it"), finding.message
        assert of("TFL009", while_over([1]), preview=True, **settings) == []


def test_the_runtimes_do_what_the_while_copy_finding_says(tmp_path):
    pytest.importorskip("ai_edge_litert", reason="needs ai-edge-litert: pip install -e .[oracle]")
    pytest.importorskip("tflite_micro", reason="needs tflite-micro: pip install -e .[oracle]")
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tools"))
    import cve_catalogue

    path = tmp_path / "model.tflite"
    path.write_bytes(while_over([2]))
    assert cve_catalogue.run_runtime("litert", path) == "ran"
    assert cve_catalogue.run_runtime("tflm", path).startswith("refused: ") and \
        "bytes >= 0 was not true" in cve_catalogue.run_runtime("tflm", path)
    path.write_bytes(while_over([1]))
    assert (cve_catalogue.run_runtime("litert", path),
            cve_catalogue.run_runtime("tflm", path)) == ("ran", "ran")


def test_tflite_micro_crashes_are_named_for_a_tflm_target_and_in_untrusted_mode():
    """The data's TFLite Micro crashes (LiteRT refuses the same files) are errors whose
    message names TFLite Micro's crash, with --target tflm and with --untrusted alone."""
    tflm_crashes = [c for c in load_data_table("op_parameters")["check"]
                    if c.get("tflm", "").startswith(("crashes", "divides"))]
    assert tflm_crashes
    for settings in ({"target": ["tflm"], "preview": True}, {"untrusted": True}):
        found = lint_bytes(tfl009.bad(), **settings)
        assert [(f.rule, f.severity) for f in found if f.rule == "TFL009"] == \
            [("TFL009", "error")]
        assert "TFLite Micro divides by zero (SIGFPE)" in \
            next(f.message for f in found if f.rule == "TFL009")


# -- no false positives ----------------------------------------------------------------

def _corpus() -> list[Path]:
    real = Path.home() / ".cache" / "tfllint-real-models" / "models"
    return sorted(MODELS.glob("*.tflite")) + sorted(real.glob("**/*.tflite"))


def test_the_new_rules_find_nothing_in_the_sample_and_real_models():
    """The sample models and the real-model corpus (where fetched): no TFL009 (with its
    TFLite Micro-only checks), TFL010, TFL110 or TFL111 in untrusted mode, whatever the
    target."""
    found = {}
    for path in _corpus():
        data = path.read_bytes()
        for target in ([], ["tflm"]):
            rules = {f.rule for f in lint_bytes(data, untrusted=True, target=target)
                     if f.rule in ("TFL009", "TFL010", "TFL110", "TFL111")}
            if rules:
                found[path.name] = rules
    assert found == {}
