"""Checks of the Qualcomm NPU through LiteRT's Qualcomm compiler plugin
(rules/targets/npu-qualcomm.toml).

They mirror LiteRtCompilerPluginPartition (litert/vendors/qualcomm/compiler/
qnn_compiler_plugin.cc), ConvertTensor / ConvertDataType and the op builders
(qnn_compose_graph.cc, litert/vendors/qualcomm/core/builders/) at
google-ai-edge/LiteRT@f67457790c9c (the source of ai-edge-litert 2.3.0), and what the HTP
validator (QnnBackend_validateOpConfig of libQnnHtp.so, QAIRT 2.50.40) refused in the runs of
tests/qnn_oracle.py. Each yields (tfllint's words, the plugin's log line).
"""
from __future__ import annotations

import weakref
from typing import Iterator

from . import ModelContext, OpContext, model_check, op_check
from .intel import decompositions
from .npu import composite_refusal

Found = Iterator[tuple[str, str]]

# Tensor types ConvertDataType maps to a QNN data type (qnn_compose_graph.cc:163-221);
# any other type makes ConvertTensor fail, and the plugin's Partition with it.
QNN_TYPES = frozenset({"BOOL", "INT2", "INT4", "INT8", "INT16", "INT32", "INT64", "UINT8",
                       "UINT16", "UINT32", "UINT64", "FLOAT16", "FLOAT32", "FLOAT64"})
# the LiteRT element type numbers the plugin logs ("QNN Unsupported data type, litert type:
# N"): LiteRtElementType follows TfLiteType (litert/c/litert_model_types.h)
LITERT_TYPE_NUMBERS = {"STRING": 5, "COMPLEX64": 8, "COMPLEX128": 12, "RESOURCE": 14,
                       "VARIANT": 15, "BFLOAT16": 19}
# composites BuildShloCompositeOp lowers (CompositeOptions kRmsNorm, kGroupNorm, kL2Norm)
COMPOSITES = ("odml.rms_norm", "odml.group_norm", "odml.l2_norm")
KV_CACHE_RANK = 4  # the select's condition is [N, 1, 1], N = the operand's dimension 1
_UNCONVERTIBLE: "weakref.WeakKeyDictionary" = weakref.WeakKeyDictionary()


def _unconvertible(view) -> list[tuple[int, int, str, str, str, str]]:
    """(subgraph, op index, op, tensor name, what it is, the plugin's log line) of each op
    input or output the plugin cannot convert, in the subgraphs LiteRT offers the plugin:
    every one but composites' decompositions (litert/compiler/plugin/compiler_plugin.cc
    PartitionModel). ConvertTensor refuses a type QNN has no data type for, and block-wise
    quantization (kLiteRtQuantizationBlockWise: "Unsupported quantization type.")."""
    if view not in _UNCONVERTIBLE:
        skipped = decompositions(view)
        found = []
        for subgraph in view.model.subgraphs:
            if subgraph.index in skipped:
                continue
            for op in subgraph.operators:
                for index in (*op.inputs, *op.outputs):
                    if index < 0:
                        continue
                    tensor = subgraph.tensors[index]
                    if tensor.dtype not in QNN_TYPES:
                        found.append((subgraph.index, op.index, op.name, tensor.name,
                                      f"of type {tensor.dtype}", _log_line(tensor.dtype)))
                    elif tensor.quantization and tensor.quantization.blockwise:
                        found.append((subgraph.index, op.index, op.name, tensor.name,
                                      f"{tensor.dtype} quantized block-wise",
                                      BLOCKWISE_LOG_LINE))
        _UNCONVERTIBLE[view] = found
    return _UNCONVERTIBLE[view]


BLOCKWISE_LOG_LINE = "Unsupported quantization type."  # qnn_compose_graph.cc ConvertTensor


def _log_line(dtype: str) -> str:
    return f"QNN Unsupported data type, litert type: {LITERT_TYPE_NUMBERS.get(dtype, '?')}"


@model_check("qualcomm-tensor-types",
             fix="Keep tensors of types QNN has no data type for (complex numbers from "
                 "RFFT, resource variables of streaming models, strings) out of the model "
                 "for the NPU: compute them in the app or in a separate CPU model, or "
                 "rewrite the op (RFFT as a matrix product with constant DFT weights, "
                 "variables as explicit state inputs and outputs). Quantize block-wise "
                 "(int4) weights per channel instead for the Qualcomm NPU.")
def tensor_types(ctx: ModelContext) -> Found:
    """An op reads or writes a tensor whose type QNN has no data type for (COMPLEX64,
    RESOURCE, STRING, ...) or that is quantized block-wise: ConvertTensor fails inside the plugin's Partition, which
    returns the error, so the whole model fails to partition and the ahead-of-time
    compile (aot_compile, apply_plugin_main) fails; nothing runs on the NPU."""
    first = _unconvertible(ctx.view)
    if first:
        subgraph, index, op, name, what, log_line = first[0]
        more = f" (and {len(first) - 1} more)" if len(first) > 1 else ""
        yield (f"op {index} {op} of subgraph {subgraph} has tensor '{name}' {what}{more}, "
               "which the Qualcomm plugin cannot convert to a QNN tensor: its partition "
               "step fails for the whole model, and the NPU compile with it", log_line)


@op_check("qualcomm-partition-fails",
          fix="Remove the tensors of unconvertible types the model-level reason names; "
              "then the plugin partitions the model and this op is judged on its own.")
def partition_fails(ctx: OpContext) -> Found:
    """Every op of a model the plugin cannot partition (qualcomm-tensor-types) stays off
    the NPU: Partition stops at the first unconvertible tensor."""
    first = _unconvertible(ctx.view)
    if first:
        subgraph, index, op, name, what, log_line = first[0]
        yield (f"the plugin's partition step fails for the whole model at op {index} {op} "
               f"of subgraph {subgraph} (tensor '{name}' {what}); no op is selected",
               log_line)


@op_check("qualcomm-kv-cache-update",
          fix="Write the cache as the Gemma-style update the plugin lowers: a rank-4 "
              "operand, an update of the same rank with 1 on axis 1 (one position) and "
              "the operand's size on the other axes, INT32 start indices.")
def kv_cache_update(ctx: OpContext) -> Found:
    """DYNAMIC_UPDATE_SLICE is lowered only as a KV-cache write (BuildDynamicUpdateSliceOp,
    "only support Gemma2 use case"): operand and update of the same rank (else no QNN op),
    then an ElementWiseSelect whose condition [N, 1, 1] must broadcast against the rank-4
    operand and the update, which the HTP validator refuses otherwise."""
    inputs = ctx.inputs()
    if len(inputs) < 3 or inputs[0] is None or inputs[1] is None:
        return
    operand, update = inputs[0].shape, inputs[1].shape
    if len(operand) != len(update):
        yield (f"operand rank {len(operand)} and update rank {len(update)} differ: the "
               "plugin builds no QNN op for it",
               "Only supports Dynamic Update Slice when operand and updates have the same "
               "rank.")
        return
    broadcasts = all(u in (d, 1) for u, d in zip(update, operand))
    if len(operand) != KV_CACHE_RANK or not broadcasts:
        yield (f"operand {list(operand)}, update {list(update)}: the plugin lowers it to an "
               f"ElementWiseSelect with condition [{operand[1] if len(operand) > 1 else '?'}"
               ", 1, 1], which the HTP validator refuses unless the operand has rank 4 and "
               "each update dimension is the operand's or 1",
               "QNN op validation failed: (type=ElementWiseSelect)")


@op_check("qualcomm-composite",
          fix="Only odml.rms_norm, odml.group_norm and odml.l2_norm composites become one "
              "QNN op; LiteRT inlines the decomposition of any other composite, and those "
              "ops are partitioned instead (keep them to ops the profile lists).")
def composite(ctx: OpContext) -> Found:
    """STABLEHLO_COMPOSITE is lowered only as odml.rms_norm, odml.group_norm (LayerNorm
    when num_groups is 1) or odml.l2_norm (BuildShloCompositeOp); any other composite
    gets no QNN op and LiteRT partitions its decomposition's ops instead."""
    refusal = composite_refusal(ctx, COMPOSITES, "the Qualcomm plugin")
    if refusal:
        yield (refusal, f"LiteRT Op #{ctx.op.index} 'Composite' "
                        f"(code={ctx.op.opcode.builtin_code}) is not supported in Qualcomm "
                        "Compiler.")


# op -> (filter height, filter width) of its window: (input, option) sources
_FILTER_AXES = {"CONV_2D": (1, 2), "DEPTHWISE_CONV_2D": (1, 2)}  # OHWI and 1HWO weights
_POOLS = ("AVERAGE_POOL_2D", "MAX_POOL_2D", "L2_POOL_2D")


@op_check("qualcomm-dynamic-window",
          fix="Convert with fixed input sizes (the plugin compiles every dynamic dimension "
              "as 1), so that the {op} window fits the input.")
def dynamic_window(ctx: OpContext) -> Found:
    """A VALID-padded convolution or pooling whose window is larger than its input once
    the plugin has compiled the input's dynamic dimensions as 1 (ConvertTensor: "-1 ->
    1", "TODO: Integrate QNN dynamic dimension"): the HTP validator refuses the op."""
    op = ctx.op
    if op.options.get("padding") != "VALID":
        return
    inputs = ctx.inputs()
    if not inputs or inputs[0] is None or len(inputs[0].shape) != 4:
        return
    source = inputs[0]
    if op.name in _FILTER_AXES:
        weights = inputs[1] if len(inputs) > 1 else None
        if weights is None or len(weights.shape) != 4:
            return
        window = [weights.shape[axis] for axis in _FILTER_AXES[op.name]]
        dilation = [op.options.get("dilation_h_factor", 1) or 1,
                    op.options.get("dilation_w_factor", 1) or 1]
        window = [(size - 1) * factor + 1 for size, factor in zip(window, dilation)]
    else:
        window = [op.options.get("filter_height", 1), op.options.get("filter_width", 1)]
    for axis, dim, extent in zip(("height", "width"), source.signature[1:3], window):
        if dim < 0 and extent > 1:  # compiled as 1: the window does not fit
            yield (f"input '{source.name}' has a dynamic {axis}, which the plugin compiles "
                   f"as 1; the VALID {op.name} window is {extent} wide there, so the HTP "
                   "validator refuses it",
                   f"QNN op validation failed for {op.name} (QNN error=3110)")
