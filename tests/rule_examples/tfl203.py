from _mixed_quant import INTEGER_IO_SETTINGS, fully_connected
from tfllint.engine.rule import Location

SETTINGS = INTEGER_IO_SETTINGS


def bad() -> bytes:
    # An int8 RELU, then a hybrid FULLY_CONNECTED: float activations, int8 weights.
    return fully_connected("FLOAT32", "INT8", around="INT8").build()


BAD = {("TFL203", Location(subgraph=0, op_index=2, op="FULLY_CONNECTED", tensor="w",
                           tensor_index=1))}


def good() -> bytes:
    return fully_connected("INT8", "INT8").build()
