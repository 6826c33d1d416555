"""Classify how a model is quantized, per op and as a whole.

An op's class comes from its activations (non-constant inputs and outputs) and its
constant weights: float activations with integer weights is the dynamic-range (hybrid)
kernel; int16 activations with int8 weights is int16x8. QUANTIZE and DEQUANTIZE are the
boundaries between regions and take no class of their own; ops whose tensors are only
indices, shapes or booleans are neutral.
"""
from __future__ import annotations

from collections import Counter
from dataclasses import dataclass

from ..model import Operator

BOUNDARY_OPS = frozenset({"QUANTIZE", "DEQUANTIZE"})
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


@dataclass(frozen=True)
class QuantizationAnalysis:
    scheme: str  # a key of SCHEME_LABELS
    op_classes: dict[tuple[int, int], str]  # (subgraph, op index) -> class
    class_counts: dict[str, int]

    @property
    def label(self) -> str:
        if self.scheme == "mixed":
            parts = ", ".join(f"{name} {count}" for name, count in sorted(self.class_counts.items()))
            return f"mixed ({parts} ops)"
        return SCHEME_LABELS[self.scheme]


def classify_op(view, op: Operator) -> str | None:
    """float32, hybrid, int8, int16x8, uint8, or None for boundaries and neutral ops."""
    if op.opcode.name in BOUNDARY_OPS:
        return None
    tensors = view.model.subgraphs[op.subgraph].tensors
    activations, weights = set(), set()
    for index in (*op.inputs, *op.outputs):
        if index < 0:
            continue
        tensor = tensors[index]
        (weights if view.is_constant(tensor) else activations).add(tensor.dtype)
    if "FLOAT32" in activations:
        return "hybrid" if weights & {"INT8", "UINT8", "INT4"} else "float32"
    if "INT16" in activations:
        return "int16x8"
    if "INT8" in activations:
        return "int8"
    if "UINT8" in activations:
        return "uint8"
    return None


def analyze_quantization(view) -> QuantizationAnalysis:
    classes: dict[tuple[int, int], str] = {}
    for subgraph in view.reachable_subgraphs:
        for op in view.model.subgraphs[subgraph].operators:
            op_class = classify_op(view, op)
            if op_class:
                classes[(subgraph, op.index)] = op_class
    counts = dict(Counter(classes.values()))
    return QuantizationAnalysis(scheme=_scheme(view, set(counts)), op_classes=classes,
                                class_counts=counts)


def _scheme(view, classes: set[str]) -> str:
    if not classes:
        return "none"
    if classes == {"float32"}:
        has_fp16_constants = any(view.is_constant(t) and t.dtype == "FLOAT16"
                                 for s in view.subgraphs for t in s.tensors)
        return "float16-weights" if has_fp16_constants else "float32"
    if "hybrid" in classes and classes <= {"hybrid", "float32"}:
        return "dynamic-range"
    if len(classes) == 1:
        return next(iter(classes))
    return "mixed"
