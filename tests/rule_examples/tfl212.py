from _mixed_quant import INTEGER_IO_SETTINGS, chain
from tfllint.engine.rule import Location

GOOD_SETTINGS = INTEGER_IO_SETTINGS


def bad() -> bytes:
    # The converter's default for an int8 model: float in, QUANTIZE, ..., DEQUANTIZE, float out.
    return chain("FLOAT32", ("QUANTIZE", "INT8"), ("RELU", "INT8"), ("DEQUANTIZE", "FLOAT32"))


BAD = {("TFL212", Location(subgraph=0, op_index=0, op="QUANTIZE", tensor="x", tensor_index=0)),
       ("TFL212", Location(subgraph=0, op_index=2, op="DEQUANTIZE", tensor="y",
                           tensor_index=3))}


def good() -> bytes:
    # inference_input_type / inference_output_type = tf.int8: no conversion ops.
    return chain("INT8", ("RELU", "INT8"))
