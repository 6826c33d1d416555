from _mixed_quant import INTEGER_IO_SETTINGS, chain
from tfllint.engine.rule import Location

SETTINGS = INTEGER_IO_SETTINGS


def bad() -> bytes:
    # int8 RELU, a QUANTIZE to uint8 inside the graph, a uint8 RELU, back to int8.
    return chain("INT8", ("RELU", "INT8"), ("QUANTIZE", "UINT8"), ("RELU", "UINT8"),
                 ("QUANTIZE", "INT8"), ("RELU", "INT8"))


BAD = {("TFL202", Location(subgraph=0, op_index=2, op="RELU"))}


def good() -> bytes:
    # The converter's uint8 I/O around an int8 graph (inference_input_type=tf.uint8):
    # uint8 -> int8 at the input, int8 -> uint8 at the output, zero points 128 apart.
    return chain("UINT8", ("QUANTIZE", "INT8", 0), ("RELU", "INT8", 0),
                 ("QUANTIZE", "UINT8", 128), input_zero_point=128)
