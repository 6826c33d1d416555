"""Per-op verdicts for one target: every reason an op cannot run there, then partitioning.

1. Model requirements (full integer quantization, static shapes, an op-version ceiling,
   model checks) give model-level reasons.
2. Each op is checked against the profile: listed at all, version, tensor types, rank,
   fused activation, constant inputs, option limits, named checks. Every failing
   constraint adds a reason; none stops the others.
3. The partitioning model decides which supported ops really run on the accelerator;
   the rest fall back to the CPU (or, on a target without fallback, block the model).
4. Each reason of an op that does not run on the target, and each model-level reason,
   gets the fix for that reason: the profile's fix keyed to its code, else the default
   for the code (DEFAULT_FIXES, or the fix a named check registers).
"""
from __future__ import annotations

from functools import lru_cache
from typing import Iterator

from ..analyses.macs import op_macs
from ..analyses.runtime import min_runtime_for, registered_custom_range, registered_range
from ..model import Operator, OperatorCode, Tensor
from ..records import record, replace
from ..versions import covers, format_version, parse_version
from .checks import ModelContext, OpContext, get_check
from .partition import node_subsets, op_runs, transitions
from .profile import OpSupport, TargetProfile

ON_TARGET, CPU, BLOCKS, COMPILED = "target", "cpu", "blocks", "compiled"
QUANTIZATION_OK = {
    "full-integer": {"int8", "uint8", "int16x8", "none"},
    "float": {"float32", "float16-weights", "none"},
    "quantized": {"int8", "uint8", "int16x8", "none"},
}


def compiled_for(custom_code: str, run_targets: tuple[str, ...] = (),
                 view=None) -> str | None:
    """The accelerator a custom op is a compiled model for: the SoC a LiteRT-compiled
    model's stamp names (DISPATCH_OP), else as the profile whose compiler writes it names it
    (`[target] compiled_op` and `compiled_for`): a built-in one, or one of the run's own
    targets (a user's profile); None when no profile claims it."""
    from . import cached_profile
    from .compiled import DISPATCH_OP, compiled_model

    compiled = compiled_model(view) if view is not None and custom_code == DISPATCH_OP else None
    if compiled is not None and compiled.stamp is not None:
        return f"the {compiled.stamp.manufacturer} NPU of SoC {compiled.stamp.soc_model}"
    for name in run_targets:
        profile = cached_profile(name)
        if profile.compiled_op == custom_code and profile.compiled_for:
            return profile.compiled_for
    return _compiled_for_table().get(custom_code)


@lru_cache(maxsize=None)
def _compiled_for_table() -> dict[str, str]:
    from . import builtin_profile_names, cached_profile

    table: dict[str, str] = {}
    for stem in sorted(set(builtin_profile_names().values())):
        profile = cached_profile(stem)
        if profile.compiled_op and profile.compiled_for:
            table.setdefault(profile.compiled_op, profile.compiled_for)
    return table


@record
class Reason:
    code: str  # what failed: not-listed, version, dtype, rank, ..., or the check's name
    message: str  # tfllint's words
    tool: str | None = None  # the real tool's words, where it prints any
    fix: str | None = None  # what to do about this reason


@record
class OpVerdict:
    subgraph: int
    op_index: int
    op: str
    verdict: str  # target, cpu, blocks, compiled
    reasons: tuple[Reason, ...]
    macs: int
    fix: str | None = None  # the fixes of its reasons, each once, in reason order


@record
class TargetAnalysis:
    profile: TargetProfile
    ops: tuple[OpVerdict, ...]
    model_reasons: tuple[Reason, ...]  # requirements the model does not meet
    partitions: int  # accelerated partitions that really run on the target
    transitions: int  # CPU <-> target hand-overs in subgraph 0

    @property
    def ops_total(self) -> int:
        return len(self.ops)

    @property
    def ops_on_target(self) -> int:
        return sum(1 for v in self.ops if v.verdict in (ON_TARGET, COMPILED))

    @property
    def macs_total(self) -> int:
        return sum(v.macs for v in self.ops)

    @property
    def macs_on_target(self) -> int:
        return sum(v.macs for v in self.ops if v.verdict in (ON_TARGET, COMPILED))

    @property
    def blocked(self) -> bool:
        """The model cannot run on the target at all."""
        return bool(self.model_reasons) or any(v.verdict == BLOCKS for v in self.ops)

    @property
    def compiled(self) -> bool:
        return any(v.verdict == COMPILED for v in self.ops)


def evaluate_target(view, analyses, profile: TargetProfile, settings) -> TargetAnalysis:
    model_context = ModelContext(view, analyses, profile, settings)
    model_reasons = tuple(_with_fix(reason, profile.requirements.fixes, profile)
                          for reason in _model_reasons(model_context))
    # An op's profile entry depends only on its operator code: look each code up once.
    supports = {code: _support(profile, code) for code in view.model.operator_codes}
    by_subgraph: dict[int, list[OpVerdict]] = {}
    partitions = hand_overs = 0
    pending, seen = [0], {0}
    while pending:  # subgraph 0 and what its ops run (control-flow bodies, decompositions)
        subgraph_index = pending.pop()
        subgraph = view.model.subgraphs[subgraph_index]
        subgraph_verdicts, count, moves = _subgraph_verdicts(
            view, analyses, profile, settings, subgraph, supports)
        by_subgraph[subgraph_index] = subgraph_verdicts
        partitions += count
        if subgraph_index == 0:
            hand_overs = moves
        for op, verdict in zip(subgraph.operators, subgraph_verdicts):
            if op.opcode.name == "STABLEHLO_COMPOSITE" and \
                    verdict.verdict in (ON_TARGET, COMPILED):
                continue  # the accelerator runs the composite whole, never its decomposition
            for called in op.called_subgraphs:
                if called not in seen:
                    seen.add(called)
                    pending.append(called)
    verdicts = [verdict for index in sorted(by_subgraph) for verdict in by_subgraph[index]]
    accelerator_reasons = tuple(_with_fix(reason, profile.requirements.fixes, profile)
                                for reason in _accelerator_reasons(profile, settings, verdicts))
    if accelerator_reasons:  # nothing runs: the compile fails (CompiledModel::Create)
        model_reasons += accelerator_reasons
        verdicts = [replace(v, verdict=BLOCKS) if v.verdict == CPU else v for v in verdicts]
    return TargetAnalysis(profile=profile, ops=tuple(verdicts), model_reasons=model_reasons,
                          partitions=partitions, transitions=hand_overs)


def _subgraph_verdicts(view, analyses, profile: TargetProfile, settings, subgraph,
                       supports) -> tuple[list[OpVerdict], int, int]:
    """The verdict of each op of one subgraph, its partitions on the target and its
    CPU <-> target hand-overs."""
    subgraph_index = subgraph.index
    shared = profile.support_for("*")
    shared_fixes = shared.fixes if shared else {}
    verdicts: list[OpVerdict] = []
    reasons = {op.index: tuple(_op_reasons(OpContext(view, analyses, profile, settings, op,
                                                     supports[op.opcode])))
               for op in subgraph.operators}
    compiled = {op.index for op in subgraph.operators if _compiled_here(op, profile, view)}
    supported = {i: not r for i, r in reasons.items()}
    if profile.partitioning == "first-run" and subgraph_index != 0:
        # the Edge TPU compiler compiles one subgraph; control-flow bodies stay on the CPU
        delegated, count, moves = set(), 0, 0
        extra = {i: (Reason("other-subgraph", "only subgraph 0 is compiled",
                            profile.messages.get("after_first_unsupported")),)
                 for i, ok in supported.items() if ok}
    else:
        delegated, extra, count, moves = _partition(view, subgraph, supported, profile,
                                                    settings)
    for op in subgraph.operators:
        op_reasons = reasons[op.index] + extra.get(op.index, ())
        if op.index in compiled:
            verdict = COMPILED
        elif op.index in delegated:
            verdict = ON_TARGET
        else:
            verdict = BLOCKS if profile.fallback == "none" else CPU
        support = supports[op.opcode]
        # a listed op's fixes have the "*" ones merged in; an op the profile does not
        # list still gets the "*" ones (its "not-listed" fix, say)
        fixes = support.fixes if support else shared_fixes
        kept_reasons = () if verdict in (ON_TARGET, COMPILED) else \
            tuple(_with_fix(reason, fixes, profile, op.name) for reason in op_reasons)
        verdicts.append(OpVerdict(
            subgraph=subgraph_index, op_index=op.index, op=op.name, verdict=verdict,
            reasons=kept_reasons, macs=op_macs(view, op), fix=combined_fix(kept_reasons)))
    return verdicts, count, moves


def _accelerator_reasons(profile: TargetProfile, settings, verdicts) -> Iterator[Reason]:
    """A CompiledModel accelerator target under an accelerator set without the CPU: the
    first op it leaves off fails the whole compile (litert/runtime/compiled_model.cc
    "Some ops are not accelerated")."""
    if profile.accelerator is None:
        return
    accelerators = getattr(settings, "accelerators", None) or (profile.accelerator, "cpu")
    tool = profile.messages.get("accelerator_set_without_cpu")
    if profile.accelerator not in accelerators:
        yield Reason("no-cpu-fallback", f"the accelerator set ({','.join(accelerators)}) does "
                     f"not include {profile.accelerator}, so nothing runs on {profile.title}")
        return
    left = [v for v in verdicts if v.verdict == CPU]
    if "cpu" in accelerators or not left:
        return
    first = left[0]
    where = f"op {first.op_index} {first.op}" + \
        (f" of subgraph {first.subgraph}" if first.subgraph else "")
    others = f" (and {len(left) - 1} more op{'s' if len(left) > 2 else ''})" \
        if len(left) > 1 else ""
    why = "; ".join(reason.message for reason in first.reasons)
    yield Reason("no-cpu-fallback", f"with accelerators {','.join(accelerators)} (no CPU "
                 f"fallback) CompiledModel::Create fails for the whole model: {where} is "
                 f"left off {profile.title}{others}: {why}", tool)


# What to do about each kind of reason when the profile has no fix of its own for it:
# {op} is the op's name, {title} the target's. A named check's code gets the fix the check
# registers (checks/__init__.py). The codes here and the checks' names are the only keys a
# profile's fix table takes.
DEFAULT_FIXES = {
    # op-level reasons
    "not-listed": "Replace {op} with ops {title} runs (its profile lists them), or move it to "
                  "the end of the graph so that only it runs on the CPU.",
    "version": "Convert so that {op} gets a version {title} runs (the reason gives the "
               "range): without the tensor type or option that raised it (int16, hybrid "
               "weights, a newer option), or with an older converter.",
    "dtype": "Convert so that the tensors of {op} have a type {title} takes (the reason lists "
             "them): quantize fully, or keep the op float, as the list says.",
    "weight-dtype": "Convert so that the weights of {op} have a type {title} takes (the reason "
                    "lists them).",
    "rank": "Reshape around {op} so that none of its tensors has more dimensions than {title} "
            "takes (merge leading dimensions of size 1).",
    "fused-activation": "Apply the activation as its own op after {op} instead of fusing it, "
                        "or fuse one that {title} supports (the reason lists them).",
    "non-constant": "Make this input of {op} a constant: compute it when converting (fixed "
                    "input shapes let the converter fold it).",
    "option": "Set the option to a value {title} supports (the reason gives them), or write "
              "{op} with other ops that need no such option.",
    "partition": "Make the ops that split the graph run on {title}, so that the partitions "
                 "join into fewer, larger ones.",
    "after-first-unsupported": "Make the op this one depends on, the first after the region "
                               "that stays on the CPU, run on {title}, or move it to the end "
                               "of the graph: the compiler builds one accelerated region.",
    "other-subgraph": "Keep control flow out of the part of the model meant for {title}: "
                      "unroll the loop, or run it in the app around a loop-free model.",
    # model-level reasons
    "quantization": "Convert the model to the number format {title} computes in (the reason "
                    "says which): full integer quantization with a representative dataset, "
                    "or no quantization.",
    "dynamic-shape": "Convert with fixed input shapes: give the Keras Input a batch_size (1), "
                     "or convert a concrete function whose TensorSpec has no None dimension.",
    "op-version-ceiling": "Convert with a converter release whose op versions {title} knows "
                          "(the reason names the release).",
    "no-cpu-fallback": "Make every op run on {title} (--accelerators gpu,cpu lists each op "
                       "left off, with its fix), or add the CPU to the accelerator set the "
                       "app passes (kLiteRtHwAcceleratorCpu) so that those ops run there.",
}
MODEL_REASONS = ("quantization", "dynamic-shape", "op-version-ceiling", "no-cpu-fallback")


def reason_codes(scope: str) -> tuple[str, ...]:
    """The reason codes (named checks aside) of op-level ("op") or model-level ("model")
    reasons: the keys of a profile's op and [requirements] fix tables."""
    return tuple(code for code in DEFAULT_FIXES if (code in MODEL_REASONS) == (scope == "model"))


def default_fix(code: str) -> str:
    """The fix of a reason the profile has no fix for: DEFAULT_FIXES, else the one its
    check registers, else (a user's check that gives none) its docstring's first sentence
    as the goal."""
    if code in DEFAULT_FIXES:
        return DEFAULT_FIXES[code]
    check = get_check(code)
    if check is not None and check.fix:
        return check.fix
    rule = check.doc.split(". ")[0].rstrip(".") if check is not None and check.doc else code
    return f"Change the model so that {{title}} accepts it: {rule}."


def _with_fix(reason: Reason, fixes, profile: TargetProfile, op: str | None = None) -> Reason:
    """The reason with its own fix: the profile's for its code, else the default."""
    template = fixes.get(reason.code) or default_fix(reason.code)
    return replace(reason, fix=_fill(template, op=op, title=profile.title))


def combined_fix(reasons: tuple[Reason, ...]) -> str | None:
    """The fixes of an op's reasons, each once, in reason order: sentences, one after
    the other."""
    return " ".join(dict.fromkeys(r.fix for r in reasons if r.fix)) or None


# -- model requirements -------------------------------------------------------------------

def _model_reasons(ctx: ModelContext) -> Iterator[Reason]:
    requirements = ctx.profile.requirements
    scheme = ctx.analyses.quantization
    if requirements.quantization and scheme.scheme not in QUANTIZATION_OK[requirements.quantization]:
        wanted = {"full-integer": "fully integer quantized (int8 or uint8)",
                  "float": "a float model", "quantized": "quantized"}[requirements.quantization]
        yield Reason("quantization", f"{ctx.profile.title} needs {wanted}; this model is "
                     f"{scheme.label}", ctx.profile.messages.get("unsupported_dtype"))
    if requirements.static_shapes:
        for tensor in (ctx.view.main.tensors[i] for i in ctx.view.main.inputs):
            if tensor.is_dynamic:
                yield Reason("dynamic-shape", f"input '{tensor.name}' has dynamic shape "
                             f"{list(tensor.signature)}; {ctx.profile.title} needs static "
                             "shapes", ctx.profile.messages.get("dynamic_shape"))
    if requirements.max_runtime_version:
        ceiling = parse_version(requirements.max_runtime_version)
        for requirement in ctx.analyses.runtime.requirements:
            needed = requirement.min_runtime
            if needed and not covers(ceiling, needed):
                code = requirement.opcode
                yield Reason("op-version-ceiling", f"{code.name} version {code.version} needs "
                             f"runtime {format_version(needed)}, newer than the "
                             f"{requirements.max_runtime_version} that {ctx.profile.describes} "
                             "knows", _fill(ctx.profile.messages.get("op_version_ceiling"),
                                            op=code.name, version=code.version))
    for name in requirements.checks:
        for found in get_check(name).function(ctx):
            message, tool = _check_result(found, None)
            yield Reason(name, message, tool)


# -- one op -------------------------------------------------------------------------------

def _support(profile: TargetProfile, code: OperatorCode) -> OpSupport | None:
    """The entry for ops of this code in the profile, with the "*" entry merged in."""
    support = _listed_support(profile, code)
    shared = profile.support_for("*")
    if support is None or shared is None:
        return support
    return replace(support, checks=shared.checks + support.checks,
                   fixes={**shared.fixes, **support.fixes},
                   dtypes=support.dtypes if support.dtypes is not None else shared.dtypes,
                   max_rank=support.max_rank if support.max_rank is not None else shared.max_rank)


def _listed_support(profile: TargetProfile, code: OperatorCode) -> OpSupport | None:
    if code.name == "CUSTOM":
        support = profile.support_for(f"CUSTOM:{code.custom_code}")
        if support is None and profile.op_table == "builtin-resolver":
            registered = registered_custom_range(code.custom_code or "")
            if registered:
                return OpSupport(name=f"CUSTOM:{code.custom_code}", versions=registered)
        return support
    support = profile.support_for(code.name)
    if support is None and profile.op_table == "builtin-resolver":
        registered = registered_range(code.name)
        if registered:
            return OpSupport(name=code.name, versions=registered)
    return support


def _compiled_here(op: Operator, profile: TargetProfile, view) -> bool:
    """The op is this target's compiler output: its custom code, and for a code several
    targets share (LiteRT's DISPATCH_OP) no stamp naming another SoC manufacturer."""
    if (profile.compiled_op is None or op.opcode.name != "CUSTOM"
            or op.opcode.custom_code != profile.compiled_op):
        return False
    if profile.soc_manufacturer is None:
        return True
    from .compiled import compiled_model

    compiled = compiled_model(view)
    stamp = compiled.stamp if compiled is not None else None
    return stamp is None or stamp.manufacturer == profile.soc_manufacturer


def _op_reasons(ctx: OpContext) -> Iterator[Reason]:
    op, profile = ctx.op, ctx.profile
    if _compiled_here(op, profile, ctx.view):
        return
    if profile.absorbs_fp16_dequantize and _is_fp16_weight_dequantize(ctx):
        return  # the delegate folds float16 weights into the consumer (FP16 graph helper)
    support = ctx.support
    code = op.opcode
    if support is None or not support.supported:
        # an entry with supported = false only documents the tool's status and a fix
        tool = _fill(support.status, op=op.name, version=code.version) if support else None
        yield Reason("not-listed", _not_listed_message(op, profile, ctx.settings, ctx.view),
                     tool or _tool_message(profile, _unsupported_key(op), op))
        return
    status = _fill(support.status, op=op.name, version=code.version) \
        or _tool_message(profile, "unsupported_op", op)
    if support.versions and not support.versions[0] <= code.version <= support.versions[1]:
        low, high = support.versions
        # A resolver keys custom ops by (name, version): another version is unresolved.
        key = _unsupported_key(op) if code.name == "CUSTOM" else "unsupported_version"
        yield Reason("version", f"version {code.version}; {profile.title} runs versions "
                     f"{low}..{high}", _tool_message(profile, key, op, max=high))
    yield from _tensor_reasons(ctx, support)
    activation = op.options.get("fused_activation_function")
    if (support.fused_activations is not None and activation not in (None, "NONE")
            and activation not in support.fused_activations):
        yield Reason("fused-activation", f"fused activation {activation} is not supported "
                     f"(supported: {', '.join(support.fused_activations)})",
                     _tool_message(profile, "unsupported_activation", op))
    for position in support.constant_inputs:
        tensor = ctx.tensor(op.inputs[position]) if position < len(op.inputs) else None
        if tensor is not None and not ctx.is_constant(tensor):
            yield Reason("non-constant", f"input {position} ('{tensor.name}') must be a "
                         "constant", _tool_message(profile, "non_constant", op))
    for option, limit in support.options.items():
        value = op.options.get(option)
        if value is None:
            continue
        if ((limit.allowed is not None and value not in limit.allowed)
                or (limit.minimum is not None and value < limit.minimum)
                or (limit.maximum is not None and value > limit.maximum)):
            yield Reason("option", f"{option} = {value} is outside what {profile.title} "
                         f"supports ({_limit_text(limit)})", status)
    for name in support.checks:
        for found in get_check(name).function(ctx):
            message, tool = _check_result(found, status)
            yield Reason(name, message, tool)


def _check_result(found, status: str | None) -> tuple[str, str | None]:
    """A check yields its message, or (message, the real tool's words for this failure)."""
    if isinstance(found, tuple):
        return found
    return found, status


def _tensor_reasons(ctx: OpContext, support: OpSupport) -> Iterator[Reason]:
    profile = ctx.profile
    dtypes = support.dtypes if support.dtypes is not None else profile.dtypes
    max_rank = support.max_rank if support.max_rank is not None else profile.max_rank
    seen: set[tuple[str, str]] = set()
    status = support.status or ""  # {status} in the wording: the op's own, e.g. the QNN op
    for role, tensor in _io_tensors(ctx):
        if ctx.is_constant(tensor):
            if support.weight_dtypes is not None and tensor.dtype not in support.weight_dtypes:
                key = ("weight-dtype", tensor.dtype)
                if key not in seen:
                    seen.add(key)
                    yield Reason("weight-dtype", f"constant {role} '{tensor.name}' is "
                                 f"{tensor.dtype}; supported: {', '.join(support.weight_dtypes)}",
                                 _tool_message(profile, "unsupported_dtype", ctx.op, status=status))
            continue
        if dtypes is not None and tensor.dtype not in dtypes:
            key = ("dtype", tensor.dtype)
            if key not in seen:
                seen.add(key)
                yield Reason("dtype", f"{role} '{tensor.name}' is {tensor.dtype}; supported: "
                             f"{', '.join(dtypes)}",
                             _tool_message(profile, "unsupported_dtype", ctx.op, status=status))
        if max_rank is not None and len(tensor.shape) > max_rank:
            key = ("rank", str(len(tensor.shape)))
            if key not in seen:
                seen.add(key)
                yield Reason("rank", f"{role} '{tensor.name}' has rank {len(tensor.shape)}; "
                             f"at most {max_rank}",
                             _tool_message(profile, "unsupported_rank", ctx.op, status=status))


def _io_tensors(ctx: OpContext) -> Iterator[tuple[str, Tensor]]:
    for tensor in ctx.inputs():
        if tensor is not None:
            yield "input", tensor
    for tensor in ctx.outputs():
        yield "output", tensor


def _is_fp16_weight_dequantize(ctx: OpContext) -> bool:
    inputs = ctx.inputs()
    return (ctx.op.opcode.name == "DEQUANTIZE" and len(inputs) == 1 and inputs[0] is not None
            and inputs[0].dtype == "FLOAT16" and inputs[0].is_constant)


def _not_listed_message(op: Operator, profile: TargetProfile, settings, view) -> str:
    code = op.opcode
    if code.name == "CUSTOM":
        accelerator = compiled_for(code.custom_code or "",
                                   tuple(getattr(settings, "targets", ())), view)
        if accelerator:
            return (f"{code.custom_code} is a model already compiled for {accelerator}; "
                    f"it runs only there, not on {profile.title}")
        if code.is_flex:
            return (f"Flex op (TensorFlow op {code.custom_code[4:]}): only the Flex delegate "
                    f"runs it, not {profile.title}")
        if not code.custom_code:
            return "a custom op without a custom code: no runtime can resolve it"
        return f"custom op {code.custom_code} is not supported by {profile.title}"
    if not code.is_known:
        return (f"builtin code {code.builtin_code} is newer than the schema tfllint knows: "
                f"{profile.title} cannot resolve it")
    if profile.op_table == "builtin-resolver" and min_runtime_for(code.name, 1) is None \
            and registered_range(code.name) is None:
        return f"{code.name} has no kernel in the LiteRT builtin op resolver"
    return f"{code.name} is not supported by {profile.title}"


def _limit_text(limit) -> str:
    parts = []
    if limit.allowed is not None:
        parts.append("one of " + ", ".join(map(str, limit.allowed)))
    if limit.minimum is not None:
        parts.append(f">= {limit.minimum}")
    if limit.maximum is not None:
        parts.append(f"<= {limit.maximum}")
    return " and ".join(parts)


def _unsupported_key(op: Operator) -> str:
    """Which [messages] wording names an op the target cannot resolve at all."""
    code = op.opcode
    if not code.is_known:
        return "unknown_builtin_code"
    if code.name != "CUSTOM":
        return "unsupported_op"
    if not code.custom_code:
        return "custom_code_missing"
    return "unsupported_flex_op" if code.is_flex else "unsupported_custom_op"


# A profile that has no wording of its own for a kind of unresolved op gives it the wording
# of the more general kind. Other keys (types, rank, ...) never borrow "op not supported".
MESSAGE_FALLBACKS = {
    "unknown_builtin_code": "unsupported_op",
    "custom_code_missing": "unsupported_custom_op",
    "unsupported_flex_op": "unsupported_custom_op",
    "unsupported_custom_op": "unsupported_op",
}


def _tool_message(profile: TargetProfile, key: str, op: Operator, **extra) -> str | None:
    """The real tool's wording for `key`, filled in for this op: {op}, {version},
    {op_index}, {code} (the builtin code), and `extra` ({status}, the op's own wording, in
    the type and rank messages). An empty wording means none."""
    template = profile.messages.get(key)
    while template is None and key in MESSAGE_FALLBACKS:
        key = MESSAGE_FALLBACKS[key]
        template = profile.messages.get(key)
    return _fill(template, op=op.name, version=op.opcode.version, op_index=op.index,
                 code=op.opcode.builtin_code, **extra)


def _fill(template: str | None, **values) -> str | None:
    if not template:
        return None
    try:
        return template.format(**values)
    except (KeyError, IndexError, ValueError):
        return template


# -- partitioning -------------------------------------------------------------------------

def _partition(view, subgraph, supported: dict[int, bool], profile: TargetProfile, settings):
    """(delegated op indices, extra reasons, delegated partitions, transitions)."""
    if profile.partitioning == "none" or not subgraph.operators:
        delegated = {i for i, ok in supported.items() if ok}
        return delegated, {}, int(bool(delegated)), 0
    if profile.partitioning == "first-run":
        return _first_run(subgraph, supported, profile)
    subsets = op_runs(subgraph, supported) if profile.partitioning == "runs" \
        else node_subsets(subgraph, supported)
    accelerated = [members for kind, members in subsets if kind]
    extra: dict[int, tuple[Reason, ...]] = {}
    if profile.partitioning == "largest":
        limit = getattr(settings, "max_delegated_partitions", None) \
            or profile.max_delegated_partitions or 1
        ranked = sorted(accelerated, key=len, reverse=True)
        kept, dropped = ranked[:limit], ranked[limit:]
        for members in dropped:
            for index in members:
                extra[index] = (Reason("partition", f"supported, but in a partition of "
                                       f"{len(members)} ops outside the {limit} largest that "
                                       f"{profile.title} delegates "
                                       "(--max-delegated-partitions)"),)
        accelerated = kept
    minimum = profile.min_nodes_per_partition
    if minimum and profile.partitioning in ("largest", "all", "runs"):
        # GraphPartitionHelper::GetFirstNLargestPartitions stops at the first partition
        # smaller than min_nodes_per_partition (Core ML, Hexagon)
        for members in accelerated:
            if len(members) < minimum:
                for index in members:
                    extra[index] = (Reason("partition", f"supported, but in a partition of "
                                           f"{len(members)} op(s), fewer than the {minimum} "
                                           f"{profile.title} needs to delegate a partition "
                                           "(min_nodes_per_partition)"),)
        accelerated = [members for members in accelerated if len(members) >= minimum]
    delegated = {index for members in accelerated for index in members}
    return delegated, extra, len(accelerated), transitions(subsets, delegated)


def _first_run(subgraph, supported: dict[int, bool], profile: TargetProfile):
    """Edge TPU: one accelerated region. A supported op joins it unless it reads, directly
    or through other ops, an op left on the CPU downstream of the region; such an op stays
    on the CPU even when supported. Ops that only branch off the region still join it,
    wherever they sit in the file (google-coral/test_data movenet_single_pose_lightning:
    convolutions after CPU ARG_MAX/CAST ops in file order are compiled)."""
    delegated: set[int] = set()
    extra: dict[int, tuple[Reason, ...]] = {}
    region: set[int] = set()  # tensors the region writes
    # tensors CPU ops write after reading the region -> the unsupported op that left it
    downstream: dict[int, object] = {}
    left = False
    after = profile.messages.get("after_first_unsupported")
    for op in subgraph.operators:
        reads = [t for t in op.inputs if t >= 0]
        roots = [downstream[t] for t in reads if t in downstream]
        if supported[op.index] and not roots:
            delegated.add(op.index)
            region.update(op.outputs)
            continue
        if roots or any(t in region for t in reads):
            root = roots[0] if roots else op
            downstream.update(dict.fromkeys(op.outputs, root))
            left = left or any(t in region for t in reads)
            if supported[op.index]:
                extra[op.index] = (Reason(
                    "after-first-unsupported", f"supported, but it depends on op {root.index} "
                    f"{root.name}, which stays on the CPU after the accelerated region, and "
                    "the compiler builds only one region", after),)
    produced_on_cpu = {t for op in subgraph.operators if op.index not in delegated
                       for t in op.outputs}
    entered = any(t in produced_on_cpu for op in subgraph.operators if op.index in delegated
                  for t in op.inputs)
    return delegated, extra, int(bool(delegated)), int(entered) + int(left)
