"""`tfllint diff OLD NEW`: what changed between two models for deployment, the op matching
rule (output tensor names first, then position), the gates and their exit codes."""
from __future__ import annotations

import json

import numpy as np
import pytest
from builder import ModelBuilder, relu_model
from conftest import MODELS
from rule_examples import tfl101

import tfllint
from tfllint.model_diff import Gates, diff_with_run, finding_key  # noqa: F401
from tfllint.diff_report import render_diff


def write(tmp_path, name: str, model) -> str:
    path = tmp_path / name
    path.write_bytes(model if isinstance(model, bytes) else model.build())
    return str(path)


def run_diff(old, new, **settings):
    return tfllint.diff(old, new, use_config=False, **settings)


def chain(names=("x", "h", "y"), ops=("RELU", "TANH"), shape=(1, 4), dtype="FLOAT32",
          version=1, **tensor_kwargs) -> ModelBuilder:
    """x -> op0 -> h -> op1 -> y (as many ops as given), tensors named by `names`."""
    model = ModelBuilder()
    main = model.subgraph("main")
    tensors = [main.tensor(name, shape, dtype, **tensor_kwargs) for name in names]
    for i, op in enumerate(ops):
        main.op(op, [tensors[i]], [tensors[i + 1]], version=version)
    main.inputs, main.outputs = [tensors[0]], [tensors[len(ops)]]
    model.signature("serving_default", {"in": tensors[0]}, {"out": tensors[len(ops)]})
    return model


def fully_connected(units: int = 3, version: int = 1) -> ModelBuilder:
    model = ModelBuilder()
    main = model.subgraph()
    x = main.tensor("x", [1, 4])
    w = main.constant("w", np.ones((units, 4), np.float32))
    b = main.constant("b", np.zeros(units, np.float32))
    y = main.tensor("y", [1, units])
    main.op("FULLY_CONNECTED", [x, w, b], [y], version=version)
    main.inputs, main.outputs = [x], [y]
    return model


# -- no change -----------------------------------------------------------------------------

def test_a_model_against_itself_has_no_change_and_exits_0(tmp_path):
    path = write(tmp_path, "m.tflite", chain())
    result = run_diff(path, path, target="coral", no_contract_change=True,
                      no_new_fallback=True, max_arena_growth="0%", max_weights_growth="0%")
    document = result.document
    assert result.exit_code == 0 and document["changed"] is False
    assert document["ops"]["matched"] == {"by_name": 2, "by_position": 0}
    assert not document["ops"]["added"] and not document["ops"]["removed"]
    assert [g["crossed"] for g in document["gates"]] == [False] * 4
    assert "no change that matters for deployment" in render_diff(document)


def test_a_sample_model_against_itself(run_cli):
    model = MODELS / "cnn_int8.tflite"
    code, out, _ = run_cli("diff", model, model, "--no-config", "--target", "coral",
                           "--no-contract-change", "--no-new-fallback",
                           "--max-arena-growth", "10%")
    assert code == 0 and "no change that matters" in out and "CROSSED" not in out


# -- the contract --------------------------------------------------------------------------

def test_input_dtype_and_quantization_change_is_a_contract_change(tmp_path):
    old = write(tmp_path, "old.tflite", chain(dtype="INT8", scale=[0.5], zero_point=[0]))
    new = write(tmp_path, "new.tflite", chain(dtype="UINT8", scale=[0.5], zero_point=[128]))
    result = run_diff(old, new, no_contract_change=True)
    changes = {(c["kind"], c["field"]) for c in result.document["contract"]["inputs"]}
    assert changes == {("input", "dtype"), ("input", "quantization")}
    assert result.document["contract"]["outputs"]
    assert {c["signature"] for c in result.document["contract"]["signatures"]} == \
        {"serving_default"}
    assert result.exit_code == 1
    assert run_diff(old, new).exit_code == 0  # no gate set: a report, not a failure


def test_shape_change_is_reported_per_input(tmp_path):
    old = write(tmp_path, "old.tflite", chain(shape=(1, 4)))
    new = write(tmp_path, "new.tflite", chain(shape=(1, 8)))
    change = run_diff(old, new).document["contract"]["inputs"][0]
    assert (change["position"], change["name"], change["field"], change["old"],
            change["new"]) == (0, "x", "shape", [1, 4], [1, 8])


def test_renamed_input_and_changed_signature(tmp_path):
    old = write(tmp_path, "old.tflite", chain(names=("x", "h", "y")))
    renamed = chain(names=("image", "h", "y"))
    renamed.signatures[0]["key"] = "predict"
    new = write(tmp_path, "new.tflite", renamed)
    contract = run_diff(old, new).document["contract"]
    assert [(c["field"], c["old"], c["new"]) for c in contract["inputs"]] == \
        [("name", "x", "image")]
    assert {(c["field"], c["signature"]) for c in contract["signatures"]} == \
        {("added", "predict"), ("removed", "serving_default")}


def two_inputs(order: tuple[str, str]) -> ModelBuilder:
    model = ModelBuilder()
    main = model.subgraph()
    tensors = {name: main.tensor(name, [1, 4]) for name in ("a", "b")}
    y = main.tensor("y", [1, 4])
    main.op("ADD", [tensors["a"], tensors["b"]], [y])
    main.inputs, main.outputs = [tensors[name] for name in order], [y]
    return model


def test_swapped_inputs_are_an_order_change(tmp_path):
    old = write(tmp_path, "old.tflite", two_inputs(("a", "b")))
    new = write(tmp_path, "new.tflite", two_inputs(("b", "a")))
    result = run_diff(old, new, no_contract_change=True)
    assert [(c["field"], c["old"], c["new"]) for c in result.document["contract"]["inputs"]] \
        == [("order", ["a", "b"], ["b", "a"])]
    assert result.exit_code == 1


def test_sample_models_int8_io_to_uint8_io_is_a_contract_change(run_cli):
    code, out, _ = run_cli("diff", MODELS / "cnn_int8.tflite",
                           MODELS / "cnn_int8_uint8io.tflite", "--no-config",
                           "--no-contract-change", "--format", "json")
    document = json.loads(out)
    assert code == 1 and document["contract"]["changed"]
    assert {(c["field"], c["old"], c["new"]) for c in document["contract"]["inputs"]
            if c["field"] == "dtype"} == {("dtype", "int8", "uint8")}
    added = [op["op"] for op in document["ops"]["added"]]
    assert added == ["QUANTIZE", "QUANTIZE"]  # the converter's uint8 <-> int8 steps
    assert document["gates"] == [{"gate": "no-contract-change", "limit": None,
                                  "crossed": True, "detail": document["gates"][0]["detail"]}]


# -- ops, versions, runtime, quantization --------------------------------------------------

def test_ops_added_and_removed(tmp_path):
    old = write(tmp_path, "old.tflite", chain(names=("x", "h", "y"), ops=("RELU", "TANH")))
    new = write(tmp_path, "new.tflite", chain(names=("x", "h", "y"), ops=("RELU", "LOGISTIC")))
    ops = run_diff(old, new).document["ops"]
    assert [(r["op"], r["key"]) for r in ops["added"]] == [("LOGISTIC", "LOGISTIC:y")]
    assert [(r["op"], r["key"]) for r in ops["removed"]] == [("TANH", "TANH:y")]
    assert ops["histogram"] == {"LOGISTIC": {"old": 0, "new": 1},
                                "TANH": {"old": 1, "new": 0}}


def test_op_version_raised_and_runtime_needed(tmp_path):
    old = write(tmp_path, "old.tflite", fully_connected(version=1))
    new = write(tmp_path, "new.tflite", fully_connected(version=9))
    document = run_diff(old, new).document
    [version] = document["ops"]["versions"]
    assert (version["old"]["version"], version["new"]["version"], version["raised"]) == \
        (1, 9, True)
    assert document["runtime"]["raised"] and document["runtime"]["changed"]
    text = render_diff(document)
    assert "raised FULLY_CONNECTED v1 -> v9" in text and "(raised)" in text


def test_quantization_scheme_change(tmp_path):
    old = write(tmp_path, "old.tflite", chain())
    new = write(tmp_path, "new.tflite", chain(dtype="INT8", scale=[0.5], zero_point=[0]))
    quantization = run_diff(old, new).document["quantization"]
    assert quantization["changed"] and quantization["old"] != quantization["new"]


# -- matching ------------------------------------------------------------------------------

def test_renamed_tensors_fall_back_to_position(tmp_path):
    old = write(tmp_path, "old.tflite", chain(names=("x", "h", "y")))
    new = write(tmp_path, "new.tflite", chain(names=("x", "hidden", "out")))
    ops = run_diff(old, new).document["ops"]
    assert ops["matched"] == {"by_name": 0, "by_position": 2}
    assert not ops["added"] and not ops["removed"] and not ops["histogram"]
    assert [(p["old"]["key"], p["new"]["key"]) for p in ops["matched_by_position"]] == \
        [("RELU:h", "RELU:hidden"), ("TANH:y", "TANH:out")]


def test_renamed_tensors_with_an_op_inserted(tmp_path):
    old = write(tmp_path, "old.tflite", chain(names=("x", "h", "y"), ops=("RELU", "TANH")))
    new = write(tmp_path, "new.tflite", chain(names=("x", "a", "b", "c"),
                                              ops=("RELU", "LOGISTIC", "TANH")))
    ops = run_diff(old, new).document["ops"]
    assert ops["matched"] == {"by_name": 0, "by_position": 2}
    assert [r["key"] for r in ops["added"]] == ["LOGISTIC:b"]
    assert [(p["old"]["op_index"], p["new"]["op_index"])
            for p in ops["matched_by_position"]] == [(0, 0), (1, 2)]


def test_names_win_over_position(tmp_path):
    # two RELUs swapped in the graph: matched by their output names, not by order
    def model(order):
        builder = ModelBuilder()
        main = builder.subgraph()
        x, p, q = (main.tensor(n, [1, 4]) for n in ("x", "p", "q"))
        for name in order:
            main.op("RELU", [x], [p if name == "p" else q])
        main.inputs, main.outputs = [x], [p, q]
        return builder
    old = write(tmp_path, "old.tflite", model("pq"))
    new = write(tmp_path, "new.tflite", model("qp"))
    document = run_diff(old, new, max_arena_growth="0%").document
    assert document["ops"]["matched"] == {"by_name": 2, "by_position": 0}


# -- memory gates --------------------------------------------------------------------------

def test_arena_growth_gate(tmp_path):
    old = write(tmp_path, "old.tflite", chain(shape=(1, 100)))
    new = write(tmp_path, "new.tflite", chain(shape=(1, 120)))
    arena = run_diff(old, new).document["memory"]["arena_bytes"]
    assert arena["new"] > arena["old"] and arena["growth"] > 0.1
    assert run_diff(old, new, max_arena_growth="10%").exit_code == 1
    assert run_diff(old, new, max_arena_growth="50%").exit_code == 0
    assert run_diff(old, new, max_arena_growth="1MiB").exit_code == 0
    assert run_diff(new, old, max_arena_growth="0%").exit_code == 0  # shrinking passes


def test_weights_growth_gate(run_cli, tmp_path):
    old = write(tmp_path, "old.tflite", fully_connected(units=3))
    new = write(tmp_path, "new.tflite", fully_connected(units=30))
    weights = run_diff(old, new).document["memory"]["weights_bytes"]
    assert weights["delta"] == 27 * 4 * 4 + 27 * 4
    code, out, _ = run_cli("diff", old, new, "--no-config", "--max-weights-growth", "10%")
    assert code == 1 and "gate --max-weights-growth 10%: CROSSED" in out
    assert run_cli("diff", old, new, "--no-config", "--max-weights-growth", "1KiB")[0] == 0


def test_a_malformed_limit_is_a_usage_error(run_cli, tmp_path):
    path = write(tmp_path, "m.tflite", chain())
    code, _, err = run_cli("diff", path, path, "--max-arena-growth", "lots")
    assert code == 2 and "--max-arena-growth 'lots'" in err


# -- targets -------------------------------------------------------------------------------

def test_op_newly_falling_back_on_a_target(run_cli, tmp_path):
    old = write(tmp_path, "old.tflite", fully_connected(version=1))
    new = write(tmp_path, "new.tflite", fully_connected(version=12))
    document = run_diff(old, new, target="gpu", no_new_fallback=True).document
    [off] = document["targets"]["gpu"]["newly_off_target"]
    assert (off["op"], off["was"], off["added"]) == ("FULLY_CONNECTED", "target", False)
    assert off["reasons"] and document["exit_code"] == 1
    code, out, _ = run_cli("diff", old, new, "--no-config", "--target", "gpu")
    assert code == 0 and "newly off target: FULLY_CONNECTED (op 0)" in out
    code, out, _ = run_cli("diff", new, old, "--no-config", "--target", "gpu",
                           "--no-new-fallback")
    assert code == 0 and "newly on target" in out


def test_sample_models_int8_to_float_falls_back_on_coral(run_cli):
    code, out, _ = run_cli("diff", MODELS / "cnn_int8.tflite", MODELS / "cnn_float32.tflite",
                           "--no-config", "--target", "coral", "--no-new-fallback")
    assert code == 1
    assert "can no longer run the model" in out and "gate --no-new-fallback: CROSSED" in out
    assert len(out.splitlines()) <= 40  # one screen
    assert max(len(line) for line in out.splitlines()) <= 100


# -- findings ------------------------------------------------------------------------------

def test_findings_new_and_gone(tmp_path):
    clean = write(tmp_path, "clean.tflite", relu_model())
    flex = write(tmp_path, "flex.tflite", tfl101.bad())
    document = run_diff(clean, flex).document
    assert "TFL101" in {f["rule"] for f in document["findings"]["new"]}
    assert not {f["rule"] for f in document["findings"]["gone"]} & {"TFL101"}
    back = run_diff(flex, clean).document
    assert "TFL101" in {f["rule"] for f in back["findings"]["gone"]}


def test_finding_key_is_rule_target_and_location_keys():
    finding = {"rule": "TFL301", "target": "gpu", "message": "changes between versions",
               "locations": [{"key": "CONV_2D:b"}, {"key": "CONV_2D:a"}]}
    assert finding_key(finding) == ("TFL301", "gpu", ("CONV_2D:a", "CONV_2D:b"))


# -- unreadable input, formats ---------------------------------------------------------------

def test_unreadable_models_exit_2(run_cli, tmp_path):
    good = write(tmp_path, "good.tflite", chain())
    corrupt = write(tmp_path, "corrupt.tflite", b"not a model at all, just some bytes")
    code, out, _ = run_cli("diff", good, corrupt, "--no-contract-change")
    assert code == 2 and "cannot be read" in out
    code, out, _ = run_cli("diff", tmp_path / "missing.tflite", good, "--format", "json")
    document = json.loads(out)
    assert code == 2 and document["old"]["error"] and document["exit_code"] == 2
    assert run_cli("diff", tmp_path, good)[0] == 2  # a directory


def test_formats_and_output_file(run_cli, tmp_path):
    old = write(tmp_path, "old.tflite", chain(shape=(1, 4)))
    new = write(tmp_path, "new.tflite", chain(shape=(1, 8)))
    code, out, _ = run_cli("diff", old, new, "--no-config", "--format", "markdown")
    assert code == 0 and out.startswith("## tfllint diff:") and "**contract: " in out
    target = tmp_path / "diff.json"
    code, out, _ = run_cli("diff", old, new, "--no-config", "--format", "json",
                           "-o", target)
    document = json.loads(target.read_text())
    assert code == 0 and out == "" and document["diff_version"] == "1.0"
    assert set(document) == {"tool", "tool_version", "diff_version", "old", "new", "changed",
                             "contract", "ops", "runtime", "quantization", "memory",
                             "targets", "findings", "gates", "exit_code"}


@pytest.mark.parametrize("bad", ["--format=sarif", "--bogus"])
def test_usage_errors_exit_2(run_cli, tmp_path, bad):
    path = write(tmp_path, "m.tflite", chain())
    with pytest.raises(SystemExit) as exit_:
        run_cli("diff", path, path, bad)
    assert exit_.value.code == 2


def test_a_model_with_several_subgraphs_against_itself():
    model = MODELS / "while_loop.tflite"
    result = run_diff(model, model, target="gpu", no_new_fallback=True)
    assert result.exit_code == 0 and result.changed is False
    assert result.document["ops"]["matched"]["by_position"] == 0


def test_many_changes_on_several_targets_still_fit_one_screen():
    document = run_diff(MODELS / "cnn_int8.tflite", MODELS / "cnn_float16.tflite",
                        target=["coral", "gpu", "tflm"], no_new_fallback=True,
                        no_contract_change=True, max_arena_growth="10%").document
    lines = render_diff(document).splitlines()
    assert len(lines) <= 40 and max(map(len, lines)) <= 100
    assert any("--format json lists them" in line for line in lines)
