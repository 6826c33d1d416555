from rule_examples.tfl209 import SETTINGS, int8_conv  # noqa: F401 (SETTINGS: shared)
from tfllint.engine.rule import Location


def bad() -> bytes:
    return int8_conv(input_zero_point=[200])  # a uint8 zero point on an int8 tensor


BAD = {("TFL206", Location(subgraph=0, tensor="x", tensor_index=0))}


def good() -> bytes:
    return int8_conv(input_zero_point=[72])
