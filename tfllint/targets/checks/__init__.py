"""Named checks: target constraints too complex for profile data, as Python predicates.

An op check receives an OpContext and yields one message per problem (nothing when the
op is fine); a model check receives a ModelContext the same way. Built-in checks live in
this package, one module per target family, and are registered by name:

    @op_check("coral-same-dilation")
    def same_dilation(ctx: OpContext) -> Iterator[str]:
        '''Edge TPU convolutions need the same dilation in x and y.'''

Where the real tool words each failure differently, a check may yield (message, tool
words) instead; a plain message gets the op's `status` (or the profile's unsupported_op).

Every check says how to fix what it finds, `fix` in its registration:

    @op_check("coral-same-dilation", fix="Use the same dilation factor for height and width.")

That is the default fix of the reasons it gives (placeholders {op} and {title}); a profile
can give its own per op (`fix = { coral-same-dilation = "..." }`).

A user profile may also name a check as "package.module:function"; its fix is the
function's `fix` attribute, if it has one.
"""
from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any, Callable, Iterable

from ...entry_points import package_modules
from ...records import record

if TYPE_CHECKING:
    from ...analyses import Analyses
    from ...model import Operator, Tensor
    from ...view import ModelView
    from ..profile import OpSupport, TargetProfile


@record
class ModelContext:
    view: ModelView
    analyses: Analyses
    profile: TargetProfile
    settings: Any  # engine Settings: android_api, runtime_version, ...


@record
class OpContext(ModelContext):
    op: Operator
    support: OpSupport | None = None  # the op's entry in the profile, "*" merged in

    def tensor(self, index: int) -> Tensor | None:
        return None if index < 0 else self.view.tensor(self.op.subgraph, index)

    def inputs(self) -> list[Tensor | None]:
        return [self.tensor(i) for i in self.op.inputs]

    def outputs(self) -> list[Tensor]:
        return [self.view.tensor(self.op.subgraph, i) for i in self.op.outputs]

    def is_constant(self, tensor: Tensor | None) -> bool:
        """Constant data in the file; on a target that folds float16 weights, also the
        output of a DEQUANTIZE of a constant FLOAT16 tensor: the delegate points its
        consumers at the float16 constant (FP16GraphPartitionHelper)."""
        if tensor is None:
            return False
        if tensor.is_constant:
            return True
        if not self.profile.absorbs_fp16_dequantize or tensor.dtype != "FLOAT32":
            return False
        producer = self.view.producer(self.op.subgraph, tensor.index)
        if producer is None or producer.opcode.name != "DEQUANTIZE" or len(producer.inputs) != 1:
            return False
        source = self.tensor(producer.inputs[0])
        return source is not None and source.dtype == "FLOAT16" and source.is_constant


@record
class Check:
    name: str
    scope: str  # "op" or "model"
    function: Callable[[Any], Iterable[str]]
    fix: str | None = None  # the default fix of the reasons it gives

    @property
    def doc(self) -> str:
        return (self.function.__doc__ or "").strip()


_CHECKS: dict[str, Check] = {}
_BUILTINS_LOADED = False


def _register(name: str, scope: str, fix: str | None):
    def register(function):
        if name in _CHECKS:
            raise ValueError(f"check {name!r} is registered twice")
        _CHECKS[name] = Check(name, scope, function, fix)
        return function
    return register


def op_check(name: str, fix: str | None = None):
    """Register an op check under `name`, with the fix of what it finds."""
    return _register(name, "op", fix)


def model_check(name: str, fix: str | None = None):
    """Register a model check under `name`, with the fix of what it finds."""
    return _register(name, "model", fix)


def _load_builtins() -> None:
    global _BUILTINS_LOADED
    if not _BUILTINS_LOADED:
        _BUILTINS_LOADED = True
        for name in package_modules(__path__):
            importlib.import_module(f"{__name__}.{name}")


def _builtin_module(name: str) -> str:
    """The module a built-in check's name says it lives in: its first word names the
    target family ("coral-same-dilation" in coral.py, "ethos-u55-..." in ethos_u.py);
    checks that no family owns are in common.py."""
    family = name.split("-", 1)[0]
    return "ethos_u" if family == "ethos" else family


def _load_builtin(name: str) -> None:
    """Import the module that defines check `name`, and only that one: a run with one
    target then imports that target's checks (the Ethos-U checks import numpy, a tenth
    of a second). A name that the convention does not find loads every module."""
    for module in (_builtin_module(name), "common"):
        try:
            importlib.import_module(f"{__name__}.{module}")
        except ModuleNotFoundError as error:
            if error.name != f"{__name__}.{module}":
                raise
        if name in _CHECKS:
            return
    _load_builtins()


def get_check(name: str) -> Check | None:
    if name not in _CHECKS and ":" not in name:
        _load_builtin(name)
    if name not in _CHECKS and ":" in name:
        module_name, _, function_name = name.partition(":")
        # A user profile's own check: the one place where tfllint imports and runs code a
        # configuration names (README, "Untrusted models"); never a name from a model.
        try:
            module = importlib.import_module(module_name)
        except Exception as error:  # noqa: BLE001 - any failure of the user's import
            _PROBLEMS[name] = f"importing {module_name} failed ({type(error).__name__}: {error})"
            return None
        function = getattr(module, function_name, None)
        if not callable(function):
            _PROBLEMS[name] = f"module {module_name} has no function {function_name!r}"
            return None
        _CHECKS[name] = Check(name, getattr(function, "scope", "op"), function,
                              getattr(function, "fix", None))
    return _CHECKS.get(name)


_PROBLEMS: dict[str, str] = {}  # module:function check -> why it could not be loaded


def check_problem(name: str) -> str | None:
    """Why check `name` is unknown: for a `module:function` check, the import error or the
    missing function, said as such; None for an unknown built-in name."""
    if get_check(name) is not None:
        return None
    if name in _PROBLEMS:
        return (f"check {name!r} is a module:function check, which tfllint imports and "
                f"runs: {_PROBLEMS[name]}")
    return None


def known_check(name: str) -> bool:
    return get_check(name) is not None


def all_checks() -> dict[str, Check]:
    _load_builtins()
    return dict(_CHECKS)
