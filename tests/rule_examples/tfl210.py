import numpy as np

from builder import ModelBuilder
from tfllint.engine.rule import Location


def dense(weights: np.ndarray, bias: np.ndarray | None = None) -> bytes:
    """x [1, 4] -> FULLY_CONNECTED (float32 weights [3, 4], bias) -> y [1, 3]."""
    model = ModelBuilder()
    main = model.subgraph()
    x = main.tensor("x", [1, 4])
    w = main.constant("w", weights.astype(np.float32))
    b = main.constant("b", (np.zeros(3) if bias is None else bias).astype(np.float32))
    y = main.tensor("y", [1, 3])
    main.op("FULLY_CONNECTED", [x, w, b], [y])
    main.inputs, main.outputs = [x], [y]
    return model.build()


def bad() -> bytes:
    """A NaN weight and an infinite bias: both make the outputs NaN or inf."""
    weights = np.ones((3, 4))
    weights[1, 2] = np.nan
    return dense(weights, np.array([0.0, np.inf, 0.0]))


BAD = {("TFL210", Location(subgraph=0, tensor="w", tensor_index=1)),
       ("TFL210", Location(subgraph=0, tensor="b", tensor_index=2))}


def good() -> bytes:
    """Infinities that compute what the graph means: clamp bounds that bound nothing
    (clip_by_value(x, -inf, +inf)), a -inf attention mask added before SOFTMAX, and a -inf
    fill value of SELECT_V2."""
    model = ModelBuilder()
    main = model.subgraph()
    x = main.tensor("x", [1, 4])
    w = main.constant("w", np.ones((4, 4), np.float32))
    b = main.constant("b", np.zeros(4, np.float32))
    scores = main.tensor("scores", [1, 4])
    upper = main.constant("upper", np.array(np.inf, np.float32))
    lower = main.constant("lower", np.array(-np.inf, np.float32))
    below = main.tensor("below", [1, 4])
    clipped = main.tensor("clipped", [1, 4])
    mask = main.constant("mask", np.array([[0, 0, -np.inf, -np.inf]], np.float32))
    masked = main.tensor("masked", [1, 4])
    keep = main.constant("keep", np.array([[True, False, True, True]]), "BOOL")
    filled = main.tensor("filled", [1, 4])
    y = main.tensor("y", [1, 4])
    main.op("FULLY_CONNECTED", [x, w, b], [scores])
    main.op("MINIMUM", [scores, upper], [below])
    main.op("MAXIMUM", [below, lower], [clipped])
    main.op("ADD", [clipped, mask], [masked])
    main.op("SELECT_V2", [keep, masked, lower], [filled])
    main.op("SOFTMAX", [filled], [y], options=("SoftmaxOptions", dict(beta=1.0)))
    main.inputs, main.outputs = [x], [y]
    return model.build()
