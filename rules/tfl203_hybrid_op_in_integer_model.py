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
    for (subgraph, index), op_class in sorted(analysis.op_classes.items()):
        if op_class != "hybrid":
            continue
        op = view.execution_order(subgraph)[index]
        weights = [view.tensor(subgraph, t) for t in op.inputs if t >= 0
                   and view.is_constant(view.tensor(subgraph, t))
                   and view.tensor(subgraph, t).dtype in INTEGER_WEIGHT_TYPES]
        if weights:
            more = f" and {len(weights) - 3} more" if len(weights) > 3 else ""
            described = (f"{weights[0].dtype.lower()} weights "
                         + ", ".join(tensor_label(w) for w in weights[:3]) + more)
        else:
            described = "integer constants"
        yield Violation(f"{op.name} op {op.index} computes on float activations with "
                        f"{described} (a dynamic-range kernel) in a model that otherwise "
                        f"computes in {'/'.join(integer)}",
                        at_op(op, weights[0] if weights else None),
                        fix="convert with a representative dataset that reaches this op and "
                            "TFLITE_BUILTINS_INT8 only, so its activations are integers too")
