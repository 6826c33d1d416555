"""The test model builder writes what the independent `tflite` bindings read back."""
from __future__ import annotations

import numpy as np
from tflite.Model import Model

from builder import ModelBuilder


def test_builder_output_reads_back_with_tflite_bindings():
    model = ModelBuilder()
    main = model.subgraph("main")
    weights = main.constant("w", np.arange(6, dtype=np.float32).reshape(2, 3))
    x = main.tensor("x", [1, 3], "INT8", scale=[0.5], zero_point=[-3],
                    shape_signature=[-1, 3])
    y = main.tensor("y", [1, 2])
    main.op("FULLY_CONNECTED", [x, weights, -1], [y], version=4,
            options=("FullyConnectedOptions", {"fused_activation_function": 1}))
    main.op(215, [y], [y])  # a code newer than the bindings know
    main.inputs, main.outputs = [x], [y]
    model.signature("serving_default", {"input": x}, {"output": y})
    model.add_metadata("min_runtime_version", b"1.14.0\0\0")

    parsed = Model.GetRootAs(model.build(), 0)
    assert parsed.Version() == 3
    codes = [parsed.OperatorCodes(i) for i in range(parsed.OperatorCodesLength())]
    assert [(c.BuiltinCode(), c.DeprecatedBuiltinCode(), c.Version()) for c in codes] == \
        [(9, 9, 4), (215, 127, 1)]
    subgraph = parsed.Subgraphs(0)
    assert subgraph.Name() == b"main"
    tensor = subgraph.Tensors(x)
    assert tensor.Name() == b"x" and tensor.Type() == 9
    assert tensor.ShapeSignatureAsNumpy().tolist() == [-1, 3]
    assert tensor.Quantization().ScaleAsNumpy().tolist() == [0.5]
    assert tensor.Quantization().ZeroPointAsNumpy().tolist() == [-3]
    constant = subgraph.Tensors(weights)
    data = parsed.Buffers(constant.Buffer()).DataAsNumpy()
    assert np.frombuffer(data.tobytes(), np.float32).tolist() == [0, 1, 2, 3, 4, 5]
    op = subgraph.Operators(0)
    assert op.InputsAsNumpy().tolist() == [x, weights, -1]
    assert op.BuiltinOptionsType() == 8  # FullyConnectedOptions
    signature = parsed.SignatureDefs(0)
    assert signature.SignatureKey() == b"serving_default"
    assert signature.Inputs(0).Name() == b"input" and signature.Inputs(0).TensorIndex() == x
    assert parsed.Metadata(0).Name() == b"min_runtime_version"
