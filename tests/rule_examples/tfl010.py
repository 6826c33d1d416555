from builder import ModelBuilder
from tfllint.engine.rule import Location

SETTINGS = {"runtime-version": "2.21", "preview": True}


def add_model(shape) -> bytes:
    model = ModelBuilder()
    main = model.subgraph()
    x = main.tensor("x", shape)
    y = main.tensor("y", shape)
    main.op("ADD", [x, x], [y], options=("AddOptions", {}))
    main.inputs, main.outputs = [x], [y]
    return model.build()


def bad() -> bytes:
    return add_model([65536, 65536])  # 2^32 elements


# y is ADD's output: LiteRT sizes it in ADD's Prepare, so only the input counts
BAD = {("TFL010", Location(subgraph=0, tensor="x", tensor_index=0))}


def good() -> bytes:
    return add_model([1024, 1024])
