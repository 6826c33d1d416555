"""Checks of the Intel NPU through LiteRT's OpenVINO compiler plugin (rules/targets/npu-intel.toml).

They mirror LiteRtCompilerPluginPartition, IsOpSupported and IsCompositeOpSupported in
litert/vendors/intel_openvino/compiler/openvino_compiler_plugin.cc, and what LiteRT's
PartitionModel (litert/compiler/plugin/compiler_plugin.cc) does around the plugin, at
google-ai-edge/LiteRT@f67457790c9c (the source of ai-edge-litert 2.3.0). Each yields
(tfllint's words, the plugin's log line). They describe the plugin's partition step, not
Intel's NPU compiler, which may still refuse a selected op at compile time.
"""
from __future__ import annotations

import weakref
from typing import Iterator

from . import ModelContext, OpContext, model_check, op_check

Found = Iterator[tuple[str, str]]

MAX_INPUT_RANK = 5  # Partition refuses the subgraph when an input has 6 or more dimensions
RMS_NORM = "odml.rms_norm"  # CompositeOptions::kRmsNorm, the one composite the plugin takes
NPU_CALL = "odml.npu_call"  # LiteRT makes it a dispatch op whatever the plugin says
CPU_CALL = "odml.cpu_call"  # LiteRT never lets the plugin select it


_DECOMPOSITIONS: "weakref.WeakKeyDictionary" = weakref.WeakKeyDictionary()


def decompositions(view) -> dict[int, str]:
    """Subgraphs that are a STABLEHLO_COMPOSITE's decomposition, with the composite's name:
    PartitionModel never offers them to a plugin."""
    if view not in _DECOMPOSITIONS:
        _DECOMPOSITIONS[view] = {
            op.options["decomposition_subgraph_index"]: op.options.get("name")
            for subgraph in view.model.subgraphs for op in subgraph.operators
            if op.opcode.name == "STABLEHLO_COMPOSITE"
            and op.options.get("decomposition_subgraph_index") is not None}
    return _DECOMPOSITIONS[view]


@model_check("intel-input-rank",
             fix="Reshape the input to at most 5 dimensions (merge dimensions of size 1) "
                 "and restore the shape inside the model.")
def input_rank(ctx: ModelContext) -> Found:
    """A subgraph input of rank 6 or more: the plugin's Partition returns
    kLiteRtStatusErrorUnsupported for the whole subgraph, and apply_plugin_main (the AOT
    compile) fails."""
    skipped = decompositions(ctx.view)
    for subgraph in ctx.view.model.subgraphs:
        if subgraph.index in skipped:
            continue
        for position, tensor_index in enumerate(subgraph.inputs):
            tensor = subgraph.tensors[tensor_index]
            rank = len(tensor.shape)
            if rank > MAX_INPUT_RANK:
                yield (f"subgraph {subgraph.index} input '{tensor.name}' has {rank} "
                       f"dimensions; the Intel OpenVINO plugin refuses to partition a "
                       f"subgraph with an input of more than {MAX_INPUT_RANK}, and the AOT "
                       "compile fails",
                       f"Model not supported: subgraph input {position} has {rank} dimensions "
                       "(>= 6), skipping partitioning.")


@op_check("intel-topk-constant-k",
          fix="Make K of TOPK_V2 a constant (a fixed k when converting): with K computed at "
              "run time the plugin leaves the op on the CPU.")
def topk_constant_k(ctx: OpContext) -> Found:
    """TOPK_V2 is selected only when K (input 1) is a constant: a K computed at run time
    leaves the sorted dimension dynamic, which the NPU compile refuses."""
    inputs = ctx.inputs()
    k = inputs[1] if len(inputs) > 1 else None
    if k is None or not ctx.is_constant(k):
        what = "K is missing" if k is None else f"K ('{k.name}') is computed at run time"
        yield (f"{what}; the plugin takes TOPK_V2 only with a constant K",
               "TOPK_V2 with non-constant K is not supported on NPU; leaving op on CPU.")


@op_check("intel-composite",
          fix="Only the odml.rms_norm composite is compiled as one op; LiteRT inlines the "
              "decomposition of any other composite, and those ops are partitioned instead "
              "(keep them to ops the plugin lists).")
def composite(ctx: OpContext) -> Found:
    """STABLEHLO_COMPOSITE is selected only as odml.rms_norm (IsCompositeOpSupported);
    odml.npu_call becomes a dispatch op whatever the plugin says, odml.cpu_call never.
    A composite not selected is replaced by its decomposition's ops, which are then
    partitioned like any other op (PartitionModel)."""
    name = ctx.op.options.get("name")
    if name in (RMS_NORM, NPU_CALL):
        return
    why = ("LiteRT never lets a plugin select odml.cpu_call" if name == CPU_CALL
           else f"the plugin takes only the {RMS_NORM} composite")
    yield (f"composite {name!r}: {why}; LiteRT inlines its decomposition (subgraph "
           f"{ctx.op.options.get('decomposition_subgraph_index')}) and partitions those ops "
           "instead", f"op type {ctx.op.opcode.builtin_code} is not supported")


@op_check("intel-cpu-call",
          fix="Nothing to do if the CPU is meant: the model's author asked for it with the "
              "odml.cpu_call composite. To run these ops on the NPU, export them without it.")
def cpu_call(ctx: OpContext) -> Found:
    """Ops of an odml.cpu_call composite's decomposition: LiteRT inlines them only after
    partitioning (PartitionModel), so no plugin ever sees them."""
    if ctx.op.subgraph and decompositions(ctx.view).get(ctx.op.subgraph) == CPU_CALL:
        yield (f"in the decomposition of an {CPU_CALL} composite (subgraph "
               f"{ctx.op.subgraph}), which LiteRT inlines after partitioning: it stays on "
               "the CPU", None)
