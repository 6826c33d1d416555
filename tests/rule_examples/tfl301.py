from _targets import NPU_SETTINGS, int8_chain
from tfllint.engine.rule import Location

SETTINGS = NPU_SETTINGS


def bad() -> bytes:
    return int8_chain("ADD", "TANH", "RELU")  # TANH is not in the test NPU's op table


BAD = {("TFL301", Location(subgraph=0, op_index=1, op="TANH"))}


def good() -> bytes:
    return int8_chain("ADD", "RELU")
