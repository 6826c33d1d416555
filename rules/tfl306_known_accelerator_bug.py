"""TFL306: an op that meets the precondition of a failure reported against the target's release."""
from __future__ import annotations

from typing import Iterator

from tfllint.engine.rule import RuleContext, Violation, rule
from tfllint.targets.checks import OpContext, get_check
from tfllint.targets.profile import BUG_EFFECTS
from tfllint.versions import parse_version

from ._targets import op_location


@rule(id="TFL306", name="known-accelerator-bug", severity="warning", preview=True)
def check(ctx: RuleContext) -> Iterator[Violation]:
    """An op the target runs that meets the static precondition of a reported failure.

    What it finds:
        For every --target whose profile lists failures reported against releases of
        the accelerator ([bugs] in its profile, each citing the issue), the ops that run
        on the accelerator and meet the failure's precondition, when the release the
        profile describes lies within the releases it was reported on. gpu-mldrift
        (release 2.2.0) lists: PAD of a rank-3 tensor along a non-innermost axis
        (LiteRT#9272, wrong results), ADD/MUL of computed operands of different rank
        (LiteRT#8980, wrong results), dynamic-range FULLY_CONNECTED at rank 3 feeding
        ADD (LiteRT#9277, compile fails) and FULLY_CONNECTED with weights through an
        INT8 DEQUANTIZE (LiteRT#9523, compile fails). A profile that extends gpu-mldrift
        with another `release` checks the failures of that release.

    Why it matters:
        The accelerator takes these ops, so nothing in the delegation log warns: the
        output is silently wrong, or CompiledModel::Create fails for the whole model on
        the device. The reports are open, mostly single reports, and tied to releases,
        so this is a warning, not an error.

    Example:
        [gpu-mldrift] op0 PAD: pads the rank-3 tensor 'x' [16, 32, 8] along axis 0, not
        only the innermost: here the LiteRT CompiledModel GPU accelerator (ML Drift)
        computes wrong results without an error (google-ai-edge/LiteRT#9272, reported on
        LiteRT 2.1.6 and 2.2.0: ...).

    How to fix:
        Apply the rewrite the finding names (most reshape to rank 4 around the op), or
        run that part on the CPU; check the issue for a release that fixes it.
    """
    for target in ctx.settings.targets:
        result = ctx.analyses.target(target)
        profile = result.profile
        bugs = [bug for bug in profile.bugs if _reported_on(profile.release, bug.releases)]
        if not bugs:
            continue
        on_target = {(v.subgraph, v.op_index): v for v in result.ops if v.verdict == "target"}
        for bug in bugs:
            function = get_check(bug.check).function
            for subgraph in sorted(ctx.view.reachable_subgraphs):
                for op in ctx.view.model.subgraphs[subgraph].operators:
                    verdict = on_target.get((subgraph, op.index))
                    if verdict is None:
                        continue
                    op_ctx = OpContext(ctx.view, ctx.analyses, profile, ctx.settings, op,
                                       profile.support_for(op.opcode.name))
                    for message in function(op_ctx):
                        yield Violation(
                            f"{message}: here {profile.title} {BUG_EFFECTS[bug.effect]} "
                            f"({bug.issue}, reported on LiteRT "
                            f"{' and '.join(bug.releases)}: {bug.summary})",
                            op_location(verdict), target=profile.name, fix=bug.fix)


def _reported_on(release: str | None, releases: tuple[str, ...]) -> bool:
    """Is the profile's release within the reported ones (first to last)? A profile that
    names no release gets every failure it lists."""
    if release is None:
        return True
    versions = sorted(parse_version(r) for r in releases)
    return versions[0] <= parse_version(release) <= versions[-1]
