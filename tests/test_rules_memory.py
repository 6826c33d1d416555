"""Memory budgets and the TFL4xx rules: sizes, where budgets and the planner come from, each
rule's branches beyond its examples, the report's memory section and the --plot SVG.

Rule branches use arena plans built by hand (Analyses.arena replaced) so that they test
the rules, not the planners; the end-to-end tests at the bottom use the real planners.
"""
from __future__ import annotations

import json
import sys
import xml.etree.ElementTree as ElementTree
from pathlib import Path

import jsonschema
import numpy as np
import pytest
from builder import ModelBuilder
from conftest import MODELS, REPO, lint_bytes, rule_locations, view_of

sys.path.insert(0, str(Path(__file__).parent / "rule_examples"))
from _memory_models import broadcast_add, dense, residual_chain  # noqa: E402

from tfllint.analyses import Analyses  # noqa: E402
from tfllint.analyses.arena import PLANNERS, ArenaPlan, LiveTensor  # noqa: E402
from tfllint.analyses.budget import (arena_planner, memory_budget,  # noqa: E402
                                     weights_budget)
from tfllint.engine.rule import Location  # noqa: E402
from tfllint.engine.settings import settings_from_mapping  # noqa: E402
from tfllint.errors import ConfigError  # noqa: E402
from tfllint.plot import memory_svg  # noqa: E402
from tfllint.report import model_report  # noqa: E402
from tfllint.pipeline import Report  # noqa: E402
from tfllint.reporters.text_details import memory_block  # noqa: E402
from tfllint.sizes import exact_bytes, human_bytes, parse_size  # noqa: E402
from tfllint.targets.profile import ARENA_PLANNERS, load_target  # noqa: E402

RUNTIME = {"runtime-version": "2.21"}
SCHEMA = json.loads((REPO / "tfllint" / "report.schema.json").read_text())
SVG = "{http://www.w3.org/2000/svg}"


def settings(**values):
    return settings_from_mapping(values, "test")


def memory_findings(data: bytes, **values) -> list:
    return [f for f in lint_bytes(data, **{**RUNTIME, **values}) if f.rule.startswith("TFL4")]


def messages(findings, rule_id: str) -> list[str]:
    return [f.message for f in findings if f.rule == rule_id]


@pytest.fixture
def board(tmp_path):
    """A profile of the user's own board: TFLite Micro with `[memory]` figures."""
    def write(name="board", **memory) -> str:
        path = tmp_path / f"{name}.toml"
        figures = "".join(f"{key} = {value}\n" for key, value in memory.items())
        path.write_text(f'[target]\nname = "{name}"\nextends = "tflm"\n[memory]\n{figures}')
        return str(path)
    return write


@pytest.fixture
def plan_is(monkeypatch):
    """Make every Analyses return `plan` (for whichever planner is asked) from arena()."""
    asked = []

    def use(plan: ArenaPlan):
        def arena(self, planner):
            asked.append(planner)
            return plan
        monkeypatch.setattr(Analyses, "arena", arena, raising=False)
        return asked
    return use


def chain_plan(**changes) -> ArenaPlan:
    """A plan for residual_chain(256): ops 0 and 1, three 1 KiB tensors live at op 1."""
    values = dict(planner="litert", head_bytes=3072, tail_bytes=0, timeline=(2048, 3072),
                  peak_op=1, live_at_peak=(LiveTensor(0, 0, "features", 1024),
                                           LiveTensor(0, 1, "sum0", 1024),
                                           LiveTensor(0, 2, "sum1", 1024)))
    values.update(changes)
    return ArenaPlan(**values)


# -- sizes ----------------------------------------------------------------------------------

@pytest.mark.parametrize("text, size", [
    ("256KiB", 256 * 1024), ("8MB", 8_000_000), ("1.5GiB", 3 * 2 ** 29), ("1048576", 2 ** 20),
    (4096, 4096), ("64 kib", 65536), ("2kB", 2000), ("3 MiB", 3 * 2 ** 20), ("1GB", 10 ** 9),
    ("512B", 512), (".5KiB", 512), ("0.5 MB", 500_000), ("2.0", 2)])
def test_sizes_in_decimal_and_binary_units(text, size):
    assert parse_size(text) == size


@pytest.mark.parametrize("text, size", [
    ("0.3KiB", 307), ("0.1MiB", 104_857), ("1.0001kB", 1000), ("0.0015kB", 1)])
def test_a_unit_that_makes_a_fraction_of_a_byte_rounds_down(text, size):
    # 0.3KiB is 307.2 bytes: a 307-byte arena fits it, a 308-byte one does not
    assert parse_size(text) == size


@pytest.mark.parametrize("text, error", [
    ("8M", "unknown unit 'm' in '8M'; write MB (powers of 1000) or MiB (powers of 1024)"),
    ("12XB", "unknown unit 'xb' in '12XB'; units: B, kB, MB, GB, KiB, MiB, GiB"),
    ("0", "a size must be at least 1 byte, got '0'"),
    ("0.0005KiB", "a size must be at least 1 byte, got '0.0005KiB'"),
    ("1.5", "a size in bytes must be a whole number, got '1.5'; did you mean 1.5KiB or 1.5MiB?"),
    ("0.5B", "a size in bytes must be a whole number, got '0.5B'; did you mean 0.5KiB or "
             "0.5MiB?"),
    (2.5, "a size in bytes must be a whole number, got 2.5; did you mean 2.5KiB or 2.5MiB?"),
    (0, "a size must be at least 1 byte, got 0"),
    ("-5KiB", "expected a size like 256KiB, 8MB, 1.5GiB or 1048576 (bytes), got '-5KiB'"),
    ("lots", "expected a size like 256KiB, 8MB, 1.5GiB or 1048576 (bytes), got 'lots'"),
    (True, "expected a size like 256KiB, 8MB, 1.5GiB or 1048576 (bytes), got True"),
    (1.5e6, "expected a size like 256KiB, 8MB, 1.5GiB or 1048576 (bytes), got 1500000.0")])
def test_bad_sizes_say_what_is_accepted(text, error):
    with pytest.raises(ValueError) as raised:
        parse_size(text)
    assert str(raised.value).startswith(error)


def test_sizes_print_in_binary_units():
    assert [human_bytes(n) for n in (0, 1023, 1024, 1536, 3 * 2 ** 20, 5 * 2 ** 30, -2048)] == [
        "0 B", "1023 B", "1.0 KiB", "1.5 KiB", "3.0 MiB", "5.0 GiB", "-2.0 KiB"]
    assert exact_bytes(82528) == "80.6 KiB (82,528 bytes)"
    assert exact_bytes(100) == "100 bytes"


def test_budget_keys_in_settings_and_their_errors():
    values = settings(**{"memory-budget": "256KiB", "weights-budget": 2_000_000})
    assert (values.memory_budget, values.weights_budget) == (262144, 2_000_000)
    with pytest.raises(ConfigError) as raised:
        settings(**{"memory-budget": "64K"})
    assert str(raised.value) == ("test: memory-budget: unknown unit 'k' in '64K'; write KB "
                                 "(powers of 1000) or KiB (powers of 1024); units: B, kB, MB, "
                                 "GB, KiB, MiB, GiB")


def test_budgets_from_the_command_line_and_the_config_file(tmp_path, run_cli, monkeypatch):
    model = tmp_path / "chain.tflite"
    model.write_bytes(residual_chain(256))
    monkeypatch.chdir(tmp_path)
    (tmp_path / "tfllint.toml").write_text('memory-budget = "2KiB"\nselect = ["TFL4"]\n')
    assert run_cli(model)[0] == 1
    assert run_cli(model, "--memory-budget", "1MiB")[0] == 0  # the command line wins
    (tmp_path / "tfllint.toml").write_text('memory-budget = "lots"\n')
    code, _, err = run_cli(model)
    assert code == 2
    assert err == (f"tfllint: error: {tmp_path / 'tfllint.toml'}: memory-budget: expected a "
                   "size like 256KiB, 8MB, 1.5GiB or 1048576 (bytes), got 'lots'\n")
    code, _, err = run_cli(model, "--no-config", "--weights-budget", "8M")
    assert code == 2 and "command line: weights-budget: unknown unit 'm' in '8M'" in err


# -- which budget, which planner ------------------------------------------------------------

def test_the_users_budget_wins_over_a_targets_default(board):
    assert memory_budget(settings()) is None and weights_budget(settings()) is None
    mine = board(sram_bytes=393216)
    user = memory_budget(settings(**{"memory-budget": "1MiB", "target": [mine]}))
    assert (user.bytes, user.source, user.target) == (2 ** 20, "the memory budget", None)
    default = memory_budget(settings(target=["cpu", mine]))
    assert (default.bytes, default.source, default.target) == (
        393216, "board's default memory budget ([memory] sram_bytes)", "board")
    assert default.headroom(400_000) == -6784


def test_no_built_in_target_sets_a_budget():
    """A runtime has no RAM size of its own; Ethos-U65/U85's SRAM is a cache in front of the
    arena in DRAM, so it is information (arena_cache_bytes), not a limit."""
    every = settings(target=["cpu", "coral", "gpu", "nnapi", "xnnpack", "tflm", "ethos-u55",
                             "ethos-u65", "ethos-u85", "hexagon", "coreml"])
    assert memory_budget(every) is None and weights_budget(every) is None
    assert load_target("ethos-u65").memory["arena_cache_bytes"] == 393216


def test_the_smallest_target_default_applies(board):
    large, small = board("large", sram_bytes=393216), board(
        "small-npu", sram_bytes=131072, flash_bytes=1000000)
    budget = memory_budget(settings(target=[large, small]))
    assert (budget.bytes, budget.target) == (131072, "small-npu")
    weights = weights_budget(settings(target=[large, small]))
    assert (weights.bytes, weights.source) == (
        1_000_000, "small-npu's default weights budget ([memory] flash_bytes)")
    assert weights_budget(settings(**{"weights-budget": "2MB", "target": [small]})).bytes \
        == 2_000_000


@pytest.mark.parametrize("targets, planner", [
    ([], "litert"), (["cpu"], "litert"), (["coral"], "litert"), (["gpu", "xnnpack"], "litert"),
    (["tflm"], "tflm"), (["micro"], "tflm"), (["ethos-u55"], "tflm"), (["ethos-u65"], "tflm"),
    (["ethos-u85"], "tflm"), (["cpu", "tflm"], "tflm")])
def test_the_planner_follows_the_runtime_of_the_targets(targets, planner):
    assert arena_planner(settings(target=targets) if targets else settings()) == planner
    assert arena_planner(None) == "litert"


def test_a_profile_names_its_planner_and_extensions_inherit_it(tmp_path):
    board = tmp_path / "board.toml"
    board.write_text('[target]\nname = "board"\nextends = "ethos-u55"\n')
    assert load_target(str(board)).arena_planner == "tflm"
    bad = tmp_path / "bad.toml"
    bad.write_text('[target]\nname = "bad"\narena_planner = "tvm"\n')
    with pytest.raises(ConfigError) as raised:
        load_target(str(bad))
    assert str(raised.value) == (f"{bad} [target].arena_planner must be one of tflm, litert, "
                                 "got 'tvm'")
    assert ARENA_PLANNERS == PLANNERS


# -- TFL401 arena-over-budget ---------------------------------------------------------------

def test_tfl401_names_the_planner_the_tail_and_the_live_tensors(plan_is):
    asked = plan_is(chain_plan(planner="tflm", head_bytes=3072, tail_bytes=1200))
    findings = memory_findings(residual_chain(256), **{"memory-budget": "4KiB",
                                                       "target": ["tflm"]})
    assert asked and set(asked) == {"tflm"}
    assert rule_locations(findings) == {("TFL401", Location(subgraph=0, op_index=1, op="ADD"))}
    assert messages(findings, "TFL401") == [
        "the tflm arena needs 4.2 KiB (4,272 bytes): 3.0 KiB of planned activations (head) "
        "and 1.2 KiB persistent (tail); the memory budget of 4.0 KiB (4,096 bytes) is 176 B "
        "short. Peak at op 1 ADD, where 'features' 1.0 KiB, 'sum0' 1.0 KiB and 'sum1' "
        "1.0 KiB are live"]
    assert findings[0].fix == ("shrink the tensors live at the peak op (resolution, channels, "
                               "int8 activations) or raise the memory budget")


def test_tfl401_names_the_planning_temp_and_a_scratch_buffer(plan_is):
    plan_is(chain_plan(planner="tflm", tail_bytes=1000, temp_bytes=600,
                       live_at_peak=(LiveTensor(0, -1, "(kernel scratch buffer)", 2048),
                                     LiveTensor(0, 0, "features", 1024))))
    [message] = messages(memory_findings(residual_chain(256), **{"memory-budget": "4KiB",
                                                                 "target": ["tflm"]}), "TFL401")
    assert message == (
        "the tflm arena needs 4.6 KiB (4,672 bytes): 3.0 KiB of planned activations (head), "
        "1000 B persistent (tail) and 600 B more while it plans (temp); the memory budget of "
        "4.0 KiB (4,096 bytes) is 576 B short. Peak at op 1 ADD, where (kernel scratch "
        "buffer) 2.0 KiB and 'features' 1.0 KiB are live")


def test_tfl401_fits_exactly_at_the_budget(plan_is):
    plan_is(chain_plan())
    assert memory_findings(residual_chain(256), **{"memory-budget": 3072}) == []
    assert rule_locations(memory_findings(residual_chain(256), **{"memory-budget": 3071})) == {
        ("TFL401", Location(subgraph=0, op_index=1, op="ADD"))}


def test_tfl401_counts_the_tensors_it_does_not_name_and_says_lower_bound(plan_is):
    live = tuple(LiveTensor(0, index, f"t{index}" if index else "", 700 - index)
                 for index in range(7))
    plan_is(chain_plan(head_bytes=4800, live_at_peak=live,
                       lower_bound="input 'features' has a dynamic dimension 0, planned at 1"))
    [message] = messages(memory_findings(residual_chain(256), **{"memory-budget": "4KiB"}),
                         "TFL401")
    assert message == (
        "the litert arena needs 4.7 KiB (4,800 bytes): 4.7 KiB of planned activations (head); "
        "the memory budget of 4.0 KiB (4,096 bytes) is 704 B short. Peak at op 1 ADD, where "
        "#0 700 B, 't1' 699 B, 't2' 698 B, 't3' 697 B, 't4' 696 B and 2 more (1.4 KiB) are "
        "live. This is a lower bound: input 'features' has a dynamic dimension 0, planned at 1")


def test_tfl401_without_a_peak_op_reports_the_model(plan_is):
    plan_is(ArenaPlan("litert", head_bytes=0, tail_bytes=5000))
    findings = memory_findings(residual_chain(256), **{"memory-budget": "4KiB"})
    assert rule_locations(findings) == {("TFL401", Location())}
    assert messages(findings, "TFL401") == [
        "the litert arena needs 4.9 KiB (5,000 bytes): 0 B of planned activations (head) and "
        "4.9 KiB persistent (tail); the memory budget of 4.0 KiB (4,096 bytes) is 904 B short"]


def test_tfl401_with_a_targets_default_budget_names_the_target(plan_is, board):
    plan_is(chain_plan(planner="tflm", head_bytes=400_000))
    [finding] = memory_findings(residual_chain(256), target=[board(sram_bytes=393216)],
                                select=["TFL401"])
    assert finding.target == "board"
    assert "; board's default memory budget ([memory] sram_bytes) of 384.0 KiB " \
           "(393,216 bytes) is 6.6 KiB short." in finding.message


def test_no_budget_no_memory_findings_and_no_plan_needed(plan_is):
    asked = plan_is(chain_plan(head_bytes=10 ** 9))
    assert memory_findings(broadcast_add(10_000)) == []
    assert asked == []


# -- TFL402 tensor-larger-than-budget -------------------------------------------------------

def dynamic_and_variable_model() -> bytes:
    """A dynamic-batch input and a variable, each 4 KiB at the stored shape, a 4 KiB
    constant (not an activation), and a second subgraph with a 4 KiB tensor."""
    model = ModelBuilder()
    main = model.subgraph("main")
    frames = main.tensor("frames", [1, 1024], shape_signature=[-1, 1024])
    state = main.tensor("state", [1, 1024], is_variable=True)
    table = main.constant("table", np.zeros((1, 1024), np.float32))
    mixed = main.tensor("mixed", [1, 1024], shape_signature=[-1, 1024])
    tabled = main.tensor("tabled", [1, 4], shape_signature=[-1, 4])
    main.op("ADD", [frames, table], [mixed])
    main.op("ADD", [mixed, state], [tabled])
    main.inputs, main.outputs = [frames], [tabled]
    body = model.subgraph("unused")
    big = body.tensor("scratch", [2048])
    small = body.tensor("small", [4])
    body.op("RELU", [big], [small])
    body.inputs, body.outputs = [big], [small]
    model.signature("serving_default", {"frames": frames}, {"tabled": tabled})
    return model.build()


def test_tfl402_every_kind_of_activation_in_every_subgraph():
    findings = memory_findings(dynamic_and_variable_model(), **{"memory-budget": "2KiB"},
                               ignore=["TFL401"])
    assert {key for key in rule_locations(findings) if key[0] == "TFL402"} == {
        ("TFL402", Location(subgraph=0, tensor="frames", tensor_index=0)),
        ("TFL402", Location(subgraph=0, tensor="state", tensor_index=1)),
        ("TFL402", Location(subgraph=0, tensor="mixed", tensor_index=3)),
        ("TFL402", Location(subgraph=1, tensor="scratch", tensor_index=0))}
    by_tensor = {f.location.tensor: f.message for f in findings if f.rule == "TFL402"}
    assert by_tensor["frames"] == (
        "activation 'frames' (#0), float32 [-1, 1024], is 4.0 KiB (4,096 bytes) at least (at "
        "its stored shape [1, 1024]); the memory budget of 2.0 KiB (2,048 bytes) cannot hold "
        "it alone")
    assert by_tensor["state"] == (
        "variable 'state' (#1), float32 [1, 1024], is 4.0 KiB (4,096 bytes); the memory "
        "budget of 2.0 KiB (2,048 bytes) cannot hold it alone")
    assert by_tensor["scratch"].startswith("activation 'scratch' (#0), float32 [2048], is "
                                           "8.0 KiB (8,192 bytes);")


def test_tfl402_a_tensor_exactly_the_budget_fits():
    assert memory_findings(broadcast_add(64), **{"memory-budget": 4096},
                           ignore=["TFL401"]) == []


# -- TFL403 weights-over-budget -------------------------------------------------------------

def shared_weights_model() -> bytes:
    """Seven constants, two tensors sharing one 4 KiB buffer (counted once)."""
    model = ModelBuilder()
    main = model.subgraph("main")
    x = main.tensor("x", [1, 1024])
    shared = model.buffer(np.ones((1, 1024), np.float32))
    current = x
    for index in range(2):
        weights = main.tensor(f"shared{index}", [1, 1024], buffer=shared)
        out = main.tensor(f"y{index}", [1, 1024])
        main.op("ADD", [current, weights], [out])
        current = out
    for index in range(5):
        weights = main.constant(f"small{index}", np.ones((1, 16 * (index + 1)), np.float32))
        out = main.tensor(f"z{index}", [1, 1024])
        main.op("ADD", [current, weights], [out])
        current = out
    main.inputs, main.outputs = [x], [current]
    model.signature("serving_default", {"x": x}, {"y": current})
    return model.build()


def test_tfl403_counts_a_shared_buffer_once_and_lists_the_largest():
    findings = memory_findings(shared_weights_model(), **{"weights-budget": "4KiB"})
    assert rule_locations(findings) == {("TFL403", Location())}
    assert messages(findings, "TFL403") == [
        "the weights take 4.9 KiB (5,056 bytes); the weights budget of 4.0 KiB (4,096 bytes) "
        "is 960 B short. Largest: 'shared0' 4.0 KiB, 'small4' 320 B, 'small3' 256 B, "
        "'small2' 192 B, 'small1' 128 B and 1 more (64 B)"]
    assert memory_findings(shared_weights_model(), **{"weights-budget": 5056}) == []


def test_tfl403_with_a_profiles_flash_budget(board):
    findings = memory_findings(dense(64, 64), target=[board(flash_bytes=8192)],
                               select=["TFL403"])
    assert [(f.rule, f.target) for f in findings] == [("TFL403", "board")]
    assert "board's default weights budget ([memory] flash_bytes) of 8.0 KiB" in \
        findings[0].message


# -- TFL404 edgetpu-parameter-cache-overflow ------------------------------------------------

def test_tfl404_message_gives_the_figure_and_the_cost():
    [finding] = [f for f in memory_findings(dense(2560, 4096, "INT8"), target=["coral"])
                 if f.rule == "TFL404"]
    assert finding.target == "coral" and finding.severity == "warning"
    assert finding.message == (
        "the op that runs on the Coral Edge TPU read 10.0 MiB (10,496,000 bytes) of weights; "
        "its on-chip parameter cache holds about 8.0 MiB (8,388,608 bytes), so at least "
        "2.0 MiB stream from host memory on every inference (the compiler reports it as "
        "\"Off-chip memory used for streaming uncached model parameters\"). Largest: "
        "'weights' 10.0 MiB and 'bias' 10.0 KiB")


def test_tfl404_counts_only_what_runs_on_the_edge_tpu():
    """10 MiB of weights after the first op the Edge TPU lacks: the compiler's region ends
    there, the dense layer runs on the CPU and its weights never reach the cache."""
    model = ModelBuilder()
    main = model.subgraph("main")
    int8 = {"scale": [0.5], "zero_point": [0]}
    features = main.tensor("features", [1, 4096], "INT8", **int8)
    rectified = main.tensor("rectified", [1, 4096], "INT8", **int8)
    leaky = main.tensor("leaky", [1, 4096], "INT8", **int8)
    main.op("RELU", [features], [rectified])
    main.op("LEAKY_RELU", [rectified], [leaky])
    weights = main.constant("weights", np.ones((2560, 4096), np.int8), "INT8", scale=[0.25],
                            zero_point=[0])
    bias = main.constant("bias", np.zeros(2560, np.int32), "INT32", scale=[0.125],
                         zero_point=[0])
    scores = main.tensor("scores", [1, 2560], "INT8", scale=[1.0], zero_point=[0])
    main.op("FULLY_CONNECTED", [leaky, weights, bias], [scores], version=4)
    main.inputs, main.outputs = [features], [scores]
    model.signature("serving_default", {"features": features}, {"scores": scores})
    data = model.build()
    result = Analyses(view_of(data), settings(target=["coral"])).target("coral")
    assert [v.verdict for v in result.ops] == ["target", "cpu", "cpu"]
    assert "TFL404" not in {f.rule for f in lint_bytes(data, **RUNTIME, target=["coral"])}


def test_tfl404_skips_compiled_and_blocked_models():
    compiled = ModelBuilder()
    main = compiled.subgraph("main")
    x = main.tensor("x", [1, 4096], "UINT8", scale=[0.5], zero_point=[0])
    y = main.tensor("y", [1, 10], "UINT8", scale=[0.5], zero_point=[0])
    payload = main.constant("payload", np.ones(9 * 2 ** 20, np.uint8), "UINT8")
    main.op("CUSTOM", [x, payload], [y], custom_code="edgetpu-custom-op")
    main.inputs, main.outputs = [x], [y]
    data = compiled.build()
    assert Analyses(view_of(data), settings(target=["coral"])).target("coral").compiled
    assert "TFL404" not in {f.rule for f in lint_bytes(data, **RUNTIME, target=["coral"])}
    blocked = dense(2560, 4096, "INT8", dynamic_batch=True)  # static shapes are required
    assert Analyses(view_of(blocked), settings(target=["coral"])).target("coral").blocked
    assert "TFL404" not in {f.rule for f in lint_bytes(blocked, **RUNTIME, target=["coral"])}


# -- the report: JSON, schema, text ---------------------------------------------------------

def report_of(data: bytes, **values) -> dict:
    view = view_of(data)
    return model_report(view, Analyses(view, settings(**values)), [])


def test_json_memory_section_carries_the_plan_and_the_budgets(plan_is):
    plan_is(chain_plan(planner="tflm", tail_bytes=1200))
    memory = report_of(residual_chain(256), **{"memory-budget": "4KiB", "weights-budget": 100,
                                               "target": ["tflm"]})["memory"]
    assert memory == {
        "weights_bytes": 0, "arena_bytes": 4272, "peak_op": 1,
        "largest_tensor": {"subgraph": 0, "index": 0, "name": "features", "bytes": 1024},
        "activation_bytes": [3072], "variable_bytes": 0,
        "planner": "tflm", "head_bytes": 3072, "tail_bytes": 1200, "temp_bytes": 0,
        "lower_bound": None, "notes": [],
        "live_at_peak": [{"subgraph": 0, "index": 0, "name": "features", "bytes": 1024},
                         {"subgraph": 0, "index": 1, "name": "sum0", "bytes": 1024},
                         {"subgraph": 0, "index": 2, "name": "sum1", "bytes": 1024}],
        "timeline": {"op": ["ADD", "ADD"], "live_bytes": [2048, 3072]},
        "memory_budget": {"bytes": 4096, "source": "the memory budget", "target": None,
                          "headroom_bytes": -176},
        "weights_budget": {"bytes": 100, "source": "the weights budget", "target": None,
                           "headroom_bytes": 100},
    }
    report = Report(models=(report_of(residual_chain(256), **{"memory-budget": "4KiB"}),))
    jsonschema.validate(report.to_json(), SCHEMA)


def test_text_shows_the_figures_the_budgets_and_the_top_ops(plan_is):
    timeline = (100, 900, 300, 2500, 2000, 40, 700)
    plan_is(ArenaPlan("tflm", head_bytes=2560, tail_bytes=1200, timeline=timeline, peak_op=3,
                      live_at_peak=(LiveTensor(0, 4, "conv", 2000), LiveTensor(0, 2, "", 500)),
                      lower_bound="input 'x' has a dynamic dimension 0, planned at 1"))
    model = ModelBuilder()
    main = model.subgraph("main")
    current = main.tensor("x", [1, 4])
    main.inputs = [current]
    for index in range(7):
        out = main.tensor(f"t{index}", [1, 4])
        main.op("RELU" if index % 2 else "TANH", [current], [out])
        current = out
    main.outputs = [current]
    memory = report_of(model.build(), **{"memory-budget": "4KiB", "weights-budget": "1MB",
                                         "target": ["tflm"]})["memory"]
    assert memory_block(memory).splitlines() == [
        "  memory (tflm planner): arena 3.7 KiB = 2.5 KiB head + 1.2 KiB tail; weights 0 B",
        "    activations 128 B without reuse; largest 'x' 16 B",
        "    memory budget 4.0 KiB: 336 B headroom (8%)",
        "    weights budget 976.6 KiB: 976.6 KiB headroom (100%)",
        "    lower bound: input 'x' has a dynamic dimension 0, planned at 1",
        "    peak at op 3 RELU: 2.4 KiB live: 'conv' 2.0 KiB, #2 500 B",
        "      op  name       live",
        "    ----  ------  -------",
        "       3  RELU    2.4 KiB",
        "       4  TANH    2.0 KiB",
        "       1  RELU      900 B",
        "       6  TANH      700 B",
        "       2  TANH      300 B"]


def test_text_sizes_per_subgraph_variables_and_the_largest_elsewhere():
    model = ModelBuilder()
    main, body = model.subgraph("main"), model.subgraph("body")
    x, state, y = (main.tensor("x", [1, 4]), main.tensor("state", [1, 8], is_variable=True),
                   main.tensor("y", [1, 4]))
    main.op("RELU", [x], [y])
    main.inputs, main.outputs = [x], [y]
    a, b = body.tensor("a", [1, 64]), body.tensor("b", [1, 64])
    body.op("RELU", [a], [b])
    body.inputs, body.outputs = [a], [b]
    memory = report_of(model.build())["memory"]
    assert (memory["activation_bytes"], memory["variable_bytes"]) == ([32, 512], 32)
    assert memory_block(memory).splitlines()[1] == (
        "    activations 544 B without reuse (sg0 32 B + sg1 512 B); variables 32 B; "
        "largest 'a' in sg1 256 B")


def test_text_shows_the_planning_temp_notes_and_scratch_buffers(plan_is):
    plan_is(chain_plan(planner="tflm", tail_bytes=1000, temp_bytes=600,
                       live_at_peak=(LiveTensor(0, -1, "(kernel scratch buffer)", 2048),),
                       notes=("tail estimated for ops with no measured kernel cost: ADD",)))
    lines = memory_block(report_of(residual_chain(256), target=["tflm"])["memory"]).splitlines()
    assert lines[:4] == [
        "  memory (tflm planner): arena 4.6 KiB = 3.0 KiB head + 1000 B tail + 600 B temp; "
        "weights 0 B",
        "    activations 3.0 KiB without reuse; largest 'features' 1.0 KiB",
        "    note: tail estimated for ops with no measured kernel cost: ADD",
        "    peak at op 1 ADD: 3.0 KiB live: (kernel scratch buffer) 2.0 KiB"]


def test_text_names_a_targets_default_budget_and_an_overrun(plan_is, board):
    plan_is(chain_plan(planner="tflm", head_bytes=400_000))
    memory = report_of(residual_chain(256), target=[board(sram_bytes=393216)])["memory"]
    assert memory_block(memory).splitlines()[2] == (
        "    memory budget 384.0 KiB (board's default memory budget ([memory] "
        "sram_bytes)): 6.6 KiB OVER")


# -- --plot ---------------------------------------------------------------------------------

def plot_memory(timeline, peak_op, budget=None, tail=0, ops=None) -> dict:
    head = max(timeline, default=0)
    ops = ops or [("CONV_2D" if i % 2 else "RELU") for i in range(len(timeline))]
    return {"planner": "tflm" if tail else "litert", "head_bytes": head, "tail_bytes": tail,
            "temp_bytes": 0, "arena_bytes": head + tail, "peak_op": peak_op,
            "lower_bound": None, "notes": [],
            "timeline": {"op": ops[:len(timeline)], "live_bytes": list(timeline)},
            "memory_budget": None if budget is None else {
                "bytes": budget, "source": "the memory budget", "target": None,
                "headroom_bytes": budget - head - tail}}


def parse_svg(text: str) -> ElementTree.Element:
    return ElementTree.fromstring(text)


def polyline_points(root) -> list[tuple[float, float]]:
    [polyline] = root.iter(f"{SVG}polyline")
    return [tuple(map(float, point.split(","))) for point in polyline.get("points").split()]


def test_plot_is_svg_with_one_point_per_op_and_the_peak_marked():
    timeline = [1000, 5000, 30000, 12000, 70000, 20000, 3000]
    root = parse_svg(memory_svg(plot_memory(timeline, 4, tail=8000), "m.tflite: memory"))
    assert root.tag == f"{SVG}svg"
    points = polyline_points(root)
    assert len(points) == len(timeline)
    assert [x for x, _ in points] == sorted(x for x, _ in points)
    assert min(points, key=lambda point: point[1]) == points[4]  # highest = smallest y
    [peak] = [c for c in root.iter(f"{SVG}circle") if c.get("class") == "peak"]
    assert (float(peak.get("cx")), float(peak.get("cy"))) == points[4]
    assert peak.get("data-op-index") == "4"
    texts = ["".join(t.itertext()) for t in root.iter(f"{SVG}text")]
    assert "peak: op 4 RELU, 68.4 KiB live" in texts
    assert "arena in use (KiB)" in texts
    assert "persistent tail 7.8 KiB" in texts
    assert not [line for line in root.iter(f"{SVG}line") if line.get("class") == "budget"]


def test_plot_draws_the_budget_line_at_the_budget():
    timeline = [100, 400, 300]
    root = parse_svg(memory_svg(plot_memory(timeline, 1, budget=350), "m"))
    [budget] = [line for line in root.iter(f"{SVG}line") if line.get("class") == "budget"]
    [arena] = [line for line in root.iter(f"{SVG}line") if line.get("class") == "arena"]
    assert budget.get("y1") == budget.get("y2")
    assert float(budget.get("y1")) > float(arena.get("y1"))  # 350 B is below the 400 B arena
    texts = ["".join(t.itertext()) for t in root.iter(f"{SVG}text")]
    assert "budget 350 B" in texts and "arena in use (B)" in texts
    # the y axis reaches at least the highest of the data, the arena and the budget
    ticks = [float("".join(t.itertext())) for t in root.iter(f"{SVG}text")
             if t.get("text-anchor") == "end" and "".join(t.itertext()).replace(".", "").isdigit()]
    assert ticks[0] == 0 and ticks[-1] >= 400


def test_plot_of_a_model_without_ops_and_names_that_need_escaping():
    root = parse_svg(memory_svg(plot_memory([], None), "<odd> & \"name\".tflite"))
    assert not list(root.iter(f"{SVG}polyline"))
    texts = ["".join(t.itertext()) for t in root.iter(f"{SVG}text")]
    assert "no ops" in texts and "<odd> & \"name\".tflite" in texts


def test_plot_option_writes_one_file_per_model(tmp_path, run_cli):
    for name, data in (("a", residual_chain(256)), ("b", broadcast_add(16))):
        (tmp_path / f"{name}.tflite").write_bytes(data)
    code, _, err = run_cli(tmp_path, "--no-config", "--plot", str(tmp_path / "m.svg"))
    assert code == 2 and "with several models, put {model} in the path" in err
    code, _, err = run_cli(tmp_path / "a.tflite", "--no-config", "--plot", tmp_path / "m.png")
    assert code == 2 and "the file must end in .svg" in err
    code, _, _ = run_cli(tmp_path, "--no-config", "--memory-budget", "2KiB", "--plot",
                         str(tmp_path / "plots-{model}.svg"))
    assert code == 1
    for name in ("a", "b"):
        root = parse_svg((tmp_path / f"plots-{name}.svg").read_text())
        assert [line for line in root.iter(f"{SVG}line") if line.get("class") == "budget"]
    code, out, err = run_cli(tmp_path / "a.tflite", "--no-config", "--plot",
                             tmp_path / "missing" / "a.svg")
    assert code == 2 and out == ""  # said before linting
    assert f"--plot {tmp_path / 'missing' / 'a.svg'}: there is no directory " \
           f"{tmp_path / 'missing'}" in err
    (tmp_path / "v2").mkdir()
    (tmp_path / "v2" / "a.tflite").write_bytes(residual_chain(256))
    code, out, err = run_cli(tmp_path, "--no-config", "--plot", str(tmp_path / "{model}.svg"))
    assert code == 2 and out == ""
    assert f"{tmp_path / 'a.tflite'} and {tmp_path / 'v2' / 'a.tflite'} would both be " \
           "plotted as {model} = a" in err
    (tmp_path / "plots").mkdir()
    (tmp_path / "plots" / "a.svg").mkdir()  # a directory where the file should go
    code, _, err = run_cli(tmp_path / "a.tflite", "--no-config", "--plot",
                           tmp_path / "plots" / "a.svg")
    assert code == 2 and "--plot" in err and "Is a directory" in err


# -- end to end, with the real planners -----------------------------------------------------

def test_examples_fire_with_the_real_planners():
    assert rule_locations(memory_findings(residual_chain(256), **{"memory-budget": "2KiB"})) \
        == {("TFL401", Location(subgraph=0, op_index=1, op="ADD"))}
    assert memory_findings(residual_chain(128), **{"memory-budget": "2KiB"}) == []


# Arena (head + tail + temp) of each sample under the tflm planner; only cnn_float16 (its
# float16 weights are dequantized into float32 tensors in the arena) is over 64 KiB.
TFLM_ARENA = {"cnn_float16": 76688, "cnn_float32": 35824, "cnn_int8": 11408,
              "cnn_int8_metadata": 11408, "cnn_int8_uint8io": 11648,
              "dense_dynamic_range": 2432, "dynamic_batch": 1808, "flex_op": 1552,
              "micro_int8": 2208, "two_inputs": 2024, "while_loop": 3168}


def test_sample_models_under_a_tflm_budget(run_cli):
    """The issue's check: `tfllint models/ --target tflm --memory-budget 64KiB`."""
    code, out, _ = run_cli(MODELS, "--no-config", "--target", "tflm", "--memory-budget",
                           "64KiB", "--select", "TFL4", "--format", "json")
    document = json.loads(out)
    jsonschema.validate(document, SCHEMA)
    assert code == 1
    arenas, fired = {}, {}
    for model in document["models"]:
        name, memory = Path(model["path"]).stem, model["memory"]
        assert memory["planner"] == "tflm"
        assert memory["arena_bytes"] == (memory["head_bytes"] + memory["tail_bytes"]
                                         + memory["temp_bytes"])
        assert memory["memory_budget"]["headroom_bytes"] == 65536 - memory["arena_bytes"]
        operators = view_of(Path(model["path"]).read_bytes()).main.operators
        assert memory["timeline"]["op"] == [op.name for op in operators]
        assert len(memory["timeline"]["live_bytes"]) == len(operators)
        arenas[name] = memory["arena_bytes"]
        fired[name] = {(f["rule"], place["op_index"], place["op"])
                       for f in model["findings"] for place in f["locations"]}
    assert arenas == TFLM_ARENA
    assert fired == {name: set() for name in TFLM_ARENA} | {
        "cnn_float16": {("TFL401", 12, "CONV_2D")}}
    [finding] = document["models"][0]["findings"]
    assert finding["message"].startswith(
        "the tflm arena needs 74.9 KiB (76,688 bytes): 70.7 KiB of planned activations (head) "
        "and 4.2 KiB persistent (tail); the memory budget of 64.0 KiB (65,536 bytes) is "
        "10.9 KiB short. Peak at op 12 CONV_2D, where 'cnn_1/logits_1/MatMul1' 20.0 KiB, "
        "'cnn_1/conv2_1/convolution1' 18.0 KiB, ")
    one = run_cli(MODELS / "cnn_int8.tflite", "--no-config", "--target", "tflm",
                  "--memory-budget", "64KiB", "--select", "TFL4", "--show", "memory")
    assert one[0] == 0
    assert "memory (tflm planner): arena 11.1 KiB = 8.0 KiB head + 3.1 KiB tail" in one[1]
    assert "memory budget 64.0 KiB: 52.9 KiB headroom (83%)" in one[1]


def test_the_tflm_build_is_the_users_choice(run_cli, tmp_path):
    """--tflm-word-size (or tflm-word-size in the config) picks the build that is planned
    and budgeted; the other build's figure is still reported."""
    def arena(*arguments):
        code, out, err = run_cli(MODELS / "cnn_int8.tflite", "--target", "tflm", "--format",
                                 "json", *arguments)
        assert code == 0, err
        memory = json.loads(out)["models"][0]["memory"]
        return memory["arena_bytes"], [b["word_size"] for b in memory["tflm_builds"]]

    host, builds = arena("--no-config")
    assert builds == [64, 32]
    device, builds = arena("--no-config", "--tflm-word-size", "32")
    assert builds == [32, 64] and device < host
    config = tmp_path / "tfllint.toml"
    config.write_text('tflm-word-size = 32\n')
    assert arena("--config", config) == (device, [32, 64])
    config.write_text('tflm-word-size = 16\n')
    code, _, err = run_cli(MODELS / "cnn_int8.tflite", "--config", config)
    assert code == 2 and "tflm-word-size must be 32" in err
