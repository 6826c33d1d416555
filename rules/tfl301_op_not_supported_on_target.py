"""TFL301: an op the target cannot run, so it falls back to the CPU."""
from __future__ import annotations

from typing import Iterator

from tfllint.engine.rule import RuleContext, Violation, rule

from ._targets import op_location, reasons_text


@rule(id="TFL301", name="op-not-supported-on-target", severity="warning")
def check(ctx: RuleContext) -> Iterator[Violation]:
    """An op that runs on the CPU instead of the target accelerator or delegate (--target).

    What it finds:
        For every target named with --target that falls back to the CPU (coral, gpu,
        nnapi, xnnpack, ethos-u, hexagon, coreml): each op it will not run, with every
        reason (op not supported, version, tensor types, rank, fused activation,
        non-constant weights, option limits, partitioning) and the real tool's own
        status text where it prints one.

    Why it matters:
        Each op left on the CPU costs a hand-over between the accelerator and the CPU
        and runs at CPU speed; on the Edge TPU every op after the first unsupported one
        also stays on the CPU. The model still runs, but slower than planned, and the
        delegate logs say so only at run time on the device.

    Example:
        [gpu] op 12 GATHER_ND runs on the CPU: GATHER_ND is not supported by the LiteRT
        GPU delegate (the tool says: "GATHER_ND: Operation is not supported.").

    How to fix:
        Replace the op with ones the target runs (the per-op fix hints say how), move it
        to the end of the graph, or accept the fallback for this target with a
        per-model ignore.
    """
    for target in ctx.settings.targets:
        result = ctx.analyses.target(target)
        for verdict in result.ops:
            if verdict.verdict == "cpu":
                yield Violation(f"{verdict.op} runs on the CPU, not on {result.profile.title}: "
                                f"{reasons_text(verdict)}", op_location(verdict),
                                target=result.profile.name, fix=verdict.fix)
