"""Models for the TFL3xx examples, all int8, on the test NPU profile (tests/data)."""
from __future__ import annotations

from pathlib import Path

from builder import ModelBuilder

NPU = str(Path(__file__).resolve().parent.parent / "data" / "test_npu.toml")
# The int8 models here have quantized int8 inputs and outputs, on which TFL213
# (integer-io-needs-quantizing, info) always reports the caller's formula.
NPU_SETTINGS = {"runtime-version": "2.21", "target": [NPU], "ignore": ["TFL213"]}


def int8_chain(*op_names: str, batch: int = 1, custom_code: str | None = None) -> bytes:
    """x -> op -> op -> ... -> y, every tensor int8 [batch, 4]."""
    model = ModelBuilder()
    main = model.subgraph()
    quantization = {"scale": [0.1], "zero_point": [0]}
    signature = [-1, 4] if batch < 0 else None
    current = main.tensor("x", [1, 4], "INT8", shape_signature=signature, **quantization)
    main.inputs = [current]
    for position, name in enumerate(op_names):
        output = main.tensor(f"t{position}", [1, 4], "INT8", shape_signature=signature,
                             **quantization)
        main.op(name, [current], [output], custom_code=custom_code if name == "CUSTOM" else None)
        current = output
    main.outputs = [current]
    return model.build()
