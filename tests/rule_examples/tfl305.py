from _targets import NPU_SETTINGS, int8_chain
from tfllint.engine.rule import Location

# TFL102: the stock runtime lacks it
SETTINGS = {**NPU_SETTINGS, "ignore": [*NPU_SETTINGS["ignore"], "TFL102"]}


def bad() -> bytes:
    return int8_chain("CUSTOM", custom_code="test-npu-program")


BAD = {("TFL305", Location(subgraph=0, op_index=0, op="test-npu-program"))}


def good() -> bytes:
    return int8_chain("ADD")
