"""--format text: what a person reads, one screen per model.

Per model a short header (path; size, ops, quantization, runtime needed, arena; one line
per target), then the findings, most severe first, one per cause, each with its fix
below. Errors are never cut; when a model's findings would not fit on a screen, the
least severe give way to a "... N more" line. Detail tables come with --show.
"""
from __future__ import annotations

import re
import textwrap
from collections import Counter
from typing import Any

from ..engine.rule import FAILURE, SEVERITIES
from ..sizes import human_bytes
from . import Display, Report
from .text_details import io_block, memory_block, target_block

# most severe first: a rule that failed, then errors, warnings, info
SEVERITY_ORDER = {severity: rank for rank, severity in enumerate((FAILURE, *SEVERITIES[::-1]))}
# A model's block (header, findings, "more" line) takes at most this many lines, so that
# one model's report with its closing summary fits a 40-line screen.
MODEL_LINES = 36
NAME_LIMIT = 48  # longer tensor names are shortened in the middle (never in JSON)
LISTED_PLACES = 6  # op indices or tensor names listed for a grouped finding
PLANNERS = {"litert": "LiteRT", "tflm": "TFLite Micro"}
COLOURS = {"failure": "1;35", "error": "1;31", "warning": "33", "info": "36",
           "path": "1", "rule": "1", "dim": "2"}
# a figure and its unit, an op type and its count: kept on one line
UNBROKEN = re.compile(r"\b\d[\d.,]* (?:B|KiB|MiB|GiB|bytes|ops?)\b|\b[A-Z][A-Z0-9_]* x\d+\b")
NO_BREAK = "\u00a0"  # textwrap does not break at it
# a quoted tensor name in a message: no white space inside, unlike the text between two
QUOTED = re.compile(r"'([^'\s]{%d,})'" % (NAME_LIMIT + 1))


class TextReporter:
    def render(self, report: Report, display: Display | None = None) -> str:
        display = display or Display()
        style = Style(display.colour)
        blocks = [ModelBlock(model, display, style).render() for model in report.models]
        blocks = [block for block in blocks if block]
        if display.statistics:
            blocks.append(statistics(report, style))
        blocks.append(summary(report, display, style))
        return "\n\n".join(blocks) + "\n"


class Style:
    """ANSI colour, or none: applied to words after wrapping, so widths stay true."""

    def __init__(self, enabled: bool) -> None:
        self.enabled = enabled

    def __call__(self, text: str, kind: str) -> str:
        return f"\033[{COLOURS[kind]}m{text}\033[0m" if self.enabled else text


class ModelBlock:
    def __init__(self, model: dict[str, Any], display: Display, style: Style) -> None:
        self.model, self.display, self.style = model, display, style

    def render(self) -> str:
        model, display = self.model, self.display
        if model["error"]:
            lines = self.wrap(f"error: {model['error']}", "  ", "  ")
            lines[0] = lines[0].replace("error", self.style("error", "error"), 1)
            return "\n".join([self.style(model["path"], "path"), *lines])
        findings = sorted(model["findings"], key=lambda f: SEVERITY_ORDER[f["severity"]])
        if display.quiet:  # what needs doing only: info findings are facts
            findings = [f for f in findings if f["severity"] != "info"]
            if not findings:
                return ""
        lines = [self.style(model["path"], "path")]
        if not display.quiet:
            lines.extend(self.header())
        lines.extend(self.findings(findings, MODEL_LINES - len(lines)))
        lines.extend(self.details())  # only what --show asks for
        return "\n".join(lines)

    # -- header -----------------------------------------------------------------------
    def header(self) -> list[str]:
        model = self.model
        summary, memory = model["summary"], model["memory"]
        facts = [human_bytes(model["size_bytes"]), plural(summary["operators"], "op"),
                 summary["quantization"]["label"],
                 runtime_needed(model["runtime"]["required_min_version"]),
                 f"arena {human_bytes(memory['arena_bytes'])} "
                 f"({PLANNERS.get(memory['planner'], memory['planner'])} plan), "
                 f"weights {human_bytes(memory['weights_bytes'])}"]
        lines = self.wrap(", ".join(facts), "  ", "    ")
        for name, target in model["targets"].items():
            lines.extend(self.wrap(f"{target_name(name, target)}: {target_state(target)}",
                                   "  ", "    "))
        return lines

    # -- findings ---------------------------------------------------------------------
    def findings(self, findings: list[dict[str, Any]], room: int) -> list[str]:
        if not findings:
            return ["  no findings"]
        rendered = [self.finding(finding) for finding in findings]
        if "findings" in self.display.show:
            return [line for lines in rendered for line in lines]
        shown: list[str] = []
        for index, (finding, lines) in enumerate(zip(findings, rendered)):
            rest = findings[index + 1:]
            # errors always; the rest while they and a "more" line (if needed) fit
            reserve = 1 if any(f["severity"] not in ("error", FAILURE) for f in rest) else 0
            if finding["severity"] in ("error", FAILURE) or \
                    len(shown) + len(lines) + reserve <= room:
                shown.extend(lines)
                continue
            left = Counter(f["severity"] for f in findings[index:])
            counted = ", ".join(
                f"{count} {severity if severity == 'info' or count == 1 else severity + 's'}"
                for severity, count in sorted(left.items(),
                                              key=lambda item: SEVERITY_ORDER[item[0]]))
            shown.append(self.style(f"  ... {len(findings) - index} more ({counted}): "
                                    "--show findings lists them", "dim"))
            break
        return shown

    def finding(self, finding: dict[str, Any]) -> list[str]:
        severity, style = finding["severity"], self.style
        target = f"[{finding['target']}] " if finding.get("target") else ""
        where = places_text(finding["locations"], finding["message"],
                            every="findings" in self.display.show)
        text = f"{target}{where + ': ' if where else ''}{shorten_names(finding['message'])}"
        # the plain prefix sets the wrapping; colour goes on after
        prefix = f"  {severity:<7} {finding['rule']} "
        hanging = " " * (2 + 8)
        lines = self.wrap(prefix + text, "", hanging)
        lines[0] = lines[0].replace(
            prefix, f"  {style(severity, severity)}{' ' * (7 - len(severity))} "
                    f"{style(finding['rule'], 'rule')} ", 1)
        if finding.get("fix"):
            lines.extend(self.wrap(f"fix: {shorten_names(finding['fix'])}", hanging,
                                   hanging + "     "))
        return lines

    # -- detail behind --show ---------------------------------------------------------
    def details(self) -> list[str]:
        show, model = self.display.show, self.model
        blocks = []
        if "memory" in show:
            blocks.append(memory_block(model["memory"]))
        if "io" in show:
            blocks.append(io_block(model))
        if "ops" in show:
            blocks.extend(target_block(name, target)
                          for name, target in model["targets"].items())
        return blocks

    def wrap(self, text: str, first: str, rest: str) -> list[str]:
        return wrap(text, self.display.width, first, rest)


def runtime_needed(version: str | None) -> str:
    # None: no op of the model is in the version table (Flex and custom ops only)
    return f"needs runtime >= {version}" if version else "runtime needed: unknown"


def wrap(text: str, width: int, first: str = "", rest: str = "") -> list[str]:
    """Lines of at most `width` at word boundaries; a figure keeps its unit on its line."""
    kept = UNBROKEN.sub(lambda match: match[0].replace(" ", NO_BREAK), text)
    lines = textwrap.wrap(kept, width=width, initial_indent=first, subsequent_indent=rest,
                          break_long_words=False, break_on_hyphens=False)
    return [line.replace(NO_BREAK, " ") for line in lines] or [first.rstrip()]


# How the target lines name each runtime path (tfllint.targets.profile.RUNTIME_PATHS).
RUNTIME_PATH_LABELS = {"interpreter": "interpreter", "classic-delegate": "classic delegate",
                       "compiledmodel-accelerator": "CompiledModel",
                       "offline-compiler": "offline compiler",
                       "micro-interpreter": "TFLite Micro"}


def target_name(name: str, target: dict[str, Any]) -> str:
    """'gpu (classic delegate)': the target and the runtime path its profile models."""
    path = target.get("runtime_path")
    return f"{name} ({RUNTIME_PATH_LABELS.get(path, path)})" if path else name


def target_state(target: dict[str, Any]) -> str:
    """'cannot run', or how much of the model runs on the target."""
    total, on_target = target["ops_total"], target["ops_on_target"]
    if not target["can_run"]:
        return "cannot run: the model is refused" if target["model_reasons"] else \
            f"cannot run: {total - on_target} of its {plural(total, 'op')} are not supported"
    if on_target == total:
        return f"can run, all {plural(total, 'op')} on target" if total else "can run (no ops)"
    if on_target == 0:
        return f"runs none of its {plural(total, 'op')}: all on the CPU"
    macs = (f", {target['macs_on_target'] / target['macs_total']:.0%} of MACs"
            if target["macs_total"] else "")
    return (f"{on_target} of {plural(total, 'op')} on target{macs}, "
            f"{plural(target['partitions'], 'partition')}")


def places_text(locations: list[dict[str, Any]], message: str = "",
                every: bool = False) -> str:
    """Where a finding is: 'op3 CONV_2D', 'CONV_2D x31 (ops 2, 5, 9, ...)', "'name'",
    '3 tensors ('a', 'b', 'c')'; empty for the model as a whole, and for one tensor of
    subgraph 0 that the message names already."""
    if len(locations) == 1:
        location = locations[0]
        if (location.get("tensor") and location.get("op_index") is None
                and not location.get("subgraph") and f"'{location['tensor']}'" in message):
            return ""
        return single_place(location)
    ops = [location for location in locations if location.get("op_index") is not None]
    if len(ops) == len(locations):
        types = Counter(location["op"] for location in ops)
        kinds = ", ".join(f"{name} x{count}" for name, count in types.most_common(3))
        if len(types) > 3:
            kinds += ", ..."
        indices = listed([op_reference(location) for location in ops], every)
        return f"{kinds} (ops {indices})" if len(types) == 1 else \
            f"{len(ops)} ops: {kinds} (ops {indices})"
    buffers = [location["buffer"] for location in locations if location.get("buffer") is not None]
    if len(buffers) == len(locations):
        return f"buffers {listed([str(buffer) for buffer in buffers], every)}"
    tensors = [location for location in locations if location.get("tensor") is not None
               or location.get("tensor_index") is not None]
    if len(tensors) == len(locations):
        return f"{len(tensors)} tensors ({listed([tensor_reference(t) for t in tensors], every)})"
    return f"{len(locations)} places ({listed([single_place(l) for l in locations], every)})"


def single_place(location: dict[str, Any]) -> str:
    parts = []
    if location.get("subgraph"):
        parts.append(f"sg{location['subgraph']}")
    if location.get("op_index") is not None:
        parts.append(f"op{location['op_index']} {location.get('op') or ''}".rstrip())
    elif location.get("op"):
        parts.append(location["op"])
    if location.get("tensor") or location.get("tensor_index") is not None:
        parts.append(tensor_reference(location))
    if location.get("buffer") is not None:
        parts.append(f"buffer {location['buffer']}")
    return " ".join(parts)


def op_reference(location: dict[str, Any]) -> str:
    subgraph = location.get("subgraph")
    return f"sg{subgraph}:{location['op_index']}" if subgraph else str(location["op_index"])


def tensor_reference(location: dict[str, Any]) -> str:
    if location.get("tensor"):
        return f"'{short_name(location['tensor'])}'"
    return f"#{location['tensor_index']}"


def listed(items: list[str], every: bool = False) -> str:
    if every or len(items) <= LISTED_PLACES:
        return ", ".join(items)
    return ", ".join(items[:LISTED_PLACES]) + ", ..."


def short_name(name: str) -> str:
    """A long tensor name cut in the middle, where generated names differ least."""
    if len(name) <= NAME_LIMIT:
        return name
    keep = (NAME_LIMIT - 3) // 2
    return f"{name[:keep]}...{name[-keep:]}"


def shorten_names(text: str) -> str:
    return QUOTED.sub(lambda match: f"'{short_name(match[1])}'", text)


def statistics(report: Report, style: Style) -> str:
    """Findings per rule, most first, as `ruff --statistics` counts them."""
    counts = Counter((f["rule"], f["name"], f["severity"]) for f in report.findings)
    if not counts:
        return "statistics: no findings"
    width = len(str(max(counts.values())))
    lines = ["statistics (findings per rule):"]
    for (rule, name, severity), count in sorted(counts.items(),
                                                key=lambda item: (-item[1], item[0])):
        lines.append(f"  {count:>{width}}  {style(rule, 'rule')}  {name} "
                     f"({style(severity, severity)})")
    return "\n".join(lines)


def summary(report: Report, display: Display, style: Style) -> str:
    totals = report.summary
    counts = totals["findings"]
    text = (f"{totals['models']} model(s): {counts['error']} error(s), "
            f"{counts['warning']} warning(s), {counts['info']} info")
    if totals["rule_failures"]:
        text += f"; {totals['rule_failures']} rule failure(s)"
    if totals["unreadable"]:
        text += f"; {totals['unreadable']} could not be read"
    lines = [text]
    if report.baseline:  # what the baseline hid, and what in it matched nothing
        lines.append(f"baseline {report.baseline['file']}: {report.baseline['suppressed']} "
                     f"known place(s) not shown, {report.baseline['stale']} stale "
                     "entr(ies)")
    if report.unused_suppressions:
        lines.append(f"{len(report.unused_suppressions)} suppression(s) matched nothing "
                     "(see the notes above)")
    failed = totals["failed_models"]
    if failed and len(report.models) > 1:
        named = ", ".join(failed[:LISTED_PLACES]) + (
            f" and {len(failed) - LISTED_PLACES} more" if len(failed) > LISTED_PLACES else "")
        lines.extend(wrap(f"failed: {named}", display.width, "", "  "))
    return "\n".join(lines)


def plural(count: int, noun: str) -> str:
    return f"{count} {noun}{'' if count == 1 else 's'}"
