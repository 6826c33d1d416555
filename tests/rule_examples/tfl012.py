import numpy as np

from builder import ModelBuilder
from tfllint.engine.rule import Location

SETTINGS = {"runtime-version": "2.21", "preview": True}


def fully_connected(bias: int) -> bytes:
    """FULLY_CONNECTED [1, 4] x [3, 4] with a constant bias of `bias` elements."""
    model = ModelBuilder()
    main = model.subgraph()
    x = main.tensor("x", [1, 4])
    w = main.constant("w", np.ones((3, 4), np.float32))
    b = main.constant("b", np.zeros(bias, np.float32))
    y = main.tensor("y", [1, 3])
    main.op("FULLY_CONNECTED", [x, w, b], [y], options=("FullyConnectedOptions", {}))
    main.inputs, main.outputs = [x], [y]
    return model.build()


def bad() -> bytes:
    return fully_connected(2)  # fully_connected.cc Prepare: NumElements(bias) != 3


BAD = {("TFL012", Location(subgraph=0, op_index=0, op="FULLY_CONNECTED", tensor="b",
                           tensor_index=2))}


def good() -> bytes:
    return fully_connected(3)
