from _mixed_quant import INTEGER_IO_SETTINGS, chain
from tfllint.engine.rule import Location

SETTINGS = INTEGER_IO_SETTINGS


def bad() -> bytes:
    # int8 RELU, then TANH and MUL... in float between a DEQUANTIZE and a QUANTIZE.
    return chain("INT8", ("RELU", "INT8"), ("DEQUANTIZE", "FLOAT32"), ("TANH", "FLOAT32"),
                 ("LOGISTIC", "FLOAT32"), ("QUANTIZE", "INT8"), ("RELU", "INT8"))


BAD = {("TFL201", Location(subgraph=0, op_index=2, op="TANH"))}


def good() -> bytes:
    return chain("INT8", ("RELU", "INT8"), ("TANH", "INT8"), ("LOGISTIC", "INT8"),
                 ("RELU", "INT8"))
