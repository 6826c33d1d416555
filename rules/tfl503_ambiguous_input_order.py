"""TFL503: two or more inputs (or outputs) a caller can swap without any error."""
from __future__ import annotations

from typing import Iterator

from tfllint.analyses.contract import TensorContract
from tfllint.engine.rule import RuleContext, Violation, rule

from ._contract import (io_location, listing, main_signatures, position_label, quoted,
                        shape_text, signature_names)


@rule(id="TFL503", name="ambiguous-input-order", severity="warning")
def check(ctx: RuleContext) -> Iterator[Violation]:
    """Inputs (or outputs) of the same type and shape, which only their order tells apart.

    What it finds:
        Groups of two or more inputs of subgraph 0 with the same dtype and
        `shape_signature`, and separately such groups of outputs (outputs no op writes
        are left to TFL003). It says whether a signature names them, and how to call it.

    Why it matters:
        Nothing checks which tensor a caller feeds where: swapped inputs of the same
        type and shape run and give wrong answers. The order is also not the one the
        model's source declared: converters reorder inputs and outputs
        (tensorflow/tensorflow#51858, #55242; a function declared (c, a, b) converts to
        inputs (c, b, a) with TF 2.21), so code written against the source swaps them.

    Example:
        inputs 0 'serving_default_key:0' and 1 'serving_default_query:0' are both
        float32 [1, 8], so only their order tells them apart: signature
        'serving_default' names them 'key' and 'query'; call it by name, ...

    How to fix:
        Call the model through its signature, by name:
        `interpreter.get_signature_runner("serving_default")(key=..., query=...)` in
        Python, `Interpreter.runSignature(inputs, outputs, key)` on Android. A model
        without a signature should be converted from a SavedModel or a concrete
        function with one.
    """
    contract = ctx.analyses.contract
    view = ctx.view
    outputs = [(position, tensor) for position, tensor in enumerate(contract.outputs)
               if view.has_source(0, tensor.index)]
    yield from _groups(ctx, "input", list(enumerate(contract.inputs)))
    yield from _groups(ctx, "output", outputs)


def _groups(ctx: RuleContext, kind: str,
            entries: list[tuple[int, TensorContract]]) -> Iterator[Violation]:
    groups: dict[tuple[str, tuple[int, ...]], list[tuple[int, TensorContract]]] = {}
    for position, tensor in entries:
        groups.setdefault((tensor.dtype, tensor.shape_signature), []).append((position, tensor))
    for (dtype, signature), members in groups.items():
        if len(members) < 2:
            continue
        labels = [position_label(position, tensor) for position, tensor in members]
        every = "both" if len(members) == 2 else "all"
        yield Violation(f"{kind}s {listing(labels)} are {every} {dtype} {shape_text(signature)}, "
                        f"so only their order tells them apart: "
                        f"{_how_to_call(ctx, kind, members)}",
                        io_location(members[0][1]),
                        fix="call the model through a signature, by name, not by position")


def _how_to_call(ctx: RuleContext, kind: str, members: list[tuple[int, TensorContract]]) -> str:
    indexes = [tensor.index for _, tensor in members]
    for signature in main_signatures(ctx.analyses.contract):
        names = signature_names(signature, kind)
        if all(index in names for index in indexes):
            named = [names[index] for index in indexes]
            runner = f"get_signature_runner('{signature.key}')"
            if kind == "input":
                arguments = ", ".join(f"{name}=..." for name in named)
                advice = f"call it by name, interpreter.{runner}({arguments}), not by position"
            else:
                advice = f"read them by name from the dict {runner}(...) returns, not by position"
            return f"signature '{signature.key}' names them {quoted(named)}; {advice}"
    if main_signatures(ctx.analyses.contract):
        return ("no signature names them all, so callers can only go by position: add them "
                "to the signature, or document the order")
    return ("the model has no signature, so callers can only go by position: convert with a "
            "signature (named inputs and outputs), or document the order")
