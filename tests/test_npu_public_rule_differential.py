"""tfllint's npu-mediatek and npu-google-tensor verdicts against the plugins' own partition
step (ai-edge-litert 2.3.0), run with names-only stubs of the closed vendor libraries
(tests/stub_plugin_oracle.py).

This measures agreement with each plugin's public rule as the wheel's binary applies it:
MediaTek's op table and VerifyCommonOp's tensor types (the closed NeuronAdapter, which a
Neuron SDK from 8.2.24 asks as well, is not involved), Google Tensor's deny list and
composites (the closed Tensor compiler decides later, at compile time). An op agrees when
tfllint's verdict is "target" exactly where the plugin selects it; a model tfllint refuses
(a model reason: a legalization that fails at compile time) counts as selecting nothing.

Model sets: the sample models, single-op probes (tests/npu_probes.py; every builtin code
as a one-input float32 op; for MediaTek, each tensor type and quantization of RELU and
composites) and the real-model corpus (python tools/fetch_real_models.py). Per-op agreement
must be at least 98% in each set; every disagreement is printed.
"""
from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from stub_plugin_oracle import VENDORS, StubOracle, missing

TARGETS = [target for target in VENDORS if missing(target) is None]
if not TARGETS:
    pytest.skip(f"no plugin oracle: {missing('npu-mediatek')}", allow_module_level=True)

from builder import ModelBuilder  # noqa: E402
from conftest import MODELS as MODELS_DIR  # noqa: E402
from conftest import SAMPLE_MODELS, target_result  # noqa: E402
from intel_oracle import composite_model  # noqa: E402
from npu_probes import code_probe, write_probes  # noqa: E402
from test_target_npu_mediatek import INT8, unary  # noqa: E402

from tfllint.targets.evaluate import COMPILED, ON_TARGET  # noqa: E402

CORPUS = Path(os.environ.get("TFLLINT_REAL_MODELS",
                             Path.home() / ".cache" / "tfllint-real-models" / "models"))
MAX_CODE = 210  # builtin codes probed one by one
AGREEMENT = 0.98
# Model reasons that arise after the partition step (a legalization at compile time): the
# plugin has selected the ops by then, so they count as selected here.
COMPILE_TIME = {"mediatek-compile-fails"}
INT2 = 19  # TensorType.INT2, newer than the PyPI tflite bindings
# models whose partition count (DISPATCH_OP ops) tfllint gets wrong, and why
# (none since the decomposition of a composite the NPU selects is no longer evaluated)
KNOWN_PARTITION_DIFFERENCES: dict[str, str] = {}


def own_probes() -> dict[str, bytes]:
    """Every builtin code, the composites, and (MediaTek's VerifyCommonOp) RELU in each
    tensor type and quantization."""
    found = {f"code-{code}": code_probe(code) for code in range(MAX_CODE) if code != 32}
    # (odml.npu_call is LiteRT's, not the plugin's: the partition step outlines it apart)
    for name in ("odml.rms_norm", "odml.l2_norm", "odml.group_norm",
                 "odml.scaled_dot_product_attention", "odml.cpu_call"):
        found[f"composite-{name}"] = composite_model(name)
    for dtype, quantization in (
            ("FLOAT16", {}), ("UINT8", {}), ("INT8", INT8), ("INT8", {}),
            ("INT8", dict(scale=[0.5, 0.25], zero_point=[0, 0], quantized_dimension=1)),
            ("INT16", dict(scale=[0.5], zero_point=[0])), ("INT16", {}), ("UINT16", {}),
            ("INT32", {}), ("INT64", {}), ("BOOL", {}), ("FLOAT64", {}),
            ("INT32", dict(scale=[1.0, 1.0], zero_point=[0, 1], quantized_dimension=1))):
        label = "q" if quantization else "plain"
        found[f"relu-{dtype}-{label}-{len(quantization.get('scale', ()))}"] = \
            unary("RELU", dtype, **quantization)
    for label, weights in (("int4-per-channel", dict(dtype="INT4", scale=[0.1] * 4,
                                                     zero_point=[0] * 4)),
                           ("int4-per-tensor", dict(dtype="INT4", scale=[0.1], zero_point=[0])),
                           ("int4-none", dict(dtype="INT4")),
                           ("int8-none", dict(dtype="INT8")),
                           ("int2-per-channel", dict(dtype=INT2, scale=[0.1] * 4,
                                                     zero_point=[0] * 4)),
                           ("int2-none", dict(dtype=INT2))):
        found[f"fully-connected-{label}"] = fully_connected(**weights)
    return found


def fully_connected(dtype: str | int, **quantization) -> bytes:
    """int8 x [1, 32] -> FULLY_CONNECTED with constant weights [4, 32] of `dtype`."""
    model = ModelBuilder()
    main = model.subgraph()
    x = main.tensor(f"fc-{dtype}-x", [1, 32], "INT8", **INT8)
    weights = main.tensor(f"fc-{dtype}-w", [4, 32], dtype, data=bytes(128), **quantization)
    y = main.tensor(f"fc-{dtype}-y", [1, 4], "INT8", **INT8)
    main.op("FULLY_CONNECTED", [x, weights], [y])
    main.inputs, main.outputs = [x], [y]
    return model.build()


@dataclass
class Tally:
    compared: int = 0
    agreeing: int = 0
    models: int = 0
    disagreements: list[str] = field(default_factory=list)
    partitions: list[tuple[str, int, int]] = field(default_factory=list)  # name, ours, theirs

    @property
    def share(self) -> float:
        return self.agreeing / self.compared if self.compared else 1.0


def compare(oracle: StubOracle, target: str, name: str, path: Path, tally: Tally) -> None:
    theirs = oracle.partition(path)
    assert theirs.ok, f"{name}: apply_plugin_main failed ({theirs.returncode}):\n" \
                      f"{theirs.log[-2000:]}"
    result = target_result(path.read_bytes(), target)
    refused = any(reason.code not in COMPILE_TIME for reason in result.model_reasons)
    ours = {(v.subgraph, v.op_index): (v.op, v.verdict in (ON_TARGET, COMPILED) and not refused)
            for v in result.ops}
    tally.models += 1
    if not result.model_reasons:
        tally.partitions.append((name, result.partitions,
                                 sum(parts for _, _, parts in theirs.stats.values())))
    for key, selected in theirs.selected.items():
        if selected is None or key not in ours:
            continue
        op, on_npu = ours[key]
        tally.compared += 1
        if on_npu == selected:
            tally.agreeing += 1
        else:
            reasons = next(v.reasons for v in result.ops if (v.subgraph, v.op_index) == key)
            tally.disagreements.append(
                f"{name} {key[0]}:{key[1]} {op}: plugin {'selects' if selected else 'leaves'} "
                f"it, tfllint says {'npu' if on_npu else 'cpu'} "
                f"{[r.code for r in reasons] or [r.code for r in result.model_reasons]}")


def check(target: str, models: dict[str, Path], label: str) -> Tally:
    oracle = StubOracle(target)
    try:
        tally = Tally()
        for name, path in models.items():
            compare(oracle, target, name, path, tally)
    finally:
        oracle.close()
    differ = [entry for entry in tally.partitions if entry[1] != entry[2]]
    print(f"\n{target} vs the {VENDORS[target].manufacturer} plugin's partition step, {label}: "
          f"{tally.models} models, {tally.agreeing} of {tally.compared} ops agree "
          f"({tally.share:.2%}); partition counts equal on "
          f"{len(tally.partitions) - len(differ)} of {len(tally.partitions)} models")
    for line in tally.disagreements + [f"partitions (model, tfllint, plugin): {d}"
                                       for d in differ]:
        print("  " + line)
    assert tally.compared, f"no op compared in {label}"
    assert tally.share >= AGREEMENT, "\n".join(tally.disagreements)
    # each run of selected ops in op order is one partition (GroupPartitionsV2)
    assert [entry for entry in differ if entry[0] not in KNOWN_PARTITION_DIFFERENCES] == []
    return tally


@pytest.fixture(scope="module")
def probe_dir(tmp_path_factory) -> dict[str, Path]:
    return write_probes(tmp_path_factory.mktemp("npu-public-rule-probes"), own_probes())


@pytest.mark.parametrize("target", TARGETS)
def test_sample_models(target):
    check(target, {p.stem: p for p in SAMPLE_MODELS}, "sample models")


@pytest.mark.parametrize("target", TARGETS)
def test_probes(target, probe_dir):
    check(target, probe_dir, "probes")


@pytest.mark.parametrize("target", TARGETS)
@pytest.mark.skipif(not CORPUS.is_dir(), reason=f"the real-model corpus is not at {CORPUS}: "
                                                "python tools/fetch_real_models.py")
def test_real_models(target):
    check(target, {p.stem: p for p in sorted(CORPUS.glob("*.tflite"))}, "real models")


# -- MediaTek's compile: the legalizations, and the file LiteRT writes ----------------------------

@pytest.fixture(scope="module")
def mediatek(tmp_path_factory):
    if "npu-mediatek" not in TARGETS:
        pytest.skip(f"no MediaTek plugin oracle: {missing('npu-mediatek')}")
    oracle = StubOracle("npu-mediatek")
    yield oracle, tmp_path_factory.mktemp("mediatek-apply")
    oracle.close()


def test_the_compile_fails_exactly_where_tfllint_says(mediatek):
    """The legalizations that stop the compile (mediatek-compile-fails), against the
    plugin's: --cmd=apply fails on a model tfllint refuses for them, and succeeds on the
    model with the input constant."""
    from test_target_npu_mediatek import int64_reshape, resize_nearest, transpose_conv

    oracle, directory = mediatek
    cases = {"resize-size-constant": resize_nearest(True),
             "resize-size-computed": resize_nearest(False),
             "transpose-conv-shape-constant": transpose_conv(True, bias=False),
             "transpose-conv-shape-computed": transpose_conv(False, bias=False),
             "transpose-conv-shape-computed-bias": transpose_conv(False, bias=True),
             "int64-in-range": int64_reshape([8]), "int64-out-of-range": int64_reshape([1 << 40])}
    outcomes = {}
    for name, data in cases.items():
        path = directory / f"{name}.tflite"
        path.write_bytes(data)
        compiled, log = oracle.apply(path)
        refused = [r.tool for r in target_result(data, "npu-mediatek").model_reasons]
        outcomes[name] = (compiled is not None, refused)
        for tool in refused:
            assert tool in log, (name, tool)
    assert outcomes == {
        "resize-size-constant": (True, []),
        "resize-size-computed": (False, ["The second input of ResizeNearestNeighbor is not "
                                         "const."]),
        "transpose-conv-shape-constant": (True, []),
        "transpose-conv-shape-computed": (False, ["The output_shape input of TransposeConv is "
                                                  "not const."]),
        "transpose-conv-shape-computed-bias": (True, []),
        "int64-in-range": (True, []),
        "int64-out-of-range": (False, ["CastInt64IntoInt32: value out of int32_t range."])}


# probes that are not models an exporter writes, on which the compile fails for that reason
KNOWN_COMPILE_DIFFERENCES = {
    "composite-odml.rms_norm": "the probe's composite has one input; the legalization of "
                               "odml.rms_norm reads the scale, a second input",
}


def test_the_compile_fails_where_tfllint_says_on_every_model(mediatek, probe_dir):
    """--cmd=apply on every probe, sample and real model that the plugin partitions into
    something: it fails exactly where tfllint gives mediatek-compile-fails."""
    oracle, _ = mediatek
    models = {**probe_dir, **{f"sample-{p.stem}": p for p in SAMPLE_MODELS}}
    if CORPUS.is_dir():
        models.update({f"real-{p.stem}": p for p in sorted(CORPUS.glob("*.tflite"))})
    compared, differ, known = 0, [], []
    for name, path in models.items():
        data = path.read_bytes()
        result = target_result(data, "npu-mediatek")
        ours = any(r.code == "mediatek-compile-fails" for r in result.model_reasons)
        if not ours and not any(v.verdict == ON_TARGET for v in result.ops):
            continue  # nothing to compile: the tool stops before the plugin compiles
        compiled, log = oracle.apply(path)
        compared += 1
        if ours != (compiled is None) and name in KNOWN_COMPILE_DIFFERENCES:
            known.append(name)
        elif ours != (compiled is None):
            differ.append(f"{name}: tfllint {'refuses' if ours else 'passes'} it, the compile "
                          f"{'succeeds' if compiled else 'fails'}: {log.strip()[-300:]}")
    print(f"\nnpu-mediatek compile vs the plugin's --cmd=apply: {compared} models, "
          f"{compared - len(differ) - len(known)} agree, known differences: {known}")
    assert compared > 300 and differ == [], "\n".join(differ)


def test_a_model_compiled_by_the_mediatek_flow_is_recognised(mediatek):
    """LiteRT's AOT file for MediaTek: one bytecode that every DISPATCH_OP shares, each op
    naming its partition; stamped MediaTek mt6989."""
    from tfllint.targets.compiled import compiled_model

    from conftest import view_of

    oracle, _ = mediatek
    data, log = oracle.apply(MODELS_DIR / "while_loop.tflite")
    assert data is not None, log[-2000:]
    facts = compiled_model(view_of(data))
    assert facts.stamp.text == "MediaTek mt6989"
    assert [(op.subgraph, op.op_index, op.name) for op in facts.dispatch_ops] == [
        (1, 0, "Partition_0"), (2, 0, "Partition_1")]
    assert len({(op.bytecode_offset, op.bytecode_size) for op in facts.dispatch_ops}) == 1
    assert facts.bytecode_outside() == facts.without_bytecode() == ()
    on_mediatek = target_result(data, "npu-mediatek")
    assert [(v.subgraph, v.op, v.verdict) for v in on_mediatek.ops] == [
        (0, "WHILE", "cpu"), (1, "DISPATCH_OP", "compiled"), (2, "DISPATCH_OP", "compiled")]
    assert on_mediatek.model_reasons == ()
    elsewhere = target_result(data, "npu-google-tensor")
    assert [r.code for r in elsewhere.model_reasons] == ["npu-compiled-for-another-soc"]
