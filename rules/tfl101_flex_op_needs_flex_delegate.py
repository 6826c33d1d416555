"""TFL101: Flex (Select TF) ops, which need the Flex delegate."""
from __future__ import annotations

from typing import Iterator

from tfllint.analyses.data import load_data_table
from tfllint.engine.rule import RuleContext, Violation, rule

from ._locations import at_op


@rule(id="TFL101", name="flex-op-needs-flex-delegate", severity="error",
      untrusted_severity="error",
      evidence=(
          "runtime: tests/test_rule_evidence.py, tests/test_rule_branches.py (LiteRT "
          "without the Flex delegate fails with the quoted error)"))
def check(ctx: RuleContext) -> Iterator[Violation]:
    """A Flex (Select TensorFlow) op, which only a runtime linked with the Flex delegate runs.

    What it finds:
        Custom ops whose code starts with "Flex": TensorFlow ops the converter kept
        because `supported_ops` included SELECT_TF_OPS. Each is named with its TF op.

    Why it matters:
        The stock LiteRT runtime (ai-edge-litert, the TensorFlow pip package from 2.21,
        Android without the select-tf-ops AAR, Flutter plugins) fails at
        allocate_tensors() with "Select TensorFlow op(s), included in the given model,
        is(are) not supported by this interpreter. Make sure you apply/link the Flex
        delegate before inference." No delegate (GPU, NNAPI, XNNPACK, Edge TPU,
        microcontrollers) runs Flex ops, and the Flex runtime adds megabytes to an app.

    Example:
        op 0 FlexMatrixDeterminant: TensorFlow op MatrixDeterminant needs the Flex
        delegate.

    How to fix:
        Prefer builtin ops: rewrite the model so the converter can lower the op (see the
        converter's "TF Select ops:" list), or, if Flex is acceptable, link it: Android
        `org.tensorflow:tensorflow-lite-select-tf-ops`, iOS `TensorFlowLiteSelectTfOps`,
        C++ `libtensorflowlite_flex`.
    """
    data = load_data_table("custom_op_providers")
    by_type: dict[str, list] = {}  # one cause per Flex op type, wherever it is used
    for op in ctx.view.operators():
        if op.opcode.is_flex:
            by_type.setdefault(op.name, []).append(op)
    for name, ops in by_type.items():
        tf_op = name[len(data["flex_prefix"]):]
        # the runtime stops at the first node it cannot prepare, so it names only that one
        node_error = data["flex_node_error"].format(op=name, op_index=ops[0].index)
        uses = f" ({len(ops)} ops)" if len(ops) > 1 else ""
        yield Violation(
            f"{name}{uses} is TensorFlow op {tf_op}, which needs the Flex delegate; a "
            f"runtime without it fails with \"{data['flex_error']}\", then \"{node_error}\"",
            locations=tuple(at_op(op) for op in ops),
            fix=f"replace {tf_op} with builtin ops, or link the Flex delegate "
                "(Android: org.tensorflow:tensorflow-lite-select-tf-ops)")
