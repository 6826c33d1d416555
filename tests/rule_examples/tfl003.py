from builder import relu_model
from tfllint.engine.rule import Location


def bad() -> bytes:
    model = relu_model()
    main = model.subgraphs[0]
    never = main.tensor("never", [1, 4])
    main.outputs = [*main.outputs, never]
    return model.build()


BAD = {("TFL003", Location(subgraph=0, tensor="never", tensor_index=2))}


def good() -> bytes:
    return relu_model().build()
