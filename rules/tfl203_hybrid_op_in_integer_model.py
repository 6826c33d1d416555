"""TFL203: dynamic-range (hybrid) ops in a model that otherwise computes in integers."""
from __future__ import annotations

from typing import Iterator

from tfllint.analyses.quantization import INTEGER_CLASSES, INTEGER_WEIGHT_TYPES
from tfllint.engine.rule import RuleContext, Violation, rule

from ._locations import at_op, tensor_label


@rule(id="TFL203", name="hybrid-op-in-integer-model", severity="warning")
def check(ctx: RuleContext) -> Iterator[Violation]:
    """A hybrid op (float activations, integer weights) in an otherwise integer model.

    What it finds:
        Ops that compute on float activations with quantized constant weights (the
        dynamic-range kernels of FULLY_CONNECTED, CONV_2D, LSTM, EMBEDDING_LOOKUP, ...)
        in a model whose other compute ops run on int8, uint8 or int16 activations. One
        finding per hybrid op, naming its integer weight.

    Why it matters:
        A hybrid kernel quantizes its float input on every call and returns float, so
        the integer graph around it must dequantize before it and quantize after it.
        The op's accuracy and speed follow dynamic-range rules rather than the
        calibrated integer ones, and integer-only accelerators (Edge TPU, Ethos-U,
        Hexagon) cannot run it: the graph splits there. Whatever produced it, the op
        missed the integer conversion the rest of the model got.

    Example:
        FULLY_CONNECTED op 5 computes on float activations with int8 weights
        'dense/kernel' (#7) (a dynamic-range kernel) in a model that otherwise computes
        in int8.

    How to fix:
        Convert with a representative dataset that reaches the op and with
        `supported_ops=[tf.lite.OpsSet.TFLITE_BUILTINS_INT8]`, so it gets integer
        activations like the rest of the model.
    """
    view, analysis = ctx.view, ctx.analyses.quantization
    integer = sorted(INTEGER_CLASSES & set(analysis.class_counts))
    if not integer:
        return
    hybrid: dict[str, list] = {}  # one cause per op type
    for (subgraph, index), op_class in sorted(analysis.op_classes.items()):
        if op_class == "hybrid":
            op = view.execution_order(subgraph)[index]
            hybrid.setdefault(op.name, []).append(op)
    for name, ops in hybrid.items():
        weights = [[view.tensor(op.subgraph, t) for t in op.inputs if t >= 0
                    and view.tensor(op.subgraph, t).is_constant
                    and view.tensor(op.subgraph, t).dtype in INTEGER_WEIGHT_TYPES]
                   for op in ops]
        first = weights[0]
        if len(ops) > 1:
            subject = f"{name} x{len(ops)} compute"
            described = f"{first[0].dtype.lower()} weights" if first else "integer constants"
        else:
            subject = f"{name} op {ops[0].index} computes"
            more = f" and {len(first) - 3} more" if len(first) > 3 else ""
            described = (f"{first[0].dtype.lower()} weights "
                         + ", ".join(tensor_label(w) for w in first[:3]) + more) if first \
                else "integer constants"
        yield Violation(f"{subject} on float activations with {described} (a dynamic-range "
                        f"kernel) in a model that otherwise computes in {'/'.join(integer)}",
                        locations=tuple(at_op(op, found[0] if found else None)
                                        for op, found in zip(ops, weights)),
                        fix="convert with a representative dataset that reaches these ops "
                            "and TFLITE_BUILTINS_INT8 only, so their activations are "
                            "integers too")
