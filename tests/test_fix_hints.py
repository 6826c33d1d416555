"""Fix hints fit their reason (issue 9, point 4).

Every reason of an op that does not run on a target, and every model-level reason, carries
the fix keyed to its own code: the profile's (`fix.<code>` on the op, on "*", or under
[requirements]), else the default for the code (DEFAULT_FIXES, or the fix its named check
registers). An op's fix is its reasons' fixes, each once. No fix keyed to a code that did
not fire is shown.

The sweep runs on every model the target tests and the rule examples build (recorded by
running those tests once in a subprocess, with the settings each used) and on the sample
models, each on all built-in targets.
"""
from __future__ import annotations

import pickle
import subprocess
import sys
from pathlib import Path

import pytest
from builder import ModelBuilder
from conftest import SAMPLE_MODELS, target_result, view_of

from tfllint.errors import ConfigError
from tfllint.targets import builtin_profile_names, load_target
from tfllint.targets.checks import all_checks, get_check
from tfllint.targets.evaluate import DEFAULT_FIXES, reason_codes

TESTS = Path(__file__).resolve().parent
TARGETS = sorted(set(builtin_profile_names().values()))
RELU = 1  # ActivationFunctionType

# Runs the target tests and the rule examples with a hook on every model they analyse:
# writes [(model bytes, (runtime version, Android API, max delegated partitions,
# accelerator set))].
RECORDER = """
import pickle, sys
import pytest
from tfllint.analyses import Analyses

seen = {}
original = Analyses.__init__

def recording(analyses, view, settings=None):
    key = (bytes(view.file.data[:]), (getattr(settings, "runtime_version", None),
           getattr(settings, "android_api", None),
           getattr(settings, "max_delegated_partitions", None),
           getattr(settings, "accelerators", None)))
    seen[key] = None
    original(analyses, view, settings)

Analyses.__init__ = recording
pytest.main(sys.argv[2:] + ["-q", "-p", "no:cacheprovider"])
with open(sys.argv[1], "wb") as out:
    pickle.dump(list(seen), out)
"""


def settings_mapping(recorded) -> dict:
    runtime, android_api, partitions, accelerators = recorded
    settings = {}
    if runtime:
        settings["runtime-version"] = ".".join(map(str, runtime))
    if android_api:
        settings["android-api"] = android_api
    if partitions:
        settings["max-delegated-partitions"] = partitions
    if accelerators:
        settings["accelerators"] = list(accelerators)
    return settings


@pytest.fixture(scope="module")
def models(tmp_path_factory) -> list[tuple[bytes, dict]]:
    """(model, settings) of every model the target tests and the rule examples analyse,
    and the sample models with default settings."""
    out = tmp_path_factory.mktemp("fix_hints") / "models.pickle"
    tests = sorted(str(p) for p in TESTS.glob("test_target*.py"))
    tests += [str(TESTS / "test_targets.py"), str(TESTS / "test_rule_examples.py")]
    # The tests' outcome does not matter here, only the models they build.
    subprocess.run([sys.executable, "-c", RECORDER, str(out), *tests], cwd=TESTS.parent,
                   capture_output=True, check=False, timeout=600)
    recorded = pickle.loads(out.read_bytes())
    assert len(recorded) > 300, "the recorder saw too few models: did the target tests run?"
    samples = [(path.read_bytes(), {}) for path in SAMPLE_MODELS]
    return samples + [(data, settings_mapping(settings)) for data, settings in recorded]


def filled(template: str, **values) -> str:
    try:
        return template.format(**values)
    except (KeyError, IndexError, ValueError):
        return template


def default_fix(code: str) -> str:
    return DEFAULT_FIXES.get(code) or get_check(code).fix


def op_fix_table(profile, opcode) -> dict[str, str]:
    """The profile's fixes for ops of this code: the "*" ones, with the op's own over them."""
    name = f"CUSTOM:{opcode.custom_code}" if opcode.name == "CUSTOM" else opcode.name
    shared, entry = profile.ops.get("*"), profile.ops.get(name)
    return {**(shared.fixes if shared else {}), **(entry.fixes if entry else {})}


def op_checks(profile, opcode) -> tuple[str, ...]:
    name = f"CUSTOM:{opcode.custom_code}" if opcode.name == "CUSTOM" else opcode.name
    return tuple(check for key in ("*", name) if key in profile.ops
                 for check in profile.ops[key].checks)


def unfired_fixes(table: dict[str, str], codes: set[str], candidates, **values) -> set[str]:
    """Texts keyed to codes that did not fire, in the table or by default."""
    texts = {filled(text, **values) for code, text in table.items() if code not in codes}
    texts |= {filled(default_fix(code), **values) for code in candidates if code not in codes}
    return texts


def assert_fits(result, view) -> set[str]:
    """Assert every reason of `result` has the fix that belongs to it, and an op's fix is
    its reasons' fixes and nothing else; returns the codes seen."""
    profile = result.profile
    title = profile.title
    table = profile.requirements.fixes
    for reason in result.model_reasons:  # each is a finding of its own, with its own fix
        expected = filled(table.get(reason.code) or default_fix(reason.code), title=title)
        assert reason.fix and reason.fix == expected, (profile.name, reason.code)
    seen = {reason.code for reason in result.model_reasons}
    for verdict in result.ops:
        if not verdict.reasons:
            assert verdict.fix is None, (profile.name, verdict.op)
            continue
        opcode = view.model.subgraphs[verdict.subgraph].operators[verdict.op_index].opcode
        table = op_fix_table(profile, opcode)
        codes = {reason.code for reason in verdict.reasons}
        for reason in verdict.reasons:
            template = table.get(reason.code) or default_fix(reason.code)
            expected = filled(template, op=verdict.op, title=title)
            assert reason.fix and reason.fix == expected, (profile.name, verdict.op, reason.code)
        unique = list(dict.fromkeys(reason.fix for reason in verdict.reasons))
        assert verdict.fix == " ".join(unique)
        candidates = (*reason_codes("op"), *op_checks(profile, opcode))
        for text in unfired_fixes(table, codes, candidates, op=verdict.op, title=title):
            assert text in unique or text.rstrip(".") not in verdict.fix, (
                profile.name, verdict.op, codes, text)
        seen |= codes
    return seen


@pytest.fixture(scope="module")
def seen_codes() -> dict[str, set[str]]:
    return {}


@pytest.mark.parametrize("target", TARGETS)
def test_every_reason_has_the_fix_keyed_to_its_code(target, models, seen_codes):
    codes = seen_codes.setdefault(target, set())
    for data, settings in models:
        codes |= assert_fits(target_result(data, target, settings), view_of(data))
    assert codes, f"no model gives {target} any reason"


def test_the_sweep_sees_every_kind_of_reason(models, seen_codes):
    for target in TARGETS:
        if target not in seen_codes:
            test_every_reason_has_the_fix_keyed_to_its_code(target, models, seen_codes)
    seen = set().union(*seen_codes.values())
    assert set(DEFAULT_FIXES) <= seen
    assert sum(len(codes) for codes in seen_codes.values()) > 200


def test_every_reason_code_and_every_check_has_a_default_fix():
    assert set(reason_codes("op")) | set(reason_codes("model")) == set(DEFAULT_FIXES)
    assert [name for name, check in all_checks().items() if not check.fix] == []


# -- the cases of the issue --------------------------------------------------------------

def pool(activation: int = 0, dtype: str = "FLOAT32") -> bytes:
    model = ModelBuilder()
    main = model.subgraph()
    quantization = {} if dtype == "FLOAT32" else {"scale": [0.1], "zero_point": [0]}
    x = main.tensor("x", [1, 8, 8, 4], dtype, **quantization)
    y = main.tensor("y", [1, 4, 4, 4], dtype, **quantization)
    main.op("MAX_POOL_2D", [x], [y], options=("Pool2DOptions", {
        "stride_w": 2, "stride_h": 2, "filter_width": 2, "filter_height": 2,
        "fused_activation_function": activation}))
    main.inputs, main.outputs = [x], [y]
    return model.build()


def softmax(shape, dtype: str) -> bytes:
    model = ModelBuilder()
    main = model.subgraph()
    quantization = {} if dtype == "FLOAT32" else {"scale": [0.1], "zero_point": [0]}
    out = {} if dtype == "FLOAT32" else {"scale": [1 / 256], "zero_point": [-128]}
    x = main.tensor("x", shape, dtype, **quantization)
    y = main.tensor("y", shape, dtype, **out)
    main.op("SOFTMAX", [x], [y], options=("SoftmaxOptions", {"beta": 1.0}))
    main.inputs, main.outputs = [x], [y]
    return model.build()


def test_coral_float_pool_without_activation_gets_the_quantization_fix():
    result = target_result(pool(), "coral")
    [verdict] = result.ops
    assert [r.code for r in verdict.reasons] == ["dtype"]
    assert verdict.fix == (
        "Quantize the model fully to 8-bit (post-training integer quantization with a "
        "representative dataset, int8 or uint8 input and output types): the Edge TPU maps no "
        "other type. A float op that must stay belongs at the end of the graph.")
    assert [r.code for r in result.model_reasons] == ["coral-full-integer-quantization"]
    assert result.model_reasons[0].fix.startswith("Quantize the model fully to 8-bit: "
                                                  "post-training integer quantization")


def test_coral_pool_with_a_fused_activation_gets_the_activation_fix():
    [verdict] = target_result(pool(activation=RELU, dtype="INT8"), "coral").ops
    assert [r.code for r in verdict.reasons] == ["fused-activation"]
    assert verdict.fix == ("A fused activation does not map: apply it as its own RELU/RELU6 "
                           "op after the pooling.")


@pytest.mark.parametrize("target", ["ethos-u55", "ethos-u65", "ethos-u85"])
def test_ethos_u_float_softmax_gets_the_quantization_fix(target):
    [verdict] = target_result(softmax([1, 4, 4, 8], "FLOAT32"), target).ops
    assert [r.code for r in verdict.reasons] == ["dtype"]
    assert verdict.fix == (
        "Quantize the model fully: post-training integer quantization with a representative "
        "dataset (int8, or int16 activations with int8 weights), with integer input and "
        "output types; Vela runs no float op.")


def test_ethos_u_large_softmax_gets_the_size_fix():
    [verdict] = target_result(softmax([1, 512, 256, 4], "INT8"), "ethos-u55").ops
    assert [r.code for r in verdict.reasons] == ["ethos-u-softmax-size"]
    assert "SPLIT the input along height" in verdict.fix and "Quantize" not in verdict.fix


def test_model_level_reasons_have_fixes():
    dynamic_range = (SAMPLE_MODELS[0].parent / "dense_dynamic_range.tflite").read_bytes()
    reasons = target_result(dynamic_range, "tflm").model_reasons
    blocked = [r for v in target_result(dynamic_range, "tflm").ops for r in v.reasons]
    assert blocked and all(r.fix for r in (*reasons, *blocked))
    float_model = (SAMPLE_MODELS[0].parent / "cnn_float32.tflite").read_bytes()
    [quantization] = target_result(float_model, "coral").model_reasons
    assert quantization.code == "coral-full-integer-quantization" and quantization.fix


# -- user profiles -----------------------------------------------------------------------

def write(tmp_path, text: str) -> str:
    path = tmp_path / "board.toml"
    path.write_text(text)
    return str(path)


@pytest.mark.parametrize("body, message", [
    ('[ops.SOFTMAX]\nfix.softmax-too-big = "x"\n',
     "[ops.SOFTMAX].fix: unknown reason code 'softmax-too-big'; a fix is keyed by one of "
     "not-listed, version, dtype,"),
    ('[ops.SOFTMAX]\nfix.quantization = "x"\n', "unknown reason code 'quantization'"),
    ('[ops.SOFTMAX]\nfix.ethos-u-finite-scales = "x"\n',
     "unknown reason code 'ethos-u-finite-scales'"),
    ('[requirements]\nfix.dtype = "x"\n',
     "[requirements].fix: unknown reason code 'dtype'; a fix is keyed by one of "
     "quantization, dynamic-shape, op-version-ceiling, no-cpu-fallback, or the name of a "
     "model check"),
    ('[ops.SOFTMAX]\nfix = "keep softmax on the CPU"\n',
     "[ops.SOFTMAX].fix: a plain string is the fix for an op the target does not run "
     "(supported = false); this op is supported, so key each fix by the reason it addresses"),
    ('[ops.SOFTMAX]\nfix = 3\n', "[ops.SOFTMAX].fix must be a table of reason code = fix"),
    ('[requirements]\nfix = "quantize"\n', "[requirements].fix must be a table of reason code"),
    ('[ops.SOFTMAX]\nfix.dtype = 3\n', "[ops.SOFTMAX].fix.dtype must be a string"),
])
def test_a_fix_for_an_unknown_reason_is_refused_naming_the_file(tmp_path, body, message):
    path = write(tmp_path, f'[target]\nextends = "ethos-u55"\nname = "board"\n{body}')
    with pytest.raises(ConfigError) as raised:
        load_target(path)
    assert path in str(raised.value) and message in str(raised.value)


def test_a_user_profile_changes_one_reasons_fix_and_keeps_the_rest(tmp_path):
    path = write(tmp_path, """
[target]
extends = "coral"
name = "board"
[requirements]
fix.dynamic-shape = "export with batch 1"
[ops.MAX_POOL_2D]
fix.dtype = "our int8 pipeline: see the wiki"
[ops.CONCATENATION]
fix.fused-activation = ""
[ops.GATHER]
fix = "use our lookup op"
[ops.EXP]
supported = false
fix = "use our exp table"
""")
    profile, coral = load_target(path), load_target("coral")
    assert profile.requirements.fixes == {**coral.requirements.fixes,
                                          "dynamic-shape": "export with batch 1"}
    assert profile.ops["MAX_POOL_2D"].fixes == {**coral.ops["MAX_POOL_2D"].fixes,
                                                "dtype": "our int8 pipeline: see the wiki"}
    assert "fused-activation" not in profile.ops["CONCATENATION"].fixes  # "" clears one
    assert profile.ops["GATHER"].fixes == {"not-listed": "use our lookup op"}
    assert profile.ops["EXP"].fixes == {"not-listed": "use our exp table"}
    [verdict] = target_result(pool(), path).ops
    assert verdict.fix == "our int8 pipeline: see the wiki"


# -- a check of the user's own ("package.module:function") -------------------------------

def odd_channels(ctx):
    """The output must have an even number of channels. Odd counts waste a lane."""
    if ctx.op.outputs and ctx.view.tensor(ctx.op.subgraph, ctx.op.outputs[0]).shape[-1] % 2:
        yield "odd channel count"


def padded_channels(ctx):
    """The output must have a multiple of 8 channels."""
    if ctx.op.outputs and ctx.view.tensor(ctx.op.subgraph, ctx.op.outputs[0]).shape[-1] % 8:
        yield "channels not a multiple of 8"


padded_channels.fix = "Pad {op}'s channels to a multiple of 8 for {title}."


@pytest.fixture
def user_checks():
    from tfllint.targets import checks

    yield
    for name in ("test_fix_hints:odd_channels", "test_fix_hints:padded_channels"):
        checks._CHECKS.pop(name, None)  # registered on first use; keep the registry built-in


def test_a_user_check_gives_its_own_fix_or_one_from_its_docstring(tmp_path, user_checks):
    path = write(tmp_path, '[target]\nname = "board"\ntitle = "the board"\ndtypes = ["INT8"]\n'
                           '[ops.MAX_POOL_2D]\nchecks = ["test_fix_hints:odd_channels", '
                           '"test_fix_hints:padded_channels"]\n')
    model = ModelBuilder()
    main = model.subgraph()
    x = main.tensor("x", [1, 8, 8, 3], "INT8", scale=[0.1], zero_point=[0])
    y = main.tensor("y", [1, 4, 4, 3], "INT8", scale=[0.1], zero_point=[0])
    main.op("MAX_POOL_2D", [x], [y], options=("Pool2DOptions", {
        "stride_w": 2, "stride_h": 2, "filter_width": 2, "filter_height": 2}))
    main.inputs, main.outputs = [x], [y]
    [verdict] = target_result(model.build(), path).ops
    assert [(r.code, r.fix) for r in verdict.reasons] == [
        ("test_fix_hints:odd_channels", "Change the model so that the board accepts it: The "
                                        "output must have an even number of channels."),
        ("test_fix_hints:padded_channels", "Pad MAX_POOL_2D's channels to a multiple of 8 for "
                                           "the board.")]
