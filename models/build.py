#!/usr/bin/env python3
"""Rebuild the sample ``.tflite`` models in this folder.

The models are committed, so neither CI nor users need TensorFlow; this script only
documents how they were made and regenerates them::

    pip install -e .[build-models]
    python models/build.py                 # rebuild every model into models/
    python models/build.py --only flex_op  # rebuild one model
    python models/build.py --out /tmp/m    # write somewhere else

Every builder is deterministic: weights come from seeded initialisers, representative
datasets from a seeded NumPy generator, so two runs produce byte-identical files.

``cnn_int8_metadata.tflite`` additionally needs the ``tflite-support`` package, whose
pinned ``protobuf<4`` cannot live in the same environment as TensorFlow. Give the
script a second interpreter that has it (``--support-python``); on Linux that
environment also needs ``libusb-package`` (tflite-support's native module links
``libusb-1.0.so.0``)::

    python -m venv /tmp/tfls && /tmp/tfls/bin/pip install tflite-support libusb-package
    python models/build.py --support-python /tmp/tfls/bin/python

Without it that one model is skipped and the committed file is left as it is.
"""

from __future__ import annotations

import argparse
import contextlib
import io
import os
import subprocess
import sys
import tempfile
import zipfile
from pathlib import Path
from typing import Callable

HERE = Path(__file__).resolve().parent
SEED = 1234

# Normalisation the image models expect: float input = (pixel - MEAN) / STD.
IMAGE_MEAN = 127.5
IMAGE_STD = 127.5
CNN_LABELS = [
    "airplane", "automobile", "bird", "cat", "deer",
    "dog", "frog", "horse", "ship", "truck",
]

tf = None  # TensorFlow, imported lazily by _import_tf() so --help works without it.
keras = None
np = None


# --------------------------------------------------------------------------- helpers


def _import_tf() -> None:
    """Import TensorFlow quietly, or exit with instructions."""
    global tf, keras, np
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
    os.environ.setdefault("TF_ENABLE_ONEDNN_OPTS", "0")
    try:
        import numpy
        import tensorflow
    except ImportError:
        sys.exit(
            "models/build.py needs TensorFlow to rebuild the sample models.\n"
            "Install it with:  pip install -e .[build-models]"
        )
    import logging

    tensorflow.get_logger().setLevel(logging.ERROR)
    try:
        import absl.logging

        absl.logging.set_verbosity(absl.logging.ERROR)
    except ImportError:  # pragma: no cover - absl ships with TensorFlow
        pass
    tensorflow.config.experimental.enable_op_determinism()
    tf, keras, np = tensorflow, tensorflow.keras, numpy


def _seed() -> None:
    """Reset Keras' name counters and every random generator (Python, NumPy, TF)
    before building a model, so a model is the same whether built alone or after
    others (tensor names include Keras layer names)."""
    keras.backend.clear_session()
    keras.utils.set_random_seed(SEED)


@contextlib.contextmanager
def _quiet_stderr():
    """Silence native code writing to file descriptor 2 (the quantiser prints a line
    per conversion); what it wrote is replayed if the block raises."""
    sys.stderr.flush()
    saved = os.dup(2)
    with tempfile.TemporaryFile() as sink:
        os.dup2(sink.fileno(), 2)
        try:
            yield
        except BaseException:
            os.dup2(saved, 2)
            sink.seek(0)
            sys.stderr.write(sink.read().decode(errors="replace"))
            raise
        finally:
            os.dup2(saved, 2)
            os.close(saved)


def _convert_saved_model(write: Callable[[str], None], configure: Callable | None) -> bytes:
    """Write a SavedModel with ``write(dir)`` and convert its ``serving_default``.

    Going through a SavedModel keeps the signature def (input and output names) and
    lets the converter freeze the variables into constant tensors (with Keras 3,
    ``from_concrete_functions`` keeps them as VAR_HANDLE/READ_VARIABLE ops).
    ``configure(converter)`` may set optimisation / quantisation options.
    """
    with tempfile.TemporaryDirectory() as tmp:
        write(tmp)
        converter = tf.lite.TFLiteConverter.from_saved_model(tmp)
        if configure is not None:
            configure(converter)
        with _quiet_stderr():
            return converter.convert()


def _convert_keras(model, input_spec, output_name: str, configure: Callable | None = None) -> bytes:
    """Convert a Keras model called in inference mode, with named input and output."""

    def write(path: str) -> None:
        archive = keras.export.ExportArchive()
        archive.track(model)
        archive.add_endpoint(
            "serving_default",
            lambda x: {output_name: model(x, training=False)},
            [input_spec],
        )
        archive.write_out(path, verbose=False)

    return _convert_saved_model(write, configure)


def _convert_module(module, configure: Callable | None = None) -> bytes:
    """Convert a ``tf.Module`` whose ``serve`` method is a ``tf.function`` with an
    input signature."""

    def write(path: str) -> None:
        tf.saved_model.save(module, path, signatures={"serving_default": module.serve})

    return _convert_saved_model(write, configure)


def _image_dataset(n: int = 64):
    """Representative dataset for the CNN: seeded images in the normalised [-1, 1] range."""
    rng = np.random.default_rng(SEED)

    def gen():
        for _ in range(n):
            yield [rng.uniform(-1.0, 1.0, size=(1, 32, 32, 3)).astype(np.float32)]

    return gen


def _cnn():
    """The small image classifier shared by every ``cnn_*`` model (fixed batch 1)."""
    _seed()
    layers = keras.layers
    b = {"bias_initializer": "random_normal"}  # non-zero biases, as in a trained model
    inp = keras.Input(shape=(32, 32, 3), batch_size=1, name="image")
    x = layers.Conv2D(8, 3, strides=2, padding="same", activation="relu", name="conv1", **b)(inp)
    x = layers.DepthwiseConv2D(3, padding="same", activation="relu", name="dwconv", **b)(x)
    x = layers.Conv2D(16, 1, activation="relu", name="pointwise", **b)(x)
    x = layers.MaxPooling2D(2, name="maxpool")(x)
    x = layers.Conv2D(32, 3, padding="same", activation="relu", name="conv2", **b)(x)
    x = layers.AveragePooling2D(2, name="avgpool")(x)
    x = layers.Flatten(name="flatten")(x)
    x = layers.Dense(10, name="logits", **b)(x)
    out = layers.Softmax(name="probabilities")(x)
    return keras.Model(inp, out, name="cnn")


def _convert_cnn(configure: Callable | None = None) -> bytes:
    """Convert the CNN (freshly seeded, so every variant has the same weights)."""
    spec = tf.TensorSpec([1, 32, 32, 3], tf.float32, name="image")
    return _convert_keras(_cnn(), spec, "probabilities", configure)


def _full_int8(io_type, dataset):
    """Converter settings for full-integer quantisation with ``io_type`` input/output."""

    def configure(c):
        c.optimizations = [tf.lite.Optimize.DEFAULT]
        c.representative_dataset = dataset
        c.target_spec.supported_ops = [tf.lite.OpsSet.TFLITE_BUILTINS_INT8]
        c.inference_input_type = io_type
        c.inference_output_type = io_type

    return configure


# --------------------------------------------------------------------------- builders


def build_cnn_float32() -> bytes:
    """Plain float32 CNN (Conv2D, DepthwiseConv2D, max/avg pooling, Dense, softmax).

    The baseline: runs on the CPU and GPU delegate, fails every "full integer" target.
    """
    return _convert_cnn()


def build_cnn_int8() -> bytes:
    """The CNN fully quantised to int8, with int8 input and output tensors.

    What Edge TPU / Ethos-U / TFLM want; the caller must quantise the image with the
    input's scale and zero point.
    """
    return _convert_cnn(_full_int8(tf.int8, _image_dataset()))


def build_cnn_int8_uint8io() -> bytes:
    """The CNN fully quantised to int8 inside, but with uint8 input and output.

    The converter adds QUANTIZE ops at the boundary (uint8 -> int8 -> uint8).
    """
    return _convert_cnn(_full_int8(tf.uint8, _image_dataset()))


def build_cnn_float16() -> bytes:
    """The CNN with float16 weights: FLOAT16 constants feed DEQUANTIZE ops.

    Half the size of float32; the CPU dequantises at load, the GPU delegate runs fp16.
    """

    def configure(c):
        c.optimizations = [tf.lite.Optimize.DEFAULT]
        c.target_spec.supported_types = [tf.float16]

    return _convert_cnn(configure)


def build_dense_dynamic_range() -> bytes:
    """Dynamic-range ("hybrid") quantisation: int8 weights, float32 activations.

    Dense layers are 64x128 and 128x128 so their weights exceed the converter's
    1024-element threshold and really get quantised. Not acceptable to integer-only
    accelerators even though the file looks "quantised".
    """
    _seed()
    layers = keras.layers
    b = {"bias_initializer": "random_normal"}  # float32 biases stay unquantised
    inp = keras.Input(shape=(64,), batch_size=1, name="features")
    x = layers.Dense(128, activation="relu", name="fc1", **b)(inp)
    x = layers.Dense(128, activation="relu", name="fc2", **b)(x)
    out = layers.Dense(10, name="logits", **b)(x)
    model = keras.Model(inp, out, name="mlp")

    def configure(c):
        c.optimizations = [tf.lite.Optimize.DEFAULT]

    spec = tf.TensorSpec([1, 64], tf.float32, name="features")
    return _convert_keras(model, spec, "logits", configure)


def build_flex_op() -> bytes:
    """A model that needs a Flex (Select TF ops) kernel: ``tf.linalg.det``.

    The file has a custom op ``FlexMatrixDeterminant``; the stock interpreter cannot
    run it without the Flex delegate (``tensorflow`` or the select-ops AAR).
    """
    _seed()

    class Det(tf.Module):
        @tf.function(input_signature=[tf.TensorSpec([1, 4, 4], tf.float32, name="matrix")])
        def serve(self, m):
            return {"determinant": tf.linalg.det(m) * 2.0 + 1.0}

    module = Det()

    def configure(c):
        c.target_spec.supported_ops = [
            tf.lite.OpsSet.TFLITE_BUILTINS,
            tf.lite.OpsSet.SELECT_TF_OPS,
        ]

    return _convert_module(module, configure)


def build_dynamic_batch() -> bytes:
    """A float model whose input batch dimension is dynamic: shape_signature [-1, 16].

    ``shape`` says [1, 16] but callers may resize; targets needing static shapes refuse it.
    """
    _seed()
    layers = keras.layers
    b = {"bias_initializer": "random_normal"}
    inp = keras.Input(shape=(16,), name="features")
    x = layers.Dense(32, activation="relu", name="hidden", **b)(inp)
    out = layers.Dense(4, activation="softmax", name="scores", **b)(x)
    model = keras.Model(inp, out, name="classifier")
    spec = tf.TensorSpec([None, 16], tf.float32, name="features")
    return _convert_keras(model, spec, "scores")


def build_two_inputs() -> bytes:
    """Two inputs of identical shape and dtype (float32 [1, 8]) named ``query`` and ``key``.

    They are combined asymmetrically (``tanh(query @ W) * sigmoid(key) - key``), so a
    caller that swaps them gets wrong answers without any error.
    """
    _seed()

    class Score(tf.Module):
        def __init__(self):
            super().__init__()
            init = np.random.default_rng(SEED).normal(size=(8, 8)).astype(np.float32)
            self.w = tf.Variable(init, name="w")

        @tf.function(
            input_signature=[
                tf.TensorSpec([1, 8], tf.float32, name="query"),
                tf.TensorSpec([1, 8], tf.float32, name="key"),
            ]
        )
        def serve(self, query, key):
            score = tf.tanh(tf.matmul(query, self.w)) * tf.sigmoid(key) - key
            return {"score": score}

    module = Score()
    return _convert_module(module)


def build_while_loop() -> bytes:
    """Control flow: a WHILE op whose trip count is an input, so it cannot be unrolled.

    The file has three subgraphs (main, loop condition, loop body).
    """
    _seed()

    class Iterate(tf.Module):
        @tf.function(
            input_signature=[
                tf.TensorSpec([1, 4], tf.float32, name="x"),
                tf.TensorSpec([], tf.int32, name="steps"),
            ]
        )
        def serve(self, x, steps):
            def cond(i, acc):
                return i < steps

            def body(i, acc):
                return i + 1, tf.tanh(acc * 0.5 + 1.0)

            _, y = tf.while_loop(cond, body, (tf.constant(0), x))
            return {"y": y}

    module = Iterate()
    return _convert_module(module)


def build_micro_int8() -> bytes:
    """The TFLM "hello world" sine regressor: Dense 16 -> Dense 16 -> Dense 1, full int8.

    int8 input [1, 1] and output [1, 1]; a few KB, fits any microcontroller. Trained
    briefly (deterministically) on sin(x), x in [0, 2*pi].
    """
    _seed()
    layers = keras.layers
    inp = keras.Input(shape=(1,), batch_size=1, name="x")
    h = layers.Dense(16, activation="relu", name="fc1")(inp)
    h = layers.Dense(16, activation="relu", name="fc2")(h)
    out = layers.Dense(1, name="y")(h)
    model = keras.Model(inp, out, name="sine")

    rng = np.random.default_rng(SEED)
    xs = rng.uniform(0.0, 2 * np.pi, size=(1000, 1)).astype(np.float32)
    ys = np.sin(xs) + rng.normal(0.0, 0.05, size=xs.shape).astype(np.float32)
    model.compile(optimizer=keras.optimizers.Adam(0.01), loss="mse")
    model.fit(xs, ys, epochs=60, batch_size=50, shuffle=False, verbose=0)

    def dataset():
        for x in np.linspace(0.0, 2 * np.pi, 100, dtype=np.float32):
            yield [np.array([[x]], dtype=np.float32)]

    spec = tf.TensorSpec([1, 1], tf.float32, name="x")
    return _convert_keras(model, spec, "y", _full_int8(tf.int8, dataset))


# ------------------------------------------------------------ TFLite Support metadata


def _normalise_zip(model: bytes) -> bytes:
    """Rewrite the zip of associated files the metadata populator appends, with fixed
    timestamps, so the output is byte-identical across runs."""
    with zipfile.ZipFile(io.BytesIO(model)) as zf:
        entries = [(info, zf.read(info)) for info in zf.infolist()]
    if not entries:
        return model
    prefix = model[: min(info.header_offset for info, _ in entries)]
    buf = io.BytesIO()
    buf.write(prefix)
    with zipfile.ZipFile(buf, "a") as out:
        for info, data in entries:
            fixed = zipfile.ZipInfo(info.filename, date_time=(1980, 1, 1, 0, 0, 0))
            fixed.compress_type = info.compress_type
            fixed.external_attr = 0o644 << 16
            out.writestr(fixed, data)
    return buf.getvalue()


def attach_metadata(src: Path, dst: Path) -> None:
    """Add TFLite Support image-classifier metadata to ``src``, writing ``dst``.

    Runs in an interpreter that has ``tflite-support`` (no TensorFlow needed).
    """
    try:  # tflite-support's native module needs libusb-1.0; libusb-package ships one.
        import ctypes

        import libusb_package

        lib = Path(libusb_package.__file__).parent / "libusb-1.0.so"
        if lib.exists():
            ctypes.CDLL(str(lib), mode=ctypes.RTLD_GLOBAL)
    except ImportError:
        pass
    from tflite_support.metadata_writers import image_classifier, writer_utils

    with tempfile.TemporaryDirectory() as tmp:
        labels = Path(tmp) / "labels.txt"
        labels.write_text("\n".join(CNN_LABELS) + "\n")
        writer = image_classifier.MetadataWriter.create_for_inference(
            writer_utils.load_file(str(src)), [IMAGE_MEAN], [IMAGE_STD], [str(labels)]
        )
        dst.write_bytes(_normalise_zip(writer.populate()))


def _have_tflite_support() -> bool:
    try:
        import tflite_support  # noqa: F401
    except Exception:
        return False
    return True


def build_cnn_int8_metadata(support_python: str | None) -> bytes | None:
    """The int8 CNN with TFLite Support metadata: image input (normalisation mean/std
    127.5/127.5) and a probabilities output with an associated labels file.

    Returns None (model skipped) when no interpreter with tflite-support is available.
    """
    if support_python is None and not _have_tflite_support():
        return None
    with tempfile.TemporaryDirectory() as tmp:
        src, dst = Path(tmp) / "in.tflite", Path(tmp) / "out.tflite"
        src.write_bytes(build_cnn_int8())
        if support_python is None:
            attach_metadata(src, dst)
        else:
            cmd = [support_python, str(Path(__file__).resolve()),
                   "--attach-metadata", str(src), str(dst)]
            subprocess.run(cmd, check=True)
        return dst.read_bytes()


BUILDERS: dict[str, Callable[[], bytes]] = {
    "cnn_float32": build_cnn_float32,
    "cnn_int8": build_cnn_int8,
    "cnn_int8_uint8io": build_cnn_int8_uint8io,
    "dense_dynamic_range": build_dense_dynamic_range,
    "cnn_float16": build_cnn_float16,
    "flex_op": build_flex_op,
    "dynamic_batch": build_dynamic_batch,
    "two_inputs": build_two_inputs,
    "while_loop": build_while_loop,
    "micro_int8": build_micro_int8,
}
OPTIONAL = ["cnn_int8_metadata"]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--out", type=Path, default=HERE,
                        help="output folder (default: the folder of this script)")
    parser.add_argument("--only", choices=list(BUILDERS) + OPTIONAL, action="append",
                        metavar="NAME",
                        help="build only this model (repeatable); one of: "
                             + ", ".join(list(BUILDERS) + OPTIONAL))
    parser.add_argument("--support-python", metavar="PYTHON",
                        help="interpreter with tflite-support installed, used for "
                             "cnn_int8_metadata")
    parser.add_argument("--attach-metadata", nargs=2, metavar=("SRC", "DST"), type=Path,
                        help=argparse.SUPPRESS)  # internal: run in the support interpreter
    args = parser.parse_args(argv)

    if args.attach_metadata:
        attach_metadata(*args.attach_metadata)
        return 0

    _import_tf()
    args.out.mkdir(parents=True, exist_ok=True)
    names = args.only or list(BUILDERS) + OPTIONAL
    for name in names:
        path = args.out / f"{name}.tflite"
        if name == "cnn_int8_metadata":
            data = build_cnn_int8_metadata(args.support_python)
            if data is None:
                print(f"skipped {path.name}: needs tflite-support (see --support-python)")
                continue
        else:
            data = BUILDERS[name]()
        path.write_bytes(data)
        print(f"wrote {path} ({len(data):,} bytes)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
