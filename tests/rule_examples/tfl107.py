from builder import relu_model
from tfllint.engine.rule import Location

SETTINGS: dict = {}  # no --runtime-version: report the minimum the model needs


def bad() -> bytes:
    return relu_model().build()


BAD = {("TFL107", Location())}

GOOD_SETTINGS = {"runtime-version": "2.11"}  # a named runtime is checked by TFL106 instead


def good() -> bytes:
    return relu_model().build()
