from _generative import llm
from tfllint.engine.rule import Location

SETTINGS = {"runtime-version": "2.21", "preview": True}


def bad() -> bytes:
    return llm(weights="INT4", blockwise={"block": 48})  # 48 does not divide 64 channels


BAD = {("TFL704", Location(subgraph=subgraph, op_index=3, op="FULLY_CONNECTED",
                           tensor="projection", tensor_index=9)) for subgraph in (0, 1)}


def good() -> bytes:
    return llm(weights="INT4")
