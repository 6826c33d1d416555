from _generative import llm
from tfllint.engine.rule import Location

SETTINGS = {"runtime-version": "2.21", "preview": True}


def bad() -> bytes:
    return llm(int64_positions=True)


BAD = {("TFL705", Location(subgraph=subgraph, tensor="input_pos", tensor_index=1))
       for subgraph in (0, 1)}


def good() -> bytes:
    return llm()
