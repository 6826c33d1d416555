"""--plot: the memory timeline of one model as a self-contained SVG, written by hand.

x is the op index in execution order (subgraph 0), y the arena bytes in use while the op
runs: the persistent tail (a band at the bottom, TFLM only) plus the activations live at
that op (one polyline point per op). Dashed lines give the planned arena (head + tail)
and the memory budget; the peak op is marked and labelled. Reads only the report data
(tfllint.report), like a reporter.
"""
from __future__ import annotations

import math
from typing import Any
from xml.sax.saxutils import escape, quoteattr

from .sizes import human_bytes

WIDTH, HEIGHT = 960, 480
LEFT, RIGHT, TOP, BOTTOM = 88, 28, 84, 64  # margins around the plot area
CHARACTER_WIDTH = 6.2  # about, at 12 px, to lay the legend out
MARKED_OPS = 80  # with at most this many ops, every point gets a dot
UNITS = (("B", 1), ("KiB", 1024), ("MiB", 1024 ** 2), ("GiB", 1024 ** 3),
         ("TiB", 1024 ** 4), ("PiB", 1024 ** 5), ("EiB", 1024 ** 6))
# Values drawn are capped here so that a hostile model's astronomic sizes stay in floats
LARGEST_DRAWN = 1024 ** 7
COLOURS = {"live": "#1f6fb4", "tail": "#c9d6e3", "arena": "#555555", "budget": "#c62828",
           "peak": "#e07b00", "grid": "#e6e6e6", "axis": "#333333"}


def memory_svg(memory: dict[str, Any], title: str) -> str:
    """The SVG text for a report's `memory` section."""
    timeline = [min(live, LARGEST_DRAWN) for live in memory["timeline"]["live_bytes"]]
    tail = min(memory["tail_bytes"], LARGEST_DRAWN)
    budget = memory["memory_budget"]["bytes"] if memory["memory_budget"] else None
    if budget is not None:
        budget = min(budget, LARGEST_DRAWN)
    arena = min(memory["arena_bytes"], LARGEST_DRAWN)
    top_value = max([tail + live for live in timeline] + [arena, budget or 0, 1])
    unit_name, unit = _unit(top_value)
    y_ticks = _ticks(top_value / unit)
    y_max = y_ticks[-1] * unit
    ops = len(timeline)
    x_ticks = [t for t in _ticks(max(ops - 1, 1), integers=True) if t <= max(ops - 1, 0)]
    plot_width, plot_height = WIDTH - LEFT - RIGHT, HEIGHT - TOP - BOTTOM

    def x(op_index: float) -> float:
        return LEFT + (op_index / max(ops - 1, 1)) * plot_width if ops > 1 else \
            LEFT + plot_width / 2

    def y(value: float) -> float:
        return TOP + plot_height - value / y_max * plot_height

    parts = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{WIDTH}" height="{HEIGHT}" '
             f'viewBox="0 0 {WIDTH} {HEIGHT}" font-family="Helvetica, Arial, sans-serif" '
             f'font-size="12">',
             f"<title>{escape(title)}</title>",
             f'<rect width="{WIDTH}" height="{HEIGHT}" fill="white"/>',
             _text(LEFT, 24, title, size=15, weight="bold"),
             _text(LEFT, 44, _subtitle(memory), size=12, fill="#444")]
    # grid and axes
    for tick in y_ticks:
        parts.append(_line(LEFT, y(tick * unit), LEFT + plot_width, y(tick * unit),
                           COLOURS["grid"], cls="grid"))
        parts.append(_text(LEFT - 8, y(tick * unit) + 4, _number(tick), anchor="end"))
    for tick in x_ticks:
        parts.append(_line(x(tick), TOP + plot_height, x(tick), TOP + plot_height + 5,
                           COLOURS["axis"]))
        parts.append(_text(x(tick), TOP + plot_height + 19, str(int(tick)), anchor="middle"))
    parts.append(_line(LEFT, TOP, LEFT, TOP + plot_height, COLOURS["axis"], cls="axis"))
    parts.append(_line(LEFT, TOP + plot_height, LEFT + plot_width, TOP + plot_height,
                       COLOURS["axis"], cls="axis"))
    parts.append(_text(LEFT + plot_width / 2, HEIGHT - 16,
                       "op index (execution order, subgraph 0)", anchor="middle"))
    parts.append(f'<text x="20" y="{TOP + plot_height / 2}" text-anchor="middle" '
                 f'transform="rotate(-90 20 {TOP + plot_height / 2})">arena in use '
                 f'({unit_name})</text>')
    if tail:
        parts.append(f'<rect class="tail" x="{LEFT}" y="{y(tail):.1f}" width="{plot_width}" '
                     f'height="{y(0) - y(tail):.1f}" fill="{COLOURS["tail"]}"/>')
    if not ops:
        parts.append(_text(LEFT + plot_width / 2, TOP + plot_height / 2, "no ops",
                           anchor="middle", size=14))
    else:
        points = " ".join(f"{x(i):.1f},{y(tail + live):.1f}" for i, live in enumerate(timeline))
        parts.append(f'<polyline class="live" points="{points}" fill="none" '
                     f'stroke="{COLOURS["live"]}" stroke-width="2" stroke-linejoin="round"/>')
        if ops <= MARKED_OPS:
            parts.extend(f'<circle cx="{x(i):.1f}" cy="{y(tail + live):.1f}" r="2.5" '
                         f'fill="{COLOURS["live"]}"/>' for i, live in enumerate(timeline))
    parts.append(_line(LEFT, y(arena), LEFT + plot_width, y(arena), COLOURS["arena"],
                       dash="6 4", cls="arena"))
    if budget is not None:
        parts.append(_line(LEFT, y(budget), LEFT + plot_width, y(budget), COLOURS["budget"],
                           dash="10 4", width=2, cls="budget"))
        # on the side away from the peak's label
        peak_right = memory["peak_op"] is not None and x(memory["peak_op"]) > LEFT + plot_width / 2
        parts.append(_text(LEFT + 6 if peak_right else LEFT + plot_width - 6, y(budget) - 6,
                           f"budget {human_bytes(budget)}", anchor="start" if peak_right
                           else "end", fill=COLOURS["budget"], weight="bold", halo=True))
    parts.extend(_legend(tail, arena))
    peak_op = memory["peak_op"]
    if peak_op is not None and 0 <= peak_op < ops:
        peak_name, peak_live = memory["timeline"]["op"][peak_op], timeline[peak_op]
        px, py = x(peak_op), y(tail + peak_live)
        parts.append(f'<circle class="peak" cx="{px:.1f}" cy="{py:.1f}" r="6" fill="none" '
                     f'stroke="{COLOURS["peak"]}" stroke-width="2.5" '
                     f'data-op-index="{peak_op}"/>')
        label = f"peak: op {peak_op} {peak_name}, {human_bytes(peak_live)} live"
        anchor = "end" if px > LEFT + plot_width * 0.6 else "start"
        dx = -10 if anchor == "end" else 10
        parts.append(_text(px + dx, max(py - 10, TOP + 12), label, anchor=anchor,
                           fill=COLOURS["peak"], weight="bold", cls="peak-label", halo=True))
    parts.append("</svg>")
    return "\n".join(parts) + "\n"


def _legend(tail: int, arena: int) -> list[str]:
    """One row under the subtitle: a swatch and a label per series (the budget and the
    peak are labelled where they are drawn)."""
    entries = [(f'stroke="{COLOURS["live"]}" stroke-width="2"',
                "tail + live activations, per op" if tail else "live activations, per op"),
               (f'stroke="{COLOURS["arena"]}" stroke-dasharray="6 4"',
                f"planned arena {human_bytes(arena)}")]
    parts, left, row = [], LEFT, TOP - 20
    for style, label in entries:
        parts.append(f'<line x1="{left}" y1="{row - 4}" x2="{left + 24}" y2="{row - 4}" '
                     f'{style}/>')
        parts.append(_text(left + 30, row, label, fill="#333"))
        left += 30 + len(label) * CHARACTER_WIDTH + 24
    if tail:
        parts.append(f'<rect x="{left}" y="{row - 10}" width="24" height="10" '
                     f'fill="{COLOURS["tail"]}"/>')
        parts.append(_text(left + 30, row, f"persistent tail {human_bytes(tail)}", fill="#333"))
    return parts


def _subtitle(memory: dict[str, Any]) -> str:
    ops = len(memory["timeline"]["live_bytes"])
    text = f"{memory['planner']} planner, {ops:,} op{'' if ops == 1 else 's'}"
    if memory["tail_bytes"] or memory["temp_bytes"]:
        text += (f"; arena {human_bytes(memory['arena_bytes'])} = "
                 f"{human_bytes(memory['head_bytes'])} head + "
                 f"{human_bytes(memory['tail_bytes'])} tail")
        if memory["temp_bytes"]:
            text += f" + {human_bytes(memory['temp_bytes'])} temp"
    else:
        text += f"; arena {human_bytes(memory['arena_bytes'])}"
    budget = memory["memory_budget"]
    if budget:
        headroom = budget["headroom_bytes"]
        text += (f"; {human_bytes(-headroom)} over the budget" if headroom < 0 else
                 f"; {human_bytes(headroom)} headroom")
    if memory["lower_bound"]:
        text += " (a lower bound: see the report)"
    return text


def _unit(value: float) -> tuple[str, int]:
    name, size = UNITS[0]
    for unit_name, unit_size in UNITS:
        if value >= unit_size:
            name, size = unit_name, unit_size
    return name, size


def _ticks(top: float, integers: bool = False, count: int = 6) -> list[float]:
    """0 up to the first tick at or above `top`, in steps of 1, 2, 2.5 or 5 times 10^k."""
    raw = max(top, 1e-9) / count
    magnitude = 10 ** math.floor(math.log10(raw))
    steps = (1, 2, 5, 10) if integers else (1, 2, 2.5, 5, 10)
    step = next(s * magnitude for s in steps if s * magnitude >= raw)
    if integers:
        step = max(1, round(step))
    ticks = [0.0]
    while ticks[-1] < top - 1e-9:
        ticks.append(round(ticks[-1] + step, 10))
    return ticks


def _number(value: float) -> str:
    return f"{value:g}"


def _line(x1: float, y1: float, x2: float, y2: float, colour: str, dash: str | None = None,
          width: float = 1, cls: str | None = None) -> str:
    extra = f' stroke-dasharray="{dash}"' if dash else ""
    extra += f' class="{cls}"' if cls else ""
    return (f'<line x1="{x1:.1f}" y1="{y1:.1f}" x2="{x2:.1f}" y2="{y2:.1f}" '
            f'stroke="{colour}" stroke-width="{width}"{extra}/>')


def _text(x: float, y: float, text: str, anchor: str = "start", size: int | None = None,
          fill: str = "#222", weight: str | None = None, cls: str | None = None,
          halo: bool = False) -> str:
    attributes = f'x="{x:.1f}" y="{y:.1f}" text-anchor="{anchor}" fill="{fill}"'
    if halo:  # a white outline keeps a label readable where it crosses a line
        attributes += ' stroke="white" stroke-width="3" paint-order="stroke"'
    if size:
        attributes += f' font-size="{size}"'
    if weight:
        attributes += f' font-weight="{weight}"'
    if cls:
        attributes += f" class={quoteattr(cls)}"
    return f"<text {attributes}>{escape(text)}</text>"


def write_memory_svg(memory: dict[str, Any], title: str, path: str) -> None:
    from .errors import UsageError

    try:
        with open(path, "w", encoding="utf-8") as handle:
            handle.write(memory_svg(memory, title))
    except OSError as error:
        raise UsageError(f"--plot {path}: {error.strerror or error}") from None
