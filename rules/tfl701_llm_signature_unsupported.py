"""TFL701: a generative model whose signatures LiteRT-LM cannot run."""
from __future__ import annotations

from typing import Iterator

from tfllint.engine.rule import Location, RuleContext, Violation, rule

from ._generative import (cache_roots, closest_family, decode_signature, family,
                          is_prefill_decode_model, litert_lm, prefill_signatures, quoted,
                          signature_location, signature_names, signature_tensor)

FIX_RE_EXPORT = ("re-export with litert-torch's generative converter (it writes 'prefill' "
                 "and 'decode' signatures with tokens, input_pos, mask, kv_cache_k_<i> / "
                 "kv_cache_v_<i> and logits), or rename the signatures and I/O to those names")


@rule(id="TFL701", name="llm-signature-unsupported", severity="error", preview=True,
      evidence=("source: google-ai-edge/LiteRT-LM@767d74f9 runtime/executor/"
                "llm_litert_compiled_model_executor.cc (Create: prefill and decode "
                "signatures, GetCacheRootNames, logits checks) and "
                "litert_compiled_model_executor_utils.cc "
                "(GetModelSignaturesFromInputOutputNames, GetPrefillRunnerSetFromModel); "
                "rules/data/litert_lm.toml"))
def check(ctx: RuleContext) -> Iterator[Violation]:
    """An LLM-style model that LiteRT-LM's executor refuses when it builds its runners.

    What it finds:
        In a model that looks generative (a signature key starting with `prefill` or
        `decode`, a `kv_cache_k_0` / `k_cache_0` input, or a `tokens` / `token_ids` input
        with a `logits` output) and, inside a bundle, is the prefill-decode member: no
        signature whose key starts with `prefill`; no `decode` signature; no KV-cache
        input (`kv_cache_k_0` or `k_cache_0`) in the prefill signature; decode input and
        output names that match none of LiteRT-LM's model families (Gemma2 JAX, PyTorch,
        PyTorch CPU-only, Gemini, external embeddings); a `logits` output that is not
        [1, seq, vocab]; a prefill positions input of rank other than 1 or 2.

    Why it matters:
        LiteRT-LM picks the model family from these names alone
        (`GetModelSignaturesFromInputOutputNames`) and finds its runners by these keys.
        A model that misses them loads in a plain interpreter but fails to start in
        LiteRT-LM: "Prefill signature not found.", "No KV cache inputs found.",
        "Unsupported model signature.", "Output logits must be (batch, seq, vocab)"
        (litert-torch#411, mediapipe#5724 report the missing signatures).

    Example:
        signature 'decode' matches no LiteRT-LM model family ("Unsupported model
        signature."): it comes nearest to PyTorch (tokens, input_pos, mask -> logits)
        but lacks 'logits'; it has inputs 'input_pos', 'kv_cache_k_0', ... and
        outputs 'kv_cache_k_0', 'kv_cache_v_0', 'output'

    How to fix:
        Export with litert-torch's generative converter, which writes `prefill` and
        `decode` signatures with the names LiteRT-LM expects, or rename the signature
        keys and I/O names to one family's names (see the message for the missing ones).
        Only the batch-1 logits layout [1, seq, vocab] is supported.
    """
    view = ctx.view
    if not is_prefill_decode_model(view):
        return
    data = litert_lm()
    keys = quoted(s.key for s in view.model.signatures)
    prefills = prefill_signatures(view)
    if not prefills:
        yield Violation(f"no signature key starts with '{data['prefill_prefix']}' (the model "
                        f"has {keys}): LiteRT-LM stops with \"{data['prefill_missing_error']}\"",
                        Location(), fix=FIX_RE_EXPORT)
    else:
        yield from _caches(view, prefills[0], data)
    decode = decode_signature(view)
    if decode is None:
        yield Violation(f"no '{data['decode_key']}' signature (the model has {keys}): "
                        "LiteRT-LM looks it up by this key to pick the model family and to "
                        "run each generated token", Location(), fix=FIX_RE_EXPORT)
        return
    matched = family(decode)
    if matched is None:
        yield _unsupported(view, decode, data)
        return
    yield from _logits(view, decode, data)
    for prefill in prefills:
        yield from _positions(view, prefill, matched["positions"], data)


def _caches(view, prefill, data) -> Iterator[Violation]:
    if cache_roots(prefill) is None:
        roots = quoted(root["first"] for root in data["cache_roots"])
        yield Violation(f"signature '{prefill.key}' has no KV-cache input ({roots}): LiteRT-LM "
                        f"stops with \"{data['no_cache_error']}\"",
                        Location(subgraph=prefill.subgraph),
                        fix="export the caches as inputs and outputs named kv_cache_k_<i> and "
                            "kv_cache_v_<i>, layer i from 0")


def _unsupported(view, decode, data) -> Violation:
    nearest, missing = closest_family(decode)
    inputs, outputs = signature_names(decode)
    wanted = f"{', '.join(nearest['inputs'])} -> {', '.join(nearest['outputs'])}"
    return Violation(
        f"signature '{decode.key}' matches no LiteRT-LM model family "
        f"(\"{data['unsupported_error']}\"): it comes nearest to {nearest['name']} ({wanted}) "
        f"but lacks {quoted(missing)}; it has inputs {quoted(sorted(inputs))} and outputs "
        f"{quoted(sorted(outputs))}", Location(subgraph=decode.subgraph),
        fix=f"name the decode (and prefill) I/O as the {nearest['name']} family does: "
            f"{wanted}")


def _logits(view, decode, data) -> Iterator[Violation]:
    logits = signature_tensor(view, decode, "logits", outputs=True)
    if logits is None:
        return
    shape = list(logits.signature)
    where = signature_location(view, decode, "logits", outputs=True)
    if len(shape) != data["logits_rank"]:
        yield Violation(f"'logits' of signature '{decode.key}' has shape {shape}, rank "
                        f"{len(shape)}: LiteRT-LM needs rank {data['logits_rank']} and stops "
                        f"with \"{data['logits_rank_error']}\"", where,
                        fix="keep the logits as [batch, sequence, vocabulary] (keep_num_dims "
                            "on the last FULLY_CONNECTED, or a RESHAPE)")
    elif shape[0] != data["logits_batch"]:
        yield Violation(f"'logits' of signature '{decode.key}' has batch {shape[0]}: "
                        f"LiteRT-LM stops with \"{data['logits_batch_error']}\"", where,
                        fix="export with batch size 1")


def _positions(view, prefill, name: str, data) -> Iterator[Violation]:
    positions = signature_tensor(view, prefill, name)
    if positions is None or len(positions.signature) in data["positions_ranks"]:
        return
    yield Violation(f"'{name}' of signature '{prefill.key}' has rank "
                    f"{len(positions.signature)}: LiteRT-LM sizes its prefill runners by it "
                    f"and takes rank 1 or 2 only (\"{data['positions_rank_error']}\")",
                    signature_location(view, prefill, name),
                    fix=f"export '{name}' as [sequence] or [batch, sequence]")
