"""TFL111: custom ops run by native code that a model from outside makes the app run."""
from __future__ import annotations

from typing import Iterator

from tfllint.analyses.data import load_data_table
from tfllint.engine.rule import RuleContext, Violation, rule

from ._locations import at_op
from .tfl102_custom_op_needs_registration import provider_of


@rule(id="TFL111", name="custom-op-runs-native-code", severity="warning", preview=True,
      untrusted_severity="warning")
def check(ctx: RuleContext) -> Iterator[Violation]:
    """A custom op whose kernel is native code from a shared library, or from no known provider.

    What it finds:
        Custom ops other than Flex ops (TFL101, TFL110) and the custom ops the stock
        resolver registers, whose kernel is either in a shared library the runtime loads
        at run time (`edgetpu-custom-op`: libedgetpu through load_delegate; `DISPATCH_OP`:
        the SoC vendor's dispatch library) or comes from no provider tfllint knows
        (rules/data/custom_op_providers.toml), so the app must link or load native code
        for it. Providers whose kernels are linked into the app (MediaPipe, Ethos-U) are
        not reported.

    Why it matters:
        A custom op's options are bytes that only its kernel parses; no verifier reads
        them. A model from outside thereby picks native code in the app (or in a library
        the app loads, with the app's permissions) and feeds it bytes of its choosing: the
        kernel's own input checks are all that stands between the file and memory
        corruption. TFL102 says whether the op runs at all; this says whose code runs.

    Example:
        op 0 MyCompanyResize: no known provider: the app must link or load native code
        that registers MyCompanyResize, and that code parses the op's options.

    How to fix:
        Run a model from outside only with custom ops whose kernels you ship and have
        reviewed for hostile options; load delegate libraries only from a path you
        control. In your own model, convert without allow_custom_ops where builtin ops
        can replace the op.
    """
    stock = load_data_table("builtin_op_versions")["custom_ops"]
    by_code: dict[str, list] = {}
    for op in ctx.view.operators():
        code = op.opcode
        if code.name == "CUSTOM" and not code.is_flex and code.custom_code and \
                code.custom_code not in stock:
            by_code.setdefault(code.custom_code, []).append(op)
    for custom_code, ops in by_code.items():
        known = provider_of(custom_code)
        uses = f" ({len(ops)} ops)" if len(ops) > 1 else ""
        if known is None:
            message = (f"custom op {custom_code}{uses} has no known provider: the app must "
                       f"link or load native code that registers it, and that code parses "
                       f"the op's options from the file")
        elif known[1].get("loaded"):
            message = (f"custom op {custom_code}{uses} runs in {known[1]['native']}; that "
                       f"code parses the op's options from the file")
        else:
            continue  # linked into the app by a known provider
        yield Violation(message, locations=tuple(at_op(op) for op in ops),
                        fix="run a model from outside only with custom op kernels you ship "
                            "and trust with hostile options")
