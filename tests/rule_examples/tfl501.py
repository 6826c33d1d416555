from _contract_models import flatten
from tfllint.engine.rule import Location


def bad() -> bytes:
    # batch unknown until run time, and a RESHAPE to [1, 16] that bakes batch 1 in
    return flatten([-1, 4, 4], shape_constant=[1, 16])


BAD = {("TFL501", Location(subgraph=0, tensor="x", tensor_index=0))}


def good() -> bytes:
    return flatten(None)  # converted with a fixed batch of 1
