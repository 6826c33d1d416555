from _mixed_quant import chain
from tfllint.engine.rule import Location


def bad() -> bytes:
    return chain("INT8", ("RELU", "INT8"))


BAD = {("TFL213", Location(subgraph=0, tensor="x", tensor_index=0)),
       ("TFL213", Location(subgraph=0, tensor="y", tensor_index=1))}


def good() -> bytes:
    # Float inputs and outputs: the model does the conversions (TFL212 tells the cost).
    return chain("FLOAT32", ("RELU", "FLOAT32"))
