from builder import relu_model
from tfllint.engine.rule import Location


def with_declared(version: bytes) -> bytes:
    model = relu_model()
    model.add_metadata("min_runtime_version", version.ljust(16, b"\0"))
    return model.build()


def bad() -> bytes:
    return with_declared(b"1.0.0")  # RELU v1 needs 1.5.0


BAD = {("TFL108", Location())}


def good() -> bytes:
    return with_declared(b"1.5.0")
