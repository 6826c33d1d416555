"""Checks of the Samsung Exynos NPU through LiteRT's Samsung compiler plugin
(rules/targets/npu-samsung.toml).

The plugin's Partition selects every op; its Compile builds each partition op by op
(CreateModel in litert/vendors/samsung/compiler/create_model.cc) with the builders in
litert/vendors/samsung/compiler/builders/, at google-ai-edge/LiteRT@f67457790c9c (the
source of ai-edge-litert 2.3.0). A builder that fails makes CreateModel return "Fail to
parse op's options.", and the compile of the whole model fails. These checks are the
builders' own preconditions: the public rule only. Samsung's AI LiteCore compiler, which
receives the graph afterwards, is closed and decides last.
"""
from __future__ import annotations

from typing import Iterator

from . import OpContext, op_check

Found = Iterator[tuple[str, str]]

BUILDER_FAILED = "Fail to parse op's options."  # CreateModel, whatever the builder's error
RMS_NORM = "odml.rms_norm"


def _input(ctx: OpContext, position: int):
    return ctx.tensor(ctx.op.inputs[position]) if position < len(ctx.op.inputs) else None


@op_check("samsung-constant-types",
          fix="Give the constant inputs of {op} a type the Samsung plugin defines tensors of "
              "(the reason lists them): convert without float64, complex or string data.")
def constant_types(ctx: OpContext) -> Found:
    """GraphCreator::CreateTensor defines every tensor of a partition, constants included,
    through MapToElementTypeStr (builders/utils.cc); the types it maps are the profile's
    `dtypes` (tfllint checks non-constant tensors against them itself)."""
    allowed = ctx.profile.dtypes or ()
    for position, tensor in enumerate(ctx.inputs()):
        if tensor is not None and ctx.is_constant(tensor) and tensor.dtype not in allowed:
            yield (f"constant input {position} ('{tensor.name}') is {tensor.dtype}; the "
                   f"Samsung plugin defines tensors of {', '.join(allowed)}",
                   "Element Type not supported")


@op_check("samsung-single-axis",
          fix="Give {op} one constant axis (a scalar or a one-element tensor).")
def single_axis(ctx: OpContext) -> Found:
    """ARG_MAX (axis: input 1) and SPLIT (axis: input 0) take exactly one axis value
    (argmax_op_builder.cc, split_op_builder.cc)."""
    axis = _input(ctx, 0 if ctx.op.opcode.name == "SPLIT" else 1)
    if axis is not None and ctx.is_constant(axis):
        count = 1
        for size in axis.shape:
            count *= size
        if count != 1:
            yield f"the axis input '{axis.name}' holds {count} values; the builder takes 1", \
                BUILDER_FAILED


@op_check("samsung-fc-kernel-rank",
          fix="Give FULLY_CONNECTED two-dimensional weights [outputs, inputs] (reshape them "
              "when converting).")
def fc_kernel_rank(ctx: OpContext) -> Found:
    """FULLY_CONNECTED's weights (input 1) must have rank 2 (fully_connected_op_builder.cc)."""
    kernel = _input(ctx, 1)
    if kernel is not None and len(kernel.shape) != 2:
        yield (f"the weights '{kernel.name}' have rank {len(kernel.shape)}; the builder takes "
               "rank 2", BUILDER_FAILED)


@op_check("samsung-paddings-type",
          fix="Make the paddings of {op} a constant INT32 or INT64 tensor.")
def paddings_type(ctx: OpContext) -> Found:
    """PAD and PADV2 read the paddings (input 1) as INT32 or INT64 data; any other type is
    "Unsupported type of paddings" (pad_op_builder.cc)."""
    paddings = _input(ctx, 1)
    if paddings is not None and paddings.dtype not in ("INT32", "INT64"):
        yield f"the paddings '{paddings.name}' are {paddings.dtype}; the builder reads INT32 " \
            "or INT64", BUILDER_FAILED


@op_check("samsung-reshape-shape",
          fix="Give RESHAPE its new shape as a constant INT32 second input, as the converter "
              "writes it.")
def reshape_shape(ctx: OpContext) -> Found:
    """The builder reads the new shape through LiteRtGetReshapeNewShapeOption
    (litert/c/litert_op_options.cc): input 1 must exist and be INT32."""
    shape = _input(ctx, 1)
    if shape is None:
        yield "RESHAPE has no shape input; the builder reads the new shape from input 1", \
            BUILDER_FAILED
    elif shape.dtype != "INT32":
        yield f"the shape input '{shape.name}' is {shape.dtype}; the builder reads INT32", \
            BUILDER_FAILED


@op_check("samsung-composite",
          fix="The Samsung plugin builds only the odml.rms_norm composite (with its epsilon "
              "attribute): export other composites decomposed into builtin ops.")
def composite(ctx: OpContext) -> Found:
    """STABLEHLO_COMPOSITE is built only as odml.rms_norm, and its builder needs the
    composite's attributes (rms_norm_op_builder.cc: "Missing attributes for RMSNorm");
    create_model.cc logs any other name as an unsupported composite. The epsilon entry
    inside the attributes is not read here."""
    name = ctx.op.options.get("name")
    if name != RMS_NORM:
        # the log line's format has no %s: the name is never printed
        yield (f"composite {name!r}: the Samsung plugin builds only {RMS_NORM}",
               "Unsupported composite operator : ")
    elif not ctx.op.options.get("composite_attributes"):
        yield (f"the {RMS_NORM} composite has no attributes; its builder needs epsilon",
               BUILDER_FAILED)
