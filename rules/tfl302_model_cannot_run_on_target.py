"""TFL302: the model cannot run on (or be compiled for) the target at all."""
from __future__ import annotations

from typing import Iterator

from tfllint.engine.rule import Location, RuleContext, Violation, rule

from ._targets import group_reasons, grouped_verdicts, op_location, ops_summary


@rule(id="TFL302", name="model-cannot-run-on-target", severity="error",
      evidence=(
          "runtime+source: tests/test_tflm_differential.py, tests/test_cpu_differential.py, "
          "tests/test_vela_differential.py (tflm, cpu and Ethos-U verdicts against TFLite "
          "Micro, LiteRT and Vela); the other targets' requirements cite their sources in "
          "rules/targets/*.toml"))
def check(ctx: RuleContext) -> Iterator[Violation]:
    """A model the target cannot run or compile: a requirement unmet, or an op it lacks.

    What it finds:
        Model-level requirements of a --target the model does not meet (full integer
        quantization for the Edge TPU, float for Core ML, static shapes, the op
        versions a compiler knows), and ops a target without CPU fallback cannot run
        (an op missing from TFLite Micro's resolver, an op version the runtime named
        with --runtime-version does not register). A refusal of the whole model names
        how many ops of which types it keeps off the target, and TFL301 then reports
        none of them; ops that block for the same reasons are one finding.

    Why it matters:
        These are not slowdowns but failures: the Edge TPU compiler maps nothing or
        refuses the model, TFLite Micro firmware fails in AllocateTensors ("Failed to
        get registration from op code"), an older runtime fails to load the model.

    Example:
        [tflm] op3 GELU: cannot run on TFLite Micro, which has no CPU fallback: GELU is
        not in the TFLite Micro op resolver.

    How to fix:
        Meet the requirement (quantize fully, fix the input shapes, convert with a
        converter matching the target's runtime), or replace the op with ones the target
        has. Each finding's fix says how.
    """
    for target in ctx.settings.targets:
        result = ctx.analyses.target(target)
        name, title = result.profile.name, result.profile.title
        # The op-level findings fold into a refusal of the whole model: with it, no op runs
        # on the target; each op's own reasons stay in the JSON and `--show ops`.
        affected = [verdict for verdict in result.ops if verdict.verdict in ("cpu", "blocks")]
        for position, reason in enumerate(result.model_reasons):
            tool = f" (the tool says: \"{reason.tool}\")" if reason.tool else ""
            ops = f". None of its {ops_summary(affected)} runs there" \
                if affected and position == 0 else ""
            yield Violation(f"the model cannot run on {title}: {reason.message}{tool}{ops}",
                            Location(), target=name, fix=reason.fix)
        if result.model_reasons:
            continue
        for group in grouped_verdicts(result, "blocks"):
            yield Violation(f"cannot run on {title}, which has no CPU fallback: "
                            f"{group_reasons(group)}",
                            locations=tuple(op_location(verdict) for verdict in group),
                            target=name, fix=group[0].fix)
