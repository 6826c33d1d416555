"""TFL006: buffers with data that no tensor or metadata entry refers to."""
from __future__ import annotations

from typing import Iterator

from tfllint.engine.rule import Location, RuleContext, Violation, rule


@rule(id="TFL006", name="unreferenced-buffer", severity="info")
def check(ctx: RuleContext) -> Iterator[Violation]:
    """A buffer holding data that no tensor and no metadata entry refers to.

    What it finds:
        Entries of the model's buffer list that hold bytes but are referenced by no
        tensor of any subgraph and by no metadata entry; and data in buffer 0, which the
        schema reserves as the always-empty buffer of tensors without data.

    Why it matters:
        The bytes ship with the model and are never read, making the file (and the app,
        or the flash image) larger for nothing. Data in buffer 0 is attached to every
        activation tensor by readers that trust the schema.

    Example:
        buffer 17 holds 1048576 bytes that no tensor or metadata entry uses.

    How to fix:
        Strip the buffer (or re-export the model: the converter writes only used buffers).
    """
    model = ctx.view.model
    used = {t.buffer for s in model.subgraphs for t in s.tensors}
    used.update(entry.buffer for entry in model.metadata)
    for buffer in model.buffers:
        if buffer.size == 0:
            continue
        if buffer.index == 0:
            yield Violation(f"buffer 0 holds {buffer.size} bytes, but the schema reserves it "
                            "as the empty buffer of tensors without data", Location(),
                            fix="move the data to a buffer of its own and leave buffer 0 empty")
        elif buffer.index not in used:
            yield Violation(f"buffer {buffer.index} holds {buffer.size} bytes that no tensor "
                            "or metadata entry uses", Location(),
                            fix="strip the buffer, or re-export the model")
