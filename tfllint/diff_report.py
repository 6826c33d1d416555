"""How `tfllint diff` prints its document (tfllint.diff): text for a person (one screen:
long lists are cut with a pointer to --format json), JSON for programs, Markdown for a
pull request comment."""
from __future__ import annotations

import json
from typing import Any

from .sizes import human_bytes

FORMATS = ("text", "json", "markdown")
LIST_LIMIT = 5  # items of one list in the text and Markdown output
WIDTH = 100  # a text line longer than this is cut (JSON has every word)
SCREEN = 40  # lines of one screen: with many changes, lists are cut shorter to fit


def render_diff(document: dict[str, Any], fmt: str = "text") -> str:
    if fmt == "json":
        return json.dumps(document, indent=2) + "\n"
    lines = diff_lines(document, markdown=fmt == "markdown")
    if len(lines) > SCREEN:
        lines = diff_lines(document, markdown=fmt == "markdown", limit=2)
    if fmt != "markdown":
        lines = [_clip(line, WIDTH) for line in lines]
    return "\n".join(lines) + "\n"


def _clip(text: str, width: int) -> str:
    return text if len(text) <= width else text[:width - 3] + "..."


def _short(name: str, width: int = 48) -> str:
    """A long tensor name shortened in the middle."""
    if len(name) <= width:
        return name
    half = (width - 3) // 2
    return f"{name[:half]}...{name[-(width - 3 - half):]}"


def _value(value: Any) -> str:
    if isinstance(value, dict) and "scale" in value:  # quantization parameters
        scale, zero = value.get("scale") or [], value.get("zero_point") or []
        if not scale:
            return "none"
        if len(scale) == 1:
            return f"scale {scale[0]:.6g} zero_point {zero[0] if zero else 0}"
        return f"{len(scale)} scales (axis {value.get('quantized_dimension')})"
    if isinstance(value, dict):
        return " ".join(f"{_value(v)}" for v in value.values())
    if isinstance(value, list):
        return "[" + ", ".join(str(v) for v in value) + "]"
    return str(value)


def _cut(items: list[str], limit: int = LIST_LIMIT) -> list[str]:
    if len(items) <= limit:
        return items
    return items[:limit] + [f"... {len(items) - limit} more: --format json lists them"]


def _bytes_line(label: str, figure: dict[str, Any]) -> str:
    delta = figure["delta"]
    if delta is None:
        return f"{label}: {human_bytes(figure['old'])} -> {human_bytes(figure['new'])}"
    if delta == 0:
        return f"{label}: {human_bytes(figure['new'])} (unchanged)"
    share = f", {figure['growth']:+.1%}" if figure["growth"] is not None else ""
    sign = "+" if delta > 0 else ""
    return (f"{label}: {human_bytes(figure['old'])} -> {human_bytes(figure['new'])} "
            f"({sign}{human_bytes(delta)}{share})")


def _contract_item(change: dict[str, Any]) -> str:
    where = change["kind"]
    if change["signature"] is not None:
        where = f"signature '{change['signature']}'" + (
            f" {change['kind'].split()[-1]}" if change["kind"] != "signature" else "")
    if change["position"] is not None:
        where += f" {change['position']}"
    if change["name"] is not None:
        where += f" '{change['name']}'"
    what = change["field"]
    if what in ("added", "removed"):
        detail = change["new"] if what == "added" else change["old"]
        return f"{where}: {what}" + (f" ({_value(detail)})" if isinstance(detail, dict) else "")
    before, after = change["old"], change["new"]
    if what == "quantization" and isinstance(before, dict) and isinstance(after, dict) \
            and before.get("scale") and after.get("scale"):  # name only what differs
        parts = [key for key in before if before.get(key) != after.get(key)]
        return f"{where}: " + "; ".join(
            f"{key} {_value(before.get(key))} -> {_value(after.get(key))}" for key in parts)
    return f"{where}: {what} {_value(before)} -> {_value(after)}"


def _op(ref: dict[str, Any]) -> str:
    place = f"op {ref['op_index']}" if ref["subgraph"] == 0 else \
        f"subgraph {ref['subgraph']} op {ref['op_index']}"
    return f"{_short(ref['key'])} ({place})"


def diff_lines(document: dict[str, Any], markdown: bool = False,
               limit: int = LIST_LIMIT) -> list[str]:
    old, new = document["old"], document["new"]
    head = f"tfllint diff: {old['path']} -> {new['path']}"
    lines = [f"## {head}" if markdown else head]
    bullet = "- " if markdown else "  "
    if old["error"] or new["error"]:
        for side in (old, new):
            if side["error"]:
                lines.append(f"{side['path']}: cannot be read: {side['error']}")
        return lines

    def section(title: str, items: list[str]) -> None:
        lines.append(f"**{title}**" if markdown else title)
        lines.extend(bullet + item for item in _cut(items, limit))

    if not document["changed"]:
        lines.append("no change that matters for deployment")
    contract = document["contract"]
    changes = [*contract["inputs"], *contract["outputs"], *contract["signatures"]]
    if changes:
        section(f"contract: {len(changes)} change(s)", [_contract_item(c) for c in changes])
    else:
        lines.append("contract: inputs, outputs and signatures unchanged")

    ops = document["ops"]
    matched = ops["matched"]
    summary = (f"ops: {ops['old_total']} -> {ops['new_total']}; matched {matched['by_name']} "
               f"by output names, {matched['by_position']} by position")
    items = [f"added {_op(r)}" for r in ops["added"]]
    items += [f"removed {_op(r)}" for r in ops["removed"]]
    items += [f"{'raised' if v['raised'] else 'lowered'} {v['new']['op']} "
              f"v{v['old']['version']} -> v{v['new']['version']} ({_op(v['new'])})"
              for v in ops["versions"]]
    section(summary, items) if items else lines.append(summary)

    runtime = document["runtime"]
    lines.append(f"runtime: needs >= {runtime['old']} -> {runtime['new']}"
                 + (" (raised)" if runtime["raised"] else "") if runtime["changed"]
                 else f"runtime: needs >= {runtime['new']} (unchanged)")
    quantization = document["quantization"]
    labels = quantization["labels"]
    lines.append(f"quantization: {labels[0]} -> {labels[1]}" if quantization["changed"]
                 else f"quantization: {labels[1]} (unchanged)")
    lines.append(_bytes_line("weights", document["memory"]["weights_bytes"]))
    lines.append(_bytes_line("arena", document["memory"]["arena_bytes"]))

    for name, target in document["targets"].items():
        on, partitions = target["ops_on_target"], target["partitions"]
        figure = (f"{on['old']}/{target['ops_total']['old']} ops on target, "
                  f"{partitions['old']} partition(s) -> {on['new']}/{target['ops_total']['new']}"
                  f", {partitions['new']} partition(s)")
        if target["can_run"]["changed"]:
            figure += ", " + ("can no longer run the model" if target["can_run"]["old"]
                              else "can now run the model")
        items = [f"newly off target: {_op_verdict(r)}" for r in target["newly_off_target"]]
        items += [f"newly on target: {_op_verdict(r)}" for r in target["newly_on_target"]]
        title = f"target {name}: {figure}" if target["changed"] else \
            f"target {name}: unchanged ({on['new']}/{target['ops_total']['new']} ops on " \
            f"target, {partitions['new']} partition(s))"
        section(title, items) if items else lines.append(title)

    findings = document["findings"]
    items = [f"+ {_finding(f)}" for f in findings["new"]]
    items += [f"- {_finding(f)}" for f in findings["gone"]]
    title = f"findings: {len(findings['new'])} new, {len(findings['gone'])} gone"
    section(title, items) if items else lines.append(title)

    for gate in document["gates"]:
        state = "CROSSED" if gate["crossed"] else "ok"
        limit = f" {gate['limit']}" if gate["limit"] else ""
        lines.append(f"gate --{gate['gate']}{limit}: {state} ({gate['detail']})")
    return lines


def _op_verdict(ref: dict[str, Any]) -> str:
    place = f"op {ref['op_index']}" if ref["subgraph"] == 0 else \
        f"subgraph {ref['subgraph']} op {ref['op_index']}"
    text = f"{ref['op']} ({place}{', added' if ref['added'] else ''})"
    if ref["reasons"]:
        text += f": {ref['reasons'][0]}"
    return text


def _finding(finding: dict[str, Any]) -> str:
    target = f"[{finding['target']}] " if finding.get("target") else ""
    return f"{finding['severity']} {finding['rule']} {target}{finding['message']}"
