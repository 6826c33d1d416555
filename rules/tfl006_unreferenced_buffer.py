"""TFL006: buffers with data that no tensor or metadata entry refers to."""
from __future__ import annotations

from typing import Iterator

from tfllint.engine.rule import Location, RuleContext, Violation, rule
from tfllint.sizes import exact_bytes


@rule(id="TFL006", name="unreferenced-buffer", severity="info")
def check(ctx: RuleContext) -> Iterator[Violation]:
    """A buffer holding data that no tensor and no metadata entry refers to.

    What it finds:
        Entries of the model's buffer list that hold bytes but are referenced by no
        tensor of any subgraph and by no metadata entry (one finding for all of them,
        with their count and bytes); and data in buffer 0, which the schema reserves as
        the always-empty buffer of tensors without data.

    Why it matters:
        The bytes ship with the model and are never read, making the file (and the app,
        or the flash image) larger for nothing. Data in buffer 0 is attached to every
        activation tensor by readers that trust the schema.

    Example:
        2 buffers hold 1.0 MiB (1,049,600 bytes) that no tensor or metadata entry uses
        (buffers 17, 18).

    How to fix:
        Strip the buffer (or re-export the model: the converter writes only used buffers).
    """
    model = ctx.view.model
    used = {t.buffer for s in model.subgraphs for t in s.tensors}
    used.update(entry.buffer for entry in model.metadata)
    if model.buffers and model.buffers[0].size:
        yield Violation(f"buffer 0 holds {model.buffers[0].size} bytes, but the schema "
                        "reserves it as the empty buffer of tensors without data",
                        Location(buffer=0),
                        fix="move the data to a buffer of its own and leave buffer 0 empty")
    unused = [buffer for buffer in model.buffers[1:] if buffer.size and buffer.index not in used]
    if unused:
        total = sum(buffer.size for buffer in unused)
        what = "1 buffer holds" if len(unused) == 1 else f"{len(unused)} buffers hold"
        yield Violation(f"{what} {exact_bytes(total)} that no tensor or "
                        "metadata entry uses",
                        locations=tuple(Location(buffer=buffer.index) for buffer in unused),
                        fix="strip the buffers, or re-export the model")
