from _mixed_quant import PTQ_DYNAMIC_RANGE, conversion_metadata, fully_connected
from tfllint.engine.rule import Location


def bad() -> bytes:
    # Asked for dynamic-range quantization; the 8x8 float kernel is far below 1024 elements.
    model = fully_connected("FLOAT32", "FLOAT32", units=8, depth=8)
    model.add_metadata("CONVERSION_METADATA", conversion_metadata([PTQ_DYNAMIC_RANGE]))
    return model.build()


BAD = {("TFL211", Location())}


def good() -> bytes:
    # The same request with a 32x32 kernel: the converter quantized it (a hybrid op).
    model = fully_connected("FLOAT32", "INT8", units=32, depth=32)
    model.add_metadata("CONVERSION_METADATA", conversion_metadata([PTQ_DYNAMIC_RANGE]))
    return model.build()
