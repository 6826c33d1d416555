"""TFL304: too small a share of ops or MACs on the target (--min-on-target)."""
from __future__ import annotations

from typing import Iterator

from tfllint.engine.rule import Location, RuleContext, Violation, rule


@rule(id="TFL304", name="too-little-on-target", severity="error", evidence="gate")
def check(ctx: RuleContext) -> Iterator[Violation]:
    """A target that runs a smaller share of the ops or of the compute than required.

    What it finds:
        With --min-on-target SHARE (e.g. 90%): each --target on which the share of ops,
        or the share of multiply-accumulates (convolutions, fully connected layers,
        matrix products), that run on the accelerator is below SHARE.

    Why it matters:
        The point of an accelerator is the compute it takes over. A model whose heavy
        layers stay on the CPU gains little, even if most ops are delegated; a gate on
        the MAC share catches that before a device benchmark does. --min-on-target is
        a gate you set, so falling short is an error (exit code 1); --severity
        TFL304=warning reports it without failing the run.

    Example:
        [coral] 41% of ops (38% of MACs) run on the Coral Edge TPU; at least 90% is
        required.

    How to fix:
        Fix the ops TFL301 reports, starting with those with the most MACs, or lower
        --min-on-target for this target.
    """
    minimum = ctx.settings.min_on_target
    if minimum is None:
        return
    for target in ctx.settings.targets:
        result = ctx.analyses.target(target)
        op_share = result.ops_on_target / result.ops_total if result.ops_total else 1.0
        mac_share = result.macs_on_target / result.macs_total if result.macs_total else None
        if op_share < minimum or (mac_share is not None and mac_share < minimum):
            macs = "" if mac_share is None else f" ({mac_share:.0%} of MACs)"
            yield Violation(f"{op_share:.0%} of ops{macs} run on {result.profile.title}; at "
                            f"least {minimum:.0%} is required", Location(),
                            target=result.profile.name,
                            fix="fix the ops TFL301 reports, heaviest first")
