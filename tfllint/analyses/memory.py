"""Sizes: constant weight bytes, activation bytes per subgraph, variables and the largest
activation. How the activations share memory over time is the arena planners' job
(arena.py); these are the figures that need no plan.
"""
from __future__ import annotations

from ..records import record


@record
class TensorSize:
    subgraph: int
    index: int
    name: str
    bytes: int


@record
class MemoryAnalysis:
    weights_bytes: int  # constant buffers, inline or stored after the flatbuffer
    largest_tensor: TensorSize | None  # the largest tensor without constant data
    # per subgraph, the bytes of every tensor without constant data that is not a
    # variable (at stored shapes): what a runtime that reused no memory would need
    activation_bytes: tuple[int, ...]
    variable_bytes: int  # variable tensors (state kept between invocations)


def analyze_memory(view) -> MemoryAnalysis:
    constant_buffers = {t.buffer for s in view.subgraphs for t in s.tensors
                        if view.buffer_of(t).size > 0}
    weights = sum(view.model.buffers[b].size for b in constant_buffers)
    largest = None
    for subgraph in view.subgraphs:
        for tensor in subgraph.tensors:
            size = tensor.byte_size
            if size is not None and not tensor.is_constant and (
                    largest is None or size > largest.bytes):
                largest = TensorSize(subgraph.index, tensor.index, tensor.name, size)
    activations = tuple(sum(t.byte_size or 0 for t in s.tensors
                            if not t.is_constant and not t.is_variable)
                        for s in view.subgraphs)
    variables = sum(t.byte_size or 0 for s in view.subgraphs for t in s.tensors
                    if t.is_variable)
    return MemoryAnalysis(weights_bytes=weights, largest_tensor=largest,
                          activation_bytes=activations,
                          variable_bytes=variables)
