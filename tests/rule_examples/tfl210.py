import numpy as np

from builder import ModelBuilder
from tfllint.engine.rule import Location


def dense(weights: np.ndarray) -> bytes:
    """x [1, 4] -> FULLY_CONNECTED (float32 weights [3, 4], bias) -> y [1, 3]."""
    model = ModelBuilder()
    main = model.subgraph()
    x = main.tensor("x", [1, 4])
    w = main.constant("w", weights.astype(np.float32))
    b = main.constant("b", np.zeros(3, np.float32))
    y = main.tensor("y", [1, 3])
    main.op("FULLY_CONNECTED", [x, w, b], [y])
    main.inputs, main.outputs = [x], [y]
    return model.build()


def bad() -> bytes:
    weights = np.ones((3, 4))
    weights[1, 2] = np.nan
    return dense(weights)


BAD = {("TFL210", Location(subgraph=0, tensor="w", tensor_index=1))}


def good() -> bytes:
    return dense(np.ones((3, 4)))
