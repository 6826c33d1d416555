"""Analyses on the sample models, checked against what the converter itself wrote."""
from __future__ import annotations

import pytest
from conftest import SAMPLE_MODELS

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
