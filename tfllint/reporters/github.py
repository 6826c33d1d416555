"""--format github: GitHub Actions workflow commands, one annotation per finding.

    ::error file=models/flex.tflite,title=TFL101 flex-op-needs-flex-delegate::op0 ... (fix: ...)

error and failure findings are `::error`, warnings `::warning`, info `::notice`; an
unreadable model is an `::error` too. GitHub shows at most 10 annotations of each kind
per step and drops the rest silently, so at most that many of each are written, most
severe first, then one `::notice` counting the ones left out and pointing to the job
summary (`--format markdown >> $GITHUB_STEP_SUMMARY`); when anything is left out, 9
notices at most come before it, so that it is itself shown. The last line is the text
report's plain summary.
"""
from __future__ import annotations

from collections import Counter
from typing import Any

from ..engine.rule import FAILURE
from . import Display, Report
from .text import SEVERITY_ORDER, Style, places_text, summary

# GitHub's limit per step and kind (docs: "Workflow commands for GitHub Actions")
ANNOTATIONS_PER_KIND = 10
KINDS = {FAILURE: "error", "error": "error", "warning": "warning", "info": "notice"}
KIND_NAMES = {"error": ("error", "errors"), "warning": ("warning", "warnings"),
              "notice": ("notice", "notices")}


def escape_data(text: str) -> str:
    """A command's message, escaped as GitHub's toolkit does (escapeData)."""
    return text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def escape_property(text: str) -> str:
    """A property value (file, title), escaped as GitHub's toolkit does (escapeProperty)."""
    return escape_data(text).replace(":", "%3A").replace(",", "%2C")


def command(kind: str, message: str, **properties: str) -> str:
    listed = ",".join(f"{key}={escape_property(value)}" for key, value in properties.items())
    return f"::{kind} {listed}::{escape_data(message)}" if listed else \
        f"::{kind}::{escape_data(message)}"


def finding_message(finding: dict[str, Any]) -> str:
    """'[target] place: message (fix: ...)', as the text report words it, unwrapped."""
    target = f"[{finding['target']}] " if finding.get("target") else ""
    where = places_text(finding["locations"], finding["message"])
    text = f"{target}{where + ': ' if where else ''}{finding['message']}"
    return text + (f" (fix: {finding['fix']})" if finding.get("fix") else "")


class GithubReporter:
    def render(self, report: Report, display: Display | None = None) -> str:
        annotations: list[tuple[str, str]] = []  # (kind, command)
        for model in report.models:
            path = model["path"]
            if model["error"]:
                annotations.append(("error", command("error", model["error"], file=path,
                                                     title="tfllint: model not read")))
                continue
            for finding in sorted(model["findings"],
                                  key=lambda f: SEVERITY_ORDER[f["severity"]]):
                kind = KINDS[finding["severity"]]
                annotations.append((kind, command(
                    kind, finding_message(finding), file=path,
                    title=f"{finding['rule']} {finding['name']}")))
        # most severe first over the whole run, so the cap keeps errors of every model
        order = {"error": 0, "warning": 1, "notice": 2}
        annotations.sort(key=lambda item: order[item[0]])
        total = Counter(kind for kind, _ in annotations)
        overflow = any(count > ANNOTATIONS_PER_KIND for count in total.values())
        limit = {"error": ANNOTATIONS_PER_KIND, "warning": ANNOTATIONS_PER_KIND,
                 "notice": ANNOTATIONS_PER_KIND - 1 if overflow else ANNOTATIONS_PER_KIND}
        shown: Counter[str] = Counter()
        lines = []
        for kind, line in annotations:
            if shown[kind] < limit[kind]:
                shown[kind] += 1
                lines.append(line)
        left = {kind: total[kind] - shown[kind] for kind in order if total[kind] > shown[kind]}
        if left:
            counted = ", ".join(f"{count} {KIND_NAMES[kind][count != 1]}"
                                for kind, count in left.items())
            lines.append(command(
                "notice", f"{sum(left.values())} more annotations not shown ({counted}): "
                f"GitHub shows {ANNOTATIONS_PER_KIND} of each kind per step. Every finding "
                "is in the job summary when the workflow runs "
                "`tfllint ... --format markdown >> $GITHUB_STEP_SUMMARY`",
                title="tfllint: more findings"))
        lines.append(summary(report, Display(), Style(False)))
        return "\n".join(lines) + "\n"
