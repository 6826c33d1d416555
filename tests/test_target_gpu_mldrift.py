"""The `gpu-mldrift` target (LiteRT CompiledModel GPU accelerator, ML Drift): exact verdicts,
reason codes and the accelerator's own words for each kind of rule in
rules/targets/gpu-mldrift.toml, both accelerator sets (--accelerators), the failures reported
against its releases (TFL306), and the comparison with edge-compat's measured matrices
(tests/data/edge_compat_mldrift.json)."""
from __future__ import annotations

import json
from collections import Counter
from pathlib import Path

import numpy as np
import pytest
from builder import ModelBuilder, _ints
from conftest import MODELS, lint_bytes, rule_locations, target_result, tools, verdicts

from tfllint.engine.rule import Location
from tfllint.errors import ConfigError
from tfllint.targets import load_target

DATA = Path(__file__).parent / "data"
REAL_MODELS = Path.home() / ".cache" / "tfllint-real-models" / "models"
TARGET = "gpu-mldrift"
NUMPY = {"FLOAT32": np.float32, "FLOAT16": np.float16, "INT32": np.int32, "INT64": np.int64,
         "INT8": np.int8, "BOOL": np.bool_}
SHAPES = {0: [], 1: [4], 2: [2, 4], 3: [2, 3, 4], 4: [1, 2, 3, 4], 5: [1, 2, 2, 3, 4]}


class CompositeBuilder(ModelBuilder):
    """ModelBuilder that also writes STABLEHLO_COMPOSITE ops: an op dict with "composite"
    (its name) gets StableHLOCompositeOptions in builtin_options_2 (Operator slots 11, 12;
    BuiltinOptions2 21; the options' name is slot 0, decomposition_subgraph_index slot 1)."""

    def _operator(self, b, op):
        if "composite" not in op:
            return ModelBuilder._operator(b, op)
        name = b.CreateString(op["composite"])
        inputs, outputs = _ints(b, op["inputs"]), _ints(b, op["outputs"])
        b.StartObject(5)
        b.PrependUOffsetTRelativeSlot(0, name, 0)
        b.PrependInt32Slot(1, op["decomposition"], 0)
        options = b.EndObject()
        b.StartObject(13)
        b.PrependUint32Slot(0, op["opcode"], 0)
        b.PrependUOffsetTRelativeSlot(1, inputs, 0)
        b.PrependUOffsetTRelativeSlot(2, outputs, 0)
        b.PrependUint8Slot(11, 21, 0)
        b.PrependUOffsetTRelativeSlot(12, options, 0)
        return b.EndObject()


def const(sub, name, values, dtype="FLOAT32", **kwargs):
    return sub.constant(name, np.asarray(values, dtype=NUMPY[dtype]), dtype, **kwargs)


def single(op, inputs, outputs, *, version=1, options=None, custom_code=None,
           composite=None) -> bytes:
    """One op: `inputs` are (name, shape, dtype) model inputs or (name, values, dtype,
    "const"); `outputs` (shape, dtype) pairs."""
    model = CompositeBuilder()
    main = model.subgraph()
    tensors, model_inputs = [], []
    for spec in inputs:
        if len(spec) == 4:
            tensors.append(const(main, *spec[:3]))
        else:
            tensors.append(main.tensor(*spec))
            model_inputs.append(tensors[-1])
    written = [main.tensor(f"out{i}", shape, dtype) for i, (shape, dtype) in enumerate(outputs)]
    index = main.op(op, tensors, written, version=version, options=options,
                    custom_code=custom_code)
    main.inputs, main.outputs = model_inputs, written
    if composite:
        body = model.subgraph("decomposition")
        x = body.tensor("x", outputs[0][0], outputs[0][1])
        body.inputs = body.outputs = [x]
        main.operators[index].update(composite=composite, decomposition=1)
    return model.build()


def unary(op, shape=(1, 2, 3, 4), dtype="FLOAT32", out_dtype=None, **kwargs) -> bytes:
    return single(op, [("x", shape, dtype)], [(shape, out_dtype or dtype)], **kwargs)


def binary(op, first=(1, 2, 3, 4), second=(1, 2, 3, 4), dtype="FLOAT32", out_dtype=None,
           out_shape=None, **kwargs) -> bytes:
    return single(op, [("a", first, dtype), ("b", second, dtype)],
                  [(out_shape or first, out_dtype or dtype)], **kwargs)


def mldrift(data: bytes, **settings):
    return target_result(data, TARGET, settings)


def codes(data: bytes, **settings):
    return verdicts(mldrift(data, **settings))


# -- the profile ----------------------------------------------------------------------------

def test_profile_cites_its_source_and_webgpu_is_the_same_rule_set():
    profile = load_target(TARGET)
    assert load_target("webgpu").name == TARGET == load_target("mldrift").name
    assert profile.accelerator == "gpu" and profile.release == "2.2.0"
    assert profile.partitioning == "largest" and profile.max_delegated_partitions == 1
    assert all("f67457790c9c" in source for source in profile.sources[:7])
    assert {bug.issue for bug in profile.bugs} == {
        "google-ai-edge/LiteRT#9272", "google-ai-edge/LiteRT#8980",
        "google-ai-edge/LiteRT#9277", "google-ai-edge/LiteRT#9523"}


# -- the tensor filter: rank below 5, types with per-op widenings ----------------------------

def test_rank_five_is_refused_for_computed_and_constant_tensors():
    assert codes(unary("EXP", shape=(1, 2, 2, 3, 4))) == [
        (0, "EXP", "cpu", ("mldrift-tensor-filter",))]
    assert tools(mldrift(unary("EXP", shape=(1, 2, 2, 3, 4)))) == [
        "EXP: Tensor dimensions must be less than 5. x"]
    constant = single("ADD", [("x", [1, 2, 3, 4], "FLOAT32"),
                              ("c", np.ones((1, 1, 2, 3, 4)), "FLOAT32", "const")],
                      [([1, 1, 2, 3, 4], "FLOAT32")])
    assert codes(constant)[0][3][0] == "mldrift-tensor-filter"
    assert codes(unary("EXP", shape=(1, 2, 3, 4))) == [(0, "EXP", "target", ())]


def test_int64_is_refused_and_each_widening_admits_its_type():
    assert codes(binary("ADD", dtype="INT64")) == [(0, "ADD", "cpu", ("mldrift-tensor-filter",))]
    assert tools(mldrift(binary("ADD", dtype="INT64"))) == [
        "ADD: Tensor type(INT64) is not supported. a"]
    # IsIntSupportedOp, SupportAllPrecisionOp, IsCompareOpCode, ARG_MAX's INT32 output
    assert codes(binary("ADD", dtype="INT32"))[0][2] == "target"
    assert codes(binary("CONCATENATION", dtype="INT32", out_shape=(1, 2, 3, 8),
                        options=("ConcatenationOptions", {"axis": 3})))[0][2] == "target"
    assert codes(binary("GREATER", out_dtype="BOOL"))[0][2] == "target"
    argmax = single("ARG_MAX", [("x", [1, 8], "FLOAT32"), ("axis", [1], "INT32", "const")],
                    [([1], "INT32")])
    assert codes(argmax)[0][2] == "target"
    # not widened: INT32 into LOGISTIC, an INT32 output of EXP
    assert codes(unary("LOGISTIC", dtype="INT32"))[0][3] == ("mldrift-tensor-filter",)


# -- version ceilings and the ops gpu_compatibility.cc lacks ---------------------------------

@pytest.mark.parametrize("op, ceiling", [("ADD", 6), ("MUL", 8), ("ABS", 5), ("SUB", 2)])
def test_version_ceilings(op, ceiling):
    make = unary if op == "ABS" else binary
    assert codes(make(op, version=ceiling))[0][2] == "target"
    above = mldrift(make(op, version=ceiling + 1))
    assert verdicts(above) == [(0, op, "cpu", ("version",))]
    assert tools(above) == [f"{op}: Max version supported: {ceiling}. Requested version "
                            f"{ceiling + 1}."]


def test_relu_0_to_1_has_a_parser_but_no_gpu_compatibility_case():
    result = mldrift(unary("RELU_0_TO_1"))
    assert verdicts(result) == [(0, "RELU_0_TO_1", "cpu", ("not-listed",))]
    assert tools(result) == ["RELU_0_TO_1: Not supported op RELU_0_TO_1"]


# -- composites and custom ops -------------------------------------------------------------

@pytest.mark.parametrize("name, verdict", [("odml.rms_norm", "target"),
                                           ("odml.scaled_dot_product_attention", "target"),
                                           ("odml.rope", "target"),
                                           ("odml.softmax", "cpu")])
def test_odml_composites(name, verdict):
    result = mldrift(unary("STABLEHLO_COMPOSITE", composite=name))
    assert [(v.op, v.verdict) for v in result.ops if v.subgraph == 0] == [
        ("STABLEHLO_COMPOSITE", verdict)]
    if verdict == "cpu":
        assert tools(result) == [f"STABLEHLO_COMPOSITE: {name}"]


@pytest.mark.parametrize("name, verdict", [("odml.cache_update", "target"),
                                           ("custom_call.PixelShuffle", "target"),
                                           ("MyCustomOp", "cpu")])
def test_custom_ops(name, verdict):
    assert codes(unary("CUSTOM", custom_code=name))[0][2] == verdict


# -- parser rules of ML Drift's own ---------------------------------------------------------

def test_parser_rules():
    fp16_table = single("EMBEDDING_LOOKUP", [("ids", [2], "INT32"),
                                             ("table", np.ones((5, 4)), "FLOAT16", "const")],
                        [([2, 4], "FLOAT32")])
    assert codes(fp16_table) == [(0, "EMBEDDING_LOOKUP", "cpu", ("mldrift-embedding-lookup",))]
    constant_lhs = single("BATCH_MATMUL", [("a", np.ones((1, 2, 3)), "FLOAT32", "const"),
                                           ("b", [1, 3, 2], "FLOAT32")], [([1, 2, 2], "FLOAT32")])
    assert codes(constant_lhs) == [(0, "BATCH_MATMUL", "cpu", ("mldrift-batch-matmul",))]
    int64_scalar = single("GREATER_EQUAL", [("x", [1, 4], "FLOAT32"),
                                            ("c", [3], "INT64", "const")], [([1, 4], "BOOL")])
    assert tools(mldrift(int64_scalar))[-1] == "GREATER_EQUAL: Can't parse inputs with const " \
                                               "tensors."


# -- --accelerators: GPU only fails the compile, GPU and CPU partitions ----------------------

def _relu01_between_exps() -> bytes:
    model = ModelBuilder()
    main = model.subgraph()
    tensors = [main.tensor(f"t{i}", [1, 8]) for i in range(4)]
    for i, op in enumerate(("EXP", "RELU_0_TO_1", "EXP")):
        main.op(op, [tensors[i]], [tensors[i + 1]])
    main.inputs, main.outputs = [tensors[0]], [tensors[3]]
    return model.build()


def test_gpu_only_makes_the_first_rejected_op_fail_the_whole_model():
    data = _relu01_between_exps()
    gpu_only = lint_bytes(data, target=[TARGET], accelerators="gpu", select=["TFL3"])
    assert rule_locations(gpu_only) == {("TFL302", Location())}
    (finding,) = gpu_only
    assert finding.severity == "error"
    assert "op 1 RELU_0_TO_1 is left off" in finding.message
    assert "Add kLiteRtHwAcceleratorCpu" in finding.message
    with_cpu = lint_bytes(data, target=[TARGET], accelerators="gpu,cpu", select=["TFL3"])
    assert rule_locations(with_cpu) == {
        ("TFL301", Location(subgraph=0, op_index=1, op="RELU_0_TO_1")),
        ("TFL301", Location(subgraph=0, op_index=2, op="EXP"))}
    assert rule_locations(lint_bytes(data, target=[TARGET], select=["TFL3"])) == \
        rule_locations(with_cpu)  # gpu,cpu is the default
    clean = lint_bytes(unary("EXP"), target=[TARGET], accelerators="gpu", select=["TFL3"])
    assert rule_locations(clean) == set()
    # the classic GPU delegate is no CompiledModel accelerator: the set does not apply
    classic = lint_bytes(binary("ADD", dtype="INT64"), target=["gpu"], accelerators="gpu",
                         select=["TFL3"])
    assert {rule for rule, _ in rule_locations(classic)} == {"TFL301"}
    # a set without the target's accelerator: nothing runs there
    (cpu_only,) = lint_bytes(data, target=[TARGET], accelerators="cpu", select=["TFL3"])
    assert cpu_only.rule == "TFL302" and "does not include gpu" in cpu_only.message


def test_accelerators_on_the_command_line_and_in_the_config_file(run_cli, tmp_path):
    model = tmp_path / "m.tflite"
    model.write_bytes(_relu01_between_exps())
    code, out, _ = run_cli(model, "--target", TARGET, "--accelerators", "gpu", "--no-config",
                           "--select", "TFL3")
    assert code == 1 and "TFL302" in out and "TFL301" not in out
    config = tmp_path / "tfllint.toml"
    config.write_text('target = ["gpu-mldrift"]\naccelerators = ["gpu"]\nselect = ["TFL3"]\n')
    code, out, _ = run_cli(model, "--config", config)
    assert code == 1 and "TFL302" in out
    code, out, _ = run_cli(model, "--config", config, "--accelerators", "gpu,cpu")
    assert code == 0 and "TFL301" in out and "TFL302" not in out


def test_accelerators_setting_is_validated():
    with pytest.raises(ConfigError, match="accelerators must list one or more of cpu, gpu, npu"):
        lint_bytes(unary("EXP"), target=[TARGET], accelerators="gpu,tpu")


# -- TFL306: failures reported against the release the profile describes ---------------------

def _pad(rank: int, axis: int) -> bytes:
    shape = SHAPES[rank]
    paddings = np.zeros((rank, 2), dtype=np.int32)
    paddings[axis, 1] = 2
    out = list(shape)
    out[axis] += 2
    return single("PAD", [("x", shape, "FLOAT32"), ("p", paddings, "INT32", "const")],
                  [(out, "FLOAT32")])


def _fully_connected(rank: int, weights: str, feeds_add: bool) -> bytes:
    """x [.., 4] -> FULLY_CONNECTED (weights [4, 4]) -> (ADD with x); `weights` is "drq"
    (INT8 with a scale), "float", or "dequantize-int8" / "dequantize-fp16" (through an
    explicit DEQUANTIZE)."""
    model = ModelBuilder()
    main = model.subgraph()
    shape = SHAPES[rank]
    x = main.tensor("x", shape)
    if weights == "drq":
        w = const(main, "w", np.ones((4, 4)), "INT8", scale=[0.1], zero_point=[0])
    elif weights == "float":
        w = const(main, "w", np.ones((4, 4)))
    else:
        dtype = "INT8" if weights == "dequantize-int8" else "FLOAT16"
        quantization = {"scale": [0.1], "zero_point": [0]} if dtype == "INT8" else {}
        raw = const(main, "w_q", np.ones((4, 4)), dtype, **quantization)
        w = main.tensor("w", [4, 4])
        main.op("DEQUANTIZE", [raw], [w])
    y = main.tensor("y", shape)
    main.op("FULLY_CONNECTED", [x, w, -1], [y],
            options=("FullyConnectedOptions", {"keep_num_dims": True}))
    main.inputs, main.outputs = [x], [y]
    if feeds_add:
        z = main.tensor("z", shape)
        main.op("ADD", [y, x], [z])
        main.outputs = [z]
    return model.build()


def _bug_findings(data: bytes, target: str = TARGET):
    return rule_locations(lint_bytes(data, target=[target], select=["TFL306"], preview=True))


def test_pad_on_a_rank3_tensor_along_an_outer_axis_9272():
    assert _bug_findings(_pad(3, 1)) == {("TFL306", Location(subgraph=0, op_index=0, op="PAD"))}
    assert _bug_findings(_pad(3, 2)) == set()  # the innermost axis
    assert _bug_findings(_pad(4, 1)) == set()  # rank 4


def test_fully_connected_with_weights_through_int8_dequantize_9523():
    assert _bug_findings(_fully_connected(2, "dequantize-int8", False)) == {
        ("TFL306", Location(subgraph=0, op_index=1, op="FULLY_CONNECTED"))}
    assert _bug_findings(_fully_connected(2, "dequantize-fp16", False)) == set()


def _release_profile(tmp_path, release: str) -> str:
    path = tmp_path / f"mldrift-{release}.toml"
    path.write_text(f'[target]\nname = "mldrift-{release}"\nextends = "gpu-mldrift"\n'
                    f'release = "{release}"\n')
    return str(path)


def test_drq_fully_connected_rank3_into_add_9277_only_on_its_releases(tmp_path):
    bad = _fully_connected(3, "drq", True)
    assert _bug_findings(bad) == set()  # reported on 2.1.3 and 2.1.5; the profile is 2.2.0
    on_215 = _release_profile(tmp_path, "2.1.5")
    assert _bug_findings(bad, on_215) == {
        ("TFL306", Location(subgraph=0, op_index=0, op="FULLY_CONNECTED"))}
    assert _bug_findings(_fully_connected(2, "drq", True), on_215) == set()  # rank 2
    assert _bug_findings(_fully_connected(3, "float", True), on_215) == set()  # float weights
    assert _bug_findings(_fully_connected(3, "drq", False), on_215) == set()  # no ADD


def test_mixed_rank_elementwise_8980_only_on_its_release(tmp_path):
    bad = binary("ADD", first=(2, 3, 4), second=(1, 1, 3, 4), out_shape=(1, 2, 3, 4))
    good = binary("ADD", first=(1, 2, 3, 4), second=(1, 1, 3, 4), out_shape=(1, 2, 3, 4))
    assert _bug_findings(bad) == set()  # reported on 2.1.6
    on_216 = _release_profile(tmp_path, "2.1.6")
    assert _bug_findings(bad, on_216) == {("TFL306", Location(subgraph=0, op_index=0, op="ADD"))}
    assert _bug_findings(good, on_216) == set()
    # and 2.1.6 also has 9272 and 9523; 2.1.3 has only 9277
    assert _bug_findings(_pad(3, 0), on_216) == {
        ("TFL306", Location(subgraph=0, op_index=0, op="PAD"))}
    assert _bug_findings(_pad(3, 0), _release_profile(tmp_path, "2.1.3")) == set()


def test_a_profile_release_that_is_not_a_version_is_refused(tmp_path):
    path = tmp_path / "broken.toml"
    path.write_text('[target]\nname = "broken"\nextends = "gpu-mldrift"\n'
                    '[bugs.x]\ncheck = "mldrift-bug-pad-rank3"\nissue = "x#1"\n'
                    'summary = "s"\nreleases = ["two"]\n')
    with pytest.raises(ConfigError, match="releases entry 'two' is not a version"):
        load_target(str(path))


# -- no false errors on working models ------------------------------------------------------

def _errors(paths) -> Counter:
    findings = Counter()
    for path in paths:
        for finding in lint_bytes(Path(path).read_bytes(), target=[TARGET], select=["TFL3"]):
            findings[finding.severity] += 1
    return findings


def test_samples_raise_no_error_with_the_default_accelerators():
    samples = sorted(p for p in MODELS.glob("*.tflite") if p.name != "flex_op.tflite")
    assert samples and _errors(samples)["error"] == 0


@pytest.mark.skipif(not REAL_MODELS.is_dir(), reason="real-model corpus absent: run "
                    "tools/fetch_real_models.py")
def test_real_models_raise_no_error_with_the_default_accelerators():
    models = sorted(REAL_MODELS.glob("*.tflite"))
    assert len(models) >= 40 and _errors(models)["error"] == 0


# -- edge-compat's measured matrices ----------------------------------------------------------

COMPARED = ("delegated", "fallback")
# Forms whose conditions the matrix does not record, or that are an invalid model.
NOT_RECORDED = {"constant-operand-unrecorded", "update-larger-than-operand"}
# Forms of a reported failure (TFL306), not of the op filter: checked against the bug checks.
BUG_FORMS = {"drq-feeds-add": "drq-fully-connected-rank3-add",
             "int8-dequantize-into-fc": "fully-connected-dequantize-weights"}


def _probe(op: str, dtype: str, rank: int | None, form: str) -> tuple[bytes, int]:
    """A model of the entry's op, type, rank and form, and the index of the op compared."""
    rank = 4 if rank is None else rank
    shape = SHAPES[rank]
    last = shape[-1] if shape else 1
    float_out = "FLOAT32"
    if form == "constant-inputs":
        inputs = {"CONV_2D": [("x", np.ones((1, 2, 2, 4)), "FLOAT32", "const"),
                              ("w", np.ones((2, 1, 1, 4)), "FLOAT32", "const")],
                  "DIV": [("a", np.ones(shape), "FLOAT32", "const"),
                          ("b", np.ones(shape), "FLOAT32", "const")],
                  "MEAN": [("x", np.ones(shape), "FLOAT32", "const"),
                           ("axes", [rank - 1], "INT32", "const")],
                  "SELECT": [("c", np.ones(shape), "BOOL", "const"),
                             ("a", np.ones(shape), "FLOAT32", "const"),
                             ("b", np.ones(shape), "FLOAT32", "const")]}[op]
        out = {"CONV_2D": [1, 2, 2, 2], "MEAN": shape[:-1]}.get(op, shape)
        return single(op, inputs, [(out, "FLOAT32")]), 0
    if form == "fp16-dequantize-weights":
        return _fully_connected(rank, "dequantize-fp16", False), 1
    if form == "composite:odml.softmax":
        return unary("STABLEHLO_COMPOSITE", composite="odml.softmax"), 0
    if op in ("CONV_2D", "DEPTHWISE_CONV_2D", "TRANSPOSE_CONV"):
        x = ("x", [1, 4, 4, 4], dtype)
        weights = ("w", np.ones((4, 1, 1, 4) if op != "DEPTHWISE_CONV_2D" else (1, 1, 1, 4)),
                   dtype, "const")
        options = {"stride_w": 1, "stride_h": 1}
        if op == "TRANSPOSE_CONV":
            return single(op, [("s", [1, 4, 4, 4], "INT32", "const"), weights, x],
                          [([1, 4, 4, 4], float_out)],
                          options=("TransposeConvOptions", options)), 0
        options.update(dilation_w_factor=1, dilation_h_factor=1)
        table = "Conv2DOptions"
        if op == "DEPTHWISE_CONV_2D":
            table = "DepthwiseConv2DOptions"
            options["depth_multiplier"] = 1
        return single(op, [x, weights], [([1, 4, 4, 4], float_out)],
                      options=(table, options)), 0
    if op in ("AVERAGE_POOL_2D", "MAX_POOL_2D"):
        return unary(op, options=("Pool2DOptions", {"stride_w": 1, "stride_h": 1,
                                                    "filter_width": 1,
                                                    "filter_height": 1})), 0
    if op in ("RESIZE_BILINEAR", "RESIZE_NEAREST_NEIGHBOR"):
        size = ("size", [2], "INT32") if form == "computed-size" else \
            ("size", [4, 6], "INT32", "const")
        options = ("ResizeBilinearOptions", {"align_corners": True}) \
            if form == "align-corners" else None
        return single(op, [("x", [1, 2, 3, 4], dtype), size], [([1, 4, 6, 4], dtype)],
                      options=options), 0
    if op == "FULLY_CONNECTED":
        rank = max(rank, 2)
        weights = np.ones((2, SHAPES[rank][-1]))
        return single(op, [("x", SHAPES[rank], dtype), ("w", weights, dtype, "const")],
                      [(SHAPES[rank][:-1] + [2], dtype)]), 0
    if op == "BATCH_MATMUL":
        rank = max(rank, 2)
        lhs, rhs = SHAPES[rank][:-2] + [2, 3], SHAPES[rank][:-2] + [3, 2]
        first = ("a", np.ones(lhs), dtype, "const") if form == "constant-lhs" else \
            ("a", lhs, dtype)
        return single(op, [first, ("b", rhs, dtype)], [(SHAPES[rank][:-2] + [2, 2], dtype)]), 0
    if op == "EMBEDDING_LOOKUP":
        return single(op, [("ids", [2], "INT32"), ("table", np.ones((5, 4)), dtype, "const")],
                      [([2, 4], "FLOAT32")]), 0
    if op == "ARG_MAX":
        return single(op, [("x", [1, 8], "FLOAT32"), ("axis", [1], "INT32", "const")],
                      [([1], dtype)]), 0
    if op in ("MEAN", "SUM", "REDUCE_MAX", "REDUCE_MIN"):
        return single(op, [("x", shape, dtype), ("axes", [rank - 1], "INT32", "const")],
                      [(shape[:-1], dtype)]), 0
    if op == "RESHAPE":
        size = int(np.prod(shape)) if shape else 1
        return single(op, [("x", shape, dtype), ("s", [size], "INT32", "const")],
                      [([size], dtype)]), 0
    if op == "TRANSPOSE":
        return single(op, [("x", shape, dtype), ("p", list(range(rank))[::-1], "INT32", "const")],
                      [(shape[::-1], dtype)]), 0
    if op == "SLICE":
        return single(op, [("x", shape, dtype), ("b", [0] * rank, "INT32", "const"),
                           ("s", shape, "INT32", "const")], [(shape, dtype)]), 0
    if op == "PAD":
        paddings = np.zeros((rank, 2), dtype=np.int32)
        paddings[-1, 1] = 1
        return single(op, [("x", shape, dtype), ("p", paddings, "INT32", "const")],
                      [(shape[:-1] + [last + 1], dtype)]), 0
    if op == "CONCATENATION":
        return binary(op, shape, shape, dtype, out_shape=shape[:-1] + [2 * last],
                      options=("ConcatenationOptions", {"axis": rank - 1})), 0
    if op == "CUMSUM":
        return single(op, [("x", shape, dtype), ("a", [rank - 1], "INT32", "const")],
                      [(shape, dtype)]), 0
    if op == "SELECT_V2":
        return single(op, [("c", shape, "BOOL"), ("a", shape, dtype), ("b", shape, dtype)],
                      [(shape, dtype)]), 0
    if op == "CAST":
        return unary(op, shape, dtype, "INT32" if dtype == "FLOAT32" else "FLOAT32"), 0
    if op == "BROADCAST_TO":
        return single(op, [("x", [1, 4, 1, 4], dtype), ("s", [1, 4, 2, 4], "INT32", "const")],
                      [([1, 4, 2, 4], dtype)]), 0
    if op == "GATHER_ND":
        return single(op, [("x", [4, 4], dtype), ("i", [[1], [2]], "INT32", "const")],
                      [([2, 4], dtype)]), 0
    if op == "STABLEHLO_PAD":
        return unary(op, shape, dtype), 0
    if op in ("ADD", "SUB", "MUL", "DIV", "MAXIMUM", "MINIMUM", "FLOOR_MOD",
              "SQUARED_DIFFERENCE", "EQUAL", "GREATER"):
        compare = op in ("EQUAL", "GREATER")
        return binary(op, shape, shape, dtype, out_dtype="BOOL" if compare else None), 0
    if op == "SOFTMAX":
        if form == "dynamic-input":
            return single(op, [("x", shape, dtype)], [(shape, dtype)]), 0
        return unary(op, shape, dtype, options=("SoftmaxOptions", {"beta": 1.0})), 0
    return unary(op, shape, dtype), 0


# Every disagreement, with its cause: (file, op, dtype, rank, form) -> cause.
DISAGREEMENTS = {
    ("gpu_mldrift__2.1.3.json", "TRANSPOSE_CONV", "FLOAT32", None, "plain"):
        "refused on the device (Pixel 8a, 2.1.3) where the public rules take it; edge-compat "
        "notes the desktop checker passes it too: a check inside the closed ML Drift library",
    ("gpu_mldrift__2.1.3.json", "SELECT", "FLOAT32", None, "constant-inputs"):
        "all-constant SELECT: SelectV2OperationParser takes runtime or constant inputs "
        "(PreCheckRuntimeOrConstantInput); the refusal is not in the public source",
    ("webgpu_mldrift__2.5.3.json", "CAST", "BOOL", 2, "plain"):
        "CAST from BOOL: CAST is a SupportAllPrecisionOp and BOOL tensors are allowed by "
        "default; LiteRT.js 2.5.3 (a later, separately built release) refused it",
    ("webgpu_mldrift__2.5.3.json", "EQUAL", "BOOL", 1, "plain"):
        "comparison of BOOL inputs: allowed by the public tensor filter (allow_bool_tensors); "
        "LiteRT.js 2.5.3 refused it",
    ("webgpu_mldrift__2.5.3.json", "EQUAL", "BOOL", 2, "plain"):
        "comparison of BOOL inputs, as above",
    ("webgpu_mldrift__2.5.3.json", "EQUAL", "BOOL", 3, "plain"):
        "comparison of BOOL inputs, as above",
    ("webgpu_mldrift__2.5.3.json", "GREATER", "BOOL", 3, "plain"):
        "comparison of BOOL inputs, as above",
    ("webgpu_mldrift__2.5.3.json", "GREATER", "BOOL", 4, "plain"):
        "comparison of BOOL inputs, as above",
    ("webgpu_mldrift__2.5.3.json", "RESHAPE", "FLOAT32", 5, "plain"):
        "the rank-5 probes of LiteRT.js 2.5.3 were taken (RESHAPE, SLICE, TRANSPOSE), while "
        "the same matrix records a rank-5 RESHAPE refused with 'Tensor dimensions must be "
        "less than 5' a day later, as the public tensor filter does",
    ("webgpu_mldrift__2.5.3.json", "SLICE", "FLOAT32", 5, "plain"): "rank-5 probe, as above",
    ("webgpu_mldrift__2.5.3.json", "TRANSPOSE", "FLOAT32", 5, "plain"): "rank-5 probe, as above",
}


def _comparison():
    document = json.loads((DATA / "edge_compat_mldrift.json").read_text())
    agree, disagree, skipped, bugs = [], [], [], []
    for file, release, date, op, dtype, rank, form, status in document["entries"]:
        key = (file, op, dtype, rank, form)
        if form in BUG_FORMS:
            bugs.append((key, BUG_FORMS[form]))
        elif status not in COMPARED or form in NOT_RECORDED:
            skipped.append(key)
        else:
            data, index = _probe(op, dtype, rank, form)
            verdict = next(v.verdict for v in mldrift(data).ops
                           if v.subgraph == 0 and v.op_index == index)
            ours = "delegated" if verdict == "target" else "fallback"
            (agree if ours == status else disagree).append(key)
    return agree, disagree, skipped, bugs


def test_agreement_with_edge_compat_measured_matrices():
    agree, disagree, skipped, bugs = _comparison()
    assert (len(agree), len(disagree)) == (173, 11)
    assert round(100 * len(agree) / (len(agree) + len(disagree)), 1) == 94.0
    assert set(disagree) == set(DISAGREEMENTS)
    by_matrix = {family: (sum(1 for key in agree if key[0].startswith(family)),
                          sum(1 for key in disagree if key[0].startswith(family)))
                 for family in ("gpu_mldrift", "webgpu_mldrift")}
    assert by_matrix == {"gpu_mldrift": (51, 2), "webgpu_mldrift": (122, 9)}
    # not compared: wrong results and kernel-creation crashes (numerics and failures after
    # partitioning, not the op filter), and forms whose conditions the matrix leaves out
    assert len(skipped) == 15 and len(bugs) == 3


def test_the_failures_edge_compat_measured_are_the_reported_ones():
    """Its crash/compile-failure rows of the FULLY_CONNECTED forms meet the preconditions of
    #9277 and #9523 (TFL306 names them on the releases they were reported on)."""
    profile = load_target(TARGET)
    for release, data, bug in (("2.1.5", _fully_connected(3, "drq", True),
                                "drq-fully-connected-rank3-add"),
                               ("2.2.0", _fully_connected(2, "dequantize-int8", False),
                                "fully-connected-dequantize-weights")):
        assert bug in {b.key for b in profile.bugs}
        assert any(bug_release == release
                   for b in profile.bugs if b.key == bug for bug_release in b.releases)
        findings = lint_bytes(data, target=[TARGET], select=["TFL306"], preview=True)
        if release == profile.release:
            assert [f.rule for f in findings] == ["TFL306"]


def test_select_and_strided_slice_use_ml_drift_s_own_rules_not_the_classic_ones():
    # a rank-2 computed branch and a condition that does not broadcast: the classic rule
    # refuses both, ML Drift's SelectV2OperationParser does not look
    select = single("SELECT_V2", [("c", [2, 4], "BOOL"), ("a", [2, 4], "FLOAT32"),
                                  ("b", [2, 4], "FLOAT32")], [([2, 4], "FLOAT32")])
    assert codes(select)[0][2] == "target"
    assert target_result(select, "gpu").ops[0].verdict == "cpu"
    branch = single("SELECT_V2", [("c", [2, 4], "BOOL"), ("a", [2, 1], "FLOAT32"),
                                  ("b", [2, 4], "FLOAT32")], [([2, 4], "FLOAT32")])
    assert codes(branch) == [(0, "SELECT_V2", "cpu", ("mldrift-select",))]
    # a rank-2 STRIDED_SLICE: classic needs rank 3 or 4, ML Drift as many begin values
    rank2 = single("STRIDED_SLICE", [("x", [4, 8], "FLOAT32"), ("b", [0, 0], "INT32", "const"),
                                     ("e", [4, 4], "INT32", "const"),
                                     ("s", [1, 1], "INT32", "const")], [([4, 4], "FLOAT32")])
    assert codes(rank2)[0][2] == "target"
    shrink = single("STRIDED_SLICE", [("x", [1, 4, 8], "FLOAT32"),
                                      ("b", [0, 0, 0], "INT32", "const"),
                                      ("e", [1, 1, 8], "INT32", "const"),
                                      ("s", [1, 1, 1], "INT32", "const")], [([1, 8], "FLOAT32")],
                    options=("StridedSliceOptions", {"shrink_axis_mask": 2}))
    result = mldrift(shrink)
    assert verdicts(result) == [(0, "STRIDED_SLICE", "cpu", ("mldrift-strided-slice",))]
    assert tools(result) == ["STRIDED_SLICE: Slice does not support shrink_axis_mask "
                             "parameter. "]
