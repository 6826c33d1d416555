"""TFL201: float ops enclosed by an integer graph, between a DEQUANTIZE and a QUANTIZE."""
from __future__ import annotations

from typing import Iterator

from tfllint.analyses.quantization import FLOAT_TYPES
from tfllint.engine.rule import RuleContext, Violation, rule

from ._locations import at_op, tensor_label
from ._quantization import first_tensor, ops_text, plural


@rule(id="TFL201", name="float-island-in-integer-graph", severity="warning")
def check(ctx: RuleContext) -> Iterator[Violation]:
    """Float ops inside an otherwise integer graph: a DEQUANTIZE in, a QUANTIZE out.

    What it finds:
        Each maximal connected region of float ops in a model that computes in integers
        (int8, uint8 or int16) which is entered through a DEQUANTIZE of integer
        activations and left through a QUANTIZE back to integers. One finding per
        island, at its first op, naming the ops that enter it, run in it and leave it.
        Float regions at the very start or end of the graph (float pre- or
        post-processing that reads the model's inputs or writes its outputs, such as
        detection post-processing) are left alone, and so are regions whose float ops
        are all dynamic-range (hybrid) ops, which TFL203 reports.

    Why it matters:
        The converter leaves an op in float when it cannot quantize it (typically the
        op has no integer kernel: SIN, for one) and the conversion allows float
        fallback, as the default `supported_ops` do. Every call
        then pays the conversions and the float kernels, the float tensors take four
        times the memory, and integer-only accelerators (Edge TPU, Ethos-U, Hexagon)
        cut the graph at the island: everything from it on (Edge TPU), or the island
        itself, runs on the CPU, with a round trip per island.

    Example:
        float island of 2 ops in the int8 graph: DEQUANTIZE op 3 enters, TANH op 4 and
        MUL op 5 compute in float32, QUANTIZE op 6 leaves.

    How to fix:
        Quantize the island's ops. Make sure the representative dataset reaches them;
        convert with `supported_ops=[tf.lite.OpsSet.TFLITE_BUILTINS_INT8]` to make the
        converter name the op it cannot quantize, then replace that op with one that
        has an integer kernel (for instance a different activation).
    """
    view, analysis = ctx.view, ctx.analyses.quantization
    for island in analysis.islands:
        if not island.enclosed:
            continue
        subgraph = island.subgraph
        operators = view.execution_order(subgraph)
        ops = [operators[index] for index in island.ops]
        if all(analysis.op_class(subgraph, op.index) != "float32" for op in ops):
            continue
        entries = [operators[index] for index in island.entries]
        exits = [operators[index] for index in island.exits]
        integer_types = sorted({first_tensor(view, subgraph, op.inputs).dtype.lower()
                                for op in entries})
        written = [view.tensor(subgraph, index) for op in ops for index in op.outputs
                   if index >= 0]
        float_types = sorted({tensor.dtype.lower() for tensor in written
                              if tensor.dtype in FLOAT_TYPES})
        message = (f"float island of {plural(len(ops), 'op')} in the "
                   f"{'/'.join(integer_types)} graph: {ops_text(entries)} "
                   f"{_verb('enter', entries)}, {ops_text(ops)} {_verb('compute', ops)} in "
                   f"{'/'.join(float_types) or 'float'}, {ops_text(exits)} "
                   f"{_verb('leave', exits)}")
        if island.inputs:
            message += "; it also reads the float input " + ", ".join(
                tensor_label(view.tensor(subgraph, t)) for t in island.inputs)
        if island.outputs:
            message += "; it also writes the float output " + ", ".join(
                tensor_label(view.tensor(subgraph, t)) for t in island.outputs)
        yield Violation(message, at_op(ops[0]),
                        fix="quantize these ops: make the representative dataset reach them, "
                            "or convert with TFLITE_BUILTINS_INT8 only to learn which op has "
                            "no integer kernel")


def _verb(verb: str, ops: list) -> str:
    """'enters' for one op, 'enter' for several."""
    return verb + "s" if len(ops) == 1 else verb
