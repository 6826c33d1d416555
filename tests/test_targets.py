"""The target framework: user profiles and their validation, partitioning, --graph output."""
from __future__ import annotations

import json

import networkx
import pytest
from conftest import REPO, target_result, verdicts
from rule_examples._targets import NPU, int8_chain

from tfllint.errors import ConfigError
from tfllint.targets.profile import load_target


def npu_result(data: bytes, **settings):
    return target_result(data, NPU, settings)


def test_every_reason_of_an_op_is_collected():
    from builder import ModelBuilder

    model = ModelBuilder()
    main = model.subgraph()
    x = main.tensor("x", [1, 8, 8, 3], "FLOAT32")
    weights = main.tensor("w", [4, 3, 3, 3], "FLOAT32")  # not constant: an activation
    y = main.tensor("y", [1, 4, 4, 4], "FLOAT32")
    main.op("CONV_2D", [x, weights, -1], [y], version=5, options=(
        "Conv2DOptions", {"stride_w": 3, "stride_h": 3, "fused_activation_function": 3}))
    main.inputs, main.outputs = [x, weights], [y]
    result = npu_result(model.build())
    assert verdicts(result) == [(0, "CONV_2D", "cpu", (
        "version", "dtype", "fused-activation", "non-constant", "option"))]
    messages = [r.message for r in result.ops[0].reasons]
    assert messages[0] == "version 5; the test NPU runs versions 1..3"
    assert messages[4] == ("stride_w = 3 is outside what the test NPU supports (<= 2)")


def test_islands_partitioning_counts_partitions_and_transitions():
    result = npu_result(int8_chain("ADD", "TANH", "RELU", "LOGISTIC", "ADD"))
    assert [v.verdict for v in result.ops] == ["target", "cpu", "target", "cpu", "target"]
    assert (result.partitions, result.transitions) == (3, 4)
    assert (result.ops_on_target, result.ops_total) == (3, 5)


def test_model_requirement_blocks_and_names_the_input():
    result = npu_result(int8_chain("ADD", batch=-1))
    assert result.blocked and [r.code for r in result.model_reasons] == ["dynamic-shape"]
    assert "input 'x' has dynamic shape [-1, 4]" in result.model_reasons[0].message


def test_compiled_op_of_the_target():
    result = npu_result(int8_chain("CUSTOM", "RELU", custom_code="test-npu-program"))
    assert [v.verdict for v in result.ops] == ["compiled", "target"]


def write_profile(tmp_path, text: str) -> str:
    path = tmp_path / "npu.toml"
    path.write_text(text)
    return str(path)


@pytest.mark.parametrize("text, message", [
    ('[target]\ntitle = "x"\n', "[target]: name is required"),
    ('[target]\nname = "x"\npartitioning = "some"\n', "partitioning must be one of none, first-run"),
    ('[target]\nname = "x"\ncolour = 1\n', "[target]: unknown key(s) colour"),
    ('[target]\nname = "x"\n[ops.ADD]\nversions = [3, 1]\n', "[ops.ADD].versions must be a maximum or [min, max]"),
    ('[target]\nname = "x"\n[ops.ADD]\nchecks = ["no-such-check"]\n', "unknown check 'no-such-check'"),
    ('[target]\nname = "x"\n[ops.ADD]\nmax_rank = "four"\n', "[ops.ADD].max_rank must be int"),
    ('[target]\nname = "x"\n[ops.ADD]\noptions = { stride_w = { below = 3 } }\n', "unknown key(s) below"),
    ('[target]\nname = "x"\n[memory]\nsram = "1MB"\n', "[memory]: values must be integers"),
    ('[target\n', "not valid TOML"),
])
def test_profile_mistakes_are_one_clear_error(tmp_path, text, message):
    path = write_profile(tmp_path, text)
    with pytest.raises(ConfigError) as raised:
        load_target(path)
    assert message in str(raised.value) and path in str(raised.value)


def test_bad_target_on_the_command_line_exits_2(run_cli, tmp_path):
    model = tmp_path / "m.tflite"
    model.write_bytes(int8_chain("ADD"))
    code, out, err = run_cli(model, "--no-config", "--target", "tpu9000")
    assert code == 2 and out == "" and "unknown target 'tpu9000'; built-in targets:" in err
    code, _, err = run_cli(model, "--no-config", "--target", str(tmp_path / "missing.toml"))
    assert code == 2 and "No such file" in err


def test_targets_command_lists_the_built_in_targets(run_cli):
    code, out, _ = run_cli("targets")
    assert code == 0 and "cpu" in out and "builtin op resolver" in out
    assert "classic" in out and "interpreter" in out  # the path column


def test_every_built_in_target_says_which_path_it_models_and_what_it_cannot_know():
    from tfllint.targets import builtin_profile_names

    for stem in set(builtin_profile_names().values()):
        profile = load_target(stem)
        assert profile.runtime_path, stem
        assert profile.cannot_know and all(item.strip() for item in profile.cannot_know), stem
        assert profile.sources, stem


def test_targets_command_tells_one_target_in_full(run_cli):
    code, out, _ = run_cli("targets", "edgetpu")  # an alias
    assert code == 0
    lines = out.splitlines()
    assert lines[0].split() == ["coral", "the", "Coral", "Edge", "TPU"]
    assert lines[1].split() == ["aliases", "edgetpu"]
    assert lines[2].startswith("path          offline-compiler: a compiler run before")
    assert "describes     edgetpu_compiler 16.0.384591198" in out
    assert "cannot know   - the Edge TPU runtime (libedgetpu) version on the device" in out
    code, out, err = run_cli("targets", "tpu9000")
    assert code == 2 and out == "" and "unknown target 'tpu9000'" in err


def test_report_names_the_runtime_path_of_each_target(run_cli, tmp_path):
    model = tmp_path / "m.tflite"
    model.write_bytes(int8_chain("ADD"))
    _, out, _ = run_cli(model, "--no-config", "--target", "gpu,tflm,cpu")
    assert "  gpu (classic delegate): runs none of its 1 op" in out
    assert "  tflm (TFLite Micro): can run" in out
    assert "  cpu (interpreter): can run" in out
    _, out, _ = run_cli(model, "--no-config", "--target", "gpu", "--show", "ops")
    assert "    models: classic LiteRT GPU delegate, default options" in out
    assert "    cannot know: speed on the device" in out
    document = json.loads(run_cli(model, "--no-config", "--target", "xnnpack",
                                  "--format", "json")[1])
    target = document["models"][0]["targets"]["xnnpack"]
    assert target["runtime_path"] == "classic-delegate"
    assert target["cannot_know"][0].startswith("the device CPU's instruction set")


def test_graph_is_written_as_dot_and_graphml_coloured_by_verdict(run_cli, tmp_path):
    model = tmp_path / "m.tflite"
    model.write_bytes(int8_chain("ADD", "TANH", "RELU"))
    dot = tmp_path / "out" / "m.dot"
    code, _, err = run_cli(model, "--no-config", "--target", NPU, "--graph", dot)
    assert code == 0, err
    text = dot.read_text()
    assert text.startswith('digraph "m.tflite on test-npu" {')
    assert '"op1" [label="1: TANH", fillcolor="#f5c26b", tooltip="TANH is not supported' in text
    assert '"op0" -> "op1" [label="t0", fontsize=9];' in text
    assert text.rstrip().endswith("}")
    graphml = tmp_path / "m.graphml"
    assert run_cli(model, "--no-config", "--target", NPU, "--graph", graphml)[0] == 0
    graph = networkx.read_graphml(graphml)
    assert {node: data["verdict"] for node, data in graph.nodes(data=True)} == {
        "op0": "target", "op1": "cpu", "op2": "target", "in0": "io"}


def test_graph_path_needs_placeholders_for_several_outputs(run_cli, tmp_path):
    model = tmp_path / "m.tflite"
    model.write_bytes(int8_chain("ADD"))
    code, _, err = run_cli(model, "--no-config", "--target", f"cpu,{NPU}", "--graph",
                           tmp_path / "g.dot")
    assert code == 2 and "put {model} and {target} in the path" in err
    code, _, _ = run_cli(model, "--no-config", "--target", f"cpu,{NPU}", "--graph",
                         str(tmp_path / "{model}.{target}.dot"))
    assert code == 0
    assert sorted(p.name for p in tmp_path.glob("*.dot")) == ["m.cpu.dot", "m.test_npu.dot"]


def test_json_targets_section(run_cli, tmp_path):
    model = tmp_path / "m.tflite"
    model.write_bytes(int8_chain("ADD", "TANH"))
    document = json.loads(run_cli(model, "--no-config", "--target", NPU, "--format", "json")[1])
    target = document["models"][0]["targets"]["test-npu"]
    assert (target["runtime_path"], target["cannot_know"]) == (None, [])  # the profile is silent
    assert (target["ops_total"], target["ops_on_target"], target["partitions"]) == (2, 1, 1)
    assert target["ops"][1]["reasons"] == [{
        "code": "not-listed", "message": "TANH is not supported by the test NPU",
        "tool": "TANH: not supported on the test NPU",
        "fix": "Replace TANH with ops the test NPU runs (its profile lists them), or move it to "
               "the end of the graph so that only it runs on the CPU."}]
    assert REPO.exists()


@pytest.mark.parametrize("target", ["npu-intel", "npu-mediatek", "npu-google-tensor"])
def test_an_npu_only_accelerator_set_fails_the_compile_for_an_op_left_on_the_cpu(target):
    flex = (REPO / "models" / "flex_op.tflite").read_bytes()  # FlexMatrixDeterminant: CPU
    assert target_result(flex, target).model_reasons == ()  # default: npu,cpu
    result = target_result(flex, target, {"accelerators": ["npu"]})
    [reason] = result.model_reasons
    assert reason.code == "no-cpu-fallback"
    assert "CompiledModel::Create fails for the whole model: op 0 FlexMatrixDeterminant" \
        in reason.message
    assert target_result(flex, target, {"accelerators": ["gpu", "cpu"]}).model_reasons[0] \
        .message.startswith("the accelerator set (gpu,cpu) does not include npu")


def test_soc_picks_the_profile_that_describes_it(run_cli, tmp_path):
    model = tmp_path / "m.tflite"
    model.write_bytes(int8_chain("ADD"))
    code, out, _ = run_cli(model, "--no-config", "--target", "npu-qualcomm,gpu", "--soc",
                           "sm8450", "--format", "json")
    assert code == 0
    assert list(json.loads(out)["models"][0]["targets"]) == ["npu-qualcomm-v69", "gpu"]
    code, out, _ = run_cli(model, "--no-config", "--target", "npu-qualcomm", "--soc", "SM8750",
                           "--format", "json")
    assert list(json.loads(out)["models"][0]["targets"]) == ["npu-qualcomm"]
    code, out, err = run_cli(model, "--no-config", "--target", "npu-qualcomm", "--soc", "SM1")
    assert code == 2 and out == "" and "--soc SM1: no Qualcomm profile describes it" in err
    code, _, err = run_cli(model, "--no-config", "--target", "gpu", "--soc", "SM8450")
    assert code == 2 and "none of the targets depends on the SoC" in err
    code, _, err = run_cli(model, "--no-config", "--soc", "SM8450")
    assert code == 2 and "name an NPU target with --target" in err
    _, out, _ = run_cli("targets", "npu-qualcomm-sm8450")
    assert "SoCs          SM8350, SA8295, SM8450, SM8475 (--soc picks" in out
