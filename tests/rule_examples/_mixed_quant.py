"""Small models for the TFL201-TFL204 and TFL211-TFL213 examples and their branch tests.

`chain` strings ops one after another from the input to the output; each step names the
op and the type of the tensor it writes, so a float island, a uint8 stretch or a
conversion pair is one line. Integer tensors get per-tensor parameters (scale 0.5; zero
point 0 for int8 and int16, 128 for uint8) unless a step gives its own.
"""
from __future__ import annotations

from typing import Sequence

import flatbuffers
import numpy as np

from builder import ModelBuilder

# Settings of the integer examples: a model with quantized integer inputs and outputs
# always makes TFL213 (integer-io-needs-quantizing, info) give the caller's formula.
INTEGER_IO_SETTINGS = {"runtime-version": "2.21", "ignore": ["TFL213"]}
DEFAULT_ZERO_POINTS = {"INT8": 0, "UINT8": 128, "INT16": 0}
SCALE = 0.5


def quantization(dtype: str, scale: float = SCALE, zero_point: int | None = None) -> dict:
    if dtype not in DEFAULT_ZERO_POINTS:
        return {}
    return {"scale": [scale],
            "zero_point": [DEFAULT_ZERO_POINTS[dtype] if zero_point is None else zero_point]}


def chain(input_dtype: str, *steps: tuple, input_zero_point: int | None = None) -> bytes:
    """x -> op -> op -> ... -> y, every tensor [1, 4].

    A step is (op name, output dtype) or (op name, output dtype, zero point)."""
    return chain_builder(input_dtype, *steps, input_zero_point=input_zero_point).build()


def chain_builder(input_dtype: str, *steps: tuple,
                  input_zero_point: int | None = None) -> ModelBuilder:
    model = ModelBuilder()
    main = model.subgraph("main")
    current = main.tensor("x", [1, 4], input_dtype,
                          **quantization(input_dtype, zero_point=input_zero_point))
    main.inputs = [current]
    for position, step in enumerate(steps):
        name, dtype = step[0], step[1]
        zero_point = step[2] if len(step) > 2 else None
        last = position == len(steps) - 1
        output = main.tensor("y" if last else f"t{position}", [1, 4], dtype,
                             **quantization(dtype, zero_point=zero_point))
        main.op(name, [current], [output], version=2 if dtype in ("INT8", "UINT8") else 1)
        current = output
    main.outputs = [current]
    return model


def fully_connected(activation_dtype: str, weight_dtype: str, *, units: int = 4,
                    depth: int = 4, around: str | None = None) -> ModelBuilder:
    """x [1, depth] -> FULLY_CONNECTED (constant weights [units, depth], no bias) -> y.

    With `around` ("INT8"), the op sits in an integer graph: x and y are of that type, an
    integer RELU reads x, and a DEQUANTIZE before and a QUANTIZE after the op connect it."""
    model = ModelBuilder()
    main = model.subgraph("main")
    outer = around or activation_dtype
    x = main.tensor("x", [1, depth], outer, **quantization(outer))
    weight_values = (np.arange(units * depth) % 7 - 3).reshape(units, depth)
    if weight_dtype == "FLOAT32":
        w = main.constant("w", weight_values.astype(np.float32) / 8)
    else:
        w = main.constant("w", weight_values.astype(np.int8), weight_dtype, scale=[0.25],
                          zero_point=[0])
    y = main.tensor("y", [1, units], outer, **quantization(outer))
    if around:
        x_relu = main.tensor("x_relu", [1, depth], outer, **quantization(outer))
        x_float = main.tensor("x_float", [1, depth])
        y_float = main.tensor("y_float", [1, units])
        main.op("RELU", [x], [x_relu], version=2)
        main.op("DEQUANTIZE", [x_relu], [x_float], version=2)
        main.op("FULLY_CONNECTED", [x_float, w, -1], [y_float], version=3)
        main.op("QUANTIZE", [y_float], [y], version=1)
    else:
        version = 4 if activation_dtype == "INT8" else 3 if weight_dtype == "INT8" else 1
        main.op("FULLY_CONNECTED", [x, w, -1], [y], version=version)
    main.inputs, main.outputs = [x], [y]
    return model


def conversion_metadata(modes: Sequence[int], tensorflow_version: str = "2.21.0") -> bytes:
    """A CONVERSION_METADATA flatbuffer (conversion_metadata.fbs) listing `modes`."""
    b = flatbuffers.Builder(64)
    version = b.CreateString(tensorflow_version)
    b.StartObject(4)  # Environment
    b.PrependUOffsetTRelativeSlot(0, version, 0)
    environment = b.EndObject()
    b.StartVector(4, len(modes), 4)
    for mode in reversed(modes):
        b.PrependInt32(mode)
    vector = b.EndVector()
    b.StartObject(5)  # ConversionOptions
    b.PrependUOffsetTRelativeSlot(0, vector, 0)
    options = b.EndObject()
    b.StartObject(2)  # ConversionMetadata
    b.PrependUOffsetTRelativeSlot(0, environment, 0)
    b.PrependUOffsetTRelativeSlot(1, options, 0)
    b.Finish(b.EndObject())
    return bytes(b.Output())


PTQ_FLOAT16, PTQ_DYNAMIC_RANGE, PTQ_FULL_INTEGER = 1001, 1002, 1003
