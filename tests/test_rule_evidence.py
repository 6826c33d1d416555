"""The severity policy, checked: every error says what backs it, and where that is the
runtime, the real runtime refuses the rule's bad example or computes a wrong result with
it, while it runs the good example.

error = the named runtime refuses the model or computes wrong results, or a gate the user
set is not met; warning = it runs but falls back, slows down or is easy to misuse; info =
a fact. An error's `evidence` names its kind: "runtime: <tests>", "source: <citation>",
"gate", or kinds joined with "+".
"""
from __future__ import annotations

import importlib
import re
import sys
from pathlib import Path

import numpy as np
import pytest
from conftest import REPO

from tfllint.engine.registry import load_rules

sys.path.insert(0, str(Path(__file__).parent / "rule_examples"))
RULES = load_rules()
# an error in some mode: by default, with --preview, or with --untrusted
ERRORS = [rule for rule in RULES if "error" in (rule.severity, rule.preview_severity,
                                                rule.untrusted_severity)]
KINDS = {"runtime", "source", "gate"}


def examples(rule_id: str):
    return importlib.import_module(f"rule_examples.{rule_id.lower()}")


@pytest.mark.parametrize("rule", ERRORS, ids=[r.id for r in ERRORS])
def test_every_error_says_what_backs_it(rule):
    assert rule.evidence_kinds and set(rule.evidence_kinds) <= KINDS, rule.evidence
    if "runtime" in rule.evidence_kinds:  # the differential tests it names exist
        named = re.findall(r"tests/[\w/]+\.py", rule.evidence)
        assert named and all((REPO / path).is_file() for path in named), rule.evidence
    if "source" in rule.evidence_kinds or "gate" not in rule.evidence_kinds:
        assert ":" in rule.evidence and rule.evidence.split(":", 1)[1].strip()


def test_warnings_and_infos_claim_no_evidence_they_do_not_need():
    assert [rule.id for rule in RULES if rule not in ERRORS and rule.evidence] == []


# -- the runtime, on the rules' own examples ----------------------------------------------

def litert():
    return pytest.importorskip("ai_edge_litert.interpreter", reason="ai-edge-litert is not "
                               "installed: pip install -e .[oracle] to check the errors "
                               "against the real runtime")


def interpreter(data: bytes, builtin_kernels: bool = False):
    """LiteRT as an app gets it (the default XNNPACK delegate applied), or its builtin
    kernels alone, as with the delegate off and on every op XNNPACK does not take."""
    runtime = litert()
    resolver = runtime.OpResolverType.BUILTIN_WITHOUT_DEFAULT_DELEGATES if builtin_kernels \
        else runtime.OpResolverType.AUTO
    model = runtime.Interpreter(model_content=data, experimental_op_resolver_type=resolver)
    model.allocate_tensors()
    return model


def invoke(model, inputs: list[np.ndarray] | None = None) -> list[np.ndarray]:
    """Outputs of one call; inputs default to ones. Raises what the runtime raises."""
    details = model.get_input_details()
    for position, detail in enumerate(details):
        value = inputs[position] if inputs else np.ones(detail["shape"], detail["dtype"])
        model.set_tensor(detail["index"], value)
    model.invoke()
    return [model.get_tensor(detail["index"]).copy() for detail in model.get_output_details()]


def runs(data: bytes) -> list[np.ndarray]:
    return invoke(interpreter(data))


# Rules whose bad example LiteRT refuses: it raises at load, allocate_tensors, invoke or
# when the output is read. (TFL206/TFL208: the default XNNPACK delegate refuses them.)
# rule -> what LiteRT says (a regular expression), as the rule's evidence quotes it.
REFUSED = {
    "TFL003": "Tensor data is null",
    "TFL008": "required_bytes <= bytes was not true",
    "TFL101": "Select TensorFlow op\\(s\\), included in the given model, is\\(are\\) not "
              "supported",
    "TFL103": "Op builtin_code out of range",
    "TFL104": "Unsupported data type",
    "TFL105": "Didn't find op for builtin opcode",
    "TFL206": "unsupported zero-point value",
    "TFL207": "num_scales must be 1 for per-layer quantization",
    "TFL208": "unsupported zero-point value",
}


@pytest.mark.parametrize("rule_id", REFUSED)
def test_litert_refuses_the_bad_example_and_runs_the_good_one(rule_id):
    example = examples(rule_id)
    with pytest.raises((RuntimeError, ValueError), match=REFUSED[rule_id]):
        runs(example.bad())
    runs(example.good())


def test_tfl002_the_op_reads_what_the_previous_call_left():
    """MUL reads `late` before RELU writes it. The builtin kernels run the ops in file
    order, so MUL reads what the previous call left; XNNPACK reorders them. One model,
    two answers: which one an app gets depends on the delegate."""
    example = examples("TFL002")
    first = np.full((1, 4), 2.0, np.float32)
    second = np.full((1, 4), 3.0, np.float32)
    builtin = interpreter(example.bad(), builtin_kernels=True)
    invoke(builtin, [first])
    [stale] = invoke(builtin, [second])
    assert np.array_equal(stale, second * first)  # x * relu(previous x)
    [reordered] = invoke(interpreter(example.bad()), [second])
    assert np.array_equal(reordered, second * second)  # x * relu(x)
    runs(example.good())


def test_tfl004_the_first_writers_result_is_lost():
    example = examples("TFL004")
    x = np.array([[-1.0, 3.0, 7.0, 10.0]], np.float32)
    [y] = invoke(interpreter(example.bad()), [x])
    assert np.array_equal(y, np.clip(x, 0, 6))  # RELU6 overwrote what RELU wrote
    assert not np.array_equal(y, np.maximum(x, 0))


def _conv_meaning(x: np.ndarray, weight_scales: list[float]) -> np.ndarray:
    """What TFL205's example CONV_2D means, in float64 from the file's numbers (int8
    input of scale 0.5 and zero point -1; the weights and bias int8_conv writes, the
    bias at the example's scales; SAME padding, stride 1), quantized to the output's
    scale 1.0 and zero point 3."""
    from rule_examples.tfl205 import BIAS_SCALES

    weights = (np.arange(54).reshape(2, 3, 3, 3) - 27) * np.array(weight_scales)[:, None,
                                                                                 None, None]
    padded = np.pad(0.5 * (x.astype(np.float64) + 1), ((0, 0), (1, 1), (1, 1), (0, 0)))
    out = np.array([[[np.tensordot(weights, padded[0, i:i + 3, j:j + 3], 3)
                      for j in range(4)] for i in range(4)]])
    out += np.array([100, -100]) * np.array(BIAS_SCALES)
    return np.clip(np.round(out) + 3, -128, 127)


@pytest.mark.parametrize("weight_scales", [[0.25, 0.0], [0.25, -0.125]])
@pytest.mark.parametrize("builtin_kernels", [False, True])
def test_tfl205_litert_computes_other_than_what_the_file_means(weight_scales,
                                                              builtin_kernels):
    """A zero or negative weight scale runs, and channel 1 comes out levels away from what
    the file's numbers mean (the kernel takes the bias scale to be input scale * weight
    scale: 0 drops the bias, a negative one flips it), with XNNPACK and without; valid
    scales agree to the rounding."""
    from rule_examples.tfl205 import BIAS_SCALES
    from rule_examples.tfl209 import int8_conv

    x = (np.arange(48) % 7 - 3).astype(np.int8).reshape(1, 4, 4, 3)
    for scales, wrong in ((weight_scales, True), ([0.25, 0.125], False)):
        model = interpreter(int8_conv(weight_scales=scales, bias_scales=BIAS_SCALES),
                            builtin_kernels)
        [y] = invoke(model, [x])
        off = np.abs(y.astype(np.float64) - _conv_meaning(x, scales))
        assert off[..., 0].max() <= 1
        assert (off[..., 1].max() > 1) == wrong, (scales, off[..., 1].max())


def test_tfl205_a_zero_scale_makes_its_channel_ignore_the_input():
    example = examples("TFL205")
    low = np.full((1, 4, 4, 3), -50, np.int8)
    high = np.full((1, 4, 4, 3), 50, np.int8)
    bad = interpreter(example.bad())
    [bad_low], [bad_high] = invoke(bad, [low]), invoke(bad, [high])
    assert np.array_equal(bad_low[..., 1], bad_high[..., 1])  # channel 1 is a constant
    good = interpreter(example.good())
    [good_low], [good_high] = invoke(good, [low]), invoke(good, [high])
    assert not np.array_equal(good_low[..., 1], good_high[..., 1])
