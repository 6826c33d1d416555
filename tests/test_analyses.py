"""Analyses on the sample models, checked against what the converter itself wrote, and on
models built here for the exact cases."""
from __future__ import annotations

import numpy as np
import pytest
from builder import Appended, ModelBuilder
from conftest import SAMPLE_MODELS, view_of

from tfllint.analyses import Analyses
from tfllint.reader import read_model
from tfllint.view import ModelView

SCHEMES = {
    "cnn_float16": "float16-weights", "cnn_float32": "float32", "cnn_int8": "int8",
    "cnn_int8_metadata": "int8", "cnn_int8_uint8io": "int8",
    "dense_dynamic_range": "dynamic-range", "dynamic_batch": "float32", "flex_op": "float32",
    "micro_int8": "int8", "two_inputs": "float32", "while_loop": "float32",
}


def analyses(path) -> Analyses:
    return Analyses(ModelView(read_model(path)))


def test_every_sample_model_has_an_expected_scheme():
    assert {p.stem for p in SAMPLE_MODELS} == set(SCHEMES)


@pytest.mark.parametrize("path", SAMPLE_MODELS, ids=[p.stem for p in SAMPLE_MODELS])
def test_required_runtime_equals_the_converters_own_min_runtime_version(path):
    # The converter computes min_runtime_version from the same runtime_version.cc table:
    # tfllint's figure must be identical for every model it wrote.
    runtime = analyses(path).runtime
    assert runtime.declared_min_version is not None
    assert runtime.required_text == runtime.declared_min_version


@pytest.mark.parametrize("path", SAMPLE_MODELS, ids=[p.stem for p in SAMPLE_MODELS])
def test_quantization_scheme(path):
    assert analyses(path).quantization.scheme == SCHEMES[path.stem]


def test_memory_sizes_of_the_int8_cnn():
    memory = analyses(SAMPLE_MODELS[[p.stem for p in SAMPLE_MODELS].index("cnn_int8")]).memory
    assert memory.weights_bytes == 10448
    # the pointwise conv output, int8 [1, 16, 16, 16]
    assert (memory.largest_tensor.index, memory.largest_tensor.bytes) == (14, 16 * 16 * 16)
    # the ten tensors without data: 3072 + 2048 + 2048 + 4096 + 1024 + 2048 + 512 + 512
    # + 10 + 10 bytes, as the tflite bindings list them
    assert memory.activation_bytes == (15380,)
    assert memory.variable_bytes == 0


def test_weights_count_inline_and_appended_buffers_once_and_skip_unreferenced_ones():
    model = ModelBuilder()
    main = model.subgraph("main")
    x, y, z = main.tensor("x", [1, 4]), main.tensor("y", [1, 4]), main.tensor("z", [1, 4])
    inline = main.constant("inline", np.ones((1, 4), np.float32))  # 16 bytes
    appended = main.tensor("appended", [1, 4], data=Appended(bytes(16)))
    again = main.tensor("again", [1, 4], buffer=main.tensors[appended]["buffer"])
    model.buffer(bytes(1000))  # data no tensor refers to
    main.op("ADD", [x, inline], [y])
    main.op("ADD", [y, appended], [z])
    out = main.tensor("out", [1, 4])
    main.op("ADD", [z, again], [out])
    main.inputs, main.outputs = [x], [out]
    memory = Analyses(view_of(model.build())).memory
    assert memory.weights_bytes == 32
    assert memory.activation_bytes == (64,)
