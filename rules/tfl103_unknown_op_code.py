"""TFL103: op codes (and op option types) newer than the schema tfllint knows."""
from __future__ import annotations

from typing import Iterator

from tfllint.engine.rule import RuleContext, Violation, rule

from ._locations import at_op, opcode_location


@rule(id="TFL103", name="unknown-op-code", severity="error",
      untrusted_severity="error",
      evidence=(
          "runtime: tests/test_rule_evidence.py (LiteRT fails: \"Op builtin_code out of "
          "range\")"))
def check(ctx: RuleContext) -> Iterator[Violation]:
    """An op code, or an op's options type, newer than any schema tfllint knows.

    What it finds:
        Operator codes whose builtin code is past the last one in the TFLite schema
        tfllint was built from, and ops whose builtin options name an options table the
        schema does not have. Both are kept as UNKNOWN(n).

    Why it matters:
        A runtime built from an older schema cannot even look the op up: it fails with
        "Op builtin_code out of range: N. Are you using old TFLite binary with newer
        model?". The model was made by a converter newer than the runtime, or is corrupt.

    Example:
        op 2 UNKNOWN(215): builtin code 215 is newer than the newest op tfllint knows
        (209).

    How to fix:
        Convert with the converter release that matches the runtime you ship, or upgrade
        the runtime (and tfllint) to a release that knows the op.
    """
    view = ctx.view
    newest_code, _ = view.newest_known_op()
    for code in view.model.operator_codes:
        if code.is_known:
            continue
        location, uses = opcode_location(view, code.index)
        yield Violation(
            f"builtin op code {code.builtin_code} is newer than the newest op tfllint knows "
            f"({newest_code}){uses}; a runtime that predates it fails with \"Op "
            f"builtin_code out of range: {code.builtin_code}. Are you using old TFLite binary "
            "with newer model?\"", location,
            fix="convert with a converter matching your runtime, or upgrade the runtime")
    for op in view.operators():
        if op.opcode.is_known and (op.options_type or "").startswith("UNKNOWN("):
            yield Violation(
                f"{op.name} has options of type {op.options_type}, newer than the schema "
                "tfllint knows: the runtime that reads them must be at least as new as the "
                "converter", at_op(op),
                fix="convert with a converter matching your runtime, or upgrade the runtime")
