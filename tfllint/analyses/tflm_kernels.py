"""What each TFLite Micro reference kernel takes from the arena, besides its tensors.

Three kinds of allocation, per operator:
- the parsed builtin options struct (MicroBuiltinDataAllocator: persistent, the struct's
  own alignment);
- persistent buffers the kernel requests in Init and Prepare (its OpData, per-channel
  output multiplier and shift arrays of conv, depthwise, fully connected and transpose
  conv, lookup tables), each 16-byte aligned (MicroAllocator::AllocatePersistentBuffer);
- scratch buffers requested in Prepare (RequestScratchBufferInArena), which the memory
  planner places in the head like tensors, alive while their op runs.

The sizes are those of a 64-bit build of the reference kernels: tflite-micro's Python
interpreter (tflite-micro 0.dev20261023182759, the test oracle), measured op by op with
its RecordingMicroAllocator (one-op models; "Persistent buffer data" is the kernel's
persistent buffers, the unrecorded rest of the tail its options struct and scratch
handles) and cross-checked with the structs and Prepare functions in
tensorflow/lite/micro/kernels/*.cc. For a 32-bit build (word_size=32) the few that hold
pointers are resized (POINTER_SIZED, BATCH_MATMUL's TfLiteEvalTensor, pointer-sized
scratch); the other OpData structs are int32 fields mostly, rounded to 16 bytes, and are
kept as measured: an upper bound there. Ops not listed are estimated at
DEFAULT_COST. Optimized kernel libraries (CMSIS-NN, Xtensa) request more scratch than the
reference kernels; that is not modelled.
"""
from __future__ import annotations

from ..model import Operator
from ..records import record

# --- per op: (options struct bytes, its alignment, persistent buffers requested) ----------


@record
class KernelCost:
    options: int = 0
    options_alignment: int = 4
    persistent: tuple[int, ...] = ()


DEFAULT_COST = KernelCost(8, 4, (32,))  # an op not measured: a small options struct and OpData

_NONE = KernelCost()
COSTS: dict[str, KernelCost] = {
    **{op: _NONE for op in (
        "BROADCAST_TO", "CEIL", "COS", "EXP", "EXPAND_DIMS", "FILL", "FLOOR", "FLOOR_DIV",
        "FLOOR_MOD", "LOG", "LOGICAL_AND", "LOGICAL_NOT", "LOGICAL_OR", "MAXIMUM", "MINIMUM",
        "NEG", "REVERSE_V2", "ROUND", "SIN", "SLICE", "SQRT", "SQUARE", "TRANSPOSE",
        "ZEROS_LIKE", "LOG_SOFTMAX")},
    **{op: KernelCost(persistent=(32,)) for op in (
        "EQUAL", "NOT_EQUAL", "GREATER", "GREATER_EQUAL", "LESS", "LESS_EQUAL", "QUANTIZE",
        "DEQUANTIZE")},
    **{op: KernelCost(persistent=(28,)) for op in ("ABS", "RSQRT", "RELU", "PRELU")},
    **{op: KernelCost(persistent=(16,)) for op in ("LOGISTIC", "TANH")},
    **{op: KernelCost(4) for op in ("ARG_MAX", "ARG_MIN", "SPLIT", "SPLIT_V", "SHAPE")},
    **{op: KernelCost(8) for op in ("CAST", "PACK", "UNPACK")},
    **{op: KernelCost(36) for op in ("RESHAPE", "SQUEEZE")},
    **{op: KernelCost(2, 1) for op in ("RESIZE_BILINEAR", "RESIZE_NEAREST_NEIGHBOR")},
    **{op: KernelCost(40, 4, (32,)) for op in ("AVERAGE_POOL_2D", "MAX_POOL_2D")},
    **{op: KernelCost(1, 1, (44,)) for op in (
        "MEAN", "SUM", "REDUCE_MAX", "REDUCE_MIN", "REDUCE_PROD", "REDUCE_ANY", "REDUCE_ALL")},
    **{op: KernelCost(4, 4, (20,)) for op in ("DEPTH_TO_SPACE", "SPACE_TO_DEPTH")},
    "L2_POOL_2D": KernelCost(40, 4, (20,)),
    "ADD": KernelCost(8, 4, (60,)),
    "SUB": KernelCost(8, 4, (52,)),
    "MUL": KernelCost(4, 4, (36,)),
    "DIV": KernelCost(4, 4, (28,)),
    "ADD_N": _NONE,
    "BATCH_MATMUL": KernelCost(3, 1, (48,)),
    "CONCATENATION": KernelCost(8, 4, (80,)),
    "CONV_2D": KernelCost(28, 4, (80,)),
    "DEPTHWISE_CONV_2D": KernelCost(28, 4, (80,)),
    "TRANSPOSE_CONV": KernelCost(20, 4, (88,)),
    "FULLY_CONNECTED": KernelCost(32, 4, (72,)),
    "CUMSUM": KernelCost(2, 1),
    "ELU": KernelCost(persistent=(256,)),
    "GATHER": KernelCost(8, 4, (12,)),
    "GATHER_ND": KernelCost(persistent=(12,)),
    "HARD_SWISH": KernelCost(persistent=(20,)),
    "L2_NORMALIZATION": KernelCost(4, 4, (4,)),
    "LEAKY_RELU": KernelCost(4, 4, (24,)),
    "MIRROR_PAD": KernelCost(4, 4, (20,)),
    "PAD": KernelCost(persistent=(56,)),
    "PADV2": KernelCost(persistent=(56,)),
    "RELU6": KernelCost(persistent=(8,)),
    "SELECT_V2": KernelCost(persistent=(1,)),
    "SOFTMAX": KernelCost(4, 4, (80,)),
    "SQUARED_DIFFERENCE": KernelCost(persistent=(112,)),
    "STRIDED_SLICE": KernelCost(24, 4, (84,)),
    "WHILE": KernelCost(8, 4, (8,)),
    "IF": KernelCost(8, 4, (8,)),
    "CALL_ONCE": KernelCost(4, 4, (8,)),
    # Resource variables (kernels/var_handle.cc, read_variable.cc, assign_variable.cc):
    # VAR_HANDLE parses TfLiteVarHandleParams (two pointers: 16 B here, 8 B on a 32-bit
    # build, see kernel_allocations) and keeps its resource id (an int32 OpData) from
    # Init; READ_VARIABLE and ASSIGN_VARIABLE parse no options and keep no OpData, but in
    # a USE_TFLM_COMPRESSION build (the Python wheel is one, a 32-bit build by default is
    # not) ASSIGN_VARIABLE keeps its decompression scratch index (an int) from Init. The
    # variable's buffer, which ASSIGN_VARIABLE's Prepare allocates, and the
    # MicroResourceVariables table are model-wide: arena_tflm.py resource_variables.
    "VAR_HANDLE": KernelCost(16, 8, (4,)),
    "READ_VARIABLE": _NONE,
    "ASSIGN_VARIABLE": KernelCost(persistent=(4,)),
    # Custom ops, by custom code. ethos-u: the Ethos-U driver's OpData (3 ints); no options
    # struct (custom options are read in place).
    "CUSTOM:ethos-u": KernelCost(persistent=(12,)),
}

# Costs that hold pointers, for a build of another word size (32-bit: 4-byte pointers):
# VAR_HANDLE's TfLiteVarHandleParams, ASSIGN_VARIABLE's OpData of a compression build
# (a 32-bit build is taken to be without USE_TFLM_COMPRESSION, the Makefile's default).
POINTER_SIZED = {
    "VAR_HANDLE": lambda word_size: KernelCost(2 * word_size // 8, word_size // 8, (4,)),
    "ASSIGN_VARIABLE": lambda word_size: _NONE,
}

# Every op whose allocations depend on the word size (POINTER_SIZED, BATCH_MATMUL's
# TfLiteEvalTensor, pointer-sized scratch).
WORD_DEPENDENT = frozenset({*POINTER_SIZED, "BATCH_MATMUL", "ADD_N", "CUSTOM:ethos-u"})

# Ops whose persistent buffers depend on types or shapes: extra buffers beyond COSTS.
INT8_EXTRA = {"ADD_N": (40,), "CUMSUM": (36,), "LOG_SOFTMAX": (40,)}
INT16_SOFTMAX_TABLES = (1026, 1026)  # exp and 1/(1+x) lookup tables of 513 int16 each
# Filter dimension holding the output channels: per-channel multiplier and shift arrays.
PER_CHANNEL_AXIS = {"CONV_2D": 0, "DEPTHWISE_CONV_2D": 3, "TRANSPOSE_CONV": 0}
FILTER_INPUT = {"CONV_2D": 1, "DEPTHWISE_CONV_2D": 1, "TRANSPOSE_CONV": 1,
                "FULLY_CONNECTED": 1}


@record
class KernelAllocations:
    options: tuple[int, int]  # (bytes, alignment); (0, 1) for none
    persistent: tuple[int, ...]
    scratch: tuple[int, ...]  # RequestScratchBufferInArena sizes, in request order
    measured: bool  # False: the op is not in the table and DEFAULT_COST was used


def kernel_allocations(view, op: Operator, word_size: int = 64) -> KernelAllocations:
    """The op's allocations in a `word_size`-bit build (64: measured on the Python
    interpreter; 32: the pointer-holding ones of them resized, the rest as measured)."""
    name = op.opcode.name
    if name == "CUSTOM":
        name = f"CUSTOM:{op.opcode.custom_code}"
    cost = COSTS.get(name)
    measured = cost is not None
    cost = cost or DEFAULT_COST
    if word_size != 64 and name in POINTER_SIZED:
        cost = POINTER_SIZED[name](word_size)
    subgraph = view.subgraphs[op.subgraph]

    def tensor(position: int, outputs: bool = False):
        indices = op.outputs if outputs else op.inputs
        if position < len(indices) and indices[position] >= 0:
            return subgraph.tensors[indices[position]]
        return None

    data = tensor(0, outputs=False)
    dtype = data.dtype if data is not None else None
    if name == "TRANSPOSE_CONV":
        data = tensor(2)
        dtype = data.dtype if data is not None else None
    persistent = list(cost.persistent)
    scratch: list[int] = []
    persistent += _per_channel(name, tensor(FILTER_INPUT.get(name, 1)), dtype)
    if dtype == "INT8":
        persistent += INT8_EXTRA.get(name, ())
    if name == "SOFTMAX" and dtype == "INT16":
        persistent += INT16_SOFTMAX_TABLES
    if name == "BATCH_MATMUL":
        persistent += _transposed_operands(op, tensor, dtype, word_size)
    output = tensor(0, outputs=True)
    if name == "RESHAPE" and output is not None and -1 in output.shape:
        persistent.append(4 + 4 * len(output.shape))  # writable dims with the -1 resolved
    scratch += _scratch(name, op, tensor, dtype, word_size)
    options = (cost.options, cost.options_alignment) if cost.options else (0, 1)
    return KernelAllocations(options, tuple(persistent), tuple(scratch), measured)


def _transposed_operands(op: Operator, tensor, dtype: str | None,
                         word_size: int) -> list[int]:
    """batch_matmul.cc InitializeTemporaries: quantization data, and a persistent
    transposed copy (TfLiteEvalTensor, dims, data) of the LHS when adj_x and of the RHS
    unless adj_y: a constant RHS is copied into the arena."""
    extra = [28] if dtype in ("INT8", "INT16") else []
    eval_tensor = 24 if word_size == 64 else 12  # TfLiteEvalTensor: 2 pointers, an enum
    for position, transposed in ((0, bool(op.options.get("adj_x"))),
                                 (1, not op.options.get("adj_y"))):
        operand = tensor(position)
        if transposed and operand is not None:
            extra += [eval_tensor, 4 + 4 * len(operand.shape), operand.byte_size or 0]
    return extra


def _per_channel(name: str, weights, dtype: str | None) -> list[int]:
    if weights is None:
        return []
    if name in PER_CHANNEL_AXIS:  # allocated whatever the types (conv_common.cc etc.)
        axis = PER_CHANNEL_AXIS[name]
        # a corrupt negative dimension counts as none, as Tensor.element_count does
        channels = max(weights.shape[axis], 0) if axis < len(weights.shape) else 1
        return [4 * channels, 4 * channels]
    if name == "FULLY_CONNECTED" and dtype in ("INT8", "INT16"):
        scales = len(weights.quantization.scale) if weights.quantization else 0
        if scales > 1:  # per-channel only (fully_connected_common.cc)
            return [4 * scales, 4 * scales]
    return []


def _scratch(name: str, op: Operator, tensor, dtype: str | None,
             word_size: int) -> list[int]:
    """Scratch buffers the reference kernels request (in their request order)."""
    pointer = word_size // 8
    data, output = tensor(0), tensor(0, outputs=True)
    if name in ("MEAN", "SUM", "REDUCE_MAX", "REDUCE_MIN", "REDUCE_PROD", "REDUCE_ANY",
                "REDUCE_ALL"):
        axis = tensor(1)
        rank = len(data.shape) if data is not None else 0
        axes = axis.element_count if axis is not None else 0
        accumulator = []
        if name in ("MEAN", "SUM") and dtype in ("INT8", "INT16") and output is not None:
            accumulator = [4 * output.element_count]  # reduce_common.cc: int32 per output
        return accumulator + [4 * rank, 4 * axes]
    if name == "ADD_N":
        return [pointer * len([i for i in op.inputs if i >= 0])]  # one pointer per input
    if name == "MIRROR_PAD":
        rank = len(data.shape) if data is not None else 0
        return [4 * rank, 4 * rank]
    if name == "TRANSPOSE_CONV" and output is not None:
        if dtype == "INT8":
            return [4 * output.element_count]  # int32 accumulators
        if dtype == "INT16":
            bias = tensor(3)  # int16 biases are widened to int64 (after the accumulators)
            widened = [8 * bias.element_count] if bias is not None and bias.dtype == "INT16" \
                else []
            return [8 * output.element_count] + widened
    if name == "CUSTOM:ethos-u":  # ethosu.cc: base addresses (uint64) and sizes (size_t)
        addresses = len(op.inputs) + len(op.outputs)
        return [8 * addresses, pointer * addresses]
    if name in ("CONV_2D", "DEPTHWISE_CONV_2D", "FULLY_CONNECTED"):
        weights = tensor(1)
        if weights is not None and weights.dtype == "INT4":
            return [weights.element_count]  # unpacked to int8 before use
    return []
