"""TFL008: a constant tensor whose buffer holds fewer bytes than its shape needs."""
from __future__ import annotations

from typing import Iterator

from tfllint.engine.rule import RuleContext, Violation, rule

from ._locations import at_tensor, tensor_label

# Types whose size the runtime does not check (tflite/core/subgraph.cc,
# SetTensorParametersReadOnly) or whose packing tfllint does not model.
UNCHECKED_TYPES = frozenset({"STRING", "RESOURCE", "VARIANT", "INT4", "UINT4", "INT2"})


@rule(id="TFL008", name="constant-buffer-too-small", severity="error",
      untrusted_severity="error",
      evidence=("runtime+source: tests/test_rule_evidence.py (LiteRT refuses the model at "
                "load); tensorflow/tflite-micro@90b983c2b3f1480642e040bbd2ddb37b998f3424 "
                "tensorflow/lite/micro/micro_allocator.cc (no size check)"))
def check(ctx: RuleContext) -> Iterator[Violation]:
    """A constant tensor whose buffer has fewer bytes than its shape and type require.

    What it finds:
        Dense constant tensors (not strings, sparse or external) whose buffer is smaller
        than the product of the shape times the element size.

    Why it matters:
        The interpreter refuses the model while building it: LiteRT's
        SetTensorParametersReadOnly checks `required_bytes <= bytes` and model loading
        fails with that condition in the log, far from any hint of which tensor is at
        fault. TFLite Micro does not compare the two: it points the tensor at the buffer
        and sizes it from the shape (tensorflow/tflite-micro@90b983c2 micro_allocator.cc
        InitializeTfLiteTensorFromFlatbuffer), so its kernels read past the buffer
        (issue 13's harness: tflite-micro crashed or hung on such files).

    Example:
        constant tensor 'conv/kernel' (#3), FLOAT32 [8, 3, 3, 3], needs 864 bytes but
        its buffer holds 432: LiteRT refuses the model at load; TFLite Micro does not
        check and its kernels read past the buffer

    How to fix:
        The file was truncated or edited: re-export the model, or fix the tensor's shape
        or type to match its data.
    """
    view = ctx.view
    for subgraph in view.subgraphs:
        for tensor in subgraph.tensors:
            buffer = view.buffer_of(tensor)
            if (buffer.size == 0 or tensor.sparsity is not None or tensor.external_buffer
                    or tensor.dtype in UNCHECKED_TYPES or tensor.byte_size is None):
                continue
            if buffer.size < tensor.byte_size:
                shape = list(tensor.shape)
                yield Violation(
                    f"constant tensor {tensor_label(tensor)}, {tensor.dtype} {shape}, needs "
                    f"{tensor.byte_size} bytes but its buffer holds {buffer.size}: LiteRT "
                    f"refuses the model at load; TFLite Micro does not check and its kernels "
                    f"read past the buffer",
                    at_tensor(subgraph.index, tensor),
                    fix="re-export the model, or make the shape and type match the data")
