"""Checks of the LiteRT CompiledModel GPU accelerator, ML Drift (rules/targets/gpu-mldrift.toml).

Each op check is one rule of the ML Drift delegate's default pipeline at
google-ai-edge/LiteRT@f67457790c9c (identical at v2.2.0): the tensor filter of
GetOpsToReplaceWithOptions and a parser's IsSupported in
ml_drift_delegate/tflite/model_builder.cc, or the composite factory of
ml_drift_delegate/delegate/composite/custom_parsers.cc. The rules it shares with the
classic GPU delegate (gpu_compatibility.cc) are the gpu-* checks of checks/gpu.py. Every
check yields (tfllint's words, the log line "<OP>: <reason>" under "Following operations
are not supported by GPU delegate:").

The mldrift-bug-* checks find the static precondition of a failure reported against a
release ([bugs] of the profile, TFL306); they do not decide whether the op runs.
"""
from __future__ import annotations

from typing import Iterator

from ...model import Tensor
from . import OpContext, op_check
from .gpu import _log, strided_slice_form

Found = Iterator[tuple[str, str]]

MAX_RANK = 4  # IsAllAllowedTensors: "Tensor dimensions must be less than 5."
INTS = ("INT8", "INT16", "INT32")  # add_int_types
UINTS = ("UINT8", "UINT16", "UINT32")  # add_uint_types
FLOATS = ("FLOAT32", "FLOAT16")
# GetOpsToReplaceWithOptions with allow_quant_ops = true and allow_bool_tensors = true,
# as every backend calls it (delegate_*.cc DelegatePrepare)
INPUT_TYPES = (*FLOATS, "BOOL", "INT2", "INT4", "INT8", "UINT8")
OUTPUT_TYPES = (*FLOATS, "INT8", "UINT8")
COMPARE_OPS = frozenset({"GREATER", "GREATER_EQUAL", "LESS", "LESS_EQUAL", "EQUAL",
                         "NOT_EQUAL"})  # IsCompareOpCode
LOGICAL_OPS = frozenset({"LOGICAL_AND", "LOGICAL_OR", "LOGICAL_NOT", "BITWISE_XOR"})
BF16_OPS = frozenset({"ABS", "ADD", "ATAN2", "STABLEHLO_CBRT", "CEIL", "STABLEHLO_CLAMP",
                      "CONV_2D", "COS", "DIV", "EXP", "FLOOR", "GATHER", "LOG", "LOGISTIC",
                      "MAXIMUM", "MINIMUM", "MUL", "NEG", "POW", "ROUND", "RSQRT", "SIGN",
                      "SIN", "SQRT", "SUB", "TANH"})  # IsBf16SupportedOp
INT_OPS = frozenset({"ABS", "ADD", "ATAN2", "COS", "DIV", "FLOOR_DIV", "FLOOR_MOD", "MAXIMUM",
                     "MINIMUM", "MUL", "NEG", "REDUCE_MAX", "REDUCE_MIN", "REDUCE_PROD",
                     "RIGHT_SHIFT", "SIGN", "SIN", "STABLEHLO_CLAMP", "SUB", "SUM",
                     "STABLEHLO_REMAINDER", "TILE"})  # IsIntSupportedOp
ALL_PRECISION_OPS = frozenset({"STABLEHLO_BROADCAST_IN_DIM", "BITCAST", "CAST",
                               "CONCATENATION", "DYNAMIC_UPDATE_SLICE", "GATHER", "PACK",
                               "PAD", "PADV2", "RESHAPE", "REVERSE_V2", "SELECT",
                               "SELECT_V2", "SLICE", "STRIDED_SLICE",
                               "TRANSPOSE"})  # SupportAllPrecisionOp
# CustomOperationParserFactory (custom_parsers.cc): names it parses, SupportsIntegerTypes,
# SupportsBoolTypes
FACTORY_OPS = frozenset({"odml.cache_update", "odml.runtime_bmm", "odml.sdpa_transposed",
                         "moe", "odml.rope"})
BOOL_COMPOSITES = frozenset({"odml.sdpa_transposed"})
# NewOperationParser's kTfLiteBuiltinStablehloComposite case, then the factory
COMPOSITES = frozenset({"odml.group_norm", "odml.rms_norm",
                        "odml.scaled_dot_product_attention",
                        "custom_call.rotary_positional_embedding"}) | FACTORY_OPS


def _input(ctx: OpContext, position: int) -> Tensor | None:
    return ctx.tensor(ctx.op.inputs[position]) if position < len(ctx.op.inputs) else None


def _quantized(tensor: Tensor) -> bool:
    return tensor.quantization is not None and tensor.quantization.is_quantized


def _allowed_types(ctx: OpContext) -> tuple[set[str], set[str]]:
    """The input and output types the tensor filter allows for this op's non-constant
    tensors, with every per-op widening of GetOpsToReplaceWithOptions, in its order."""
    name = ctx.op.opcode.name
    inputs, outputs = set(INPUT_TYPES), set(OUTPUT_TYPES)
    composite = ctx.op.options.get("name") if name == "STABLEHLO_COMPOSITE" else \
        ctx.op.opcode.custom_code if name == "CUSTOM" else None
    if name == "ARG_MAX":
        outputs = {"INT32"}
    if name in ("REDUCE_ALL", "REDUCE_ANY"):
        inputs, outputs = {"BOOL"}, {"BOOL"}
    if name in ("EMBEDDING_LOOKUP", "ONE_HOT", "DYNAMIC_UPDATE_SLICE"):
        inputs.add("INT32")
    if name in COMPARE_OPS:
        inputs |= {*INTS, *UINTS}
        outputs.add("BOOL")
    if name in LOGICAL_OPS:
        inputs, outputs = {"BOOL", *INTS}, {"BOOL", *INTS}
    if name == "TOPK_V2":
        outputs.add("INT32")
    if name in BF16_OPS:
        inputs.add("BFLOAT16")
        outputs.add("BFLOAT16")
    if name in INT_OPS or name == "STABLEHLO_SHIFT_LEFT":
        inputs |= set(INTS)
        outputs |= set(INTS)
    if name == "STABLEHLO_COMPOSITE" and composite in BOOL_COMPOSITES:
        inputs.add("BOOL")
        outputs.add("BOOL")
    if composite in FACTORY_OPS:
        inputs.add("INT32")
    if name in ALL_PRECISION_OPS:
        for side in (inputs, outputs):
            side |= {*INTS, *UINTS, "BOOL", "BFLOAT16"}
    return inputs, outputs


@op_check("mldrift-tensor-filter",
          fix="Keep the tensors of {op} in types the GPU accelerator takes (float, 8-bit "
              "quantized, BOOL and INT32 where the op allows them; never INT64: compute "
              "indices and lengths in INT32) and at rank 4 or less (fold leading dimensions "
              "of size 1, or merge axes into the batch).")
def tensor_filter(ctx: OpContext) -> Found:
    """The tensor filter (IsAllAllowedTensors): no input or output, constant or not, of rank
    5 or more; non-constant inputs and outputs of an allowed type (variable tensors are not
    in the arena and are not type-checked). The first failing tensor, inputs first."""
    inputs_ok, outputs_ok = _allowed_types(ctx)
    for role, allowed, tensors in (("input", inputs_ok, ctx.inputs()),
                                   ("output", outputs_ok, ctx.outputs())):
        for tensor in tensors:
            if tensor is None:
                continue
            if len(tensor.shape) > MAX_RANK:
                yield (f"{role} '{tensor.name}' has rank {len(tensor.shape)}; the accelerator "
                       f"takes rank {MAX_RANK} at most",
                       _log(ctx, f"Tensor dimensions must be less than 5. {tensor.name}"))
                return
            if not ctx.is_constant(tensor) and not tensor.is_variable \
                    and tensor.dtype not in allowed:
                yield (f"{role} '{tensor.name}' is {tensor.dtype}; {ctx.op.opcode.name} {role}s "
                       f"may be {', '.join(sorted(allowed))}",
                       _log(ctx, f"Tensor type({tensor.dtype}) is not supported. {tensor.name}"))
                return


def _broadcastable(first: tuple[int, ...], second: tuple[int, ...]) -> bool:
    """Right-aligned (NumPy) broadcasting: IsBroadcastable, CheckIsBroadcastable."""
    for a, b in zip(reversed(first), reversed(second)):
        if a != b and a != 1 and b != 1:
            return False
    return True


@op_check("mldrift-broadcast",
          fix="Give both inputs of {op} shapes that broadcast (NumPy rules, right-aligned).")
def broadcast(ctx: OpContext) -> Found:
    """Two computed inputs of different rank must broadcast right-aligned
    (ElementwiseOperationParser, gpu_compatibility.cc with kEnhancedBroadcast)."""
    first, second = _input(ctx, 0), _input(ctx, 1)
    if first is None or second is None or ctx.is_constant(first) or ctx.is_constant(second):
        return
    if len(first.shape) != len(second.shape) and not _broadcastable(first.shape, second.shape):
        yield (f"inputs {list(first.shape)} and {list(second.shape)} do not broadcast",
               _log(ctx, "Inputs dimensions sizes don't match, broadcasting isn't applicable."))


@op_check("mldrift-elementwise-constant",
          fix="Make the one-element constant operand of {op} FLOAT32, FLOAT16, quantized "
              "8-bit or INT32 (an INT64 scalar comes from PyTorch export: cast it when "
              "converting).")
def elementwise_constant(ctx: OpContext) -> Found:
    """A one-element constant operand must read as a float or an INT32 scalar
    (CanParseInputsWithConstTensor)."""
    for tensor in (_input(ctx, 0), _input(ctx, 1)):
        if tensor is None or not ctx.is_constant(tensor) or tensor.element_count != 1:
            continue
        if tensor.dtype in FLOATS or tensor.dtype == "INT32" or (
                _quantized(tensor) and tensor.dtype in ("INT8", "UINT8", "INT4")):
            continue
        yield (f"constant operand '{tensor.name}' is a {tensor.dtype} scalar; the accelerator "
               "reads a scalar operand as float or INT32 only",
               _log(ctx, "Can't parse inputs with const tensors."))


@op_check("mldrift-runtime-input",
          fix="Give {op} a computed data input (and computed start indices for "
              "DYNAMIC_UPDATE_SLICE): an op on constants only should be folded when converting.")
def runtime_input(ctx: OpContext) -> Found:
    """CONV_2D and SLICE need a non-constant input 0; DYNAMIC_UPDATE_SLICE non-constant
    start indices (input 2)."""
    name = ctx.op.opcode.name
    position, reason = {"CONV_2D": (0, "input must be a runtime tensor"),
                        "SLICE": (0, "Constant input is not supported."),
                        "DYNAMIC_UPDATE_SLICE": (2, "start_indices must be a runtime tensor")
                        }.get(name, (None, None))
    tensor = _input(ctx, position) if position is not None else None
    if tensor is not None and ctx.is_constant(tensor):
        yield f"input {position} ('{tensor.name}') is a constant", _log(ctx, reason)


@op_check("mldrift-batch-matmul",
          fix="Give BATCH_MATMUL a computed left operand and a computed or constant right "
              "operand of rank 2 to 4 (for a constant left operand, swap the operands and "
              "transpose, or use FULLY_CONNECTED).")
def batch_matmul(ctx: OpContext) -> Found:
    """BatchedMatMulOperationParser: two computed inputs, or a computed input 0 with a
    constant input 1 of rank 2, 3 or 4."""
    first, second = _input(ctx, 0), _input(ctx, 1)
    if first is None or second is None:
        return
    runtime = sum(1 for t in (first, second) if not ctx.is_constant(t))
    if runtime == 1 and not ctx.is_constant(second):
        yield ("input 0 is a constant and input 1 computed; the accelerator takes a constant "
               "only as input 1", _log(ctx, "Not supported batched mat mul case: non-constant "
                                            "tensor"))
    elif runtime == 1 and len(second.shape) not in (2, 3, 4):
        yield (f"constant input 1 has rank {len(second.shape)}; 2 to 4 are supported",
               _log(ctx, "Not supported batched mat mul case: second input has unsupported "
                         "rank"))
    elif runtime == 0:
        yield ("both inputs are constants", _log(ctx, "Not supported batched mat mul case: "
                                                      "too many inputs"))


@op_check("mldrift-select",
          fix="Give SELECT/SELECT_V2 a BOOL or float condition and branches of the output's "
              "shape or of one element.")
def select(ctx: OpContext) -> Found:
    """SELECT / SELECT_V2 (SelectV2OperationParser's own CheckGpuDelegateCompatibility, not
    the classic one): three inputs and one output, a BOOL, FLOAT16 or FLOAT32 condition, each
    branch of the output's shape or a scalar or one-element vector; any input may be
    constant."""
    inputs, outputs = ctx.inputs(), ctx.outputs()
    if len(inputs) != 3 or len(outputs) != 1 or None in inputs:
        yield "takes 3 inputs and gives 1 output", _log(ctx, "Expected 3 inputs and 1 output")
        return
    reason = _log(ctx, "Cond must be float or bool type, if, else tensors must be either be "
                       "same the shape as output or constant, scalar.")
    if inputs[0].dtype not in ("BOOL", *FLOATS):
        yield f"the condition is {inputs[0].dtype}; it must be BOOL or float", reason
        return
    for label, branch in (("if", inputs[1]), ("else", inputs[2])):
        dims = list(branch.shape)
        if dims and dims != list(outputs[0].shape) and (len(dims) > 1 or dims[0] > 1):
            yield (f"the {label} branch {dims} neither has the output's shape "
                   f"{list(outputs[0].shape)} nor is a scalar", reason)
            return


@op_check("mldrift-strided-slice",
          fix="Slice without ellipsis, new-axis or shrink-axis masks (keep the dimensions, "
              "then RESHAPE with a constant shape), with begin, end and strides for every "
              "axis.")
def strided_slice(ctx: OpContext) -> Found:
    """STRIDED_SLICE (StridedSliceOperationParser's own CheckGpuDelegateCompatibility): no
    ellipsis, new-axis or shrink-axis mask; begin, end and strides inputs; as many begin
    values as the input has axes, or one fewer (the batch left out)."""
    refused = list(strided_slice_form(ctx, "Slice", "parameter. "))
    if refused:
        yield from refused
        return
    source, begin = _input(ctx, 0), _input(ctx, 1)
    if source is None or begin is None or not begin.shape:
        return
    if len(source.shape) not in (begin.shape[0], begin.shape[0] + 1):
        yield (f"{begin.shape[0]} begin values for a rank-{len(source.shape)} input",
               _log(ctx, "STRIDED_SLICE input/params dimensions mismatch."))


@op_check("mldrift-transpose", fix="Transpose tensors of rank 2 to 4 (a constant permutation).")
def transpose(ctx: OpContext) -> Found:
    """TRANSPOSE: a permutation of 2 to 4 axes."""
    perm = _input(ctx, 1)
    if perm is not None and ctx.is_constant(perm) and perm.element_count not in (2, 3, 4):
        yield (f"permutation of {perm.element_count} axes; 2 to 4 are supported",
               _log(ctx, "Permutation for transpose is invalid."))


@op_check("mldrift-embedding-lookup",
          fix="Store the EMBEDDING_LOOKUP table as FLOAT32, or as quantized INT8/INT4 with its "
              "scales (a float16 table is refused).")
def embedding_lookup(ctx: OpContext) -> Found:
    """EMBEDDING_LOOKUP: the table (input 1) is FLOAT32, or INT8/INT4/INT2 with quantization
    parameters."""
    table = _input(ctx, 1)
    if table is None:
        return
    if table.dtype != "FLOAT32" and not _quantized(table):
        yield (f"table '{table.name}' is {table.dtype} without quantization parameters",
               _log(ctx, "EMBEDDING_LOOKUP: Empty quantization params."))
    elif table.dtype not in ("FLOAT32", "INT8", "INT4", "INT2"):
        yield (f"table '{table.name}' is {table.dtype}",
               _log(ctx, "EMBEDDING_LOOKUP: Unsupported weights type."))


@op_check("mldrift-dequantize",
          fix="Dequantize constant weights of rank 2 to 4; a computed tensor must be "
              "quantized per tensor (one scale); store sparse weights dense (convert without "
              "sparsity) so that no DENSIFY feeds the DEQUANTIZE.")
def dequantize(ctx: OpContext) -> Found:
    """DEQUANTIZE: a constant input of rank 2 to 4; a computed input with one scale."""
    source = _input(ctx, 0)
    if source is None:
        return
    if ctx.is_constant(source):
        if not 2 <= len(source.shape) <= 4:
            yield (f"constant input has rank {len(source.shape)}; 2 to 4 are supported",
                   _log(ctx, f"Unsupported dims for tensor: {source.name} Got dims:"
                             f"{len(source.shape)}"))
        return
    scales = source.quantization.scale if source.quantization is not None else ()
    if not scales:  # a DENSIFY output (sparse weights): no parameters
        yield ("the computed input has no quantization parameters (the output of DENSIFY, "
               "which the accelerator does not run)",
               _log(ctx, "Dequantize for Densify is not supported"))
    elif len(scales) > 1:
        yield (f"the computed input is quantized per channel ({len(scales)} scales)",
               _log(ctx, "Unsupported quantization scale size"))


@op_check("mldrift-composite",
          fix="Only the odml.* composites the accelerator knows run on it (odml.group_norm, "
              "odml.rms_norm, odml.scaled_dot_product_attention, odml.rope, "
              "odml.cache_update, odml.runtime_bmm, odml.sdpa_transposed, moe): convert other "
              "composites to their decomposition.")
def composite(ctx: OpContext) -> Found:
    """STABLEHLO_COMPOSITE: one of the names NewOperationParser or the composite factory
    parses; any other is refused with its own name as the reason."""
    name = ctx.op.options.get("name")
    if name not in COMPOSITES:
        yield (f"composite {name!r} has no parser in the accelerator", _log(ctx, str(name)))


# -- static preconditions of reported failures (TFL306) -----------------------------------

@op_check("mldrift-bug-pad-rank3",
          fix="Pad at rank 4: RESHAPE to [1, d0, d1, d2] with a constant shape, PAD, and "
              "RESHAPE back.")
def bug_pad_rank3(ctx: OpContext) -> Iterator[str]:
    """PAD of a rank-3 tensor with non-zero padding on axis 0 or 1 (LiteRT#9272)."""
    source, paddings = _input(ctx, 0), _input(ctx, 1)
    if ctx.op.opcode.name != "PAD" or source is None or len(source.shape) != 3 \
            or paddings is None:
        return
    values = ctx.view.tensor_data(paddings) if ctx.is_constant(paddings) else None
    if values is None or values.size != 6:
        return
    pads = values.reshape(3, 2).tolist()
    axes = [axis for axis in (0, 1) if any(pads[axis])]
    if axes:
        yield (f"pads the rank-3 tensor '{source.name}' {list(source.shape)} along axis "
               f"{' and '.join(map(str, axes))}, not only the innermost")


@op_check("mldrift-bug-mixed-rank",
          fix="RESHAPE the lower-rank operand of {op} to the other's rank (leading 1s) with a "
              "constant shape.")
def bug_mixed_rank(ctx: OpContext) -> Iterator[str]:
    """ADD or MUL of two computed operands of different rank (LiteRT#8980)."""
    first, second = _input(ctx, 0), _input(ctx, 1)
    if ctx.op.opcode.name not in ("ADD", "MUL") or first is None or second is None \
            or ctx.is_constant(first) or ctx.is_constant(second):
        return
    if len(first.shape) != len(second.shape):
        yield (f"adds operands of rank {len(first.shape)} ({list(first.shape)}) and "
               f"{len(second.shape)} ({list(second.shape)})"
               if ctx.op.opcode.name == "ADD" else
               f"multiplies operands of rank {len(first.shape)} ({list(first.shape)}) and "
               f"{len(second.shape)} ({list(second.shape)})")


def _dynamic_range_weights(ctx: OpContext, weights: Tensor | None) -> bool:
    return (weights is not None and ctx.is_constant(weights) and weights.dtype == "INT8"
            and _quantized(weights))


@op_check("mldrift-bug-drq-fc-rank3-add",
          fix="Keep the FULLY_CONNECTED input rank 2, or RESHAPE it to rank 4 before the "
              "FULLY_CONNECTED and the ADD; or ship float weights for the GPU.")
def bug_drq_fc_rank3_add(ctx: OpContext) -> Iterator[str]:
    """A dynamic-range quantized FULLY_CONNECTED (constant INT8 weights, float input) on a
    rank-3 input whose output feeds an ADD (LiteRT#9277)."""
    source, weights = _input(ctx, 0), _input(ctx, 1)
    if ctx.op.opcode.name != "FULLY_CONNECTED" or source is None or not ctx.op.outputs \
            or len(source.shape) != 3 or source.dtype != "FLOAT32" \
            or not _dynamic_range_weights(ctx, weights):
        return
    adds = [op for op in ctx.view.consumers(ctx.op.subgraph, ctx.op.outputs[0])
            if op.opcode.name == "ADD"]
    if adds:
        yield (f"dynamic-range quantized (INT8 weights '{weights.name}') on the rank-3 input "
               f"'{source.name}' {list(source.shape)}, and its output feeds ADD (op "
               f"{adds[0].index})")


@op_check("mldrift-bug-fc-dequantize-weights",
          fix="Store the weights as float16 + DEQUANTIZE or float32, or give the "
              "FULLY_CONNECTED its INT8 weights directly.")
def bug_fc_dequantize_weights(ctx: OpContext) -> Iterator[str]:
    """A FULLY_CONNECTED whose weights are the output of a DEQUANTIZE of constant INT8
    data (LiteRT#9523); float16 weights through DEQUANTIZE are folded and compile."""
    if ctx.op.opcode.name != "FULLY_CONNECTED" or len(ctx.op.inputs) < 2 \
            or ctx.op.inputs[1] < 0:
        return
    producer = ctx.view.producer(ctx.op.subgraph, ctx.op.inputs[1])
    if producer is None or producer.opcode.name != "DEQUANTIZE" or not producer.inputs:
        return
    source = ctx.tensor(producer.inputs[0])
    if source is not None and source.is_constant and source.dtype == "INT8":
        yield (f"its weights come from DEQUANTIZE (op {producer.index}) of the INT8 constant "
               f"'{source.name}'")
