"""TFL102: custom ops that the stock runtime cannot resolve."""
from __future__ import annotations

from typing import Iterator

from tfllint.analyses.data import load_data_table
from tfllint.engine.rule import RuleContext, Violation, rule

from ._locations import at_op


def provider_of(custom_code: str) -> tuple[str, dict] | None:
    for name, provider in load_data_table("custom_op_providers")["providers"].items():
        if custom_code in provider["ops"]:
            return name, provider
    return None


@rule(id="TFL102", name="custom-op-needs-registration", severity="warning",
      untrusted_severity="warning")
def check(ctx: RuleContext) -> Iterator[Violation]:
    """A custom op the stock LiteRT runtime does not register; the app must provide it.

    What it finds:
        Custom ops other than Flex ops (TFL101) and the few the builtin op resolver
        registers itself (TFLite_Detection_PostProcess, Mfcc, AudioSpectrogram,
        NumericVerify, aeq.hadamard_rotation). Known providers are named: MediaPipe's
        ops, `edgetpu-custom-op` (the model is already compiled for the Coral Edge TPU)
        and `ethos-u` (already compiled by Vela for an Arm Ethos-U NPU).

    Why it matters:
        Without a registration the interpreter fails at allocate_tensors() with
        "Encountered unresolved custom op: NAME." (older runtimes: "Didn't find custom op
        for name 'NAME'"). A model compiled for an accelerator runs only with that
        accelerator's delegate or driver.

    Example:
        op 0 edgetpu-custom-op: the model is already compiled for the Coral Edge TPU and
        runs only with the libedgetpu delegate.

    How to fix:
        Register the op's kernel with the op resolver (MutableOpResolver::AddCustom, or
        the provider's resolver, e.g. MediaPipe's), load the accelerator's delegate, or
        convert without `allow_custom_ops` so the converter reports what it could not
        lower.
    """
    data = load_data_table("custom_op_providers")
    stock = load_data_table("builtin_op_versions")["custom_ops"]
    by_code: dict[str, list] = {}  # one cause per custom code, wherever it is used
    for op in ctx.view.operators():
        code = op.opcode
        if code.name == "CUSTOM" and not code.is_flex and (code.custom_code or "") not in stock:
            by_code.setdefault(code.custom_code or "", []).append(op)
    for custom_code, ops in by_code.items():
        locations = tuple(at_op(op) for op in ops)
        if not custom_code:
            yield Violation("custom op without a custom code: the runtime fails with "
                            "\"Operator with CUSTOM builtin_code has no custom_code.\"",
                            locations=locations, fix="re-export the model")
            continue
        # the runtime stops at the first node it cannot resolve, so it names only that one
        unresolved = " ".join(data["unresolved_error"].format(op=custom_code).split())
        node = data["unresolved_node_error"].format(op=custom_code, op_index=ops[0].index)
        error = f"\"{unresolved}\", then \"{node}\""
        uses = f" ({len(ops)} ops)" if len(ops) > 1 else ""
        known = provider_of(custom_code)
        if known:
            _, provider = known
            note = provider.get("notes", {}).get(custom_code)
            described = provider["description"] + (f", and {note}" if note else "")
            message = (f"custom op {custom_code}{uses} comes from {described}; "
                       f"without it the interpreter fails with {error}")
            fix = provider["fix"]
        else:
            message = (f"custom op {custom_code}{uses} is not registered by the stock LiteRT "
                       f"runtime; unless the app registers a kernel for it, the interpreter "
                       f"fails with {error}")
            fix = (f"register a kernel for {custom_code} with the op resolver, or convert "
                   "without allow_custom_ops to see which builtin ops could replace it")
        yield Violation(message, locations=locations, fix=fix)
