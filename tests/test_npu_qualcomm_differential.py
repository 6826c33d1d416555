"""tfllint's npu-qualcomm verdicts against LiteRT's Qualcomm compiler plugin itself.

apply_plugin_main --cmd=partition (ai-edge-litert 2.3.0, with the QNN host libraries of
onnxruntime-qnn 2.6.0: QAIRT 2.50.40, the real HTP op validator) runs the plugin's
LiteRtCompilerPluginPartition on every model below; tests/qnn_oracle.py maps each op of the
input model to "selected" (in a DISPATCH_OP partition) or "left on the CPU", by its output
tensor names. tfllint agrees on an op when its verdict is "target" exactly where the
plugin selects it. When the plugin's partition step fails for the whole model (a tensor
type QNN has none for), it selects nothing, and tfllint agrees when it refuses the model
(the qualcomm-tensor-types model reason).

Model sets: the sample models (models/), the single-op probes of tests/npu_probes.py
(every op the plugin maps, in the types that matter, rank variants, chains), and the
real-model corpus (python tools/fetch_real_models.py). Per-op agreement must be at least
98% in each set and overall; each disagreement must be a known one (KNOWN, with its
cause), and the partition counts must be the plugin's "resulted in K partitions".
"""
from __future__ import annotations

import os
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

import pytest
import qnn_oracle

WHY = qnn_oracle.missing()
if WHY:
    pytest.skip(f"the Qualcomm differential test needs the plugin's QNN libraries: {WHY}",
                allow_module_level=True)

from builder import ModelBuilder  # noqa: E402
from conftest import SAMPLE_MODELS, target_result  # noqa: E402
from npu_probes import probes  # noqa: E402
from tflite.BuiltinOperator import BuiltinOperator  # noqa: E402

from tfllint.targets.evaluate import ON_TARGET  # noqa: E402
from tfllint.targets.profile import load_target  # noqa: E402

CORPUS = Path(os.environ.get("TFLLINT_REAL_MODELS",
                             Path.home() / ".cache" / "tfllint-real-models" / "models"))
AGREEMENT = 0.98
MAX_CODE = 210  # builtin codes probed one by one (schema.fbs ends below this)
# Disagreements tfllint accepts, each with its cause: rules of the closed HTP validator
# that the profile's per-op type and rank lists cannot state.
KNOWN = {
    "ARG_MIN-int32 0:0": "the validator refuses ARG_MIN with an INT32 input, but INT32 is "
                         "the type of its output, so the per-tensor type list keeps INT32",
    "GELU-int8-rank5 0:0": "the validator takes GELU at rank 5 in float32, not in int8",
    "MAXIMUM-float32-rank5 0:0": "the validator takes MAXIMUM at rank 5 in int8, not in "
                                 "float32",
}


@dataclass
class Tally:
    models: int = 0
    compared: int = 0
    agreeing: int = 0
    disagreements: dict[str, str] = field(default_factory=dict)  # "model sg:op" -> detail
    partitions: list[tuple[str, int, int]] = field(default_factory=list)  # ours, theirs
    unpartitioned: list[tuple[str, str]] = field(default_factory=list)  # model, plugin error

    @property
    def share(self) -> float:
        return self.agreeing / self.compared if self.compared else 1.0

    def add(self, other: "Tally") -> None:
        self.models += other.models
        self.compared += other.compared
        self.agreeing += other.agreeing
        self.disagreements.update(other.disagreements)
        self.partitions += other.partitions
        self.unpartitioned += other.unpartitioned


def compare(name: str, path: Path, oracle: qnn_oracle.Result, tally: Tally,
            target: str = "npu-qualcomm") -> None:
    """One model through the plugin and through tfllint, op by op, into `tally`."""
    result = target_result(path.read_bytes(), target)
    ours = {(v.subgraph, v.op_index): (v.op, v.verdict == ON_TARGET and not result.blocked,
                                       v.reasons) for v in result.ops}
    if oracle.error and "QNN Unsupported data type" in oracle.log:
        # the plugin's Partition failed for the whole model: nothing selected
        theirs = {key: (False, None) for key in ours}
        tally.unpartitioned.append((name, oracle.error))
        assert result.blocked, f"{name}: the plugin cannot partition it, tfllint runs it"
    elif oracle.error:
        raise AssertionError(f"{name}: {oracle.error}\n{oracle.log[-2000:]}")
    else:
        theirs = {(s, op.index): (op.on_npu, op.reason) for s, ops in enumerate(oracle.subgraphs)
                  for op in ops}
        tally.partitions.append((name, result.partitions,
                                 sum(parts for _, _, parts in oracle.stats.values())))
    tally.models += 1
    for key, (selected, why) in theirs.items():
        if key not in ours:
            continue
        op, on_npu, reasons = ours[key]
        tally.compared += 1
        if on_npu == selected:
            tally.agreeing += 1
            continue
        tally.disagreements[f"{name} {key[0]}:{key[1]}"] = (
            f"{op}: plugin {'selects' if selected else 'leaves'} it ({why or 'no log'}), "
            f"tfllint says {'npu' if on_npu else 'cpu'} "
            f"{[r.code for r in reasons] or [r.code for r in result.model_reasons]}")


@lru_cache(maxsize=None)
def oracle_results(directory: Path, soc: str = qnn_oracle.SOC) -> dict[Path, qnn_oracle.Result]:
    models = sorted(directory.glob("*.tflite"))
    return dict(zip(models, qnn_oracle.partition_all(models, soc=soc)))


def run_set(directory: Path, soc: str = qnn_oracle.SOC, target: str = "npu-qualcomm") -> Tally:
    tally = Tally()
    for path, oracle in oracle_results(directory, soc).items():
        compare(path.stem, path, oracle, tally, target)
    return tally


def check(tally: Tally, label: str) -> None:
    print(f"\nnpu-qualcomm vs LiteRT's Qualcomm plugin, {label}: {tally.models} models, "
          f"{tally.agreeing} of {tally.compared} ops agree ({tally.share:.2%})")
    for key, detail in tally.disagreements.items():
        print(f"  {key} {detail}  [known: {KNOWN.get(key, 'NO')}]")
    for name, error in tally.unpartitioned:
        print(f"  {name}: the plugin cannot partition it ({error[-120:]})")
    assert tally.compared, f"no op compared in {label}"
    assert tally.share >= AGREEMENT, (
        f"{label}: {tally.agreeing} of {tally.compared} ops agree ({tally.share:.2%})")
    unknown = {key: detail for key, detail in tally.disagreements.items() if key not in KNOWN}
    assert not unknown, f"{label}: disagreements without a known cause: {unknown}"
    differ = [entry for entry in tally.partitions if entry[1] != entry[2]
              and not any(entry[0] == key.split()[0] for key in tally.disagreements)]
    assert not differ, f"{label}: partition counts (model, tfllint, plugin) differ: {differ}"


@pytest.fixture(scope="module")
def sample_dir(tmp_path_factory) -> Path:
    directory = tmp_path_factory.mktemp("qnn-samples")
    for path in SAMPLE_MODELS:
        (directory / path.name).write_bytes(path.read_bytes())
    return directory


@pytest.fixture(scope="module")
def probe_dir(tmp_path_factory) -> Path:
    directory = tmp_path_factory.mktemp("qnn-probes")
    for probe in probes():
        (directory / f"{probe.name}.tflite").write_bytes(probe.build())
    return directory


TALLIES: dict[str, Tally] = {}


def test_sample_models(sample_dir):
    TALLIES["samples"] = tally = run_set(sample_dir)
    check(tally, "sample models")


def test_probes(probe_dir):
    TALLIES["probes"] = tally = run_set(probe_dir)
    check(tally, "probes")
    results = {path.stem: result for path, result in oracle_results(probe_dir).items()}

    def first(name: str) -> qnn_oracle.OpResult:
        return results[name].subgraphs[0][0]
    # the facts the brief of issue 12 names, as the plugin decides them
    assert [first(n).on_npu for n in ("EXP-int8", "ADD-int64", "FLOOR_MOD-float32")] == \
        [False] * 3
    assert "operation=Exp: inputs SFIXED_POINT_8" in first("EXP-int8").reason
    assert first("ZEROS_LIKE-float32").kind == "legalization"
    assert [first(n).on_npu for n in ("EXP-float32", "ADD-int32", "FLOOR_MOD-int32")] == \
        [True] * 3


def test_an_htp_v69_soc_refuses_16_bit_batch_matmul(tmp_path_factory):
    """The one SoC difference the probes showed, on SM8450 (HTP v69), with the matrix
    products and convolutions in every type: npu-qualcomm-v69 agrees, npu-qualcomm does
    not on BATCH_MATMUL-int16."""
    directory = tmp_path_factory.mktemp("qnn-sm8450")
    for probe in probes(ops=["BATCH_MATMUL", "FULLY_CONNECTED", "CONV_2D"]):
        (directory / f"{probe.name}.tflite").write_bytes(probe.build())
    check(run_set(directory, "SM8450", "npu-qualcomm-v69"), "SM8450 probes (npu-qualcomm-v69)")
    assert set(run_set(directory, "SM8450").disagreements) == {"BATCH_MATMUL-int16 0:0"}


def test_refusals_name_the_qnn_op_the_validator_refused(probe_dir):
    """Where tfllint and the plugin both leave an op off for its types or rank, tfllint's
    quoted wording names the QNN op the HTP validator refused (type and operation)."""
    import re

    qnn_op = re.compile(r"QNN op (\w+)(?: operation=(\w+))?")
    named = re.compile(r"\(type=(\w+)(?:, operation=(\w+))?\)")
    compared, wrong = 0, {}
    for path, oracle in oracle_results(probe_dir).items():
        if oracle.error:
            continue
        result = target_result(path.read_bytes(), "npu-qualcomm")
        for verdict in result.ops:
            theirs = oracle.subgraphs[verdict.subgraph][verdict.op_index]
            ours = [r.tool for r in verdict.reasons if r.code in ("dtype", "rank")]
            if theirs.kind != "validator" or not ours:
                continue
            compared += 1
            expected, quoted = qnn_op.search(theirs.reason), named.search(ours[0])
            if quoted is None or expected.groups() != quoted.groups():
                wrong[path.stem] = (theirs.reason, ours[0])
    # the convolutions' int64 weights are refused in the Transpose the builder puts first
    assert set(wrong) == {"CONV_2D-int64", "TRANSPOSE_CONV-int64"}, wrong
    assert compared > 150


def test_every_builtin_code_the_plugin_lowers_is_listed(tmp_path):
    """Every builtin code the profile does not list, as a one-input op: the plugin has no
    legalization for it (it logs so); every listed op: some probe of it reaches a QNN op
    (selected, or refused by the HTP validator rather than by the legalization)."""
    names = {value: key for key, value in vars(BuiltinOperator).items()
             if not key.startswith("_")}
    listed = set(load_target("npu-qualcomm").ops) - {"*"}
    for code in range(MAX_CODE):
        if code == 32 or names.get(code) in listed:
            continue
        model = ModelBuilder()
        main = model.subgraph()
        x, y = main.tensor(f"code{code}-x", [1, 8]), main.tensor(f"code{code}-y", [1, 8])
        main.op(code, [x], [y])
        main.inputs, main.outputs = [x], [y]
        (tmp_path / f"code-{code:03d}.tflite").write_bytes(model.build())
    unlisted = {path.stem: result for path, result in oracle_results(tmp_path).items()}
    assert unlisted and all(not r.error and r.subgraphs[0][0].kind == "legalization"
                            for r in unlisted.values()), \
        {name: (r.error, r.subgraphs and r.subgraphs[0][0]) for name, r in unlisted.items()
         if r.error or r.subgraphs[0][0].kind != "legalization"}


def test_listed_ops_reach_a_qnn_op(probe_dir):
    reached: dict[str, bool] = {}
    for result in oracle_results(probe_dir).values():
        op = result.subgraphs[0][0] if result.subgraphs else None
        if op is not None:
            reached[op.op] = reached.get(op.op, False) or op.kind != "legalization"
    # DENSIFY is listed only for its fix: it has no builder
    listed = set(load_target("npu-qualcomm").ops) - {"*", "STABLEHLO_COMPOSITE", "DENSIFY"}
    assert {op for op in listed if not reached.get(op)} == set()


@pytest.mark.skipif(not CORPUS.is_dir(), reason=f"the real-model corpus is not at {CORPUS}: "
                    "python tools/fetch_real_models.py")
def test_real_models():
    TALLIES["corpus"] = tally = run_set(CORPUS)
    check(tally, "real-model corpus")
    # the models whose resource variables or complex tensors stop the partition step
    assert sorted(name for name, _ in tally.unpartitioned) == [
        "birdnet_fp32", "mww_alexa", "mww_hey_jarvis", "mww_hey_mycroft", "mww_okay_nabu"]


def test_overall_agreement():
    """The figures of the README: every set that ran, together."""
    if not TALLIES:
        pytest.skip("no set ran")
    total = Tally()
    for tally in TALLIES.values():
        total.add(tally)
    print("\n" + "; ".join(f"{label}: {t.agreeing}/{t.compared} ({t.share:.2%})"
                           for label, t in TALLIES.items()) +
          f"; overall {total.agreeing}/{total.compared} ({total.share:.2%})")
    assert total.share >= AGREEMENT


def test_a_wrong_profile_disagrees(tmp_path, probe_dir):
    """The comparison can fail: a profile that lets EXP take INT8 disagrees on EXP-int8."""
    profile = tmp_path / "wrong.toml"
    profile.write_text('[target]\nname = "wrong"\nextends = "npu-qualcomm"\n'
                       '[ops.EXP]\ndtypes = ["FLOAT32", "INT8"]\n')
    path = probe_dir / "EXP-int8.tflite"
    tally = Tally()
    compare("EXP-int8", path, oracle_results(probe_dir)[path], tally, target=str(profile))
    assert (tally.compared, tally.agreeing) == (1, 0)
    assert list(tally.disagreements) == ["EXP-int8 0:0"]


def test_block_wise_weights_stop_the_partition_step(tmp_path):
    """The plugin refuses block-wise quantization in ConvertTensor, as npu-qualcomm's
    qualcomm-tensor-types says (the reason's tool line is the plugin's log line)."""
    from rule_examples._generative import blockwise_fully_connected

    model = tmp_path / "blockwise.tflite"
    model.write_bytes(blockwise_fully_connected(8, 64))
    [result] = qnn_oracle.partition_all([model])
    assert result.returncode != 0 and "Unsupported quantization type." in result.log
    [reason] = target_result(model.read_bytes(), "npu-qualcomm").model_reasons
    assert reason.tool == "Unsupported quantization type."
