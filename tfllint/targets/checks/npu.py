"""What LiteRT's compiler-plugin framework does around every NPU plugin
(litert/compiler/plugin/compiler_plugin.cc PartitionModel, at google-ai-edge/LiteRT@f67457790c9c):
shared by the vendors' checks (mediatek.py, google.py)."""
from __future__ import annotations

from . import OpContext
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
