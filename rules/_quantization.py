"""Helpers shared by the mixed-quantization and I/O rules (TFL201-204, TFL211-213)."""
from __future__ import annotations

from typing import Iterable, Iterator

from tfllint.model import Operator, Tensor

# The converter's dynamic-range quantizer leaves float weights with fewer elements than
# this alone: QuantizationSpecs::minimum_elements_for_weights = 1024 (google-ai-edge/LiteRT
# tflite/converter/quantization/common/quantization_lib/quantization_config.h), checked
# with `size < minimum_elements_for_weights` in
# tflite/converter/transforms/prepare_quantize_dynamic_range.cc; the legacy quantizer's
# kWeightsMinNumElementsDefault (quantization/lite/toco_legacy/quantize_weights.cc) is
# the same 1024.
WEIGHTS_MIN_ELEMENTS = 1024

# Op inputs the dynamic-range quantizer may quantize: GetQuantizableOperandIndices() of
# each op with DynamicRangeQuantizedOpInterface in tflite/converter/ir/tfl_ops.td (the
# MLIR operand order is the TFLite input order).
_LSTM_WEIGHTS = (1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 16)
QUANTIZABLE_WEIGHTS = {
    "CONV_2D": (1,), "DEPTHWISE_CONV_2D": (1,), "TRANSPOSE_CONV": (1,),
    "FULLY_CONNECTED": (1,), "BATCH_MATMUL": (1,), "GATHER": (0,), "EMBEDDING_LOOKUP": (1,),
    "LSTM": _LSTM_WEIGHTS, "UNIDIRECTIONAL_SEQUENCE_LSTM": _LSTM_WEIGHTS,
    "BIDIRECTIONAL_SEQUENCE_LSTM": (*_LSTM_WEIGHTS, 18, 19, 20, 21, 22, 23, 24, 25, 26, 27,
                                    28, 33, 40, 41, 42, 43, 44, 45, 46, 47),
    "UNIDIRECTIONAL_SEQUENCE_RNN": (1, 2), "SVDF": (1, 2),
}


def op_label(op: Operator) -> str:
    return f"{op.name} op {op.index}"


def ops_text(ops: Iterable[Operator], limit: int = 6) -> str:
    """'TANH op 4, MUL op 5 and 3 more'."""
    labels = [op_label(op) for op in ops]
    if len(labels) > limit:
        labels = labels[:limit] + [f"{len(labels) - limit} more"]
    if len(labels) <= 1:
        return "".join(labels)
    return ", ".join(labels[:-1]) + " and " + labels[-1]


def plural(count: int, word: str) -> str:
    return f"{count} {word}" + ("" if count == 1 else "s")


def first_tensor(view, subgraph: int, indices: tuple[int, ...]) -> Tensor | None:
    """The tensor at the first position of an op's input or output list, if present."""
    return view.tensor(subgraph, indices[0]) if indices and indices[0] >= 0 else None


def same_quantization(a: Tensor, b: Tensor) -> bool:
    """Same type, scales, zero points and axis: converting one to the other is a copy."""
    qa, qb = a.quantization, b.quantization
    if a.dtype != b.dtype or qa is None or qb is None or not qa.scale:
        return False
    return (qa.scale, tuple(qa.zero_point or (0,) * len(qa.scale)), qa.quantized_dimension) == \
        (qb.scale, tuple(qb.zero_point or (0,) * len(qb.scale)), qb.quantized_dimension)


def is_uint8_io_wrapper(view, op: Operator) -> bool:
    """The QUANTIZE the converter puts between a uint8 model input or output and an int8
    graph (`inference_input_type=tf.uint8`): tflite/python/util.py
    _modify_model_input_type / _modify_model_output_type keep the int8 scale and add 128
    to the zero point."""
    if op.opcode.name != "QUANTIZE" or not op.inputs or not op.outputs:
        return False
    source = first_tensor(view, op.subgraph, op.inputs)
    result = first_tensor(view, op.subgraph, op.outputs)
    if source is None or result is None:
        return False
    if source.dtype == "UINT8" and result.dtype == "INT8":
        uint8_side, int8_side = source, result
        at_io = view.is_input(op.subgraph, source.index)
    elif source.dtype == "INT8" and result.dtype == "UINT8":
        uint8_side, int8_side = result, source
        at_io = view.is_output(op.subgraph, result.index)
    else:
        return False
    qu, qi = uint8_side.quantization, int8_side.quantization
    return (at_io and qu is not None and qi is not None and len(qu.scale) == 1
            and qu.scale == qi.scale and len(qu.zero_point) == 1 and len(qi.zero_point) == 1
            and qu.zero_point[0] == qi.zero_point[0] + 128)


def quantizable_float_weights(view) -> Iterator[tuple[Operator, Tensor]]:
    """Float32 constant weights the dynamic-range quantizer would consider."""
    for subgraph in sorted(view.reachable_subgraphs):
        for op in view.execution_order(subgraph):
            for position in QUANTIZABLE_WEIGHTS.get(op.opcode.name, ()):
                if position < len(op.inputs) and op.inputs[position] >= 0:
                    tensor = view.tensor(subgraph, op.inputs[position])
                    if tensor.dtype == "FLOAT32" and tensor.is_constant:
                        yield op, tensor


def quantization_text(tensor: Tensor) -> str:
    q = tensor.quantization
    if q is None or not q.scale:
        return "no quantization parameters"
    if len(q.scale) == 1:
        zero_point = q.zero_point[0] if q.zero_point else 0
        return f"scale {q.scale[0]:.9g}, zero point {zero_point}"
    return f"{len(q.scale)} per-channel scales along dimension {q.quantized_dimension}"
