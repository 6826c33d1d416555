"""`tfllint inspect --snippet`: Python that runs the model on the real LiteRT interpreter.

Generation is tested everywhere: the snippet of every sample model and of tiny built
models compiles, is deterministic, keeps PEP 8's line length and says what it should
(literal scales and zero points, signature names in LiteRT's order, set_tensor by index
without a signature). Running the snippets needs ai-edge-litert (the `oracle` extra): each
runs in its own Python process from a temporary directory, as a user would run it, and
must exit 0 and print every output's name, dtype and shape as the runtime returned them.

models/flex_op.tflite needs the Flex delegate, which ai-edge-litert lacks. Its snippet is
left unguarded on purpose: it is the same code as every other model's, so it runs
unchanged on a runtime that has the delegate (the comment in it says which), and a guard
would only hide the runtime's own error. The test asserts that error, so the day
ai-edge-litert runs Select TF ops the test fails and the comment gets updated.
"""
from __future__ import annotations

import importlib.metadata
import re
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from builder import ModelBuilder
from conftest import MODELS, SAMPLE_MODELS, view_of

from tfllint.analyses import Analyses
from tfllint.reader import read_model
from tfllint.reader.support_metadata import Normalization
from tfllint.snippet import WIDTH, TensorHints, _float32, snippet_text
from tfllint.view import ModelView

# What each sample model's snippet prints: {output name: (dtype, shape)}, from
# models/README.md. None: the model cannot run on ai-edge-litert (Flex).
EXPECTED_OUTPUTS = {
    "cnn_float16": {"probabilities": ("float32", [1, 10])},
    "cnn_float32": {"probabilities": ("float32", [1, 10])},
    "cnn_int8": {"probabilities": ("int8", [1, 10])},
    "cnn_int8_metadata": {"probabilities": ("int8", [1, 10])},
    "cnn_int8_uint8io": {"probabilities": ("uint8", [1, 10])},
    "dense_dynamic_range": {"logits": ("float32", [1, 10])},
    "dynamic_batch": {"scores": ("float32", [1, 4])},
    "flex_op": None,
    "micro_int8": {"y": ("int8", [1, 1])},
    "two_inputs": {"score": ("float32", [1, 8])},
    "while_loop": {"y": ("float32", [1, 4])},
}
CIFAR10_LABELS = {"airplane", "automobile", "bird", "cat", "deer", "dog", "frog", "horse",
                  "ship", "truck"}
PRINTED_OUTPUT = re.compile(r"^(?P<name>\S.*): (?P<dtype>\w+) \[(?P<shape>[\d, ]*)\]$")
FLEX_ERROR = "Select TensorFlow op(s), included in the given model, is(are) not supported"


@pytest.fixture
def litert():
    return pytest.importorskip(
        "ai_edge_litert.interpreter",
        reason="ai-edge-litert is not installed: pip install -e .[oracle] to run the "
               "generated snippets against the real LiteRT interpreter")


def snippet_of(run_cli, path: Path) -> str:
    code, out, err = run_cli("inspect", path, "--snippet")
    assert code == 0 and err == "", f"`tfllint inspect {path} --snippet` exited {code}: {err}"
    compile(out, f"<snippet of {path.name}>", "exec")
    return out


def run_snippet(text: str, directory: Path) -> subprocess.CompletedProcess:
    script = directory / "run_model.py"
    script.write_text(text, encoding="utf-8")
    return subprocess.run([sys.executable, script.name], cwd=directory, capture_output=True,
                          text=True, timeout=300)


def printed_outputs(stdout: str) -> dict[str, tuple[str, list[int]]]:
    found = {}
    for line in stdout.splitlines():
        match = PRINTED_OUTPUT.match(line)
        if match:
            shape = [int(size) for size in match["shape"].split(",") if size.strip()]
            found[match["name"]] = (match["dtype"], shape)
    return found


def tensorflow_version() -> str | None:
    """The installed TensorFlow's version, without the seconds importing it takes."""
    for distribution in ("tensorflow", "tensorflow-cpu"):
        try:
            return importlib.metadata.version(distribution)
        except importlib.metadata.PackageNotFoundError:
            pass
    return None


def style_problems(text: str) -> list[str]:
    return [f"line {number}: {problem}: {line!r}"
            for number, line in enumerate(text.splitlines(), 1)
            for problem, bad in (("longer than 79", len(line) > WIDTH),
                                 ("trailing whitespace", line != line.rstrip()))
            if bad]


# -- every sample model --------------------------------------------------------------------

def test_every_sample_model_has_an_expected_output():
    assert SAMPLE_MODELS, f"no *.tflite in {MODELS}"
    assert sorted(p.stem for p in SAMPLE_MODELS) == sorted(EXPECTED_OUTPUTS), (
        "models/ and EXPECTED_OUTPUTS differ: list each new model's outputs here")


@pytest.mark.parametrize("path", SAMPLE_MODELS, ids=lambda p: p.stem)
def test_sample_snippet_is_deterministic_pep8_python(run_cli, path, monkeypatch):
    monkeypatch.chdir(path.parent)  # the path as a user types it, kept as typed
    text = snippet_of(run_cli, Path(path.name))
    assert snippet_of(run_cli, Path(path.name)) == text
    assert style_problems(text) == []
    assert "from ai_edge_litert.interpreter import Interpreter" in text
    assert f'MODEL_PATH = "{path.name}"' in text
    assert 'runner = interpreter.get_signature_runner("serving_default")' in text


@pytest.mark.parametrize("path", SAMPLE_MODELS, ids=lambda p: p.stem)
def test_sample_snippet_runs_on_litert(run_cli, litert, path, tmp_path):
    text = snippet_of(run_cli, path.resolve())
    result = run_snippet(text, tmp_path)
    expected = EXPECTED_OUTPUTS[path.stem]
    if expected is None:  # the Flex model: see the module docstring
        assert "tensorflow<2.19" in text and "Select TensorFlow ops" in text
        assert result.returncode == 1, result.stdout + result.stderr
        assert FLEX_ERROR in result.stderr and "FlexMatrixDeterminant" in result.stderr
        return
    assert result.returncode == 0, f"{path.name}: the snippet failed:\n{result.stderr}"
    assert printed_outputs(result.stdout) == expected, result.stdout


def test_metadata_model_snippet_normalizes_and_prints_top_labels(run_cli, litert, tmp_path):
    path = (MODELS / "cnn_int8_metadata.tflite").resolve()
    text = snippet_of(run_cli, path)
    assert "image_real = ((image_pixels - 127.5) / 127.5).astype(np.float32)" in text
    assert 'packed.read("labels.txt")' in text
    result = run_snippet(text, tmp_path)
    assert result.returncode == 0, result.stderr
    top = re.findall(r"^  (\w+): (\d\.\d{4})$", result.stdout, re.MULTILINE)
    assert len(top) == 5 and {label for label, _ in top} <= CIFAR10_LABELS, result.stdout
    scores = [float(score) for _, score in top]
    assert scores == sorted(scores, reverse=True)


def test_flex_model_snippet_runs_where_the_comment_says_it_does(run_cli, tmp_path):
    """The snippet with the import the comment gives, on TensorFlow if it has Flex."""
    version = tensorflow_version()
    if version is None:
        pytest.skip("TensorFlow is not installed")
    if not version.startswith(("2.16.", "2.17.", "2.18.")):
        pytest.skip(f"TensorFlow {version}'s tf.lite.Interpreter has no Flex delegate "
                    "(2.19 and later dropped it)")
    text = snippet_of(run_cli, (MODELS / "flex_op.tflite").resolve())
    text = text.replace("from ai_edge_litert.interpreter import Interpreter",
                        "import tensorflow as tf\nInterpreter = tf.lite.Interpreter")
    result = run_snippet(text, tmp_path)
    assert result.returncode == 0, result.stderr
    assert printed_outputs(result.stdout) == {"determinant": ("float32", [1])}


def test_literal_scales_are_exactly_the_models_float32_scales():
    for path in SAMPLE_MODELS:
        contract = Analyses(ModelView(read_model(str(path)))).contract
        for tensor in contract.inputs + contract.outputs:
            for scale in tensor.scales:
                literal = _float32(scale)
                assert np.float32(float(literal)) == np.float32(scale), (path.name, literal)
                assert len(literal) <= len(repr(scale))


# -- tiny built models ---------------------------------------------------------------------

def quantized_chain(input_type: str, input_zero_point: int, output_type: str,
                    output_zero_point: int) -> bytes:
    """input (quantized) -> DEQUANTIZE -> float -> QUANTIZE -> output (quantized)."""
    model = ModelBuilder()
    main = model.subgraph("main")
    x = main.tensor("x", [1, 3], input_type, scale=[0.05], zero_point=[input_zero_point])
    middle = main.tensor("middle", [1, 3])
    y = main.tensor("y", [1, 3], output_type, scale=[0.02], zero_point=[output_zero_point])
    main.op("DEQUANTIZE", [x], [middle], version=2)
    main.op("QUANTIZE", [middle], [y], version=2)
    main.inputs, main.outputs = [x], [y]
    model.signature("serving_default", {"x": x}, {"y": y})
    return model.build()


def relu(*, signature: bool = True, shape_signature=None) -> bytes:
    model = ModelBuilder()
    main = model.subgraph("main")
    x = main.tensor("x", [1, 4], shape_signature=shape_signature)
    y = main.tensor("y", [1, 4], shape_signature=shape_signature)
    main.op("RELU", [x], [y])
    main.inputs, main.outputs = [x], [y]
    if signature:
        model.signature("serving_default", {"x": x}, {"y": y})
    return model.build()


def two_inputs() -> bytes:
    """Signature names differ from the tensor order: LiteRT sorts them by name."""
    model = ModelBuilder()
    main = model.subgraph("main")
    first = main.tensor("first", [1, 2])
    second = main.tensor("second", [1, 2])
    total = main.tensor("total", [1, 2])
    main.op("ADD", [first, second], [total])
    main.inputs, main.outputs = [first, second], [total]
    model.signature("serving_default", {"zeta": first, "alpha": second}, {"sum": total})
    return model.build()


def per_channel_input() -> bytes:
    model = ModelBuilder()
    main = model.subgraph("main")
    x = main.tensor("x", [1, 3], "INT8", scale=[0.5, 0.25, 0.125], zero_point=[0, 1, -1],
                    quantized_dimension=1)
    y = main.tensor("y", [1, 3])
    main.op("DEQUANTIZE", [x], [y], version=2)
    main.inputs, main.outputs = [x], [y]
    model.signature("serving_default", {"x": x}, {"y": y})
    return model.build()


def string_and_bool() -> bytes:
    """A string input reshaped, a bool input negated; signature names no identifier."""
    model = ModelBuilder()
    main = model.subgraph("main")
    text = main.tensor("text", [2], "STRING")
    new_shape = main.constant("new_shape", np.array([2, 1], np.int32), "INT32")
    column = main.tensor("column", [2, 1], "STRING")
    flags = main.tensor("flags", [1, 3], "BOOL")
    negated = main.tensor("negated", [1, 3], "BOOL")
    main.op("RESHAPE", [text, new_shape], [column])
    main.op("LOGICAL_NOT", [flags], [negated])
    main.inputs, main.outputs = [text, flags], [column, negated]
    model.signature("serving_default", {"text-in": text, "class": flags},
                    {"column": column, "negated": negated})
    return model.build()


def classifier() -> bytes:
    model = ModelBuilder()
    main = model.subgraph("main")
    image = main.tensor("image", [1, 2, 2, 3], "UINT8", scale=[1 / 128], zero_point=[128])
    flat = main.tensor("flat", [1, 12])
    shape = main.constant("shape", np.array([1, 12], np.int32), "INT32")
    real = main.tensor("real", [1, 2, 2, 3])
    main.op("DEQUANTIZE", [image], [real], version=2)
    main.op("RESHAPE", [real, shape], [flat])
    main.inputs, main.outputs = [image], [flat]
    model.signature("serving_default", {"image": image}, {"scores": flat})
    return model.build()


BUILT_MODELS = {
    "int8_in_uint8_out": (lambda: quantized_chain("INT8", -3, "UINT8", 128),
                          {"y": ("uint8", [1, 3])}),
    "uint8_in_int8_out": (lambda: quantized_chain("UINT8", 130, "INT8", -5),
                          {"y": ("int8", [1, 3])}),
    "float": (relu, {"y": ("float32", [1, 4])}),
    "dynamic_batch": (lambda: relu(shape_signature=[-1, 4]), {"y": ("float32", [1, 4])}),
    "dynamic_batch_no_signature": (lambda: relu(signature=False, shape_signature=[-1, 4]),
                                   {"output 0 (y)": ("float32", [1, 4])}),
    "no_signature": (lambda: relu(signature=False), {"output 0 (y)": ("float32", [1, 4])}),
    "two_inputs": (two_inputs, {"sum": ("float32", [1, 2])}),
    "per_channel_input": (per_channel_input, {"y": ("float32", [1, 3])}),
    "string_and_bool": (string_and_bool, {"column": ("object", [2, 1]),
                                          "negated": ("bool", [1, 3])}),
}


def generate(data: bytes, **keywords) -> str:
    text = snippet_text("model.tflite", Analyses(view_of(data)).contract, **keywords)
    compile(text, "<snippet>", "exec")
    assert style_problems(text) == []
    return text


@pytest.mark.parametrize("name", BUILT_MODELS)
def test_built_model_snippet_runs_on_litert(name, litert, tmp_path):
    build, expected = BUILT_MODELS[name]
    data = build()
    (tmp_path / "model.tflite").write_bytes(data)
    result = run_snippet(generate(data), tmp_path)
    assert result.returncode == 0, result.stderr
    assert printed_outputs(result.stdout) == expected, result.stdout


def test_per_tensor_int8_and_uint8_inputs_are_quantized_with_literal_parameters():
    text = generate(quantized_chain("INT8", -3, "UINT8", 128))
    assert "\n".join([
        'x_real = np.zeros((1, 3), dtype=np.float32)  # your data',
        "info = np.iinfo(np.int8)",
        "scale, zero_point = 0.05, -3",
        "x = np.round(x_real / scale) + zero_point",
        "x = np.clip(x, info.min, info.max).astype(np.int8)"]) in text
    assert "\n".join([
        "scale, zero_point = 0.02, 128",
        "y_real = scale * (y.astype(np.float32) - zero_point)",
        "print(y_real)"]) in text
    text = generate(quantized_chain("UINT8", 130, "INT8", -5))
    assert "info = np.iinfo(np.uint8)\nscale, zero_point = 0.05, 130" in text
    assert ".astype(np.uint8)" in text and "scale, zero_point = 0.02, -5" in text


@pytest.mark.parametrize("input_type,input_zero_point,output_type,output_zero_point",
                         [("INT8", -3, "UINT8", 128), ("UINT8", 130, "INT8", -5)])
def test_quantize_and_dequantize_round_trip_real_values(
        litert, tmp_path, input_type, input_zero_point, output_type, output_zero_point):
    """Real values in, through the model's own (de)quantization, the same values out."""
    data = quantized_chain(input_type, input_zero_point, output_type, output_zero_point)
    (tmp_path / "model.tflite").write_bytes(data)
    text = generate(data).replace("x_real = np.zeros((1, 3), dtype=np.float32)",
                                  "x_real = np.array([[0.7, -0.5, 1.0]], dtype=np.float32)")
    result = run_snippet(text, tmp_path)
    assert result.returncode == 0, result.stderr
    printed = result.stdout.split("\n", 1)[1]
    values = [float(v) for v in re.findall(r"-?\d+\.\d*", printed)]
    assert values == pytest.approx([0.7, -0.5, 1.0], abs=0.05)


def test_float_input_is_fed_as_is():
    text = generate(relu())
    assert "x = np.zeros((1, 4), dtype=np.float32)  # your data" in text
    assert "scale" not in text and "runner(x=x)" in text
    assert 'y = outputs["y"]\nprint("y:", y.dtype, list(y.shape))\nprint(y)' in text


def test_dynamic_batch_uses_the_placeholder_and_says_how_to_resize(litert, tmp_path):
    text = generate(relu(shape_signature=[-1, 4]))
    assert "x = np.zeros((1, 4), dtype=np.float32)" in text
    assert "# Dimension 0 is dynamic (shape_signature [-1, 4]); [1, 4] is the" in text
    assert "resizes the input to the array it is" in text
    indexed = generate(relu(signature=False, shape_signature=[-1, 4]))
    assert ("interpreter.resize_tensor_input(0, input_0.shape)\n"
            "interpreter.allocate_tensors()\n"
            "interpreter.set_tensor(0, input_0)") in indexed
    # Both really take another batch size.
    for number, (snippet, name) in enumerate(((text, "y"), (indexed, "output 0 (y)"))):
        directory = tmp_path / str(number)
        directory.mkdir()
        (directory / "model.tflite").write_bytes(relu(signature=name == "y",
                                                      shape_signature=[-1, 4]))
        result = run_snippet(snippet.replace("np.zeros((1, 4)", "np.zeros((3, 4)"),
                             directory)
        assert result.returncode == 0, result.stderr
        assert printed_outputs(result.stdout) == {name: ("float32", [3, 4])}


def test_two_inputs_are_passed_by_name_in_litert_order():
    text = generate(two_inputs())
    assert text.index("# Input \"alpha\"") < text.index("# Input \"zeta\"")
    assert "outputs = runner(alpha=alpha, zeta=zeta)" in text


def test_without_a_signature_tensors_are_set_and_read_by_index():
    text = generate(relu(signature=False))
    assert "get_signature_runner" not in text
    assert '# Input 0, tensor 0 "x": float32 [1, 4].' in text
    assert ("interpreter.allocate_tensors()\ninterpreter.set_tensor(0, input_0)\n"
            "interpreter.invoke()") in text
    assert "output_0 = interpreter.get_tensor(1)" in text
    assert 'print("output 0 (y):", output_0.dtype, list(output_0.shape))' in text


def test_per_channel_input_quantizes_with_broadcast_arrays():
    text = generate(per_channel_input())
    assert ("scale = np.array([0.5, 0.25, 0.125], dtype=np.float32).reshape(1, -1)\n"
            "zero_point = np.array([0, 1, -1], dtype=np.int64).reshape(1, -1)") in text


def test_strings_bools_and_names_that_are_not_identifiers():
    text = generate(string_and_bool())
    assert 'class_ = np.zeros((1, 3), dtype=np.bool_)' in text
    assert 'text_in = np.full((2,), b"text", dtype=object)' in text
    assert 'outputs = runner(**{"class": class_, "text-in": text_in})' in text


def test_several_signatures_run_serving_default_and_name_the_others():
    model = ModelBuilder()
    main = model.subgraph("main")
    x, y = main.tensor("x", [1, 4]), main.tensor("y", [1, 4])
    main.op("RELU", [x], [y])
    main.inputs, main.outputs = [x], [y]
    model.signature("encode", {"x": x}, {"y": y})
    model.signature("serving_default", {"x": x}, {"y": y})
    text = generate(model.build())
    assert '# The model has 2 signatures ("encode", "serving_default"); this runs' in text
    assert 'get_signature_runner("serving_default")' in text


def test_support_metadata_hints_normalize_inputs_and_label_outputs():
    data = classifier()
    contract = Analyses(view_of(data)).contract
    hints = {contract.inputs[0].index: TensorHints(
                 normalization=Normalization(mean=(127.5,), std=(127.5,)),
                 content="image", color_space="RGB"),
             contract.outputs[0].index: TensorHints(labels_file="labels.txt",
                                                    label_count=12)}
    text = generate(data, hints=hints)
    assert "import zipfile\n\nimport numpy as np" in text
    assert ("image_pixels = np.zeros((1, 2, 2, 3), dtype=np.float32)  # your RGB image\n"
            "image_real = ((image_pixels - 127.5) / 127.5).astype(np.float32)") in text
    assert "for label_index in np.argsort(-label_scores)[:5]:" in text
    wrong_count = {contract.outputs[0].index: TensorHints(labels_file="labels.txt",
                                                          label_count=7)}
    text = generate(data, hints=wrong_count)
    assert "zipfile" not in text and '"labels.txt" has 7 labels, which does' in text
    missing = {contract.outputs[0].index: TensorHints(labels_file="labels.txt")}
    assert "no readable packed file" in generate(data, hints=missing)


def test_flex_ops_get_a_comment_and_the_code_stays_valid():
    text = generate(relu(), flex_ops=["FlexMatrixDeterminant", "FlexRFFT"])
    assert "# This model needs the Flex delegate for its Select TensorFlow ops\n" \
           "# (FlexMatrixDeterminant, FlexRFFT)." in text
    assert "#     Interpreter = tf.lite.Interpreter" in text
    assert "from ai_edge_litert.interpreter import Interpreter" in text


def test_long_names_and_collisions_get_distinct_pep8_variables():
    model = ModelBuilder()
    main = model.subgraph("main")
    long_name = "a_rather_long_input_name_from_some_exporter"
    x = main.tensor("x", [1, 4], "INT8", scale=[0.5], zero_point=[0])
    x_real = main.tensor("x_real", [1, 4], "INT8", scale=[0.5], zero_point=[0])
    y = main.tensor("y", [1, 4], "INT8", scale=[0.5], zero_point=[0])
    main.op("ADD", [x, x_real], [y])
    main.inputs, main.outputs = [x, x_real], [y]
    model.signature("serving_default", {long_name: x, "x": x_real}, {"scale": y})
    text = generate(model.build())
    assert "a_rather_long_input_name = np.clip(" in text  # cut to 24 characters
    assert "x = np.round(x_real / scale) + zero_point" in text
    assert "scale_ = outputs[\"scale\"]" in text


def test_snippet_and_json_format_are_mutually_exclusive(run_cli, capsys):
    with pytest.raises(SystemExit) as raised:  # argparse's usage error
        run_cli("inspect", MODELS / "cnn_int8.tflite", "--snippet", "--format", "json")
    captured = capsys.readouterr()
    assert raised.value.code == 2 and captured.out == ""
    assert "error: argument --format: not allowed with argument --snippet" in captured.err


def test_snippet_of_an_unreadable_file_exits_2_with_one_message(run_cli, tmp_path):
    path = tmp_path / "junk.tflite"
    path.write_bytes(b"\x00" * 3)
    code, out, err = run_cli("inspect", path, "--snippet")
    assert code == 2 and out == ""
    assert err == f"tfllint: error: {path}: the file is 3 bytes, too short to be a TFLite model\n"


def test_snippets_pass_pycodestyle(run_cli):
    pycodestyle = pytest.importorskip("pycodestyle", reason="pycodestyle is not installed")
    texts = [snippet_of(run_cli, path) for path in SAMPLE_MODELS]
    texts += [generate(build()) for build, _ in BUILT_MODELS.values()]
    for text in texts:
        checker = pycodestyle.Checker(lines=text.splitlines(keepends=True), quiet=True)
        assert checker.check_all() == 0, text
