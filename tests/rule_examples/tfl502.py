from _contract_models import relu
from tfllint.engine.rule import Location

SETTINGS = {"runtime-version": "2.21", "target": ["gpu"]}


def bad() -> bytes:
    return relu([2, 8])  # exported with the training batch size


BAD = {("TFL502", Location(subgraph=0, tensor="x", tensor_index=0))}


def good() -> bytes:
    return relu([1, 8])
