"""The `npu-samsung` target: LiteRT's Samsung compiler plugin, by its public rule only.

No oracle runs (the plugin's Partition selects every op; Compile needs Samsung's AI
LiteCore SDK), so the profile is checked against the plugin's source tables, recorded with
their commit in tests/data/npu_samsung_builders_f67457790c9c.txt, and against the strings
of the plugin in the ai-edge-litert wheel where it is installed. Then exact verdicts on
tiny built models: an op without a builder, or whose builder fails, stops the compile of
the whole model (no CPU fallback)."""
from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

import numpy as np
import pytest
from builder import OPTIONS, ModelBuilder
from conftest import MODELS, lint_bytes, rule_locations, target_result, verdicts
from intel_oracle import Plugin, composite_model, partition, paths

from tfllint.engine.rule import Location
from tfllint.targets.profile import load_target

TABLES = Path(__file__).parent / "data" / "npu_samsung_builders_f67457790c9c.txt"
COMMIT = "f67457790c9c2ab67347d6fe53270e8d3df20868"
OPTIONS["StridedSliceOptions"].setdefault("offset", (5, "bool"))  # schema.fbs slot 5


def tables() -> dict[str, list[str]]:
    """kind -> entries of the recorded source tables (a line: "<kind> <entry>")."""
    found: dict[str, list[str]] = {}
    for line in TABLES.read_text().splitlines():
        if line and not line.startswith("#"):
            kind, _, entry = line.partition(" ")
            found.setdefault(kind, []).append(entry)
    return found


def samsung(data: bytes):
    return target_result(data, "npu-samsung")


def one_op(op: str, inputs, out_shape=(1, 8), out_dtype="FLOAT32", options=None) -> bytes:
    """x (1x8 float32) and `inputs` (callables making more tensors) -> op -> y."""
    model = ModelBuilder()
    main = model.subgraph()
    x = main.tensor("x", [1, 8])
    extra = [make(main) for make in inputs]
    y = main.tensor("y", list(out_shape), out_dtype)
    main.op(op, [x, *extra], [y], options=options)
    main.inputs, main.outputs = [x] + [i for i in extra if not main.tensors[i]["buffer"]], [y]
    return model.build()


def const(name, values, dtype="INT32"):
    numpy_type = {"INT32": np.int32, "INT64": np.int64, "INT8": np.int8, "FLOAT32": np.float32,
                  "FLOAT64": np.float64}[dtype]
    return lambda main: main.constant(name, np.asarray(values, numpy_type), dtype)


def computed(name, shape, dtype="INT32"):
    return lambda main: main.tensor(name, list(shape), dtype)


# -- the profile against the source's tables ---------------------------------------------------

def test_the_profile_lists_exactly_the_ops_with_a_builder():
    recorded = tables()
    profile = load_target("npu-samsung")
    assert len(recorded["builder"]) == len(set(recorded["builder"])) == 72
    assert set(profile.ops) - {"*"} == set(recorded["builder"])
    assert recorded["composite"] == ["odml.rms_norm"]
    assert profile.ops["STABLEHLO_COMPOSITE"].checks == ("samsung-composite",)
    constants = {op: tuple(int(p) for p in positions.split())
                 for op, _, positions in (e.partition(" ") for e in recorded["constant"])}
    assert {name: op.constant_inputs for name, op in profile.ops.items()
            if op.constant_inputs} == constants
    assert profile.dtypes == tuple(recorded["dtype"])
    assert all(COMMIT in source for source in profile.sources)


def test_every_verdict_says_it_rests_on_the_public_rule_only():
    profile = load_target("npu-samsung")
    assert "public rule only" in profile.title
    assert "public rule only" in profile.describes
    assert "Public rule only" in profile.messages["summary"]
    assert profile.fallback == "none" and profile.runtime_path == "compiledmodel-accelerator"


def test_the_wheels_plugin_has_the_builders_of_this_source():
    ai_edge_litert = pytest.importorskip(
        "ai_edge_litert", reason="the Samsung plugin ships in ai-edge-litert==2.3.0 (oracle extra)")
    plugin = (Path(ai_edge_litert.__file__).parent / "vendors" / "samsung" / "compiler" /
              "libLiteRtCompilerPlugin_Samsung.so")
    if not plugin.is_file():
        pytest.skip(f"this ai-edge-litert has no Samsung plugin at {plugin}")
    data = plugin.read_bytes()
    missing = [text for text in tables()["wheel-string"] if text.encode() not in data]
    assert not missing


# The wheel's plugin leaves flatbuffers::ClassicLocale::instance_ undefined, so it does not
# load; a library defining that symbol, preloaded, lets it (shared/research/npu-oracle.md §4).
LOCALE_SHIM = "char _ZN11flatbuffers13ClassicLocale9instance_E[64];\n"


@pytest.fixture(scope="module")
def samsung_plugin(tmp_path_factory) -> Plugin:
    if paths("samsung") is None:
        pytest.skip("the Samsung plugin ships in ai-edge-litert==2.3.0 (oracle extra), "
                    "which is not installed")
    compiler = shutil.which("cc") or shutil.which("gcc")
    if compiler is None:
        pytest.skip("no C compiler to build the shim the Samsung plugin needs to load")
    work = tmp_path_factory.mktemp("samsung-shim")
    (work / "shim.c").write_text(LOCALE_SHIM)
    subprocess.run([compiler, "-shared", "-fPIC", "-o", str(work / "libshim.so"),
                    str(work / "shim.c")], check=True, capture_output=True)
    return Plugin("samsung", "Samsung", "E9965", preload=str(work / "libshim.so"))


def test_the_plugins_partition_step_selects_every_op(samsung_plugin, tmp_path):
    """The fact behind fallback = "none", from the wheel's plugin itself: its partition
    step selects every op (Flex, WHILE, ONE_HOT, a composite it cannot build), so an op
    without a builder reaches Compile, where the whole compile fails."""
    extra = {"one_hot": one_op("ONE_HOT", [const("depth", 4), const("on", [1.0], "FLOAT32"),
                                           const("off", [0.0], "FLOAT32")], out_shape=(1, 8, 4)),
             "composite": composite_model("odml.scaled_dot_product_attention")}
    models = {p.stem: p for p in sorted(MODELS.glob("*.tflite"))}
    for name, data in extra.items():
        models[name] = tmp_path / f"{name}.tflite"
        models[name].write_bytes(data)
    for name, path in models.items():
        result = partition(path, samsung_plugin)
        assert result.ok, f"{name}: {result.log[-1500:]}"
        assert set(result.selected.values()) <= {True, None}, name
        assert all(selected == total for selected, total, _ in result.stats.values()), name
        assert "cpu" not in {v.verdict for v in samsung(path.read_bytes()).ops}, name


# -- ops without a builder, and builders that fail ---------------------------------------------

def test_an_op_without_a_builder_stops_the_whole_compile():
    data = one_op("ONE_HOT", [const("depth", 4), const("on", [1.0], "FLOAT32"),
                              const("off", [0.0], "FLOAT32")], out_shape=(1, 8, 4))
    result = samsung(data)
    assert verdicts(result) == [(0, "ONE_HOT", "blocks", ("not-listed",))]
    assert result.blocked
    assert result.ops[0].reasons[0].tool == "Unsupported op: 85"
    assert result.ops[0].reasons[0].message == (
        "ONE_HOT is not supported by LiteRT's Samsung NPU plugin (public rule only)")
    assert ("TFL302", Location(subgraph=0, op_index=0, op="ONE_HOT")) in rule_locations(
        lint_bytes(data, target=["npu-samsung"]))


def test_builders_that_read_constant_inputs():
    mean = one_op("MEAN", [computed("axis", [1])], out_shape=(1,),
                  options=("ReducerOptions", {"keep_dims": False}))
    assert verdicts(samsung(mean)) == [(0, "MEAN", "blocks", ("non-constant",))]
    assert samsung(mean).ops[0].reasons[0].tool == "Fail to parse op's options."
    folded = one_op("MEAN", [const("axis", [1])], out_shape=(1,),
                    options=("ReducerOptions", {"keep_dims": False}))
    assert verdicts(samsung(folded)) == [(0, "MEAN", "target", ())]


def test_single_axis_of_arg_max():
    two = one_op("ARG_MAX", [const("axis", [0, 1])], out_shape=(1,), out_dtype="INT32")
    assert verdicts(samsung(two)) == [(0, "ARG_MAX", "blocks", ("samsung-single-axis",))]
    assert samsung(two).ops[0].reasons[0].message == (
        "the axis input 'axis' holds 2 values; the builder takes 1")
    one = one_op("ARG_MAX", [const("axis", [1])], out_shape=(1,), out_dtype="INT32")
    assert verdicts(samsung(one)) == [(0, "ARG_MAX", "target", ())]


def test_fully_connected_weights_of_rank_two():
    rank3 = one_op("FULLY_CONNECTED", [const("w", np.ones((1, 4, 8)), "FLOAT32")],
                   out_shape=(1, 4))
    assert verdicts(samsung(rank3)) == [(0, "FULLY_CONNECTED", "blocks",
                                         ("samsung-fc-kernel-rank",))]
    rank2 = one_op("FULLY_CONNECTED", [const("w", np.ones((4, 8)), "FLOAT32")], out_shape=(1, 4))
    assert verdicts(samsung(rank2)) == [(0, "FULLY_CONNECTED", "target", ())]


def test_paddings_and_reshape_shape_types():
    int8_paddings = one_op("PAD", [const("p", [[0, 0], [1, 1]], "INT8")], out_shape=(1, 10))
    assert verdicts(samsung(int8_paddings)) == [(0, "PAD", "blocks", ("samsung-paddings-type",))]
    int64_paddings = one_op("PAD", [const("p", [[0, 0], [1, 1]], "INT64")], out_shape=(1, 10))
    assert verdicts(samsung(int64_paddings)) == [(0, "PAD", "target", ())]
    int64_shape = one_op("RESHAPE", [const("s", [8, 1], "INT64")], out_shape=(8, 1))
    assert verdicts(samsung(int64_shape)) == [(0, "RESHAPE", "blocks",
                                               ("samsung-reshape-shape",))]


def test_strided_slice_offset():
    def strided(offset: bool) -> bytes:
        bounds = [const("b", [0, 0]), const("e", [1, 4]), const("s", [1, 1])]
        return one_op("STRIDED_SLICE", bounds, out_shape=(1, 4),
                      options=("StridedSliceOptions", {"offset": offset}))
    assert verdicts(samsung(strided(False))) == [(0, "STRIDED_SLICE", "target", ())]
    refused = samsung(strided(True))
    assert verdicts(refused) == [(0, "STRIDED_SLICE", "blocks", ("option",))]
    assert refused.ops[0].reasons[0].tool == "Fail to parse op's options."


def test_tensor_types_constants_included():
    float64 = one_op("ADD", [const("w", np.ones((1, 8)), "FLOAT64")])
    assert verdicts(samsung(float64)) == [(0, "ADD", "blocks", ("samsung-constant-types",))]
    assert samsung(float64).ops[0].reasons[0].tool == "Element Type not supported"
    model = ModelBuilder()
    main = model.subgraph()
    a, b = main.tensor("a", [1, 8], "FLOAT64"), main.tensor("b", [1, 8], "FLOAT64")
    main.op("ABS", [a], [b])
    main.inputs, main.outputs = [a], [b]
    assert verdicts(samsung(model.build())) == [(0, "ABS", "blocks", ("dtype",))]


def test_only_the_rms_norm_composite_is_built():
    other = samsung(composite_model("odml.scaled_dot_product_attention"))
    assert verdicts(other, subgraph=0) == [(0, "STABLEHLO_COMPOSITE", "blocks",
                                            ("samsung-composite",))]
    no_attributes = samsung(composite_model("odml.rms_norm"))
    assert verdicts(no_attributes, subgraph=0) == [(0, "STABLEHLO_COMPOSITE", "blocks",
                                                    ("samsung-composite",))]
    assert no_attributes.ops[0].reasons[0].message == (
        "the odml.rms_norm composite has no attributes; its builder needs epsilon")


# -- the samples -------------------------------------------------------------------------------

SAMPLES = {  # model: (ops with a builder, ops, {(subgraph, op): codes} of the others)
    "cnn_float16": (19, 19, {}), "cnn_float32": (9, 9, {}), "cnn_int8": (9, 9, {}),
    "cnn_int8_metadata": (9, 9, {}), "cnn_int8_uint8io": (11, 11, {}),
    "dense_dynamic_range": (3, 3, {}), "dynamic_batch": (3, 3, {}),
    "flex_op": (2, 3, {(0, 0): ("not-listed",)}), "micro_int8": (3, 3, {}),
    "two_inputs": (5, 5, {}), "while_loop": (5, 6, {(0, 0): ("not-listed",)}),
}


def test_every_sample_model_end_to_end(run_cli):
    code, out, err = run_cli(MODELS, "--no-config", "--target", "npu-samsung", "--format", "json")
    assert code == 1, err  # flex_op and while_loop cannot be compiled
    seen = {}
    for report in json.loads(out)["models"]:
        name = report["path"].rsplit("/", 1)[-1][:-len(".tflite")]
        target = report["targets"]["npu-samsung"]
        off = {(o["subgraph"], o["op_index"]): tuple(r["code"] for r in o["reasons"])
               for o in target["ops"] if o["verdict"] != "target"}
        seen[name] = (target["ops_on_target"], target["ops_total"], off)
        assert target["can_run"] == (not off), name
        tfl302 = {(place["subgraph"], place["op_index"]) for f in report["findings"]
                  if f["rule"] == "TFL302" for place in f["locations"]}
        assert tfl302 == set(off), name
    assert seen == SAMPLES


def test_a_model_compiled_for_samsung_is_recognised_and_one_for_another_npu_is_refused():
    from test_litert_compiled import compiled

    assert verdicts(samsung(compiled("Samsung", "E9965"))) == [(0, "DISPATCH_OP", "compiled", ())]
    theirs = samsung(compiled("IntelOpenVINO", "LNL"))
    assert verdicts(theirs) == [(0, "DISPATCH_OP", "blocks", ("not-listed",))]
    assert [r.code for r in theirs.model_reasons] == ["npu-compiled-for-another-soc"]
