"""Sizes: constant weight bytes, activation bytes per subgraph, variables, the largest
activation, and peak live activation bytes.

The peak is the most bytes of activation tensors alive at once while subgraph 0 runs in
its execution order (a tensor lives from the op that writes it, or from the start for
inputs, to the last op that reads it, or to the end for outputs; variables live
throughout). No planner can fit the activations into less, so it is a lower bound of the
arena a runtime allocates.
"""
from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class TensorSize:
    subgraph: int
    index: int
    name: str
    bytes: int


@dataclass(frozen=True)
class MemoryAnalysis:
    weights_bytes: int
    arena_bytes: int  # peak live activation bytes of subgraph 0 (lower bound)
    peak_op: int | None  # op index in subgraph 0 where the peak occurs
    largest_tensor: TensorSize | None
    # Added for issue 5: per subgraph, the bytes of every tensor without constant data
    # that is not a variable (at stored shapes; what a planner with no reuse would need)
    activation_bytes: tuple[int, ...] = ()
    variable_bytes: int = 0  # variable tensors (state kept between invocations)


def analyze_memory(view) -> MemoryAnalysis:
    constant_buffers = {t.buffer for s in view.subgraphs for t in s.tensors
                        if view.buffer_of(t).size > 0}
    weights = sum(view.model.buffers[b].size for b in constant_buffers)
    largest = None
    for subgraph in view.subgraphs:
        for tensor in subgraph.tensors:
            size = tensor.byte_size
            if size is not None and not view.is_constant(tensor) and (
                    largest is None or size > largest.bytes):
                largest = TensorSize(subgraph.index, tensor.index, tensor.name, size)
    arena, peak_op = _peak_live_bytes(view, 0) if view.subgraphs else (0, None)
    activations = tuple(sum(t.byte_size or 0 for t in s.tensors
                            if not view.is_constant(t) and not t.is_variable)
                        for s in view.subgraphs)
    variables = sum(t.byte_size or 0 for s in view.subgraphs for t in s.tensors
                    if t.is_variable)
    return MemoryAnalysis(weights_bytes=weights, arena_bytes=arena, peak_op=peak_op,
                          largest_tensor=largest, activation_bytes=activations,
                          variable_bytes=variables)


def _peak_live_bytes(view, subgraph_index: int) -> tuple[int, int | None]:
    subgraph = view.model.subgraphs[subgraph_index]
    last_step = len(subgraph.operators)
    # Steps only grow, so the first time a tensor is seen is its first use and the last
    # assignment is its last use.
    first_use: dict[int, int] = dict.fromkeys(subgraph.inputs, 0)
    last_use: dict[int, int] = dict(first_use)
    for op in subgraph.operators:
        for tensor in (*op.inputs, *op.outputs, *op.intermediates):
            if tensor >= 0:
                first_use.setdefault(tensor, op.index)
                last_use[tensor] = op.index
    for tensor in subgraph.outputs:
        first_use.setdefault(tensor, last_step)
        last_use[tensor] = last_step

    live_change = [0] * (last_step + 2)
    for tensor, start in first_use.items():
        value = subgraph.tensors[tensor]
        if view.is_constant(value) or not value.byte_size:
            continue
        end = last_step if value.is_variable else last_use[tensor]
        start = 0 if value.is_variable else start
        live_change[start] += value.byte_size
        live_change[end + 1] -= value.byte_size
    peak, peak_step, live = 0, None, 0
    for step in range(last_step + 1):
        live += live_change[step]
        if live > peak:
            peak, peak_step = live, step
    if peak_step is not None and peak_step >= len(subgraph.operators):
        peak_step = len(subgraph.operators) - 1 if subgraph.operators else None
    return peak, peak_step
