"""TFL305: the model is already compiled for the target."""
from __future__ import annotations

from typing import Iterator

from tfllint.engine.rule import RuleContext, Violation, rule

from ._targets import op_location


@rule(id="TFL305", name="compiled-for-target", severity="info")
def check(ctx: RuleContext) -> Iterator[Violation]:
    """A model that is already the output of the target's compiler.

    What it finds:
        Ops that are a compiled program for the --target itself: `edgetpu-custom-op`
        (Edge TPU compiler output) on coral, `ethos-u` (Vela output) on ethos-u55/65/85.

    Why it matters:
        The compiled op is opaque: tfllint cannot check what is inside, only that the
        target's delegate or driver must be present to run it (libedgetpu, or TFLite
        Micro built with the Ethos-U kernel), and that no other target can run it.

    Example:
        [coral] op 0 edgetpu-custom-op is already compiled for the Coral Edge TPU.

    How to fix:
        Nothing to fix. To check the model itself, lint the model from before the
        compiler.
    """
    for target in ctx.settings.targets:
        result = ctx.analyses.target(target)
        for verdict in result.ops:
            if verdict.verdict == "compiled":
                yield Violation(f"{verdict.op} is already compiled for {result.profile.title}; "
                                "it needs that target's delegate or driver to run",
                                op_location(verdict), target=result.profile.name,
                                fix="lint the model from before the compiler to check it")
