"""TFL202: int8 and uint8 computation in one model."""
from __future__ import annotations

from typing import Iterator

from tfllint.engine.rule import RuleContext, Violation, rule

from ._locations import at_op
from ._quantization import first_tensor, is_uint8_io_wrapper, ops_text, plural


@rule(id="TFL202", name="int8-uint8-mixed", severity="warning")
def check(ctx: RuleContext) -> Iterator[Violation]:
    """Ops computing on int8 activations and ops computing on uint8 ones in one model.

    What it finds:
        Models with both int8 and uint8 compute ops, with the QUANTIZE ops that convert
        between them. One finding per model, at the first op of the less common type.
        The QUANTIZE ops the converter adds for uint8 model inputs and outputs
        (`inference_input_type=tf.uint8` on an int8 model: uint8 -> int8 after the
        input and int8 -> uint8 before the output, same scale, zero point moved by 128,
        tflite/python/util.py `_modify_model_input_type`) are a deliberate interface,
        not a mix: they are no compute ops and do not count.

    Why it matters:
        uint8 is the legacy scheme (per-tensor, asymmetric); TFLite's 8-bit
        quantization specification made int8 the scheme new tooling and kernels are
        built for (symmetric, per-channel weights). A graph that mixes them pays a
        requantization at each switch, and TFLite Micro has no uint8 compute kernels at
        all (only QUANTIZE and DEQUANTIZE take uint8), so the uint8 half cannot run
        there.

    Example:
        the model computes in int8 (9 ops) and in uint8 (2 ops); this is its first
        uint8 op; QUANTIZE op 5 converts between them.

    How to fix:
        Convert the whole model to int8 (post-training quantization with a
        representative dataset, or quantization-aware training, in TF2); if callers need
        uint8 data, keep uint8 only at the inputs and outputs with
        `inference_input_type` / `inference_output_type`.
    """
    view, analysis = ctx.view, ctx.analyses.quantization
    counts = analysis.class_counts
    if not (counts.get("int8") and counts.get("uint8")):
        return
    minority = "uint8" if counts["uint8"] <= counts["int8"] else "int8"
    first = next(view.execution_order(subgraph)[index]
                 for (subgraph, index), op_class in sorted(analysis.op_classes.items())
                 if op_class == minority)
    conversions = [op for op in view.operators()
                   if op.opcode.name == "QUANTIZE" and not is_uint8_io_wrapper(view, op)
                   and op.subgraph in view.reachable_subgraphs
                   and {_dtype(view, op, op.inputs), _dtype(view, op, op.outputs)}
                   == {"INT8", "UINT8"}]
    message = (f"the model computes in int8 ({plural(counts['int8'], 'op')}) and in uint8 "
               f"({plural(counts['uint8'], 'op')}); this is its first {minority} op")
    if conversions:
        message += (f"; {ops_text(conversions)} "
                    f"{'converts' if len(conversions) == 1 else 'convert'} between them")
    yield Violation(message, at_op(first),
                    fix="quantize the whole model to int8; keep uint8 only at the inputs "
                        "and outputs (inference_input_type / inference_output_type)")


def _dtype(view, op, indices) -> str | None:
    tensor = first_tensor(view, op.subgraph, indices)
    return tensor.dtype if tensor is not None else None
