"""--graph: the model's ops coloured by their verdict on one target, as DOT or GraphML.

Ops are nodes; an edge joins the op that writes a tensor to each op that reads it,
labelled with the tensor's name, so where the graph leaves the accelerator shows as a
change of colour along the edges.
"""
from __future__ import annotations

from pathlib import Path

import networkx

from ..errors import UsageError

COLOURS = {"target": "#8fd18f", "compiled": "#8fb8e8", "cpu": "#f5c26b", "blocks": "#ef8a8a"}


def verdict_graph(view, result) -> networkx.DiGraph:
    graph = networkx.DiGraph(name=f"{Path(view.path).name} on {result.profile.name}")
    verdicts = {(v.subgraph, v.op_index): v for v in result.ops}
    main = view.main
    for op in main.operators:
        verdict = verdicts[(0, op.index)]
        reason = verdict.reasons[0].message if verdict.reasons else ""
        graph.add_node(f"op{op.index}", label=f"{op.index}: {op.name}", verdict=verdict.verdict,
                       color=COLOURS[verdict.verdict], reason=reason)
    for op in main.operators:
        for tensor_index in op.inputs:
            if tensor_index < 0:
                continue
            producer = view.producer(0, tensor_index)
            name = main.tensors[tensor_index].name
            if producer is not None:
                graph.add_edge(f"op{producer.index}", f"op{op.index}", tensor=name)
            elif view.is_input(0, tensor_index):
                graph.add_node(f"in{tensor_index}", label=f"input {name}", verdict="io",
                               color="#ffffff", reason="")
                graph.add_edge(f"in{tensor_index}", f"op{op.index}", tensor=name)
    return graph


def write_graph(view, result, path: str) -> None:
    graph = verdict_graph(view, result)
    try:
        Path(path).parent.mkdir(parents=True, exist_ok=True)
        if path.endswith(".graphml"):
            networkx.write_graphml(graph, path)
        else:
            Path(path).write_text(to_dot(graph), "utf-8")
    except OSError as error:
        raise UsageError(f"--graph {path}: {error.strerror or error}") from None


def to_dot(graph: networkx.DiGraph) -> str:
    def quoted(text: str) -> str:
        return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'

    lines = [f"digraph {quoted(graph.graph.get('name', 'model'))} {{", "  rankdir=TB;",
             '  node [shape=box, style="rounded,filled", fontname="Helvetica"];']
    for node, data in graph.nodes(data=True):
        tooltip = f", tooltip={quoted(data['reason'])}" if data.get("reason") else ""
        lines.append(f"  {quoted(node)} [label={quoted(data['label'])}, "
                     f"fillcolor={quoted(data['color'])}{tooltip}];")
    for source, target, data in graph.edges(data=True):
        lines.append(f"  {quoted(source)} -> {quoted(target)} [label={quoted(data['tensor'])}, "
                     "fontsize=9];")
    legend = ", ".join(f"{verdict}: {colour}" for verdict, colour in COLOURS.items())
    lines.append(f"  // colours: {legend}")
    lines.append("}")
    return "\n".join(lines) + "\n"
