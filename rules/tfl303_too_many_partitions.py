"""TFL303: more accelerated partitions than --max-partitions."""
from __future__ import annotations

from typing import Iterator

from tfllint.engine.rule import Location, RuleContext, Violation, rule


@rule(id="TFL303", name="too-many-partitions", severity="error", evidence="gate")
def check(ctx: RuleContext) -> Iterator[Violation]:
    """A target on which the graph splits into more accelerated partitions than allowed.

    What it finds:
        With --max-partitions N: each --target whose simulated partitioning gives more
        than N partitions that run on the accelerator, with the number of CPU <->
        accelerator transitions.

    Why it matters:
        Every partition boundary copies tensors between the CPU and the accelerator and
        synchronises them; with many small partitions the copies can cost more than the
        acceleration saves (Vela's CPU islands, NNAPI and XNNPACK partitions).
        --max-partitions is a gate you set, so missing it is an error (exit code 1);
        --severity TFL303=warning reports it without failing the run.

    Example:
        [ethos-u55] 4 partitions run on the Arm Ethos-U55 (at most 1 allowed), with 6
        CPU <-> target transitions.

    How to fix:
        Replace the ops that split the graph (TFL301 names them) so the supported ops
        form one region, or raise --max-partitions if the transitions are acceptable.
    """
    limit = ctx.settings.max_partitions
    if limit is None:
        return
    for target in ctx.settings.targets:
        result = ctx.analyses.target(target)
        if result.partitions > limit:
            yield Violation(f"{result.partitions} partitions run on {result.profile.title} "
                            f"(at most {limit} allowed), with {result.transitions} CPU <-> "
                            "target transitions", Location(), target=result.profile.name,
                            fix="replace the ops that split the graph (see TFL301)")
