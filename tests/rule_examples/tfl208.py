from rule_examples.tfl209 import SETTINGS, int8_conv  # noqa: F401 (SETTINGS: shared)
from tfllint.engine.rule import Location


def bad() -> bytes:
    return int8_conv(weight_zero_points=[0, 5])


BAD = {("TFL208", Location(subgraph=0, op_index=0, op="CONV_2D", tensor="w", tensor_index=1))}


def good() -> bytes:
    return int8_conv(weight_zero_points=[0, 0])
