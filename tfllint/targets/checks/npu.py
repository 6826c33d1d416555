"""What LiteRT's compiler-plugin framework does around every NPU plugin, at
google-ai-edge/LiteRT@f67457790c9c: composites (litert/compiler/plugin/compiler_plugin.cc
PartitionModel), shared by the vendors' checks (mediatek.py, google.py), and models it
already compiled (tfllint.targets.compiled), checks any NPU profile can name.
"""
from __future__ import annotations

from typing import Iterator

from ..compiled import compiled_model
from . import ModelContext, OpContext, get_check, model_check, op_check
from .intel import CPU_CALL, NPU_CALL

__all__ = ["CPU_CALL", "NPU_CALL", "composite_refusal"]


def composite_refusal(ctx: OpContext, accepted: tuple[str, ...], plugin: str) -> str | None:
    """Why a STABLEHLO_COMPOSITE stays off the NPU, or None when it goes there: the plugin
    takes the `accepted` names; LiteRT makes odml.npu_call a dispatch op whatever the plugin
    says and never offers odml.cpu_call. A composite left off is replaced by its
    decomposition's ops, which are partitioned like any other."""
    name = ctx.op.options.get("name")
    if name in (*accepted, NPU_CALL):
        return None
    why = ("LiteRT never lets a plugin select odml.cpu_call" if name == CPU_CALL
           else f"{plugin} takes only {', '.join(accepted[:-1])} and {accepted[-1]}"
           if len(accepted) > 1 else f"{plugin} takes only {accepted[0]}")
    return (f"composite {name!r}: {why}; LiteRT inlines its decomposition (subgraph "
            f"{ctx.op.options.get('decomposition_subgraph_index')}) and partitions those ops "
            "instead")


@op_check("npu-cpu-call", fix=get_check("intel-cpu-call").fix)
def cpu_call(ctx: OpContext):
    """Ops of an odml.cpu_call composite's decomposition: LiteRT inlines them only after
    partitioning (PartitionModel), so no plugin ever sees them (the rule of every plugin;
    intel-cpu-call under a name that says so)."""
    return get_check("intel-cpu-call").function(ctx)


@model_check("npu-compiled-for-another-soc",
             fix="Compile the model from before LiteRT's AOT compile for this SoC "
                 "(ai_edge_litert.aot.aot_compile with this vendor's target), or ship it only "
                 "to devices with the SoC it was compiled for.")
def compiled_for_another_soc(ctx: ModelContext) -> Iterator[tuple[str, None]]:
    """A model LiteRT already compiled for another vendor's NPU: its LiteRtStamp names
    another SoC manufacturer than the target's plugin, and its DISPATCH_OP ops hold that
    vendor's bytecode, which only that vendor's dispatch library runs (the dispatch
    delegate hands every DISPATCH_OP to the device's library; there is no CPU kernel)."""
    compiled = compiled_model(ctx.view)
    stamp = compiled.stamp if compiled is not None else None
    own = ctx.profile.soc_manufacturer
    if stamp is None or not compiled.dispatch_ops or own is None or stamp.manufacturer == own:
        return
    count = len(compiled.dispatch_ops)
    ops = f"its {count} DISPATCH_OP ops hold" if count > 1 else "its DISPATCH_OP op holds"
    yield (f"the model is already compiled for {stamp.text} (its LiteRtStamp): {ops} "
           f"{stamp.manufacturer} bytecode, which only {stamp.manufacturer}'s dispatch library "
           f"runs, not {ctx.profile.title} and not the CPU", None)


@model_check("npu-dispatch-bytecode-outside-file",
             fix="The file is cut short or its dispatch ops were edited: take the whole file "
                 "the AOT compile wrote, or compile the model again.")
def bytecode_outside_file(ctx: ModelContext) -> Iterator[tuple[str, str]]:
    """A DISPATCH_OP whose bytecode range (offset and size in its custom options) ends past
    the end of the file: LiteRT's model loader refuses the model (model_load.cc)."""
    compiled = compiled_model(ctx.view)
    for op in compiled.bytecode_outside() if compiled is not None else ():
        yield (f"op {op.op_index} DISPATCH_OP (subgraph {op.subgraph}): its bytecode "
               f"({op.bytecode_size:,} bytes at offset {op.bytecode_offset:,}) ends past the "
               f"end of the file ({compiled.file_size:,} bytes), so LiteRT refuses to load "
               "the model",
               "dispatch op bytecode range is outside the model allocation: offset "
               f"{op.bytecode_offset}, size {op.bytecode_size}, allocation size "
               f"{compiled.file_size}")


@model_check("npu-dispatch-without-bytecode",
             fix="Lint and ship the compiled model (apply_plugin_main --cmd=apply, or "
                 "ai_edge_litert.aot.aot_compile), not the output of the partition step.")
def dispatch_without_bytecode(ctx: ModelContext) -> Iterator[tuple[str, None]]:
    """DISPATCH_OP ops that name no bytecode (no custom options): the output of LiteRT's
    partition step, whose partitions were never compiled; the NPU accelerator's dispatch
    delegate has nothing to run for them."""
    compiled = compiled_model(ctx.view)
    empty = compiled.without_bytecode() if compiled is not None else ()
    if empty:
        where = ", ".join(f"op {op.op_index}" + (f" of subgraph {op.subgraph}" if op.subgraph
                                                 else "") for op in empty[:4])
        many = len(empty) > 1
        yield (f"DISPATCH_OP {where}{', ...' if len(empty) > 4 else ''} "
               f"name{'' if many else 's'} no bytecode: the model is the output of LiteRT's "
               f"partition step, not of its compile, and {ctx.profile.title} has nothing to "
               f"run for {'them' if many else 'it'}", None)
