from _memory_models import broadcast_add
from tfllint.engine.rule import Location

# A 4 KiB tensor cannot fit 2 KiB, so the arena cannot either: TFL401 always co-fires.
SETTINGS = {"runtime-version": "2.21", "memory-budget": "2KiB", "ignore": ["TFL401"]}


def bad() -> bytes:
    return broadcast_add(64)  # grid [64, 16] float32: 4 KiB


BAD = {("TFL402", Location(subgraph=0, tensor="grid", tensor_index=2))}


def good() -> bytes:
    return broadcast_add(16)  # grid [16, 16] float32: 1 KiB
