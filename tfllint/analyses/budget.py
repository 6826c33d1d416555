"""Which memory budgets apply to a run, where each comes from, and which arena planner.

Budgets: --memory-budget (RAM for activations: the planned arena) and --weights-budget
(flash or parameter memory for constant data), from the command line or the config file.
Where the user gives none, a --target's profile can: `[memory] sram_bytes` is the memory
budget and `[memory] flash_bytes` the weights budget; with several such targets the
smallest applies. No built-in profile sets them (a microcontroller's RAM and flash are the
board's, not the runtime's; Ethos-U65/U85's 384 KiB SRAM is a cache in front of an arena
in DRAM, `arena_cache_bytes`): they are for a profile of your own board that extends one.

TFLM build: the arena figures, and the memory budget, are a 64-bit build's by default
(tflite-micro's Python interpreter); tflm_word_size(settings) gives 32 where the user
asks for a 32-bit microcontroller's. The plan carries the other build's figures too.

Planner: "tflm" when any --target's profile says `[target] arena_planner = "tflm"` (tflm,
and ethos-u55/65/85, whose compiled models run on TFLite Micro), else "litert", the
LiteRT interpreter's planner (cpu, xnnpack, gpu, nnapi, coral, no target at all).
"""
from __future__ import annotations

from typing import TYPE_CHECKING

from ..records import record

if TYPE_CHECKING:
    from ..engine.settings import Settings

# profile [memory] key -> what it budgets
MEMORY_BUDGET_KEY = "sram_bytes"
WEIGHTS_BUDGET_KEY = "flash_bytes"


@record
class Budget:
    bytes: int
    # what it is and where it comes from, in words: "the memory budget" (the user's), or
    # "ethos-u65's default memory budget ([memory] sram_bytes)"
    source: str
    target: str | None = None  # the target whose profile set it; None: the user's

    def headroom(self, used: int) -> int:
        """Bytes left (negative: over budget)."""
        return self.bytes - used


def memory_budget(settings: Settings | None) -> Budget | None:
    """RAM for activations: the user's memory-budget, else the smallest target default."""
    if settings is None:
        return None
    if settings.memory_budget is not None:
        return Budget(settings.memory_budget, "the memory budget")
    return _profile_budget(settings, MEMORY_BUDGET_KEY, "memory budget")


def weights_budget(settings: Settings | None) -> Budget | None:
    """Flash for constant data: the user's weights-budget, else the smallest target default."""
    if settings is None:
        return None
    if settings.weights_budget is not None:
        return Budget(settings.weights_budget, "the weights budget")
    return _profile_budget(settings, WEIGHTS_BUDGET_KEY, "weights budget")


def _profile_budget(settings: Settings, key: str, what: str) -> Budget | None:
    if not settings.targets:
        return None
    from ..targets import cached_profile

    figures = []
    for target in settings.targets:
        profile = cached_profile(target)
        if key in profile.memory:
            figures.append((profile.memory[key], profile.name))
    if not figures:
        return None
    size, name = min(figures)
    return Budget(size, f"{name}'s default {what} ([memory] {key})", target=name)


def arena_planner(settings: Settings | None) -> str:
    """ "tflm" when a target runs the model on TFLite Micro, else "litert"."""
    targets = settings.targets if settings is not None else ()
    if not targets:
        return "litert"
    from ..targets import cached_profile

    if any(cached_profile(target).arena_planner == "tflm" for target in targets):
        return "tflm"
    return "litert"


def tflm_word_size(settings: Settings | None) -> int:
    """The TFLM build whose arena the figures and the memory budget describe: 64 (the
    host build tflite-micro's Python interpreter is, the default) or 32 (a 32-bit
    microcontroller), from the `tflm_word_size` setting where there is one."""
    from .arena_tflm import DEFAULT_WORD_SIZE

    return getattr(settings, "tflm_word_size", None) or DEFAULT_WORD_SIZE


def run_arena_plan(analyses):
    """The arena plan of this run's planner (computed once per planner by Analyses)."""
    return analyses.arena(arena_planner(analyses.settings))
