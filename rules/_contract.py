"""Helpers shared by the TFL5xx input/output contract rules (not a rule module: the name
starts with _): labels, signature look-ups, generated-name patterns, what a target does
with a dimension unknown until run time or a batch above 1 (as its profile's [inputs]
table says), and what a quantized input's range implies."""
from __future__ import annotations

import re
from typing import Iterable, Sequence

from tfllint.analyses.contract import Contract, SignatureContract, TensorContract
from tfllint.engine.rule import Location


def shape_text(dims: Iterable[int]) -> str:
    return "[" + ", ".join(str(dim) for dim in dims) + "]"


def position_label(position: int, tensor: TensorContract) -> str:
    """"0 'serving_default_x:0'": the position get_input_details() gives, and the name."""
    return f"{position} " + (f"'{tensor.name}'" if tensor.name else "(unnamed)")


def io_label(kind: str, position: int, tensor: TensorContract) -> str:
    """"input 0 'serving_default_x:0'"."""
    return f"{kind} {position_label(position, tensor)}"


def io_location(tensor: TensorContract) -> Location:
    return Location(subgraph=0, tensor=tensor.name, tensor_index=tensor.index)


def listing(items: Sequence[str]) -> str:
    """a, b and c."""
    return items[0] if len(items) == 1 else ", ".join(items[:-1]) + " and " + items[-1]


def quoted(names: Sequence[str]) -> str:
    """'a', 'b' and 'c'."""
    return listing([f"'{name}'" for name in names])


def main_signatures(contract: Contract) -> tuple[SignatureContract, ...]:
    """The signatures that run subgraph 0, the one positional callers use."""
    return tuple(s for s in contract.signatures if s.subgraph == 0)


def signature_names(signature: SignatureContract, kind: str) -> dict[int, str]:
    """Tensor index -> the signature's name for it, for its inputs or outputs."""
    entries = signature.inputs if kind == "input" else signature.outputs
    return {tensor.index: name for name, tensor in entries}


# -- generated names ------------------------------------------------------------------------

# Names nobody chose, as converters and frameworks make them up, matched whole after
# caller_name() strips the ":N" output suffix and a "<signature key>_" prefix; each
# pattern with where it comes from.
GENERATED_NAMES = (
    # The TF converter's names for the results of a SavedModel function call: every
    # sample model's outputs, 'StatefulPartitionedCall_1:0' for Keras 3 (TF 2.21).
    r"(Stateful)?PartitionedCall(_\d+)?",
    # tf.identity results: Keras outputs in TF 2.0-2.4 (tensorflow/tensorflow#32180),
    # nobuco's PyTorch outputs 'tf.identity_1' (AlexanderLutsenko/nobuco#51).
    r"(tf\.)?[Ii]dentity(_\d+)?",
    r"Placeholder(_\d+)?",  # an unnamed TF1 placeholder
    # Keras default inputs: Keras 2 'input_1'; Keras 3 'input_layer', and 'keras_tensor_3'
    # as TFLiteConverter.from_keras_model names them (TF 2.21, Keras 3).
    r"input_\d+|input_layer(_\d+)?|keras_tensor(_\d+)?",
    # Positional names: unnamed tf.function arguments and nobuco's inputs ('args_0',
    # nobuco#51), Keras 3 results ('output_0', TF 2.21).
    r"args_\d+|output_\d+",
    r"(inputs|outputs)(_\d+)?",  # generic names
    r"\d+",  # numbers, as ONNX exporters name tensors
)
_GENERATED = re.compile("|".join(f"(?:{pattern})" for pattern in GENERATED_NAMES))
_OUTPUT_SUFFIX = re.compile(r":\d+$")


def caller_name(tensor_name: str, signature_keys: Iterable[str] = ()) -> str:
    """The part of a tensor name a person chose: the TF converter names a signature's
    input '<signature key>_<input name>:0' (serving_default_image:0 -> image)."""
    name = _OUTPUT_SUFFIX.sub("", tensor_name)
    for key in (*signature_keys, "serving_default"):
        if key and name.startswith(key + "_") and len(name) > len(key) + 1:
            return name[len(key) + 1:]
    return name


def is_generated(name: str) -> bool:
    """An empty name, or one that matches GENERATED_NAMES."""
    return not name or _GENERATED.fullmatch(name) is not None


# -- dimensions unknown until run time (TFL501) -----------------------------------------------

STATIC_ONLY_TEXT = ("Attempting to use a delegate that only supports static-sized tensors with "
                    "a graph that has dynamic-sized tensors")


def dynamic_dimension_note(result, placeholder: tuple[int, ...], dims: Sequence[int]) -> str:
    """What one --target does with an input whose `dims` are -1 in shape_signature.

    The facts are the profile's: `[requirements] static_shapes`, and `[inputs] dynamic`
    (tfllint.targets.profile.DYNAMIC_INPUTS) with its `dynamic_note`; each built-in
    profile cites its sources there. ModifyGraphWithDelegateImpl (subgraph.cc) gives the
    words a static-only delegate is refused with.
    """
    profile = result.profile
    title = profile.title
    behaviour = profile.inputs
    note = f" ({behaviour.dynamic_note})" if behaviour.dynamic_note else ""
    if profile.requirements.static_shapes:
        return f"{title} refuses it: it needs static shapes (TFL302 reports it)"
    if behaviour.dynamic == "static-only":
        return (f"{title} takes only static-sized tensors{note}: each resize undoes it and "
                "allocate_tensors() builds it again for the new size, and it is refused if a "
                "size then depends on values computed at run time "
                f"(\"{STATIC_ONLY_TEXT}\")")
    if behaviour.dynamic == "reshape":
        return f"{title} follows each resize{note}"
    if behaviour.dynamic == "resize":
        return f"{title} runs it at whatever size it is resized to{note}"
    if behaviour.dynamic == "placeholder":
        return (f"{title} reads only `shape`{note}: it always runs at "
                f"{shape_text(placeholder)} and cannot be resized")
    if behaviour.dynamic == "first-dimension":
        if any(dim > 0 for dim in dims):
            return (f"{title} puts the ops that touch a dynamic dimension after the first on "
                    f"the CPU{note} (Vela: \"Only the first dimension of tensors can be "
                    "dynamic.\")")
        return f"{title} compiles it with batch 1{note} (Vela reads a -1 batch as 1)"
    return f"{title}'s profile does not require static shapes{note}"


# What a caller is told when no --target is named.
DYNAMIC_WITHOUT_TARGETS = (
    "delegates that take only static-sized tensors (GPU, Core ML, and NNAPI and Hexagon at "
    "their defaults) are rebuilt for each new size, and the Edge TPU compiler refuses it")


# -- batch 1 (TFL502) -------------------------------------------------------------------------

def batch_one_reason(profile, signature: tuple[int, ...]) -> str | None:
    """Why the target expects batch 1 for an input of this shape signature, or None: the
    profile's `[inputs] batch_one` (ranks and reason; each built-in cites its source)."""
    expected = profile.inputs.batch_one
    if expected is None or not signature or signature[0] <= 1:
        return None
    rank = len(signature)
    if rank < expected.min_rank or (expected.max_rank is not None and rank > expected.max_rank):
        return None
    return expected.reason.replace("{rank}", str(rank))


# -- image inputs (TFL507) --------------------------------------------------------------------

def quantized_range(tensor: TensorContract) -> tuple[float, float] | None:
    """The real values a per-tensor quantized input can hold: scale * (q - zero_point)."""
    limits = {"int8": (-128, 127), "uint8": (0, 255), "int16": (-32768, 32767)}.get(tensor.dtype)
    if limits is None or len(tensor.scales) != 1:
        return None
    scale = tensor.scales[0]
    zero_point = tensor.zero_points[0] if tensor.zero_points else 0
    return scale * (limits[0] - zero_point), scale * (limits[1] - zero_point)


# Common float ranges for pixels, and the preprocessing that produces them.
PIXEL_RANGES = ((0.0, 1.0, "pixel / 255"), (-1.0, 1.0, "(pixel - 127.5) / 127.5"),
                (0.0, 255.0, "the raw pixel values"))


def range_hint(low: float, high: float) -> str | None:
    """The usual preprocessing whose output range [low, high] matches, within 2%."""
    for expected_low, expected_high, preprocessing in PIXEL_RANGES:
        tolerance = 0.02 * (expected_high - expected_low)
        if abs(low - expected_low) <= tolerance and abs(high - expected_high) <= tolerance:
            return preprocessing
    return None
