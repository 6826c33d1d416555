"""TFL211: a dynamic-range conversion whose weights were all too small to quantize."""
from __future__ import annotations

from typing import Iterator

from tfllint.engine.rule import Location, Option, RuleContext, Violation, rule

from ._locations import tensor_label
from ._quantization import (QUANTIZABLE_WEIGHTS, WEIGHTS_MIN_ELEMENTS, op_label,
                            quantizable_float_weights)

DYNAMIC_RANGE = "PTQ_DYNAMIC_RANGE"


@rule(id="TFL211", name="dynamic-range-quantized-nothing", severity="info",
      options=[Option("without-metadata", bool, False,
                      "also report float models that carry no CONVERSION_METADATA, whose "
                      "quantizable weights are all below the threshold")])
def check(ctx: RuleContext) -> Iterator[Violation]:
    """A conversion asked for dynamic-range quantization, and the model came out float.

    What it finds:
        Float32 models (no integer and no float16 weights) whose converter metadata says
        dynamic-range quantization was requested. The converter records the request
        whatever comes of it: tflite/python/lite.py (`_save_conversion_params_metric`)
        appends PTQ_DYNAMIC_RANGE to the CONVERSION_METADATA entry's
        model_optimization_modes whenever `optimizations` are set without a
        representative dataset or float16 target type. But its quantizer leaves a float
        weight alone when it has fewer than 1024 elements (`minimum_elements_for_weights`,
        quantization_config.h; TF 2.21 quantizes a 32x32 Dense kernel and leaves a
        32x31 one float, both recorded as PTQ_DYNAMIC_RANGE), and considers only the
        weights of ops that declare them quantizable (CONV_2D, FULLY_CONNECTED, LSTM,
        ...; GetQuantizableOperandIndices in tfl_ops.td), so a small model can come out
        unchanged. The message names the
        largest candidate weight and its size.

        A float model without that request looks exactly the same, so the rule needs
        the metadata to know the intent: a model that carries none (converted before the
        entry existed, or rewritten by another tool) is reported only with the option
        `without-metadata = true`, and then only when it has quantizable weights and all
        of them are below the threshold; that message is worded as a condition ("if you
        asked for dynamic-range quantization, ...").

    Why it matters:
        The model is as large and as slow as the float one, while its producer believes
        it is quantized: size budgets, accuracy evaluations and deployment choices made
        for a dynamic-range model are then wrong. Nothing in the converter's output says
        so except a log remark.

    Example:
        the conversion asked for dynamic-range quantization (CONVERSION_METADATA:
        PTQ_DYNAMIC_RANGE), but nothing was quantized: the converter skips float weights
        with fewer than 1024 elements, and the largest of the model's 4 quantizable
        weights, 'conv/kernel' (#5) of CONV_2D op 2, has 864.

    How to fix:
        For a model this small, quantize fully with a representative dataset
        (post-training integer quantization: every weight is quantized whatever its
        size), or accept float: the TFLiteConverter Python API has no setting for the
        threshold.
    """
    analysis = ctx.analyses.quantization
    if analysis.scheme != "float32":
        return
    modes = analysis.requested_modes
    if modes is None:
        if not ctx.options["without-metadata"]:
            return
    elif DYNAMIC_RANGE not in modes:
        return
    weights = list(quantizable_float_weights(ctx.view))
    if modes is None:
        if not weights or max(t.element_count for _, t in weights) >= WEIGHTS_MIN_ELEMENTS:
            return
        opening = ("if you asked for dynamic-range quantization, nothing was quantized "
                   "(this file has no CONVERSION_METADATA to say whether you did)")
    else:
        opening = (f"the conversion asked for dynamic-range quantization (CONVERSION_METADATA: "
                   f"{DYNAMIC_RANGE}), but nothing was quantized")
    if not weights:
        reason = ("no op has weights the dynamic-range quantizer handles ("
                  + ", ".join(sorted(QUANTIZABLE_WEIGHTS)) + ")")
    else:
        op, largest = max(weights, key=lambda pair: pair[1].element_count)
        size = largest.element_count
        if size < WEIGHTS_MIN_ELEMENTS:
            which = ("the model's only quantizable weight" if len(weights) == 1 else
                     f"the largest of the model's {len(weights)} quantizable weights")
            reason = (f"the converter skips float weights with fewer than {WEIGHTS_MIN_ELEMENTS} "
                      f"elements, and {which}, {tensor_label(largest)} of {op_label(op)}, "
                      f"has {size}")
        else:
            reason = (f"although {tensor_label(largest)} of {op_label(op)} has {size} elements, "
                      f"at least the {WEIGHTS_MIN_ELEMENTS} the converter needs to quantize a "
                      "weight (see the converter's log for why it did not)")
    yield Violation(f"{opening}: {reason}", Location(),
                    fix="quantize fully with a representative dataset (weights of any size "
                        "are quantized), or accept the float model")
