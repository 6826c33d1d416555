"""TFL212: a quantized model whose inputs or outputs are float."""
from __future__ import annotations

from typing import Iterator

from tfllint.analyses.quantization import FLOAT_TYPES, INTEGER_ACTIVATION_TYPES
from tfllint.engine.rule import RuleContext, Violation, rule
from tfllint.model import Tensor

from ._locations import at_op, tensor_label
from ._quantization import first_tensor, quantization_text

FIX = ("if callers have integer data, convert with inference_input_type / "
       "inference_output_type = tf.int8 (or tf.uint8) to drop the conversion")


@rule(id="TFL212", name="quantized-model-float-io", severity="info")
def check(ctx: RuleContext) -> Iterator[Violation]:
    """A model that computes in integers but takes or returns float tensors.

    What it finds:
        Float inputs of a model that computes in integers (int8, uint8 or int16) which
        go straight into QUANTIZE ops, and float outputs that come straight out of a
        DEQUANTIZE of an integer result: the conversions the converter adds when
        `inference_input_type` / `inference_output_type` are left at float32. One
        finding per such input or output, at its conversion op, with what the caller
        passes and what the conversion costs.

    Why it matters:
        This is a choice, not an error: float I/O lets callers keep feeding the values
        they used with the float model. But every call then converts each input and
        output (a pass over the tensor), the float tensors take four times the bytes of
        int8 ones, integer-only accelerators (Edge TPU, Ethos-U) leave the conversion
        ops on the CPU, and a caller with integer data (camera frames, audio samples)
        converts twice: to float, then the model back to integers.

    Example:
        input 'serving_default_image:0' (#0) is float32 [1, 32, 32, 3]: callers feed
        floats, and as the model computes in int8, QUANTIZE op 0 converts all 3072
        elements on every call (scale 0.00784307532, zero point -1); an int8 input
        would take 3072 bytes instead of 12288.

    How to fix:
        Keep float I/O if callers have float data. Otherwise convert with
        `converter.inference_input_type = tf.int8` (or `tf.uint8`) and
        `converter.inference_output_type` likewise: the conversion ops disappear and
        callers quantize themselves (TFL213 gives the formula).
    """
    view, analysis = ctx.view, ctx.analyses.quantization
    if not analysis.computes_in_integers:
        return
    main = view.main
    for index in main.inputs:
        tensor = main.tensors[index]
        readers = view.consumers(0, index)
        if tensor.dtype not in FLOAT_TYPES or not readers:
            continue
        results = [first_tensor(view, 0, op.outputs) for op in readers]
        if not all(op.opcode.name == "QUANTIZE" and result is not None
                   and result.dtype in INTEGER_ACTIVATION_TYPES
                   for op, result in zip(readers, results)):
            continue
        ops = " and ".join(f"QUANTIZE op {op.index}" for op in readers)
        integer = results[0]
        yield Violation(f"input {tensor_label(tensor)} is {_typed(tensor)}: callers feed "
                        f"floats, and as the model computes in {integer.dtype.lower()}, {ops} "
                        f"{'converts' if len(readers) == 1 else 'convert'} all "
                        f"{tensor.element_count} elements on every call "
                        f"({quantization_text(integer)}); {_saving('input', tensor, integer)}",
                        at_op(readers[0], tensor), fix=FIX)
    for index in main.outputs:
        tensor = main.tensors[index]
        writer = view.producer(0, index)
        if tensor.dtype not in FLOAT_TYPES or writer is None \
                or writer.opcode.name != "DEQUANTIZE":
            continue
        source = first_tensor(view, 0, writer.inputs)
        if source is None or source.is_constant \
                or source.dtype not in INTEGER_ACTIVATION_TYPES:
            continue
        yield Violation(f"output {tensor_label(tensor)} is {_typed(tensor)}: callers read "
                        f"floats, which DEQUANTIZE op {writer.index} makes from the "
                        f"{source.dtype.lower()} result on every call "
                        f"({tensor.element_count} elements; {quantization_text(source)}); "
                        f"{_saving('output', tensor, source)}",
                        at_op(writer, tensor), fix=FIX)


def _typed(tensor: Tensor) -> str:
    return f"{tensor.dtype.lower()} {list(tensor.shape)}"


def _saving(role: str, float_tensor: Tensor, integer_tensor: Tensor) -> str:
    name = integer_tensor.dtype.lower()
    article = "a" if name.startswith("u") else "an"  # a uint8, an int8
    return (f"{article} {name} {role} would take {integer_tensor.byte_size} bytes instead "
            f"of {float_tensor.byte_size}")
