import numpy as np

from builder import relu_model
from tfllint.engine.rule import Location


def bad() -> bytes:
    model = relu_model()
    model.subgraphs[0].constant("leftover", np.ones((16,), np.float32))
    return model.build()


BAD = {("TFL005", Location(subgraph=0, tensor="leftover", tensor_index=2))}


def good() -> bytes:
    return relu_model().build()
