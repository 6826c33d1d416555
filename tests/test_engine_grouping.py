"""The engine makes one finding per cause: violations merge by message or by cause,
per-model ignores drop places (not whole findings), and every place gets a stable key."""
from __future__ import annotations

from builder import ModelBuilder
from conftest import view_of

from tfllint.analyses import Analyses
from tfllint.engine.rule import Location, Violation, rule
from tfllint.engine.runner import run_rules
from tfllint.engine.settings import settings_from_mapping


def three_relus() -> bytes:
    model = ModelBuilder()
    main = model.subgraph()
    x = main.tensor("x", [1, 4])
    names = ("a", "b", "c")
    outputs = [main.tensor(name, [1, 4]) for name in names]
    for output in outputs:
        main.op("RELU", [x], [output])
    main.inputs, main.outputs = [x], outputs
    return model.build()


def at(index: int) -> Location:
    return Location(subgraph=0, op_index=index, op="RELU")


def run(check, **settings):
    declared = rule(id="ACME001", name="acme-check", severity="warning")(check)
    view = view_of(three_relus())
    options = settings_from_mapping(settings, "test")
    return run_rules(view, Analyses(view, options), (declared,), options)


def test_same_message_merges_and_keys_name_op_type_and_output():
    def check(ctx):
        """Doc."""
        for index in range(3):
            yield Violation("RELU is slow here", at(index), fix="fuse it")
    [finding] = run(check)
    assert finding.locations == (at(0), at(1), at(2))
    assert [location.key for location in finding.locations] == ["RELU:a", "RELU:b", "RELU:c"]
    assert finding.message == "RELU is slow here"


def test_same_cause_merges_with_the_first_message_as_the_example():
    def check(ctx):
        """Doc."""
        for index in range(3):
            yield Violation(f"op {index} is slow", at(index), cause="slow")
        yield Violation("op 2 is odd", at(2), cause="odd")
    slow, odd = run(check)
    assert slow.message == "op 0 is slow (and 2 more alike)" and len(slow.locations) == 3
    assert odd.message == "op 2 is odd" and odd.locations == (at(2),)


def test_different_fix_or_target_is_another_cause():
    def check(ctx):
        """Doc."""
        yield Violation("slow", at(0), fix="one")
        yield Violation("slow", at(1), fix="two")
        yield Violation("slow", at(2), fix="one", target="gpu")
    assert len(run(check)) == 3


def test_a_per_model_ignore_drops_only_the_places_it_names(tmp_path):
    def check(ctx):
        """Doc."""
        yield Violation("slow", locations=(at(0), Location(subgraph=0, op_index=1, op="ADD")))
    ignores = {"per-model-ignores": {"*": {"rules": ["ACME001"], "op": "ADD"}}}
    [finding] = run(check, **ignores)
    assert finding.locations == (at(0),)
    assert finding.message == "slow (1 more silenced by per-model-ignores)"  # counts stay true
    ignore_all = {"per-model-ignores": {"*": {"rules": ["ACME001"]}}}
    assert run(check, **ignore_all) == []


def test_places_are_sorted_after_merging_and_keys_name_ops_without_outputs():
    def check(ctx):
        """Doc."""
        yield Violation("slow", locations=(at(2), at(0)))
        yield Violation("slow", at(1))
        yield Violation("odd", Location(subgraph=1, op_index=0, op="ADD"))
    slow, odd = run(check)
    assert slow.locations == (at(0), at(1), at(2))
    assert odd.locations[0].key == "sg1 ADD:#0"  # no such op: the index, in its subgraph
    view = view_of(three_relus())
    from tfllint.engine.runner import location_key
    assert location_key(view, Location(subgraph=0, tensor="a", tensor_index=1)) == "a"
    assert location_key(view, Location(buffer=3)) == "buffer:3"
    assert location_key(view, Location()) == "model"
