from _mixed_quant import chain
from tfllint.engine.rule import Location


def bad() -> bytes:
    # A float model with a leftover fake-quant pair: float -> int8 -> float.
    return chain("FLOAT32", ("QUANTIZE", "INT8"), ("DEQUANTIZE", "FLOAT32"), ("RELU", "FLOAT32"))


BAD = {("TFL204", Location(subgraph=0, op_index=0, op="QUANTIZE", tensor="x", tensor_index=0))}


def good() -> bytes:
    return chain("FLOAT32", ("RELU", "FLOAT32"))
