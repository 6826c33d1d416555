"""TFL504: model inputs or outputs known only by generated names."""
from __future__ import annotations

from typing import Iterator

from tfllint.engine.rule import Location, Option, RuleContext, Violation, rule

from ._contract import caller_name, io_label, is_generated, main_signatures, signature_names


@rule(id="TFL504", name="unhelpful-tensor-names", severity="info",
      options=[Option("min-count", int, 2,
                      "look at the inputs only when there are at least this many, and "
                      "likewise the outputs (1: every model)")])
def check(ctx: RuleContext) -> Iterator[Violation]:
    """Inputs or outputs whose every name was generated, or whose names disagree.

    What it finds:
        Once per model, the inputs and outputs of subgraph 0 that no caller can tell
        apart by name: the tensor name and every signature name for it are empty or
        generated (`StatefulPartitionedCall:0`, `PartitionedCall_1:2`, `Identity_3`,
        `tf.identity_1`, `Placeholder`, `input_1`, `input_layer`, `keras_tensor_3`,
        `args_0`, `output_0`, `inputs`, numbers). The TF converter's
        `<signature key>_<name>:0` counts as the name it was made from
        (`serving_default_image:0` is `image`): that part was chosen by a person. Also
        tensors whose chosen name differs from the one their signature gives them.
        Only when there are two or more inputs (or outputs): a lone one needs no name to
        be found (option `min-count`).

    Why it matters:
        With several inputs or outputs, names are how callers match them; `output_0`
        and `StatefulPartitionedCall_1:7` say nothing, and converters reorder them
        (TFL506), so code ends up relying on positions. A tensor that is `mask` to
        positional callers and `weights` to signature callers invites mistakes.

    Example:
        2 outputs have only generated names: output 0 'StatefulPartitionedCall_1:1'
        (signature 'serving_default': 'output_1'); output 1 ...

    How to fix:
        Name them at the source: return a dict from the converted function
        (`return {"boxes": ..., "scores": ...}`), name Keras inputs and outputs
        (`keras.Input(..., name="image")`, named output layers), or name PyTorch inputs
        and outputs where the converter allows it.
    """
    contract = ctx.analyses.contract
    signatures = main_signatures(contract)
    keys = [signature.key for signature in signatures]
    generated, differing = [], []
    for kind, tensors in (("input", contract.inputs), ("output", contract.outputs)):
        if len(tensors) < max(ctx.options["min-count"], 1):
            continue
        names_by_key = {s.key: signature_names(s, kind) for s in signatures}
        for position, tensor in enumerate(tensors):
            chosen = caller_name(tensor.name, keys)
            given = [(key, names[tensor.index]) for key, names in names_by_key.items()
                     if tensor.index in names]
            label = io_label(kind, position, tensor)
            if is_generated(chosen) and all(is_generated(name) for _, name in given):
                names = ", ".join(f"'{key}': '{name}'" for key, name in given)
                generated.append((kind, label + (f" (signature {names})" if given else "")))
            elif not is_generated(chosen):
                differing += [f"{label} is '{name}' in signature '{key}'" for key, name in given
                              if not is_generated(name) and name != chosen]
    parts = []
    if generated:
        counts = [_count(sum(1 for k, _ in generated if k == kind), kind)
                  for kind in ("input", "output")]
        verb = "has" if len(generated) == 1 else "have"
        parts.append(f"{' and '.join(c for c in counts if c)} {verb} only generated names: "
                     + "; ".join(text for _, text in generated))
    if differing:
        parts.append("tensor and signature names differ: " + "; ".join(differing))
    if parts:
        yield Violation(". ".join(parts), Location(),
                        fix="name the inputs and outputs where the model is defined")


def _count(number: int, kind: str) -> str:
    return "" if number == 0 else f"{number} {kind}" + ("s" if number > 1 else "")
