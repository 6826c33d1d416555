"""TFL705: INT64 inputs and activations, as PyTorch exports leave them."""
from __future__ import annotations

from typing import Iterator

from tfllint.engine.rule import RuleContext, Violation, rule

from ._locations import at_tensor

INT64 = "INT64"
NAMED = 4  # tensors named in the message


@rule(id="TFL705", name="int64-tensors", severity="warning", preview=True)
def check(ctx: RuleContext) -> Iterator[Violation]:
    """Inputs and activations of type INT64: positions, indices and argmax results that
    accelerators do not take.

    What it finds:
        Model inputs and op outputs of type INT64 (constants are left out): what a
        PyTorch export leaves where torch uses int64 by default (`torch.arange`
        positions, `argmax` / `max` indices, `long` token ids; litert-torch#246). With
        --target, the message names the targets that keep an op on such a tensor off the
        accelerator.

    Why it matters:
        The CPU kernels run INT64, but accelerators mostly do not: in tfllint's profiles
        the GPU delegate, NNAPI, TFLite Micro and Ethos-U refuse GATHER with INT64
        indices, and the ops stay on the CPU, splitting the graph around them (or, for a
        GPU-only CompiledModel, failing it). An INT64 input also makes callers feed
        `np.int64` where an int32 would do.

    Example:
        2 INT64 tensors that are not constant: 'input_pos' (input) x2; INT64 keeps ops
        off gpu (GATHER op 1), nnapi (GATHER op 1)

    How to fix:
        Cast to int32 in the PyTorch module before export (`input_pos.to(torch.int32)`,
        `torch.arange(n, dtype=torch.int32)`, `torch.argmax(x).to(torch.int32)`), or in
        TensorFlow give `tf.math.argmax` `output_type=tf.int32`.
    """
    view = ctx.view
    found, seen = [], set()
    for subgraph in view.subgraphs:
        produced = {index for op in subgraph.operators for index in op.outputs}
        for index in (*subgraph.inputs, *sorted(produced)):
            tensor = subgraph.tensors[index]
            if tensor.dtype == INT64 and not tensor.is_constant and \
                    (subgraph.index, index) not in seen:
                seen.add((subgraph.index, index))
                found.append((subgraph.index, tensor))
    if not found:
        return
    inputs = {(s.index, i) for s in view.subgraphs for i in s.inputs}
    labels: dict[str, int] = {}  # one label per name: signatures repeat their inputs
    for s, t in found:
        label = f"'{t.name}'" + (" (input)" if (s, t.index) in inputs else "")
        labels[label] = labels.get(label, 0) + 1
    named = ", ".join(label + (f" x{count}" if count > 1 else "")
                      for label, count in list(labels.items())[:NAMED])
    more = f" and {len(labels) - NAMED} more" if len(labels) > NAMED else ""
    yield Violation(f"{len(found)} INT64 tensor{'s' if len(found) > 1 else ''} that "
                    f"{'are' if len(found) > 1 else 'is'} not constant: {named}{more}"
                    f"{_targets_note(ctx, found)}",
                    locations=tuple(at_tensor(s, t) for s, t in found),
                    fix="cast to int32 before export (torch: .to(torch.int32), "
                        "dtype=torch.int32 in torch.arange; TF: output_type=tf.int32)")


def _targets_note(ctx: RuleContext, found) -> str:
    """"; INT64 keeps ops off gpu (GATHER op 1)" for the run's targets that refuse ops
    reading or writing these tensors; "" without targets or refusals."""
    keys = {(s, t.index) for s, t in found}
    touching = {(op.subgraph, op.index): op for op in ctx.view.operators()
                if any((op.subgraph, i) in keys for i in (*op.inputs, *op.outputs))}
    notes = []
    for name in ctx.settings.targets:
        refused = [f"{v.op} op {v.op_index}" for v in ctx.analyses.target(name).ops
                   if (v.subgraph, v.op_index) in touching and v.verdict != "target"
                   and any(r.code == "dtype" or "type" in r.code for r in v.reasons)]
        if refused:
            notes.append(f"{name} ({', '.join(refused[:NAMED])})")
    return f"; INT64 keeps ops off {', '.join(notes)}" if notes else ""
