"""Multiply-accumulates per op, from shapes alone (what a profiler would count).

Only ops whose cost is dominated by multiply-accumulates are counted: convolutions,
depthwise and transposed convolutions, fully connected layers and matrix products.
Every other op counts 0, so shares of MACs say where the arithmetic is.
"""
from __future__ import annotations

from math import prod

from ..model import Operator


def op_macs(view, op: Operator) -> int:
    tensors = view.model.subgraphs[op.subgraph].tensors

    def shape(position: int, outputs: bool = False) -> tuple[int, ...]:
        indices = op.outputs if outputs else op.inputs
        if position >= len(indices) or indices[position] < 0:
            return ()
        return tuple(max(d, 1) for d in tensors[indices[position]].shape)

    name = op.opcode.name
    out = shape(0, outputs=True)
    if name == "CONV_2D" and len(shape(1)) == 4:
        _, kernel_h, kernel_w, in_channels = shape(1)  # OHWI
        return prod(out) * kernel_h * kernel_w * in_channels
    if name == "CONV_3D" and len(shape(1)) == 5:
        kernel_d, kernel_h, kernel_w, in_channels, _ = shape(1)  # DHWIO
        return prod(out) * kernel_d * kernel_h * kernel_w * in_channels
    if name == "DEPTHWISE_CONV_2D" and len(shape(1)) == 4:
        _, kernel_h, kernel_w, _ = shape(1)  # 1HW(I*M)
        return prod(out) * kernel_h * kernel_w
    if name == "TRANSPOSE_CONV" and len(shape(1)) == 4:
        # inputs: output_shape, weights (OHWI), input; each input element feeds a kernel
        out_channels, kernel_h, kernel_w, _ = shape(1)
        return prod(shape(2)) * kernel_h * kernel_w * out_channels
    if name == "FULLY_CONNECTED" and len(shape(1)) == 2:
        units, depth = shape(1)
        return (prod(out) // max(units, 1)) * units * depth
    if name == "BATCH_MATMUL" and len(shape(0)) >= 2 and len(shape(1)) >= 2:
        adjoint_x = op.options.get("adj_x", False)
        depth = shape(0)[-2] if adjoint_x else shape(0)[-1]
        return prod(out) * depth
    return 0
