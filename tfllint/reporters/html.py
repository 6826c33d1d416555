"""--format html: one self-contained page per run, to open in a browser or keep as a CI
artifact.

No network: no scripts, no fonts, no images from elsewhere; the CSS is inline. Per model
the text report's header facts, the findings as a table (severity, rule, place, message,
fix: one row per finding, one finding per cause), the memory figures and the memory
timeline as the same SVG `--plot` writes, and per target the ops as a grid coloured by
verdict with the reasons of every op that does not run on the target. Everything taken
from the report is escaped.
"""
from __future__ import annotations

from html import escape
from pathlib import Path
from typing import Any

from ..plot import memory_svg
from . import Display, Report
from .text import (PLANNERS, SEVERITY_ORDER, ModelBlock, Style, places_text, summary,
                   target_name, target_state)
from .text_details import memory_figures

VERDICTS = {"target": "on the target", "compiled": "compiled for the target",
            "cpu": "on the CPU", "blocks": "blocks the model"}

STYLE = """
:root { color-scheme: light; }
body { font: 14px/1.45 system-ui, -apple-system, "Segoe UI", Roboto, Helvetica, Arial,
       sans-serif; color: #1d1d1f; background: #f6f7f9; margin: 0; padding: 24px; }
main { max-width: 1200px; margin: 0 auto; }
h1 { font-size: 22px; margin: 0 0 4px; }
h2 { font-size: 18px; margin: 0 0 8px; word-break: break-all; }
h3 { font-size: 15px; margin: 20px 0 6px; }
.run { color: #444; margin: 0 0 20px; }
.model { background: white; border: 1px solid #dde1e6; border-radius: 8px;
         padding: 16px 20px; margin: 0 0 24px; }
.facts { margin: 0 0 8px; padding-left: 18px; color: #333; }
.unreadable { color: #b3261e; font-weight: 600; }
table { border-collapse: collapse; width: 100%; font-size: 13px; }
th, td { text-align: left; vertical-align: top; padding: 5px 8px;
         border-bottom: 1px solid #e6e8eb; }
th { background: #f0f2f5; font-weight: 600; }
table.findings { table-layout: fixed; }
table.findings td { overflow-wrap: anywhere; }
col.severity { width: 6.5em; } col.rule { width: 11em; } col.place { width: 17%; }
col.fix { width: 27%; }
td.fix { color: #444; }
.sev { font-weight: 700; white-space: nowrap; border-radius: 4px; padding: 1px 6px; }
.sev-failure { background: #f3e5f5; color: #7b1fa2; }
.sev-error { background: #fde7e7; color: #b3261e; }
.sev-warning { background: #fff4d6; color: #8a5a00; }
.sev-info { background: #e3f2fd; color: #0b5394; }
.none { color: #2e7d32; font-weight: 600; }
.plot svg { max-width: 100%; height: auto; border: 1px solid #e6e8eb; }
.ops { display: flex; flex-wrap: wrap; gap: 3px; margin: 6px 0; }
.op { font: 11px/1.2 ui-monospace, Menlo, Consolas, monospace; padding: 3px 5px;
      border-radius: 3px; border: 1px solid rgba(0, 0, 0, .12); }
.v-target { background: #c8e6c9; }
.v-compiled { background: #b2dfdb; }
.v-cpu { background: #ffe0b2; }
.v-blocks { background: #ef9a9a; }
.legend { font-size: 12px; color: #444; }
.legend .op { display: inline-block; margin: 0 2px 0 8px; }
details summary { cursor: pointer; color: #333; margin: 4px 0; }
footer { color: #777; font-size: 12px; }
"""


class HtmlReporter:
    def render(self, report: Report, display: Display | None = None) -> str:
        display = display or Display()
        counted = summary(report, Display(width=10**6), Style(False))
        parts = ["<!DOCTYPE html>", '<html lang="en">', "<head>", '<meta charset="utf-8">',
                 '<meta name="viewport" content="width=device-width, initial-scale=1">',
                 "<title>tfllint report</title>", f"<style>{STYLE}</style>", "</head>",
                 "<body>", "<main>", "<h1>tfllint report</h1>"]
        parts.extend(f'<p class="run">{escape(line)}</p>' for line in counted.splitlines())
        for number, model in enumerate(report.models):
            parts.append(model_section(model, display, number))
        parts.append(f"<footer>tfllint {escape(report.tool_version)}</footer>")
        parts.extend(["</main>", "</body>", "</html>"])
        return "\n".join(parts) + "\n"


def model_section(model: dict[str, Any], display: Display, number: int) -> str:
    parts = [f'<section class="model" id="model-{number}">',
             f"<h2>{escape(model['path'])}</h2>"]
    if model["error"]:
        parts.append(f'<p class="unreadable">could not be read: {escape(model["error"])}</p>')
        parts.append("</section>")
        return "\n".join(parts)
    # the text report's header, unwrapped: the facts line, then one line per target
    header = ModelBlock(model, Display(width=10**6), Style(False)).header()
    parts.append('<ul class="facts">')
    parts.extend(f"<li>{escape(line.strip())}</li>" for line in header)
    parts.append("</ul>")
    parts.append("<h3>Findings</h3>")
    parts.append(findings_table(model, display))
    memory = model["memory"]
    if memory is not None:
        parts.append("<h3>Memory</h3>")
        parts.append(f"<p>{escape(memory_text(memory))}</p>")
        # the same SVG as --plot writes (it escapes its own text)
        title = f"{Path(model['path']).name}: memory timeline"
        parts.append(f'<div class="plot">{memory_svg(memory, title)}</div>')
    for name, target in model["targets"].items():
        parts.append(target_section(name, target))
    parts.append("</section>")
    return "\n".join(parts)


def findings_table(model: dict[str, Any], display: Display) -> str:
    findings = sorted(model["findings"], key=lambda f: SEVERITY_ORDER[f["severity"]])
    if display.quiet:  # what needs doing only, as in the text report
        findings = [f for f in findings if f["severity"] != "info"]
    if not findings:
        return '<p class="none">No findings.</p>'
    rows = ['<table class="findings">',
            '<colgroup><col class="severity"><col class="rule"><col class="place">'
            '<col class="message"><col class="fix"></colgroup>',
            "<thead><tr><th>severity</th><th>rule</th><th>place</th><th>message</th>"
            "<th>fix</th></tr></thead>", "<tbody>"]
    for finding in findings:
        severity = finding["severity"]
        target = f"[{finding['target']}] " if finding.get("target") else ""
        # every place: a page has no screen to fit
        place = (target + (places_text(finding["locations"], every=True) or "model")).strip()
        rows.append(
            f'<tr class="finding" data-rule="{escape(finding["rule"])}" '
            f'data-severity="{escape(severity)}">'
            f'<td><span class="sev sev-{escape(severity)}">{escape(severity)}</span></td>'
            f'<td class="rule">{escape(finding["rule"])} {escape(finding["name"])}</td>'
            f'<td class="place">{escape(place)}</td>'
            f'<td class="message">{escape(finding["message"])}</td>'
            f'<td class="fix">{escape(finding.get("fix") or "")}</td></tr>')
    rows.extend(["</tbody>", "</table>"])
    return "\n".join(rows)


def memory_text(memory: dict[str, Any]) -> str:
    return "; ".join(memory_figures(memory, PLANNERS))


def target_section(name: str, target: dict[str, Any]) -> str:
    parts = [f'<h3 class="target">{escape(target_name(name, target))}: '
             f'{escape(target_state(target))}</h3>',
             f"<p>{escape(target['summary'])}</p>",
             f"<p class=\"describes\">Models {escape(target['describes'])}.</p>"]
    if target["cannot_know"]:
        parts.append(f"<p class=\"cannot-know\">Cannot know from the file: "
                     f"{escape('; '.join(target['cannot_know']))}.</p>")
    if target["model_reasons"]:
        parts.append('<ul class="model-reasons">')
        parts.extend(f"<li>{escape(reason['message'])}</li>"
                     for reason in target["model_reasons"])
        parts.append("</ul>")
    present = [verdict for verdict in VERDICTS
               if any(op["verdict"] == verdict for op in target["ops"])]
    if present:
        parts.append('<p class="legend">' + "".join(
            f'<span class="op v-{verdict}">&nbsp;</span>{escape(VERDICTS[verdict])}'
            for verdict in present) + "</p>")
    parts.append('<div class="ops">')
    for op in target["ops"]:
        where = op_place(op)
        tip = f"op {where} {op['op']}: {VERDICTS.get(op['verdict'], op['verdict'])}"
        if op["reasons"]:
            tip += " (" + "; ".join(reason["message"] for reason in op["reasons"]) + ")"
        parts.append(f'<span class="op v-{escape(op["verdict"])}" title="{escape(tip)}">'
                     f"{escape(where)} {escape(op['op'])}</span>")
    parts.append("</div>")
    off = [op for op in target["ops"] if op["verdict"] not in ("target", "compiled")]
    if off:
        parts.append(f"<details><summary>{len(off)} op{'' if len(off) == 1 else 's'} "
                     f"not on {escape(name)}: reasons</summary>")
        parts.append('<table class="target-ops"><thead><tr><th>op</th><th>name</th>'
                     "<th>verdict</th><th>reasons</th><th>fix</th></tr></thead><tbody>")
        for op in off:
            reasons = "<br>".join(
                escape(reason["message"]) + (f" <i>(tool: {escape(reason['tool'])})</i>"
                                             if reason["tool"] else "")
                for reason in op["reasons"]) or "-"
            parts.append(f"<tr><td>{escape(op_place(op))}</td><td>{escape(op['op'])}</td>"
                         f'<td><span class="op v-{escape(op["verdict"])}">'
                         f"{escape(op['verdict'])}</span></td><td>{reasons}</td>"
                         f"<td>{escape(op['fix'] or '')}</td></tr>")
        parts.append("</tbody></table></details>")
    return "\n".join(parts)


def op_place(op: dict[str, Any]) -> str:
    return str(op["op_index"]) if op["subgraph"] == 0 else f"sg{op['subgraph']}:{op['op_index']}"
