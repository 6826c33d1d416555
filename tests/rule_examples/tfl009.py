import numpy as np

from builder import ModelBuilder
from tfllint.engine.rule import Location

SETTINGS = {"runtime-version": "2.21", "preview": True}


def space_to_batch(block_shape) -> bytes:
    model = ModelBuilder()
    main = model.subgraph()
    x = main.tensor("x", [1, 4, 4, 1])
    block = main.constant("block_shape", np.asarray(block_shape, np.int32), "INT32")
    paddings = main.constant("paddings", np.zeros((2, 2), np.int32), "INT32")
    y = main.tensor("y", [4, 2, 2, 1])
    main.op("SPACE_TO_BATCH_ND", [x, block, paddings], [y])
    main.inputs, main.outputs = [x], [y]
    return model.build()


def bad() -> bytes:
    return space_to_batch([2, 0])  # TFLite Micro divides by the 0 (SIGFPE)


BAD = {("TFL009", Location(subgraph=0, op_index=0, op="SPACE_TO_BATCH_ND",
                           tensor="block_shape", tensor_index=1))}


def good() -> bytes:
    return space_to_batch([2, 2])
