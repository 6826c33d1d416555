"""TFL501: an input with a dimension unknown until run time (-1 in shape_signature)."""
from __future__ import annotations

from typing import Iterator

from tfllint.engine.rule import RuleContext, Violation, rule
from tfllint.model import Operator

from ._contract import (DYNAMIC_WITHOUT_TARGETS, dynamic_dimension_note, io_label,
                        io_location, shape_text)

# What a resize past a RESHAPE to a constant shape gives (ai-edge-litert 2.3): the
# RESHAPE kernel's words (tflite/kernels/internal/reshape_utils.h), or XNNPACK's, which
# the Python interpreter applies by default.
RESHAPE_FAILURE = ("\"num_input_elements != num_output_elements\", or with XNNPACK "
                   "\"XNNPack delegate failed to reshape runtime\"")


@rule(id="TFL501", name="dynamic-input-dimension", severity="warning")
def check(ctx: RuleContext) -> Iterator[Violation]:
    """An input whose size is only known at run time, held at a placeholder size in the file.

    What it finds:
        Inputs of subgraph 0 with -1 in `shape_signature` (a Keras input without a batch
        size, a sequence of any length): which dimensions, and the placeholder size the
        file's `shape` holds instead. With --target, what each target does with it; and
        a RESHAPE to a constant shape without -1 fed from that input, which bakes the
        placeholder size in, so that any other size fails.

    Why it matters:
        The interpreter allocates the placeholder shape (usually batch 1). Feeding
        another size without `resize_tensor_input()` and `allocate_tensors()` fails:
        "Cannot set tensor: Dimension mismatch. Got 2 but expected 1 for dimension 0 of
        input 0." (in Java, a byte-count error). A constant RESHAPE shape then fails the
        resize: "num_input_elements != num_output_elements (32 != 16) Node number 0
        (RESHAPE) failed to prepare." (tensorflow/tensorflow#33014, #74843), or under
        XNNPACK "XNNPack delegate failed to reshape runtime". Delegates that take only
        static-sized tensors (GPU, Core ML, NNAPI, Hexagon) are rebuilt on each resize
        and refused when sizes become value-dependent ("Attempting to use a delegate
        that only supports static-sized tensors ..."); the Edge TPU compiler refuses the
        model; TFLite Micro ignores `shape_signature` and runs the placeholder size only.

    Example:
        input 0 'serving_default_features:0' has dimension 0 unknown until run time
        (shape_signature [-1, 16]); the file's shape [1, 16] is a placeholder ...

    How to fix:
        If the size is fixed in practice, convert with it fixed (a Keras Input with
        batch_size=1, a concrete function with a full TensorSpec) so the model is static.
        Otherwise resize before feeding another size (`resize_tensor_input(index,
        shape)` then `allocate_tensors()`; a signature runner resizes by itself), and
        make reshapes keep the dynamic dimension as -1 (`tf.reshape(x, [-1, 512])`).
    """
    view = ctx.view
    results = [ctx.analyses.target(target) for target in ctx.settings.targets]
    for position, tensor in enumerate(ctx.analyses.contract.inputs):
        dims = [axis for axis, size in enumerate(tensor.shape_signature) if size < 0]
        if not dims:
            continue
        which = ("dimension " if len(dims) == 1 else "dimensions ") + \
            ", ".join(str(axis) for axis in dims)
        example = shape_text("n" if axis in dims else size
                             for axis, size in enumerate(tensor.shape_signature))
        parts = [f"{io_label('input', position, tensor)} has {which} unknown until run time "
                 f"(shape_signature {shape_text(tensor.shape_signature)}); the file's shape "
                 f"{shape_text(tensor.shape)} is a placeholder the interpreter allocates, so "
                 f"call resize_tensor_input({tensor.index}, {example}) and allocate_tensors() "
                 "before feeding another size"]
        for op, shape in baked_reshapes(view, tensor.index):
            parts.append(f"op {op.index} RESHAPE reshapes data from it to the constant shape "
                         f"{shape_text(shape)}, which has no -1, so any other size fails in "
                         f"allocate_tensors() ({RESHAPE_FAILURE})")
        if results:
            parts += [dynamic_dimension_note(result, tensor.shape, dims) for result in results]
        else:
            parts.append(DYNAMIC_WITHOUT_TARGETS)
        yield Violation("; ".join(parts), io_location(tensor),
                        fix="convert with a fixed size if the size never changes; otherwise "
                            "resize before each new size and keep -1 in reshapes")


def baked_reshapes(view, input_index: int) -> Iterator[tuple[Operator, tuple[int, ...]]]:
    """RESHAPE ops of subgraph 0 downstream of the input whose data has a -1 dimension but
    whose target shape is a constant without -1 (reshape.cc reads input 1 when it is an
    int32 vector, else the new_shape option; only a -1 entry follows the input's size)."""
    reached = downstream(view, input_index)
    main = view.main
    for op in main.operators:
        if op.opcode.name != "RESHAPE" or not op.inputs or op.inputs[0] not in reached:
            continue
        if not main.tensors[op.inputs[0]].is_dynamic:
            continue
        shape = None
        if len(op.inputs) >= 2 and op.inputs[1] >= 0:
            shape_tensor = main.tensors[op.inputs[1]]
            if shape_tensor.dtype == "INT32" and len(shape_tensor.shape) == 1:
                if not shape_tensor.is_constant:
                    continue  # computed at run time: it follows the input
                data = view.tensor_data(shape_tensor)
                shape = None if data is None else tuple(int(v) for v in data.reshape(-1))
        if shape is None:
            shape = tuple(op.options.get("new_shape") or ())
        if shape and all(size >= 0 for size in shape):
            yield op, shape


def downstream(view, tensor_index: int) -> set[int]:
    """Every tensor of subgraph 0 computed from the tensor, and the tensor itself."""
    reached, pending = {tensor_index}, [tensor_index]
    while pending:
        for op in view.consumers(0, pending.pop()):
            for output in op.outputs:
                if output >= 0 and output not in reached:
                    reached.add(output)
                    pending.append(output)
    return reached
