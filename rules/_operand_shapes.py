"""Operand shapes a builtin kernel's Prepare refuses, judged from the shapes it would see.

The facts (which ops, which operands, the kernel source) are
rules/data/kernel_operand_shapes.toml; this module has one function per `kind` of check
there, each yielding Defect(op, tensor, text) for one op.

The runtime recomputes the shape of every tensor an op writes in that op's Prepare, so the
shape a kernel sees for such a tensor is that op's result, not necessarily the file's.
`Shapes` knows a tensor's shape only where it is certain: a constant, a graph input of the
entry subgraph whose shape_signature has no -1, a tensor no op writes, or a tensor an
earlier op of a kind in [propagate] writes, recomputed from known input shapes whatever
the file says (DEQUANTIZE's only when it equals the file's). Everywhere else it is
unknown and no check judges the op.

ai-edge-litert applies XNNPACK by default, and for convolutions and pools XNNPACK's
reshape and the kernel's Prepare can differ (a window larger than the input: the kernel
gives an empty output, XNNPACK one row or a refusal). Such an op's output is a set of
alternatives, one per path, REFUSED where that path refuses the model; a check reports an
op only when it refuses under every combination of its inputs' alternatives (those
already REFUSED count as refused).
"""
from __future__ import annotations

import itertools
import math
from typing import Callable, Iterator, NamedTuple

from tfllint.model import Operator, Tensor

DATA = "kernel_operand_shapes"
REFUSED = "refused"  # an alternative on which an earlier op already refuses the model
MAX_ALTERNATIVES = 8
MAX_POOLING_SIZE = 1 << 16  # past it XNNPACK's indirection buffer may not be allocated


class Defect(NamedTuple):
    op: Operator
    tensor: Tensor | None
    text: str  # e.g. "the bias has 6 elements for the filter's 4 output units"
    micro: str = ""  # what TFLite Micro does, where it is worse, e.g. "divides by zero"


Shape = tuple[int, ...]


def broadcast_shape(first: Shape, second: Shape) -> Shape | None:
    """CalculateShapeForBroadcast (tflite/kernels/kernel_util.cc), None where it refuses."""
    rank = max(len(first), len(second))
    out = []
    for i in range(rank):
        a = first[len(first) - 1 - i] if i < len(first) else 1
        b = second[len(second) - 1 - i] if i < len(second) else 1
        if not (a == b or a == 1 or b == 1):
            return None
        out.append(0 if 0 in (a, b) else max(a, b))
    return tuple(reversed(out))


def _out_size(padding, size: int, filter_size: int, stride: int,
              dilation: int) -> int | None:
    """ComputeOutSizeChecked (tflite/kernels/padding.h), None where it fails."""
    if size < 0 or filter_size < 1 or stride < 1 or dilation < 1:
        return None
    effective = (filter_size - 1) * dilation + 1
    if padding == "SAME":
        value = (size + stride - 1) // stride
    elif padding == "VALID":
        numerator = size + stride - effective
        value = -((-numerator) // stride) if numerator < 0 else numerator // stride
    else:
        return None
    return value if 0 <= value <= 2**31 - 1 else None


def _xnnpack_out_size(padding, size: int, filter_size: int, stride: int,
                      dilation: int, convolution: bool) -> int | str | None:
    """XNNPACK's output size (google/XNNPACK src/operators/convolution-nhwc.c,
    max-pooling-nhwc.c, average-pooling-nhwc.c reshape): SAME divide_round_up(size,
    stride); VALID xnn_compute_convolution_output_dimension, doz(size, effective) / stride
    + 1, where a convolution first refuses a kernel larger than the padded input. REFUSED
    for an input of size 0, None for parameters it is not judged on."""
    if filter_size < 1 or stride < 1 or dilation < 1 or size < 0:
        return None
    if size == 0:
        return REFUSED  # "input dimensions must be non-zero"
    effective = (filter_size - 1) * dilation + 1
    if padding == "SAME":
        return -(-size // stride)
    if padding != "VALID":
        return None
    if convolution and size < effective:
        return REFUSED  # "the padded input ... is smaller than the effective kernel"
    return max(size - effective, 0) // stride + 1


class _Fixed:
    """The shapes of one combination of an op's input alternatives, as checks read them."""

    def __init__(self, view, values: tuple) -> None:
        self.view, self.values = view, values

    def seen(self, op: Operator, slot: int) -> Shape | None:
        return self.values[slot] if slot < len(self.values) else None


class Shapes:
    """The shapes the kernels of one model see, where the file fixes them."""

    def __init__(self, view, propagate: dict) -> None:
        self.view = view
        self.kinds = {op: kind for kind, ops in propagate.items() for op in ops}
        self.entries = {0} | {s.subgraph for s in view.model.signatures}
        self.cache: dict[tuple[int, int], frozenset | None] = {}

    def alternatives(self, op: Operator, slot: int) -> frozenset | None:
        """The shapes op's kernel may see for its input `slot` (REFUSED among them where
        an earlier op refuses on that path), or None when not known."""
        if slot >= len(op.inputs) or op.inputs[slot] < 0:
            return None
        index = op.inputs[slot]
        producer = self.view.producer(op.subgraph, index)
        if producer is not None and producer.index >= op.index:
            # read before written (TFL002): in a cycle (the writer depends on this op)
            # this op's Prepare comes first and sees the file's shape; otherwise XNNPACK
            # may order the writer first (its computed shape) or the plan keeps the file's
            # order (the file's shape)
            tensor = self.view.tensor(op.subgraph, index)
            if tensor.is_dynamic or min(tensor.shape, default=0) < 0:
                return None
            filed = frozenset({tuple(tensor.shape)})
            if self._depends(producer, op):
                return filed
            computed = self.shape(op.subgraph, index)
            return None if computed is None else computed | filed
        return self.shape(op.subgraph, index)

    def _depends(self, later: Operator, op: Operator) -> bool:
        """Whether `later` reads, through the ops before it, a tensor `op` writes."""
        view, seen = self.view, set()
        pending = [later]
        while pending:
            current = pending.pop()
            for index in current.inputs:
                producer = view.producer(op.subgraph, index) if index >= 0 else None
                if producer is None or producer.index in seen:
                    continue
                if producer.index == op.index:
                    return True
                seen.add(producer.index)
                pending.append(producer)
        return False

    def combinations(self, op: Operator) -> list[_Fixed]:
        """Every combination of the op's input alternatives (None for an absent or
        unknown input), or one of all None when there are too many."""
        options = []
        for slot in range(len(op.inputs)):
            alternatives = self.alternatives(op, slot)
            options.append(tuple(alternatives) if alternatives else (None,))
        if math.prod(len(o) for o in options) > MAX_ALTERNATIVES:
            options = [(None,)] * len(op.inputs)
        return [_Fixed(self.view, values) for values in itertools.product(*options)]

    def seen(self, op: Operator, slot: int) -> Shape | None:
        """The one shape op's kernel sees for input `slot`, or None."""
        alternatives = self.alternatives(op, slot)
        if alternatives is None or len(alternatives) != 1:
            return None
        [shape] = alternatives
        return None if shape is REFUSED else shape

    def shape(self, subgraph: int, index: int) -> frozenset | None:
        key = (subgraph, index)
        if key not in self.cache:
            self.cache[key] = None  # a cycle gives up
            self.cache[key] = self._shape(subgraph, index)
        return self.cache[key]

    def _shape(self, subgraph: int, index: int) -> frozenset | None:
        view = self.view
        tensor = view.tensor(subgraph, index)
        if not tensor.shape and not tensor.has_rank and not tensor.is_constant:
            return None  # a shapeless tensor: unknown rank
        if tensor.is_dynamic or min(tensor.shape, default=0) < 0:
            return None
        producer = view.producer(subgraph, index)
        if producer is None:
            if view.is_input(subgraph, index) and subgraph not in self.entries:
                return None  # a called subgraph's input: its caller sizes it
            return frozenset({tuple(tensor.shape)})
        if producer.outputs[:1] != (index,) or producer.name not in self.kinds:
            return None
        results: set = set()
        for combination in self.combinations(producer):
            if REFUSED in combination.values:
                results.add(REFUSED)
                continue
            computed = self._computed(producer, combination)
            if computed is None:
                return None
            results |= computed
        filed = {tuple(tensor.shape)}
        if self.kinds[producer.name] == "copy_as_filed" and results != filed:
            return None  # XNNPACK may take the file's shape (quasi-static weights)
        return frozenset(results) if 0 < len(results) <= MAX_ALTERNATIVES else None

    def _computed(self, op: Operator, inputs: _Fixed) -> set | None:
        """The output's alternatives for one combination of input shapes, or None."""
        kind = self.kinds[op.name]
        first = inputs.seen(op, 0)
        if first is None:
            return None
        if kind in ("copy", "copy_as_filed"):
            return {first}
        if kind == "reshape":
            new_shape = _new_shape(inputs, op)
            if new_shape is None:
                return None
            resolved = _resolve(first, new_shape)
            if resolved is None or math.prod(resolved) != math.prod(first):
                return {REFUSED}
            return {resolved}
        if kind == "resize":
            return self._resized(op, first)
        if kind == "reduce":
            return self._reduced(op, first)
        if kind == "concatenation":
            return self._concatenated(op, inputs)
        if kind == "pad":
            padded = self._padded(op, first)
            return None if padded is None else {padded}
        if kind == "fully_connected":
            output = self._fully_connected(op, first, inputs.seen(op, 1))
            return None if output is None else {output}
        if kind == "broadcast":
            second = inputs.seen(op, 1)
            if second is None:
                return None
            output = first if first == second else broadcast_shape(first, second)
            return {REFUSED} if output is None else {output}
        return self._windowed(op, kind, first, inputs.seen(op, 1))

    def _windowed(self, op: Operator, kind: str, first: Shape,
                  weights: Shape | None) -> set | None:
        """CONV_2D, DEPTHWISE_CONV_2D and the pools: the kernel's output (conv.cc and
        depthwise_conv.cc Prepare: ComputePaddingHeightWidthChecked, refusing where it
        fails; pooling.cc GenericPrepare: ComputePaddingHeightWidth, which leaves 0 where
        it fails) and, where XNNPACK may take the node, XNNPACK's."""
        if len(first) != 4 or min(first) < 0 or not op.options_type:
            return None
        options = op.options
        strides = (options.get("stride_h", 0), options.get("stride_w", 0))
        padding = options.get("padding")
        if kind == "pool":
            window = (options.get("filter_height", 0), options.get("filter_width", 0))
            channels, dilation = first[3], (1, 1)
        else:
            if weights is None or len(weights) != 4:
                return None
            window = weights[1:3]
            channels = weights[0] if kind == "conv" else weights[3]
            if kind == "conv" and (weights[3] < 1 or first[3] % weights[3]
                                   or weights[0] % (first[3] // weights[3] or 1)):
                return {REFUSED}  # conv.cc Prepare: the groups (TFL009's conv_groups)
            dilation = (options.get("dilation_h_factor", 1),
                        options.get("dilation_w_factor", 1))
        if min(strides) < 1 or min(dilation) < 1:
            return None  # TFL009 judges these
        sizes = [_out_size(padding, first[1 + axis], window[axis], strides[axis],
                           dilation[axis]) for axis in (0, 1)]
        if kind == "pool":
            # width first: where it fails both stay 0, where the height fails it stays 0
            width = sizes[1] if sizes[1] is not None else 0
            height = sizes[0] if sizes[1] is not None and sizes[0] is not None else 0
            results: set = {(first[0], height, width, channels)}
            # xnnpack_delegate.cc CheckPoolingParams: filter > 0, stride <= filter
            xnnpack = op.name != "L2_POOL_2D" and min(window) >= 1 and \
                all(s <= w for s, w in zip(strides, window))
            if xnnpack and window[0] * window[1] > MAX_POOLING_SIZE:
                return None
        else:
            if min(first[1:]) < 1 or None in sizes:
                results = {REFUSED}  # TFL009's conv_dims, or ComputeOutSizeChecked fails
            else:
                results = {(first[0], sizes[0], sizes[1], channels)}
            xnnpack = True
        if xnnpack:
            other = [_xnnpack_out_size(padding, first[1 + axis], window[axis],
                                       strides[axis], dilation[axis], kind != "pool")
                     for axis in (0, 1)]
            if None in other:
                return None
            results.add(REFUSED if REFUSED in other else (first[0], *other, channels))
        return results

    def _resized(self, op: Operator, first: Shape) -> set | None:
        """resize_bilinear.cc / resize_nearest_neighbor.cc ResizeOutputTensor: [batch,
        size[0], size[1], channels] from a constant INT32 size [2] of positive values."""
        size = self.view.input_tensor(op, 1)
        if len(first) != 4 or size is None or not size.is_constant or \
                size.dtype != "INT32" or tuple(size.shape) != (2,):
            return None
        values = self.view.tensor_data(size)
        if values is None or min(int(v) for v in values) < 1:
            return None
        return {(first[0], int(values[0]), int(values[1]), first[3])}

    def _reduced(self, op: Operator, first: Shape) -> set | None:
        """reduce.cc GetOutputShape: the constant INT32 axes resolved (negative ones plus
        the rank, repeats once), kept as 1 with keep_dims, else dropped; a scalar stays
        a scalar."""
        axis = self.view.input_tensor(op, 1)
        if axis is None or not axis.is_constant or axis.dtype != "INT32" or \
                not op.options_type:
            return None
        values = self.view.tensor_data(axis)
        if values is None:
            return None
        rank = len(first)
        if rank == 0:
            return {()}
        resolved = {int(v) + rank if int(v) < 0 else int(v) for v in values.reshape(-1)}
        if any(not 0 <= value < rank for value in resolved):
            return None  # TFL009's axis check
        if op.options.get("keep_dims", False):
            return {tuple(1 if i in resolved else d for i, d in enumerate(first))}
        return {tuple(d for i, d in enumerate(first) if i not in resolved)}

    @staticmethod
    def _concatenated(op: Operator, inputs: _Fixed) -> set | None:
        """concatenation.cc Prepare: inputs of one rank whose dimensions agree except
        the axis, summed along it (refused otherwise)."""
        shapes = [inputs.seen(op, slot) for slot in range(len(op.inputs))]
        if None in shapes or not op.options_type or not shapes[0]:
            return None
        rank = len(shapes[0])
        axis = op.options.get("axis", 0)
        axis = axis + rank if axis < 0 else axis
        if not 0 <= axis < rank:
            return None  # TFL009's axis check
        if any(len(shape) != rank or any(d != e for i, (d, e) in
                                         enumerate(zip(shape, shapes[0])) if i != axis)
               for shape in shapes):
            return {REFUSED}
        total = sum(shape[axis] for shape in shapes)
        return {(*shapes[0][:axis], total, *shapes[0][axis + 1:])}

    def _padded(self, op: Operator, first: Shape) -> Shape | None:
        """pad.cc ResizeOutputTensor: each dimension plus its constant paddings."""
        paddings = self.view.input_tensor(op, 1)
        if paddings is None or not paddings.is_constant or \
                tuple(paddings.shape) != (len(first), 2):
            return None
        values = self.view.tensor_data(paddings)
        if values is None or values.min(initial=0) < 0:
            return None
        flat = [int(v) for v in values.reshape(-1)]
        return tuple(size + flat[2 * i] + flat[2 * i + 1] for i, size in enumerate(first))

    @staticmethod
    def _fully_connected(op: Operator, first: Shape, weights: Shape | None) -> Shape | None:
        """fully_connected.cc PrepareImpl / UpdateOutputSize: [input elements / filter
        dimension 1, filter dimension 0], or with keep_num_dims the input's shape with
        the last dimension the filter's dimension 0."""
        if weights is None or len(weights) != 2 or weights[1] < 1 or not first or \
                op.options.get("weights_format", "DEFAULT") != "DEFAULT":
            return None
        if op.options.get("keep_num_dims", False):
            return (*first[:-1], weights[0]) if first[-1] == weights[1] else None
        if math.prod(first) % weights[1]:
            return None  # the kernel truncates the batch; XNNPACK's reshape refuses it
        return (math.prod(first) // weights[1], weights[0])


def _dims(shape: Shape) -> str:
    return f"{list(shape)}"


def rank(shapes: Shapes, op: Operator, check: dict) -> Iterator[Defect]:
    shape = shapes.seen(op, check["slot"])
    if shape is not None and len(shape) != check["rank"]:
        tensor = shapes.view.input_tensor(op, check["slot"])
        # TFLite Micro takes the file's shape; `tflm` says what it does with a lower rank
        lower = tensor is not None and len(tensor.shape) < check["rank"]
        yield Defect(op, tensor, f"the {check['role']} {_dims(shape)} has rank {len(shape)}, "
                                 f"not {check['rank']}", check.get("tflm", "") if lower else "")


def bias_size(shapes: Shapes, op: Operator, check: dict) -> Iterator[Defect]:
    bias_tensor = shapes.view.input_tensor(op, 2)
    if bias_tensor is None:
        return  # no bias: FULLY_CONNECTED's is optional; conv.cc refuses a missing one
    weights, bias = shapes.seen(op, 1), shapes.seen(op, 2)
    if weights is None or bias is None or len(weights) != check["filter_rank"]:
        return
    if "input_rank" in check:
        data = shapes.seen(op, 0)
        if data is None or len(data) != check["input_rank"]:
            return
    skip = check.get("skip_if_filter_dim_zero")
    if skip is not None and weights[skip] == 0:
        return
    if op.name == "DEPTHWISE_CONV_2D" and _depthwise_channels(shapes, op) is not True:
        return  # refused before the bias check, or not known
    if check.get("xnnpack_takes_static_bias") and len(bias) == 1 and (
            bias_tensor.is_constant or _producer_name(shapes, op, 2) == "DEQUANTIZE"):
        return  # XNNPACK delegates the node and does not compare the bias: it runs
    units = weights[check["filter_dim"]]
    if "bias_rank" in check and len(bias) != check["bias_rank"]:
        yield Defect(op, bias_tensor, f"the bias {_dims(bias)} has rank {len(bias)}, not "
                                      f"{check['bias_rank']}")
        return
    count = math.prod(bias)
    if count != units:
        yield Defect(op, bias_tensor, f"the bias has {count} element{'s' * (count != 1)} "
                                      f"for the filter's {units} {check['units']}")


def _producer_name(shapes: Shapes, op: Operator, slot: int) -> str | None:
    producer = shapes.view.producer(op.subgraph, op.inputs[slot])
    return None if producer is None else producer.name


def _depthwise_channels(shapes: Shapes, op: Operator) -> bool | None:
    """Whether depthwise_conv.cc Prepare gets past its checks up to the channel multiple:
    None when a shape is unknown or an earlier check refuses; else whether the filter's
    output channels are a multiple of the input's channels."""
    data, weights = shapes.seen(op, 0), shapes.seen(op, 1)
    if data is None or weights is None or len(data) != 4 or len(weights) != 4:
        return None
    if min(*data[1:], *weights[1:]) < 1 or weights[0] != 1:
        return None  # TFL009 judges sizes below 1; a filter dimension 0 not 1 refuses first
    return weights[3] % data[3] == 0


def conv_groups(shapes: Shapes, op: Operator, check: dict) -> Iterator[Defect]:
    """CONV_2D's input channels a multiple of the filter's input channels (their ratio is
    the group count), and the filter's output channels a multiple of the groups."""
    data, weights = shapes.seen(op, 0), shapes.seen(op, 1)
    if data is None or weights is None or len(data) != 4 or len(weights) != 4 \
            or min(data[3], *weights) < 1:
        return  # TFL009 judges sizes below 1
    channels, per_group = data[3], weights[3]
    groups = channels // per_group
    # TFLite Micro checks neither (only TFLITE_DCHECKs): it divides the output channels by
    # the group count, then each output channel by the quotient (reference conv.h and
    # integer_ops/conv.h), so a group count of 0 or above the filter's output channels
    # divides by zero (tflite-micro: SIGFPE)
    micro = "divides by zero (SIGFPE)" if weights[0] < groups or not groups else ""
    if channels % per_group:
        text = (f"the input's {channels} channels are not a multiple of the filter's "
                f"{per_group} input channels")
    elif weights[0] % groups:
        text = (f"the filter's {weights[0]} output channels are not a multiple of the "
                f"{groups} groups")
    else:
        return
    yield Defect(op, shapes.view.input_tensor(op, 1), text, micro)


def channel_multiple(shapes: Shapes, op: Operator, check: dict) -> Iterator[Defect]:
    if _depthwise_channels(shapes, op) is False:
        data, weights = shapes.seen(op, 0), shapes.seen(op, 1)
        yield Defect(op, shapes.view.input_tensor(op, 1),
                     f"the filter's {weights[3]} output channels are not a multiple of the "
                     f"input's {data[3]} channels")


def element_count(shapes: Shapes, op: Operator, check: dict) -> Iterator[Defect]:
    shape = shapes.seen(op, check["slot"])
    if shape is not None and math.prod(shape) != check["count"]:
        yield Defect(op, shapes.view.input_tensor(op, check["slot"]),
                     f"the {check['role']} {_dims(shape)} has {math.prod(shape)} elements, "
                     f"not {check['count']}")


def _new_shape(shapes: Shapes, op: Operator) -> list[int] | None:
    """The shape reshape.cc GetOutputShape reads, when Prepare resolves it (input 1
    constant or absent), else None."""
    view = shapes.view
    if len(op.inputs) == 2:
        shape_tensor = view.input_tensor(op, 1)
        if shape_tensor is None or not shape_tensor.is_constant:
            return None  # not constant: decided in Eval, or the optional-input check's
        if shape_tensor.dtype == "INT32" and len(shape_tensor.shape) == 1:
            values = view.tensor_data(shape_tensor)
            return None if values is None else [int(v) for v in values.reshape(-1)]
    elif len(op.inputs) != 1:
        return None
    if op.options_type not in (None, "ReshapeOptions"):
        return None
    new_shape = list(op.options.get("new_shape") or [])
    return [] if new_shape == [0] else new_shape


def _resolve(data: Shape, new_shape: list[int]) -> Shape | None:
    """The new shape with its -1 inferred as ResolveOutputShape (reshape_utils.h) does, or
    None where it refuses for another reason (two -1s, a negative size)."""
    if new_shape.count(-1) > 1 or any(value < -1 for value in new_shape):
        return None
    if -1 not in new_shape:
        return tuple(new_shape)
    fixed = math.prod(value for value in new_shape if value != -1)
    if math.prod(data) == 0 and fixed != 0:
        inferred = 0
    else:
        inferred = math.prod(d for d in data if d) // max(
            math.prod(v for v in new_shape if v not in (0, -1)), 1)
    return tuple(inferred if value == -1 else value for value in new_shape)


def reshape_elements(shapes: Shapes, op: Operator, check: dict) -> Iterator[Defect]:
    view = shapes.view
    if not op.outputs or op.outputs[0] < 0 or \
            view.tensor(op.subgraph, op.outputs[0]).dtype == "STRING":
        return  # string outputs are sized in Eval
    data = shapes.seen(op, 0)
    new_shape = _new_shape(shapes, op)
    resolved = None if data is None or new_shape is None else _resolve(data, new_shape)
    if resolved is not None and math.prod(resolved) != math.prod(data):
        yield Defect(op, view.input_tensor(op, 0),
                     f"the input {_dims(data)} has {math.prod(data)} elements, the new "
                     f"shape {new_shape} {math.prod(resolved)}")


# the fused activations XNNPACK turns into an output range (xnnpack_delegate.cc
# ConvertActivationToOutputRange)
XNNPACK_ACTIVATIONS = ("NONE", "RELU", "RELU_N1_TO_1", "RELU6")


def _static(tensor: Tensor | None, dtype: str) -> bool:
    return tensor is not None and tensor.is_constant and tensor.dtype == dtype


def xnnpack_takes_fully_connected(view, op: Operator, units: int) -> bool:
    """Whether XNNPACK's VisitFullyConnectedNode accepts the node, for the two forms
    judged here: FLOAT32 input, output, constant filter and bias; INT8 input and output,
    a constant INT8 filter with zero point 0 and a constant INT32 bias. The bias is
    absent or a rank-1 constant of the filter's `units` elements."""
    options = op.options
    if not op.options_type or options.get("weights_format", "DEFAULT") != "DEFAULT" or \
            options.get("fused_activation_function", "NONE") not in XNNPACK_ACTIVATIONS or \
            len(op.outputs) != 1 or op.outputs[0] < 0:
        return False
    data, weights, bias = (view.input_tensor(op, slot) for slot in range(3))
    output = view.tensor(op.subgraph, op.outputs[0])
    kind = data.dtype if data is not None else None
    if kind == "FLOAT32":
        filter_ok, bias_type = _static(weights, "FLOAT32"), "FLOAT32"
    elif kind == "INT8":
        quant = weights.quantization if weights is not None else None
        filter_ok = _static(weights, "INT8") and bool(quant and quant.scale) and \
            not any(quant.zero_point or ())
        bias_type = "INT32"
    else:
        return False
    bias_ok = bias is None or (_static(bias, bias_type) and tuple(bias.shape) == (units,))
    return filter_ok and bias_ok and output.dtype == kind


def fully_connected_rows(shapes: Shapes, op: Operator, check: dict) -> Iterator[Defect]:
    """XNNPACK reshapes a FULLY_CONNECTED input to [-1, filter dimension 1] (without
    keep_num_dims): an input that is not whole rows fails its reshape, where the kernel
    would truncate the batch."""
    if not op.options_type or op.options.get("keep_num_dims", False):
        return
    data, weights = shapes.seen(op, 0), shapes.seen(op, 1)
    if data is None or weights is None or len(weights) != 2 or weights[1] < 1:
        return
    count = math.prod(data)
    if count % weights[1] == 0 or not xnnpack_takes_fully_connected(
            shapes.view, op, weights[0]):
        return
    yield Defect(op, shapes.view.input_tensor(op, 0),
                 f"the input {_dims(data)} holds {count} element{'s' * (count != 1)}, not "
                 f"whole rows of the filter's {weights[1]} inputs")


def broadcast(shapes: Shapes, op: Operator, check: dict) -> Iterator[Defect]:
    first, second = shapes.seen(op, 0), shapes.seen(op, 1)
    if first is None or second is None or first == second:
        return
    if broadcast_shape(first, second) is None:
        yield Defect(op, None, f"the inputs {_dims(first)} and {_dims(second)} do not "
                               "broadcast")


KINDS: dict[str, Callable[..., Iterator[Defect]]] = {
    "rank": rank, "bias_size": bias_size, "channel_multiple": channel_multiple,
    "conv_groups": conv_groups,
    "element_count": element_count, "reshape_elements": reshape_elements,
    "broadcast": broadcast, "fully_connected_rows": fully_connected_rows,
}


def _judged(shapes: Shapes, op: Operator, check: dict) -> Defect | None:
    """The op's defect when the check refuses it under every combination of its inputs'
    alternatives that an earlier op does not already refuse (and under at least one)."""
    function = KINDS[check["kind"]]
    first = None
    for combination in shapes.combinations(op):
        if REFUSED in combination.values:
            continue
        defect = next(iter(function(combination, op, check)), None)
        if defect is None:
            return None
        first = first or defect
    return first


def _as_filed(shapes: Shapes, subgraph: int, index: int) -> bool:
    alternatives = shapes.shape(subgraph, index)
    return alternatives == {tuple(shapes.view.tensor(subgraph, index).shape)}


def _shown(alternatives) -> str:
    shown = sorted(_dims(a) for a in alternatives if a is not REFUSED)
    return " or ".join(shown) if shown else "nothing (it refuses)"


def origin(shapes: Shapes, op: Operator) -> str | None:
    """Where the shapes the runtime computes first part from the file's, for an op whose
    inputs they reach: the earliest op upstream whose inputs are as filed but whose output
    is not, e.g. "op0 CONV_2D, whose output the runtime computes as [1, 1, 16, 8], not the
    file's [1, 16, 16, 8]"."""
    view, seen = shapes.view, set()
    pending = [index for index in op.inputs
               if index >= 0 and shapes.shape(op.subgraph, index) is not None]
    while pending:
        index = pending.pop(0)
        if index in seen or _as_filed(shapes, op.subgraph, index):
            continue
        seen.add(index)
        producer = view.producer(op.subgraph, index)
        if producer is None:
            continue
        upstream = [i for i in producer.inputs if i >= 0 and
                    shapes.shape(op.subgraph, i) is not None and
                    not _as_filed(shapes, op.subgraph, i)]
        if not upstream:
            tensor = view.tensor(op.subgraph, index)
            computed = _shown(shapes.shape(op.subgraph, index))
            return (f"op{producer.index} {producer.name}, whose output the runtime "
                    f"computes as {computed}, not the file's {_dims(tensor.shape)}")
        pending[:0] = upstream
    return None


def defects(view, data: dict) -> Iterator[tuple[dict, Defect]]:
    """(check, defect), at most one per op (the first check, in the data's order, that
    refuses it), for the ops of the subgraphs the model can run."""
    shapes = Shapes(view, data["propagate"])
    runnable = view.runnable_subgraphs
    for op in view.operators():  # in order, so each shape's inputs are known first
        for index in op.outputs:  # (no deep recursion on long graphs)
            if index >= 0:
                shapes.shape(op.subgraph, index)
    found: set[tuple[int, int]] = set()
    for check in data["check"]:
        for op in view.operators():
            key = (op.subgraph, op.index)
            if op.name not in check["ops"] or op.subgraph not in runnable or key in found:
                continue
            defect = _judged(shapes, op, check)
            if defect is not None:
                found.add(key)
                source = origin(shapes, op)
                if source is not None:
                    defect = defect._replace(
                        text=f"{defect.text}; the shapes part from the file's at {source}")
                yield check, defect
