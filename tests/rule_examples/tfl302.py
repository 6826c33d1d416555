from _targets import NPU_SETTINGS, int8_chain
from tfllint.engine.rule import Location

# TFL501 (dynamic-input-dimension) reports the dynamic input itself.
SETTINGS = {**NPU_SETTINGS, "ignore": [*NPU_SETTINGS.get("ignore", []), "TFL501"]}


def bad() -> bytes:
    return int8_chain("ADD", "RELU", batch=-1)  # the test NPU needs static shapes


BAD = {("TFL302", Location())}


def good() -> bytes:
    return int8_chain("ADD", "RELU")
