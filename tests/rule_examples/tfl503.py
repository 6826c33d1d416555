from _contract_models import difference
from tfllint.engine.rule import Location


def bad() -> bytes:
    return difference([("key", [1, 4]), ("query", [1, 4])])


BAD = {("TFL503", Location(subgraph=0, tensor="key", tensor_index=0))}


def good() -> bytes:
    return difference([("key", [1, 4]), ("threshold", [1, 1])])  # nothing to mix up
