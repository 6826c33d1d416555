from __future__ import annotations

from typing import Sequence

import flatbuffers
import numpy as np
from tflite.BuiltinOptions import BuiltinOptions

from builder import OPERATOR, ModelBuilder, _ints
from tfllint.engine.rule import Location


class ReshapeBuilder(ModelBuilder):
    """ModelBuilder that also writes ReshapeOptions (a vector field, which builder.py's
    scalar-only options do not cover): op(..., options=("ReshapeOptions", {"new_shape":
    [...]}))."""

    @staticmethod
    def _operator(b: flatbuffers.Builder, op: dict) -> int:
        if op["options"] is None or op["options"][0] != "ReshapeOptions":
            return ModelBuilder._operator(b, op)
        new_shape = _ints(b, op["options"][1]["new_shape"])
        b.StartObject(1)
        b.PrependUOffsetTRelativeSlot(0, new_shape, 0)  # ReshapeOptions.new_shape
        options = b.EndObject()
        inputs, outputs = _ints(b, op["inputs"]), _ints(b, op["outputs"])
        b.StartObject(13)
        b.PrependUint32Slot(OPERATOR["opcode_index"], op["opcode"], 0)
        b.PrependUOffsetTRelativeSlot(OPERATOR["inputs"], inputs, 0)
        b.PrependUOffsetTRelativeSlot(OPERATOR["outputs"], outputs, 0)
        b.PrependUint8Slot(OPERATOR["builtin_options_type"], BuiltinOptions.ReshapeOptions, 0)
        b.PrependUOffsetTRelativeSlot(OPERATOR["builtin_options"], options, 0)
        return b.EndObject()


def orphan_add(shape: Sequence[int] = (1, 4)) -> bytes:
    """x -> ADD(x, orphan) -> y, where no op writes 'orphan' and it holds no data."""
    model = ModelBuilder()
    main = model.subgraph()
    x = main.tensor("x", shape)
    orphan = main.tensor("orphan", shape)  # no producer, no data, not an input
    y = main.tensor("y", shape)
    main.op("ADD", [x, orphan], [y])
    main.inputs, main.outputs = [x], [y]
    return model.build()


def reshape_with_unwritten_shape(input_shape: Sequence[int], output_shape: Sequence[int],
                                 shape_shape: Sequence[int], shape_dtype: str = "INT32",
                                 new_shape: Sequence[int] | None = None) -> bytes:
    """x -> RESHAPE(x, shape) -> y, where no op writes 'shape' and it holds no data (as
    older converters leave it), with ReshapeOptions.new_shape when given."""
    model = ReshapeBuilder()
    main = model.subgraph()
    x = main.tensor("x", input_shape)
    shape = main.tensor("shape", shape_shape, shape_dtype)
    y = main.tensor("y", output_shape)
    options = None if new_shape is None else ("ReshapeOptions", {"new_shape": list(new_shape)})
    main.op("RESHAPE", [x, shape], [y], options=options)
    main.inputs, main.outputs = [x], [y]
    return model.build()


def bad() -> bytes:
    """Two ops read unwritten tensors with values: LiteRT fails at invoke on both."""
    model = ModelBuilder()
    main = model.subgraph()
    x = main.tensor("x", [1, 4])
    orphan = main.tensor("orphan", [1, 4])  # no producer, no data, not an input
    s = main.tensor("s", [1, 4])
    shape = main.tensor("shape", [2], "INT32")  # an int32 vector: reshape.cc reads it
    y = main.tensor("y", [4, 1])
    main.op("ADD", [x, orphan], [s])
    main.op("RESHAPE", [s, shape], [y])
    main.inputs, main.outputs = [x], [y]
    return model.build()


BAD = {("TFL001", Location(subgraph=0, op_index=0, op="ADD", tensor="orphan", tensor_index=1)),
       ("TFL001", Location(subgraph=0, op_index=1, op="RESHAPE", tensor="shape",
                           tensor_index=3))}


def good() -> bytes:
    """Unwritten tensors no runtime reads a value of: an empty INT32 shape vector of a
    one-element RESHAPE (read as the shape []: a scalar), a RESHAPE shape that is not a
    vector (the shape comes from ReshapeOptions.new_shape), an ADD of empty tensors."""
    model = ReshapeBuilder()
    main = model.subgraph()
    x = main.tensor("in_x", [1, 4])
    empty_shape = main.tensor("empty_shape", [0], "INT32")
    matrix_shape = main.tensor("matrix_shape", [1, 1], "INT32")
    one = main.tensor("one", [1])
    scalar = main.tensor("out_scalar", [])
    flat = main.tensor("out_flat", [4])
    nothing = main.tensor("in_zeros", [0, 4])
    also_nothing = main.tensor("also_nothing", [0, 4])
    empty_sum = main.tensor("out_zeros", [0, 4])
    first = main.constant("first", np.array([0, 0], np.int32), "INT32")
    size = main.constant("size", np.array([1, 1], np.int32), "INT32")
    corner = main.tensor("corner", [1, 1])
    main.op("SLICE", [x, first, size], [corner])
    main.op("RESHAPE", [corner, matrix_shape], [one], options=("ReshapeOptions",
                                                                {"new_shape": [1]}))
    main.op("RESHAPE", [one, empty_shape], [scalar])
    main.op("RESHAPE", [x, matrix_shape], [flat], options=("ReshapeOptions",
                                                           {"new_shape": [4]}))
    main.op("ADD", [nothing, also_nothing], [empty_sum])
    main.inputs, main.outputs = [x, nothing], [flat, scalar, empty_sum]
    model.signature("serving_default", {"in_x": x, "in_zeros": nothing},
                    {"out_flat": flat, "out_scalar": scalar, "out_zeros": empty_sum})
    return model.build()
