from _contract_models import difference
from tfllint.engine.rule import Location


def bad() -> bytes:
    return difference([("serving_default_input_1:0", [1, 4]), ("input_2", [1, 1])])


BAD = {("TFL504", Location())}


def good() -> bytes:
    return difference([("offset", [1, 1]), ("serving_default_reading:0", [1, 4])])
