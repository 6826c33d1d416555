"""TFL301: an op the target cannot run, so it falls back to the CPU."""
from __future__ import annotations

from typing import Iterator

from tfllint.engine.rule import RuleContext, Violation, rule

from ._targets import group_reasons, grouped_verdicts, op_location


@rule(id="TFL301", name="op-not-supported-on-target", severity="warning")
def check(ctx: RuleContext) -> Iterator[Violation]:
    """An op that runs on the CPU instead of the target accelerator or delegate (--target).

    What it finds:
        For every target named with --target that falls back to the CPU (coral, gpu,
        nnapi, xnnpack, ethos-u, hexagon, coreml): the ops it will not run, with every
        reason (op not supported, version, tensor types, rank, fused activation,
        non-constant weights, option limits, partitioning) and the real tool's own
        status text where it prints one. Ops of one type that fall back for the same
        reasons are one finding listing them; so are the ops held back only by others
        (after the Edge TPU's first unsupported op, between partitions). A target that
        refuses the whole model (TFL302) reports no op here.

    Why it matters:
        Each op left on the CPU costs a hand-over between the accelerator and the CPU
        and runs at CPU speed; on the Edge TPU every op after the first unsupported one
        also stays on the CPU. The model still runs, but slower than planned, and the
        delegate logs say so only at run time on the device.

    Example:
        [gpu] GATHER_ND x2 (ops 12, 30): left on the CPU by the LiteRT GPU delegate:
        GATHER_ND is not supported (the tool says: "GATHER_ND: Operation is not
        supported.").

    How to fix:
        Replace the op with ones the target runs (the per-op fix hints say how), move it
        to the end of the graph, or accept the fallback for this target with a
        per-model ignore.
    """
    for target in ctx.settings.targets:
        result = ctx.analyses.target(target)
        if result.model_reasons:
            continue  # the target refuses the whole model: TFL302 says so, for every op
        for group in grouped_verdicts(result, "cpu"):
            yield Violation(f"left on the CPU by {result.profile.title}: "
                            f"{group_reasons(group)}",
                            locations=tuple(op_location(verdict) for verdict in group),
                            target=result.profile.name, fix=group[0].fix)
