from _targets import NPU_SETTINGS, int8_chain
from tfllint.engine.rule import Location

SETTINGS = {**NPU_SETTINGS, "min-on-target": "75%",
            "ignore": [*NPU_SETTINGS["ignore"], "TFL301"]}


def bad() -> bytes:
    return int8_chain("ADD", "TANH", "LOGISTIC", "RELU")  # 2 of 4 ops on the NPU


BAD = {("TFL304", Location())}


def good() -> bytes:
    return int8_chain("ADD", "RELU", "ADD", "TANH")  # 3 of 4
