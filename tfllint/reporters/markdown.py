"""--format markdown: a summary for a pull-request comment or $GITHUB_STEP_SUMMARY.

A title and the run's counts; a table of models (path, ops, quantization, errors,
warnings, info, and per target "can run", "N of M ops" or "cannot run"); then per model
its findings, one per cause as in the text report (severity, rule, place, message, fix),
and its memory figures against the budgets.
"""
from __future__ import annotations

import re
from collections import Counter
from typing import Any

from ..engine.rule import FAILURE
from . import Display, Report
from .text import PLANNERS, SEVERITY_ORDER, Style, places_text, shorten_names, summary
from .text_details import memory_figures

SEVERITY_LABELS = {FAILURE: "💥 failure", "error": "❌ error", "warning": "⚠️ warning",
                   "info": "ℹ️ info"}
# characters Markdown (GitHub's flavour) could read as markup or HTML in a table cell
SPECIAL = re.compile(r"([\\`*_\[\]|<>~])")


def cell(text: str) -> str:
    """Text as itself in a table cell (or a line): markup escaped, on one line."""
    escaped = SPECIAL.sub(lambda match: {"<": "&lt;", ">": "&gt;"}.get(match[1],
                                                                       "\\" + match[1]), text)
    return escaped.replace("\r\n", "<br>").replace("\n", "<br>").replace("\r", "<br>")


def table(headers: list[str], rows: list[list[str]]) -> list[str]:
    lines = ["| " + " | ".join(headers) + " |", "|" + "---|" * len(headers)]
    lines.extend("| " + " | ".join(row) + " |" for row in rows)
    return lines


def verdict(target: dict[str, Any] | None) -> str:
    if target is None:
        return "-"
    total, on_target = target["ops_total"], target["ops_on_target"]
    if not target["can_run"]:
        return "cannot run"
    return "can run" if on_target == total else f"{on_target} of {total} ops"


def counts(model: dict[str, Any]) -> Counter[str]:
    counted = Counter(finding["severity"] for finding in model["findings"])
    counted["error"] += counted.pop(FAILURE, 0)  # a rule that failed: counted with errors
    return counted


class MarkdownReporter:
    def render(self, report: Report, display: Display | None = None) -> str:
        display = display or Display()
        counted = summary(report, Display(width=10**6), Style(False))
        lines = ["## tfllint report", ""]
        lines.extend(line for text in counted.splitlines() for line in (cell(text), ""))
        targets = list(dict.fromkeys(name for model in report.models
                                     for name in (model.get("targets") or {})))
        rows = []
        for model in report.models:
            if model["error"]:
                rows.append([cell(model["path"]), "-", "not read", "-", "-", "-",
                             *["-"] * len(targets)])
                continue
            counted = counts(model)
            rows.append([cell(model["path"]), str(model["summary"]["operators"]),
                         cell(model["summary"]["quantization"]["label"]),
                         str(counted["error"]), str(counted["warning"]), str(counted["info"]),
                         *[verdict(model["targets"].get(name)) for name in targets]])
        lines.extend(table(["model", "ops", "quantization", "errors", "warnings", "info",
                            *[cell(name) for name in targets]], rows))
        for model in report.models:
            lines.extend(["", f"### {cell(model['path'])}", ""])
            lines.extend(model_section(model, display))
        return "\n".join(lines) + "\n"


def model_section(model: dict[str, Any], display: Display) -> list[str]:
    if model["error"]:
        return [f"Could not be read: {cell(model['error'])}"]
    findings = sorted(model["findings"], key=lambda f: SEVERITY_ORDER[f["severity"]])
    if display.quiet:  # what needs doing only, as in the text report
        findings = [f for f in findings if f["severity"] != "info"]
    lines = []
    if findings:
        rows = []
        for finding in findings:
            target = f"[{finding['target']}] " if finding.get("target") else ""
            # the place in full, even where the message names it: a column of its own
            place = places_text(finding["locations"], every="findings" in display.show)
            place = (target + (place or "model")).strip()
            rows.append([SEVERITY_LABELS[finding["severity"]],
                         f"{finding['rule']} {finding['name']}",
                         cell(place),
                         cell(shorten_names(finding["message"])),
                         cell(shorten_names(finding["fix"])) if finding.get("fix") else ""])
        lines.extend(table(["severity", "rule", "place", "message", "fix"], rows))
    else:
        lines.append("No findings.")
    lines.extend(["", memory_line(model["memory"])])
    return lines


def memory_line(memory: dict[str, Any]) -> str:
    parts = [part.replace(" OVER", " **over**") for part in memory_figures(memory, PLANNERS)]
    return cell("Memory: " + "; ".join(parts)).replace("\\*\\*over\\*\\*", "**over**")
