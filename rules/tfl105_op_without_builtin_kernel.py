"""TFL105: builtin ops that the LiteRT builtin op resolver has no kernel for."""
from __future__ import annotations

from typing import Iterator

from tfllint.analyses.data import load_data_table
from tfllint.engine.rule import RuleContext, Violation, rule

from ._locations import opcode_location


@rule(id="TFL105", name="op-without-builtin-kernel", severity="error",
      untrusted_severity="error",
      evidence=(
          "runtime: tests/test_rule_evidence.py (LiteRT fails: \"Didn't find op for builtin "
          "opcode\")"))
def check(ctx: RuleContext) -> Iterator[Violation]:
    """A builtin op the LiteRT runtime has no kernel for (e.g. most StableHLO ops).

    What it finds:
        Operator codes that name a builtin op of the schema which the newest LiteRT
        builtin op resolver (tflite/core/kernels/register.cc) does not register: many
        STABLEHLO_* ops, DELEGATE, placeholders.

    Why it matters:
        The schema declares more ops than any runtime implements. Building the
        interpreter fails with "Didn't find op for builtin opcode 'OP' version 'V'. An
        older version of this builtin might be supported. Are you using an old TFLite
        binary with a newer model?" followed by "Registration failed.", whatever the
        runtime version.

    Example:
        op 4 STABLEHLO_RESHAPE: no LiteRT release registers a kernel for it.

    How to fix:
        Convert from TensorFlow/Keras (or with the StableHLO legalization enabled) so the
        op is lowered to TFLite builtins, or register a custom kernel for it.
    """
    registered = load_data_table("builtin_op_versions")["ops"]
    view = ctx.view
    for code in view.model.operator_codes:
        if not code.is_known or code.name == "CUSTOM" or code.name in registered:
            continue
        location, uses = opcode_location(view, code.index)
        yield Violation(
            f"{code.name} has no kernel in the LiteRT builtin op resolver{uses}; building "
            f"the interpreter fails with \"Didn't find op for builtin opcode '{code.name}' "
            f"version '{code.version}'\"", location,
            fix="lower the op to TFLite builtins when converting, or register a kernel for it")
