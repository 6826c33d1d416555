"""`tfllint inspect --snippet`: Python that runs the model with LiteRT's interpreter.

The snippet builds one placeholder array per input with the exact shape and type the
contract gives, quantizes it with the model's own scale and zero point, calls the model by
signature where it has one and dequantizes the outputs. `snippet_text` is a pure function
of the contract and of hints from TFLite Support metadata; `render_snippet` reads them.
"""
from __future__ import annotations

import builtins
import json
import keyword
import math
import re
import struct
import textwrap
from typing import Mapping, Sequence

from .analyses.contract import Contract, TensorContract
from .reader.support_metadata import Normalization
from .records import record

WIDTH = 79  # PEP 8's line length, so the snippet pastes into any code base
MAX_NAME_LENGTH = 24
TOP_K = 5
DEFAULT_SIGNATURE = "serving_default"
# Names the snippet itself uses; an input or output called so gets another name.
SNIPPET_NAMES = frozenset({
    "np", "zipfile", "Interpreter", "MODEL_PATH", "interpreter", "runner", "outputs",
    "info", "scale", "zero_point", "packed", "label_names", "label_scores", "label_index",
})
# numpy's name for each dtype get_input_details() reports (contract.INTERPRETER_DTYPE_NAMES).
NUMPY_TYPES = {
    "float16": "np.float16", "float32": "np.float32", "float64": "np.float64",
    "int8": "np.int8", "uint8": "np.uint8", "int16": "np.int16", "uint16": "np.uint16",
    "int32": "np.int32", "uint32": "np.uint32", "int64": "np.int64", "uint64": "np.uint64",
    "bool": "np.bool_", "complex64": "np.complex64", "complex128": "np.complex128",
    "bytes": "object", "object": "object",
}
INTEGER_TYPES = {"int8", "uint8", "int16", "uint16", "int32", "uint32", "int64", "uint64"}


@record
class TensorHints:
    """What TFLite Support metadata says about one input or output of subgraph 0."""

    normalization: Normalization | None = None  # the caller feeds (x - mean) / std
    content: str | None = None  # "image", "audio", "feature", ...
    color_space: str | None = None  # images: "RGB", "GRAYSCALE"
    labels_file: str | None = None  # a TENSOR_AXIS_LABELS file packed in the model
    label_count: int | None = None  # its lines; None when the packed file is unreadable


@record
class _Port:
    """One input or output as the snippet handles it."""

    label: str  # the signature name; without a signature, "input 0", "output 0", ...
    variable: str
    tensor: TensorContract
    hints: TensorHints | None


# -- reading the model --------------------------------------------------------------------

def render_snippet(path: str) -> str:
    """The snippet for the model at `path` (raises ModelReadError if it is no model)."""
    from .pipeline import open_model

    view, analyses = open_model(path)
    contract = analyses.contract
    flex_ops = sorted({code.custom_code or "" for code in view.model.operator_codes
                       if code.is_flex})
    return snippet_text(path, contract, hints=support_hints(view, analyses),
                        flex_ops=flex_ops)


def support_hints(view, analyses) -> dict[int, TensorHints]:
    """Hints per subgraph-0 tensor index from TFLite Support metadata; {} without it (or
    when it is corrupt: `tfllint inspect` reports that; the snippet runs without hints)."""
    from .reader.support_metadata import read_associated_file_lines

    contract: Contract = analyses.contract
    described = analyses.support_metadata.main
    if described is None:
        return {}
    hints: dict[int, TensorHints] = {}
    # The metadata lists subgraph 0's inputs and outputs in the subgraph's own order.
    for tensors, entries in ((contract.inputs, described.inputs),
                             (contract.outputs, described.outputs)):
        for tensor, entry in zip(tensors, entries):
            labels = next((f.name for f in entry.associated_files
                           if f.type == "TENSOR_AXIS_LABELS"), None)
            lines = read_associated_file_lines(view.path, labels) if labels else None
            hints[tensor.index] = TensorHints(
                normalization=entry.normalization,
                content=entry.content.kind if entry.content else None,
                color_space=entry.content.color_space if entry.content else None,
                labels_file=labels, label_count=lines.line_count if lines else None)
    return hints


# -- generation ---------------------------------------------------------------------------

def snippet_text(model_path: str, contract: Contract, *,
                 hints: Mapping[int, TensorHints] | None = None,
                 flex_ops: Sequence[str] = ()) -> str:
    """Python that runs the model on placeholder inputs and prints every output.

    `hints` is keyed by subgraph-0 tensor index (support_hints); `flex_ops` names the
    model's Select TF ops, which the ai-edge-litert runtime cannot run.
    """
    hints = hints or {}
    signature = _chosen_signature(contract)
    if signature is not None:
        # Support metadata describes subgraph 0; a signature may run another one.
        known = hints if signature.subgraph == 0 else {}
        inputs, outputs = signature.inputs, signature.outputs
    else:
        # Tensor names are often the converter's (StatefulPartitionedCall:0): name the
        # variables by position, as the interpreter orders them, and quote the names.
        known = hints
        inputs = tuple((f"input {n}", t) for n, t in enumerate(contract.inputs))
        outputs = tuple((f"output {n}", t) for n, t in enumerate(contract.outputs))
    taken = set(SNIPPET_NAMES) | set(dir(builtins))
    input_ports = [_Port(label, _variable(label, taken), tensor, known.get(tensor.index))
                   for label, tensor in inputs]
    output_ports = [_Port(label, _variable(label, taken), tensor, known.get(tensor.index))
                    for label, tensor in outputs]
    by_signature = signature is not None

    blocks = [_header(flex_ops, any(_labels_usable(p) for p in output_ports)),
              [f"MODEL_PATH = {_string(model_path)}",
               "interpreter = Interpreter(model_path=MODEL_PATH)"]]
    if signature is not None and len(contract.signatures) > 1:
        blocks.append(_comment(
            f"The model has {len(contract.signatures)} signatures ("
            + ", ".join(_string(s.key) for s in contract.signatures)
            + f"); this runs {_string(signature.key)}."))
    blocks.extend(_input_lines(port, by_signature=by_signature) for port in input_ports)
    if signature is not None:
        blocks.append(_signature_call(signature.key, input_ports))
    else:
        blocks.append(_indexed_call(input_ports))
    blocks.extend(_output_lines(port, by_signature=by_signature) for port in output_ports)
    code_blocks = [blocks[0]] + [[fitted for line in block for fitted in _fit(line)]
                                 for block in blocks[1:]]
    return "\n\n".join("\n".join(block) for block in code_blocks if block) + "\n"


def _chosen_signature(contract: Contract):
    for signature in contract.signatures:
        if signature.key == DEFAULT_SIGNATURE:
            return signature
    return contract.signatures[0] if contract.signatures else None


def _header(flex_ops: Sequence[str], uses_labels: bool) -> list[str]:
    lines = ['"""Run the model with the LiteRT interpreter (pip install ai-edge-litert).',
             "",
             "Generated by `tfllint inspect --snippet`. The inputs are placeholders of the",
             "model's exact shapes and types: put your data where the comments say.",
             '"""']
    if flex_ops:
        lines += _comment(
            "This model needs the Flex delegate for its Select TensorFlow ops ("
            + ", ".join(flex_ops) + "). The ai-edge-litert runtime has no Flex delegate: "
            'running the model below fails with "Select TensorFlow op(s) ... not supported '
            'by this interpreter". To run it from Python, install TensorFlow 2.18 or '
            'earlier (pip install "tensorflow<2.19"), whose tf.lite.Interpreter links '
            "the Flex delegate (later releases dropped it, google-ai-edge/LiteRT#6458), "
            "and replace the Interpreter import below with:")
        lines += ["#     import tensorflow as tf", "#     Interpreter = tf.lite.Interpreter"]
        lines += _comment("On Android, add org.tensorflow:tensorflow-lite-select-tf-ops. "
                          "Or convert the model without SELECT_TF_OPS, to builtin ops "
                          "only.")
    if uses_labels:
        lines.append("import zipfile")
        lines.append("")
    lines += ["import numpy as np", "from ai_edge_litert.interpreter import Interpreter"]
    return lines


# -- inputs -------------------------------------------------------------------------------

def _input_lines(port: _Port, *, by_signature: bool) -> list[str]:
    tensor, variable = port.tensor, port.variable
    lines = _comment(f"{_title(port, by_signature, 'Input')}: "
                     f"{_described(tensor, 'quantize')}.")
    if -1 in tensor.shape_signature:
        lines += _comment(_dynamic_note(tensor, by_signature))
    shape, dtype = _tuple(tensor.shape), tensor.dtype
    if dtype == "bytes":
        return lines + [f'{variable} = np.full({shape}, b"text", dtype=object)'
                        "  # your text, as bytes"]
    if dtype == "object":
        return lines + _comment("A resource or variant tensor: Python cannot set it, so "
                                "this input cannot be fed from here.") + [f"{variable} = None"]
    if dtype == "bool":
        return lines + [f"{variable} = np.zeros({shape}, dtype=np.bool_)"
                        "  # your True/False values"]
    numpy_type = NUMPY_TYPES.get(dtype, f"np.{dtype}")
    quantized = tensor.quantized and dtype in INTEGER_TYPES
    if dtype in INTEGER_TYPES and not quantized:
        return lines + [f"{variable} = np.zeros({shape}, dtype={numpy_type})"
                        "  # your integers"]
    real = f"{variable}_real" if quantized else variable
    real_type = "np.float32" if quantized else numpy_type
    lines += _real_lines(port, real, real_type, shape)
    if quantized:
        lines += _quantize_lines(tensor, variable, real, numpy_type)
    return lines


def _real_lines(port: _Port, target: str, numpy_type: str, shape: str) -> list[str]:
    """`target` = the float values the model takes, normalized as the metadata says."""
    normalization = port.hints.normalization if port.hints else None
    if normalization is None or not (normalization.mean and normalization.std):
        return [f"{target} = np.zeros({shape}, dtype={numpy_type})  # your data"]
    image = port.hints.content == "image"
    source = f"{port.variable}_pixels" if image else f"{port.variable}_raw"
    what = f"{port.hints.color_space or ''} image".strip() if image else "data"
    mean, std = _values(normalization.mean), _values(normalization.std)
    return (_comment(f"TFLite Support metadata: normalize the {what} as (x - mean) / std.")
            + [f"{source} = np.zeros({shape}, dtype=np.float32)  # your {what}",
               f"{target} = (({source} - {mean}) / {std}).astype({numpy_type})"])


def _quantize_lines(tensor: TensorContract, variable: str, real: str,
                    numpy_type: str) -> list[str]:
    lines = [f"info = np.iinfo({numpy_type})"]
    lines += _parameter_lines(tensor)
    lines += [f"{variable} = np.round({real} / scale) + zero_point",
              f"{variable} = np.clip({variable}, info.min, info.max).astype({numpy_type})"]
    return lines


def _dynamic_note(tensor: TensorContract, by_signature: bool) -> str:
    dynamic = [str(axis) for axis, size in enumerate(tensor.shape_signature) if size == -1]
    if len(dynamic) == 1:
        which = f"Dimension {dynamic[0]} is"
    else:
        which = f"Dimensions {', '.join(dynamic)} are"
    note = (f"{which} dynamic (shape_signature {list(tensor.shape_signature)}); "
            f"{list(tensor.shape)} is the file's placeholder shape. ")
    if by_signature:
        return note + ("The signature runner resizes the input to the array it is given "
                       "(resize_tensor_input and allocate_tensors), so any size works.")
    return note + ("For another size, resize_tensor_input to the array's shape before "
                   "allocate_tensors, as below.")


# -- the call -----------------------------------------------------------------------------

def _signature_call(key: str, inputs: Sequence[_Port]) -> list[str]:
    lines = [f"runner = interpreter.get_signature_runner({_string(key)})"]
    if all(p.label.isidentifier() and not keyword.iskeyword(p.label) for p in inputs):
        arguments = [f"{p.label}={p.variable}" for p in inputs]
    else:
        arguments = ["**{" + ", ".join(f"{_string(p.label)}: {p.variable}"
                                       for p in inputs) + "}"]
    one_line = "outputs = runner(" + ", ".join(arguments) + ")"
    if len(one_line) <= WIDTH:
        return lines + [one_line]
    return lines + ["outputs = runner("] + [f"    {a}," for a in arguments] + [")"]


def _indexed_call(inputs: Sequence[_Port]) -> list[str]:
    lines = _comment("No signature: inputs and outputs are set and read by tensor index, "
                     "in the interpreter's order (get_input_details()).")
    for port in inputs:
        if -1 in port.tensor.shape_signature:
            lines.append(f"interpreter.resize_tensor_input({port.tensor.index}, "
                         f"{port.variable}.shape)")
    lines.append("interpreter.allocate_tensors()")
    lines += [f"interpreter.set_tensor({p.tensor.index}, {p.variable})" for p in inputs]
    lines.append("interpreter.invoke()")
    return lines


# -- outputs ------------------------------------------------------------------------------

def _output_lines(port: _Port, *, by_signature: bool) -> list[str]:
    tensor, variable = port.tensor, port.variable
    lines = _comment(f"{_title(port, by_signature, 'Output')}: "
                     f"{_described(tensor, 'dequantize')}.")
    if by_signature:
        lines.append(f"{variable} = outputs[{_string(port.label)}]")
    else:
        lines.append(f"{variable} = interpreter.get_tensor({tensor.index})")
    shown = port.label if by_signature else f"{port.label} ({port.tensor.name})"
    lines.append(f"print({_string(shown + ':')}, {variable}.dtype, "
                 f"list({variable}.shape))")
    values = variable
    if tensor.quantized and tensor.dtype in INTEGER_TYPES:
        values = f"{variable}_real"
        lines += _parameter_lines(tensor)
        lines.append(f"{values} = scale * ({variable}.astype(np.float32) - zero_point)")
    lines.append(f"print({values})")
    return lines + _label_lines(port, values)


def _label_lines(port: _Port, values: str) -> list[str]:
    hints = port.hints
    if hints is None or hints.labels_file is None:
        return []
    name = _string(hints.labels_file)
    if hints.label_count is None:
        return _comment(f"TFLite Support metadata names the labels file {name}, but the "
                        "model carries no readable packed file of that name.")
    if not _labels_usable(port):
        return _comment(f"{name} has {hints.label_count} labels, which does not match "
                        f"the last dimension of {list(port.tensor.shape)}: not applied.")
    top = min(TOP_K, hints.label_count)
    return (_comment(f"Top {top} of the {hints.label_count} labels in {name}, which "
                     "TFLite Support packed into the model file (a zip at its end).")
            + ["with zipfile.ZipFile(MODEL_PATH) as packed:",
               f"    label_names = packed.read({name})"
               '.decode("utf-8-sig").splitlines()',
               f"label_scores = {values}.reshape(-1, len(label_names))[0]"
               "  # first batch item",
               f"for label_index in np.argsort(-label_scores)[:{top}]:",
               "    print(f\"  {label_names[label_index]}: "
               '{label_scores[label_index]:.4f}")'])


def _labels_usable(port: _Port) -> bool:
    hints, shape = port.hints, port.tensor.shape
    return (hints is not None and bool(hints.label_count) and len(shape) > 0
            and shape[-1] == hints.label_count
            and port.tensor.dtype not in ("bytes", "object", "bool"))


# -- shared pieces ------------------------------------------------------------------------

def _parameter_lines(tensor: TensorContract) -> list[str]:
    """`scale` and `zero_point`: literals per tensor, broadcastable arrays per channel."""
    zero_points = tensor.zero_points or (0,)
    if len(tensor.scales) == 1:
        return [f"scale, zero_point = {_float32(tensor.scales[0])}, {zero_points[0]}"]
    axis, rank = tensor.quantized_dimension, len(tensor.shape)
    # One value per index of the quantized dimension, shaped to broadcast against it.
    shape = ", ".join("-1" if d == axis else "1" for d in range(rank)) or "-1"
    lines = _comment(f"Quantized per channel along dimension {axis}: one scale and zero "
                     "point per index.")
    lines += _array_lines("scale", [_float32(s) for s in tensor.scales], "np.float32", shape)
    if len(set(zero_points)) == 1:
        return lines + [f"zero_point = {zero_points[0]}"]
    return lines + _array_lines("zero_point", [str(z) for z in zero_points], "np.int64",
                                shape)


def _array_lines(name: str, literals: list[str], numpy_type: str, shape: str) -> list[str]:
    tail = f"], dtype={numpy_type}).reshape({shape})"
    one_line = f"{name} = np.array([" + ", ".join(literals) + tail
    if len(one_line) <= WIDTH:
        return [one_line]
    body = textwrap.wrap(", ".join(literals) + ",", WIDTH - 4, break_long_words=False,
                         break_on_hyphens=False)
    return [f"{name} = np.array(["] + [f"    {line}" for line in body] + [tail]


def _title(port: _Port, by_signature: bool, direction: str) -> str:
    """How comments name the port: by signature name, else by position and tensor."""
    if by_signature:
        return f"{direction} {_string(port.label)}"
    return (f"{port.label.capitalize()}, tensor {port.tensor.index} "
            f"{_string(port.tensor.name)}")


def _described(tensor: TensorContract, conversion: str) -> str:
    """dtype and shape (the signature's, -1 for dynamic sizes); how to convert values."""
    shape = list(tensor.shape_signature if -1 in tensor.shape_signature else tensor.shape)
    text = f"{tensor.dtype} {shape}"
    if tensor.quantized and tensor.dtype in INTEGER_TYPES:
        text += f", {conversion}d with the model's scale and zero point"
    return text


def _values(values: Sequence[float]) -> str:
    """A scalar literal for one value (it applies to every channel), else an array."""
    if len(values) == 1:
        return _float32(values[0])
    return "np.array([" + ", ".join(_float32(v) for v in values) + "], dtype=np.float32)"


def _float32(value: float) -> str:
    """The shortest literal that reads back as the same float32 (scales are float32)."""
    if not math.isfinite(value):
        return f'float("{value}")'
    exact = struct.unpack("<f", struct.pack("<f", value))[0]
    for digits in range(1, 10):
        text = f"{value:.{digits}g}"
        if struct.unpack("<f", struct.pack("<f", float(text)))[0] == exact:
            break
    return text if re.search(r"[.en]", text) else text + ".0"


def _variable(name: str, taken: set[str]) -> str:
    """A PEP 8 variable name for `name`, unused so far, with room for derived names."""
    base = re.sub(r"\W+", "_", name.lower()).strip("_")[:MAX_NAME_LENGTH].rstrip("_")
    if not base or base[0].isdigit():
        base = f"tensor_{base}".rstrip("_")
    if keyword.iskeyword(base) or base in taken:
        base += "_"
    candidate, number = base, 1
    while any(n in taken for n in _derived(candidate)):
        number += 1
        candidate = f"{base.rstrip('_')}_{number}"
    taken.update(_derived(candidate))
    return candidate


def _derived(variable: str) -> tuple[str, ...]:
    return (variable, f"{variable}_real", f"{variable}_pixels", f"{variable}_raw")


def _string(text: str) -> str:
    """A double-quoted Python string literal (JSON's escapes are all valid Python)."""
    return json.dumps(text)


def _tuple(shape: Sequence[int]) -> str:
    return repr(tuple(int(size) for size in shape))


def _fit(line: str) -> list[str]:
    """`line`, or two lines when it is longer than WIDTH (long names do that).

    A trailing comment moves above the code; the code breaks after its first opening
    parenthesis, with a hanging indent. A line with neither stays as it is.
    """
    if len(line) <= WIDTH or line.lstrip().startswith("#"):
        return [line]
    indent = line[:len(line) - len(line.lstrip())]
    code, comment = _split_comment(line)
    if comment:
        return [f"{indent}{comment}"] + _fit(code)
    opening = _first_outside_strings(code, "(")
    if opening is None:
        return [line]
    return [code[:opening + 1], f"{indent}    {code[opening + 1:].lstrip()}"]


def _split_comment(line: str) -> tuple[str, str | None]:
    position = _first_outside_strings(line, "#")
    if position is None:
        return line, None
    return line[:position].rstrip(), line[position:]


def _first_outside_strings(line: str, wanted: str) -> int | None:
    quote = None
    position = 0
    while position < len(line):
        character = line[position]
        if quote:
            if character == "\\":
                position += 1
            elif character == quote:
                quote = None
        elif character in "\"'":
            quote = character
        elif character == wanted:
            return position
        position += 1
    return None


def _comment(text: str) -> list[str]:
    return textwrap.wrap(text, WIDTH, initial_indent="# ", subsequent_indent="# ",
                         break_long_words=False, break_on_hyphens=False)
