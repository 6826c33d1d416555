"""The `OfflineMemoryAllocation` metadata: tensor arena offsets planned before deployment.

TFLite Micro (micro_allocator.cc, kOfflineMemAllocMetadata) reads the metadata buffer as
int32 words: [version, subgraph word, count, offset_0 .. offset_count-1], one offset per
tensor of all subgraphs in order, -1 for a tensor left to the online planner. Current
TFLM checks only that count equals the number of tensors; older releases also required
version 1 and a subgraph index of 0 in word 1, while ARM Vela writes the subgraph count
there. Fixed offsets are honoured even when they overlap.
"""
from __future__ import annotations

import struct

from ..records import record

METADATA_NAME = "OfflineMemoryAllocation"
_HEADER = struct.Struct("<iii")


class OfflinePlanError(ValueError):
    """The metadata buffer does not hold a well-formed offline plan."""


@record
class OfflinePlan:
    version: int
    subgraph_word: int  # word 1: a subgraph index to older TFLM, the subgraph count to Vela
    offsets: tuple[int, ...]  # per tensor, subgraphs concatenated; -1 means planned online

    @property
    def planned(self) -> int:
        """How many tensors have a fixed offset."""
        return sum(1 for offset in self.offsets if offset >= 0)


def parse_offline_plan(data: bytes | memoryview) -> OfflinePlan:
    if len(data) < _HEADER.size:
        raise OfflinePlanError(f"{METADATA_NAME} holds {len(data)} bytes, fewer than its "
                               f"{_HEADER.size}-byte header")
    version, subgraph_word, count = _HEADER.unpack_from(data, 0)
    available = (len(data) - _HEADER.size) // 4
    if not 0 <= count <= available:
        raise OfflinePlanError(f"{METADATA_NAME} says it has {count} offsets, but its "
                               f"buffer holds {available}")
    offsets = struct.unpack_from(f"<{count}i", data, _HEADER.size)
    return OfflinePlan(version=version, subgraph_word=subgraph_word, offsets=offsets)
