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
    # one pass over the tensors for all four figures: a big model has 25,000 of them
    buffers = view.model.buffers
    constant_buffers = set()
    largest = None
    activations = []
    variables = 0
    for subgraph in view.subgraphs:
        activation = 0
        for tensor in subgraph.tensors:
            if buffers[tensor.buffer].size > 0:  # view.buffer_of(tensor)
                constant_buffers.add(tensor.buffer)
            size = tensor.byte_size
            if size is None:  # no fixed size: counts as 0, and is never the largest
                continue
            if tensor.is_variable:
                variables += size
            if not tensor.is_constant:
                if not tensor.is_variable:
                    activation += size
                if largest is None or size > largest.bytes:
                    largest = TensorSize(subgraph.index, tensor.index, tensor.name, size)
        activations.append(activation)
    weights = sum(buffers[b].size for b in constant_buffers)
    return MemoryAnalysis(weights_bytes=weights, largest_tensor=largest,
                          activation_bytes=tuple(activations),
                          variable_bytes=variables)
