from _generative import llm
from tfllint.engine.rule import Location

# TFL501 (dynamic-input-dimension) reports the dynamic inputs themselves.
SETTINGS = {"runtime-version": "2.21", "preview": True, "ignore": ["TFL501"]}


def bad() -> bytes:
    return llm(dynamic=True, dynamic_mask=False)


BAD = {("TFL703", Location(subgraph=0, tensor="mask", tensor_index=2))}


def good() -> bytes:
    return llm(dynamic=True)
