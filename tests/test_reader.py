"""The reader decodes exactly what the builder wrote, and rejects bad files with one message."""
from __future__ import annotations

import hashlib
import json
import mmap
import struct

import numpy as np
import pytest
from builder import Appended, ModelBuilder, relu_model
from conftest import MODELS

from tfllint.errors import ModelReadError
from tfllint.model import Quantization
from tfllint.reader import decode_model, read_model
from tfllint.view import ModelView


def test_decodes_tensors_ops_signatures_and_metadata():
    model = ModelBuilder()
    main = model.subgraph("main")
    weights = main.constant("w", np.ones((2, 3), np.int8), "INT8", scale=[0.5, 0.25],
                            zero_point=[0, 0], quantized_dimension=0)
    x = main.tensor("x", [1, 3], "FLOAT32", shape_signature=[-1, 3])
    y = main.tensor("y", [1, 2])
    main.op("FULLY_CONNECTED", [x, weights, -1], [y], version=12,
            options=("FullyConnectedOptions", {"fused_activation_function": 3}))
    main.inputs, main.outputs = [x], [y]
    model.signature("serving_default", {"features": x}, {"logits": y})
    model.add_metadata("min_runtime_version", b"2.17.0".ljust(16, b"\0"))

    decoded = decode_model(model.build())
    subgraph = decoded.subgraphs[0]
    assert subgraph.name == "main" and subgraph.inputs == (x,) and subgraph.outputs == (y,)
    w = subgraph.tensors[weights]
    assert (w.name, w.dtype, w.shape, w.is_constant, w.data_size) == ("w", "INT8", (2, 3), True, 6)
    assert w.quantization == Quantization(scale=(0.5, 0.25), zero_point=(0, 0),
                                          quantized_dimension=0)
    assert subgraph.tensors[x].shape_signature == (-1, 3) and subgraph.tensors[x].is_dynamic
    op = subgraph.operators[0]
    assert (op.name, op.opcode.version, op.inputs, op.outputs) == \
        ("FULLY_CONNECTED", 12, (x, weights, -1), (y,))
    assert op.options_type == "FullyConnectedOptions"
    assert op.options["fused_activation_function"] == "RELU6"
    assert decoded.signatures[0].inputs == (("features", x),)
    assert [m.name for m in decoded.metadata] == ["min_runtime_version"]


def test_op_codes_and_types_newer_than_the_schema_are_kept_as_unknown():
    model = ModelBuilder()
    main = model.subgraph()
    x = main.tensor("x", [4], 40)
    y = main.tensor("y", [4])
    main.op(300, [x], [y])
    main.op("CUMSUM", [y], [y])  # >127: deprecated_builtin_code holds the placeholder 127
    main.inputs, main.outputs = [x], [y]
    decoded = decode_model(model.build())
    assert decoded.subgraphs[0].tensors[0].dtype == "UNKNOWN(40)"
    assert [(c.builtin_code, c.name) for c in decoded.operator_codes] == \
        [(300, "UNKNOWN(300)"), (128, "CUMSUM")]


def test_control_flow_ops_link_their_subgraphs_in_option_order():
    model = relu_model()
    main = model.subgraphs[0]
    for name in ("cond", "body"):
        sub = model.subgraph(name)
        a, b = sub.tensor("a", [1, 4]), sub.tensor("b", [1, 4])
        sub.op("RELU", [a], [b])
        sub.inputs, sub.outputs = [a], [b]
    main.op("WHILE", [1], [1], options=("WhileOptions",
                                         {"cond_subgraph_index": 1, "body_subgraph_index": 2}))
    assert decode_model(model.build()).subgraphs[0].operators[1].called_subgraphs == (1, 2)


def test_buffers_stored_after_the_flatbuffer_are_read_in_place(tmp_path):
    """Schema 3c: Buffer.offset/size point past the flatbuffer (>2 GB models)."""
    weights = np.arange(4, dtype=np.float32)
    model = ModelBuilder()
    main = model.subgraph()
    x = main.tensor("x", [4])
    w = main.tensor("w", [4], data=Appended(weights.tobytes()))
    y = main.tensor("y", [4])
    main.op("ADD", [x, w], [y])
    main.inputs, main.outputs = [x], [y]
    path = tmp_path / "appended.tflite"
    path.write_bytes(model.build())
    model_file = read_model(path)
    buffer = model_file.model.buffers[1]
    assert buffer.appended and buffer.size == 16 and buffer.offset % 16 == 0
    assert buffer.offset + buffer.size == path.stat().st_size
    view = ModelView(model_file)
    tensor = model_file.model.subgraphs[0].tensors[w]
    assert tensor.is_constant and view.tensor_data(tensor).tolist() == [0, 1, 2, 3]


def test_an_appended_buffer_past_the_end_is_rejected(tmp_path):
    model = relu_model()
    model.buffer(Appended(bytes(64)))
    data = model.build()[:-32]
    with pytest.raises(ModelReadError, match="buffer 1 claims 64 bytes at byte .*past the end"):
        decode_model(data)


def test_weights_are_views_of_the_memory_map_not_copies():
    model_file = read_model(MODELS / "cnn_float32.tflite")
    biggest = max(model_file.model.buffers, key=lambda b: b.size)
    view = model_file.buffer_bytes(biggest)
    assert isinstance(model_file.data, mmap.mmap)
    assert view.obj is model_file.data and view.nbytes == biggest.size


@pytest.mark.parametrize("data, message", [
    (b"", "too short"),
    (b"\x00\x00\x00\x00TFL", "too short"),
    (b"PK\x03\x04" + bytes(60), "looks like a zip archive"),
    (b"\x89HDF\r\n\x1a\n" + bytes(60), "HDF5"),
    (b"\x10\x00\x00\x00ABCD" + bytes(60), "file identifier is b'ABCD', expected b'TFL3'"),
    (b"\xff\xff\xff\x7fTFL3" + bytes(60), "root table offset at byte 0: offset points to byte"),
])
def test_not_a_model(data, message):
    with pytest.raises(ModelReadError) as raised:
        decode_model(data, "x.tflite")
    assert message in str(raised.value) and str(raised.value).startswith("x.tflite: ")


def lfs_pointer(model: bytes, newline: str = "\n") -> bytes:
    """What Git LFS commits in place of `model` (git-lfs docs/spec.md)."""
    lines = ["version https://git-lfs.github.com/spec/v1",
             f"oid sha256:{hashlib.sha256(model).hexdigest()}", f"size {len(model)}"]
    return "".join(line + newline for line in lines).encode()


LFS_MESSAGE = ("a Git LFS pointer, not the model ({size} bytes in LFS): run `git lfs pull` "
               "to fetch it (after `git lfs install` if Git LFS is new on this machine)")


@pytest.mark.parametrize("newline", ["\n", "\r\n"])
def test_a_git_lfs_pointer_says_to_pull_the_model(tmp_path, run_cli, newline):
    model = (MODELS / "cnn_int8.tflite").read_bytes()
    pointer = tmp_path / "cnn_int8.tflite"
    pointer.write_bytes(lfs_pointer(model, newline))
    message = LFS_MESSAGE.format(size=f"{len(model):,}")
    code, out, err = run_cli(pointer, "--no-config", "--format", "json")
    assert code == 2 and json.loads(out)["models"][0]["error"] == message
    code, out, err = run_cli(pointer, "--no-config")  # the same message, wrapped
    assert code == 2 and " ".join((out + err).split()).count(message) == 1
    assert "Traceback" not in out + err and "identifier" not in out + err


def test_a_git_lfs_pointer_without_a_size_line_is_still_named():
    with pytest.raises(ModelReadError) as raised:
        decode_model(b"version https://git-lfs.github.com/spec/v1\noid sha256:00\n", "m.tflite")
    assert str(raised.value) == ("m.tflite: a Git LFS pointer, not the model: run `git lfs "
                                 "pull` to fetch it (after `git lfs install` if Git LFS is "
                                 "new on this machine)")


def test_wrong_schema_version_and_bad_indices_are_named():
    model = relu_model()
    model.version = 2
    with pytest.raises(ModelReadError, match="schema version 2; tfllint reads version 3"):
        decode_model(model.build())
    model = relu_model()
    model.subgraphs[0].op("RELU", [7], [1])
    with pytest.raises(ModelReadError, match="subgraph 0 operator 1 input is 7, but there are only 2"):
        decode_model(model.build())
    model = relu_model()
    model.subgraphs[0].tensors[0]["buffer"] = 9
    with pytest.raises(ModelReadError, match="subgraph 0 tensor 0 buffer index is 9, but there are only 1"):
        decode_model(model.build())


def test_a_vector_length_past_the_end_is_rejected_without_allocating():
    data = bytearray(relu_model().build())
    decoded = decode_model(bytes(data))
    shape_length_at = _find_int_vector(bytes(data), decoded.subgraphs[0].tensors[0].shape)
    struct.pack_into("<I", data, shape_length_at, 0xFFFFFFFF)
    with pytest.raises(ModelReadError, match="Tensor.shape at byte .*: vector of 4294967295 "
                                             "elements of 4 bytes runs past the end"):
        decode_model(bytes(data))


def _find_int_vector(data: bytes, values: tuple[int, ...]) -> int:
    needle = struct.pack(f"<I{len(values)}i", len(values), *values)
    return data.index(needle)


def test_every_sample_model_reads():
    for path in sorted(MODELS.glob("*.tflite")):
        model = read_model(path).model
        assert model.subgraphs[0].operators, path


def _decoded_or_message(data: bytes) -> str:
    try:
        return repr(decode_model(data))
    except ModelReadError as error:
        return str(error)


def test_compiled_table_readers_read_as_the_decoder_does(monkeypatch):
    """A layout read COMPILE_AFTER times gets a compiled reader; compiled at once, every
    sample model and corruption decodes to the same model or the same message."""
    from corrupt import generate_cases

    from tfllint.reader import flatbuffer

    paths = sorted(MODELS.glob("*.tflite"))
    cases = [path.read_bytes() for path in paths]
    cases += [case.data for case in generate_cases(paths)[::3]]
    monkeypatch.setattr(flatbuffer, "COMPILE_AFTER", 1 << 60)  # never: the loop only
    expected = [_decoded_or_message(data) for data in cases]
    monkeypatch.setattr(flatbuffer, "COMPILE_AFTER", 1)  # from a layout's second table on
    assert [_decoded_or_message(data) for data in cases] == expected
    assert sum(not text.startswith("Model(") for text in expected) > 100  # errors covered


@pytest.mark.parametrize("shape, dtype", [
    ((1, 16, 16, 3), "INT8"), ((), "FLOAT32"), ((-1, 4), "INT4"), ((2, 0), "INT16"),
    ((3,), "STRING"), ((5, 3), "UNKNOWN(99)")])
def test_new_tensor_is_the_tensor_the_constructor_makes(shape, dtype):
    from tfllint.model import Tensor, new_tensor

    values = (7, "t", dtype, shape, None, 2, Quantization(scale=(0.5,)), False, None, True,
              0, 12)
    made, built = new_tensor(*values), Tensor(*values)
    assert made == built and vars(made) == vars(built)
    assert list(vars(made)) == list(vars(built))
