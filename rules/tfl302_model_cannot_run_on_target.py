"""TFL302: the model cannot run on (or be compiled for) the target at all."""
from __future__ import annotations

from typing import Iterator

from tfllint.engine.rule import Location, RuleContext, Violation, rule

from ._targets import op_location, reasons_text


@rule(id="TFL302", name="model-cannot-run-on-target", severity="error")
def check(ctx: RuleContext) -> Iterator[Violation]:
    """A model the target cannot run or compile: a requirement unmet, or an op it lacks.

    What it finds:
        Model-level requirements of a --target the model does not meet (full integer
        quantization for the Edge TPU, float for Core ML, static shapes, the op
        versions a compiler knows), and ops a target without CPU fallback cannot run
        (an op missing from TFLite Micro's resolver, an op version the runtime named
        with --runtime-version does not register).

    Why it matters:
        These are not slowdowns but failures: the Edge TPU compiler maps nothing or
        refuses the model, TFLite Micro firmware fails in AllocateTensors ("Failed to
        get registration from op code"), an older runtime fails to load the model.

    Example:
        [tflm] op 3 GELU: GELU is not in the TFLite Micro op resolver.

    How to fix:
        Meet the requirement (quantize fully, fix the input shapes, convert with a
        converter matching the target's runtime), or replace the op with ones the target
        has. Each finding's fix says how.
    """
    for target in ctx.settings.targets:
        result = ctx.analyses.target(target)
        name = result.profile.name
        for reason in result.model_reasons:
            tool = f" (the tool says: \"{reason.tool}\")" if reason.tool else ""
            yield Violation(f"the model cannot run on {result.profile.title}: "
                            f"{reason.message}{tool}", Location(), target=name)
        for verdict in result.ops:
            if verdict.verdict == "blocks":
                yield Violation(f"{verdict.op} cannot run on {result.profile.title}, and "
                                f"there is no fallback: {reasons_text(verdict)}",
                                op_location(verdict), target=name, fix=verdict.fix)
