"""`@record`: a frozen dataclass that costs less to define.

Python 3.11 and 3.12 compile six methods for each `@dataclass(frozen=True)` class when
its module is imported (__init__, __repr__, __eq__, __hash__, __setattr__ and
__delattr__): half a millisecond a class on a small machine. A lint defines about sixty, a third of the
whole run on a small model. `@record` lets dataclasses compile only what must be specific
to the class (__init__ and the frozen __setattr__/__delattr__) and gives every record the
same __repr__, __eq__ and __hash__, which read the same fields as dataclasses' own would
(those with `compare=True`, or `repr=True` for __repr__), so the behaviour is the same.
A record is a dataclass: `dataclasses.replace`, `fields` and `asdict` work on it.

    @record
    class Budget:
        bytes: int
        source: str
"""
from __future__ import annotations

from dataclasses import dataclass, fields
from operator import attrgetter
from typing import Any, Callable, TypeVar

Class = TypeVar("Class", bound=type)


def record(cls: Class) -> Class:
    """Make `cls` a frozen dataclass with shared __repr__, __eq__ and __hash__."""
    cls = dataclass(frozen=True, repr=False, eq=False)(cls)
    compared = tuple(field.name for field in fields(cls) if field.compare)
    cls._record_key = staticmethod(_key_of(compared))
    cls._record_shown = tuple(field.name for field in fields(cls) if field.repr)
    for name, method in (("__repr__", _repr), ("__eq__", _eq), ("__hash__", _hash)):
        if name not in vars(cls):  # a method the class defines itself wins, as in dataclass
            setattr(cls, name, method)
    return cls


def _key_of(names: tuple[str, ...]) -> Callable[[Any], tuple]:
    """The values of the fields that equality and the hash read, as one tuple."""
    if not names:
        return lambda instance: ()
    if len(names) == 1:
        getter = attrgetter(names[0])
        return lambda instance: (getter(instance),)
    return attrgetter(*names)


def _repr(self: Any) -> str:
    shown = ", ".join(f"{name}={getattr(self, name)!r}" for name in self._record_shown)
    return f"{type(self).__qualname__}({shown})"


def _eq(self: Any, other: Any) -> Any:
    if other.__class__ is not self.__class__:
        return NotImplemented
    return self._record_key(self) == other._record_key(other)


def _hash(self: Any) -> int:
    return hash(self._record_key(self))
