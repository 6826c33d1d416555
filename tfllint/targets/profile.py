"""Target profiles: what a runtime or delegate accepts, as data (rules/targets/<name>.toml).

A profile names the ops a target runs and, per op, the constraints: op versions, tensor
types, rank, fused activations, inputs that must be constant, limits on option values,
and named checks (Python predicates, tfllint/targets/checks/) for what data cannot say.
It also says how the runtime partitions the graph, what model-level requirements the
target has, what it does with the model's inputs ([inputs]: sizes unknown until run time,
a batch above 1), its memory figures, the real tool's status wording, and its sources.
Every fact about a target is here, so a profile that extends a built-in behaves like it.
Fixes are keyed by the reason they address (`fix = { fused-activation = "..." }` on an op,
on "*" for every op, or under [requirements] for the model), so a fix is shown only when
its reason fired.
A user passes their own file with `--target ./my_npu.toml`; the same loader validates
it and names the file and key of every mistake. A profile may extend another
(`[target] extends = "ethos-u55"`) and state only what differs.
"""
from __future__ import annotations

import os
from functools import lru_cache
from typing import Any, Mapping

from ..analyses.arena import PLANNERS as ARENA_PLANNERS
from ..engine.settings import ACCELERATORS
from ..errors import ConfigError
from ..records import field, record
from ..toml_files import read_toml, shipped_file
from ..versions import parse_version

PARTITIONING = {
    "none": "the runtime itself runs every op; there is no CPU fallback",
    "first-run": "one accelerated region: supported ops join it unless they read the "
                 "output of an unsupported op that itself reads the region; all such ops "
                 "run on the CPU (Edge TPU compiler)",
    "largest": "supported ops are grouped into partitions and only the largest "
               "max-delegated-partitions are delegated (GPU delegate)",
    "all": "every partition of supported ops is delegated (NNAPI, XNNPACK)",
    "runs": "each run of consecutive supported ops, in the subgraph's op order, becomes one "
            "partition on the accelerator; every op between runs stays on the CPU (LiteRT "
            "compiler plugins: GroupPartitionsV2)",
    "islands": "every partition of supported ops runs on the accelerator; each unsupported "
               "op is a CPU island between them (Vela)",
}
# What happens to an op the target does not take.
FALLBACKS = {"cpu": "ops the target does not take run on the CPU",
             "none": "the target runs every op itself; an op it lacks stops the model"}
# How the app reaches the target: which LiteRT API or tool a profile models (`tfllint targets`).
RUNTIME_PATHS = {
    "interpreter": "the LiteRT interpreter's own kernels, no delegate",
    "classic-delegate": "a delegate applied to the LiteRT Interpreter, which partitions the "
                        "graph and leaves the rest to the CPU kernels",
    "compiledmodel-accelerator": "an accelerator of LiteRT's CompiledModel API: the GPU "
                                 "(ML Drift) or an NPU through the vendor's compiler plugin, "
                                 "ahead of time or on the device",
    "offline-compiler": "a compiler run before deployment, whose output the device runs",
    "micro-interpreter": "the TFLite Micro interpreter on a microcontroller",
}
# [inputs] dynamic: what the target does with an input dimension unknown until run time
# (-1 in shape_signature), for a target that does not require static shapes (TFL501).
DYNAMIC_INPUTS = {
    "resize": "the interpreter runs the model at whatever size an input is resized to "
              "(LiteRT CPU)",
    "reshape": "the delegate follows each resize by reshaping what it built (XNNPACK)",
    "static-only": "the delegate takes only static-sized tensors: each resize undoes it, "
                   "allocate_tensors() applies it again, and it is refused when a size "
                   "depends on values computed at run time (GPU, Core ML, NNAPI, Hexagon)",
    "placeholder": "only the file's `shape` is read: the model always runs at the "
                   "placeholder size and cannot be resized (TFLite Micro)",
    "first-dimension": "a -1 batch is compiled as 1, and ops that touch any other dynamic "
                       "dimension run on the CPU (Vela)",
}
QUANTIZATION_REQUIREMENTS = ("full-integer", "float", "quantized")
OP_KEYS = {"versions", "dtypes", "weight_dtypes", "max_rank", "fused_activations",
           "constant_inputs", "options", "checks", "status", "fix", "note", "supported"}


@record
class OptionLimit:
    """Allowed values of one builtin option: a set (`in`) or a numeric range."""

    allowed: tuple[Any, ...] | None = None
    minimum: float | None = None
    maximum: float | None = None


@record
class OpSupport:
    """What a target accepts for one op (builtin name, or CUSTOM:<custom code>)."""

    name: str
    versions: tuple[int, int] | None = None  # inclusive; None: any version
    dtypes: tuple[str, ...] | None = None  # non-constant inputs and outputs; None: profile's
    weight_dtypes: tuple[str, ...] | None = None  # constant inputs; None: not checked
    max_rank: int | None = None  # None: the profile's
    fused_activations: tuple[str, ...] | None = None
    constant_inputs: tuple[int, ...] = ()  # input positions that must hold constant data
    options: Mapping[str, OptionLimit] = field(default_factory=dict)
    checks: tuple[str, ...] = ()
    status: str | None = None  # the real tool's wording when it rejects this op
    fixes: Mapping[str, str] = field(default_factory=dict)  # reason code -> fix
    note: str | None = None
    # False: an op the target does not run, listed only for its status and fix.
    supported: bool = True


@record
class ModelRequirements:
    quantization: str | None = None  # full-integer, float, quantized
    static_shapes: bool = False
    max_runtime_version: str | None = None  # op versions newer than this release fail
    checks: tuple[str, ...] = ()
    fixes: Mapping[str, str] = field(default_factory=dict)  # reason code -> fix


@record
class BatchOne:
    """Inputs on which the target expects batch 1 (TFL502): a fixed first dimension above 1
    on an input of rank min_rank..max_rank, with why ({rank}: the input's rank)."""

    reason: str
    min_rank: int = 2
    max_rank: int | None = None  # None: no upper bound


@record
class InputBehaviour:
    """What the target does with the model's inputs ([inputs] of a profile)."""

    dynamic: str | None = None  # a DYNAMIC_INPUTS key; None: not described
    dynamic_note: str | None = None  # the setting that changes it, or how it does it
    batch_one: BatchOne | None = None  # None: any batch


@record
class KnownBug:
    """A failure reported against a release of the target ([bugs.<key>] of a profile): the
    op check that finds its static precondition, the releases it was reported on, and
    the report (TFL306)."""

    key: str
    check: str  # an op check: yields a message where the precondition holds
    releases: tuple[str, ...]  # the target releases it was reported on
    issue: str  # where it was reported, e.g. "google-ai-edge/LiteRT#9272"
    effect: str  # one of BUG_EFFECTS
    summary: str
    fix: str | None = None


BUG_EFFECTS = {"wrong-results": "computes wrong results without an error",
               "compile-fails": "fails to compile the whole model"}


@record
class TargetProfile:
    name: str
    title: str
    describes: str  # the tool or runtime release the profile describes
    partitioning: str
    fallback: str  # "cpu": unsupported ops run on the CPU; "none": the model cannot run
    ops: Mapping[str, OpSupport]
    aliases: tuple[str, ...] = ()
    op_table: str = "listed"  # "listed", or "builtin-resolver": every op LiteRT registers
    dtypes: tuple[str, ...] | None = None  # default for every op
    max_rank: int | None = None  # default for every op
    max_delegated_partitions: int | None = None
    min_nodes_per_partition: int | None = None  # smaller partitions stay on the CPU
    absorbs_fp16_dequantize: bool = False
    compiled_op: str | None = None  # custom code of this target's compiler output
    # a compiled_op shared by several targets (LiteRT's DISPATCH_OP) is this target's only
    # when the model's LiteRtStamp names this SoC manufacturer (tfllint.targets.compiled)
    soc_manufacturer: str | None = None
    # the SoCs whose verdicts this profile describes (--soc picks among the profiles of one
    # soc_manufacturer); empty: the target does not depend on the SoC
    socs: tuple[str, ...] = ()
    # what other targets call the accelerator a compiled_op op was compiled for
    compiled_for: str | None = None
    # whose arena planning the model's activations get: "tflm" for TFLite Micro and what
    # runs on it, "litert" for the LiteRT interpreter (tfllint.analyses.arena.PLANNERS)
    arena_planner: str = "litert"
    requirements: ModelRequirements = field(default_factory=ModelRequirements)
    inputs: InputBehaviour = field(default_factory=InputBehaviour)
    messages: Mapping[str, str] = field(default_factory=dict)
    memory: Mapping[str, int] = field(default_factory=dict)
    deprecated: str | None = None
    sources: tuple[str, ...] = ()
    runtime_path: str | None = None  # a RUNTIME_PATHS key
    cannot_know: tuple[str, ...] = ()  # what the file alone cannot tell about this target
    path: str = ""
    # the CompiledModel accelerator the profile models ("gpu", "npu"): with --accelerators
    # lacking "cpu", an op it leaves off fails the whole compile; None: not such a target
    accelerator: str | None = None
    release: str | None = None  # the release of the target whose rules the profile holds
    bugs: tuple[KnownBug, ...] = ()  # failures reported against releases of the target

    def support_for(self, op_name: str) -> OpSupport | None:
        return self.ops.get(op_name)


# -- loading ------------------------------------------------------------------------------

@lru_cache(maxsize=None)
def builtin_profile_names() -> dict[str, str]:
    """Every built-in target name and alias, mapped to its profile's file stem."""
    names: dict[str, str] = {}
    for file_name in sorted(os.listdir(shipped_file("targets"))):
        if file_name.endswith(".toml"):
            document = read_toml(shipped_file("targets", file_name), file_name)
            stem = file_name[:-5]
            names[stem] = stem
            for alias in document.get("target", {}).get("aliases", []):
                names[alias] = stem
    return names


def load_target(name_or_path: str) -> TargetProfile:
    """A built-in target by name or alias, or a profile file given by path."""
    return profile_from_document(*_read_profile(name_or_path, "--target"))


def _is_path(name_or_path: str) -> bool:
    return name_or_path.endswith(".toml") or "/" in name_or_path or "\\" in name_or_path


def _read_profile(name_or_path: str, asked_by: str) -> tuple[dict[str, Any], str]:
    """(parsed document, where it came from) of a built-in target or a profile file."""
    if _is_path(name_or_path):
        try:
            return read_toml(name_or_path, name_or_path), name_or_path
        except OSError as error:
            raise ConfigError(f"{asked_by} {name_or_path}: {error.strerror or error}") from None
    if os.path.isfile(shipped_file("targets", f"{name_or_path.lower()}.toml")):
        stem = name_or_path.lower()  # a name, not an alias: no need to read every profile
    else:
        names = builtin_profile_names()
        stem = names.get(name_or_path.lower())
    if stem is None:
        names = builtin_profile_names()
        raise ConfigError(f"{'' if asked_by == '--target' else asked_by + ': '}unknown target "
                          f"{name_or_path!r}; built-in targets: "
                          f"{', '.join(sorted(set(names.values())))} (or a profile .toml path)")
    return (read_toml(shipped_file("targets", f"{stem}.toml"), f"{stem}.toml"),
            f"tfllint.rules/targets/{stem}.toml")


# Keys of [target] that name one profile; a profile that extends another never inherits them.
NOT_INHERITED = ("name", "aliases", "deprecated", "extends")


def _resolve_extends(document: Mapping[str, Any], where: str,
                     chain: tuple[str, ...] = ()) -> Mapping[str, Any]:
    """The document merged over the profile its [target].extends names, recursively.

    Tables merge key by key (an [ops.X] table in the extending profile changes only the
    keys it sets, and its fix table only the reasons it names); any other value, lists
    included, replaces the base's. An empty string clears an op's inherited status or note,
    `fix = ""` all of its fixes and `fix = { dtype = "" }` one. The base is a built-in
    target name or a .toml path, relative to the extending file.
    """
    target = document.get("target")
    base_name = target.get("extends") if isinstance(target, Mapping) else None
    if base_name is None:
        return document
    if not isinstance(base_name, str) or not base_name:
        raise ConfigError(f"{where} [target].extends must be a target name or a profile path, "
                          f"got {base_name!r}")
    if _is_path(base_name) and not os.path.isabs(base_name) and os.path.isfile(where):
        base_name = os.path.normpath(os.path.join(os.path.dirname(where), base_name))
    base, base_where = _read_profile(base_name, f"{where} [target].extends")
    if _identity(base_where) in {_identity(seen) for seen in (*chain, where)}:
        raise ConfigError(f"{where} [target].extends: the profiles extend each other: "
                          f"{' -> '.join((*chain, where, base_where))}")
    base = _resolve_extends(base, base_where, (*chain, where))
    if not isinstance(base.get("target", {}), Mapping):
        raise ConfigError(f"{base_where} [target] must be a table")
    base_target = {key: value for key, value in base.get("target", {}).items()
                   if key not in NOT_INHERITED}
    base = {**base, "target": base_target}
    inputs = document.get("inputs")
    if isinstance(inputs, Mapping) and "dynamic" in inputs and "dynamic_note" not in inputs \
            and isinstance(base.get("inputs"), Mapping):
        # the note qualifies the behaviour it came with: a new behaviour does not keep it
        base["inputs"] = {k: v for k, v in base["inputs"].items() if k != "dynamic_note"}
    return _merge_tables(base, document)


def _identity(where: str) -> str:
    """One name per profile file, however the path to it is spelled."""
    return os.path.realpath(where) if os.path.isfile(where) else where


def _merge_tables(base: Mapping[str, Any], over: Mapping[str, Any]) -> dict[str, Any]:
    merged = dict(base)
    for key, value in over.items():
        if isinstance(value, Mapping) and isinstance(merged.get(key), Mapping):
            merged[key] = _merge_tables(merged[key], value)
        else:
            merged[key] = value
    return merged


class _Reader:
    """Typed access to one TOML table that names the file and key of every mistake."""

    def __init__(self, table: Mapping[str, Any], where: str, known: set[str]) -> None:
        if not isinstance(table, Mapping):
            raise ConfigError(f"{where} must be a table")
        unknown = set(table) - known
        if unknown:
            raise ConfigError(f"{where}: unknown key(s) {', '.join(sorted(unknown))}; "
                              f"known: {', '.join(sorted(known))}")
        self.table, self.where = table, where

    def get(self, key: str, kind: type | tuple[type, ...], default: Any = None) -> Any:
        value = self.table.get(key, default)
        if value is not None and not isinstance(value, kind):
            names = kind.__name__ if isinstance(kind, type) else "/".join(k.__name__ for k in kind)
            raise ConfigError(f"{self.where}.{key} must be {names}, got {value!r}")
        return value

    def strings(self, key: str) -> tuple[str, ...] | None:
        value = self.get(key, list)
        if value is None:
            return None
        if not all(isinstance(item, str) for item in value):
            raise ConfigError(f"{self.where}.{key} must be a list of strings")
        return tuple(value)

    def choice(self, key: str, choices, default: str | None = None) -> str | None:
        value = self.get(key, str, default)
        if value is not None and value not in choices:
            raise ConfigError(f"{self.where}.{key} must be one of {', '.join(choices)}, "
                              f"got {value!r}")
        return value


def profile_from_document(document: Mapping[str, Any], where: str) -> TargetProfile:
    from .checks import check_problem, known_check

    document = _resolve_extends(document, where)
    top = _Reader(document, where, {"target", "requirements", "inputs", "messages", "memory",
                                    "ops", "bugs"})
    target = _Reader(top.get("target", dict, {}), f"{where} [target]",
                     {"name", "title", "describes", "aliases", "partitioning", "fallback",
                      "op_table", "dtypes", "max_rank", "max_delegated_partitions",
                      "min_nodes_per_partition", "absorbs_fp16_dequantize", "compiled_op",
                      "soc_manufacturer", "socs",
                      "compiled_for", "arena_planner", "deprecated", "sources", "extends",
                      "runtime_path", "cannot_know", "accelerator", "release"})
    name = target.get("name", str)
    if not name:
        raise ConfigError(f"{where} [target]: name is required")
    requirements = _Reader(top.get("requirements", dict, {}), f"{where} [requirements]",
                           {"quantization", "static_shapes", "max_runtime_version", "checks",
                            "fix"})
    model_checks = requirements.strings("checks") or ()
    ops = {op_name: _op_support(op_name, table, f"{where} [ops.{op_name}]")
           for op_name, table in top.get("ops", dict, {}).items()}
    bugs = tuple(_known_bug(key, table, f"{where} [bugs.{key}]")
                 for key, table in top.get("bugs", dict, {}).items())
    for check in (*model_checks, *(c for op in ops.values() for c in op.checks),
                  *(bug.check for bug in bugs)):
        if not known_check(check):
            raise ConfigError(f"{where}: {check_problem(check) or f'unknown check {check!r}'}")
    memory = top.get("memory", dict, {})
    if not all(isinstance(v, int) for v in memory.values()):
        raise ConfigError(f"{where} [memory]: values must be integers (bytes)")
    messages = top.get("messages", dict, {})
    if not all(isinstance(v, str) for v in messages.values()):
        raise ConfigError(f"{where} [messages]: values must be strings")
    return TargetProfile(
        name=name, title=target.get("title", str, name),
        describes=target.get("describes", str, ""),
        partitioning=target.choice("partitioning", tuple(PARTITIONING), "none"),
        fallback=target.choice("fallback", FALLBACKS, "cpu"),
        ops=ops, aliases=target.strings("aliases") or (),
        op_table=target.choice("op_table", ("listed", "builtin-resolver"), "listed"),
        dtypes=target.strings("dtypes"), max_rank=target.get("max_rank", int),
        max_delegated_partitions=target.get("max_delegated_partitions", int),
        min_nodes_per_partition=target.get("min_nodes_per_partition", int),
        absorbs_fp16_dequantize=target.get("absorbs_fp16_dequantize", bool, False),
        compiled_op=target.get("compiled_op", str),
        soc_manufacturer=target.get("soc_manufacturer", str),
        socs=tuple(soc.upper() for soc in target.strings("socs") or ()),
        compiled_for=target.get("compiled_for", str),
        arena_planner=target.choice("arena_planner", ARENA_PLANNERS, "litert"),
        requirements=ModelRequirements(
            quantization=requirements.choice("quantization", QUANTIZATION_REQUIREMENTS),
            static_shapes=requirements.get("static_shapes", bool, False),
            max_runtime_version=requirements.get("max_runtime_version", str),
            checks=model_checks,
            fixes=_fix_table(requirements.table.get("fix", {}), f"{where} [requirements]",
                             "model")),
        inputs=_input_behaviour(top.get("inputs", dict, {}), f"{where} [inputs]"),
        messages=dict(messages), memory=dict(memory),
        deprecated=target.get("deprecated", str), sources=target.strings("sources") or (),
        runtime_path=target.choice("runtime_path", tuple(RUNTIME_PATHS)),
        cannot_know=target.strings("cannot_know") or (), path=where,
        accelerator=target.choice("accelerator", ACCELERATORS),
        release=target.get("release", str), bugs=bugs)


def _known_bug(key: str, table: Any, where: str) -> KnownBug:
    bug = _Reader(table, where, {"check", "releases", "issue", "effect", "summary", "fix"})
    releases = bug.strings("releases")
    for name in ("check", "issue", "summary"):
        if not bug.get(name, str):
            raise ConfigError(f"{where}.{name} is required")
    if not releases:
        raise ConfigError(f"{where}.releases must list the releases it was reported on")
    for release in releases:
        parse_version(release, f"{where}.releases entry")
    return KnownBug(key=key, check=bug.get("check", str), releases=releases,
                    issue=bug.get("issue", str),
                    effect=bug.choice("effect", tuple(BUG_EFFECTS), "wrong-results"),
                    summary=bug.get("summary", str), fix=bug.get("fix", str))


def _input_behaviour(table: Any, where: str) -> InputBehaviour:
    inputs = _Reader(table, where, {"dynamic", "dynamic_note", "batch_one"})
    batch_one = inputs.get("batch_one", (dict, bool))
    if batch_one is True:
        raise ConfigError(f"{where}.batch_one must be a table {{ min_rank, max_rank, reason }}, "
                          "or false for a profile that extends one with it and takes any batch")
    if batch_one is False:  # clears what the extended profile says
        batch_one = None
    elif batch_one is not None:
        limits = _Reader(batch_one, f"{where}.batch_one", {"min_rank", "max_rank", "reason"})
        reason = limits.get("reason", str)
        if not reason:
            raise ConfigError(f"{where}.batch_one.reason is required: why the target expects "
                              "batch 1")
        batch_one = BatchOne(reason=reason, min_rank=limits.get("min_rank", int, 2),
                             max_rank=limits.get("max_rank", int))
        if batch_one.min_rank < 1 or (batch_one.max_rank is not None
                                      and batch_one.max_rank < batch_one.min_rank):
            raise ConfigError(f"{where}.batch_one: min_rank must be at least 1 and max_rank "
                              f"at least min_rank, got {batch_one.min_rank} and "
                              f"{batch_one.max_rank}")
    return InputBehaviour(dynamic=inputs.choice("dynamic", tuple(DYNAMIC_INPUTS)),
                          dynamic_note=inputs.get("dynamic_note", str) or None,
                          batch_one=batch_one)


def _op_support(name: str, table: Any, where: str) -> OpSupport:
    op = _Reader(table, where, OP_KEYS)
    versions = op.get("versions", (list, int))
    if isinstance(versions, int):
        versions = [1, versions]
    if versions is not None and (len(versions) != 2 or not all(isinstance(v, int) for v in versions)
                                 or versions[0] > versions[1]):
        raise ConfigError(f"{where}.versions must be a maximum or [min, max], got {versions!r}")
    options = {}
    for option_name, limit in (op.get("options", dict, {}) or {}).items():
        limit_reader = _Reader(limit, f"{where}.options.{option_name}", {"in", "min", "max"})
        allowed = limit_reader.get("in", list)
        options[option_name] = OptionLimit(
            allowed=tuple(allowed) if allowed is not None else None,
            minimum=limit_reader.get("min", (int, float)),
            maximum=limit_reader.get("max", (int, float)))
    constant_inputs = op.get("constant_inputs", list, [])
    if not all(isinstance(i, int) for i in constant_inputs):
        raise ConfigError(f"{where}.constant_inputs must be a list of input positions")
    supported = op.get("supported", bool, True)
    return OpSupport(
        name=name, versions=tuple(versions) if versions else None,
        dtypes=op.strings("dtypes"), weight_dtypes=op.strings("weight_dtypes"),
        max_rank=op.get("max_rank", int), fused_activations=op.strings("fused_activations"),
        constant_inputs=tuple(constant_inputs), options=options,
        checks=op.strings("checks") or (),
        # "" clears a text that the profile this one extends gives
        status=op.get("status", str) or None, note=op.get("note", str) or None,
        fixes=_fix_table(op.table.get("fix", {}), where, "op", supported),
        supported=supported)


def _fix_table(value: Any, where: str, scope: str, supported: bool = True) -> dict[str, str]:
    """A `fix` value as {reason code: fix}, every code one that `scope` ("op" or "model")
    can give; "" drops a fix the extended profile gives. A plain string on an op is its
    "not-listed" fix: the only reason an op the target does not run (`supported = false`)
    has. On a supported op that reason never fires, so a string there would never be shown
    (an old profile whose one fix served every reason): it is refused, with the codes to
    key it by."""
    from .checks import get_check
    from .evaluate import reason_codes

    codes = reason_codes(scope)
    if value == "":
        return {}
    if isinstance(value, str) and scope == "op":
        if supported:
            raise ConfigError(
                f"{where}.fix: a plain string is the fix for an op the target does not run "
                "(supported = false); this op is supported, so key each fix by the reason "
                f"it addresses, e.g. fix = {{ dtype = \"...\" }} (reason codes: "
                f"{', '.join(codes)}, or the name of a check)")
        value = {"not-listed": value}
    if not isinstance(value, Mapping):
        raise ConfigError(f"{where}.fix must be a table of reason code = fix, got {value!r}")
    for code, text in value.items():
        if not isinstance(text, str):
            raise ConfigError(f"{where}.fix.{code} must be a string, got {text!r}")
        check = None if code in codes else get_check(code)
        if code not in codes and (check is None or check.scope != scope):
            article = "an" if scope == "op" else "a"
            raise ConfigError(f"{where}.fix: unknown reason code {code!r}; a fix is keyed by "
                              f"one of {', '.join(codes)}, or the name of {article} {scope} "
                              "check")
    return {code: text for code, text in value.items() if text}
