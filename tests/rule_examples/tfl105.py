from builder import ModelBuilder, relu_model
from tfllint.engine.rule import Location


def bad() -> bytes:
    model = ModelBuilder()
    main = model.subgraph()
    x = main.tensor("x", [2, 2])
    y = main.tensor("y", [4])
    main.op("STABLEHLO_RESHAPE", [x], [y])  # in the schema, in no runtime
    main.inputs, main.outputs = [x], [y]
    return model.build()


BAD = {("TFL105", Location(subgraph=0, op_index=0, op="STABLEHLO_RESHAPE"))}


def good() -> bytes:
    return relu_model().build()
