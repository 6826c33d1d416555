"""Models as networkx graphs, for rules and analyses that need graph algorithms.

`subgraph_graph` has a node per operator, ("op", i), and per tensor, ("tensor", i), with
edges tensor -> op for inputs (attribute `port`: the input position) and op -> tensor for
outputs. Control-flow ops carry `calls`, the subgraphs they run. `call_graph` links
subgraphs: an edge a -> b (attribute `op`) when an op of subgraph a runs subgraph b.
"""
from __future__ import annotations

from typing import TYPE_CHECKING

import networkx

from .model import Model

if TYPE_CHECKING:
    from .view import ModelView


def op_node(index: int) -> tuple[str, int]:
    return ("op", index)


def tensor_node(index: int) -> tuple[str, int]:
    return ("tensor", index)


def subgraph_graph(view: ModelView, subgraph_index: int) -> networkx.DiGraph:
    subgraph = view.model.subgraphs[subgraph_index]
    graph = networkx.DiGraph(subgraph=subgraph_index, name=subgraph.name)
    for tensor in subgraph.tensors:
        graph.add_node(tensor_node(tensor.index), kind="tensor", name=tensor.name,
                       dtype=tensor.dtype, constant=tensor.is_constant,
                       variable=tensor.is_variable,
                       input=view.is_input(subgraph_index, tensor.index),
                       output=view.is_output(subgraph_index, tensor.index))
    for op in subgraph.operators:
        graph.add_node(op_node(op.index), kind="op", op=op.name, version=op.opcode.version,
                       calls=op.called_subgraphs)
        for port, tensor in enumerate(op.inputs):
            if tensor >= 0:
                graph.add_edge(tensor_node(tensor), op_node(op.index), port=port)
        for port, tensor in enumerate(op.outputs):
            graph.add_edge(op_node(op.index), tensor_node(tensor), port=port)
    return graph


def call_graph(model: Model) -> networkx.DiGraph:
    graph = networkx.DiGraph()
    graph.add_nodes_from(subgraph.index for subgraph in model.subgraphs)
    for subgraph in model.subgraphs:
        for op in subgraph.operators:
            for called in op.called_subgraphs:
                graph.add_edge(subgraph.index, called, op=op.index, op_name=op.name)
    return graph
