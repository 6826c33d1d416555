"""TFL401: the planned activation arena is larger than the memory budget."""
from __future__ import annotations

from typing import Iterator

from tfllint.analyses.budget import memory_budget, run_arena_plan
from tfllint.engine.rule import RuleContext, Violation, rule
from tfllint.sizes import exact_bytes, human_bytes

from ._memory import budget_text, live_at_peak_text, peak_location


@rule(id="TFL401", name="arena-over-budget", severity="error", evidence="gate")
def check(ctx: RuleContext) -> Iterator[Violation]:
    """The arena the runtime plans for the activations does not fit the memory budget.

    What it finds:
        With --memory-budget SIZE (or a target profile's `[memory] sram_bytes`, as in a
        profile of your own board), a model whose planned arena is larger than SIZE.
        The arena is planned as the runtime does it: TFLite Micro's greedy planner plus
        its persistent tail with --target tflm or an Ethos-U target, the LiteRT
        interpreter's arena planner otherwise. The finding sits at the op where the
        most bytes are live and names the tensors live there, largest first.

    Why it matters:
        TFLite Micro firmware gets a fixed tensor arena; when the plan does not fit,
        AllocateTensors() fails ("Failed to resize buffer. Requested: ..., available ...,
        missing: ..." or "Failed to allocate tail memory", tflite-micro
        arena_allocator/single_arena_buffer_allocator.cc) and the model never runs.
        On a phone or a Linux board the interpreter allocates what it needs, but a
        model over the RAM an app can spare is killed or pushes everything else out.

    Example:
        the tflm arena needs 80.6 KiB (82,528 bytes): 72.0 KiB of planned activations
        (head) and 8.6 KiB persistent (tail); the memory budget of 64.0 KiB (65,536 bytes)
        is 16.6 KiB short. Peak at op 3 CONV_2D, where 'conv1' 32.0 KiB, 'input' 16.0 KiB
        and 'pool' 16.0 KiB are live.

    How to fix:
        Shrink what is live at the peak op: a smaller input resolution or fewer channels
        in the layers around it, an earlier stride or pooling, int8 instead of float32
        activations (a quarter of the bytes). Or give the model more RAM and raise the
        budget.
    """
    budget = memory_budget(ctx.settings)
    if budget is None:
        return
    plan = run_arena_plan(ctx.analyses)
    if plan.total_bytes <= budget.bytes:
        return
    parts = [f"{human_bytes(plan.head_bytes)} of planned activations (head)"]
    if plan.tail_bytes:
        parts.append(f"{human_bytes(plan.tail_bytes)} persistent (tail)")
    if plan.temp_bytes:
        parts.append(f"{human_bytes(plan.temp_bytes)} more while it plans (temp)")
    parts = ", ".join(parts[:-1]) + " and " + parts[-1] if len(parts) > 1 else parts[0]
    message = (f"the {plan.planner} arena needs {exact_bytes(plan.total_bytes)}: {parts}; "
               f"{budget_text(budget)} is "
               f"{human_bytes(plan.total_bytes - budget.bytes)} short")
    location = peak_location(ctx.view, plan)
    if location.op_index is not None:
        message += f". Peak at op {location.op_index} {location.op}"
        if plan.live_at_peak:
            verb = "are" if len(plan.live_at_peak) > 1 else "is"
            message += f", where {live_at_peak_text(plan)} {verb} live"
    if plan.lower_bound:
        message += f". This is a lower bound: {plan.lower_bound}"
    yield Violation(message, location, target=budget.target,
                    fix="shrink the tensors live at the peak op (resolution, channels, int8 "
                        "activations) or raise the memory budget")
