"""TFL506: positional callers and signature callers see the inputs (or outputs) in different
orders."""
from __future__ import annotations

from typing import Iterator

from tfllint.engine.rule import RuleContext, Violation, rule

from ._contract import io_location, main_signatures, quoted


@rule(id="TFL506", name="signature-order-differs", severity="warning")
def check(ctx: RuleContext) -> Iterator[Violation]:
    """The interpreter's input (or output) order differs from the order of its signature.

    What it finds:
        For each signature of subgraph 0 that names exactly that subgraph's inputs (or
        outputs): whether the interpreter's order (`get_input_details()`, subgraph 0's
        input list) lists the tensors in the order LiteRT lists the signature's names.
        LiteRT keeps a signature's names in a std::map, so `get_signature_list()`, a
        signature runner's `get_input_details()`, C++ `SignatureRunner::input_names()`
        and Java `getSignatureInputs()` all list them sorted by name, whatever order the
        file stores them in; the file's own order is therefore not compared. Nor is the
        order the model's source declared: the file does not record it (TFL503 covers
        inputs that order alone tells apart).

    Why it matters:
        Code that pairs the signature's names with positions (zipping
        `get_signature_list()` names with `get_input_details()`, or Java's
        `getSignatureInputs()` with `runForMultipleInputsOutputs()`) feeds and reads
        the wrong tensors when the two orders differ. They often do: with TF 2.21 a
        function declared (c, a, b) converts to inputs (c, b, a) while its signature
        lists a, b, c, and the outputs of a multi-output Keras model come out in an
        order unrelated to output_0, output_1, ... (which sort as output_0, output_1,
        output_10, output_11, output_2, ...).

    Example:
        signature 'serving_default' lists its inputs as 'a', 'b' and 'c' (LiteRT sorts
        them by name), but the interpreter's input order (get_input_details()) is 'c',
        'b' and 'a': position 0 is 'c' (tensor #0 'serving_default_c:0'), not 'a', ...

    How to fix:
        Call through the signature by name only (`get_signature_runner(key)(a=..., ...)`,
        `runSignature(inputs, outputs, key)`), never by zipping names with positions.
        Positional callers must take the order from `get_input_details()` /
        `get_output_details()` of the model they run.
    """
    contract = ctx.analyses.contract
    for signature in main_signatures(contract):
        for kind, positional, named in (("input", contract.inputs, signature.inputs),
                                        ("output", contract.outputs, signature.outputs)):
            by_position = [tensor.index for tensor in positional]
            by_name = [tensor.index for _, tensor in named]
            if sorted(by_position) != sorted(by_name) or len(set(by_name)) != len(by_name) \
                    or by_position == by_name:
                continue
            names = {tensor.index: name for name, tensor in named}
            first = next(p for p, (a, b) in enumerate(zip(by_position, by_name)) if a != b)
            details = "get_input_details()" if kind == "input" else "get_output_details()"
            yield Violation(
                f"signature '{signature.key}' lists its {kind}s as "
                f"{quoted([name for name, _ in named])} (LiteRT sorts them by name), but the "
                f"interpreter's {kind} order ({details}) is "
                f"{quoted([names[index] for index in by_position])}: position {first} is "
                f"'{names[by_position[first]]}' ({_tensor_text(positional[first])}), not "
                f"'{names[by_name[first]]}', so pairing the names with positions "
                f"{'feeds' if kind == 'input' else 'reads'} the wrong tensors",
                io_location(positional[first]),
                fix="call the model by signature names only, or take positions from "
                    f"{details}")


def _tensor_text(tensor) -> str:
    return f"tensor #{tensor.index} '{tensor.name}'" if tensor.name else f"tensor #{tensor.index}"

