import numpy as np

from builder import ModelBuilder
from tfllint.engine.rule import Location

SETTINGS = {"runtime-version": "2.21", "preview": True}


def conv(bias_type: str) -> bytes:
    """A FLOAT32 CONV_2D whose bias (2 values) is stored as `bias_type`."""
    model = ModelBuilder()
    main = model.subgraph()
    x = main.tensor("x", [1, 4, 4, 2])
    w = main.constant("w", np.ones((2, 1, 1, 2), np.float32))
    data = np.zeros(2, np.float32).tobytes() if bias_type == "FLOAT32" else bytes(1)
    b = main.tensor("b", [2], bias_type, data=data)
    y = main.tensor("y", [1, 4, 4, 2])
    main.op("CONV_2D", [x, w, b], [y], options=("Conv2DOptions", {
        "padding": 1, "stride_w": 1, "stride_h": 1, "dilation_w_factor": 1,
        "dilation_h_factor": 1}))
    main.inputs, main.outputs = [x], [y]
    return model.build()


def bad() -> bytes:
    return conv("INT4")  # conv.cc Prepare: a FLOAT32 input needs a FLOAT32 bias


BAD = {("TFL011", Location(subgraph=0, op_index=0, op="CONV_2D", tensor="b",
                           tensor_index=2))}


def good() -> bytes:
    return conv("FLOAT32")
