"""TFL703: an LLM whose token inputs resize but whose attention mask cannot."""
from __future__ import annotations

from typing import Iterator

from tfllint.engine.rule import RuleContext, Violation, rule

from ._generative import (decode_signature, family, is_prefill_decode_model, litert_lm,
                          prefill_signatures, signature_location, signature_tensor)


@rule(id="TFL703", name="llm-mask-not-resizable", severity="warning", preview=True)
def check(ctx: RuleContext) -> Iterator[Violation]:
    """A prefill signature with a dynamic sequence length whose mask has a fixed shape.

    What it finds:
        A `prefill` signature of an LLM whose token or positions input has -1 in its
        `shape_signature` (the sequence length is set at run time) while its attention
        mask input (`mask` or `attn_mask`) has none.

    Why it matters:
        A runtime that prefills a prompt of another length resizes every
        sequence-sized input. LiteRT's CompiledModel resizes only inputs with -1 in
        their shape signature (`InputTensorNeedsResize`, litert/runtime/compiled_model.cc)
        and refuses the mask: "Cannot auto-resize tensor mask: no dims_signature exists",
        after which LiteRT-LM was seen to abort (google-ai-edge/LiteRT-LM#2062).

    Example:
        signature 'prefill' has a dynamic sequence length ('tokens' [1, -1]) but its
        mask 'mask' is fixed at [1, 1, 4, 16] ...

    How to fix:
        Export the mask with the same dynamic sequence dimension as the tokens
        (litert-torch: a dynamic prefill length applies to tokens, input_pos and mask),
        or export fixed prefill lengths (`prefill_128`, `prefill_1024`, ...) with static
        shapes throughout.
    """
    view = ctx.view
    if not is_prefill_decode_model(view):
        return
    decode = decode_signature(view)
    matched = family(decode) if decode is not None else None
    if matched is None or "mask" not in matched:
        return  # TFL701 reports a model without a family; without a mask, nothing to size
    error = litert_lm()["resize_error"]
    for prefill in prefill_signatures(view):
        sized = [name for name in ("tokens", "token_ids", matched["positions"])
                 if (t := signature_tensor(view, prefill, name)) is not None and t.is_dynamic]
        mask = signature_tensor(view, prefill, matched["mask"])
        if not sized or mask is None or mask.is_dynamic:
            continue
        first = signature_tensor(view, prefill, sized[0])
        yield Violation(f"signature '{prefill.key}' has a dynamic sequence length "
                        f"('{sized[0]}' {list(first.signature)}) but its mask "
                        f"'{matched['mask']}' is fixed at {list(mask.shape)}: resizing it for "
                        f"a prompt of another length fails "
                        f"(\"{error.format(name=matched['mask'])}\")",
                        signature_location(view, prefill, matched["mask"]),
                        fix="export the mask with a dynamic sequence dimension (-1), as the "
                            "tokens")
