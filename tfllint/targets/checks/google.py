"""Checks of LiteRT's Google Tensor compiler plugin (profile rules/targets/npu-google-tensor.toml).

The public rule of the plugin at google-ai-edge/LiteRT@f67457790c9c
(litert/vendors/google_tensor/compiler/compiler_plugin.cc) is a deny list of op codes and a
list of composites; the closed Tensor compiler has the last word and is not modelled.
"""
from __future__ import annotations

from typing import Iterator

from . import OpContext, op_check
from .npu import CPU_CALL, composite_refusal

# kSupportedStableHloCompositeOps
COMPOSITES = ("odml.rms_norm", "odml.group_norm", "odml.scaled_dot_product_attention")


@op_check("google-tensor-composite",
          fix="Only the odml.rms_norm, odml.group_norm and odml.scaled_dot_product_attention "
              "composites go to the Tensor TPU as one op; LiteRT inlines the decomposition of "
              "any other composite and partitions those ops instead.")
def composite(ctx: OpContext) -> Iterator[tuple[str, str | None]]:
    """STABLEHLO_COMPOSITE is selected only as one of kSupportedStableHloCompositeOps;
    LiteRT's PartitionModel makes odml.npu_call a dispatch op whatever the plugin says and
    never offers odml.cpu_call."""
    refusal = composite_refusal(ctx, COMPOSITES, "the Google Tensor plugin")
    if refusal:
        name = ctx.op.options.get("name")
        yield refusal, None if name == CPU_CALL else f"unsupported composite op: {name}"
