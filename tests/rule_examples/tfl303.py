from _targets import NPU_SETTINGS, int8_chain
from tfllint.engine.rule import Location

# TANH splits the graph in two NPU partitions; TFL301 reports TANH itself.
SETTINGS = {**NPU_SETTINGS, "max-partitions": 1,
            "ignore": [*NPU_SETTINGS["ignore"], "TFL301"]}


def bad() -> bytes:
    return int8_chain("ADD", "TANH", "RELU")


BAD = {("TFL303", Location())}


def good() -> bytes:
    return int8_chain("ADD", "RELU", "TANH")  # one NPU partition, then the CPU
