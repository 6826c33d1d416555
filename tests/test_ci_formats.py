"""--format github, gitlab and markdown: exact output on sample and builder models."""
from __future__ import annotations

import json
import shutil

from builder import ModelBuilder, relu_model
from conftest import MODELS

from tfllint.reporters.github import escape_data, escape_property
from tfllint.reporters.markdown import cell

TWO_INPUTS_WARNING = (
    "inputs 0 'serving_default_key:0' and 1 'serving_default_query:0' are both float32 "
    "[1, 8], so only their order tells them apart: signature 'serving_default' names them "
    "'key' and 'query'; call it by name, interpreter.get_signature_runner('serving_default')"
    "(key=..., query=...), not by position (fix: call the model through a signature, by "
    "name, not by position)")
TWO_INPUTS_INFO = ("the model needs LiteRT/TFLite runtime >= 1.14.0 (set by LOGISTIC v1, "
                   "TANH v1) (fix: pass --runtime-version with the release your app ships "
                   "to check it)")


def two_inputs_lines(file: str) -> list[str]:
    return [f"::warning file={file},title=TFL503 ambiguous-input-order::{TWO_INPUTS_WARNING}",
            f"::notice file={file},title=TFL107 minimum-runtime-version::{TWO_INPUTS_INFO}"]


def custom_ops_model(relu_first: bool = False) -> bytes:
    """Two MyOp custom ops (one TFL102 finding at two places); optionally an unrelated
    RELU before them, which shifts their op indices but not their keys."""
    model = ModelBuilder()
    main = model.subgraph("main")
    x = main.tensor("x", [1, 4])
    first_input = x
    if relu_first:
        first_input = main.tensor("r", [1, 4])
        main.op("RELU", [x], [first_input])
    a, y = main.tensor("a", [1, 4]), main.tensor("y", [1, 4])
    main.op("CUSTOM", [first_input], [a], custom_code="MyOp")
    main.op("CUSTOM", [a], [y], custom_code="MyOp")
    main.inputs, main.outputs = [x], [y]
    return model.build()


# -- github ------------------------------------------------------------------------------

def test_github_escapes_as_the_actions_toolkit():
    assert escape_data("50% a\r\nb: c, d") == "50%25 a%0D%0Ab: c, d"
    assert escape_property("50% a\r\nb: c, d") == "50%25 a%0D%0Ab%3A c%2C d"


def test_github_annotations_of_a_sample_model(run_cli):
    code, out, _ = run_cli(MODELS / "two_inputs.tflite", "--format", "github", "--no-config")
    assert code == 0
    file = str(MODELS / "two_inputs.tflite")
    assert out.splitlines() == [*two_inputs_lines(file),
                                "1 model(s): 0 error(s), 1 warning(s), 1 info"]


def test_github_escapes_the_path_and_reports_an_unreadable_model(run_cli, tmp_path):
    odd = tmp_path / "a,b:c%.tflite"
    shutil.copy(MODELS / "two_inputs.tflite", odd)
    missing = tmp_path / "missing.tflite"
    code, out, _ = run_cli(odd, missing, "--format", "github", "--no-config")
    assert code == 2
    escaped = f"{str(tmp_path).replace(':', '%3A').replace(',', '%2C')}/a%2Cb%3Ac%25.tflite"
    assert out.splitlines() == [
        f"::error file={missing},title=tfllint%3A model not read::no such file or directory",
        *two_inputs_lines(escaped),
        "2 model(s): 0 error(s), 1 warning(s), 1 info; 1 could not be read",
        f"failed: {missing}"]


def test_github_escapes_a_message_with_percent_and_new_line(run_cli, tmp_path):
    model = ModelBuilder()
    main = model.subgraph("main")
    x, q = main.tensor("50%\nkey", [1, 8]), main.tensor("query", [1, 8])
    y = main.tensor("y", [1, 8])
    main.op("ADD", [x, q], [y])
    main.inputs, main.outputs = [x, q], [y]
    path = tmp_path / "m.tflite"
    path.write_bytes(model.build())
    _, out, _ = run_cli(path, "--format", "github", "--no-config")
    warning = next(line for line in out.splitlines() if line.startswith("::warning"))
    assert "'50%25%0Akey'" in warning and "\n" not in warning


def test_github_shows_ten_of_each_kind_then_a_summary_notice(run_cli, tmp_path):
    paths = []
    for index in range(11):  # each: TFL101 error + TFL107 info
        paths.append(tmp_path / f"flex{index:02}.tflite")
        shutil.copy(MODELS / "flex_op.tflite", paths[-1])
    for index in range(12):  # each: TFL503 warning + TFL107 info
        paths.append(tmp_path / f"two{index:02}.tflite")
        shutil.copy(MODELS / "two_inputs.tflite", paths[-1])
    code, out, _ = run_cli(*paths, "--format", "github", "--no-config")
    assert code == 1
    lines = out.splitlines()
    kinds = [line.split(" ", 1)[0] for line in lines if line.startswith("::")]
    # most severe first; 9 notices so that the summary notice itself is shown
    assert kinds == ["::error"] * 10 + ["::warning"] * 10 + ["::notice"] * 10
    assert lines[0].startswith(f"::error file={tmp_path / 'flex00.tflite'},title=TFL101 ")
    assert lines[9].startswith(f"::error file={tmp_path / 'flex09.tflite'},")
    assert lines[10].startswith(f"::warning file={tmp_path / 'two00.tflite'},")
    assert lines[29] == (
        "::notice title=tfllint%3A more findings::17 more annotations not shown (1 error, "
        "2 warnings, 14 notices): GitHub shows 10 of each kind per step. Every finding is "
        "in the job summary when the workflow runs `tfllint ... --format markdown >> "
        "$GITHUB_STEP_SUMMARY`")
    assert lines[30] == "23 model(s): 11 error(s), 12 warning(s), 23 info"
    assert lines[31].startswith("failed: ")  # the text summary's list of failed models


def test_github_writes_no_summary_notice_when_nothing_is_left_out(run_cli, tmp_path):
    paths = []
    for index in range(10):
        paths.append(tmp_path / f"two{index}.tflite")
        shutil.copy(MODELS / "two_inputs.tflite", paths[-1])
    _, out, _ = run_cli(*paths, "--format", "github", "--no-config")
    kinds = [line.split(" ", 1)[0] for line in out.splitlines() if line.startswith("::")]
    assert kinds == ["::warning"] * 10 + ["::notice"] * 10
    assert "more findings" not in out


# -- gitlab ------------------------------------------------------------------------------

def gitlab(run_cli, *arguments) -> list[dict]:
    code, out, _ = run_cli(*arguments, "--format", "gitlab", "--no-config")
    return json.loads(out)


def test_gitlab_code_quality_entries(run_cli, tmp_path):
    path = tmp_path / "model.tflite"
    path.write_bytes(custom_ops_model())
    missing = tmp_path / "missing.tflite"
    entries = gitlab(run_cli, path, missing)
    for entry in entries:
        assert set(entry) == {"description", "check_name", "fingerprint", "severity",
                              "location"}
        assert entry["severity"] in {"info", "minor", "major", "critical", "blocker"}
    assert len({entry["fingerprint"] for entry in entries}) == len(entries)
    custom = [entry for entry in entries if entry["check_name"].startswith("TFL102")]
    assert [(e["check_name"], e["severity"], e["location"]) for e in custom] == [
        ("TFL102 custom-op-needs-registration", "minor",
         {"path": str(path), "lines": {"begin": 1}})] * 2  # one entry per place
    assert custom[0]["description"].startswith("op0 MyOp: custom op MyOp (2 ops) is not "
                                               "registered by the stock LiteRT runtime")
    assert custom[1]["description"].startswith("op1 MyOp: ")
    assert custom[0]["description"].endswith(
        "(fix: register a kernel for MyOp with the op resolver, or convert without "
        "allow_custom_ops to see which builtin ops could replace it)")
    assert entries[-1] == {
        "description": "no such file or directory", "check_name": "tfllint/unreadable-model",
        "fingerprint": entries[-1]["fingerprint"], "severity": "blocker",
        "location": {"path": str(missing), "lines": {"begin": 1}}}


def test_gitlab_severities_follow_the_documented_mapping(run_cli):
    entries = gitlab(run_cli, MODELS / "flex_op.tflite", "--target", "gpu")
    assert {(e["check_name"].split()[0], e["severity"]) for e in entries} == {
        ("TFL101", "critical"), ("TFL301", "minor"), ("TFL107", "info")}
    gpu = next(e for e in entries if e["check_name"].startswith("TFL301"))
    assert gpu["description"].startswith("[gpu] op0 FlexMatrixDeterminant: left on the CPU")


def test_gitlab_fingerprints_survive_an_unrelated_op(run_cli, tmp_path):
    path = tmp_path / "model.tflite"

    def fingerprints() -> list[str]:
        return [e["fingerprint"] for e in gitlab(run_cli, path)
                if e["check_name"].startswith("TFL102")]

    path.write_bytes(custom_ops_model())
    before = fingerprints()
    path.write_bytes(custom_ops_model(relu_first=True))  # MyOp now ops 1 and 2
    after = fingerprints()
    assert len(before) == 2 and after == before
    assert fingerprints() == after  # and stable from run to run


# -- markdown ----------------------------------------------------------------------------

def test_markdown_cell_escapes_markup():
    assert cell("a|b *c* _d_ <e> [f]\n`g`") == \
        "a\\|b \\*c\\* \\_d\\_ &lt;e&gt; \\[f\\]<br>\\`g\\`"


def test_markdown_report_of_a_builder_model(run_cli, tmp_path):
    path = tmp_path / "relu.tflite"
    path.write_bytes(relu_model().build())
    code, out, _ = run_cli(path, "--target", "coral,cpu", "--memory-budget", "100B",
                           "--weights-budget", "1KiB", "--format", "markdown", "--no-config")
    assert code == 1
    name = cell(str(path))
    assert out == f"""## tfllint report

1 model(s): 1 error(s), 0 warning(s), 1 info

| model | ops | quantization | errors | warnings | info | coral | cpu |
|---|---|---|---|---|---|---|---|
| {name} | 1 | float32 | 1 | 0 | 1 | cannot run | can run |

### {name}

| severity | rule | place | message | fix |
|---|---|---|---|---|
| ❌ error | TFL302 model-cannot-run-on-target | \\[coral\\] model | the model cannot run on \
the Coral Edge TPU: the model is not integer-quantized: float32; the Edge TPU runs only models \
quantized to 8-bit integers (int8 or uint8 activations and weights), so no op maps (the tool \
says: "Operation is working on an unsupported data type"). None of its 1 op (RELU x1) runs \
there | Quantize the model fully to 8-bit: post-training integer quantization with a \
representative dataset, supported\\_ops = \\[tf.lite.OpsSet.TFLITE\\_BUILTINS\\_INT8\\], and \
inference\\_input\\_type and inference\\_output\\_type tf.int8 (or tf.uint8). |
| ℹ️ info | TFL107 minimum-runtime-version | model | the model needs LiteRT/TFLite runtime \
&gt;= 1.5.0 (set by RELU v1) | pass --runtime-version with the release your app ships to \
check it |

Memory: arena 80 B (LiteRT plan); weights 0 B; memory budget 100 B: 20 B headroom (20%); \
weights budget 1.0 KiB: 1.0 KiB headroom (100%)
"""


def test_markdown_report_of_sample_models(run_cli, tmp_path):
    missing = tmp_path / "missing.tflite"
    code, out, _ = run_cli(MODELS / "flex_op.tflite", MODELS / "cnn_int8.tflite", missing,
                           "--target", "coral,gpu", "--memory-budget", "4KiB",
                           "--format", "markdown", "--no-config")
    assert code == 2
    flex, cnn = (cell(str(MODELS / name)) for name in ("flex_op.tflite", "cnn_int8.tflite"))
    lines = out.splitlines()
    table = lines[lines.index("| model | ops | quantization | errors | warnings | info | "
                              "coral | gpu |"):]
    assert table[:5] == [
        "| model | ops | quantization | errors | warnings | info | coral | gpu |",
        "|---|---|---|---|---|---|---|---|",
        f"| {flex} | 3 | float32 | 2 | 1 | 1 | cannot run | 2 of 3 ops |",
        f"| {cnn} | 9 | full integer (int8) | 1 | 0 | 4 | can run | can run |",
        f"| {cell(str(missing))} | - | not read | - | - | - | - | - |"]
    assert lines[2] == "3 model(s): 3 error(s), 1 warning(s), 5 info; 1 could not be read"
    # the findings, most severe first, one per cause, with the place in its own column
    assert "| ⚠️ warning | TFL301 op-not-supported-on-target | \\[gpu\\] op0 " \
           "FlexMatrixDeterminant | left on the CPU by the LiteRT GPU delegate: " in out
    assert "| ❌ error | TFL401 arena-over-budget | op4 CONV\\_2D | the litert arena " in out
    assert "| ℹ️ info | TFL213 integer-io-needs-quantizing | " \
           "'serving\\_default\\_image:0' | input 'serving\\_default\\_image:0' (#0) " in out
    assert ("Memory: arena 15.0 KiB (LiteRT plan); weights 10.2 KiB; memory budget "
            "4.0 KiB: 11.0 KiB **over**") in lines
    assert ("Memory: arena 132 B (LiteRT plan); weights 8 B; memory budget 4.0 KiB: "
            "3.9 KiB headroom (97%)") in lines
    assert out.endswith(f"### {cell(str(missing))}\n\nCould not be read: no such file or "
                        "directory\n")


def test_markdown_quiet_leaves_out_info(run_cli):
    _, out, _ = run_cli(MODELS / "two_inputs.tflite", "--quiet", "--format", "markdown",
                        "--no-config")
    assert "TFL503" in out and "TFL107" not in out
