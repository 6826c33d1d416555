from builder import ModelBuilder, relu_model
from tfllint.engine.rule import Location


def bad() -> bytes:
    model = ModelBuilder()
    main = model.subgraph()
    x = main.tensor("x", [1, 4], 30)  # TensorType 30 does not exist (yet)
    y = main.tensor("y", [1, 4])
    main.op("CAST", [x], [y])
    main.inputs, main.outputs = [x], [y]
    return model.build()


BAD = {("TFL104", Location(subgraph=0, tensor="x", tensor_index=0))}


def good() -> bytes:
    return relu_model().build()
