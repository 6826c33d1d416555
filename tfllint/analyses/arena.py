"""Arena planning: where each activation tensor lives in the runtime's memory, and how much.

Two planners, each following its runtime's real semantics:
- "tflm": TFLite Micro's GreedyMemoryPlanner (16-byte alignment, lifetimes from execution
  order, buffers sorted by size descending, first fit in time-overlapping gaps, offsets
  from OfflineMemoryAllocation metadata honoured), plus the persistent "tail" TFLM
  allocates per tensor, per op, per channel and per resource variable (arena_tflm.py),
  for a 64-bit (host) or 32-bit (microcontroller) build. head + tail is what
  RecordingMicroAllocator::PrintAllocations() reports on the 64-bit build; `temp_bytes` is what
  AllocateTensors() needs beyond that while it plans (small models), so total_bytes is
  the smallest arena that works.
- "litert": the LiteRT CPU ArenaPlanner, as cpu/xnnpack/gpu-style targets allocate
  (arena_litert.py).

Where shapes are dynamic, the figures are for the placeholder shapes the file stores and
are a lower bound; `lower_bound` says so and for which shape.
"""
from __future__ import annotations

from typing import Iterable, Mapping, Sequence

from ..records import field, record

PLANNERS = ("tflm", "litert")


@record
class LiveTensor:
    subgraph: int
    index: int  # tensor index; -1 for a kernel's scratch buffer
    name: str
    bytes: int


@record
class ArenaFigures:
    """The same TFLM plan's figures for another build (word size) of TFLM."""

    word_size: int
    head_bytes: int
    tail_bytes: int
    temp_bytes: int

    @property
    def total_bytes(self) -> int:
        return self.head_bytes + self.tail_bytes + self.temp_bytes


@record
class ArenaPlan:
    planner: str  # one of PLANNERS
    head_bytes: int  # the planned, reused region holding activations (TFLM's "head")
    tail_bytes: int  # persistent allocations (TFLM's "tail"); 0 where not modelled
    offsets: Mapping[int, int] = field(default_factory=dict)  # subgraph-0 tensor -> offset
    timeline: tuple[int, ...] = ()  # live activation bytes while each op of subgraph 0 runs
    peak_op: int | None = None  # op index in subgraph 0 at the peak
    live_at_peak: tuple[LiveTensor, ...] = ()  # largest first
    lower_bound: str | None = None  # why the figures are only a lower bound, or None
    # what the arena needs beyond head + tail while the runtime allocates (TFLM plans in
    # the arena's free middle: 40 bytes per buffer, its allocation records, the scratch
    # requests); 0 when head + tail is enough
    temp_bytes: int = 0
    subgraph_head_bytes: tuple[int, ...] = ()  # LiteRT: each subgraph's own arena
    # TFLM: the word size of the build the figures describe (64: the host build the
    # tflite-micro Python interpreter is; 32: a microcontroller); None for LiteRT
    word_size: int | None = None
    other_builds: tuple[ArenaFigures, ...] = ()  # TFLM: the other word size's figures
    notes: tuple[str, ...] = ()  # approximations that apply to this model, in words

    @property
    def total_bytes(self) -> int:
        """The arena to give the runtime: head + tail, plus temp_bytes where planning
        needs more than that."""
        return self.head_bytes + self.tail_bytes + self.temp_bytes

    @property
    def builds(self) -> tuple[ArenaFigures, ...]:
        """TFLM: the figures of each build, this plan's first; () for LiteRT."""
        if self.word_size is None:
            return ()
        return (ArenaFigures(self.word_size, self.head_bytes, self.tail_bytes,
                             self.temp_bytes), *self.other_builds)


def plan_arena(view, planner: str, word_size: int = 64) -> ArenaPlan:
    """Plan subgraph 0's activations (and control-flow subgraphs) with `planner`; for
    "tflm", with the structure sizes of a `word_size`-bit build (64 or 32)."""
    if planner == "tflm":
        from .arena_tflm import plan_tflm

        return plan_tflm(view, word_size)
    if planner == "litert":
        from .arena_litert import plan_litert

        return plan_litert(view)
    raise ValueError(f"unknown arena planner {planner!r}: use one of {', '.join(PLANNERS)}")


# -- shared by the planners -----------------------------------------------------------------

def align_up(value: int, alignment: int) -> int:
    return -(-value // alignment) * alignment


class PlacedBuffers:
    """Buffers already given an offset, found by the time range they are alive in.

    Both planners only look at placed buffers whose lifetime overlaps (inclusively) the
    one being placed. Each buffer is filed under every time step it covers and under the
    step it starts at, so the overlapping set of [first, last] is what covers `first`
    plus what starts in (first, last]: no pair of buffers is compared twice, which keeps
    a 10,000-op model well under a second where a scan of every placed buffer is
    quadratic. The steps are the distinct first and last times of the buffers (`times`),
    not every time in between: overlap only compares those, and the work then does not
    grow with scope numbers that control flow can make large.

    Where thousands of buffers are alive at once (a hostile model: 20,000 outputs), exact
    placement is quadratic in time and memory, for the runtimes too. Entries filed and
    looked at are counted; past WORK_BUDGET the index is `exhausted` and stops filing,
    and the planners put the remaining buffers end to end after everything placed
    (`end`): a valid layout, and an upper bound of the real plan."""

    WORK_BUDGET = 3_000_000  # 55,025 for the 10,005-op bench model

    def __init__(self, times: Iterable[int]) -> None:
        self.step = {time: step for step, time in enumerate(sorted(set(times)))}
        self.covering: list[list[tuple[int, int, int]]] = [[] for _ in self.step]
        self.starting: list[list[tuple[int, int, int]]] = [[] for _ in self.step]
        self.end = 0  # the highest offset + size added
        self.work = 0

    @property
    def exhausted(self) -> bool:
        return self.work > self.WORK_BUDGET

    def add(self, entry: tuple[int, int, int], first: int, last: int) -> None:
        """entry = (offset, placement order, size); first and last among `times`."""
        self.end = max(self.end, entry[0] + entry[2])
        if self.exhausted:
            return
        start, end = self.step[first], self.step[last]
        self.work += end - start + 1
        self.starting[start].append(entry)
        for step in range(start, end + 1):
            self.covering[step].append(entry)

    def overlapping(self, first: int, last: int) -> list[tuple[int, int, int]]:
        """Entries alive at some time in [first, last] (both among `times`), by offset then
        placement order (the order of the planners' offset-sorted lists)."""
        start, end = self.step[first], self.step[last]
        found = list(self.covering[start])
        for step in range(start + 1, end + 1):
            found.extend(self.starting[step])
        self.work += len(found)
        found.sort()
        return found


def end_to_end_note(count: int) -> str:
    return (f"{count:,} buffer(s), alive alongside too many others to place one by one "
            f"within tfllint's work limit, were put end to end after the rest: the arena "
            f"is an upper bound")


def live_bytes(intervals: Iterable[tuple[int, int, int]], first_time: int,
               last_time: int) -> list[int]:
    """Bytes alive at each time in [first_time, last_time], from (first, last, bytes)."""
    change = [0] * (last_time - first_time + 2)
    for first, last, size in intervals:
        if size and last >= first_time and first <= last_time:
            change[max(first, first_time) - first_time] += size
            change[min(last, last_time) - first_time + 1] -= size
    live, running = [], 0
    for step in range(last_time - first_time + 1):
        running += change[step]
        live.append(running)
    return live


def peak_of(timeline: Sequence[int]) -> int | None:
    """The first op at the highest live figure; None for an empty or all-zero timeline."""
    best = None
    for index, value in enumerate(timeline):
        if value > 0 and (best is None or value > timeline[best]):
            best = index
    return best


def dynamic_shape_note(view, tensors: Iterable[tuple[int, int]]) -> str | None:
    """The lower-bound sentence for planned tensors whose shape is only known at run time
    (a -1 in shape_signature) or whose type has no fixed size (string, resource, variant)."""
    dynamic, unsized = [], []
    for subgraph, index in tensors:
        tensor = view.tensor(subgraph, index)
        if tensor.byte_size is None:
            unsized.append(tensor)
        elif tensor.is_dynamic:
            dynamic.append(tensor)
    parts = []
    if dynamic:
        shown = ", ".join(f"'{t.name}' {list(t.signature)} as {list(t.shape)}"
                          for t in dynamic[:3])
        more = f" and {len(dynamic) - 3} more" if len(dynamic) > 3 else ""
        parts.append(f"planned at the stored placeholder shapes ({shown}{more}); larger "
                     f"run-time shapes need more")
    if unsized:
        shown = ", ".join(f"'{t.name}' ({t.dtype})" for t in unsized[:3])
        parts.append(f"{len(unsized)} tensor(s) of a type with no fixed size ({shown}) "
                     f"counted as 0 bytes")
    return "; ".join(parts) or None
