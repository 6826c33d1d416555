"""Checks of the LiteRT GPU delegate (profile rules/targets/gpu.toml).

Each check is one case of `CheckGpuDelegateCompatibility` (tflite/tools/versioning/
gpu_compatibility.cc) as the classic delegate calls it at run time (standard broadcast
flags), or one rule of the delegate's own parsers and tensor filter
(tflite/delegates/gpu/common/model_builder.cc), at google-ai-edge/LiteRT@f67457790c9c.
Every check yields (tfllint's words, the delegate's log line "<OP>: <reason>"), the line
the delegate prints under "Following operations are not supported by GPU delegate:".
"""
from __future__ import annotations

import weakref
from typing import Iterator

from ...model import Operator, Tensor
from ...records import record
from . import OpContext, op_check

Found = Iterator[tuple[str, str]]

FLOAT_TYPES = ("FLOAT32", "FLOAT16")
QUANT_TYPES = ("INT8", "UINT8")  # accepted because the default options enable quantized ops
COMPARISONS = frozenset({"GREATER", "GREATER_EQUAL", "LESS", "LESS_EQUAL", "EQUAL",
                         "NOT_EQUAL"})  # model_builder.cc IsLogicalCode
MAX_RANK = 4  # IsAllAllowedTensors rejects any tensor with 5 or more dimensions
# TfLiteFusedActivation values, as the C++ messages print them.
ACTIVATION_NUMBERS = {"NONE": 0, "RELU": 1, "RELU_N1_TO_1": 2, "RELU6": 3, "TANH": 4,
                      "SIGN_BIT": 5}
DELEGATE = "the GPU delegate"


def _log(ctx: OpContext, reason: str) -> str:
    """The delegate's log line: GetOpNameByRegistration, then the status message."""
    code = ctx.op.opcode
    name = f"CUSTOM {code.custom_code}" if code.name == "CUSTOM" else code.name
    return f"{name}: {reason}"


def _dims(tensor: Tensor | None) -> list[int]:
    return list(tensor.shape) if tensor is not None else []


def _shape_text(tensor: Tensor | None) -> str:
    return "[" + ", ".join(str(d) for d in _dims(tensor)) + "]"


def _runtime_inputs(ctx: OpContext) -> int:
    """Inputs that are neither constant nor omitted (GetNumberOfRuntimeInputs)."""
    return sum(1 for t in ctx.inputs() if t is not None and not ctx.is_constant(t))


def _const_inputs(ctx: OpContext) -> int:
    return sum(1 for t in ctx.inputs() if ctx.is_constant(t))


def _input(ctx: OpContext, position: int) -> Tensor | None:
    return ctx.tensor(ctx.op.inputs[position]) if position < len(ctx.op.inputs) else None


def _inputs_outputs(ctx: OpContext, runtime: int, outputs: int) -> Found:
    """CheckInputsOutputs: exactly `runtime` non-constant inputs and `outputs` outputs."""
    have = _runtime_inputs(ctx)
    if have != runtime:
        yield (_count_words(ctx, runtime, have, "non-constant"),
               _log(ctx, f"Expected {runtime} runtime input tensor(s), but node has {have} "
                         "runtime input(s)."))
        return
    if len(ctx.op.outputs) != outputs:
        yield (f"gives {outputs} output(s); this one gives {len(ctx.op.outputs)}",
               _log(ctx, f"Expected {outputs} output tensor(s), but node has "
                         f"{len(ctx.op.outputs)} output(s)."))


def _inputs_consts_outputs(ctx: OpContext, runtime: int, consts: int, outputs: int) -> Found:
    """CheckInputsConstsOutputs: the constant count first, then CheckInputsOutputs."""
    have = _const_inputs(ctx)
    if have != consts:
        yield (_count_words(ctx, consts, have, "constant"),
               _log(ctx, f"Expected {consts} const input tensor(s), but node has {have} "
                         "const input(s)."))
        return
    yield from _inputs_outputs(ctx, runtime, outputs)


def _count_words(ctx: OpContext, wanted: int, have: int, kind: str) -> str:
    """tfllint's words for a wrong input count; names the computed input that should be
    a constant (a shape, axes, paddings, ...), the usual cause."""
    computed = [(position, tensor) for position, tensor in enumerate(ctx.inputs())
                if position > 0 and tensor is not None and not ctx.is_constant(tensor)]
    if computed and ((kind == "non-constant" and have > wanted)
                     or (kind == "constant" and have < wanted)):
        position, tensor = computed[0]
        return (f"input {position} ('{tensor.name}') must be a constant, but it is computed "
                "at run time")
    return f"takes {wanted} {kind} input(s); this one has {have}"


def _one_or_two_operands(ctx: OpContext) -> bool:
    """Two non-constant inputs, or one non-constant and one constant; one output."""
    return any(not any(_inputs_consts_outputs(ctx, runtime, consts, 1))
               for runtime, consts in ((2, 0), (1, 1)))


# -- operand counts -----------------------------------------------------------------------

@op_check("gpu-unary-operands",
          fix="Give {op} one computed input and one output; fold it into a constant when "
              "converting if its input is a constant.")
def unary_operands(ctx: OpContext) -> Found:
    """One-input elementwise ops (ABS, EXP, LOGISTIC, TANH, ...): one non-constant input,
    no constant, one output."""
    yield from _inputs_consts_outputs(ctx, 1, 0, 1)


@op_check("gpu-binary-operands",
          fix="Give {op} one output and at least one computed input: fold it into a constant "
              "when converting if both inputs are constants.")
def binary_operands(ctx: OpContext) -> Found:
    """Two-input elementwise ops (SUB, DIV, MAXIMUM, comparisons, ...): two non-constant
    inputs, or one non-constant and one constant; one output."""
    if not _one_or_two_operands(ctx):
        yield (f"takes two inputs of which at most one is constant, and one output; this one "
               f"has {_runtime_inputs(ctx)} non-constant and {_const_inputs(ctx)} constant "
               f"input(s), {len(ctx.op.outputs)} output(s)",
               _log(ctx, "Op can only handle 1 or 2 operand(s)."))


@op_check("gpu-one-runtime-input",
          fix="Make every input of {op} but the data a constant (shape, permutation, multiples): "
              "convert with fixed input shapes so that the converter folds them.")
def one_runtime_input(ctx: OpContext) -> Found:
    """Exactly one non-constant input and one output (RESHAPE, TRANSPOSE, TILE, CAST,
    QUANTIZE, pooling, ...): a shape, permutation or multiples input must be constant."""
    yield from _inputs_outputs(ctx, 1, 1)


@op_check("gpu-two-inputs", fix="Give {op} exactly two inputs and one output.")
def two_inputs(ctx: OpContext) -> Found:
    """ADD, ADD_N and MUL take exactly two inputs; BATCH_MATMUL two inputs, one output."""
    name, count = ctx.op.opcode.name, len(ctx.op.inputs)
    if name == "BATCH_MATMUL":
        if count != 2 or len(ctx.op.outputs) != 1:
            yield (f"takes 2 inputs and gives 1 output; this one has {count} and "
                   f"{len(ctx.op.outputs)}",
                   _log(ctx, f"Expected 2 inputs and 1 output, got: {count} inputs and "
                             f"{len(ctx.op.outputs)} outputs"))
    elif count != 2:
        reason = {"ADD": "ADD requires two input tensors.", "MUL": "MUL requires two input "
                  "tensors.", "ADD_N": "ADD_N only supports 2 inputs."}[name]
        yield f"takes exactly 2 inputs; this one has {count}", _log(ctx, reason)


@op_check("gpu-conv-operands",
          fix="Keep the convolution's weights input and a constant bias: the delegate takes at "
              "most two computed inputs (data and weights) and one output.")
def conv_operands(ctx: OpContext) -> Found:
    """Convolutions (CheckConvolutionInputOutput): one or two non-constant inputs (runtime
    weights are allowed), one output, and a weights input present."""
    runtime, outputs = _runtime_inputs(ctx), len(ctx.op.outputs)
    if not 1 <= runtime <= 2:
        yield (f"takes 1 or 2 non-constant inputs; this one has {runtime}",
               _log(ctx, f"Expected 1 or 2 input tensor(s), but node has {runtime} runtime "
                         "inputs."))
    elif outputs != 1:
        yield (f"gives 1 output; this one gives {outputs}",
               _log(ctx, f"Expected 1 output tensor(s), but node has {outputs} runtime "
                         "outputs."))
    elif runtime == 1 and len(ctx.op.inputs) <= 1:
        yield ("has no weights input",
               _log(ctx, f"Requested index goes beyond array size: 1 vs {len(ctx.op.inputs)}"))


# -- broadcasting, axes, parameters -------------------------------------------------------

@op_check("gpu-broadcast",
          fix="Give both inputs of {op} the same rank: RESHAPE the smaller one with a constant "
              "shape first (for example [c] to [1, 1, 1, c]).")
def broadcast(ctx: OpContext) -> Found:
    """ADD and MUL inputs of different ranks (both above 1) broadcast only as 4-D with 3-D
    (batch 1), 4-D [1,h,w,c] with 2-D [1,1], or 4-D [b,h,w,c] with 2-D [b,c]: the classic
    delegate runs with standard broadcast flags (the offline analyzer assumes enhanced)."""
    if len(ctx.op.inputs) != 2:
        return
    first, second = _dims(_input(ctx, 0)), _dims(_input(ctx, 1))
    if len(first) <= 1 or len(second) <= 1 or len(first) == len(second):
        return
    longer, shorter = (first, second) if len(first) >= len(second) else (second, first)
    ok = (len(longer) == 4 and len(shorter) == 3 and longer[0] == 1) or (
        len(longer) == 4 and len(shorter) == 2 and longer[0] == 1 and shorter == [1, 1]) or (
        len(longer) == 4 and len(shorter) == 2 and longer[0] == shorter[0]
        and longer[3] == shorter[1])
    if not ok:
        yield (f"cannot broadcast {first} with {second}: across ranks the delegate "
               "broadcasts only 3-D to 4-D with batch 1, [1,1] to [1,h,w,c], or [b,c] to "
               "[b,h,w,c]",
               _log(ctx, f"Doesn't support broadcasting - input0: [{','.join(map(str, first))}]"
                         f", input1: [{','.join(map(str, second))}]"))


@op_check("gpu-constant-axes",
          fix="Give the reduction constant INT32 axes (convert with fixed input shapes so that "
              "the converter folds computed ones).")
def constant_axes(ctx: OpContext) -> Found:
    """Reductions (MEAN, SUM, REDUCE_MAX/MIN/PROD): one non-constant input, axes a constant
    int32 tensor, one output."""
    counts = list(_inputs_consts_outputs(ctx, 1, 1, 1))
    if counts:
        yield from counts
        return
    axes = _input(ctx, 1)
    if axes is not None and not ctx.is_constant(axes):
        yield (f"the axes input '{axes.name}' must be a constant",
               _log(ctx, f"{ctx.op.opcode.name} is only supported with constant axes."))
    elif axes is not None and axes.dtype != "INT32":
        yield (f"the axes input '{axes.name}' is {axes.dtype}; it must be INT32",
               _log(ctx, f"{ctx.op.opcode.name} supports int32 tensor for axes. But node has "
                         f"{axes.dtype}"))


@op_check("gpu-positive-params",
          fix="Give {op} strides, dilations and kernel sizes of at least 1 (a converter always "
              "writes its options; a model without them was edited or is broken).")
def positive_params(ctx: OpContext) -> Found:
    """Strides, dilations (convolutions) and kernel sizes (pooling) must be at least 1; an
    op without an options table has them all 0."""
    options, name = ctx.op.options, ctx.op.opcode.name
    if name in ("AVERAGE_POOL_2D", "MAX_POOL_2D"):
        height, width = options.get("filter_height", 0), options.get("filter_width", 0)
        if height <= 0 or width <= 0:
            yield (f"kernel {height}x{width}: kernel sizes must be at least 1",
                   _log(ctx, f"Incorrect kernel values: kernel_height = {height}, "
                             f"kernel_width = {width}"))
            return
    stride_h, stride_w = options.get("stride_h", 0), options.get("stride_w", 0)
    if stride_h <= 0 or stride_w <= 0:
        yield (f"strides {stride_h}x{stride_w}: strides must be at least 1",
               _log(ctx, f"Incorrect stride values: stride_height = {stride_h}, "
                         f"stride_width = {stride_w}"))
        return
    if name in ("CONV_2D", "DEPTHWISE_CONV_2D"):
        dilation_h = options.get("dilation_h_factor", 0)
        dilation_w = options.get("dilation_w_factor", 0)
        if dilation_h <= 0 or dilation_w <= 0:
            yield (f"dilation {dilation_h}x{dilation_w}: dilations must be at least 1",
                   _log(ctx, f"Incorrect dilation values: dilation_height = {dilation_h}, "
                             f"dilation_width = {dilation_w}"))


@op_check("gpu-block-size", fix="{op} with block size 1 does nothing: remove it.")
def block_size(ctx: OpContext) -> Found:
    """DEPTH_TO_SPACE and SPACE_TO_DEPTH need block_size > 1 (1 is a no-op)."""
    size, name = ctx.op.options.get("block_size", 0), ctx.op.opcode.name
    if size == 1:
        yield ("block_size 1 is a no-op; remove the op",
               _log(ctx, f"{name} block_size = 1 is a no-op."))
    elif size < 1:
        yield (f"block_size {size}: it must be greater than 1",
               _log(ctx, f"{name} block_size must be > 1."))


# -- one op each --------------------------------------------------------------------------

@op_check("gpu-depthwise-shapes",
          fix="Give DEPTHWISE_CONV_2D 4-D input, filter and output with matching batch and "
              "channels (output channels = input channels x depth_multiplier = filter channels) "
              "and one bias value per output channel.")
def depthwise_shapes(ctx: OpContext) -> Found:
    """DEPTHWISE_CONV_2D: input, filter and output are 4-D, with matching batch and
    channels (output channels = input channels x depth_multiplier = filter channels, bias
    size = output channels; an omitted bias counts as size 1)."""
    if not ctx.op.outputs:
        return
    source, weights, output = _input(ctx, 0), _input(ctx, 1), ctx.outputs()[0]
    for role, tensor in (("input", source), ("filter", weights), ("output", output)):
        if len(_dims(tensor)) != 4:
            yield (f"the {role} is not 4-D ({_shape_text(tensor)})",
                   _log(ctx, f"{role}.dims.size != 4"))
            return
    if source.shape[0] != output.shape[0]:
        yield ("input and output batch differ", _log(ctx, "input.b != output.b"))
        return
    multiplier = ctx.op.options.get("depth_multiplier", 0)
    if weights.shape[3] != output.shape[3]:
        yield ("filter channels differ from output channels", _log(ctx, "filter.i != output.c"))
    elif output.shape[3] != source.shape[3] * multiplier:
        yield (f"output channels {output.shape[3]} != input channels {source.shape[3]} x "
               f"depth_multiplier {multiplier}",
               _log(ctx, "output.c != input.c * depth_multiplier"))
    elif len(ctx.op.inputs) > 2:
        bias = _input(ctx, 2)
        size = 1
        for dim in _dims(bias):
            size *= dim
        if size != output.shape[3]:
            yield (f"bias has {size} element(s), output has {output.shape[3]} channels",
                   _log(ctx, "bias.size != output.c"))


@op_check("gpu-fully-connected",
          fix="Convert FULLY_CONNECTED with the default weights format, the data as input 0 and "
              "at most one more computed input; with keep_num_dims, keep the output's rank equal "
              "to the input's (or RESHAPE after it).")
def fully_connected(ctx: OpContext) -> Found:
    """FULLY_CONNECTED: default weights format, at most two non-constant inputs, a
    non-constant input 0, and with keep_num_dims input and output of the same rank."""
    options = ctx.op.options
    if options.get("weights_format", "DEFAULT") != "DEFAULT":
        yield (f"weights format {options['weights_format']}: only DEFAULT is supported",
               _log(ctx, "Unsupported FullyConnected weights format: 1"))
        return
    if _runtime_inputs(ctx) > 2:
        yield ("more than two non-constant inputs (the bias must be a constant)",
               _log(ctx, "FullyConnected doesn't support more than 2 runtime inputs."))
        return
    source = _input(ctx, 0)
    if ctx.is_constant(source):
        yield (f"input 0 ('{source.name}') is a constant; the delegate needs it computed",
               _log(ctx, "FullyConnected doesn't support constant input."))
        return
    if options.get("keep_num_dims") and ctx.outputs() and \
            len(_dims(source)) != len(_dims(ctx.outputs()[0])):
        yield ("keep_num_dims with input and output of different rank",
               _log(ctx, "Input and output dimensions different and FullyConnected doesn't "
                         "support keep_num_dims."))


@op_check("gpu-gather",
          fix="Gather with 1-D INT32 indices and at most one constant input (fold a GATHER of "
              "constants when converting).")
def gather(ctx: OpContext) -> Found:
    """GATHER: at most one constant of two inputs, 1-D INT32 indices."""
    if not _one_or_two_operands(ctx):
        yield ("takes two inputs of which at most one is constant, and one output",
               _log(ctx, "Op can only handle 1 or 2 operand(s)."))
        return
    indices = _input(ctx, 1)
    if len(_dims(indices)) != 1:
        yield (f"indices have shape {_shape_text(indices)}; only 1-D indices are supported",
               _log(ctx, "Only support 1D indices"))
    elif indices.dtype != "INT32":
        yield (f"indices are {indices.dtype}; only INT32 indices are supported",
               _log(ctx, "Only accept INT32 indices"))


@op_check("gpu-bool-cast",
          fix="Feed the BOOL tensor to this CAST alone, and its float output to exactly one op "
              "(repeat the comparison and the cast for each consumer).")
def bool_cast(ctx: OpContext) -> Found:
    """A CAST from BOOL to float must read a tensor that one op writes and only this cast
    reads, and its output must feed exactly one op (model_builder.cc CastOperationParser)."""
    inputs, outputs = ctx.inputs(), ctx.outputs()
    if not inputs or inputs[0] is None or not outputs:
        return
    if inputs[0].dtype != "BOOL" or outputs[0].dtype not in FLOAT_TYPES:
        return
    producer = ctx.view.producer(ctx.op.subgraph, ctx.op.inputs[0])
    readers = ctx.view.consumers(ctx.op.subgraph, ctx.op.inputs[0])
    if producer is None or len(readers) != 1:
        yield ("a cast from BOOL must read a tensor that one op writes and only this cast "
               "reads", _log(ctx, "Not supported cast case"))
    elif len(ctx.view.consumers(ctx.op.subgraph, ctx.op.outputs[0])) != 1:
        yield ("a cast from BOOL must feed exactly one op (casts to model outputs run on the "
               "CPU)", _log(ctx, "Cast from bool not supported for outputs"))


@op_check("gpu-cast",
          fix="Cast only between BOOL and FLOAT16/FLOAT32, or between FLOAT32 and INT32; move "
              "other casts to the model's edges or into the app.")
def cast(ctx: OpContext) -> Found:
    """CAST: BOOL -> FLOAT16/32, FLOAT16/32 -> BOOL, or between FLOAT32 and INT32."""
    inputs, outputs = ctx.inputs(), ctx.outputs()
    if not inputs or inputs[0] is None or not outputs:
        return
    source, target = inputs[0].dtype, outputs[0].dtype
    ok = (source == "BOOL" and target in FLOAT_TYPES) or (
        source in FLOAT_TYPES and target == "BOOL") or (
        source in ("FLOAT32", "INT32") and target in ("FLOAT32", "INT32"))
    if not ok:
        yield (f"casts {source} to {target}; the delegate casts only BOOL<->FLOAT and "
               "FLOAT32<->INT32", _log(ctx, f"Not supported Cast case. Input type: {source} "
                                            f"and output type: {target}"))


@op_check("gpu-logical-consumer",
          fix="Let the comparison feed exactly one op, a CAST to float or a SELECT/SELECT_V2 "
              "with a float output: the delegate keeps no BOOL tensor between its ops.")
def logical_consumer(ctx: OpContext) -> Found:
    """Comparisons (GREATER, EQUAL, ...) run only when exactly one op reads the result and
    it is a CAST, SELECT or SELECT_V2 with a float output (ElementwiseOperationParser)."""
    readers = ctx.view.consumers(ctx.op.subgraph, ctx.op.outputs[0]) if ctx.op.outputs else ()
    if len(readers) != 1:
        yield (f"its result must feed exactly one op (a CAST or SELECT to float); it feeds "
               f"{len(readers)}", _log(ctx, "Not supported logical op case"))
        return
    reader = readers[0]
    written = ctx.view.tensor(reader.subgraph, reader.outputs[0]) if reader.outputs else None
    if reader.opcode.name not in ("CAST", "SELECT", "SELECT_V2") or written is None \
            or written.dtype not in FLOAT_TYPES:
        yield (f"its result feeds {reader.name} (op {reader.index}); the delegate runs a "
               "comparison only in front of a CAST or SELECT to float",
               _log(ctx, "Not supported logical op case."))


@op_check("gpu-cumsum",
          fix="Run CUMSUM on float data with one type in and out, and a constant INT32 axis.")
def cumsum(ctx: OpContext) -> Found:
    """CUMSUM: float input and output of the same type, a constant INT32 axis."""
    inputs, outputs = ctx.inputs(), ctx.outputs()
    if len(inputs) != 2 or len(outputs) != 1:
        yield "takes 2 inputs and gives 1 output", _log(ctx, "Expects 2 inputs and 1 output")
        return
    data, axis = inputs
    if data is None or axis is None or data.dtype not in FLOAT_TYPES \
            or outputs[0].dtype != data.dtype or axis.dtype != "INT32" \
            or not ctx.is_constant(axis):
        yield ("needs a float input and output of one type and a constant INT32 axis",
               _log(ctx, "Input/output must be float type and indices must be constant int32 "
                         "type"))


@op_check("gpu-densify",
          fix="Give DENSIFY its constant sparse tensor as its only input, as the converter "
              "writes it.")
def densify(ctx: OpContext) -> Found:
    """DENSIFY: its only input is the constant sparse tensor; one output."""
    yield from _inputs_outputs(ctx, 0, 1)


@op_check("gpu-dequantize",
          fix="Dequantize 8-bit or FLOAT16 data, one input to one output; an INT16 DEQUANTIZE "
              "runs on the CPU.")
def dequantize(ctx: OpContext) -> Found:
    """DEQUANTIZE: one input, one output, not INT16."""
    inputs, outputs = ctx.inputs(), ctx.outputs()
    if len(inputs) != 1 or len(outputs) != 1:
        yield ("takes one input and gives one output",
               _log(ctx, f"Expected 1 input & output each from Dequantize, got: {len(inputs)}, "
                         f"{len(outputs)}"))
    elif inputs[0] is not None and inputs[0].dtype == "INT16":
        yield "INT16 input is not supported", _log(ctx, "Unsupported dequantization type.")


@op_check("gpu-lstm",
          fix="Convert the LSTM in its full form (20 or 24 inputs, TANH activation); a basic "
              "LSTM needs TANH, no clipping and a depth that is a multiple of 4.")
def lstm(ctx: OpContext) -> Found:
    """LSTM: the full kernel needs 20 or 24 inputs, one output and a TANH activation; the
    basic kernel 3 non-constant and 2 constant inputs, 4 outputs, TANH, no clipping and an
    activation depth that is a multiple of 4."""
    options = ctx.op.options
    activation = options.get("fused_activation_function", "NONE")
    number = ACTIVATION_NUMBERS.get(activation, activation)
    if options.get("kernel_type", "FULL") == "FULL":
        count = len(ctx.op.inputs)
        if count not in (20, 24):
            yield (f"the full LSTM kernel takes 20 or 24 inputs; this one has {count}",
                   _log(ctx, f"Expected 20 or 24 input tensors, but node has {count} input(s)."))
        elif len(ctx.op.outputs) != 1:
            yield ("the full LSTM kernel gives one output",
                   _log(ctx, f"Expected 1 output tensor, but node has {len(ctx.op.outputs)} "
                             "output(s)."))
        elif activation != "TANH":
            yield (f"activation {activation}: only sigmoid or tanh is supported",
                   _log(ctx, "Only sigmoid or tanh activation is supported, but node has "
                             f"{number}"))
        return
    counts = list(_inputs_consts_outputs(ctx, 3, 2, 4))
    if counts:
        yield from counts
        return
    depth = _dims(ctx.outputs()[3])
    if depth and depth[-1] % 4:
        yield (f"activation depth {depth[-1]} is not a multiple of 4",
               _log(ctx, "BasicLSTM activation depth must be a multiple of 4."))
    elif activation != "TANH":
        yield (f"activation {activation}: only TANH is supported",
               _log(ctx, f"Only TANH activation is supported. but node has {number}"))
    elif options.get("cell_clip", 0.0):
        yield "cell_clip is not supported", _log(ctx, "cell_clip is not supported.")
    elif options.get("proj_clip", 0.0):
        yield "proj_clip is not supported", _log(ctx, "proj_clip is not supported.")


@op_check("gpu-one-hot",
          fix="Use INT32 indices and axis -1, with constant scalar FLOAT32 on and off values.")
def one_hot(ctx: OpContext) -> Found:
    """ONE_HOT: INT32 indices, axis -1 (or equal to the last dimension's size, as the
    source compares), only batch and last dimensions above 1, constant scalar FLOAT32
    on/off values."""
    reason = _log(ctx, "Indices must be int32 type, on/off tensors must be constant, scalar, "
                       "float type, axis must be -1 or last dim")
    inputs = ctx.inputs()
    if len(inputs) != 4 or len(ctx.op.outputs) != 1:
        yield "takes 4 inputs and gives 1 output", _log(ctx, "Expects 4 inputs and 1 output")
        return
    indices, _, on_value, off_value = inputs
    if indices is None or indices.dtype != "INT32":
        yield "indices must be INT32", reason
        return
    dims, axis = _dims(indices), ctx.op.options.get("axis", 0)
    if axis != -1 and (not dims or axis != dims[-1]):
        yield f"axis {axis}: only the last axis (-1) is supported", reason
        return
    for position in range(len(dims) - 1):
        if not (len(dims) > 3 and position == 0) and dims[position] != 1:
            yield (f"indices dimension {position} is {dims[position]}; only batch and the last "
                   "dimension may exceed 1", _log(ctx, f"Unsupported non-singleton dim at "
                                                       f"{position}"))
            return
    for value in (on_value, off_value):
        if value is None or value.dtype != "FLOAT32" or not ctx.is_constant(value) \
                or len(value.shape) > 1 or (value.shape and value.shape[0] > 1):
            yield "on and off values must be constant FLOAT32 scalars", reason
            return


@op_check("gpu-select",
          fix="Give SELECT/SELECT_V2 a BOOL or float condition that broadcasts to the output, "
              "and branches of the output's shape or scalars (a 2-D branch must be constant).")
def select(ctx: OpContext) -> Found:
    """SELECT / SELECT_V2: a BOOL or float condition that broadcasts to the output; each
    branch has the output's shape or is a scalar, and a 2-D branch must be constant."""
    reason = _log(ctx, "Cond must be float or bool type, if, else tensors must either be the "
                       "same shape as output or constant, scalar.")
    inputs, outputs = ctx.inputs(), ctx.outputs()
    if len(inputs) != 3 or len(outputs) != 1 or None in inputs:
        yield "takes 3 inputs and gives 1 output", _log(ctx, "Expected 3 inputs and 1 output")
        return
    condition, then_value, else_value = inputs
    output_dims = _dims(outputs[0])
    if condition.dtype not in ("BOOL", *FLOAT_TYPES):
        yield f"condition is {condition.dtype}; it must be BOOL or float", reason
        return
    cond_dims = _dims(condition)
    offset = len(output_dims) - len(cond_dims)
    if cond_dims and (offset < 0 or any(dim != output_dims[offset + i] and dim != 1
                                         for i, dim in enumerate(cond_dims))):
        yield (f"condition {cond_dims} does not broadcast to the output {output_dims}", reason)
        return
    for label, branch in (("if", then_value), ("else", else_value)):
        dims = _dims(branch)
        if dims and dims != output_dims and (len(dims) > 1 or dims[0] > 1):
            yield (f"the {label} branch {dims} neither has the output's shape {output_dims} nor "
                   "is a scalar", reason)
            return
        if not ctx.is_constant(branch) and len(dims) == 2:
            yield (f"a 2-D {label} branch must be a constant",
                   _log(ctx, f"2-D {label} tensor only supported if constant."))
            return


@op_check("gpu-slice",
          fix="Slice a 3-D or 4-D tensor (RESHAPE to 4-D around the SLICE), with its begin and "
              "size inputs.")
def slice_op(ctx: OpContext) -> Found:
    """SLICE: begin and size inputs present, a 3-D or 4-D input."""
    if len(ctx.op.inputs) < 3:
        yield ("needs begin and size inputs",
               _log(ctx, f"SLICE requires 3 inputs, but node has {len(ctx.op.inputs)} inputs."))
        return
    rank = len(_dims(_input(ctx, 0)))
    if rank not in (3, 4):
        yield (f"the input is {rank}-D; only 3-D and 4-D inputs are supported",
               _log(ctx, "SLICE supports for 3 or 4 dimensional tensors only, but node has "
                         f"{rank} dimensional tensors."))


def strided_slice_form(ctx: OpContext, name: str, shrink_words: str) -> Found:
    """What both GPU paths refuse in any STRIDED_SLICE: an ellipsis, new-axis or
    shrink-axis mask, or begin, end and strides inputs missing. `name` and `shrink_words`
    are how the path's message words the op and the shrink-axis case (the classic
    delegate and ML Drift differ by a word and a space)."""
    options = ctx.op.options
    for mask, words in (("ellipsis_mask", "ellipsis_mask."), ("new_axis_mask", "new_axis_mask."),
                        ("shrink_axis_mask", f"shrink_axis_mask {shrink_words}")):
        if options.get(mask):
            yield (f"{mask} = {options[mask]} is not supported (slice without it, then RESHAPE "
                   "with a constant shape)", _log(ctx, f"{name} does not support {words}"))
            return
    if len(ctx.op.inputs) < 4:
        yield "needs begin, end and strides inputs", _log(ctx, "STRIDED_SLICE requires 4 inputs.")


@op_check("gpu-strided-slice",
          fix="Slice a 3-D or 4-D tensor without ellipsis, new-axis or shrink-axis masks (keep "
              "the dimensions, then RESHAPE with a constant shape).")
def strided_slice(ctx: OpContext) -> Found:
    """STRIDED_SLICE: no ellipsis, new-axis or shrink-axis mask; begin, end and strides
    inputs present; a 3-D or 4-D input."""
    refused = list(strided_slice_form(ctx, "StridedSlice", "parameter."))
    if refused:
        yield from refused
        return
    rank = len(_dims(_input(ctx, 0)))
    if rank not in (3, 4):
        yield (f"the input is {rank}-D; only 3-D and 4-D inputs are supported",
               _log(ctx, "STRIDED_SLICE supports for 3 or 4 dimensional tensors only."))


@op_check("gpu-resize",
          fix="Give the resize a constant size, and set at most one of align_corners and "
              "half_pixel_centers.")
def resize(ctx: OpContext) -> Found:
    """RESIZE_BILINEAR / RESIZE_NEAREST_NEIGHBOR: one non-constant input (the size is a
    constant) and, for bilinear, not both align_corners and half_pixel_centers."""
    counts = list(_inputs_outputs(ctx, 1, 1))
    if counts:
        yield from counts
        return
    options = ctx.op.options
    if ctx.op.opcode.name == "RESIZE_BILINEAR" and options.get("align_corners") \
            and options.get("half_pixel_centers"):
        yield ("align_corners and half_pixel_centers are both set; convert with only one",
               _log(ctx, "If half_pixel_centers is True, align_corners must be False."))


@op_check("gpu-paddings",
          fix="Give the pad constant 4x2 (or 3x2) paddings; use MIRROR_PAD only in REFLECT mode.")
def paddings(ctx: OpContext) -> Found:
    """PAD, PADV2, MIRROR_PAD: REFLECT mode for MIRROR_PAD, one non-constant input (the
    paddings are a constant), paddings of shape 4x2 or 3x2."""
    if ctx.op.opcode.name == "MIRROR_PAD" and ctx.op.options.get("mode") != "REFLECT":
        yield (f"mirror mode {ctx.op.options.get('mode')}: only REFLECT is supported",
               _log(ctx, "Only Reflective padding is supported for Mirror Pad operation. But "
                         "node has 1"))
        return
    counts = list(_inputs_outputs(ctx, 1, 1))
    if counts:
        yield from counts
        return
    if len(ctx.op.inputs) < 2:
        yield ("has no paddings input",
               _log(ctx, f"Requested index goes beyond array size: 1 vs {len(ctx.op.inputs)}"))
        return
    dims = _dims(_input(ctx, 1))
    if len(dims) != 2:
        yield (f"paddings are {len(dims)}-D; they must be 2-D",
               _log(ctx, f"Invalid paddings tensor dimension: expected 2 dim, got {len(dims)} "
                         "dim"))
    elif dims[0] not in (3, 4) or dims[1] != 2:
        yield (f"paddings have shape {dims[0]}x{dims[1]}; the delegate pads 3-D or 4-D tensors "
               "(4x2 or 3x2)", _log(ctx, f"Invalid paddings tensor shape: expected 4x2 or 3x2, "
                                         f"got {dims[0]}x{dims[1]}"))


@op_check("gpu-custom-op",
          fix="Give the MediaPipe custom op the inputs, outputs and options its GPU parser "
              "expects (the reason says which), as MediaPipe's converter writes them.")
def custom_op(ctx: OpContext) -> Found:
    """The custom ops the delegate parses (MediaPipe's): Convolution2DTransposeBias needs a
    weights input and its options; MaxPoolingWithArgmax2D one input and two outputs;
    MaxUnpooling2D two inputs; Resampler 4-D src and warp of one batch, warp channels >= 2."""
    name = ctx.op.opcode.custom_code
    has_options = ctx.op.custom_options_size > 0
    missing = ("the custom options (strides, kernel) are missing",
               _log(ctx, "Unable to retrieve custom_initial_data."))
    if name == "Convolution2DTransposeBias":
        if len(ctx.op.inputs) <= 1:
            yield ("has no weights input", _log(ctx, "Requested index goes beyond array size: "
                                                     f"1 vs {len(ctx.op.inputs)}"))
        elif not has_options:
            yield missing
    elif name == "MaxPoolingWithArgmax2D":
        if not has_options:
            yield ("the custom options (strides, kernel) are missing",
                   _log(ctx, "Unable to retrieve builtin_data."))
            return
        yield from _inputs_outputs(ctx, 1, 2)
    elif name == "MaxUnpooling2D":
        counts = list(_inputs_outputs(ctx, 2, 1))
        yield from counts
        if not counts and not has_options:
            yield missing
    elif name == "Resampler":
        counts = list(_inputs_outputs(ctx, 2, 1))
        if counts:
            yield from counts
            return
        source, warp = _dims(_input(ctx, 0)), _dims(_input(ctx, 1))
        if len(source) != 4 or len(warp) != 4:
            yield "src and warp must be 4-D", _log(ctx, "src or warp dims size != 4")
        elif source[0] != warp[0]:
            yield "src and warp batch differ", _log(ctx, "src.b != warp.b")
        elif warp[3] < 2:
            yield "warp needs at least 2 channels", _log(ctx, "warp.c < 2")


# -- the tensor filter --------------------------------------------------------------------

def _allowed_types(name: str) -> tuple[set[str], set[str]]:
    """GetOpsToReplace's allowed input and output types for non-constant tensors."""
    inputs = set(FLOAT_TYPES) | set(QUANT_TYPES)
    outputs = set(inputs)
    if name in COMPARISONS:
        outputs.add("BOOL")
    if name == "CAST":
        inputs |= {"BOOL", "INT32"}
        outputs |= {"INT32", "BOOL"}
    if name in ("ONE_HOT", "GATHER"):
        inputs.add("INT32")
    if name in ("SELECT", "SELECT_V2"):
        inputs.add("BOOL")
    if name == "LOGICAL_AND":
        inputs.add("BOOL")
        outputs.add("BOOL")
    return inputs, outputs


@op_check("gpu-tensor-filter",
          fix="Keep BOOL and INT32 tensors where the delegate takes them (BOOL from comparisons "
              "into CAST or SELECT, INT32 indices into GATHER and ONE_HOT), and constants at "
              "rank 4 or less.")
def tensor_filter(ctx: OpContext) -> Found:
    """The part of the delegate's tensor filter that the profile's dtypes and max_rank do not
    say: extra types allowed only on one side (BOOL out of comparisons, INT32 indices into
    GATHER and ONE_HOT, a BOOL condition into SELECT), and no constant tensor of rank 5+."""
    inputs_ok, outputs_ok = _allowed_types(ctx.op.opcode.name)
    listed = set(ctx.support.dtypes or ctx.profile.dtypes or ()) if ctx.support else set()
    reason = _log(ctx, "OP is supported, but tensor type/shape isn't compatible.")
    seen: set[tuple[str, str]] = set()
    for role, allowed, tensors in (("input", inputs_ok, ctx.inputs()),
                                   ("output", outputs_ok, ctx.outputs())):
        for tensor in tensors:
            if tensor is None:
                continue
            if ctx.is_constant(tensor):
                if len(tensor.shape) > MAX_RANK and ("rank", role) not in seen:
                    seen.add(("rank", role))
                    yield (f"constant {role} '{tensor.name}' has rank {len(tensor.shape)}; at "
                           f"most {MAX_RANK}", reason)
            elif tensor.dtype in listed and tensor.dtype not in allowed \
                    and (role, tensor.dtype) not in seen:
                seen.add((role, tensor.dtype))
                yield (f"{role} '{tensor.name}' is {tensor.dtype}; {ctx.op.opcode.name} "
                       f"{role}s may be {', '.join(sorted(allowed))}", reason)


# -- static tensors -----------------------------------------------------------------------

# Inputs whose values (not just shapes) set an output's size: when such an input is not
# known before the first run, the kernel marks its output dynamic-sized in Prepare
# (SetTensorToDynamic in tflite/kernels/<op>.cc).
SHAPE_INPUTS = {
    "RESHAPE": (1,), "BROADCAST_TO": (1,), "FILL": (0,), "RANGE": (0, 1, 2), "TILE": (1,),
    "PAD": (1,), "PADV2": (1,), "MIRROR_PAD": (1,), "SLICE": (1, 2),
    "STRIDED_SLICE": (1, 2, 3), "TRANSPOSE": (1,), "SPLIT": (0,), "SPLIT_V": (1, 2),
    "EXPAND_DIMS": (1,), "ONE_HOT": (1,), "RESIZE_BILINEAR": (1,),
    "RESIZE_NEAREST_NEIGHBOR": (1,), "TOPK_V2": (1,), "SPACE_TO_BATCH_ND": (1, 2),
    "BATCH_TO_SPACE_ND": (1, 2), "ARG_MAX": (1,), "ARG_MIN": (1,), "MEAN": (1,),
    "SUM": (1,), "REDUCE_MAX": (1,), "REDUCE_MIN": (1,), "REDUCE_PROD": (1,),
    "REDUCE_ANY": (1,), "REDUCE_ALL": (1,), "TRANSPOSE_CONV": (0,), "SCATTER_ND": (2,),
    "SPARSE_TO_DENSE": (1,), "UNSORTED_SEGMENT_SUM": (1, 2), "UNSORTED_SEGMENT_MAX": (1, 2),
    "UNSORTED_SEGMENT_MIN": (1, 2), "UNSORTED_SEGMENT_PROD": (1, 2),
    "SEGMENT_SUM": (0, 1), "WHERE": (0,), "NON_MAX_SUPPRESSION_V4": (2,),
    "NON_MAX_SUPPRESSION_V5": (2,),
}
ALWAYS_DYNAMIC = frozenset({"UNIQUE"})
# Outputs known before the first run: SHAPE and RANK always; these when every input is
# (the kernels' SetTensorToPersistentRo).
ALWAYS_KNOWN = frozenset({"SHAPE", "RANK"})
KNOWN_WHEN_INPUTS_KNOWN = frozenset({"BROADCAST_ARGS", "CONCATENATION", "GATHER", "MUL",
                                     "RANGE", "REDUCE_PROD", "RESHAPE", "STRIDED_SLICE",
                                     "TILE"})


@record
class DynamicTensor:
    subgraph: int
    op: Operator
    tensor: int
    why: str


def _first_dynamic(view, subgraph_index: int, visiting: frozenset[int] = frozenset()
                   ) -> DynamicTensor | None:
    """The first op output (in execution order) Prepare would make dynamic-sized."""
    subgraph = view.model.subgraphs[subgraph_index]
    known = {t.index for t in subgraph.tensors if t.is_constant}
    for op in subgraph.operators:
        name = op.opcode.name
        why = None
        if name in ALWAYS_DYNAMIC:
            why = f"{name} output sizes depend on the input values"
        for position in SHAPE_INPUTS.get(name, ()):
            if why is None and position < len(op.inputs) and op.inputs[position] >= 0 \
                    and op.inputs[position] not in known:
                tensor = subgraph.tensors[op.inputs[position]]
                why = (f"its input {position} ('{tensor.name}') sets the output size but is "
                       "computed at run time")
        if why is None and name == "TOPK_V2" and op.inputs and op.inputs[0] >= 0 \
                and subgraph.tensors[op.inputs[0]].is_dynamic:
            why = "its input has a dimension unknown until run time"
        if why is None and name in ("WHILE", "IF"):
            why = _control_flow_dynamic(view, op, visiting | {subgraph_index})
        if why is not None:
            output = next((t for t in op.outputs if t >= 0), -1)
            return DynamicTensor(subgraph_index, op, output, why)
        inputs_known = all(t < 0 or t in known for t in op.inputs)
        if name in ALWAYS_KNOWN or (name in KNOWN_WHEN_INPUTS_KNOWN and inputs_known):
            known.update(t for t in op.outputs if t >= 0)
    return None


def _control_flow_dynamic(view, op: Operator, visiting: frozenset[int]) -> str | None:
    """WHILE outputs are dynamic when the body changes a loop value's shape; IF outputs
    when the branches give different shapes; both when a called subgraph is dynamic."""
    called = [s for s in op.called_subgraphs if s not in visiting]
    for index in called:
        inner = _first_dynamic(view, index, visiting)
        if inner is not None:
            return f"subgraph {index}, which it runs, has a dynamic-sized tensor"
    subgraphs = view.model.subgraphs
    if op.opcode.name == "WHILE" and len(op.called_subgraphs) == 2:
        body = subgraphs[op.called_subgraphs[1]]
        for before, after in zip(body.inputs, body.outputs):
            old, new = body.tensors[before].shape, body.tensors[after].shape
            if old != new and (old[:1] or (0,))[0] + (new[:1] or (0,))[0] != 1:
                return (f"its body (subgraph {op.called_subgraphs[1]}) changes a loop value "
                        f"from {list(old)} to {list(new)}")
    if op.opcode.name == "IF" and len(op.called_subgraphs) == 2:
        then_branch, else_branch = (subgraphs[i] for i in op.called_subgraphs)
        for first, second in zip(then_branch.outputs, else_branch.outputs):
            if then_branch.tensors[first].shape != else_branch.tensors[second].shape:
                return "its branches give outputs of different shapes"
    return None


_DYNAMIC: "weakref.WeakKeyDictionary" = weakref.WeakKeyDictionary()


def first_dynamic_subgraph(view) -> DynamicTensor | None:
    """The first subgraph (in the interpreter's order) with a dynamic-sized tensor: the
    interpreter stops applying a static-only delegate there (Interpreter::
    ModifyGraphWithDelegateImpl breaks on the first failing subgraph)."""
    if view not in _DYNAMIC:
        found = None
        for index in range(len(view.model.subgraphs)):
            found = _first_dynamic(view, index)
            if found is not None:
                break
        _DYNAMIC[view] = (found,)
    return _DYNAMIC[view][0]


STATIC_ONLY = ("Attempting to use a delegate that only supports static-sized tensors with a "
               "graph that has dynamic-sized tensors (tensor#{tensor} is a dynamic-sized "
               "tensor).")


def static_tensor_reasons(ctx: OpContext, delegate: str) -> Found:
    """Shared by the static-only delegates (GPU, Core ML)."""
    found = first_dynamic_subgraph(ctx.view)
    if found is None or ctx.op.subgraph < found.subgraph:
        return
    op = found.op
    where = f"op {op.index} {op.name}" + (f" in subgraph {found.subgraph}"
                                          if found.subgraph else "")
    tool = STATIC_ONLY.format(tensor=found.tensor)
    if ctx.op.subgraph == found.subgraph:
        yield (f"{where} makes tensor #{found.tensor} dynamic-sized ({found.why}); "
               f"{delegate} takes only static-sized tensors, so it is not applied to this "
               "subgraph (convert with fixed shapes so shape inputs are constants)", tool)
    else:
        yield (f"{delegate} is not applied from subgraph {found.subgraph} on: {where} makes "
               f"tensor #{found.tensor} dynamic-sized ({found.why})", tool)


@op_check("gpu-static-tensors",
          fix="Make every value that sets an output size a constant (convert with fixed input "
              "shapes), or move such ops to the end of the model: the delegate takes nothing "
              "from the first dynamic-sized tensor's subgraph on.")
def static_tensors(ctx: OpContext) -> Found:
    """The delegate takes only static-sized tensors: when an op's output size depends on
    values known only at run time (RESHAPE to a computed shape, WHERE, UNIQUE, a loop that
    grows a value, ...), the delegate is refused for that subgraph and every later one."""
    yield from static_tensor_reasons(ctx, DELEGATE)
