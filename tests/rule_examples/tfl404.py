from _memory_models import dense
from tfllint.engine.rule import Location

# TFL213 (integer-io-needs-quantizing, info) always reports an int8 model's caller formula.
SETTINGS = {"runtime-version": "2.21", "target": ["coral"], "ignore": ["TFL213"]}


def bad() -> bytes:
    return dense(2560, 4096, "INT8")  # 10 MiB of int8 weights on the Edge TPU


BAD = {("TFL404", Location())}


def good() -> bytes:
    return dense(1024, 4096, "INT8")  # 4 MiB
