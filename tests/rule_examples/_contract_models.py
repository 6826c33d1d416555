"""Small float models for the TFL5xx (input/output contract) examples and tests."""
from __future__ import annotations

from typing import Sequence

import numpy as np

from builder import ModelBuilder


def difference(inputs: Sequence[tuple[str, list[int]]], *, signature: bool = True,
               order: Sequence[int] | None = None, output: str = "difference") -> bytes:
    """first - second: two float32 inputs (name, shape), one output [1, 4].

    `order` gives subgraph 0's input list as positions in `inputs` (default: as given);
    the signature names each input as the TF converter does: the tensor's name without
    "serving_default_" and ":0".
    """
    model = ModelBuilder()
    main = model.subgraph()
    tensors = [main.tensor(name, shape) for name, shape in inputs]
    result = main.tensor(output, [1, 4])
    main.op("SUB", tensors, [result])
    main.inputs = [tensors[i] for i in (order if order is not None else range(len(tensors)))]
    main.outputs = [result]
    if signature:
        names = {_signature_name(name): tensors[i] for i, (name, _) in enumerate(inputs)}
        model.signature("serving_default", names, {_signature_name(output): result})
    return model.build()


def _signature_name(tensor_name: str) -> str:
    return tensor_name.removeprefix("serving_default_").split(":")[0]


def flatten(signature: list[int] | None, *, shape_constant: list[int] | None = None) -> bytes:
    """x float32 [1, 4, 4] -> RESHAPE -> y [1, 16]; the new shape is a constant input."""
    model = ModelBuilder()
    main = model.subgraph()
    x = main.tensor("x", [1, 4, 4], shape_signature=signature)
    new_shape = main.constant("new_shape", np.array(shape_constant or [-1, 16], np.int32),
                              "INT32")
    y_signature = [-1, 16] if signature and signature[0] < 0 else None
    y = main.tensor("y", [1, 16], shape_signature=y_signature)
    main.op("RESHAPE", [x, new_shape], [y])
    main.inputs, main.outputs = [x], [y]
    model.signature("serving_default", {"x": x}, {"y": y})
    return model.build()


def relu(shape: list[int], *, metadata: bytes | None = None) -> bytes:
    """x float32 -> RELU -> y, with a signature, optionally with a TFLITE_METADATA buffer."""
    model = ModelBuilder()
    main = model.subgraph()
    x, y = main.tensor("x", shape), main.tensor("y", shape)
    main.op("RELU", [x], [y])
    main.inputs, main.outputs = [x], [y]
    model.signature("serving_default", {"x": x}, {"y": y})
    if metadata is not None:
        model.add_metadata("TFLITE_METADATA", metadata)
    return model.build()
