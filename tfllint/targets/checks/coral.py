"""Checks of the Coral Edge TPU compiler (profile rules/targets/coral.toml).

Each predicate is one limit from Coral's supported-operations table or the compiler's
behaviour in public logs; the profile names its source next to the op that uses it.
Where the compiler prints its own status for a failure, the profile keeps the wording
under [messages] with the check's name as key, and the check reports it with its message.
"""
from __future__ import annotations

from typing import Iterator, Union

from ...analyses.runtime import min_runtime_for
from ..checks import ModelContext, OpContext, model_check, op_check

MAPPED_DIMS = 3  # only the 3 innermost dimensions of a tensor may be larger than 1
SOFTMAX_MAX_ELEMENTS = 16_000
MEAN_DEPTH_MULTIPLE = 4
# The compiler's schema ends before builtin code 151 (DYNAMIC_UPDATE_SLICE):
# google-coral/edgetpu#862 "ERROR: Op builtin_code out of range: 151".
FIRST_UNKNOWN_BUILTIN_CODE = 151
INTEGER_OP_CLASSES = {"int8", "uint8"}

Found = Union[str, "tuple[str, str]"]  # a message, or (message, the compiler's status)


def _worded(ctx: ModelContext, check: str, message: str) -> Found:
    """The message, paired with the compiler's status for `check` when the profile has it."""
    status = ctx.profile.messages.get(check)
    return (message, status) if status else message


def _shape(shape) -> str:
    return "[" + ", ".join(str(dim) for dim in shape) + "]"


def _non_unit_dims(shape) -> int:
    return sum(1 for dim in shape if dim > 1)


@op_check("coral-innermost-3-dims",
          fix="Keep batch 1 and reshape so that only the 3 innermost dimensions are larger than "
              "1 ([1, h, w, c] maps, [n, h, w, c] does not).")
def innermost_three_dims(ctx: OpContext) -> Iterator[Found]:
    """Tensors are mapped as at most 3-D: in a tensor of rank 4 or more only the 3
    innermost dimensions may be larger than 1 ([1,128,128,3] is fine, [3,128,128,1] is
    not). Weights and other parameters (constants, or the inputs the profile requires to
    be constant, which a non-constant reason already covers) are exempt."""
    params = set(ctx.support.constant_inputs) if ctx.support else set()
    seen: set[tuple[int, ...]] = set()
    roles = [("input", t) for i, t in enumerate(ctx.inputs()) if i not in params]
    roles += [("output", t) for t in ctx.outputs()]
    for role, tensor in roles:
        if tensor is None or ctx.is_constant(tensor) or tensor.shape in seen:
            continue
        outer = tensor.shape[:-MAPPED_DIMS]
        if any(dim > 1 for dim in outer):
            seen.add(tensor.shape)
            yield _worded(ctx, "coral-innermost-3-dims",
                          f"{role} '{tensor.name}' has shape {_shape(tensor.shape)}: only the "
                          f"{MAPPED_DIMS} innermost dimensions may be larger than 1")


@op_check("coral-1d-output",
          fix="Keep batch 1: reshape the input to [1, features] so that the output is [1, n].")
def one_dimensional_output(ctx: OpContext) -> Iterator[Found]:
    """A fully-connected or softmax output must be 1-D: at most one dimension larger
    than 1 ([1, 10] is fine, [4, 10] is not)."""
    for tensor in ctx.outputs():
        if _non_unit_dims(tensor.shape) > 1:
            yield _worded(ctx, "coral-1d-output",
                          f"output '{tensor.name}' has shape {_shape(tensor.shape)}; the Edge "
                          "TPU maps only a 1-D output (one dimension larger than 1)")


@op_check("coral-softmax-size",
          fix="The Edge TPU softmax takes at most 16,000 elements: leave a larger softmax as the "
              "last op, so that only it runs on the CPU.")
def softmax_size(ctx: OpContext) -> Iterator[str]:
    """A softmax input may have at most 16,000 elements."""
    tensor = ctx.tensor(ctx.op.inputs[0]) if ctx.op.inputs else None
    if tensor is not None and tensor.element_count > SOFTMAX_MAX_ELEMENTS:
        yield (f"input '{tensor.name}' has {tensor.element_count:,} elements; the Edge TPU "
               f"softmax takes at most {SOFTMAX_MAX_ELEMENTS:,}")


@op_check("coral-concat-constant",
          fix="Concatenate a constant only as a zero pad, with exactly 2 inputs; or pad with PAD "
              "instead.")
def concat_constant_input(ctx: OpContext) -> Iterator[str]:
    """If a concatenation input is a constant, there must be exactly 2 inputs and the
    constant must be all zeros (the concatenation is then a zero padding)."""
    inputs = [t for t in ctx.inputs() if t is not None]
    constants = [t for t in inputs if ctx.is_constant(t)]
    if not constants:
        return
    if len(inputs) != 2:
        yield (f"{len(inputs)} inputs with a constant among them; a constant input is "
               "allowed only when there are exactly 2 inputs")
    for tensor in constants:
        if not _all_real_zeros(ctx, tensor):
            yield (f"constant input '{tensor.name}' is not all zeros; only a zero constant "
                   "(a zero padding) is allowed")


def _all_real_zeros(ctx: OpContext, tensor) -> bool:
    data = ctx.view.tensor_data(tensor)
    if data is None:
        return False
    zero_points = tensor.quantization.zero_point if tensor.quantization else ()
    # A per-tensor zero point is what "zero" means in the quantized domain.
    zero = zero_points[0] if len(zero_points) == 1 else 0
    return bool((data == zero).all())


@op_check("coral-prelu-alpha",
          fix="Share alpha across height and width: Keras PReLU(shared_axes=[1, 2]) on a 4-D "
              "input, so that alpha is [channels].")
def prelu_alpha(ctx: OpContext) -> Iterator[str]:
    """PReLU's alpha must be 1-D: only its innermost dimension may be larger than 1
    (a Keras PReLU on 4-D input needs shared_axes=[1, 2])."""
    alpha = ctx.tensor(ctx.op.inputs[1]) if len(ctx.op.inputs) > 1 else None
    if alpha is not None and any(dim > 1 for dim in alpha.shape[:-1]):
        yield (f"alpha '{alpha.name}' has shape {_shape(alpha.shape)}; only its innermost "
               "dimension may be larger than 1")


@op_check("coral-unit-strides",
          fix="Slice with stride 1; subsample with a strided convolution or pooling instead.")
def unit_strides(ctx: OpContext) -> Iterator[str]:
    """Every stride of a strided slice must be 1."""
    strides = ctx.tensor(ctx.op.inputs[3]) if len(ctx.op.inputs) > 3 else None
    data = ctx.view.tensor_data(strides) if strides is not None else None
    if data is not None and (data != 1).any():
        yield f"strides {[int(s) for s in data.reshape(-1)]}; the Edge TPU needs all strides 1"


@op_check("coral-pad-batch", fix="Pad height, width or channels only, not the batch dimension.")
def pad_batch(ctx: OpContext) -> Iterator[str]:
    """A pad must not pad the batch (first) dimension of a rank >= 2 input."""
    paddings = ctx.tensor(ctx.op.inputs[1]) if len(ctx.op.inputs) > 1 else None
    data = ctx.view.tensor_data(paddings) if paddings is not None else None
    if data is None or data.ndim != 2 or data.shape[0] < 2:
        return
    if (data[0] != 0).any():
        yield f"pads the batch dimension (axis 0) by {[int(p) for p in data[0]]}"


@op_check("coral-split-batch",
          fix="Split along height, width or channels, not the batch dimension: keep batch 1.")
def split_batch(ctx: OpContext) -> Iterator[str]:
    """A split must not split the batch (first) dimension of a rank >= 2 input
    (SPLIT takes its axis as input 0 and the data as input 1)."""
    if len(ctx.op.inputs) < 2:
        return
    axis_tensor, data_tensor = ctx.tensor(ctx.op.inputs[0]), ctx.tensor(ctx.op.inputs[1])
    axis = ctx.view.tensor_data(axis_tensor) if axis_tensor is not None else None
    rank = len(data_tensor.shape) if data_tensor is not None else 0
    if axis is not None and axis.size == 1 and rank >= 2 and int(axis.reshape(-1)[0]) % rank == 0:
        yield "splits along the batch dimension (axis 0)"


@op_check("coral-mean-depth",
          fix="A channel (z) mean needs a channel count that is a multiple of 4: zero-pad the "
              "channels (PAD) up to one and scale the mean by padded / real channels (MUL), "
              "or leave it as the last op, where only it runs on the CPU.")
def mean_depth(ctx: OpContext) -> Iterator[str]:
    """A mean over the innermost (z, depth) dimension needs a depth that is a multiple
    of 4."""
    if len(ctx.op.inputs) < 2:
        return
    data_tensor, axes_tensor = ctx.tensor(ctx.op.inputs[0]), ctx.tensor(ctx.op.inputs[1])
    axes = ctx.view.tensor_data(axes_tensor) if axes_tensor is not None else None
    if data_tensor is None or axes is None or not data_tensor.shape:
        return
    rank, depth = len(data_tensor.shape), data_tensor.shape[-1]
    if any(int(a) % rank == rank - 1 for a in axes.reshape(-1)) and depth % MEAN_DEPTH_MULTIPLE:
        yield (f"reduces over the depth (z) dimension of size {depth}, which is not a "
               f"multiple of {MEAN_DEPTH_MULTIPLE}")


@model_check("coral-full-integer-quantization",
             fix="Quantize the model fully to 8-bit: post-training integer quantization with a "
                 "representative dataset, supported_ops = [tf.lite.OpsSet.TFLITE_BUILTINS_INT8], "
                 "and inference_input_type and inference_output_type tf.int8 (or tf.uint8).")
def full_integer_quantization(ctx: ModelContext) -> Iterator[Found]:
    """The Edge TPU computes in 8-bit integers only: a model without any int8 or uint8
    compute op (float32, float16 weights, dynamic-range, int16x8) maps nothing. An int8
    model with float ops at its end (say a detection post-processing op) still maps its
    integer part, so it is left to the per-op verdicts. A model the compiler already
    compiled is past this question."""
    analysis = ctx.analyses.quantization
    if analysis.scheme == "none" or INTEGER_OP_CLASSES & set(analysis.class_counts):
        return
    if any(code.custom_code == ctx.profile.compiled_op for code in ctx.view.model.operator_codes
           if code.name == "CUSTOM"):
        return
    yield _worded(ctx, "coral-full-integer-quantization",
                  f"the model is not integer-quantized: {analysis.label}; the Edge TPU runs "
                  "only models quantized to 8-bit integers (int8 or uint8 activations and "
                  "weights), so no op maps")


@model_check("coral-op-code-range",
             fix="Replace the op, or convert with TensorFlow 2.6 or older: edgetpu_compiler 16 "
                 "knows no builtin op code from 151 (DYNAMIC_UPDATE_SLICE) on.")
def op_code_range(ctx: ModelContext) -> Iterator[str]:
    """Builtin op codes from 151 on are beyond the compiler's schema: it stops with "Op
    builtin_code out of range". Codes whose op version has a known first runtime release
    are already reported by the op-version ceiling."""
    for code in ctx.view.model.operator_codes:
        if code.name == "CUSTOM" or code.builtin_code < FIRST_UNKNOWN_BUILTIN_CODE:
            continue
        if code.is_known and min_runtime_for(code.name, code.version) is not None:
            continue
        yield (f"{code.name} (builtin code {code.builtin_code}) is newer than the "
               "compiler's op schema; it stops with \"ERROR: Op builtin_code out of range: "
               f"{code.builtin_code}. Are you using old TFLite binary with newer model?\"")
