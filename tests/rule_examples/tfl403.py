from _memory_models import dense
from tfllint.engine.rule import Location

SETTINGS = {"runtime-version": "2.21", "weights-budget": "8KiB"}


def bad() -> bytes:
    return dense(64, 64)  # 16 KiB of float32 weights and a 256 B bias


BAD = {("TFL403", Location())}


def good() -> bytes:
    return dense(8, 64)  # 2 KiB of weights
