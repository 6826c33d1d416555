"""The tables behind `--show memory,io,ops`: the memory plan and timeline, the input and
output tensors, and the per-op verdicts of each target. Detail a reviewer asks for;
the default report shows the findings only."""
from __future__ import annotations

from typing import Any

from tabulate import tabulate

from ..sizes import exact_bytes, human_bytes

FULL_TABLE_OPS = 40  # larger models list only the ops that are not on the target
TIMELINE_OPS = 5  # the ops with the most live memory, listed under the memory figures
LIVE_TENSORS = 5  # tensors named at the peak; the rest are counted
SUBGRAPHS = 4  # subgraphs whose activation bytes are listed one by one


def io_block(report: dict[str, Any]) -> str:
    headers = ["#", "input", "dtype", "shape", "quantization"]
    lines = [indent(tabulate(tensor_rows(report["inputs"]), headers=headers))]
    headers[1] = "output"
    lines.append(indent(tabulate(tensor_rows(report["outputs"]), headers=headers)))
    for signature in report["signatures"]:
        names = ", ".join(i["name"] for i in signature["inputs"])
        outputs = ", ".join(o["name"] for o in signature["outputs"])
        lines.append(f"  signature '{signature['key']}': ({names}) -> ({outputs})")
    return "\n".join(lines)


def tensor_rows(tensors: list[dict[str, Any]]) -> list[list[str]]:
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
        rows.append([tensor["index"], tensor["name"] or "<unnamed>", tensor["dtype"], shape,
                     quant])
    return rows


def target_block(name: str, target: dict[str, Any]) -> str:
    """One target's summary, model-level reasons and per-op verdicts with their reasons."""
    lines = [f"  target {name}: {target['summary']}", "    " + target_figures(target),
             f"    models: {target['describes']}"]
    lines += [f"    cannot know: {item}" for item in target["cannot_know"]]
    for reason in target["model_reasons"]:
        lines.append(f"    model: {reason['message']}")
    listed = target["ops"] if len(target["ops"]) <= FULL_TABLE_OPS else \
        [op for op in target["ops"] if op["verdict"] != "target"]
    rows = []
    for op in listed:
        reasons = [reason["message"] + (f"\n  tool: {reason['tool']}" if reason["tool"] else "")
                   for reason in op["reasons"]]
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


def target_figures(target: dict[str, Any]) -> str:
    """The same figures for every target: ops and MACs on it, partitions, transitions."""
    ops = f"{target['ops_on_target']}/{target['ops_total']} ops on target"
    macs = (f"{target['macs_on_target'] / target['macs_total']:.0%} of MACs"
            if target["macs_total"] else "no MACs")
    verdict = "can run" if target["can_run"] else "CANNOT RUN"
    return (f"{verdict}: {ops}, {macs}, {target['partitions']} partition(s), "
            f"{target['transitions']} CPU<->target transition(s)")


BUILD_NAMES = {64: "a 64-bit TFLM build (tflite-micro's Python interpreter)",
               32: "a 32-bit microcontroller build"}


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
    builds = memory.get("tflm_builds") or ()
    if len(builds) > 1:  # TFLM: the build planned for, then the other
        others = "; ".join(
            f"{BUILD_NAMES[b['word_size']]} needs {human_bytes(b['arena_bytes'])} = "
            f"{human_bytes(b['head_bytes'])} head + {human_bytes(b['tail_bytes'])} tail"
            + (f" + {human_bytes(b['temp_bytes'])} temp" if b["temp_bytes"] else "")
            for b in builds[1:])
        lines.append(f"    figures for {BUILD_NAMES[builds[0]['word_size']]}; {others}")
    lines.append("    " + sizes_line(memory))
    for key, label, used in (("memory_budget", "memory budget", memory["arena_bytes"]),
                             ("weights_budget", "weights budget", memory["weights_bytes"])):
        if memory[key]:
            lines.append("    " + budget_line(label, memory[key], used))
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


def memory_figures(memory: dict[str, Any], planners: dict[str, str]) -> list[str]:
    """The arena and weights, then each budget against them: the parts of the one-line
    memory summary of the Markdown and HTML reports."""
    planner = planners.get(memory["planner"], memory["planner"])
    parts = [f"arena {human_bytes(memory['arena_bytes'])} ({planner} plan)",
             f"weights {human_bytes(memory['weights_bytes'])}"]
    for key, label, used in (("memory_budget", "memory budget", memory["arena_bytes"]),
                             ("weights_budget", "weights budget", memory["weights_bytes"])):
        if memory.get(key):
            parts.append(budget_line(label, memory[key], used))
    return parts


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


def budget_line(label: str, budget: dict[str, Any], used: int) -> str:
    """ "memory budget 64.0 KiB: 16.6 KiB OVER", naming a target's default as such, in
    exact bytes where rounding would show the use and the budget as equal."""
    headroom = budget["headroom_bytes"]
    same_when_rounded = human_bytes(used) == human_bytes(budget["bytes"]) and headroom
    size = exact_bytes if same_when_rounded else human_bytes
    state = (f"{size(-headroom)} OVER" if headroom < 0 else
             f"{size(headroom)} headroom ({headroom / budget['bytes']:.0%})")
    source = f" ({budget['source']})" if budget["target"] else ""
    needs = f", needs {exact_bytes(used)}" if same_when_rounded else ""
    return f"{label} {size(budget['bytes'])}{source}{needs}: {state}"


def indent(text: str, prefix: str = "  ") -> str:
    return "\n".join(prefix + line for line in text.splitlines())
