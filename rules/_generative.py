"""Helpers shared by the TFL7xx rules (generative models): what LiteRT-LM reads of a
prefill-decode model, from rules/data/litert_lm.toml (not a rule module: the name starts
with _)."""
from __future__ import annotations

from functools import lru_cache
from typing import Any

from tfllint.analyses.data import load_data_table
from tfllint.engine.rule import Location
from tfllint.model import SignatureDef, Tensor

from ._locations import at_tensor

# The bundle member LiteRT-LM runs as the prefill-decode model (model_resources.h, matched
# without case); a .litertlm TFLite section without a model_type is read as one too
# (litert_lm_loader.cc), and tfllint names such a section "section_<i>" (tfllint/bundles.py).
PREFILL_DECODE_MEMBER = "TF_LITE_PREFILL_DECODE"
UNNAMED_SECTION = "section_"


@lru_cache(maxsize=1)
def litert_lm() -> dict[str, Any]:
    return load_data_table("litert_lm")


def signature_names(signature: SignatureDef) -> tuple[list[str], list[str]]:
    return [name for name, _ in signature.inputs], [name for name, _ in signature.outputs]


def is_prefill_decode_model(view) -> bool:
    """A model LiteRT-LM would run as its prefill-decode model: it looks generative, and,
    inside a bundle, it is the member that holds that model."""
    member = view.path.rpartition("!")[2] if "!" in view.path else None
    if member is not None and member.upper() != PREFILL_DECODE_MEMBER and \
            not member.startswith(UNNAMED_SECTION):
        return False
    data = litert_lm()["generative"]
    roots = {root["first"] for root in litert_lm()["cache_roots"]}
    for signature in view.model.signatures:
        inputs, outputs = signature_names(signature)
        if signature.key.startswith(tuple(data["signature_prefixes"])) or roots & set(inputs):
            return True
        if set(data["token_inputs"]) & set(inputs) and data["logits"] in outputs:
            return True
    return False


def prefill_signatures(view) -> list[SignatureDef]:
    prefix = litert_lm()["prefill_prefix"]
    return [s for s in view.model.signatures if s.key.startswith(prefix)]


def decode_signature(view) -> SignatureDef | None:
    key = litert_lm()["decode_key"]
    return next((s for s in view.model.signatures if s.key == key), None)


def cache_roots(signature: SignatureDef) -> tuple[str, str] | None:
    """(k root, v root) as GetCacheRootNames finds them in the signature's inputs."""
    inputs, _ = signature_names(signature)
    for name in inputs:
        for root in litert_lm()["cache_roots"]:
            if name == root["first"]:
                return root["k"], root["v"]
    return None


def family(signature: SignatureDef) -> dict[str, Any] | None:
    """The first model family whose names the signature has, as LiteRT-LM tries them."""
    inputs, outputs = signature_names(signature)
    for candidate in litert_lm()["families"]:
        if set(candidate["inputs"]) <= set(inputs) and \
                set(candidate["outputs"]) <= set(outputs) and \
                not set(candidate.get("absent", ())) & set(inputs):
            return candidate
    return None


def closest_family(signature: SignatureDef) -> tuple[dict[str, Any], list[str]]:
    """The family the signature comes nearest to, and the names it lacks of it."""
    inputs, outputs = signature_names(signature)
    best = None
    for candidate in litert_lm()["families"]:
        missing = [n for n in candidate["inputs"] if n not in inputs] + \
                  [n for n in candidate["outputs"] if n not in outputs]
        if best is None or len(missing) < len(best[1]):
            best = (candidate, missing)
    assert best is not None
    return best


def signature_tensor(view, signature: SignatureDef, name: str,
                     outputs: bool = False) -> Tensor | None:
    entries = signature.outputs if outputs else signature.inputs
    index = next((index for entry, index in entries if entry == name), None)
    return None if index is None else view.tensor(signature.subgraph, index)


def signature_location(view, signature: SignatureDef, name: str | None = None,
                       outputs: bool = False) -> Location:
    tensor = signature_tensor(view, signature, name, outputs) if name else None
    if tensor is None:
        return Location(subgraph=signature.subgraph)
    return at_tensor(signature.subgraph, tensor)


def quoted(names) -> str:
    names = list(names)
    return ", ".join(f"'{name}'" for name in names) if names else "none"
