from _memory_models import residual_chain
from tfllint.engine.rule import Location

# Each tensor is 1 KiB; three are live at op 1 (3 KiB), over the 2 KiB budget.
SETTINGS = {"runtime-version": "2.21", "memory-budget": "2KiB"}


def bad() -> bytes:
    return residual_chain(256)


BAD = {("TFL401", Location(subgraph=0, op_index=1, op="ADD"))}


def good() -> bytes:
    return residual_chain(128)  # 512 B tensors: 1.5 KiB at the peak
