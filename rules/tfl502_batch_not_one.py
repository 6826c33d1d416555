"""TFL502: an input with a fixed batch above 1 where a --target expects batch 1."""
from __future__ import annotations

from typing import Iterator

from tfllint.engine.rule import RuleContext, Violation, rule

from ._contract import batch_one_reason, io_label, io_location, shape_text


@rule(id="TFL502", name="batch-not-one", severity="warning")
def check(ctx: RuleContext) -> Iterator[Violation]:
    """An input with a fixed batch above 1, on a --target that expects batch 1.

    What it finds:
        Inputs of subgraph 0 of rank 2 or more whose first dimension is fixed (not -1)
        and larger than 1, for each --target whose profile expects batch 1 there
        (`[inputs] batch_one`): the Coral Edge TPU for inputs of rank 4 or more (it maps
        only the 3 innermost dimensions), and the GPU delegate for inputs of rank 2 to 4
        (its OpenGL ES backend takes batch 1 only). Without such a target it reports
        nothing: a fixed batch is then just part of the contract, which `tfllint inspect`
        shows.

    Why it matters:
        A model exported with the training batch size (a Keras Input with batch_size=32)
        runs on the CPU but not on these targets: the Edge TPU compiler leaves the ops
        reading such a tensor on the CPU, and on devices without OpenCL the GPU delegate
        fails ("ToTensorConverter: Batch size != 1 is not supported."). Every caller
        must also feed whole batches.

    Example:
        [coral] input 0 'images' has a fixed batch of 8 (shape [8, 224, 224, 3]); the Edge
        TPU maps a tensor of rank 4 only when every dimension before the 3 innermost is 1 ...

    How to fix:
        Convert with batch 1 (`keras.Input(shape, batch_size=1)`, a TensorSpec with 1 in
        front) and run one sample per call.
    """
    targets = [ctx.analyses.target(name).profile for name in ctx.settings.targets]
    if not targets:
        return
    for position, tensor in enumerate(ctx.analyses.contract.inputs):
        signature = tensor.shape_signature
        if len(signature) < 2 or signature[0] <= 1:
            continue
        for profile in targets:
            reason = batch_one_reason(profile, signature)
            if reason is None:
                continue
            yield Violation(f"{io_label('input', position, tensor)} has a fixed batch of "
                            f"{signature[0]} (shape {shape_text(signature)}); {reason}",
                            io_location(tensor), target=profile.name,
                            fix="convert the model with batch 1")
