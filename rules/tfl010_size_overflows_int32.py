"""TFL010: a tensor or buffer size past what the runtime's 32-bit arithmetic holds."""
from __future__ import annotations

from typing import Iterator

from tfllint.analyses.budget import tflm_word_size
from tfllint.engine.rule import Location, RuleContext, Violation, rule

from ._locations import at_tensor, tensor_label
from ._runtimes import tflm_in_scope

INT32_MAX = 2**31 - 1  # the largest int: RuntimeShape::FlatSize, TFLM's planner sizes
UINT32_MAX = 2**32 - 1  # the largest size_t of a 32-bit build
# types BytesRequired is not called for: sized by their contents (core/subgraph.cc)
UNSIZED = frozenset({"STRING", "RESOURCE", "VARIANT"})


def refused_at_load(tensor) -> bool:
    """Whether LiteRT refuses the tensor when it loads the model: every tensor's file shape
    goes through BytesRequired (tflite/util.cc, CheckedNumElements: "BytesRequired number
    of elements overflowed" for a negative dimension), except strings, resources and
    variants, and constants that are sparse or held in an external buffer
    (tflite/core/subgraph.cc SetTensorParametersReadOnly / ReadWrite)."""
    if tensor.dtype in UNSIZED or min(tensor.shape, default=0) >= 0:
        return False
    return not (tensor.is_constant and (tensor.sparsity is not None or tensor.external_buffer))


@rule(id="TFL010", name="size-overflows-int32", severity="error", preview=True,
      untrusted_severity="error",
      evidence=("source: google-ai-edge/LiteRT@f67457790c9c2ab67347d6fe53270e8d3df20868 "
                "tflite/kernels/internal/runtime_shape.h (RuntimeShape::FlatSize sums in an "
                "int); tensorflow/tflite-micro@90b983c2b3f1480642e040bbd2ddb37b998f3424 "
                "tensorflow/lite/micro/memory_planner/micro_memory_planner.h (AddBuffer takes "
                "an int size); tests/test_untrusted.py"))
def check(ctx: RuleContext) -> Iterator[Violation]:
    """A tensor whose element count, or byte size on TFLite Micro, overflows a 32-bit int.

    What it finds:
        Tensors whose shape holds more than 2^31-1 elements (the product of the stored
        dimensions), for LiteRT only where the file fixes the size (a tensor an op writes
        is sized by that op's Prepare); a negative dimension in a tensor's shape, which
        LiteRT's BytesRequired refuses when it loads the model. With a --target that runs
        the model on TFLite Micro (tflm, ethos-u*) or in untrusted mode (--untrusted), also
        tensors whose byte size (elements times the element size) is more than 2^31-1;
        with --tflm-word-size 32, buffers stored after the flatbuffer whose offset plus
        size lies past 2^32-1.

    Why it matters:
        The kernels count elements with RuntimeShape::FlatSize, an int product of the
        dimensions (tflite/kernels/internal/runtime_shape.h): past 2^31-1 it wraps, and a
        kernel sized by the wrapped count reads and writes outside its buffers. LiteRT's
        allocation (Subgraph::BytesRequired) checks only size_t overflow, which a 64-bit
        build does not reach. TFLite Micro's memory planner takes each buffer's size as
        an int (MicroMemoryPlanner::AddBuffer), so a tensor of 2 GiB or more gets a
        wrapped, negative size and overlapping arena offsets; a 32-bit microcontroller's
        size_t cannot address a buffer past 4 GiB. LiteRT's own security guidance lists
        32-bit size overflow among what its verifier does not check.

    Example:
        tensor 'big' (#1), FLOAT32 [65536, 65536]: 4294967296 elements, more than an int
        holds (2147483647): RuntimeShape::FlatSize wraps.

    How to fix:
        A model from outside with such a shape is malformed or hostile: do not run it.
        In your own model, split the tensor (e.g. the batch or sequence dimension) so each
        holds fewer than 2^31 elements and, for TFLite Micro, fewer than 2 GiB.
    """
    tflm = tflm_in_scope(ctx.settings)
    for subgraph in ctx.view.subgraphs:
        written = {index for op in subgraph.operators for index in op.outputs}
        for tensor in subgraph.tensors:
            # LiteRT loads every tensor at its file shape (BytesRequired), then sizes a
            # tensor an op writes in that op's Prepare; TFLite Micro plans the file's sizes
            fixed = tensor.index not in written
            label = f"tensor {tensor_label(tensor)}, {tensor.dtype} {list(tensor.shape)}"
            if refused_at_load(tensor):
                yield Violation(
                    f"{label}: a negative dimension: LiteRT refuses the model when it loads "
                    "it (\"BytesRequired number of elements overflowed\")",
                    at_tensor(subgraph.index, tensor),
                    fix="do not run it; a dimension known only at run time is stored as 1 in "
                        "`shape` and as -1 in `shape_signature`")
            elif fixed and tensor.element_count > INT32_MAX:
                yield Violation(
                    f"{label}: {tensor.element_count} elements, more than an int holds "
                    f"({INT32_MAX}): RuntimeShape::FlatSize wraps and the kernels index "
                    "outside the tensor", at_tensor(subgraph.index, tensor),
                    fix="do not run it; split the tensor so each holds fewer than 2^31 elements")
            elif tflm and (tensor.byte_size or 0) > INT32_MAX:
                yield Violation(
                    f"{label}: {tensor.byte_size} bytes, more than an int holds "
                    f"({INT32_MAX}): TFLite Micro's memory planner (AddBuffer) takes the "
                    "size as an int and wraps it", at_tensor(subgraph.index, tensor),
                    fix="do not run it on TFLite Micro; split the tensor below 2 GiB")
    if tflm and tflm_word_size(ctx.settings) == 32:
        for buffer in ctx.view.model.buffers:
            if buffer.appended and buffer.offset + buffer.size - 1 > UINT32_MAX:
                yield Violation(
                    f"buffer {buffer.index}: bytes {buffer.offset} to "
                    f"{buffer.offset + buffer.size - 1} of the file, past the last a 32-bit "
                    f"build's size_t addresses ({UINT32_MAX})", Location(buffer=buffer.index),
                    fix="do not run it on a 32-bit build")
