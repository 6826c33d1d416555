"""TFL002: an op reads a tensor that a later op writes."""
from __future__ import annotations

from typing import Iterator

from tfllint.engine.rule import RuleContext, Violation, rule

from ._locations import at_op, tensor_label


@rule(id="TFL002", name="tensor-read-before-written", severity="error",
      untrusted_severity="error",
      evidence=(
          "runtime: tests/test_rule_evidence.py (the builtin kernels run the ops in file "
          "order, so the op reads what the previous call left; XNNPACK reorders them: one "
          "model, two answers)"))
def check(ctx: RuleContext) -> Iterator[Violation]:
    """An op reads a tensor that is only written by an op later in the execution order.

    What it finds:
        Inputs whose producing op comes after the reading op in the subgraph's operator
        list. TFLite runs operators strictly in the order the file lists them.

    Why it matters:
        The reader sees the tensor before anything has written it: uninitialised data on
        the first run and stale data from the previous run afterwards. Nothing reports it.

    Example:
        op 1 (MUL) reads tensor 'scale' (#4), which op 5 (ADD) writes.

    How to fix:
        Reorder the operators topologically (re-converting the model does this), or break
        the cycle the reordering cannot resolve.
    """
    view = ctx.view
    for subgraph in view.subgraphs:
        for op in subgraph.operators:
            for tensor_index in op.inputs:
                producer = view.producer(subgraph.index, tensor_index) if tensor_index >= 0 else None
                if producer is None or producer.index < op.index:
                    continue
                tensor = subgraph.tensors[tensor_index]
                when = "itself writes" if producer.index == op.index else \
                    f"op {producer.index} ({producer.name}) writes later"
                yield Violation(
                    f"{op.name} reads tensor {tensor_label(tensor)}, which {when}",
                    at_op(op, tensor), cause="read before written",
                    fix="reorder the operators so every tensor is written before it is read")
