from _contract_models import difference
from tfllint.engine.rule import Location


def bad() -> bytes:
    return difference([("offset", [1, 1]), ("reading", [1, 4])], signature=False)


BAD = {("TFL505", Location())}


def good() -> bytes:
    return difference([("offset", [1, 1]), ("reading", [1, 4])])
