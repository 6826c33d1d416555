from builder import relu_model
from tfllint.engine.rule import Location


def bad() -> bytes:
    model = relu_model()
    model.buffer(b"\x01" * 64)  # data no tensor or metadata refers to
    return model.build()


BAD = {("TFL006", Location(buffer=1))}


def good() -> bytes:
    return relu_model().build()
