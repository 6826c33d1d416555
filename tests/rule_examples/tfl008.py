import numpy as np

from builder import ModelBuilder
from tfllint.engine.rule import Location


def model_with_bias(bias_bytes: bytes) -> bytes:
    model = ModelBuilder()
    main = model.subgraph()
    x = main.tensor("x", [2, 3])
    bias = main.tensor("bias", [2, 3], data=bias_bytes)  # FLOAT32 [2, 3] needs 24 bytes
    y = main.tensor("y", [2, 3])
    main.op("ADD", [x, bias], [y])
    main.inputs, main.outputs = [x], [y]
    return model.build()


def bad() -> bytes:
    return model_with_bias(bytes(12))


BAD = {("TFL008", Location(subgraph=0, tensor="bias", tensor_index=1))}


def good() -> bytes:
    return model_with_bias(np.zeros((2, 3), np.float32).tobytes())
