"""TFL209 examples, and the int8 CONV_2D model the TFL205-TFL209 examples vary."""
from __future__ import annotations

from typing import Sequence

import numpy as np

from builder import ModelBuilder
from tfllint.engine.rule import Location

# An integer model's int8 input and output make TFL213 (integer-io-needs-quantizing, info)
# fire on every example built here: it is not what these examples are about.
SETTINGS = {"runtime-version": "2.21", "ignore": ["TFL213"]}
INPUT_SCALE = 0.5
WEIGHT_SCALES = (0.25, 0.125)


def int8_conv(*, input_scale: Sequence[float] = (INPUT_SCALE,),
              input_zero_point: Sequence[int] = (-1,),
              weight_scales: Sequence[float] = WEIGHT_SCALES,
              weight_zero_points: Sequence[int] | None = None,
              weight_dimension: int = 0,
              bias_scales: Sequence[float] | None = None,
              bias_zero_points: Sequence[int] | None = None,
              bias_dtype: str = "INT32",
              weights: np.ndarray | None = None,
              activation_dtype: str = "INT8") -> bytes:
    """x [1,4,4,3] -> CONV_2D (2 per-channel 3x3 filters) -> y [1,4,4,2], all int8.

    Defaults are a healthy model: symmetric weights, bias scale = input * weight scale."""
    model = ModelBuilder()
    main = model.subgraph()
    x = main.tensor("x", [1, 4, 4, 3], activation_dtype, scale=input_scale,
                    zero_point=input_zero_point)
    if weights is None:
        weights = np.arange(2 * 3 * 3 * 3, dtype=np.int8).reshape(2, 3, 3, 3) - 27
    w = main.constant("w", weights, "INT8", scale=weight_scales,
                      zero_point=weight_zero_points if weight_zero_points is not None
                      else [0] * len(weight_scales),
                      quantized_dimension=weight_dimension)
    if bias_scales is None:
        bias_scales = [input_scale[0] * scale for scale in weight_scales]
    bias_values = np.array([100, -100], dtype=np.int32 if bias_dtype == "INT32" else np.int64)
    b = main.constant("b", bias_values, bias_dtype, scale=bias_scales,
                      zero_point=bias_zero_points if bias_zero_points is not None
                      else [0] * len(bias_scales))
    y = main.tensor("y", [1, 4, 4, 2], activation_dtype, scale=[1.0],
                    zero_point=[0 if activation_dtype == "INT16" else 3])
    main.op("CONV_2D", [x, w, b], [y], version=3,
            options=("Conv2DOptions", dict(padding=0, stride_w=1, stride_h=1)))
    main.inputs, main.outputs = [x], [y]
    return model.build()


def bad() -> bytes:
    return int8_conv(bias_scales=[INPUT_SCALE * 0.25, INPUT_SCALE * 0.25])  # channel 1 wrong


BAD = {("TFL209", Location(subgraph=0, op_index=0, op="CONV_2D", tensor="b", tensor_index=2))}


def good() -> bytes:
    return int8_conv()
