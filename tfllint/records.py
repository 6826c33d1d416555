"""`@record`: immutable data classes, cheap to define and to build.

tfllint's data (tensors, ops, findings, target profiles, analyses) is frozen classes of
named fields. `@dataclass(frozen=True)` would do, but it is the biggest cost of a lint
of a small model: importing dataclasses imports inspect (with ast, dis and tokenize, some
9 ms), each class compiles six methods when its module is imported (0.5 ms each, and a
lint defines about sixty), and its __init__ sets each field through object.__setattr__
(the reader builds 25,000 tensors for a big model). A record compiles one __init__ that
fills the instance's dict, and shares __repr__, __eq__, __hash__ and the frozen
__setattr__ among all records. It behaves as a frozen dataclass does:

    @record
    class Budget:
        bytes: int
        source: str
        targets: tuple[str, ...] = ()
        notes: dict[str, str] = field(default_factory=dict)
        cached: int = field(init=False, repr=False, compare=False)  # set in __post_init__

- the fields are the class's annotations, a base record's first, in order; a default
  follows a default; `field()` takes default, default_factory, init, repr and compare;
- __init__ takes the init fields by position or name, then runs __post_init__ if the
  class has one; __post_init__ sets the other fields with `self.__dict__.update(...)`;
- assigning or deleting an attribute raises FrozenInstanceError;
- == compares the same class's compared fields, hash() hashes them, repr() shows the
  repr fields;
- `replace(record, **changes)`, `fields(cls)` and `as_dict(record)` are those of
  dataclasses (as_dict is shallow).

tests/test_records.py checks each against `@dataclass(frozen=True)`.
"""
from __future__ import annotations

from operator import attrgetter
from typing import Any, Callable, TypeVar

Class = TypeVar("Class", bound=type)
Record = TypeVar("Record")


class FrozenInstanceError(AttributeError):
    """An attempt to assign or delete a field of a record."""


class _Missing:
    def __repr__(self) -> str:
        return "MISSING"


MISSING: Any = _Missing()


class Field:
    """A field of a record: its name, default (or default factory) and roles."""

    __slots__ = ("name", "default", "default_factory", "init", "repr", "compare")

    def __init__(self, default: Any = MISSING, default_factory: Any = MISSING,
                 init: bool = True, repr: bool = True, compare: bool = True) -> None:
        if default is not MISSING and default_factory is not MISSING:
            raise ValueError("a field cannot have both a default and a default_factory")
        self.name = ""
        self.default = default
        self.default_factory = default_factory
        self.init = init
        self.repr = repr
        self.compare = compare


def field(*, default: Any = MISSING, default_factory: Callable[[], Any] | Any = MISSING,
          init: bool = True, repr: bool = True, compare: bool = True) -> Any:
    """A field with more than a plain default, as dataclasses.field."""
    return Field(default, default_factory, init, repr, compare)


def record(cls: Class) -> Class:
    """Make `cls` an immutable record of its annotated fields."""
    own: list[Field] = []
    for name, annotation in cls.__dict__.get("__annotations__", {}).items():
        if str(annotation).startswith(("ClassVar", "typing.ClassVar")):
            continue
        value = cls.__dict__.get(name, MISSING)
        spec = value if isinstance(value, Field) else Field(default=value)
        spec.name = name
        if isinstance(value, Field):  # the class keeps a plain default, as in dataclasses
            if spec.default is MISSING:
                delattr(cls, name)
            else:
                setattr(cls, name, spec.default)
        own.append(spec)
    inherited = {spec.name: spec for base in reversed(cls.__mro__[1:])
                 for spec in getattr(base, "_record_fields", ())}
    for spec in own:  # a field a base defines keeps its place, with the new default
        inherited[spec.name] = spec
    all_fields = tuple(inherited.values())
    cls._record_fields = all_fields
    cls._record_key = staticmethod(_key_of(tuple(f.name for f in all_fields if f.compare)))
    cls._record_shown = tuple(f.name for f in all_fields if f.repr)
    if "__init__" not in cls.__dict__:
        cls.__init__ = _make_init(cls, all_fields)
    for name, method in (("__repr__", _repr), ("__eq__", _eq), ("__hash__", _hash),
                         ("__setattr__", _refuse_setattr), ("__delattr__", _refuse_delattr)):
        if name not in cls.__dict__:  # a method the class defines itself wins
            setattr(cls, name, method)
    return cls


def fields(record_or_class: Any) -> tuple[Field, ...]:
    """The fields of a record or record class, in order."""
    found = getattr(record_or_class, "_record_fields", None)
    if found is None:
        raise TypeError(f"{record_or_class!r} is not a record")
    return found


def replace(instance: Record, /, **changes: Any) -> Record:
    """A copy of `instance` with `changes`, built by its class's __init__."""
    for spec in fields(instance):
        if not spec.init:
            if spec.name in changes:
                raise ValueError(f"field {spec.name} is not an __init__ field and cannot be "
                                 "replaced")
        elif spec.name not in changes:
            changes[spec.name] = getattr(instance, spec.name)
    return type(instance)(**changes)


def as_dict(instance: Any) -> dict[str, Any]:
    """{field name: value} of a record (values as they are, not converted)."""
    return {spec.name: getattr(instance, spec.name) for spec in fields(instance)}


def _make_init(cls: type, all_fields: tuple[Field, ...]) -> Callable[..., None]:
    """Compile one __init__ that checks the arguments as Python does and fills the
    instance's dict in one step (object.__setattr__ per field costs three times more)."""
    namespace: dict[str, Any] = {"MISSING": MISSING}
    parameters, assignments = [], []
    seen_default = False
    for number, spec in enumerate(all_fields):
        if spec.init:
            if spec.default is not MISSING or spec.default_factory is not MISSING:
                namespace[f"default_{number}"] = (spec.default if spec.default is not MISSING
                                                  else MISSING)
                parameters.append(f"{spec.name}=default_{number}")
                seen_default = True
            elif seen_default:
                raise TypeError(f"{cls.__name__}: non-default field {spec.name!r} follows a "
                                "field with a default")
            else:
                parameters.append(spec.name)
        if spec.default_factory is not MISSING:
            namespace[f"factory_{number}"] = spec.default_factory
            value = (f"factory_{number}() if {spec.name} is MISSING else {spec.name}"
                     if spec.init else f"factory_{number}()")
        elif spec.init:
            value = spec.name
        elif spec.default is not MISSING:
            namespace[f"default_{number}"] = spec.default
            value = f"default_{number}"
        else:
            continue  # set by __post_init__
        assignments.append(f"{spec.name!r}: {value}")
    body = f"    self.__dict__.update({{{', '.join(assignments)}}})\n"
    if hasattr(cls, "__post_init__"):
        body += "    self.__post_init__()\n"
    source = f"def __init__(self, {', '.join(parameters)}):\n{body}"
    exec(source, namespace)  # noqa: S102 - our own source, from the class's field names
    init = namespace["__init__"]
    init.__qualname__ = f"{cls.__qualname__}.__init__"
    return init


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


def _refuse_setattr(self: Any, name: str, value: Any) -> None:
    raise FrozenInstanceError(f"cannot assign to field {name!r}")


def _refuse_delattr(self: Any, name: str) -> None:
    raise FrozenInstanceError(f"cannot delete field {name!r}")
