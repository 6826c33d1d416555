"""A user profile that only `extends` a built-in target behaves exactly like it.

Facts about a target live in its profile, never in `if profile.name == ...` code
(DESIGN.md, Targets): so for every built-in target, a profile file that extends it under
another name gives the same findings (rule, severity, locations, message, fix) and the same
per-op verdicts on the sample models and on builder-made models that reach the
target-specific branches (dynamic and batch-8 inputs, compiled accelerator ops, float16
weights), once the target's name is normalised.
"""
from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from builder import ModelBuilder, float16_weights_model, relu_model

import tfllint
from tfllint.targets import builtin_profile_names

ROOT = Path(__file__).resolve().parent.parent
SAMPLES = sorted(str(path) for path in (ROOT / "models").glob("*.tflite"))
BUILTINS = sorted(set(builtin_profile_names().values()))
SETTINGS = dict(runtime_version="2.21", use_config=False)


def _int8_relu(shape, signature=None) -> ModelBuilder:
    """An int8 RELU whose input and output have `shape` (and `signature`)."""
    model = ModelBuilder()
    main = model.subgraph("main")
    quant = dict(scale=[1 / 255], zero_point=[-128], shape_signature=signature)
    x = main.tensor("image", shape, "INT8", **quant)
    y = main.tensor("relu", shape, "INT8", **quant)
    main.op("RELU", [x], [y])
    main.inputs, main.outputs = [x], [y]
    return model


def _compiled_ops() -> ModelBuilder:
    """A float model with both accelerators' compiled ops: other targets name them."""
    model = ModelBuilder()
    main = model.subgraph("main")
    x = main.tensor("x", [1, 8], "UINT8", scale=[0.5], zero_point=[0])
    middle = main.tensor("tpu_out", [1, 8], "UINT8", scale=[0.5], zero_point=[0])
    y = main.tensor("npu_out", [1, 8], "UINT8", scale=[0.5], zero_point=[0])
    main.op("CUSTOM", [x], [middle], custom_code="edgetpu-custom-op")
    main.op("CUSTOM", [middle], [y], custom_code="ethos-u")
    main.inputs, main.outputs = [x], [y]
    return model


def _float_conv() -> ModelBuilder:
    model = ModelBuilder()
    main = model.subgraph("main")
    x = main.tensor("x", [2, 8, 8, 3], shape_signature=[-1, 8, 8, 3])
    w = main.constant("w", np.ones((4, 3, 3, 3), np.float32))
    b = main.constant("b", np.zeros(4, np.float32))
    y = main.tensor("y", [2, 8, 8, 4], shape_signature=[-1, 8, 8, 4])
    main.op("CONV_2D", [x, w, b], [y], options=("Conv2DOptions", dict(
        padding=0, stride_w=1, stride_h=1, fused_activation_function=1)))
    main.inputs, main.outputs = [x], [y]
    return model


BUILT = {
    "relu.tflite": lambda: relu_model(),
    "float16_weights.tflite": float16_weights_model,
    "dynamic_batch_int8.tflite": lambda: _int8_relu([1, 8, 8, 3], [-1, 8, 8, 3]),
    "dynamic_height_int8.tflite": lambda: _int8_relu([1, 8, 8, 3], [1, -1, 8, 3]),
    "batch_8_image.tflite": lambda: _int8_relu([8, 8, 8, 3]),
    "batch_4_vector.tflite": lambda: _int8_relu([4, 16]),
    "compiled_ops.tflite": _compiled_ops,
    "float_conv_dynamic.tflite": _float_conv,
}


@pytest.fixture(scope="module")
def models(tmp_path_factory) -> list[str]:
    directory = tmp_path_factory.mktemp("built")
    paths = []
    for name, build in BUILT.items():
        path = directory / name
        path.write_bytes(build().build())
        paths.append(str(path))
    return SAMPLES + paths


def _normalised(report, name: str, replacements: dict[str, str]) -> list[dict]:
    """Per model: its findings and the target's section, with the target named `name`."""
    entries = []
    for model in report.to_json()["models"]:
        assert model["error"] is None, model["error"]
        text = json.dumps({"path": model["path"], "findings": model["findings"],
                           "targets": model["targets"], "memory": model["memory"]},
                          sort_keys=True)
        for old, new in replacements.items():
            text = text.replace(old, new)
        entries.append(json.loads(text))
    return entries


def test_every_builtin_target_is_listed():
    assert len(BUILTINS) == 18 and "gpu" in BUILTINS and "npu-qualcomm" in BUILTINS


@pytest.mark.parametrize("target", BUILTINS)
def test_a_profile_that_only_extends_a_builtin_behaves_like_it(target, models, tmp_path):
    profile = tmp_path / f"mine-{target}.toml"
    profile.write_text(f'[target]\nextends = "{target}"\nname = "mine-{target}"\n', "utf-8")
    builtin = tfllint.lint(models, target=target, **SETTINGS)
    mine = tfllint.lint(models, target=str(profile), **SETTINGS)
    expected = _normalised(builtin, target, {})
    got = _normalised(mine, target, {str(profile): target, f"mine-{target}": target})
    assert [m["path"] for m in got] == [m["path"] for m in expected]
    for theirs, ours in zip(expected, got):
        assert ours["findings"] == theirs["findings"], ours["path"]
        assert ours["targets"] == theirs["targets"], ours["path"]
        assert ours["memory"] == theirs["memory"], ours["path"]
    # the models reach the target-specific branches: every target says something
    assert any(finding["target"] == target for m in expected for finding in m["findings"])


def _messages(report, rule: str) -> list[str]:
    return [f["message"] for m in report.to_json()["models"] for f in m["findings"]
            if f["rule"] == rule]


@pytest.mark.parametrize("target, rule, words", [
    ("gpu", "TFL501", "takes only static-sized tensors"),
    ("nnapi", "TFL501", "(unless allow_dynamic_dimensions is set)"),
    ("xnnpack", "TFL501", "follows each resize (its subgraph reshaping is on by default)"),
    ("tflm", "TFL501", "reads only `shape`"),
    ("ethos-u65", "TFL501", "compiles it with batch 1"),
    ("cpu", "TFL501", "runs it at whatever size it is resized to"),
    ("coral", "TFL502", "the Edge TPU maps a tensor of rank 4 only when"),
    ("gpu", "TFL502", "ToTensorConverter: Batch size != 1 is not supported."),
])
def test_the_extending_profile_keeps_the_target_facts(target, rule, words, models, tmp_path):
    """The facts TFL501/TFL502 once took from the target's name come with `extends`."""
    profile = tmp_path / "mine.toml"
    profile.write_text(f'[target]\nextends = "{target}"\nname = "mine"\n', "utf-8")
    report = tfllint.lint(models, target=str(profile), **SETTINGS)
    assert any(words in message for message in _messages(report, rule))


def test_compiled_ops_are_named_from_the_profiles(models, tmp_path):
    profile = tmp_path / "mine.toml"
    profile.write_text('[target]\nextends = "gpu"\nname = "mine"\n', "utf-8")
    report = tfllint.lint(models, target=str(profile), **SETTINGS)
    reasons = [reason["message"] for m in report.to_json()["models"]
               for op in m["targets"]["mine"]["ops"] for reason in op["reasons"]]
    assert any("compiled for the Coral Edge TPU" in reason for reason in reasons)
    assert any("compiled for an Arm Ethos-U NPU" in reason for reason in reasons)


def test_a_users_compiled_op_is_named_on_the_other_targets_of_the_run(tmp_path):
    from builder import ModelBuilder

    model = ModelBuilder()
    main = model.subgraph()
    x, y = main.tensor("x", [1, 4], "INT8", scale=[0.1], zero_point=[0]), \
        main.tensor("y", [1, 4], "INT8", scale=[0.1], zero_point=[0])
    main.op("CUSTOM", [x], [y], custom_code="my-npu-program")
    main.inputs, main.outputs = [x], [y]
    path = tmp_path / "compiled.tflite"
    path.write_bytes(model.build())
    profile = tmp_path / "npu.toml"
    profile.write_text('[target]\nname = "npu"\ncompiled_op = "my-npu-program"\n'
                       'compiled_for = "my NPU"\n', "utf-8")
    report = tfllint.lint(path, target=["cpu", str(profile)], use_config=False)
    [op] = report.to_json()["models"][0]["targets"]["cpu"]["ops"]
    assert op["reasons"][0]["message"].startswith(
        "my-npu-program is a model already compiled for my NPU")


def test_a_profile_can_state_the_input_facts_itself(models, tmp_path):
    profile = tmp_path / "npu.toml"
    profile.write_text(
        '[target]\nname = "npu"\ntitle = "my NPU"\n'
        '[inputs]\ndynamic = "static-only"\ndynamic_note = "unless dynamic mode is on"\n'
        'batch_one = { min_rank = 2, max_rank = 2, reason = "my NPU runs rank {rank} at '
        'batch 1" }\n', "utf-8")
    report = tfllint.lint(models, target=str(profile), **SETTINGS)
    assert any("my NPU takes only static-sized tensors (unless dynamic mode is on)" in message
               for message in _messages(report, "TFL501"))
    assert _messages(report, "TFL502") == [
        "input 0 'image' has a fixed batch of 4 (shape [4, 16]); my NPU runs rank 2 at batch 1"]


def test_an_extending_profile_can_drop_batch_one(models, tmp_path):
    profile = tmp_path / "opencl.toml"
    profile.write_text('[target]\nextends = "gpu"\nname = "opencl"\n[inputs]\nbatch_one = false\n',
                       "utf-8")
    assert tfllint.targets.load_target(str(profile)).inputs.batch_one is None
    assert _messages(tfllint.lint(models, target=str(profile), **SETTINGS), "TFL502") == []


def test_a_new_dynamic_behaviour_drops_the_note_of_the_old_one(tmp_path):
    profile = tmp_path / "strict.toml"
    profile.write_text('[target]\nextends = "xnnpack"\nname = "strict"\n'
                       '[inputs]\ndynamic = "static-only"\n', "utf-8")
    inputs = tfllint.targets.load_target(str(profile)).inputs
    assert (inputs.dynamic, inputs.dynamic_note) == ("static-only", None)
    assert tfllint.targets.load_target("xnnpack").inputs.dynamic_note  # the base keeps its own


@pytest.mark.parametrize("text, error", [
    ('[inputs]\ndynamic = "sometimes"\n', "[inputs].dynamic must be one of resize"),
    ('[inputs]\nbatch_one = { min_rank = 2 }\n', "[inputs].batch_one.reason is required"),
    ('[inputs]\nbatch_one = { reason = "x", rank = 2 }\n', "unknown key(s) rank"),
    ('[inputs]\nstatic = true\n', "[inputs]: unknown key(s) static"),
    ('[inputs]\nbatch_one = true\n', "[inputs].batch_one must be a table"),
    ('[inputs]\nbatch_one = { reason = "x", min_rank = 0 }\n', "min_rank must be at least 1"),
    ('[inputs]\nbatch_one = { reason = "x", min_rank = 3, max_rank = 2 }\n',
     "max_rank at least min_rank"),
    ('[target]\ncompiled_for = 3\n', "[target].compiled_for must be str"),
])
def test_input_facts_are_validated(text, error, tmp_path):
    profile = tmp_path / "bad.toml"
    body = text if text.startswith("[target]") else "[target]\n" + text
    profile.write_text(body.replace("[target]\n", '[target]\nname = "bad"\n', 1), "utf-8")
    with pytest.raises(tfllint.errors.ConfigError) as raised:
        tfllint.targets.load_target(str(profile))
    assert error in str(raised.value)
