from builder import ModelBuilder
from tfllint.engine.rule import Location

SETTINGS = {"runtime-version": "2.4"}


def relu_v3() -> bytes:
    # RELU version 3 (int16 support) first ran in 2.5.0 (runtime_version.cc).
    model = ModelBuilder()
    main = model.subgraph()
    x = main.tensor("x", [1, 4])
    y = main.tensor("y", [1, 4])
    main.op("RELU", [x], [y], version=3)
    main.inputs, main.outputs = [x], [y]
    return model.build()


def bad() -> bytes:
    return relu_v3()


BAD = {("TFL106", Location(subgraph=0, op_index=0, op="RELU"))}

GOOD_SETTINGS = {"runtime-version": "2.5"}


def good() -> bytes:
    return relu_v3()
