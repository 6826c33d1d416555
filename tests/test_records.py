"""tfllint.records: `@record` behaves as `@dataclass(frozen=True)` does, and the
records tfllint defines are what their dataclass twins would be."""
from __future__ import annotations

import dataclasses
import inspect

import pytest

from tfllint import records
from tfllint.records import FrozenInstanceError, record


def point_class(decorator, field):
    @decorator
    class Point:
        x: int
        y: int = 0
        cached: int = field(default=0, compare=False, repr=False)
        tags: tuple = ()
        extra: dict = field(default_factory=dict)
        derived: int = field(init=False, repr=False, compare=False)

        def __post_init__(self) -> None:
            self.__dict__.update(derived=self.x * 2)
    return Point


OURS = point_class(record, records.field)
THEIRS = point_class(dataclasses.dataclass(frozen=True), dataclasses.field)


@pytest.mark.parametrize("arguments", [((1,), {}), ((1, 2), {"cached": 5}),
                                       ((), {"x": 3, "tags": ("t",), "extra": {"a": 1}})])
def test_a_record_behaves_as_a_frozen_dataclass(arguments):
    args, kwargs = arguments
    ours, theirs = OURS(*args, **kwargs), THEIRS(*args, **kwargs)
    assert repr(ours) == repr(theirs).replace(THEIRS.__qualname__, OURS.__qualname__)
    assert records.as_dict(ours) == dataclasses.asdict(theirs) | {"derived": ours.derived}
    assert ours.derived == theirs.derived
    assert ours == OURS(*args, **{**kwargs, "cached": 99}) and ours != theirs
    replaced = records.as_dict(records.replace(ours, y=9))
    assert replaced == dataclasses.asdict(dataclasses.replace(theirs, y=9)) | {
        "derived": ours.derived}
    assert [f.name for f in records.fields(OURS)] == [f.name for f in dataclasses.fields(THEIRS)]
    assert inspect.signature(OURS).parameters.keys() == inspect.signature(THEIRS).parameters.keys()


def test_a_record_is_frozen_and_checks_its_arguments():
    point = OURS(1)
    for change in (lambda: setattr(point, "x", 2), lambda: delattr(point, "x"),
                   lambda: setattr(point, "new", 1)):
        with pytest.raises(FrozenInstanceError):
            change()
    assert OURS(1).extra is not OURS(1).extra  # one default_factory call per record
    for bad in (lambda: OURS(), lambda: OURS(1, z=2), lambda: OURS(1, 2, 3, 4, {}, 6)):
        with pytest.raises(TypeError):
            bad()
    with pytest.raises(ValueError, match="derived"):
        records.replace(point, derived=3)
    with pytest.raises(TypeError, match="non-default field 'b' follows"):
        @record
        class Bad:
            a: int = 0
            b: int


def test_inheritance_methods_and_empty_records():
    @record
    class Base:
        a: int
        b: int = 1

        def __repr__(self) -> str:
            return f"<{self.a}>"

    @record
    class Child(Base):
        c: str = "c"
        b: int = 5

    @record
    class Empty:
        pass

    child = Child(0)
    assert (child.a, child.b, child.c) == (0, 5, "c") and repr(Base(0)) == "<0>"
    assert repr(child).endswith("Child(a=0, b=5, c='c')")  # as dataclass: its own
    assert [f.name for f in records.fields(Child)] == ["a", "b", "c"]
    assert hash(child) == hash((0, 5, "c"))  # as a dataclass: the compared fields' tuple
    assert Child(0) != Base(0, 5) and Empty() == Empty() and hash(Empty()) == hash(())


def test_clean_docstring_is_inspect_cleandoc():
    from tfllint.engine.registry import load_rules
    from tfllint.engine.rule import clean_docstring

    texts = [rule.check.__doc__ for rule in load_rules()] + [
        "", "one line", "\n\n  indented\n    more\n\n", "first\n\tTabbed\n\t  deeper\n   \n"]
    for text in texts:
        assert clean_docstring(text) == inspect.cleandoc(text)
