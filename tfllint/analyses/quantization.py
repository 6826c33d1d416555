"""Classify how a model is quantized, per op and as a whole, and find its float islands.

An op's class comes from the types of its activations (non-constant inputs and outputs,
state included) and of its constant weights:

- float32: float activations (float16 and float64 kernels count as float too);
- hybrid: float activations with integer constant weights, the dynamic-range kernels;
- int8, uint8: integer activations of that type (an int8 op may carry int16 state, as
  the integer LSTM's cell state is);
- int16x8: int16 activations and no int8 ones (the 16x8 scheme: int8 weights).

QUANTIZE and DEQUANTIZE are the boundaries between regions and take no class; nor do
control-flow ops (their bodies are classified), ops whose tensors are only indices,
shapes or booleans, and ops that only move weights: an op that reads no integer
activation and whose integer result is read only by DEQUANTIZE ops (the dynamic-range
converter turns a GATHER from a large float table into a GATHER from an int8 table
followed by a DEQUANTIZE). The model's scheme follows from the classes present: float
weights stored as float16 (each dequantized by a DEQUANTIZE) make float16-weights;
hybrid ops, or integer weights dequantized into float ops, make dynamic-range.
"""
from __future__ import annotations

from collections import Counter

from ..model import Operator
from ..reader.conversion_metadata import METADATA_NAME as CONVERSION_METADATA
from ..reader.conversion_metadata import ConversionMetadata, parse_conversion_metadata
from ..records import record

BOUNDARY_OPS = frozenset({"QUANTIZE", "DEQUANTIZE"})
FLOAT_TYPES = frozenset({"FLOAT32", "FLOAT16", "FLOAT64", "BFLOAT16"})
# Storage types of quantized weights (INT4 and INT2 are packed sub-byte weights).
INTEGER_WEIGHT_TYPES = frozenset({"INT8", "UINT8", "INT4", "INT2", "UINT4"})
# Activation types of integer regions, which DEQUANTIZE leaves and QUANTIZE enters.
INTEGER_ACTIVATION_TYPES = frozenset({"INT8", "UINT8", "INT16"})
FLOAT_CLASSES = frozenset({"float32", "hybrid"})
INTEGER_CLASSES = frozenset({"int8", "uint8", "int16x8"})
SCHEME_LABELS = {
    "none": "no compute ops",
    "float32": "float32",
    "float16-weights": "float16 weights (float32 compute)",
    "dynamic-range": "dynamic-range (int8 weights, float activations)",
    "int8": "full integer (int8)",
    "int16x8": "int16 activations, int8 weights (16x8)",
    "uint8": "legacy uint8",
    "mixed": "mixed",
}


@record
class FloatIsland:
    """A maximal connected region of float ops in a model that also computes in integers.

    Two float ops are connected when one reads a tensor the other writes. `entries` are the
    DEQUANTIZE ops that turn integer activations into the island's inputs, `exits` the
    QUANTIZE ops that take its outputs back to integers; an island may also read the
    subgraph's inputs or write its outputs directly (a float head or tail of the graph).
    """

    subgraph: int
    ops: tuple[int, ...]  # op indices, in execution order
    entries: tuple[int, ...]  # DEQUANTIZE op indices
    exits: tuple[int, ...]  # QUANTIZE op indices
    inputs: tuple[int, ...]  # subgraph input tensors the island reads
    outputs: tuple[int, ...]  # subgraph output tensors the island writes

    @property
    def enclosed(self) -> bool:
        """Integer on both sides: entered through a DEQUANTIZE and left through a QUANTIZE."""
        return bool(self.entries) and bool(self.exits)


@record
class QuantizationAnalysis:
    scheme: str  # a key of SCHEME_LABELS
    op_classes: dict[tuple[int, int], str]  # (subgraph, op index) -> class
    class_counts: dict[str, int]
    islands: tuple[FloatIsland, ...] = ()  # only when the model computes in integers
    # The converter's CONVERSION_METADATA, None when the file has none (or it is damaged).
    conversion: ConversionMetadata | None = None

    @property
    def label(self) -> str:
        if self.scheme == "mixed":
            parts = ", ".join(f"{name} {count}"
                              for name, count in sorted(self.class_counts.items()))
            return f"mixed ({parts} ops)"
        return SCHEME_LABELS[self.scheme]

    @property
    def computes_in_integers(self) -> bool:
        """Some op computes on int8, uint8 or int16 activations."""
        return bool(INTEGER_CLASSES & set(self.class_counts))

    @property
    def requested_modes(self) -> tuple[str, ...] | None:
        """The optimizations the conversion was asked for; None when the file does not say."""
        return None if self.conversion is None else self.conversion.optimization_modes

    def op_class(self, subgraph: int, op_index: int) -> str | None:
        return self.op_classes.get((subgraph, op_index))


def classify_op(view, op: Operator) -> str | None:
    """float32, hybrid, int8, int16x8, uint8, or None for boundaries and neutral ops."""
    if op.opcode.name in BOUNDARY_OPS or op.called_subgraphs:
        return None
    tensors = view.model.subgraphs[op.subgraph].tensors
    activations, weights = set(), set()
    for index in op.inputs:
        if index >= 0:
            tensor = tensors[index]
            (weights if tensor.is_constant else activations).add(tensor.dtype)
    reads_integers = bool(activations & INTEGER_ACTIVATION_TYPES)
    for index in op.outputs:
        if index < 0:
            continue
        tensor = tensors[index]
        if tensor.is_constant:
            weights.add(tensor.dtype)
        elif reads_integers or not _only_dequantized(view, op.subgraph, index):
            activations.add(tensor.dtype)
    if activations & FLOAT_TYPES:
        # Hybrid names the builtin dynamic-range kernels. A custom op's integer constants
        # are its own inputs (TFLite_Detection_PostProcess reads its anchors so), not weights
        # a kernel dequantizes on the fly.
        hybrid = weights & INTEGER_WEIGHT_TYPES and op.opcode.name != "CUSTOM"
        return "hybrid" if hybrid else "float32"
    if "INT8" in activations:
        return "int8"
    if "UINT8" in activations:
        return "uint8"
    if "INT16" in activations:
        return "int16x8"
    return None


def _only_dequantized(view, subgraph: int, tensor: int) -> bool:
    """Read only by DEQUANTIZE ops: an op that reads no integer activation and writes
    such a tensor moves weights (the dynamic-range converter's GATHER of an int8 table
    followed by a DEQUANTIZE), it does not compute in integers."""
    readers = view.consumers(subgraph, tensor)
    return (bool(readers) and not view.is_output(subgraph, tensor)
            and all(reader.opcode.name == "DEQUANTIZE" for reader in readers))


def analyze_quantization(view) -> QuantizationAnalysis:
    classes: dict[tuple[int, int], str] = {}
    for subgraph in sorted(view.reachable_subgraphs):
        for op in view.model.subgraphs[subgraph].operators:
            op_class = classify_op(view, op)
            if op_class:
                classes[(subgraph, op.index)] = op_class
    counts = dict(Counter(classes.values()))
    islands: tuple[FloatIsland, ...] = ()
    if INTEGER_CLASSES & set(counts):
        islands = tuple(island for subgraph in sorted(view.reachable_subgraphs)
                        for island in _islands(view, subgraph, classes))
    return QuantizationAnalysis(scheme=_scheme(view, classes), op_classes=classes,
                                class_counts=counts, islands=islands,
                                conversion=_conversion_metadata(view))


def _scheme(view, op_classes: dict[tuple[int, int], str]) -> str:
    classes = set(op_classes.values())
    if not classes:
        return "none"
    integer, floating = classes & INTEGER_CLASSES, classes & FLOAT_CLASSES
    if not integer:
        if "hybrid" in classes or _dequantizes_integer_weights(view, op_classes):
            return "dynamic-range"
        return "float16-weights" if _has_float16_weights(view) else "float32"
    if not floating and len(integer) == 1:
        return next(iter(integer))
    return "mixed"


def _reachable_constants(view):
    for subgraph in view.reachable_subgraphs:
        for tensor in view.model.subgraphs[subgraph].tensors:
            if tensor.is_constant:
                yield subgraph, tensor


def _has_float16_weights(view) -> bool:
    return any(tensor.dtype == "FLOAT16" for _, tensor in _reachable_constants(view))


def _dequantizes_integer_weights(view, classes: dict[tuple[int, int], str]) -> bool:
    """A DEQUANTIZE of integer weights (a constant, or what a weight-moving op made of
    one): weights stored quantized, computed in float."""
    for subgraph in view.reachable_subgraphs:
        for op in view.model.subgraphs[subgraph].operators:
            if op.opcode.name == "DEQUANTIZE":
                source = _first(view.model.subgraphs[subgraph].tensors, op.inputs)
                if (source is not None and source.dtype in INTEGER_WEIGHT_TYPES
                        and _is_weight(view, subgraph, source, classes)):
                    return True
    return False


def _is_weight(view, subgraph: int, tensor, classes: dict[tuple[int, int], str]) -> bool:
    """A constant, or the output of an op that only moves weights (see _only_dequantized)."""
    if tensor.is_constant:
        return True
    producer = view.producer(subgraph, tensor.index)
    return (producer is not None and producer.opcode.name not in BOUNDARY_OPS
            and not producer.called_subgraphs and (subgraph, producer.index) not in classes)


def _islands(view, subgraph: int, classes: dict[tuple[int, int], str]):
    operators = view.model.subgraphs[subgraph].operators
    float_ops = [op for op in operators if classes.get((subgraph, op.index)) in FLOAT_CLASSES]
    members = {op.index for op in float_ops}
    parent = {index: index for index in members}

    def root(index: int) -> int:
        while parent[index] != index:
            parent[index] = parent[parent[index]]
            index = parent[index]
        return index

    for op in float_ops:
        for tensor in op.outputs:
            for consumer in view.consumers(subgraph, tensor):
                if consumer.index in members:
                    parent[root(consumer.index)] = root(op.index)
    groups: dict[int, list[Operator]] = {}
    for op in float_ops:
        groups.setdefault(root(op.index), []).append(op)
    for group in groups.values():
        yield _island(view, subgraph, group, classes)


def _island(view, subgraph: int, group: list[Operator],
            classes: dict[tuple[int, int], str]) -> FloatIsland:
    tensors = view.model.subgraphs[subgraph].tensors
    entries, exits, inputs, outputs = set(), set(), set(), set()
    for op in group:
        for index in op.inputs:
            if index < 0:
                continue
            if view.is_input(subgraph, index):
                inputs.add(index)
            producer = view.producer(subgraph, index)
            if producer is not None and producer.opcode.name == "DEQUANTIZE":
                source = _first(tensors, producer.inputs)
                if (source is not None and source.dtype in INTEGER_ACTIVATION_TYPES
                        and not _is_weight(view, subgraph, source, classes)):
                    entries.add(producer.index)
        for index in op.outputs:
            if view.is_output(subgraph, index):
                outputs.add(index)
            for consumer in view.consumers(subgraph, index):
                target = _first(tensors, consumer.outputs)
                if (consumer.opcode.name == "QUANTIZE" and target is not None
                        and target.dtype in INTEGER_ACTIVATION_TYPES):
                    exits.add(consumer.index)
    return FloatIsland(subgraph=subgraph, ops=tuple(op.index for op in group),
                       entries=tuple(sorted(entries)), exits=tuple(sorted(exits)),
                       inputs=tuple(sorted(inputs)), outputs=tuple(sorted(outputs)))


def _first(tensors, indices):
    """The tensor at the first index of an op's list, None when absent."""
    return tensors[indices[0]] if indices and indices[0] >= 0 else None


def _conversion_metadata(view) -> ConversionMetadata | None:
    data = view.metadata_bytes(CONVERSION_METADATA)
    return None if data is None else parse_conversion_metadata(data)
