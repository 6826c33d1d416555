"""TFL204: QUANTIZE and DEQUANTIZE pairs that undo each other."""
from __future__ import annotations

from typing import Iterator

from tfllint.analyses.quantization import FLOAT_TYPES, INTEGER_ACTIVATION_TYPES
from tfllint.engine.rule import RuleContext, Violation, rule
from tfllint.model import Operator

from ._locations import at_op, tensor_label
from ._quantization import first_tensor, quantization_text, same_quantization

FIX = "remove the pair and connect its input to its consumers (or re-export the model)"


@rule(id="TFL204", name="quantize-dequantize-round-trip", severity="info")
def check(ctx: RuleContext) -> Iterator[Violation]:
    """A QUANTIZE and a DEQUANTIZE that convert a tensor and straight back.

    What it finds:
        - a QUANTIZE whose only reader is a DEQUANTIZE back to the same float type;
        - a DEQUANTIZE of an integer activation whose only reader is a QUANTIZE back to
          the same integer type with the same scale and zero point;
        - a QUANTIZE from an integer type to the same type with the same scale and zero
          point (a requantization that changes nothing).
        The intermediate tensor must not be a subgraph output (then the pair is how the
        caller gets it). One finding per pair, at its first op.

    Why it matters:
        Each pair is a pass over the tensor that produces what came in: the
        dequantize-quantize and same-parameter requantize cases exactly, the
        quantize-dequantize case up to rounding to the integer grid (a fake-quant node
        left in an inference graph, which only adds error). It costs a kernel call, an
        extra tensor in the arena and, on accelerators, often a partition boundary.
        Such pairs come from graph surgery, from merging models, or from quantization
        tooling that inserted a conversion the converter could not fold.

    Example:
        QUANTIZE op 3 converts 'x' (#2) from float32 to int8 and its only reader,
        DEQUANTIZE op 4, converts it straight back to float32: the pair only rounds the
        values to the int8 grid.

    How to fix:
        Remove both ops and let the first op's input feed the second op's readers;
        re-exporting the model often folds them. If the quantize-dequantize pair is
        meant to simulate quantization, it belongs in training, not in the model.
    """
    view = ctx.view
    for subgraph in sorted(view.reachable_subgraphs):
        for op in view.execution_order(subgraph):
            if op.opcode.name == "QUANTIZE":
                yield from _quantize(view, op)
            elif op.opcode.name == "DEQUANTIZE":
                yield from _dequantize(view, op)


def _only_reader(view, op: Operator, name: str) -> tuple[Operator | None, object, object]:
    """(the single reader of op's result when it is a `name` op, op's input, its result)."""
    source = first_tensor(view, op.subgraph, op.inputs)
    middle = first_tensor(view, op.subgraph, op.outputs)
    if source is None or middle is None or view.is_output(op.subgraph, middle.index):
        return None, source, middle
    readers = view.consumers(op.subgraph, middle.index)
    if len(readers) != 1 or readers[0].opcode.name != name:
        return None, source, middle
    return readers[0], source, middle


def _quantize(view, op: Operator) -> Iterator[Violation]:
    source = first_tensor(view, op.subgraph, op.inputs)
    result = first_tensor(view, op.subgraph, op.outputs)
    if source is None or result is None:
        return
    if source.dtype in INTEGER_ACTIVATION_TYPES and same_quantization(source, result):
        yield Violation(f"QUANTIZE op {op.index} requantizes {tensor_label(source)} from "
                        f"{source.dtype.lower()} to {result.dtype.lower()} with the same "
                        f"{quantization_text(source)}: it only copies the tensor",
                        at_op(op, source), fix=FIX)
        return
    reader, source, middle = _only_reader(view, op, "DEQUANTIZE")
    if reader is None or source.dtype not in FLOAT_TYPES:
        return
    back = first_tensor(view, op.subgraph, reader.outputs)
    if back is not None and back.dtype == source.dtype:
        yield Violation(f"QUANTIZE op {op.index} converts {tensor_label(source)} from "
                        f"{source.dtype.lower()} to {middle.dtype.lower()} and its only "
                        f"reader, DEQUANTIZE op {reader.index}, converts it straight back to "
                        f"{back.dtype.lower()}: the pair only rounds the values to the "
                        f"{middle.dtype.lower()} grid", at_op(op, source), fix=FIX)


def _dequantize(view, op: Operator) -> Iterator[Violation]:
    reader, source, middle = _only_reader(view, op, "QUANTIZE")
    if (reader is None or source.is_constant
            or source.dtype not in INTEGER_ACTIVATION_TYPES):
        return
    back = first_tensor(view, op.subgraph, reader.outputs)
    if back is not None and same_quantization(source, back):
        yield Violation(f"DEQUANTIZE op {op.index} converts {tensor_label(source)} from "
                        f"{source.dtype.lower()} to {middle.dtype.lower()} and its only "
                        f"reader, QUANTIZE op {reader.index}, converts it back to "
                        f"{back.dtype.lower()} with the same {quantization_text(source)}: "
                        "the pair does nothing", at_op(op, source), fix=FIX)
