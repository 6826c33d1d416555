from builder import ModelBuilder, relu_model
from tfllint.engine.rule import Location


def bad() -> bytes:
    model = ModelBuilder()
    main = model.subgraph()
    x = main.tensor("x", [1, 4])
    late = main.tensor("late", [1, 4])
    y = main.tensor("y", [1, 4])
    main.op("MUL", [x, late], [y])  # reads `late` before op 1 writes it
    main.op("RELU", [x], [late])
    main.inputs, main.outputs = [x], [y]
    return model.build()


BAD = {("TFL002", Location(subgraph=0, op_index=0, op="MUL", tensor="late", tensor_index=1))}


def good() -> bytes:
    return relu_model().build()
