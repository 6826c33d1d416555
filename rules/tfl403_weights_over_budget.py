"""TFL403: the model's constant data is larger than the weights budget."""
from __future__ import annotations

from typing import Iterator

from tfllint.analyses.budget import weights_budget
from tfllint.engine.rule import Location, RuleContext, Violation, rule
from tfllint.sizes import exact_bytes, human_bytes

from ._memory import budget_text, constant_sizes, named_sizes


@rule(id="TFL403", name="weights-over-budget", severity="error", evidence="gate")
def check(ctx: RuleContext) -> Iterator[Violation]:
    """The weights and other constants do not fit the weights (flash) budget.

    What it finds:
        With --weights-budget SIZE (or a target profile's `[memory] flash_bytes`), a
        model whose constant data (weights, biases, lookup tables: every buffer a tensor
        reads, counted once) is larger than SIZE. The message names the largest
        constants.

    Why it matters:
        On a microcontroller the model is compiled into flash next to the firmware; if
        the weights do not fit, the firmware does not link or does not flash. On other
        devices a parameter-memory or download-size limit is just as hard. The whole
        .tflite file (the graph's structure on top of the weights) needs a little more.

    Example:
        the weights take 1.2 MiB (1,253,376 bytes); the weights budget of 1.0 MiB
        (1,048,576 bytes) is 200.0 KiB short. Largest: 'dense/MatMul' 1.0 MiB,
        'conv2/Conv2D' 144.0 KiB and 3 more (56.0 KiB).

    How to fix:
        Quantize the weights to int8 (a quarter of float32's bytes; dynamic-range
        quantization needs no calibration data), prune and compress, or use a model
        with fewer parameters (fewer channels, a smaller dense layer). Or raise the
        budget.
    """
    budget = weights_budget(ctx.settings)
    if budget is None:
        return
    weights = ctx.analyses.memory.weights_bytes
    if weights <= budget.bytes:
        return
    yield Violation(f"the weights take {exact_bytes(weights)}; {budget_text(budget)} is "
                    f"{human_bytes(weights - budget.bytes)} short. Largest: "
                    f"{named_sizes(constant_sizes(ctx.view))}", Location(),
                    target=budget.target,
                    fix="quantize the weights to int8, prune, or use a smaller model; or "
                        "raise the weights budget")
