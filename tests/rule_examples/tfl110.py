from builder import ModelBuilder
from tfllint.engine.rule import Location

SETTINGS = {"runtime-version": "2.21", "preview": True, "select": ["TFL110"]}


def flex_model(custom_code: str) -> bytes:
    model = ModelBuilder()
    main = model.subgraph()
    name = main.tensor("filename", [], "STRING")
    contents = main.tensor("contents", [], "STRING")
    main.op("CUSTOM", [name], [contents], custom_code=custom_code)
    main.inputs, main.outputs = [name], [contents]
    return model.build()


def bad() -> bytes:
    return flex_model("FlexReadFile")  # TFL101 too: the rule runs with --select TFL110


BAD = {("TFL110", Location(subgraph=0, op_index=0, op="FlexReadFile"))}


def good() -> bytes:
    return flex_model("FlexStringUpper")  # a Flex op (TFL101) that touches no file
