from _contract_models import difference
from tfllint.engine.rule import Location

INPUTS = [("reading", [1, 4]), ("offset", [1, 1])]


def bad() -> bytes:
    # positional order (reading, offset); LiteRT lists the signature's names sorted
    return difference(INPUTS)


BAD = {("TFL506", Location(subgraph=0, tensor="reading", tensor_index=0))}


def good() -> bytes:
    return difference(INPUTS, order=[1, 0])  # positional order (offset, reading), as sorted
