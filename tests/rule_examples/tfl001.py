from builder import ModelBuilder, relu_model
from tfllint.engine.rule import Location


def bad() -> bytes:
    model = ModelBuilder()
    main = model.subgraph()
    x = main.tensor("x", [1, 4])
    orphan = main.tensor("orphan", [1, 4])  # no producer, no data, not an input
    y = main.tensor("y", [1, 4])
    main.op("ADD", [x, orphan], [y])
    main.inputs, main.outputs = [x], [y]
    return model.build()


BAD = {("TFL001", Location(subgraph=0, op_index=0, op="ADD", tensor="orphan", tensor_index=1))}


def good() -> bytes:
    return relu_model().build()
