"""Facts about a model that several rules and reports need, each computed once, on demand."""
from __future__ import annotations

from functools import cached_property
from typing import TYPE_CHECKING

from .contract import (Contract, SupportMetadataAnalysis, analyze_contract,
                       analyze_support_metadata)
from .memory import MemoryAnalysis, analyze_memory
from .quantization import QuantizationAnalysis, analyze_quantization
from .runtime import MIN_RUNTIME_METADATA, RuntimeAnalysis, analyze_runtime

if TYPE_CHECKING:
    from ..targets.evaluate import TargetAnalysis
    from .arena import ArenaPlan


class Analyses:
    def __init__(self, view, settings=None) -> None:
        self.view = view
        self.settings = settings
        self._targets: dict[str, TargetAnalysis] = {}
        self._arenas: dict[str, ArenaPlan] = {}

    def target(self, name: str) -> TargetAnalysis:
        """Per-op verdicts and partitions on a target (a built-in name or a profile path)."""
        if name not in self._targets:
            from ..targets import cached_profile
            from ..targets.evaluate import evaluate_target

            self._targets[name] = evaluate_target(self.view, self, cached_profile(name),
                                                  self.settings)
        return self._targets[name]

    def arena(self, planner: str) -> ArenaPlan:
        """The activation arena as `planner` ("tflm" or "litert") lays it out."""
        if planner not in self._arenas:
            from .arena import plan_arena

            if planner == "tflm":  # only TFLM's structures depend on the word size
                from .budget import tflm_word_size

                plan = plan_arena(self.view, planner, tflm_word_size(self.settings))
            else:
                plan = plan_arena(self.view, planner)
            self._arenas[planner] = plan
        return self._arenas[planner]

    @cached_property
    def runtime(self) -> RuntimeAnalysis:
        return analyze_runtime(self.view.model.operator_codes,
                               self.view.metadata_bytes(MIN_RUNTIME_METADATA))

    @cached_property
    def quantization(self) -> QuantizationAnalysis:
        return analyze_quantization(self.view)

    @cached_property
    def memory(self) -> MemoryAnalysis:
        return analyze_memory(self.view)

    @cached_property
    def contract(self) -> Contract:
        return analyze_contract(self.view)

    @cached_property
    def support_metadata(self) -> SupportMetadataAnalysis:
        """TFLite Support metadata, parsed once; `.error` says why a corrupt one is unread."""
        return analyze_support_metadata(self.view)


__all__ = ["Analyses"]
