"""TFL106: op versions newer than the runtime can run."""
from __future__ import annotations

from typing import Iterator

from tfllint.engine.rule import RuleContext, Violation, rule
from tfllint.versions import covers, format_version

from ._locations import opcode_location


def runtime_error(name: str, version: int) -> str:
    # tflite/core/api/op_resolver.cc, GetRegistrationFromOpCode
    return (f"Didn't find op for builtin opcode '{name}' version '{version}'. An older "
            "version of this builtin might be supported. Are you using an old TFLite binary "
            "with a newer model?")


@rule(id="TFL106", name="op-version-too-new", severity="error",
      evidence=(
          "runtime+source: tests/test_cpu_differential.py (verdicts at a --runtime-version "
          "against a real load); the release table is LiteRT's runtime_version.cc and "
          "register.cc (rules/data/op_runtime_versions.toml cites the commit)"))
def check(ctx: RuleContext) -> Iterator[Violation]:
    """An op version that the app's runtime (--runtime-version) cannot run.

    What it finds:
        With `--runtime-version X.Y`: operator codes whose (op, version) first ran in a
        release newer than X.Y, from the converter's own table
        (runtime_version.cc, FindMinimumRuntimeVersionForOp). Without it, and always:
        op versions outside the range the newest LiteRT runtime registers
        (register.cc), which no released runtime tfllint knows can run.

    Why it matters:
        Converters raise op versions when they use a new kernel feature (for example
        FULLY_CONNECTED v12 for dynamic-range quantization, needing 2.17). An app that
        ships an older runtime (tensorflow-lite:2.11 on Android, a Flutter plugin) fails
        at load with "Didn't find op for builtin opcode 'FULLY_CONNECTED' version '12'.
        An older version of this builtin might be supported. Are you using an old TFLite
        binary with a newer model?".

    Example:
        op 7 FULLY_CONNECTED v12 needs runtime >= 2.17.0; runtime 2.11 fails to load it.

    How to fix:
        Upgrade the runtime the app ships to at least the version named, or convert with
        the converter release that matches the runtime (an older TensorFlow), or avoid the
        feature that raised the version (e.g. per-channel dynamic-range quantization).
    """
    view = ctx.view
    runtime = ctx.settings.runtime_version
    for requirement in ctx.analyses.runtime.requirements:
        code = requirement.opcode
        location, uses = opcode_location(view, code.index)
        registered = requirement.registered
        if registered and not registered[0] <= code.version <= registered[1]:
            yield Violation(
                f"{code.name} version {code.version}{uses} is outside the versions "
                f"{registered[0]}..{registered[1]} the newest LiteRT runtime registers; "
                f"loading fails with \"{runtime_error(code.name, code.version)}\"", location,
                fix="convert with a converter release that matches your runtime")
        elif runtime and requirement.min_runtime and not covers(runtime, requirement.min_runtime):
            needed = format_version(requirement.min_runtime)
            yield Violation(
                f"{code.name} version {code.version}{uses} needs runtime >= {needed}; runtime "
                f"{format_version(runtime)} fails to load the model with "
                f"\"{runtime_error(code.name, code.version)}\"", location,
                fix=f"ship runtime >= {needed}, or convert with a converter matching "
                    f"{format_version(runtime)}")
