"""TFL213: integer model inputs and outputs, and the arithmetic their callers must do."""
from __future__ import annotations

from typing import Iterator

from tfllint.analyses.contract import TensorContract
from tfllint.engine.rule import RuleContext, Violation, rule

from ._locations import at_tensor, tensor_label

INTEGER_IO = {"int8": (-128, 127), "uint8": (0, 255), "int16": (-32768, 32767)}


@rule(id="TFL213", name="integer-io-needs-quantizing", severity="info")
def check(ctx: RuleContext) -> Iterator[Violation]:
    """An int8, uint8 or int16 model input or output: the caller quantizes and dequantizes.

    What it finds:
        Each quantized integer input and output of the model (subgraph 0, in the
        interpreter's order), with the exact formula for its scale and zero point:
        `q = round(real / scale) + zero_point`, clipped to the type's range, for inputs;
        `real = scale * (q - zero_point)` for outputs.

    Why it matters:
        The interpreter does not convert integer inputs and outputs: the caller must.
        Feeding unquantized values (pixels 0..255 into an int8 input, normalized floats
        cast to int8) or reading raw integers as scores runs without an error and gives
        wrong answers. Each tensor has its own scale and zero point, and a model
        re-exported after retraining gets new ones, so they must be read from the
        model, never hard-coded.

    Example:
        input 'serving_default_image:0' (#0) is int8: quantize real values before
        feeding, q = round(real / 0.00784307532) - 1, clipped to [-128, 127].

    How to fix:
        Nothing to fix in the model: read `quantization_parameters` from
        get_input_details() / get_output_details() and apply the formulas (or convert
        with float inputs and outputs, TFL212, to let the model do it). Ignore this rule
        once the calling code does so.
    """
    contract = ctx.analyses.contract
    tensors = ctx.view.main.tensors
    for role, entries in (("input", contract.inputs), ("output", contract.outputs)):
        for entry in entries:
            if entry.dtype not in INTEGER_IO or not entry.quantized:
                continue
            tensor = tensors[entry.index]
            yield Violation(f"{role} {tensor_label(tensor)} is {entry.dtype}: "
                            + _instruction(role, entry), at_tensor(0, tensor),
                            fix=("quantize inputs and dequantize outputs with the "
                                 "parameters from get_input_details() / get_output_details()"))


def _instruction(role: str, entry: TensorContract) -> str:
    verb = "quantize real values before feeding" if role == "input" \
        else "dequantize what you read"
    if len(entry.scales) == 1:
        scale = f"{entry.scales[0]:.9g}"
        zero_point = entry.zero_points[0] if entry.zero_points else 0
        if role == "input":
            low, high = INTEGER_IO[entry.dtype]
            offset = f" + {zero_point}" if zero_point > 0 else \
                f" - {-zero_point}" if zero_point < 0 else ""
            return f"{verb}, q = round(real / {scale}){offset}, clipped to [{low}, {high}]"
        shifted = f"(q - {zero_point})" if zero_point > 0 else \
            f"(q + {-zero_point})" if zero_point < 0 else "q"
        return f"{verb}, real = {scale} * {shifted}"
    scales = ", ".join(f"{scale:.9g}" for scale in entry.scales[:4])
    more = ", ..." if len(entry.scales) > 4 else ""
    return (f"{verb} per channel along dimension {entry.quantized_dimension}, with "
            f"{len(entry.scales)} scales ({scales}{more}) and their zero points")
