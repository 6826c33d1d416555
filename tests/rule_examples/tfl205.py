from rule_examples.tfl209 import SETTINGS, int8_conv  # noqa: F401 (SETTINGS: shared)
from tfllint.engine.rule import Location

# The bias keeps valid scales so that only the weights' scale is wrong.
BIAS_SCALES = [0.125, 0.0625]


def bad() -> bytes:
    return int8_conv(weight_scales=[0.25, 0.0], bias_scales=BIAS_SCALES)


BAD = {("TFL205", Location(subgraph=0, tensor="w", tensor_index=1))}


def good() -> bytes:
    return int8_conv(weight_scales=[0.25, 0.125], bias_scales=BIAS_SCALES)
