from builder import relu_model
from tfllint.engine.rule import Location


def bad() -> bytes:
    model = relu_model()
    orphan = model.subgraph("orphan")
    a = orphan.tensor("a", [2])
    b = orphan.tensor("b", [2])
    orphan.op("RELU", [a], [b])
    orphan.inputs, orphan.outputs = [a], [b]
    return model.build()


BAD = {("TFL007", Location(subgraph=1))}


def good() -> bytes:
    return relu_model().build()
