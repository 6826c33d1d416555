from _generative import llm
from tfllint.engine.rule import Location

SETTINGS = {"runtime-version": "2.21", "preview": True}


def bad() -> bytes:
    return llm(kv_outputs={"kv_cache_v_0": "kv_cache_v_0_out"})


BAD = {("TFL702", Location(subgraph=subgraph, tensor=name, tensor_index=index))
       for subgraph in (0, 1)
       for name, index in (("kv_cache_v_0", 13), ("kv_cache_v_0_out", 14))}


def good() -> bytes:
    return llm()
