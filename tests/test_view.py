"""The model view's helpers and the networkx graphs rules build on."""
from __future__ import annotations

import numpy as np
from builder import ModelBuilder
from conftest import view_of

from tfllint.graph import op_node, tensor_node


def while_model() -> bytes:
    """main: x -> ADD(bias) -> h -> WHILE(cond=1, body=2) -> y; a variable; an unused input."""
    model = ModelBuilder()
    main = model.subgraph("main")
    x = main.tensor("x", [1, 2])
    bias = main.constant("bias", np.array([[1.0, 2.0]], np.float32))
    h = main.tensor("h", [1, 2])
    y = main.tensor("y", [1, 2])
    state = main.tensor("state", [1, 2], is_variable=True)
    main.op("ADD", [x, bias], [h])
    main.op("WHILE", [h], [y], options=("WhileOptions",
                                         {"cond_subgraph_index": 1, "body_subgraph_index": 2}))
    main.op("ADD", [y, state], [main.tensor("out", [1, 2])])
    main.inputs, main.outputs = [x], [5]
    for name in ("cond", "body"):
        sub = model.subgraph(name)
        a, b = sub.tensor("a", [1, 2]), sub.tensor("b", [1, 2])
        sub.op("RELU", [a], [b])
        sub.inputs, sub.outputs = [a], [b]
    return model.build()


def test_producers_consumers_and_tensor_kinds():
    view = view_of(while_model())
    add, loop, last = view.execution_order(0)
    assert [op.name for op in (add, loop, last)] == ["ADD", "WHILE", "ADD"]
    assert view.producer(0, 2) is add and view.producer(0, 0) is None
    assert view.consumers(0, 2) == (loop,) and view.consumers(0, 5) == ()
    bias, state = view.tensor(0, 1), view.tensor(0, 4)
    assert bias.is_constant and not view.tensor(0, 2).is_constant
    assert state.is_variable and view.has_source(0, 4)
    assert view.is_input(0, 0) and view.is_output(0, 5) and not view.is_output(0, 3)
    assert view.tensor_data(bias).tolist() == [[1.0, 2.0]]
    assert view.tensor_data(view.tensor(0, 0)) is None  # an activation has no data
    assert view.reachable_subgraphs == {0, 1, 2}


def test_subgraph_graph_has_ops_tensors_ports_and_control_flow_links():
    graph = view_of(while_model()).graph(0)
    assert graph.nodes[op_node(1)] == {"kind": "op", "op": "WHILE", "version": 1,
                                       "calls": (1, 2)}
    assert graph.nodes[tensor_node(1)]["constant"] and graph.nodes[tensor_node(4)]["variable"]
    assert graph.edges[tensor_node(1), op_node(0)] == {"port": 1}
    assert set(graph.successors(op_node(0))) == {tensor_node(2)}
    assert set(graph.predecessors(op_node(2))) == {tensor_node(3), tensor_node(4)}


def test_call_graph_links_subgraphs_through_their_ops():
    calls = view_of(while_model()).call_graph
    assert sorted(calls.edges(data=True)) == [
        (0, 1, {"op": 1, "op_name": "WHILE"}), (0, 2, {"op": 1, "op_name": "WHILE"})]


def with_offline_plan(words: list[int]) -> bytes:
    from builder import relu_model

    model = relu_model()
    model.add_metadata("OfflineMemoryAllocation", np.asarray(words, "<i4").tobytes())
    return model.build()


def test_offline_memory_plan_is_decoded():
    from tfllint.reader.offline_plan import OfflinePlan

    view = view_of(with_offline_plan([1, 0, 2, -1, 64]))
    assert view.offline_plan == OfflinePlan(version=1, subgraph_word=0, offsets=(-1, 64))
    assert view.offline_plan.planned == 1
    assert view_of(while_model()).offline_plan is None


def test_malformed_offline_plan_is_a_clear_error():
    import pytest

    from tfllint.reader.offline_plan import OfflinePlanError

    with pytest.raises(OfflinePlanError, match="says it has 1000 offsets, but its buffer holds 2"):
        view_of(with_offline_plan([1, 0, 1000, -1, 64])).offline_plan
    with pytest.raises(OfflinePlanError, match="holds 8 bytes, fewer than its 12-byte header"):
        view_of(with_offline_plan([1, 0])).offline_plan
