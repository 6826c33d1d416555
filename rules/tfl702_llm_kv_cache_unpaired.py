"""TFL702: KV-cache inputs and outputs of an LLM that LiteRT-LM cannot pair by name."""
from __future__ import annotations

import re
from typing import Iterator

from tfllint.engine.rule import RuleContext, Violation, rule

from ._generative import (cache_roots, decode_signature, is_prefill_decode_model,
                          prefill_signatures, quoted, signature_location, signature_names)

LAYER = re.compile(r"(\d+)$")


@rule(id="TFL702", name="llm-kv-cache-unpaired", severity="warning", preview=True)
def check(ctx: RuleContext) -> Iterator[Violation]:
    """KV caches of a prefill or decode signature that LiteRT-LM cannot pair by name.

    What it finds:
        In an LLM's `prefill` and `decode` signatures, once the cache names are known
        (`kv_cache_k_` / `kv_cache_v_`, or `k_cache_` / `v_cache_`, from the prefill's
        first cache input): a cache input without an output of the same name, a cache
        output without an input of the same name, a layer with a K cache but no V cache
        (or the reverse), and decode caches that differ from the prefill's.

    Why it matters:
        LiteRT-LM binds the caches by name, not by position: on the CPU one buffer per
        cache input name also receives the output of that name, and on the GPU the
        input and output buffer maps are swapped after each step
        (`llm_litert_compiled_model_executor.cc`). A cache written under another name
        (`kv_cache_k_0_out`) is not fed back, so the next step runs on a stale cache or
        the run fails for a missing buffer.

    Example:
        signature 'prefill': cache input 'kv_cache_v_0' has no output of the same name
        (outputs: 'kv_cache_k_0', 'kv_cache_v_0_out', 'logits')

    How to fix:
        Export each cache as an input and an output of the same name in both
        signatures (litert-torch does), for every layer's K and V.
    """
    view = ctx.view
    if not is_prefill_decode_model(view):
        return
    prefills = prefill_signatures(view)
    roots = cache_roots(prefills[0]) if prefills else None
    if roots is None:
        return  # TFL701 reports a model without caches
    decode = decode_signature(view)
    signatures = [*prefills, *([decode] if decode else [])]
    for signature in signatures:
        yield from _unpaired(view, signature, roots)
    if decode is not None:
        prefill_caches = _caches(signature_names(prefills[0])[0], roots)
        decode_caches = _caches(signature_names(decode)[0], roots)
        if prefill_caches != decode_caches:
            yield Violation(f"signatures '{prefills[0].key}' and '{decode.key}' have different "
                            f"cache inputs ({quoted(sorted(prefill_caches - decode_caches))} only "
                            f"in the first, {quoted(sorted(decode_caches - prefill_caches))} only "
                            "in the second): LiteRT-LM hands the same cache buffers to both",
                            signature_location(view, decode), cause="prefill-decode-caches",
                            fix="give both signatures the same cache inputs and outputs")


def _caches(names: list[str], roots: tuple[str, str]) -> set[str]:
    return {name for name in names if name.startswith(roots)}


def _unpaired(view, signature, roots: tuple[str, str]) -> Iterator[Violation]:
    inputs, outputs = signature_names(signature)
    cache_inputs, cache_outputs = _caches(inputs, roots), _caches(outputs, roots)
    for name in sorted(cache_inputs - cache_outputs):
        yield Violation(f"signature '{signature.key}': cache input '{name}' has no output of "
                        f"the same name (outputs: {quoted(sorted(outputs))}), so LiteRT-LM "
                        "does not feed the updated cache back", signature_location(
                            view, signature, name), cause="unpaired-input",
                        fix=f"name the updated cache output '{name}'")
    for name in sorted(cache_outputs - cache_inputs):
        yield Violation(f"signature '{signature.key}': cache output '{name}' has no input of "
                        f"the same name (inputs: {quoted(sorted(inputs))})",
                        signature_location(view, signature, name, outputs=True),
                        cause="unpaired-output",
                        fix="name the cache output as the cache input it updates")
    k_root, v_root = roots
    layers = {kind: {LAYER.search(n)[1] for n in cache_inputs
                     if n.startswith(root) and LAYER.search(n)}
              for kind, root in (("k", k_root), ("v", v_root))}
    for kind, other, root in (("k", "v", v_root), ("v", "k", k_root)):
        for layer in sorted(layers[kind] - layers[other], key=int):
            yield Violation(f"signature '{signature.key}': layer {layer} has a {kind.upper()} "
                            f"cache but no {other.upper()} cache input ('{root}{layer}')",
                            signature_location(view, signature), cause="half-cache",
                            fix="export both caches of every layer")
