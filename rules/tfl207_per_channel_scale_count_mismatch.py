"""TFL207: quantization parameters whose counts or quantized_dimension LiteRT refuses."""
from __future__ import annotations

from typing import Iterator

from tfllint.engine.rule import RuleContext, Violation, rule
from tfllint.model import Quantization, Tensor

from ._locations import at_tensor, tensor_label
from ._quant_params import quantized_tensors

LOAD_FAILURE = "Tensor {index} has invalid quantization parameters."


def refusal(tensor: Tensor, quantization: Quantization) -> tuple[str, str] | None:
    """(what is wrong, LiteRT's error text, quoted) for parameters ParseQuantization rejects.

    The checks and their order are InterpreterBuilder::ParseQuantization's
    (tflite/core/interpreter_builder.cc); it runs them only when the scale vector is
    non-empty and there is no blockwise or multi-axis `details`."""
    scales, zero_points = len(quantization.scale), len(quantization.zero_point)
    dims = tensor.shape
    axis = quantization.quantized_dimension
    if scales != zero_points:
        counted = (f'"QuantizationParam has {zero_points} zero_point values and {scales} '
                   'scale values. Must have same number."')
        if zero_points:
            return f"has {plural(scales, 'scale')} but {plural(zero_points, 'zero point')}", \
                counted
        # tfllint reads an absent and an empty vector alike; LiteRT words them apart.
        return (f"has {plural(scales, 'scale')} but no zero points",
                '"Quantization parameters has non-null scale but null zero_point." (an '
                f"empty vector gives {counted})")
    if axis < 0 or (dims and axis >= len(dims)):
        return (f"has quantized_dimension {axis} but rank {len(dims)} (shape {list(dims)})",
                f'"quantized_dimension must be in range [0, {len(dims)}). Was {axis}."')
    if scales != 1 and dims and scales != dims[axis]:
        return (f"has {scales} scales for dimension {axis} of size {dims[axis]} "
                f"(shape {list(dims)})",
                f'"num_scales must be 1 for per-layer quantization, or {dims[axis]} for '
                f'per-axis quantization, but got {scales}."')
    return None


def plural(count: int, noun: str) -> str:
    return f"{count} {noun}{'s' * (count != 1)}"


@rule(id="TFL207", name="per-channel-scale-count-mismatch", severity="error",
      untrusted_severity="error",
      evidence="runtime: tests/test_rule_evidence.py (LiteRT refuses the model at load)")
def check(ctx: RuleContext) -> Iterator[Violation]:
    """Quantization parameters that make LiteRT refuse to load the model.

    What it finds:
        A tensor with a non-empty `scale` vector whose `zero_point` vector has a
        different length, whose `quantized_dimension` is outside its rank (also for
        per-tensor parameters), or whose number of scales is neither 1 nor the size of
        the quantized dimension. These are exactly the checks of
        InterpreterBuilder::ParseQuantization (tflite/core/interpreter_builder.cc), run
        in its order; tensors of rank 0 skip the last two there too.

    Why it matters:
        The interpreter refuses the whole model while building it: it logs the check
        that failed (for instance "num_scales must be 1 for per-layer quantization, or 8
        for per-axis quantization, but got 3.") and then "Tensor 12 has invalid
        quantization parameters.", and no tensor can be allocated.

    Example:
        tensor 'conv/filter' (#1) has 3 scales for dimension 0 of size 8 (shape
        [8, 3, 3, 3]); LiteRT refuses the model: "num_scales must be 1 for per-layer
        quantization, or 8 for per-axis quantization, but got 3."

    How to fix:
        The parameters were edited or written by a broken tool: re-quantize the model,
        or give the tensor one scale and zero point per slice of its quantized
        dimension (the output channels of a convolution's filter).
    """
    for subgraph, tensor, quantization in quantized_tensors(ctx.view):
        found = refusal(tensor, quantization)
        if found is None:
            continue
        problem, error = found
        yield Violation(
            f"tensor {tensor_label(tensor)} {problem}; LiteRT refuses the model: {error}, "
            f"then \"{LOAD_FAILURE.format(index=tensor.index)}\"",
            at_tensor(subgraph, tensor),
            fix="re-quantize the model, or give one scale and zero point per slice of the "
                "quantized dimension")
