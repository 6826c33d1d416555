"""TFL507: an image input whose expected value range and channel order are not recorded."""
from __future__ import annotations

from typing import TYPE_CHECKING, Iterator

from tfllint.analyses.contract import TensorContract
from tfllint.engine.rule import Option, RuleContext, Violation, rule

if TYPE_CHECKING:  # read only for models that carry metadata
    from tfllint.reader.support_metadata import TensorMetadata

from ._contract import io_label, io_location, quantized_range, range_hint, shape_text

FLOAT_TYPES = ("float32", "float16")
IMAGE_CHANNELS = (1, 3)


@rule(id="TFL507", name="image-input-without-normalization", severity="info",
      options=[Option("min-size", int, 16,
                      "smallest height and width of an NHWC input taken for an image")])
def check(ctx: RuleContext) -> Iterator[Violation]:
    """An image input with no recorded normalization (mean/std) or color space.

    What it finds:
        Float or quantized inputs of subgraph 0 that hold an image, either by TFLite
        Support metadata (content: image) or by shape (rank 4, NHWC, 1 or 3 channels,
        height and width at least `min-size`, -1 taken as large enough), whose TFLite
        Support metadata gives no normalization (NormalizationOptions mean/std) or, for 3
        channels, no color space. For a quantized input it says which real range the
        input's scale and zero point cover, and which usual preprocessing gives it.
        Raw integer inputs (uint8 without quantization) take pixels as they are and are
        not reported.

    Why it matters:
        Whether a model wants pixels in [0, 255], [0, 1] or [-1, 1], in RGB or BGR order,
        is nowhere in the graph: a wrong guess runs without error and gives poor
        results. The Task Library and Android Studio's model binding read exactly this
        metadata to preprocess images; without it every caller must find out from the
        training code. It is an info, not a warning: the model runs as it should when the
        caller normalizes as documented elsewhere (a model card, the training code), and
        on the real-model corpus it fired on 20 of 43 healthy models (README, Real-model
        corpus), most of them MediaPipe's, which document their input elsewhere.

    Example:
        input 0 'serving_default_image:0' is an image (int8 [1, 32, 32, 3]) but the model
        has no TFLite Support metadata, so its value range and channel order are
        guesswork; its quantization covers real values [-0.9961, 1.004] (scale
        0.00784308, zero point -1), the range of (pixel - 127.5) / 127.5

    How to fix:
        Add metadata with the normalization used in training and the color space, e.g.
        with tflite_support's metadata writers:
        `image_classifier.MetadataWriter.create_for_inference(model_bytes, [127.5],
        [127.5], ["labels.txt"]).populate()` (mean and std per channel, or one for all;
        the writer records RGB).
    """
    metadata_inputs, problem = _metadata_inputs(ctx)
    min_size = ctx.options["min-size"]
    for position, tensor in enumerate(ctx.analyses.contract.inputs):
        described = metadata_inputs[position] if position < len(metadata_inputs) else None
        is_image = described is not None and described.content is not None \
            and described.content.kind == "image"
        if not (is_image or _image_shaped(tensor.shape_signature, min_size)):
            continue
        if tensor.dtype not in FLOAT_TYPES and not tensor.quantized:
            continue
        missing = _missing(described, tensor.shape_signature)
        if not missing:
            continue
        where = problem or ("the model has no TFLite Support metadata" if not metadata_inputs
                            else f"its TFLite Support metadata gives no {missing}")
        yield Violation(f"{io_label('input', position, tensor)} is an image ({tensor.dtype} "
                        f"{shape_text(tensor.shape_signature)}) but {where}, so its "
                        f"{_what_is_unknown(missing)}; {_range_text(tensor)}",
                        io_location(tensor),
                        fix="add TFLite Support metadata with the input's normalization "
                            "(mean/std) and color space")


def _metadata_inputs(ctx: RuleContext) -> tuple[tuple[TensorMetadata, ...], str | None]:
    """Subgraph 0's input metadata, in input order, and why it is unusable (or None)."""
    support = ctx.analyses.support_metadata
    if support.error is not None:
        return (), f"its TFLite Support metadata is corrupt ({support.error})"
    return (support.main.inputs if support.main is not None else ()), None


def _image_shaped(signature: tuple[int, ...], min_size: int) -> bool:
    if len(signature) != 4 or signature[3] not in IMAGE_CHANNELS:
        return False
    return all(size < 0 or size >= min_size for size in signature[1:3])


def _missing(described: TensorMetadata | None, signature: tuple[int, ...]) -> str:
    """'normalization (mean/std)', 'color space', both, or '' when nothing is missing."""
    missing = []
    if described is None or described.normalization is None:
        missing.append("normalization (mean/std)")
    content = described.content if described is not None else None
    has_color = content is not None and content.color_space not in (None, "UNKNOWN") \
        and not content.color_space.startswith("UNKNOWN(")
    if signature and signature[-1] != 1 and not has_color:
        missing.append("color space")
    return " or ".join(missing)


def _what_is_unknown(missing: str) -> str:
    parts = []
    if "normalization" in missing:
        parts.append("value range")
    if "color" in missing:
        parts.append("channel order")
    return " and ".join(parts) + (" are" if len(parts) > 1 else " is") + " guesswork"


def _range_text(tensor: TensorContract) -> str:
    if not tensor.quantized:
        return "nothing in the file says whether it takes pixels in [0, 255], [0, 1] or [-1, 1]"
    covered = quantized_range(tensor)
    if covered is None:
        return "its per-channel quantization does not say which real range it expects"
    low, high = covered
    hint = range_hint(low, high)
    scale, zero_point = tensor.scales[0], tensor.zero_points[0] if tensor.zero_points else 0
    return (f"its quantization covers real values [{low:.4g}, {high:.4g}] (scale {scale:.6g}, "
            f"zero point {zero_point}), "
            + (f"the range of {hint}" if hint else "which matches no usual pixel scaling"))
