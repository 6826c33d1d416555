"""--format text: a readable report per model, tables drawn with tabulate."""
from __future__ import annotations

from typing import Any

from tabulate import tabulate

from ..sizes import human_bytes
from . import RunResult

SEVERITY_ORDER = {"error": 0, "warning": 1, "info": 2}
FULL_TABLE_OPS = 40  # larger models list only the ops that are not on the target
TIMELINE_OPS = 5  # the ops with the most live memory, listed under the memory figures
LIVE_TENSORS = 5  # tensors named at the peak; the rest are counted
SUBGRAPHS = 4  # subgraphs whose activation bytes are listed one by one


def tensor_rows(tensors: list[dict[str, Any]], with_key: bool = False) -> list[list[str]]:
    rows = []
    for tensor in tensors:
        quantization = tensor["quantization"]
        if quantization["scale"]:
            if len(quantization["scale"]) == 1:
                # a corrupt file can carry a scale without a zero point
                zero_point = (quantization["zero_point"] or ["missing"])[0]
                scale = quantization["scale"][0]
                scale_text = scale if isinstance(scale, str) else f"{scale:.6g}"
                quant = f"scale {scale_text}, zero point {zero_point}"
            else:
                quant = (f"per-channel ({len(quantization['scale'])} scales, "
                         f"dim {quantization['quantized_dimension']})")
        else:
            quant = "-"
        shape = "x".join(str(d) for d in tensor["shape_signature"]) or "scalar"
        row = [tensor["index"], tensor["name"] or "<unnamed>", tensor["dtype"], shape, quant]
        rows.append(([tensor["key"]] if with_key else []) + row)
    return rows


def target_figures(target: dict[str, Any]) -> str:
    """The same figures for every target: ops and MACs on it, partitions, transitions."""
    ops = f"{target['ops_on_target']}/{target['ops_total']} ops on target"
    macs = (f"{target['macs_on_target'] / target['macs_total']:.0%} of MACs"
            if target["macs_total"] else "no MACs")
    verdict = "can run" if target["can_run"] else "CANNOT RUN"
    return (f"{verdict}: {ops}, {macs}, {target['partitions']} partition(s), "
            f"{target['transitions']} CPU<->target transition(s)")


def location_text(location: dict[str, Any]) -> str:
    parts = []
    if location.get("subgraph") is not None:
        parts.append(f"sg{location['subgraph']}")
    if location.get("op_index") is not None:
        parts.append(f"op{location['op_index']} {location.get('op') or ''}".rstrip())
    elif location.get("op"):
        parts.append(location["op"])
    if location.get("tensor"):
        parts.append(f"'{location['tensor']}'")
    elif location.get("tensor_index") is not None:
        parts.append(f"tensor #{location['tensor_index']}")
    return " ".join(parts) or "model"


class TextReporter:
    def render(self, run: RunResult) -> str:
        blocks = [self.model_block(report) for report in run.reports]
        blocks.append(self.summary_line(run))
        return "\n\n".join(blocks) + "\n"

    def model_block(self, report: dict[str, Any]) -> str:
        if report["error"]:
            return f"{report['path']}\n  error: {report['error']}"
        summary = report["summary"]
        runtime = report["runtime"]
        lines = [
            f"{report['path']}",
            f"  {human_bytes(report['size_bytes'])}, {summary['subgraphs']} subgraph(s), "
            f"{summary['operators']} ops, {summary['tensors']} tensors; "
            f"{summary['quantization']['label']}; needs runtime >= "
            f"{runtime['required_min_version'] or 'unknown'}",
            "  ops: " + ", ".join(f"{name} x{count}"
                                  for name, count in summary["op_histogram"].items()),
        ]
        lines.append(memory_block(report["memory"]))
        headers = ["#", "input", "dtype", "shape", "quantization"]
        lines.append(indent(tabulate(tensor_rows(report["inputs"]), headers=headers)))
        headers[1] = "output"
        lines.append(indent(tabulate(tensor_rows(report["outputs"]), headers=headers)))
        for signature in report["signatures"]:
            names = ", ".join(i["name"] for i in signature["inputs"])
            outputs = ", ".join(o["name"] for o in signature["outputs"])
            lines.append(f"  signature '{signature['key']}': ({names}) -> ({outputs})")
        for name, target in report["targets"].items():
            lines.append(self.target_block(name, target))
        lines.append(self.findings_table(report["findings"]))
        return "\n".join(lines)

    def target_block(self, name: str, target: dict[str, Any]) -> str:
        lines = [f"  target {name}: {target['summary']}", "    " + target_figures(target)]
        for reason in target["model_reasons"]:
            lines.append(f"    model: {reason['message']}")
        listed = target["ops"] if len(target["ops"]) <= FULL_TABLE_OPS else \
            [op for op in target["ops"] if op["verdict"] != "target"]
        rows = []
        for op in listed:
            reasons = [reason["message"] + (f"\n  tool: {reason['tool']}" if reason["tool"]
                                             else "") for reason in op["reasons"]]
            if op["fix"] and op["reasons"]:
                reasons.append(f"fix: {op['fix']}")
            where = f"{op['op_index']}" if op["subgraph"] == 0 else \
                f"sg{op['subgraph']} {op['op_index']}"
            rows.append([where, op["op"], op["verdict"], "\n".join(reasons) or "-"])
        if rows:
            lines.append(indent(tabulate(rows, headers=["op", "name", "verdict", "reason"],
                                         maxcolwidths=[None, 28, None, 80]), "    "))
        hidden = len(target["ops"]) - len(listed)
        if hidden:
            lines.append(f"    ({hidden} ops on the target not listed; --format json lists "
                         "every op)")
        return "\n".join(lines)

    def findings_table(self, findings: list[dict[str, Any]]) -> str:
        if not findings:
            return "  no findings"
        ordered = sorted(findings, key=lambda f: SEVERITY_ORDER.get(f["severity"], 9))
        rows = []
        for finding in ordered:
            message = finding["message"]
            if finding.get("fix"):
                message += f"\nfix: {finding['fix']}"
            if finding.get("target"):
                message = f"[{finding['target']}] " + message
            rows.append([finding["severity"], finding["rule"], location_text(finding["location"]),
                         message])
        return indent(tabulate(rows, headers=["severity", "rule", "where", "message"],
                               maxcolwidths=[None, None, 28, 80]))

    def summary_line(self, run: RunResult) -> str:
        summary = run.summary
        counts = summary["findings"]
        text = (f"{summary['models']} model(s): {counts['error']} error(s), "
                f"{counts['warning']} warning(s), {counts['info']} info")
        if summary["unreadable"]:
            text += f"; {summary['unreadable']} could not be read"
        return text


def memory_block(memory: dict[str, Any]) -> str:
    """Arena (head + tail) and weights against their budgets, the peak and the top ops."""
    arena = f"arena {human_bytes(memory['arena_bytes'])}"
    if memory["tail_bytes"] or memory["temp_bytes"]:
        arena += (f" = {human_bytes(memory['head_bytes'])} head + "
                  f"{human_bytes(memory['tail_bytes'])} tail")
        if memory["temp_bytes"]:
            arena += f" + {human_bytes(memory['temp_bytes'])} temp"
    lines = [f"  memory ({memory['planner']} planner): {arena}; weights "
             f"{human_bytes(memory['weights_bytes'])}"]
    lines.append("    " + sizes_line(memory))
    for key, label in (("memory_budget", "memory budget"), ("weights_budget", "weights budget")):
        if memory[key]:
            lines.append("    " + budget_line(label, memory[key]))
    if memory["lower_bound"]:
        lines.append(f"    lower bound: {memory['lower_bound']}")
    lines.extend(f"    note: {note}" for note in memory["notes"])
    names, live_bytes = memory["timeline"]["op"], memory["timeline"]["live_bytes"]
    peak_op = memory["peak_op"]
    if peak_op is not None and peak_op < len(live_bytes):
        live = memory["live_at_peak"]
        named = ", ".join(f"{tensor_name(t)} {human_bytes(t['bytes'])}"
                          for t in live[:LIVE_TENSORS])
        if len(live) > LIVE_TENSORS:
            rest = sum(t["bytes"] for t in live[LIVE_TENSORS:])
            named += f" and {len(live) - LIVE_TENSORS} more ({human_bytes(rest)})"
        lines.append(f"    peak at op {peak_op} {names[peak_op]}: "
                     f"{human_bytes(live_bytes[peak_op])} live" + (f": {named}" if named else ""))
    top = sorted(range(len(live_bytes)), key=lambda op: (-live_bytes[op], op))
    rows = [[op, names[op], human_bytes(live_bytes[op])] for op in top[:TIMELINE_OPS]]
    if len(live_bytes) > 1:
        lines.append(indent(tabulate(rows, headers=["op", "name", "live"],
                                     colalign=("right", "left", "right")), "    "))
    return "\n".join(lines)


def sizes_line(memory: dict[str, Any]) -> str:
    """The figures that need no plan: every activation without reuse (per subgraph when
    there are several), variables and the largest activation."""
    per_subgraph = memory["activation_bytes"]
    text = f"activations {human_bytes(sum(per_subgraph))} without reuse"
    if len(per_subgraph) > 1:
        shown = [f"sg{index} {human_bytes(size)}"
                 for index, size in enumerate(per_subgraph[:SUBGRAPHS])]
        if len(per_subgraph) > SUBGRAPHS:
            shown.append(f"{len(per_subgraph) - SUBGRAPHS} more subgraphs "
                         f"{human_bytes(sum(per_subgraph[SUBGRAPHS:]))}")
        text += " (" + " + ".join(shown) + ")"
    if memory["variable_bytes"]:
        text += f"; variables {human_bytes(memory['variable_bytes'])}"
    largest = memory["largest_tensor"]
    if largest:
        where = "" if largest["subgraph"] == 0 else f" in sg{largest['subgraph']}"
        text += f"; largest {tensor_name(largest)}{where} {human_bytes(largest['bytes'])}"
    return text


def tensor_name(tensor: dict[str, Any]) -> str:
    """'name', #index when it has none, or a runtime's own buffer (index -1) as described."""
    if tensor["index"] < 0:
        return tensor["name"] or "a runtime buffer"
    return f"'{tensor['name']}'" if tensor["name"] else f"#{tensor['index']}"


def budget_line(label: str, budget: dict[str, Any]) -> str:
    """ "memory budget 64.0 KiB: 16.6 KiB OVER", naming a target's default as such."""
    headroom = budget["headroom_bytes"]
    state = (f"{human_bytes(-headroom)} OVER" if headroom < 0 else
             f"{human_bytes(headroom)} headroom ({headroom / budget['bytes']:.0%})")
    source = f" ({budget['source']})" if budget["target"] else ""
    return f"{label} {human_bytes(budget['bytes'])}{source}: {state}"


def indent(text: str, prefix: str = "  ") -> str:
    return "\n".join(prefix + line for line in text.splitlines())
