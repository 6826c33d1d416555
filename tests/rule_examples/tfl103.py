from builder import ModelBuilder, relu_model
from tfllint.engine.rule import Location


def bad() -> bytes:
    model = ModelBuilder()
    main = model.subgraph()
    x = main.tensor("x", [1, 4])
    y = main.tensor("y", [1, 4])
    main.op(215, [x], [y])  # newer than any schema tfllint knows
    main.inputs, main.outputs = [x], [y]
    return model.build()


BAD = {("TFL103", Location(subgraph=0, op_index=0, op="UNKNOWN(215)"))}


def good() -> bytes:
    return relu_model().build()
