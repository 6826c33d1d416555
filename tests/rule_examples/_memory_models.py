"""Models for the TFL4xx examples and tests/test_rules_memory.py: float32 chains whose
activation bytes are easy to count, and int8 dense layers with a chosen weight size."""
from __future__ import annotations

import numpy as np

from builder import ModelBuilder


def residual_chain(elements: int, adds: int = 2) -> bytes:
    """features [1, elements] float32 -> sum0 = features + features -> sum1 = sum0 +
    features -> ...: the input stays live to the end, so op i >= 1 holds three tensors
    of 4 * elements bytes (features, sum{i-1}, sum{i}), op 0 two."""
    model = ModelBuilder()
    main = model.subgraph("main")
    features = main.tensor("features", [1, elements])
    current = features
    for index in range(adds):
        total = main.tensor(f"sum{index}", [1, elements])
        main.op("ADD", [current, features], [total])
        current = total
    main.inputs, main.outputs = [features], [current]
    model.signature("serving_default", {"features": features}, {"total": current})
    return model.build()


def broadcast_add(rows: int, columns: int = 16) -> bytes:
    """samples [1, columns] + offsets [rows, columns] (constant) -> grid [rows, columns],
    float32: one activation (grid) of 4 * rows * columns bytes next to a small input."""
    model = ModelBuilder()
    main = model.subgraph("main")
    samples = main.tensor("samples", [1, columns])
    offsets = main.constant("offsets", np.ones((rows, columns), np.float32))
    grid = main.tensor("grid", [rows, columns])
    main.op("ADD", [samples, offsets], [grid])
    main.inputs, main.outputs = [samples], [grid]
    model.signature("serving_default", {"samples": samples}, {"grid": grid})
    return model.build()


def dense(units: int, inputs: int, dtype: str = "FLOAT32", dynamic_batch: bool = False) -> bytes:
    """features [1, inputs] -> FULLY_CONNECTED (weights [units, inputs], bias [units]) ->
    scores [1, units], in float32 or int8 (int32 bias, scales that agree); the batch
    dimension of features unknown until run time with `dynamic_batch`."""
    model = ModelBuilder()
    main = model.subgraph("main")
    signature = [-1, inputs] if dynamic_batch else None
    if dtype == "FLOAT32":
        features = main.tensor("features", [1, inputs], shape_signature=signature)
        weights = main.constant("weights", np.full((units, inputs), 0.5, np.float32))
        bias = main.constant("bias", np.zeros(units, np.float32))
        scores = main.tensor("scores", [1, units])
        version = 1
    else:
        features = main.tensor("features", [1, inputs], "INT8", scale=[0.5], zero_point=[0],
                               shape_signature=signature)
        weights = main.constant("weights", np.ones((units, inputs), np.int8), "INT8",
                                scale=[0.25], zero_point=[0])
        bias = main.constant("bias", np.zeros(units, np.int32), "INT32", scale=[0.125],
                             zero_point=[0])
        scores = main.tensor("scores", [1, units], "INT8", scale=[1.0], zero_point=[0])
        version = 4
    main.op("FULLY_CONNECTED", [features, weights, bias], [scores], version=version)
    main.inputs, main.outputs = [features], [scores]
    model.signature("serving_default", {"features": features}, {"scores": scores})
    return model.build()
