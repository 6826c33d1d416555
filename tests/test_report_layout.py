"""The report a user reads: options anywhere, one finding per cause, one screen per model,
the detail behind --show, and the small options (--quiet, --statistics, --output-file,
colour, wrapping)."""
from __future__ import annotations

import json

import numpy as np
import pytest
from builder import ModelBuilder, relu_model
from conftest import SAMPLE_MODELS, lint_bytes

import tfllint

SCREEN = 40  # lines: the default report of one model with one --target fits a screen


def int8_chain(length: int, unsupported_at: int | None = None, custom: int = 0,
               flex: int = 0, long_names: bool = False) -> bytes:
    """An int8 chain of ADDs (with a constant), with an op coral lacks at `unsupported_at`,
    `custom` distinct unregistered custom ops and `flex` distinct Flex ops at the end."""
    model = ModelBuilder()
    main = model.subgraph()
    quantized = dict(dtype="INT8", scale=[0.1], zero_point=[0])

    def name(index: int) -> str:
        return (f"model/very_long_block_name_{index}/" + "x" * 60) if long_names else f"t{index}"

    current = main.tensor(name(0), [1, 8], **quantized)
    main.inputs = [current]
    constant = main.constant("c", np.ones((1, 8), np.int8), "INT8", scale=[0.1], zero_point=[0])
    kinds = ["ADD"] * length
    if unsupported_at is not None:
        kinds[unsupported_at] = "CUMSUM"
    for index, kind in enumerate(kinds, start=1):
        following = main.tensor(name(index), [1, 8], **quantized)
        inputs = [current, constant] if kind == "ADD" else \
            [current, main.constant(f"axis{index}", np.array([1], np.int32), "INT32")]
        main.op(kind, inputs, [following])
        current = following
    for index in range(custom):
        following = main.tensor(f"custom{index}", [1, 8], **quantized)
        main.op("CUSTOM", [current], [following], custom_code=f"AcmeOp{index}")
        current = following
    for index in range(flex):
        following = main.tensor(f"flex{index}", [1, 8], **quantized)
        main.op("CUSTOM", [current], [following], custom_code=f"FlexAcmeOp{index}")
        current = following
    main.outputs = [current]
    return model.build()


@pytest.fixture
def write(tmp_path):
    def write_model(data: bytes, name: str = "model.tflite"):
        path = tmp_path / name
        path.write_bytes(data)
        return path
    return write_model


def json_findings(out: str) -> list[dict]:
    return [f for model in json.loads(out)["models"] for f in model["findings"]]


# -- options anywhere ---------------------------------------------------------------------

@pytest.mark.parametrize("arguments", [
    ("--target=coral", "{a}"), ("{a}", "--target=coral"), ("--target", "coral", "{a}"),
    ("lint", "--target=coral", "{a}"), ("{a}", "--target", "coral", "{b}"),
    ("--runtime-version", "2.16", "--target=coral", "{a}", "{b}"),
])
def test_lint_options_work_before_between_and_after_the_paths(run_cli, write, arguments):
    a, b = write(relu_model().build(), "a.tflite"), write(relu_model().build(), "b.tflite")
    filled = [argument.format(a=a, b=b) for argument in arguments]
    code, out, err = run_cli(*filled, "--no-config", "--format=json")
    assert err == "" and code == 1  # float RELU: coral refuses the model
    models = json.loads(out)["models"]
    assert [m["path"] for m in models] == [str(a), str(b)][:len(models)]
    assert all(list(m["targets"]) == ["coral"] for m in models)


def test_unknown_option_before_a_path_is_still_a_usage_error(run_cli, write):
    with pytest.raises(SystemExit) as raised:
        run_cli("--no-such-option", write(relu_model().build()))
    assert raised.value.code == 2


# -- one finding per cause ----------------------------------------------------------------

def test_ops_falling_back_for_one_reason_are_one_finding_with_every_place(write, run_cli):
    path = write(int8_chain(12, unsupported_at=3))
    code, out, _ = run_cli(path, "--no-config", "--target=coral", "--format=json")
    fallbacks = [f for f in json_findings(out) if f["rule"] == "TFL301"]
    # CUMSUM itself, and everything after the first unsupported op, as one cause
    assert [[place["op_index"] for place in f["locations"]] for f in fallbacks] == \
        [[3], list(range(4, 12))]
    assert "CUMSUM is not supported by the Coral Edge TPU" in fallbacks[0]["message"]
    assert "depends on op 3 CUMSUM, which stays on the CPU" in fallbacks[1]["message"]
    assert [place["key"] for place in fallbacks[0]["locations"]] == ["CUMSUM:t4"]
    _, text, _ = run_cli(path, "--no-config", "--target=coral")
    assert "ADD x8 (ops 4, 5, 6, 7, 8, 9, ...)" in text


def test_a_refused_model_is_one_finding_naming_the_ops_it_affects(write, run_cli):
    float_model = relu_model().build()
    findings = lint_bytes(float_model, target=["coral"])
    assert [f.rule for f in findings if f.rule.startswith("TFL3")] == ["TFL302"]
    refusal = next(f for f in findings if f.rule == "TFL302")
    assert refusal.message.endswith("None of its 1 op (RELU x1) runs there")
    assert refusal.fix  # every error says what to do


def test_json_locations_carry_stable_keys(write, run_cli):
    _, out, _ = run_cli(write(int8_chain(2, custom=1)), "--no-config", "--format=json")
    custom = next(f for f in json_findings(out) if f["rule"] == "TFL102")
    assert custom["locations"] == [{"subgraph": 0, "op_index": 2, "op": "AcmeOp0",
                                    "tensor": None, "tensor_index": None, "buffer": None,
                                    "key": "AcmeOp0:custom0"}]


# -- one screen per model -----------------------------------------------------------------

@pytest.mark.parametrize("model", SAMPLE_MODELS, ids=lambda path: path.stem)
def test_every_sample_fits_a_screen_on_coral(run_cli, model, monkeypatch):
    monkeypatch.setenv("COLUMNS", "100")
    _, out, _ = run_cli(model, "--no-config", "--target=coral")
    assert len(out.splitlines()) <= SCREEN, out


def test_a_long_float_model_fits_a_screen_on_coral_and_gpu(run_cli, write, monkeypatch):
    monkeypatch.setenv("COLUMNS", "100")
    model = ModelBuilder()
    main = model.subgraph()
    current = main.tensor("x", [1, 8, 8, 4])
    main.inputs = [current]
    for index in range(160):  # 160 float ops of four kinds
        kind = ("ADD", "MUL", "TANH", "LOGISTIC")[index % 4]
        following = main.tensor(f"block_{index}/out", [1, 8, 8, 4])
        inputs = [current, current] if kind in ("ADD", "MUL") else [current]
        main.op(kind, inputs, [following])
        current = following
    main.outputs = [current]
    path = write(model.build())
    for target in ("coral", "gpu", "tflm", "ethos-u55"):
        _, out, _ = run_cli(path, "--no-config", f"--target={target}")
        assert len(out.splitlines()) <= SCREEN, out


def test_least_severe_findings_give_way_and_errors_are_never_cut(run_cli, write, monkeypatch):
    monkeypatch.setenv("COLUMNS", "100")
    path = write(int8_chain(3, custom=20))
    _, out, _ = run_cli(path, "--no-config", "--target=coral")
    lines = out.splitlines()
    assert len(lines) <= SCREEN
    more = next(line for line in lines if line.lstrip().startswith("... "))
    shown = sum(1 for line in lines if line.startswith("  warning ") or line.startswith("  info "))
    hidden = int(more.split()[1])
    _, full, _ = run_cli(path, "--no-config", "--target=coral", "--show", "findings")
    assert shown + hidden == sum(1 for line in full.splitlines()
                                 if line.startswith(("  warning ", "  info ")))
    assert "--show findings" in more
    # 30 distinct Flex ops are 30 errors: all shown, however long the report
    _, out, _ = run_cli(write(int8_chain(1, flex=30), "flex.tflite"), "--no-config")
    assert sum(1 for line in out.splitlines() if line.startswith("  error ")) == 30


# -- --show, --quiet, --statistics, --output-file, colour, wrapping -----------------------

def test_detail_comes_only_with_show(run_cli):
    model = SAMPLE_MODELS[0]
    _, plain, _ = run_cli(model, "--no-config", "--target=gpu")
    assert "planner):" not in plain and "dtype" not in plain and "verdict" not in plain
    _, detailed, _ = run_cli(model, "--no-config", "--target=gpu", "--show", "memory,io",
                             "--show=ops")
    assert "planner):" in detailed and "dtype" in detailed and "verdict" in detailed
    _, everything, _ = run_cli(model, "--no-config", "--target=gpu", "--show=all")
    assert everything == detailed
    code, _, err = run_cli(model, "--no-config", "--show", "timeline")
    assert code == 2 and "--show timeline: choose from findings, memory, io, ops, all" in err


def test_quiet_prints_findings_and_summary_only_and_nothing_for_clean_models(run_cli, write):
    clean = write(relu_model().build(), "clean.tflite")
    flex = write(int8_chain(1, flex=1), "flex.tflite")
    _, out, _ = run_cli(clean, flex, "--no-config", "--quiet", "--ignore", "TFL1,TFL2,TFL5")
    assert out == "2 model(s): 0 error(s), 0 warning(s), 0 info\n"  # the summary only
    _, out, _ = run_cli(clean, flex, "--no-config", "--quiet")
    assert "clean.tflite" not in out  # its TFL107 is an info: a fact, nothing to do
    assert not any(line.startswith("  info") for line in out.splitlines())
    assert out.splitlines()[0] == str(flex) and "error   TFL101" in out
    assert "needs runtime" not in out


def test_statistics_counts_findings_per_rule(run_cli, write):
    _, out, _ = run_cli(write(int8_chain(2, custom=3)), "--no-config", "--statistics")
    block = out.split("statistics (findings per rule):\n")[1].split("\n\n")[0]
    assert block.splitlines()[0] == "  3  TFL102  custom-op-needs-registration (warning)"


def test_output_file_gets_the_report_and_stdout_nothing(run_cli, write, tmp_path):
    report = tmp_path / "report.json"
    code, out, _ = run_cli(write(relu_model().build()), "--no-config", "--format", "json",
                           "--output-file", report)
    assert code == 0 and out == ""
    assert json.loads(report.read_text())["summary"]["models"] == 1


def test_colour_follows_no_color_and_force_color(run_cli, write, monkeypatch):
    path = write(int8_chain(1, flex=1))
    monkeypatch.setenv("FORCE_COLOR", "1")
    assert "\033[1;31merror\033[0m" in run_cli(path, "--no-config")[1]
    monkeypatch.setenv("NO_COLOR", "1")
    assert "\033[" not in run_cli(path, "--no-config")[1]
    monkeypatch.delenv("NO_COLOR")
    monkeypatch.delenv("FORCE_COLOR")
    assert "\033[" not in run_cli(path, "--no-config")[1]  # not a terminal


@pytest.mark.parametrize("columns", [60, 100, 140])
def test_lines_wrap_at_the_width_at_word_boundaries(run_cli, write, monkeypatch, columns):
    monkeypatch.setenv("COLUMNS", str(columns))
    path = write(int8_chain(1, flex=1))
    _, out, _ = run_cli(path, "--no-config", "--target=coral")
    lines = [line for line in out.splitlines() if line != str(path)]  # a path is not cut
    assert max(len(line) for line in lines) <= columns
    assert max(len(line) for line in lines) > columns - 15  # filled, not cut short


def test_long_tensor_names_are_shortened_in_the_middle_in_text_only(run_cli, write):
    path = write(int8_chain(2, unsupported_at=0, long_names=True))
    _, text, _ = run_cli(path, "--no-config", "--target=coral", "--format=text")
    long_name = "model/very_long_block_name_0/" + "x" * 60
    assert long_name not in text
    assert "input 'model/very_long_block_...xxxxxxxxxxxxxxxxxxxxxx' (#0) is int8" in text
    _, out, _ = run_cli(path, "--no-config", "--target=coral", "--format=json")
    assert long_name in out


def test_exact_bytes_when_rounding_would_hide_an_overrun(run_cli, write):
    model = ModelBuilder()
    main = model.subgraph()
    x = main.tensor("x", [1, 10240])
    y = main.tensor("y", [1, 10240])
    main.op("RELU", [x], [y])
    main.inputs, main.outputs = [x], [y]
    path = write(model.build())
    _, out, _ = run_cli(path, "--no-config", "--format", "json")
    arena = json.loads(out)["models"][0]["memory"]["arena_bytes"]
    budget = arena - 32  # both print as the same KiB figure
    _, out, _ = run_cli(path, "--no-config", "--show", "memory", "--memory-budget", str(budget))
    line = next(line for line in out.splitlines() if line.startswith("    memory budget"))
    assert line == (f"    memory budget {budget / 1024:.1f} KiB ({budget:,} bytes), needs "
                    f"{arena / 1024:.1f} KiB ({arena:,} bytes): 32 bytes OVER")


# -- the Python API -----------------------------------------------------------------------

def test_python_api_lint_and_inspect(write):
    path = write(int8_chain(1, flex=1))
    report = tfllint.lint(path, target="coral", use_config=False)
    assert isinstance(report, tfllint.Report)
    assert report.exit_code == 1
    assert report.summary["failed_models"] == [str(path)]
    assert {f["rule"] for f in report.findings} >= {"TFL101", "TFL301"}
    assert report.to_json()["report_version"] == "3.1"
    assert tfllint.lint(path, use_config=False, select=["TFL0"]).exit_code == 0
    contract = tfllint.inspect(path)
    assert [t["dtype"] for t in contract["inputs"]] == ["int8"]
    with pytest.raises(tfllint.errors.TfllintError):
        tfllint.lint(path, use_config=False, target="no-such-target")


TARGETS = ("coral", "gpu", "nnapi", "xnnpack", "tflm", "ethos-u55", "ethos-u65", "ethos-u85",
           "hexagon", "coreml", "cpu")


@pytest.mark.parametrize("target", TARGETS)
def test_every_error_and_warning_says_what_to_do(target):
    report = tfllint.lint([str(path) for path in SAMPLE_MODELS], use_config=False,
                          target=target, runtime_version="2.10")
    assert report.findings
    assert [(f["path"], f["rule"]) for f in report.findings
            if f["severity"] in ("error", "warning") and not f["fix"]] == []


def broken_check(ctx):
    """A profile check with a bug."""
    raise ZeroDivisionError("division by zero")
    yield  # a generator, as checks are


def test_a_profile_check_that_raises_is_one_message_for_that_model(run_cli, write, tmp_path):
    from tfllint.targets import checks

    profile = tmp_path / "board.toml"
    profile.write_text('[target]\nname = "board"\ntitle = "the board"\n'
                       '[ops.RELU]\nchecks = ["test_report_layout:broken_check"]\n')
    try:
        code, out, err = run_cli(write(relu_model().build()), "--no-config", "--format=json",
                                 "--target", profile)
    finally:
        checks._CHECKS.pop("test_report_layout:broken_check", None)
    assert code == 2 and "Traceback" not in err
    [model] = json.loads(out)["models"]
    assert model["error"].startswith("tfllint failed on this model: ZeroDivisionError: "
                                     "division by zero at test_report_layout.py:")


def test_output_file_in_a_missing_directory_is_refused_before_linting(run_cli, write,
                                                                        tmp_path):
    code, out, err = run_cli(write(relu_model().build()), "--no-config", "--output-file",
                             tmp_path / "missing" / "report.txt")
    assert code == 2 and out == "" and "there is no directory" in err


def test_a_command_name_after_an_option_gets_a_hint(run_cli, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    code, out, _ = run_cli("--no-config", "rules")
    assert code == 2
    assert "rules error: no such file or directory; to run the `rules` command, name it first: " \
           "tfllint rules ..." in " ".join(out.split())


def test_target_lines_say_how_much_runs_there(run_cli, write):
    path = write(relu_model().build())  # float RELU: coral refuses it, gpu runs it all
    _, out, _ = run_cli(path, "--no-config", "--target=coral,gpu")
    assert ("  coral (offline compiler): cannot run: the model is refused\n"
            "  gpu (classic delegate): can run, all 1 op on target\n") \
        in out
