from builder import ModelBuilder, relu_model
from tfllint.engine.rule import Location


def bad() -> bytes:
    model = ModelBuilder()
    main = model.subgraph()
    x = main.tensor("matrix", [4, 4])
    y = main.tensor("determinant", [1])
    main.op("CUSTOM", [x], [y], custom_code="FlexMatrixDeterminant")
    main.inputs, main.outputs = [x], [y]
    return model.build()


BAD = {("TFL101", Location(subgraph=0, op_index=0, op="FlexMatrixDeterminant"))}


def good() -> bytes:
    return relu_model().build()
