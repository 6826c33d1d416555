from builder import relu_model
from tfllint.engine.rule import Location


def bad() -> bytes:
    model = relu_model()
    main = model.subgraphs[0]
    main.op("RELU6", main.inputs, main.outputs)  # a second writer of y
    return model.build()


BAD = {("TFL004", Location(subgraph=0, op_index=1, op="RELU6", tensor="y", tensor_index=1))}


def good() -> bytes:
    return relu_model().build()
