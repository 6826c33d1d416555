"""Checks of LiteRT's MediaTek NeuroPilot compiler plugin (profile rules/targets/npu-mediatek.toml).

Each check is one public rule of the plugin at google-ai-edge/LiteRT@f67457790c9c
(litert/vendors/mediatek/compiler/): VerifyCommonOp, which every op of the plugin's table
must pass to be selected, and the legalizations that stop the compile of a selected op.
The last word is the closed NeuronAdapter's "get supported operations" check, which the
plugin asks when the host Neuron SDK has the unknown-op feature; it is not modelled.
"""
from __future__ import annotations

from typing import Iterator

from ...model import Tensor
from . import ModelContext, OpContext, model_check, op_check
from .npu import composite_refusal

Found = Iterator[tuple[str, "str | None"]]
PLUGIN = "the MediaTek compiler plugin"
# legalizations/common_op_legalization.cc VerifyCommonOp: the composites it accepts
COMPOSITES = ("odml.rms_norm", "odml.l2_norm")
INT32_RANGE = (-(1 << 31), (1 << 31) - 1)
# Ops whose legalization reads their builtin options (fused activation, padding, axis,
# keep_dims, beta, masks, align_corners, adj_x, alpha): without the options table LiteRT's
# getter fails ("Failed to get fused activation", "Fails to get Conv2dPadding", ...) and
# so does the compile (create_model.cc, legalize_helper.h; every one of them seen failing
# with the 2.3.0 wheel's plugin: tests/test_npu_public_rule_differential.py).
READS_OPTIONS = frozenset((
    "ADD", "AVERAGE_POOL_2D", "BATCH_MATMUL", "CONCATENATION", "CONV_2D", "DEPTHWISE_CONV_2D",
    "DIV", "FULLY_CONNECTED", "LEAKY_RELU", "MAX_POOL_2D", "MEAN", "MUL", "REDUCE_MAX",
    "RESIZE_BILINEAR", "RESIZE_NEAREST_NEIGHBOR", "SOFTMAX", "SPLIT", "STRIDED_SLICE", "SUB",
    "SUM", "TRANSPOSE_CONV", "UNPACK"))


def quantization_kind(tensor: Tensor) -> str:
    """How LiteRT reads the tensor's quantization (core/model/flatbuffer_to_litert.cc
    MapQuantization): "per-tensor" when scale or zero_point has one entry, "per-channel"
    when more, "none" when both are empty (block-wise tensors keep their scales elsewhere,
    so they read as "none")."""
    quantization = tensor.quantization
    sizes = (len(quantization.scale), len(quantization.zero_point)) if quantization else (0, 0)
    if 1 in sizes:
        return "per-tensor"
    return "per-channel" if max(sizes) > 1 else "none"


def neuron_type_problem(tensor: Tensor) -> str | None:
    """Why GetNeuronTensorType (legalizations/neuron_utils.cc, tensor flags 0) maps the
    tensor to no Neuron type: the plugin's own log line, or None when it maps."""
    kind = quantization_kind(tensor)
    dtype = tensor.dtype
    if dtype in ("FLOAT32", "FLOAT16", "BOOL", "UINT8"):
        return None
    if dtype == "INT32":
        # The source refuses per-channel INT32 with a non-zero zero point ("Int32 per-channel
        # quantization only supports symmetric zero points."); the 2.3.0 wheel's plugin has
        # no such text and selects it (tests/test_npu_public_rule_differential.py).
        return None
    if dtype in ("INT16", "UINT16"):
        return None if kind == "per-tensor" else \
            f"{'Int16' if dtype == 'INT16' else 'UInt16'} is not supported."
    if dtype in ("INT8", "INT4", "INT2"):
        # INT2 as INT4: the 2.3.0 wheel's plugin maps it ("Int2 is not supported." without
        # quantization), the source at f67457790c9c does not know it
        return None if kind != "none" else f"{dtype.capitalize()} is not supported."
    if dtype == "INT64":
        # constants only (cast to INT32); an INT64 activation keeps no Neuron type
        return None if tensor.is_constant else "Unsupported element type: INT64"
    return f"Unsupported element type: {dtype}"


@op_check("mediatek-tensor-types",
          fix="Give every tensor of {op} a type the Neuron compiler maps: FLOAT32, FLOAT16, "
              "BOOL, UINT8, INT32, int8/int4 with quantization parameters (per tensor or per "
              "channel, not block-wise), int16/uint16 quantized per tensor, INT64 only as a "
              "constant. Convert with full int8 or float16 quantization rather than "
              "block-wise int4 or int16 per channel.")
def tensor_types(ctx: OpContext) -> Found:
    """Every input and output of the op maps to a Neuron tensor type (VerifyCommonOp calls
    GetNeuronTensorType on each; one failure and the plugin does not select the op)."""
    seen = set()
    for role, tensors in (("input", ctx.inputs()), ("output", ctx.outputs())):
        for tensor in tensors:
            if tensor is None:
                continue
            problem = neuron_type_problem(tensor)
            if problem and (tensor.dtype, problem) not in seen:
                seen.add((tensor.dtype, problem))
                blockwise = tensor.quantization and tensor.quantization.blockwise
                how = "quantized block-wise, which the plugin reads as no quantization" \
                    if blockwise else f"{quantization_kind(tensor)} quantization"
                yield (f"{role} '{tensor.name}' is {tensor.dtype} ({how}), which maps to no "
                       "Neuron tensor type", problem)


@op_check("mediatek-composite",
          fix="Only the odml.rms_norm and odml.l2_norm composites go to the MediaTek NPU as "
              "one op; LiteRT inlines the decomposition of any other composite and "
              "partitions those ops instead (keep them to ops the plugin maps).")
def composite(ctx: OpContext) -> Found:
    """STABLEHLO_COMPOSITE is selected only as odml.rms_norm or odml.l2_norm (VerifyCommonOp);
    LiteRT's PartitionModel makes odml.npu_call a dispatch op whatever the plugin says and
    never offers odml.cpu_call."""
    refusal = composite_refusal(ctx, COMPOSITES, PLUGIN)
    if refusal:
        yield refusal, None


def selected(ctx: ModelContext, op) -> bool:
    """The plugin's static partition (no unknown-op feature in the SDK) selects the op: in
    its table, and every tensor maps to a Neuron type (composites aside)."""
    support = ctx.profile.support_for(op.name)
    if support is None or not support.supported:
        return False
    tensors = [ctx.view.tensor(op.subgraph, i) for i in (*op.inputs, *op.outputs) if i >= 0]
    return not any(neuron_type_problem(tensor) for tensor in tensors)


def _constant(ctx: ModelContext, op, position: int) -> bool:
    if position >= len(op.inputs) or op.inputs[position] < 0:
        return False
    return ctx.view.tensor(op.subgraph, op.inputs[position]).is_constant


@model_check("mediatek-compile-fails",
             fix="Make the inputs the MediaTek legalization reads at compile time constant "
                 "(convert with fixed input shapes so the converter folds them), give "
                 "TRANSPOSE_CONV a bias, keep INT64 constants within the int32 range, and "
                 "keep every op's builtin options (re-export a model whose ops lost them).")
def compile_fails(ctx: ModelContext) -> Iterator[tuple[str, str]]:
    """Ops the plugin selects whose legalization (create_model.cc) then fails, which stops
    the compile of the whole model: RESIZE_NEAREST_NEIGHBOR whose size is not a constant,
    TRANSPOSE_CONV without a bias whose output shape is not a constant, INT64 constants
    outside the int32 range (cast to INT32: CastInt64IntoInt32), and an op without the
    builtin options its legalization reads."""
    for op in ctx.view.operators():
        if op.subgraph not in ctx.view.reachable_subgraphs or not selected(ctx, op):
            continue
        where = f"op {op.index} {op.name} (subgraph {op.subgraph})"
        if op.name in READS_OPTIONS and op.options_type is None:
            yield (f"{where}: it has no builtin options table, which the legalization reads "
                   "at compile time", None)
        if op.name == "RESIZE_NEAREST_NEIGHBOR" and not _constant(ctx, op, 1):
            yield (f"{where}: its size input is not a constant, which the legalization "
                   "reads at compile time", "The second input of ResizeNearestNeighbor is "
                   "not const.")
        bias = len(op.inputs) > 3 and op.inputs[3] >= 0
        if op.name == "TRANSPOSE_CONV" and not bias and not _constant(ctx, op, 0):
            yield (f"{where}: no bias, and its output shape is not a constant, which the "
                   "legalization reads at compile time to add a zero bias",
                   "The output_shape input of TransposeConv is not const.")
        for index in op.inputs:
            tensor = ctx.view.tensor(op.subgraph, index) if index >= 0 else None
            if tensor is None or tensor.dtype != "INT64" or not tensor.is_constant:
                continue
            values = ctx.view.tensor_data(tensor)
            if values is not None and values.size and (
                    int(values.min()) < INT32_RANGE[0] or int(values.max()) > INT32_RANGE[1]):
                yield (f"{where}: INT64 constant '{tensor.name}' holds values outside the "
                       "int32 range, and the plugin casts INT64 constants to INT32",
                       "CastInt64IntoInt32: value out of int32_t range.")
