"""Checks several targets share."""
from __future__ import annotations

from typing import Iterator

from . import OpContext, op_check


@op_check("same-dilation", fix="Use the same dilation factor for height and width.")
def same_dilation(ctx: OpContext) -> Iterator[str]:
    """The op's dilation must be the same in x and y."""
    options = ctx.op.options
    w, h = options.get("dilation_w_factor", 1), options.get("dilation_h_factor", 1)
    if w != h:
        yield f"dilation differs in x ({w}) and y ({h})"


@op_check("no-batch-axis",
          fix="Work along another axis than the batch (axis 0): keep batch 1 and reshape so that "
              "the data lies along height, width or channels.")
def no_batch_axis(ctx: OpContext) -> Iterator[str]:
    """The op must not work along the batch (first) dimension: axis 0 of a rank >= 2 input."""
    first = ctx.tensor(ctx.op.inputs[0]) if ctx.op.inputs else None
    rank = len(first.shape) if first is not None else 0
    axes: list[int] = []
    if "axis" in ctx.op.options:
        axes = [ctx.op.options["axis"]]
    elif len(ctx.op.inputs) > 1:  # reductions: the axes are the second input
        axes_tensor = ctx.tensor(ctx.op.inputs[1])
        data = ctx.view.tensor_data(axes_tensor) if axes_tensor is not None else None
        if data is not None:
            axes = [int(a) for a in data.reshape(-1)]
    if rank >= 2 and any(axis % rank == 0 for axis in axes):
        yield "works along the batch dimension (axis 0)"
