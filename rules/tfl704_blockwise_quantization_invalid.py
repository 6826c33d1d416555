"""TFL704: block-wise quantized weights whose scales do not fit their blocks."""
from __future__ import annotations

from typing import Iterator

from tfllint.engine.rule import RuleContext, Violation, rule

from ._locations import at_op, tensor_label

SCALE_DTYPE = "FLOAT16"
WEIGHT_DTYPE = "INT4"
# The builtin kernel takes its block-wise path (EvalBlockwise4Bit) only through the
# optimized 4-bit kernel: at least FilterWidth output channels and FilterDepth input
# channels, an even number of them (tflite/kernels/internal/optimized/
# fully_connected_4bit.h, fully_connected.cc Prepare); otherwise its hybrid path ignores
# the block-wise scales.
MIN_OUTPUT_CHANNELS, MIN_INPUT_CHANNELS = 4, 32


@rule(id="TFL704", name="blockwise-quantization-invalid", severity="error", preview=True,
      evidence=("runtime+source: tests/test_generative.py (LiteRT computes wrong logits for "
                "the bad example); google-ai-edge/LiteRT@f67457790c9c "
                "tflite/kernels/fully_connected.cc "
                "EvalBlockwise4Bit (reads the scales as float16, num_blocks = input channels "
                "/ block size, scale index output channel * num_blocks + block, unchecked) "
                "and tflite/core/interpreter_builder.cc (copies scales, zero_points and "
                "block_size without validation)"))
def check(ctx: RuleContext) -> Iterator[Violation]:
    """FULLY_CONNECTED weights with block-wise quantization that the kernel misreads.

    What it finds:
        FULLY_CONNECTED weights whose quantization is `BlockwiseQuantization` (one
        float16 scale per block of `block_size` input channels per output channel, as
        ai-edge-quantizer writes for int4 LLM weights) where: the weights are not INT4
        or not 2-D; the block size is not positive or does not divide the input
        channels; the scales tensor is not FLOAT16; the scales tensor does not hold
        output channels x (input channels / block size) values; the weights have fewer
        than 4 output channels, fewer than 32 input channels or an odd number of them
        (the builtin kernel then ignores the scales).

    Why it matters:
        The interpreter copies the block-wise fields without checking them, and the
        CPU kernel trusts them: it reads the scales as float16 whatever their type,
        computes the number of blocks by integer division (the last channels of a
        block size that does not divide them are never multiplied), and indexes the
        scales by output channel x blocks + block with no bounds check. The model loads
        and computes wrong numbers, or reads past the scales (ai-edge-litert 2.3: block
        size 48 over 64 channels gives logits -0.04 where the float model gives -0.21).
        Below 4 output or 32 input channels the builtin kernel takes its plain hybrid
        path, which does not read block-wise scales, and outputs zeros; XNNPACK computes
        such weights correctly when it takes them.

    Example:
        FULLY_CONNECTED op 3 weights 'projection' (#9) [8, 64], block size 48: it does
        not divide the 64 input channels: the last 16 are never multiplied

    How to fix:
        Re-quantize with ai-edge-quantizer (block sizes 32, 64, 128 or 256 that divide
        the input channels), or repair the model so that the scales tensor is FLOAT16
        with [output channels, input channels / block size] values.
    """
    view = ctx.view
    for op in view.operators():
        if op.name != "FULLY_CONNECTED" or len(op.inputs) < 2 or op.inputs[1] < 0:
            continue
        weights = view.tensor(op.subgraph, op.inputs[1])
        quantization = weights.quantization
        blockwise = quantization.blockwise if quantization else None
        if blockwise is None:
            continue
        problems = list(_problems(view, op.subgraph, weights, blockwise))
        if problems:
            yield Violation(f"{op.name} op {op.index} weights {tensor_label(weights)} "
                            f"{list(weights.shape)}, block size {blockwise.block_size}: "
                            + "; ".join(problems), at_op(op, weights),
                            fix="re-quantize the weights block-wise with ai-edge-quantizer "
                                "(int4, float16 scales, a block size dividing the input "
                                "channels)")


def _problems(view, subgraph: int, weights, blockwise) -> Iterator[str]:
    scales = view.tensor(subgraph, blockwise.scales)
    if weights.dtype != WEIGHT_DTYPE:
        yield (f"the weights are {weights.dtype}; the kernel reads block-wise scales for "
               f"{WEIGHT_DTYPE} weights only")
    if scales.dtype != SCALE_DTYPE:
        yield (f"the scales tensor {tensor_label(scales)} is {scales.dtype}; the kernel "
               f"reads it as {SCALE_DTYPE}")
    if len(weights.shape) != 2:
        yield f"the weights have rank {len(weights.shape)}; block-wise weights are 2-D"
        return
    outputs, inputs = weights.shape
    if outputs < MIN_OUTPUT_CHANNELS or inputs < MIN_INPUT_CHANNELS or inputs % 2:
        yield (f"the builtin kernel uses block-wise scales only for weights of at least "
               f"{MIN_OUTPUT_CHANNELS} output and {MIN_INPUT_CHANNELS} input channels, an "
               "even number of them; for these it ignores the scales and outputs zeros "
               "(XNNPACK, where it takes the op, computes them)")
    block = blockwise.block_size
    if block <= 0:
        yield "the block size must be positive (the kernel divides by it)"
        return
    if inputs % block:
        yield (f"it does not divide the {inputs} input channels: the last {inputs % block} "
               "are never multiplied")
    expected = outputs * (inputs // block)
    if scales.element_count != expected:
        yield (f"the scales tensor {tensor_label(scales)} holds {scales.element_count} values, "
               f"the kernel reads {expected} ({outputs} output channels x {inputs // block} "
               "blocks)")
