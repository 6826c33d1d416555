"""tfllint's npu-intel verdicts against LiteRT's Intel OpenVINO compiler plugin itself.

apply_plugin_main --cmd=partition (ai-edge-litert 2.3.0, with openvino 2026.3.1 for the
libopenvino.so.2631 the plugin links) runs the plugin's LiteRtCompilerPluginPartition on
every model below; tests/intel_oracle.py maps each op of the input model to "selected" (in
a DISPATCH_OP partition) or "left on the CPU". tfllint agrees on an op when its verdict is
"target" exactly where the plugin selects it; when the plugin's partition step fails for
the whole model (a subgraph input of rank >= 6), it selects nothing, and tfllint agrees
when it refuses the model (a model reason). Ops LiteRT never offers the plugin (the
decomposition of a composite the plugin selects, dropped from the output) are not
compared.

This measures agreement with LiteRT's allowlist and its few checks, not with Intel's NPU
compiler (libopenvino_intel_npu_compiler, not on PyPI), which decides at compile time.

Model sets: the sample models (models/), single-op probes (tests/npu_probes.py, every
builtin op code 0..MAX_CODE as a one-input op, and the plugin's special cases: TOPK_V2 with
a constant and a computed K, composites, rank-6 inputs), and the real-model corpus
(python tools/fetch_real_models.py). Per-op agreement must be at least 98% in each set;
every disagreement is listed in the failure message. The number of partitions (DISPATCH_OP
ops) must be the plugin's on every model but KNOWN_PARTITION_DIFFERENCES.
"""
from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from intel_oracle import compile_for_cpu, composite_model, partition, require_oracle

require_oracle("the Intel NPU differential test")

from conftest import SAMPLE_MODELS, target_result  # noqa: E402
from npu_probes import code_probe, write_probes  # noqa: E402
from test_target_npu_intel import rank_model, topk  # noqa: E402

from tfllint.targets.evaluate import ON_TARGET  # noqa: E402

CORPUS = Path(os.environ.get("TFLLINT_REAL_MODELS",
                             Path.home() / ".cache" / "tfllint-real-models" / "models"))
MAX_CODE = 210  # builtin codes probed one by one (schema.fbs ends below this)
AGREEMENT = 0.98
# models whose partition count (DISPATCH_OP ops) tfllint gets wrong, and why
# (none since the decomposition of a composite the NPU selects is no longer evaluated)
KNOWN_PARTITION_DIFFERENCES: dict[str, str] = {}


def intel_probes() -> dict[str, bytes]:
    """The plugin's own special cases, and every builtin code as a one-input op."""
    found = {"TOPK_V2-constant-k": topk(True), "TOPK_V2-computed-k": topk(False),
             "rank6-input": rank_model([1, 1, 1, 1, 2, 4]),
             "rank6-inside": rank_model([1, 8], reshaped=[1, 1, 1, 1, 2, 4])}
    for name in ("odml.rms_norm", "odml.scaled_dot_product_attention", "odml.cpu_call"):
        found[f"composite-{name}"] = composite_model(name)
    for code in range(MAX_CODE):
        if code != 32:  # CUSTOM: the shared probes have a custom op
            found[f"code-{code}"] = code_probe(code)
    return found


@dataclass
class Tally:
    compared: int = 0
    agreeing: int = 0
    disagreements: list[str] = field(default_factory=list)
    models: int = 0
    partitions: list[tuple[str, int, int]] = field(default_factory=list)  # name, ours, theirs

    @property
    def share(self) -> float:
        return self.agreeing / self.compared if self.compared else 1.0


def compare(name: str, path: Path, tally: Tally, target: str = "npu-intel") -> None:
    """One model through the plugin and through tfllint, op by op, into `tally`."""
    oracle = partition(path)
    result = target_result(path.read_bytes(), target)
    ours = {(v.subgraph, v.op_index): (v.op, v.verdict == ON_TARGET and not result.blocked)
            for v in result.ops}
    if oracle.ok:
        theirs = oracle.selected
    elif "Model not supported: subgraph input" in oracle.log:
        theirs = {key: False for key in ours}  # Partition failed: nothing selected
    else:
        raise AssertionError(f"{name}: apply_plugin_main failed ({oracle.returncode}):\n"
                             f"{oracle.log[-2000:]}")
    tally.models += 1
    if oracle.ok and not result.blocked:
        tally.partitions.append((name, result.partitions,
                                 sum(parts for _, _, parts in oracle.stats.values())))
    for key, selected in theirs.items():
        if selected is None or key not in ours:
            continue
        op, on_npu = ours[key]
        tally.compared += 1
        if on_npu == selected:
            tally.agreeing += 1
        else:
            reasons = [v.reasons for v in result.ops if (v.subgraph, v.op_index) == key][0]
            tally.disagreements.append(
                f"{name} {key[0]}:{key[1]} {op}: plugin {'selects' if selected else 'leaves'} "
                f"it, tfllint says {'npu' if on_npu else 'cpu'} "
                f"{[r.code for r in reasons] or list(result.model_reasons)}")


def run_set(models: dict[str, Path]) -> Tally:
    tally = Tally()
    for name, path in models.items():
        compare(name, path, tally)
    return tally


@pytest.fixture(scope="module")
def probe_dir(tmp_path_factory) -> dict[str, Path]:
    return write_probes(tmp_path_factory.mktemp("intel-probes"), intel_probes())


def check(tally: Tally, label: str) -> None:
    print(f"\nnpu-intel vs the Intel OpenVINO plugin, {label}: {tally.models} models, "
          f"{tally.agreeing} of {tally.compared} ops agree ({tally.share:.2%})")
    for line in tally.disagreements:
        print("  " + line)
    differ = [entry for entry in tally.partitions if entry[1] != entry[2]]
    print(f"  partition counts equal on {len(tally.partitions) - len(differ)} of "
          f"{len(tally.partitions)} models; differ (model, tfllint, plugin): {differ}")
    assert tally.compared, f"no op compared in {label}"
    assert tally.share >= AGREEMENT, (
        f"{label}: {tally.agreeing} of {tally.compared} ops agree ({tally.share:.2%}); "
        "disagreements:\n" + "\n".join(tally.disagreements))
    # each run of selected ops in op order is one partition (GroupPartitionsV2)
    assert [entry for entry in differ if entry[0] not in KNOWN_PARTITION_DIFFERENCES] == []


def test_sample_models():
    check(run_set({p.stem: p for p in SAMPLE_MODELS}), "sample models")


def test_probes(probe_dir):
    tally = run_set(probe_dir)
    check(tally, "probes")
    # the plugin's own special cases, op by op
    selected = {name: partition(probe_dir[name]).selected.get((0, 0))
                for name in ("TOPK_V2-constant-k", "TOPK_V2-computed-k",
                             "composite-odml.rms_norm",
                             "composite-odml.scaled_dot_product_attention", "rank6-inside")}
    assert selected == {"TOPK_V2-constant-k": True, "TOPK_V2-computed-k": False,
                        "composite-odml.rms_norm": True,
                        "composite-odml.scaled_dot_product_attention": False,
                        "rank6-inside": True}
    assert partition(probe_dir["rank6-input"]).returncode != 0


def test_every_builtin_code_the_plugin_selects_is_listed(probe_dir):
    """The wheel's allowlist, found op code by op code, is the profile's."""
    from tfllint.targets.profile import load_target
    from tflite.BuiltinOperator import BuiltinOperator

    names = {value: key for key, value in vars(BuiltinOperator).items() if not key.startswith("_")}
    selected = {names.get(code, code) for code in range(MAX_CODE) if code != 32
                and partition(probe_dir[f"code-{code}"]).selected.get((0, 0))}
    listed = set(load_target("npu-intel").ops) - {"*", "TOPK_V2", "STABLEHLO_COMPOSITE"}
    assert selected == listed


@pytest.mark.skipif(not CORPUS.is_dir(), reason=f"the real-model corpus is not at {CORPUS}: "
                    "python tools/fetch_real_models.py")
def test_real_models():
    check(run_set({p.stem: p for p in sorted(CORPUS.glob("*.tflite"))}), "real-model corpus")


def test_a_wrong_profile_disagrees(tmp_path):
    """The comparison can fail: a profile that drops ADD from the list disagrees on ADD."""
    profile = tmp_path / "wrong.toml"
    profile.write_text('[target]\nname = "wrong"\nextends = "npu-intel"\n'
                       '[ops.ADD]\nsupported = false\n')
    model = tmp_path / "add.tflite"
    model.write_bytes(code_probe(0))
    tally = Tally()
    compare("add", model, tally, target=str(profile))
    assert (tally.compared, tally.agreeing) == (1, 0)
    assert tally.disagreements == [
        "add 0:0 ADD: plugin selects it, tfllint says cpu ['not-listed']"]


def test_a_model_the_plugin_compiled_is_recognised(tmp_path):
    """apply_plugin_main --cmd=apply writes DISPATCH_OP ops and the LiteRtStamp
    "IntelOpenVINO"/"LNL" (compiled for OpenVINO's CPU device: Intel's NPU compiler is not
    on PyPI); npu-intel takes the dispatch op as its own, other NPU targets refuse it."""
    data = compile_for_cpu(SAMPLE_MODELS[0].parent / "flex_op.tflite", tmp_path / "out.tflite")
    result = target_result(data, "npu-intel")
    assert [(v.op, v.verdict) for v in result.ops] == [("FlexMatrixDeterminant", "cpu"),
                                                       ("DISPATCH_OP", "compiled")]
    assert result.model_reasons == ()
    other = target_result(data, "npu-samsung")
    assert [r.code for r in other.model_reasons] == ["npu-compiled-for-another-soc"]
    assert "already compiled for IntelOpenVINO LNL" in other.model_reasons[0].message
