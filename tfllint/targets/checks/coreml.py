"""Checks of the LiteRT Core ML delegate (profile rules/targets/coreml.toml).

Each check is one rule of IsNodeSupportedByDelegate (tflite/delegates/coreml/
coreml_delegate.mm) or of the builders' validators (tflite/delegates/coreml/builders/*.cc)
at google-ai-edge/LiteRT@f67457790c9c. The delegate prints no reason when it refuses an
op; where a validator logs a line (TF_LITE_KERNEL_LOG), the check yields it as the tool's
words.
"""
from __future__ import annotations

from typing import Iterator

from ...model import Tensor
from . import OpContext, op_check
from .gpu import static_tensor_reasons

Found = Iterator[tuple[str, "str | None"]]  # the delegate logs nothing for most refusals

MAX_KERNEL_SIZE = 16384  # convolution_op_builder.cc: weights dims 1 and 2
DELEGATE = "the Core ML delegate"


def _input(ctx: OpContext, position: int) -> Tensor | None:
    return ctx.tensor(ctx.op.inputs[position]) if position < len(ctx.op.inputs) else None


def _dtype(ctx: OpContext, tensor: Tensor) -> str:
    """The type the delegate sees: an absorbed float16 weight is the FLOAT16 constant."""
    return "FLOAT16" if ctx.is_constant(tensor) and not tensor.is_constant else tensor.dtype


@op_check("coreml-float-input",
          fix="Core ML runs float models: convert without integer quantization (float32, or "
              "float16 weights).")
def float_input(ctx: OpContext) -> Found:
    """The op's first input (TRANSPOSE_CONV: its third, the data) must be FLOAT32: integer
    quantized ops are never delegated."""
    position = 2 if ctx.op.opcode.name == "TRANSPOSE_CONV" else 0
    tensor = _input(ctx, position)
    if tensor is not None and _dtype(ctx, tensor) != "FLOAT32":
        yield (f"input {position} ('{tensor.name}') is {_dtype(ctx, tensor)}; Core ML runs "
               "only ops whose data input is FLOAT32", None)


@op_check("coreml-binary-broadcast",
          fix="Give both inputs of {op} FLOAT32 and rank 4 or less, and broadcast only per "
              "channel ([1, 1, 1, C]), per position ([1, H, W, 1]) or a scalar: RESHAPE the "
              "smaller input first.")
def binary_broadcast(ctx: OpContext) -> Found:
    """ADD and MUL: both inputs FLOAT32 (or a constant FLOAT16), rank <= 4, and in Core ML's
    [B,C,H,W] layout only [B,C,H,W] with [B,C,1,1], [B,1,H,W] or [B,1,1,1] broadcast; a
    different batch only against a constant of one element."""
    first, second = _input(ctx, 0), _input(ctx, 1)
    if first is None or second is None:
        yield "takes two inputs", None
        return
    for tensor in (first, second):
        dtype = _dtype(ctx, tensor)
        if not (dtype == "FLOAT32" or (dtype == "FLOAT16" and ctx.is_constant(tensor))):
            yield (f"input '{tensor.name}' is {dtype}; inputs must be FLOAT32 or a constant "
                   "FLOAT16", None)
            return
    if len(first.shape) > 4 or len(second.shape) > 4:
        yield "inputs of more than 4 dimensions do not broadcast", None
        return
    a, b = _as_4d(first.shape), _as_4d(second.shape)
    single = [ctx.is_constant(t) and t.element_count == 1 for t in (first, second)]
    if a[0] != b[0] and not any(single):
        yield (f"batch {a[0]} vs {b[0]}: only a constant of one element broadcasts over "
               "batch", None)
    elif (a[1], a[2]) != (b[1], b[2]) and (a[1], a[2]) != (1, 1) and (b[1], b[2]) != (1, 1):
        yield (f"height x width {a[1]}x{a[2]} vs {b[1]}x{b[2]}: one side must be 1x1 to "
               "broadcast", None)
    elif a[3] != b[3] and a[3] != 1 and b[3] != 1:
        yield f"channels {a[3]} vs {b[3]}: one side must have 1 channel to broadcast", None


def _as_4d(shape: tuple[int, ...]) -> tuple[int, ...]:
    return (1,) * (4 - len(shape)) + tuple(shape)


@op_check("coreml-concat-axis",
          fix="Concatenate at least two tensors along the channels (the last axis) only.")
def concat_axis(ctx: OpContext) -> Found:
    """CONCATENATION: at least two inputs, joined along the channels only (axis 2 or -1 of
    a 3-D input, 3 or -1 of a 4-D input)."""
    if len(ctx.op.inputs) < 2:
        yield "needs at least two inputs", None
        return
    first = _input(ctx, 0)
    rank = len(first.shape) if first is not None else 0
    axis = ctx.op.options.get("axis", 0)
    allowed = {3: (2, -1), 4: (3, -1)}.get(rank)
    if allowed is None:
        yield f"the inputs are {rank}-D; Core ML concatenates only 3-D or 4-D tensors", None
    elif axis not in allowed:
        yield f"axis {axis}: only the channel axis ({allowed[0]} or -1) is supported", None


@op_check("coreml-kernel-size",
          fix="Keep kernel height and width at most 16384: a kernel that spans a long sequence "
              "is better a FULLY_CONNECTED or a chain of smaller convolutions.")
def kernel_size(ctx: OpContext) -> Found:
    """Convolution weights may be at most 16384 in their 2nd and 3rd dimensions."""
    weights = _input(ctx, 1)
    if weights is not None and len(weights.shape) >= 3 and (
            weights.shape[1] > MAX_KERNEL_SIZE or weights.shape[2] > MAX_KERNEL_SIZE):
        yield (f"weights {list(weights.shape)}: kernel dimensions may be at most "
               f"{MAX_KERNEL_SIZE}", None)


@op_check("coreml-single-batch",
          fix="Feed FULLY_CONNECTED one row at a time: every input dimension but the last must "
              "be 1.")
def single_batch(ctx: OpContext) -> Found:
    """FULLY_CONNECTED runs as Core ML 2's single-batch inner product: every input
    dimension but the last must be 1."""
    source = _input(ctx, 0)
    if source is not None and source.shape and source.shape[-1] != source.element_count:
        yield (f"input {list(source.shape)} has more than one row; every dimension but the "
               "last must be 1", None)


@op_check("coreml-paddings",
          fix="Pad height and width only, with constant 4x2 paddings; use MIRROR_PAD only in "
              "REFLECT mode.")
def paddings(ctx: OpContext) -> Found:
    """PAD, PADV2, MIRROR_PAD: REFLECT mode for MIRROR_PAD, constant 4x2 paddings that pad
    neither batch nor channels."""
    if ctx.op.opcode.name == "MIRROR_PAD" and ctx.op.options.get("mode") != "REFLECT":
        yield (f"mirror mode {ctx.op.options.get('mode')}: only REFLECT is supported",
               "Only REFLECT mode is supported for MIRROR_PAD.")
        return
    padding = _input(ctx, 1)
    if padding is None:
        return
    name = padding.name
    if not ctx.is_constant(padding):
        yield ("the paddings must be a constant", f"{name}: Only constant padding is supported "
                                                  "for PAD.")
        return
    if list(padding.shape) != [4, 2]:
        yield (f"paddings of shape {list(padding.shape)}: only 4-D inputs (4x2 paddings) are "
               "supported", f"{name}: Only 4D inputs are supported for PAD.")
        return
    values = ctx.view.tensor_data(padding)
    if values is None:
        return
    values = [int(v) for v in values.reshape(-1)]
    if values[0] or values[1]:
        yield ("pads the batch dimension", f"{name}: Padding for batch dimension is not "
                                           "supported in PAD.")
    elif values[6] or values[7]:
        yield ("pads the channel dimension", f"{name}: Padding for channel dimension is not "
                                             "supported in PAD.")


@op_check("coreml-mean-axes",
          fix="Average a 4-D input over height and width (axes [1, 2]) with keep_dims=True, and "
              "RESHAPE after it if needed.")
def mean_axes(ctx: OpContext) -> Found:
    """MEAN: keep_dims, a 4-D input, averaging over height and width only."""
    if not ctx.op.options.get("keep_dims", False):
        yield ("keep_dims must be true", "keep_dims should be true for Mean op.")
        return
    source, axes = _input(ctx, 0), _input(ctx, 1)
    if source is None or len(source.shape) != 4:
        yield ("the input must be 4-D", "Mean op is only supported for 4D input.")
        return
    values = ctx.view.tensor_data(axes) if axes is not None else None
    if values is None:
        yield "the axes must be a constant", None
        return
    if any((int(axis) + 4) % 4 not in (1, 2) for axis in values.reshape(-1)):
        yield (f"axes {[int(a) for a in values.reshape(-1)]}: only height and width (1, 2) "
               "may be reduced", "Mean op should reduce for H and W dimensions.")


@op_check("coreml-reshape",
          fix="Core ML 3 (the default) takes no RESHAPE: keep reshapes at the model's edges so "
              "that the float graph between them stays one partition, or create the delegate "
              "with coreml_version = 2.")
def reshape(ctx: OpContext) -> Found:
    """RESHAPE is delegated only when the app targets Core ML 2 (coreml_version = 2); the
    default on iOS 13 and later is Core ML 3, where it is never delegated."""
    yield ("Core ML 3, the default target on iOS 13+, does not take RESHAPE (with "
           "coreml_version = 2 it does, for a constant 3- or 4-element INT32 shape)", None)


@op_check("coreml-resize-size",
          fix="Give RESIZE_BILINEAR a constant size (convert with fixed input shapes).")
def resize_size(ctx: OpContext) -> Found:
    """RESIZE_BILINEAR: the output size must be a constant."""
    size = _input(ctx, 1)
    if size is not None and not ctx.is_constant(size):
        yield (f"the size input '{size.name}' must be a constant",
               "Output size of ResizeBilinear should be constant.")


@op_check("coreml-static-tensors",
          fix="Make every value that sets an output size a constant (convert with fixed input "
              "shapes), or move such ops to the end of the model: the delegate takes nothing "
              "from the first dynamic-sized tensor's subgraph on.")
def static_tensors(ctx: OpContext) -> Found:
    """The delegate takes only static-sized tensors (no dynamic-tensor flag): a subgraph
    with an op whose output size depends on run-time values is not delegated, nor any
    later subgraph."""
    yield from static_tensor_reasons(ctx, DELEGATE)
