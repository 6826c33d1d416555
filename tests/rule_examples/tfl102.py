from builder import ModelBuilder
from tfllint.engine.rule import Location


def custom_model(custom_code: str) -> bytes:
    model = ModelBuilder()
    main = model.subgraph()
    x = main.tensor("x", [1, 4])
    y = main.tensor("y", [1, 4])
    main.op("CUSTOM", [x], [y], custom_code=custom_code)
    main.inputs, main.outputs = [x], [y]
    return model.build()


def bad() -> bytes:
    return custom_model("MyCompanyResize")


BAD = {("TFL102", Location(subgraph=0, op_index=0, op="MyCompanyResize"))}


def good() -> bytes:
    # The stock builtin op resolver registers this custom op itself.
    return custom_model("TFLite_Detection_PostProcess")
