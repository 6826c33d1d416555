"""TFL505: a model without signature defs, so callers can only go by position."""
from __future__ import annotations

from typing import Iterator

from tfllint.engine.rule import Location, Option, RuleContext, Violation, rule

from ._contract import position_label, shape_text

# tflite/python/interpreter.py (LiteRT@f67457790c9c) get_signature_runner() without a key.
NO_SIGNATURE_ERROR = ("SignatureDef signature_key is None and model has 0 Signatures. None is "
                      "only allowed when the model has 1 SignatureDef")


@rule(id="TFL505", name="missing-signature-def", severity="info",
      options=[Option("single-io", bool, False,
                      "also report models with one input and one output")])
def check(ctx: RuleContext) -> Iterator[Violation]:
    """A model without signature defs: callers must feed inputs and read outputs by position.

    What it finds:
        A model whose `signature_defs` list is empty, when it has two or more inputs or
        two or more outputs (option `single-io` reports one-input, one-output models
        too: for those a position is never ambiguous). The message lists the positions
        a caller must use.

    Why it matters:
        Without a signature there are no stable names: Python's
        `get_signature_runner()` fails ("SignatureDef signature_key is None and model
        has 0 Signatures ..."), Android's `runSignature()` has nothing to run, and every
        caller depends on the order the converter happened to choose (which changes
        between releases: tensorflow/tensorflow#55242). Models from older converters
        (`from_concrete_functions` without the trackable object,
        tensorflow/tensorflow#48320), TF1 graphs, and tools that rewrite models often
        have none.

    Example:
        the model has no signature defs: callers can only go by position (inputs:
        0 'a' float32 [1, 4], 1 'b' float32 [1, 4]; outputs: 0 'sum' float32 [1, 4]) ...

    How to fix:
        Convert from a SavedModel or a Keras model, or from a concrete function with the
        trackable object (`TFLiteConverter.from_concrete_functions([fn], module)`), so
        the converter writes the signature. TFLite Micro ignores signatures: there, this
        finding can be ignored for the model.
    """
    view = ctx.view
    if view.model.signatures:
        return
    contract = ctx.analyses.contract
    if len(contract.inputs) < 2 and len(contract.outputs) < 2 and not ctx.options["single-io"]:
        return
    listed = []
    for kind, tensors in (("inputs", contract.inputs), ("outputs", contract.outputs)):
        entries = [f"{position_label(position, tensor)} {tensor.dtype} "
                   f"{shape_text(tensor.shape_signature)}"
                   for position, tensor in enumerate(tensors)]
        listed.append(f"{kind}: " + (", ".join(entries) if entries else "none"))
    yield Violation(f"the model has no signature defs: callers can only go by position "
                    f"({'; '.join(listed)}), and get_signature_runner() fails "
                    f"(\"{NO_SIGNATURE_ERROR}\")", Location(),
                    fix="convert so that the model carries a signature (from a SavedModel, a "
                        "Keras model, or a concrete function with its trackable object)")
