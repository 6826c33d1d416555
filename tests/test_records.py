"""tfllint.records: `@record` behaves as `@dataclass(frozen=True)` does."""
from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field

import pytest

from tfllint.records import record


def make(decorator):
    @decorator
    class Point:
        x: int
        y: int = 0
        cached: int = field(default=0, compare=False, repr=False)
        tags: tuple = ()
    return Point


@pytest.mark.parametrize("name", ["x", "tags"])
def test_a_record_is_a_frozen_dataclass_with_the_same_behaviour(name):
    ours, theirs = make(record), make(dataclass(frozen=True))
    a, b = ours(1, 2, cached=5), ours(1, 2, cached=6)
    assert a == b and hash(a) == hash(b) and a != ours(1, 3) and a != theirs(1, 2)
    assert repr(a) == repr(theirs(1, 2, cached=5)).replace(theirs.__qualname__,
                                                           ours.__qualname__)
    assert hash(ours(7, tags=("t",))) == hash(theirs(7, tags=("t",)))
    with pytest.raises(dataclasses.FrozenInstanceError):
        setattr(a, name, 3)
    assert dataclasses.replace(a, y=9) == ours(1, 9)
    assert dataclasses.asdict(a) == {"x": 1, "y": 2, "cached": 5, "tags": ()}
    assert len({a, b, ours(1, 3)}) == 2


def test_methods_a_record_defines_itself_are_kept():
    @record
    class Named:
        name: str

        def __repr__(self) -> str:
            return f"<{self.name}>"

    @record
    class Empty:
        pass

    assert repr(Named("n")) == "<n>" and Empty() == Empty() and hash(Empty()) == hash(())
