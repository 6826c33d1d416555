"""TFL001: an op reads a tensor that nothing gives a value."""
from __future__ import annotations

import math
from typing import Iterator

from tfllint.engine.rule import RuleContext, Violation, rule
from tfllint.model import Operator, Tensor

from ._locations import at_op, tensor_label

# What the runtimes do with such a tensor (a tensor of the arena that no op writes):
# - LiteRT never gives it memory, and Subgraph::Invoke refuses every node input with no
#   data and a non-zero size ("Input tensor %d lacks data", tensorflow/lite/core/
#   subgraph.cc, the fix of CVE-2020-15209/CVE-2021-29592), except RESHAPE's input 1 when it
#   is not a vector: reshape.cc then takes the new shape from ReshapeOptions.new_shape.
#   A tensor with no elements has no bytes: nothing is checked and nothing is read. An
#   empty INT32 vector as RESHAPE's input 1 is read as the shape [] (a scalar).
# - TFLite Micro plans it like any activation and reads whatever its arena holds there,
#   often another tensor's values from the previous invoke (micro_allocation_info.cc marks
#   its lifetime from its first use only). Its RESHAPE never reads input 1 (it takes the
#   output tensor's shape, reshape_common.cc).
LACKS_DATA = "Input tensor {index} lacks data"
ELEMENTS_DIFFER = "num_input_elements != num_output_elements ({input} != {output})"


@rule(id="TFL001", name="tensor-read-without-source", severity="error",
      untrusted_severity="error",
      evidence=(
          "runtime+source: tests/test_runtime_semantics.py (LiteRT refuses the op at invoke, "
          "'Input tensor N lacks data', tensorflow/lite/core/subgraph.cc; TFLite Micro reads "
          "the previous invoke's values, micro_allocation_info.cc; reshape.cc and "
          "reshape_common.cc for RESHAPE's shape input)"))
def check(ctx: RuleContext) -> Iterator[Violation]:
    """An op reads a tensor that no op writes and that is not an input, constant or variable.

    What it finds:
        Operator inputs whose tensor has no source at all (no operator of the subgraph
        produces it, it is not one of the subgraph's inputs, it holds no constant data and
        it is not a variable) and whose values the runtime reads. Not reported: tensors
        with no elements (a dimension of 0: there is nothing to read), and RESHAPE's
        shape input when it is not a vector (LiteRT takes the shape from the op's
        options; TFLite Micro from the output tensor), both left by older converters.
        An empty INT32 vector as RESHAPE's shape input is reported only where LiteRT
        fails on it: it reads it as the shape [] (a scalar), so an input of more than
        one element does not fit.

    Why it matters:
        LiteRT loads the model and refuses it at the first invoke ("Input tensor N lacks
        data"). TFLite Micro runs it on whatever its arena holds at that place, often
        another tensor's values from the previous invoke: wrong results with no error.
        It usually means a graph was edited by hand or a tool dropped the op that
        produced the tensor.

    Example:
        op 3 (ADD) reads tensor 'skip' (#7), but no op writes it and it is not a subgraph
        input, a constant or a variable: LiteRT fails at invoke with 'Input tensor 7
        lacks data'; TFLite Micro reads whatever its arena holds there (wrong results, no
        error).

    How to fix:
        Re-export the model from its source framework; if the graph was edited, restore
        the producing op or make the tensor a subgraph input.
    """
    for subgraph in ctx.view.subgraphs:
        # Every tensor something gives a value: an op, the caller, the file, or state.
        sourced = {t for op in subgraph.operators for t in op.outputs}
        sourced.update(subgraph.inputs)
        sourced.update(t.index for t in subgraph.tensors if t.is_constant or t.is_variable)
        for op in subgraph.operators:
            for position, tensor_index in enumerate(op.inputs):
                if tensor_index < 0 or tensor_index in sourced:
                    continue
                tensor = subgraph.tensors[tensor_index]
                outcome = _runtime_outcome(op, position, tensor, subgraph.tensors)
                if outcome is None:
                    continue  # the runtimes read no value of it
                # one finding per op type and outcome: "lacks data" or a reshape to []
                what = "an unsourced tensor" if outcome.startswith("LiteRT fails") \
                    else "an unsourced empty shape"
                yield Violation(
                    f"{op.name} reads tensor {tensor_label(tensor)}, but no op writes it and "
                    f"it is not a subgraph input, a constant or a variable: {outcome}",
                    at_op(op, tensor), cause=f"{op.name} reads {what}",
                    fix="re-export the model, or restore the op that produces this tensor")


def _runtime_outcome(op: Operator, position: int, tensor: Tensor,
                     tensors: tuple[Tensor, ...]) -> str | None:
    """What LiteRT and TFLite Micro do when the op reads this unsourced tensor; None when
    neither reads a value of it (and LiteRT does not fail on it)."""
    reshape_shape = op.opcode.name == "RESHAPE" and position == 1
    if _is_empty(tensor):
        if reshape_shape and tensor.dtype == "INT32" and len(tensor.shape) == 1:
            return _empty_shape_outcome(op, tensors)
        return None  # no bytes: LiteRT checks nothing, nothing is read
    if reshape_shape and len(tensor.shape) != 1:
        return None  # LiteRT takes ReshapeOptions.new_shape, TFLM the output's shape
    if op.opcode.name == "DENSIFY":
        # a sparse constant whose buffer is gone (issue 13's harness: ai-edge-litert ran
        # mp_face_detection_full_range_sparse so mutated, with and without XNNPACK)
        return ("ai-edge-litert 2.3.0 runs the model on weights it never read (NaN outputs "
                "on the harness's model); TFLite Micro has no DENSIFY kernel")
    micro = ("TFLite Micro ignores it (it takes the output tensor's shape)" if reshape_shape
             else "TFLite Micro reads whatever its arena holds there (wrong results, no error)")
    return f"LiteRT fails at invoke with '{LACKS_DATA.format(index=tensor.index)}'; {micro}"


def _is_empty(tensor: Tensor) -> bool:
    """A static shape with a dimension of 0: no elements, no bytes."""
    return bool(tensor.shape) and min(tensor.shape) == 0


def _empty_shape_outcome(op: Operator, tensors: tuple[Tensor, ...]) -> str | None:
    """RESHAPE whose shape input is an empty INT32 vector that no op writes: LiteRT's
    reshape.cc reads it as the new shape [] (one element); TFLM takes the output's shape."""
    if not op.inputs or op.inputs[0] < 0:
        return None
    data = tensors[op.inputs[0]]
    if data.is_dynamic or min(data.shape, default=1) < 0:
        return None  # its size is known at run time only
    elements = math.prod(data.shape)
    if elements == 1:
        return None  # a one-element input to a scalar: what older converters meant
    return ("LiteRT reads it as the new shape [] (a scalar) and fails at invoke with '"
            + ELEMENTS_DIFFER.format(input=elements, output=1)
            + "'; TFLite Micro ignores it and takes the output tensor's shape")
