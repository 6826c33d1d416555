from rule_examples.tfl209 import SETTINGS, int8_conv  # noqa: F401 (SETTINGS: shared)
from tfllint.engine.rule import Location


def bad() -> bytes:
    # Three scales for the filter's dimension 0, which has 2 output channels.
    return int8_conv(weight_scales=[0.25, 0.125, 0.5], bias_scales=[0.125, 0.0625])


BAD = {("TFL207", Location(subgraph=0, tensor="w", tensor_index=1))}


def good() -> bytes:
    return int8_conv(weight_scales=[0.25, 0.125], bias_scales=[0.125, 0.0625])
