from _generative import llm
from tfllint.engine.rule import Location

SETTINGS = {"runtime-version": "2.21", "preview": True}


def bad() -> bytes:
    return llm(names={"logits": "output"})  # no family without "logits"


BAD = {("TFL701", Location(subgraph=1))}


def good() -> bytes:
    return llm()
