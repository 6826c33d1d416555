"""The `npu-google-tensor` target: LiteRT's Google Tensor compiler plugin's public rule.

The plugin selects every op whose code is not in its deny list, and three composites. The
profile is checked against that list as the source and the 2.3.0 wheel hold it
(tests/data/npu_google_tensor_unsupported_ops_f67457790c9c.txt), then verdicts,
partitioning and the sample models. The closed Tensor compiler library, which the plugin
loads even to partition, is not on PyPI; it has the last word on what compiles.
tests/test_npu_public_rule_differential.py runs the plugin's own partition step with a
names-only stub of it."""
from __future__ import annotations

import pytest
from builder import ModelBuilder
from conftest import MODELS, target_result, verdicts
from intel_oracle import composite_model
from npu_tables import chain, recorded, table_count, wheel_plugin

from tfllint.reader.tflite_schema import ENUMS
from tfllint.targets.checks import google
from tfllint.targets.profile import load_target

DATA = "npu_google_tensor_unsupported_ops_f67457790c9c.txt"
SOURCE = ("google-ai-edge/LiteRT@f67457790c9c2ab67347d6fe53270e8d3df20868 "
          "litert/vendors/google_tensor/compiler/compiler_plugin.cc")


def tensor_result(data: bytes):
    return target_result(data, "npu-google-tensor")


# -- the deny list -----------------------------------------------------------------------------

def test_the_recorded_deny_list_is_the_sources_and_the_wheels():
    source = recorded(DATA, "source")
    assert len(source) == len(set(source)) == 43
    assert recorded(DATA, "wheel") == source
    assert tuple(recorded(DATA, "composite")) == google.COMPOSITES


def test_the_profile_selects_every_builtin_but_the_deny_list():
    profile = load_target("npu-google-tensor")
    deny = set(recorded(DATA, "source"))
    builtins = set(ENUMS["BuiltinOperator"].values())
    selected = {name for name, op in profile.ops.items() if name != "*" and op.supported}
    refused = {name for name, op in profile.ops.items() if not op.supported}
    assert selected == builtins - deny
    # custom ops are looked up as CUSTOM:<code>: none is listed, so CUSTOM stays off
    assert refused == deny - {"CUSTOM"}
    assert profile.ops["STABLEHLO_COMPOSITE"].checks == ("google-tensor-composite",)
    assert any(SOURCE in source for source in profile.sources)
    assert (profile.partitioning, profile.fallback, profile.runtime_path) == (
        "runs", "cpu", "compiledmodel-accelerator")
    assert "last word" in profile.describes and "Tensor_G4" in profile.describes


PLUGIN = wheel_plugin("google_tensor", "libLiteRtCompilerPlugin_google_tensor.so")


@pytest.mark.skipif(PLUGIN is None, reason="ai-edge-litert (the oracle extra) with the Google "
                                           "Tensor plugin is not installed")
def test_the_wheels_plugin_holds_the_recorded_deny_list():
    assert table_count(PLUGIN, recorded(DATA, "wheel")) == 1


# -- verdicts ----------------------------------------------------------------------------------

def test_ops_off_the_deny_list_are_selected_whatever_their_types():
    # no type, rank or version check in the public rule: an int16 unquantized TANH and a
    # float16 EXP are selected; the closed compiler decides whether they compile
    assert verdicts(tensor_result(chain("TANH", dtype="INT16"))) == [(0, "TANH", "target", ())]
    assert verdicts(tensor_result(chain("EXP", dtype="FLOAT16"))) == [(0, "EXP", "target", ())]


def test_a_denied_op_splits_the_graph():
    model = ModelBuilder()
    main = model.subgraph()
    x = main.tensor("x", [1, 8])
    a, shape, b = main.tensor("a", [1, 8]), main.tensor("shape", [2], "INT32"), \
        main.tensor("b", [1, 8])
    main.op("RELU", [x], [a])
    main.op("SHAPE", [a], [shape])
    main.op("RESHAPE", [a, shape], [b])
    main.inputs, main.outputs = [x], [b]
    result = tensor_result(model.build())
    assert verdicts(result) == [(0, "RELU", "target", ()), (1, "SHAPE", "cpu", ("not-listed",)),
                                (2, "RESHAPE", "target", ())]
    assert result.ops[1].reasons[0].fix.startswith(
        "The Google Tensor plugin never selects SHAPE (its deny list)")
    assert (result.partitions, result.transitions) == (2, 2)


def test_custom_and_flex_ops_stay_on_the_cpu():
    result = tensor_result((MODELS / "flex_op.tflite").read_bytes())
    assert [(i, op, verdict, codes) for i, op, verdict, codes in verdicts(result)
            if verdict != "target"] == [(0, "FlexMatrixDeterminant", "cpu", ("not-listed",))]


def test_only_three_composites_are_selected():
    for name in (*google.COMPOSITES, "odml.npu_call"):
        assert verdicts(tensor_result(composite_model(name)), subgraph=0) == [
            (0, "STABLEHLO_COMPOSITE", "target", ())], name
    other = tensor_result(composite_model("odml.l2_norm"))
    assert verdicts(other, subgraph=0) == [(0, "STABLEHLO_COMPOSITE", "cpu",
                                            ("google-tensor-composite",))]
    assert other.ops[0].reasons[0].tool == "unsupported composite op: odml.l2_norm"
    assert verdicts(tensor_result(composite_model("odml.cpu_call"))) == [
        (0, "STABLEHLO_COMPOSITE", "cpu", ("google-tensor-composite",)),
        (0, "RELU", "cpu", ("npu-cpu-call",))]


def test_sample_models_run_wholly_on_the_tpu_but_the_flex_op():
    for path in sorted(MODELS.glob("*.tflite")):
        result = tensor_result(path.read_bytes())
        off = [(v.subgraph, v.op) for v in result.ops if v.verdict != "target"]
        assert off == ([(0, "FlexMatrixDeterminant")] if path.stem == "flex_op" else []), \
            path.name
        assert result.model_reasons == ()
