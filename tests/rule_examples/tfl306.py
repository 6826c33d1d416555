import numpy as np

from builder import ModelBuilder
from tfllint.engine.rule import Location

SETTINGS = {"runtime-version": "2.21", "target": ["gpu-mldrift"], "preview": True}


def _pad(axis: int) -> bytes:
    """x [16, 32, 8] -> PAD by 4 after `axis` (LiteRT#9272 pads axis 0 or 1 wrongly)."""
    model = ModelBuilder()
    main = model.subgraph()
    x = main.tensor("x", [16, 32, 8])
    paddings = np.zeros((3, 2), dtype=np.int32)
    paddings[axis, 1] = 4
    shape = [16, 32, 8]
    shape[axis] += 4
    pads = main.constant("paddings", paddings, "INT32")
    y = main.tensor("y", shape)
    main.op("PAD", [x, pads], [y])
    main.inputs, main.outputs = [x], [y]
    return model.build()


def bad() -> bytes:
    return _pad(0)


BAD = {("TFL306", Location(subgraph=0, op_index=0, op="PAD"))}


def good() -> bytes:
    return _pad(2)  # the innermost axis
