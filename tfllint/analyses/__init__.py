"""Facts about a model that several rules and reports need, each computed once, on demand."""
from __future__ import annotations

from functools import cached_property

from .contract import Contract, analyze_contract
from .memory import MemoryAnalysis, analyze_memory
from .quantization import QuantizationAnalysis, analyze_quantization
from .runtime import MIN_RUNTIME_METADATA, RuntimeAnalysis, analyze_runtime


class Analyses:
    def __init__(self, view) -> None:
        self.view = view

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


__all__ = ["Analyses"]
