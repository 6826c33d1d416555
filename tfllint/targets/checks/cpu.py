"""Checks of the stock LiteRT CPU runtime (profile rules/targets/cpu.toml)."""
from __future__ import annotations

from typing import Iterator

from ...analyses.runtime import min_runtime_for, registered_range
from ...versions import covers, format_version
from . import ModelContext, OpContext, model_check, op_check


@op_check("cpu-runtime-release",
          fix="Deploy a runtime at least as new as the release the reason names, or convert with "
              "a converter no newer than the runtime you ship (--runtime-version).")
def runtime_release(ctx: OpContext) -> Iterator[str]:
    """With --runtime-version, the op version must have run in that release or earlier
    (runtime_version.cc): an older runtime fails to load the model."""
    runtime = getattr(ctx.settings, "runtime_version", None)
    code = ctx.op.opcode
    needed = min_runtime_for(code.name, code.version) if runtime else None
    if needed and not covers(runtime, needed):
        yield (f"version {code.version} needs runtime >= {format_version(needed)}; "
               f"runtime {format_version(runtime)} does not register it")


@model_check("cpu-every-operator-code-resolves",
             fix="Deploy a runtime that registers every operator code in the file, or convert "
                 "again so that the file lists no code without a kernel (the interpreter "
                 "resolves unused codes too).")
def every_operator_code_resolves(ctx: ModelContext) -> Iterator[tuple[str, str | None]]:
    """Every builtin operator code in the file must have a kernel, even one no op that runs
    uses: the interpreter resolves them all before it builds any subgraph
    (interpreter_builder.cc BuildLocalIndexToRegistrationMapping, op_resolver.cc
    GetRegistrationFromOpCode) and refuses the model at the first that fails. Codes of ops
    that run are judged per op; an unresolved custom code only fails when an op using it is
    prepared, so unused ones do not count, unless the code has no custom name at all."""
    view, messages = ctx.view, ctx.profile.messages
    running = {op.opcode.index for index in view.reachable_subgraphs
               for op in view.model.subgraphs[index].operators}
    runtime = getattr(ctx.settings, "runtime_version", None)
    for code in view.model.operator_codes:
        if code.index in running or (code.name == "CUSTOM" and code.custom_code is not None):
            continue
        where = (f"operator code {code.index} ({code.name} version {code.version}), which no "
                 "op that runs uses,")
        if code.name == "CUSTOM":
            yield (f"{where} is CUSTOM without a custom code; the model fails to load",
                   messages.get("custom_code_missing"))
            continue
        if not code.is_known:
            yield (f"{where} has builtin code {code.builtin_code}, past the schema this "
                   "runtime knows; the model fails to load",
                   _fill(messages.get("unknown_builtin_code"), code=code.builtin_code))
            continue
        not_found = _fill(messages.get("unsupported_version"), op=code.name,
                          version=code.version)
        registered = registered_range(code.name)
        needed = min_runtime_for(code.name, code.version) if runtime else None
        if registered is None:
            yield (f"{where} has no kernel in the builtin op resolver; the model fails to "
                   "load", not_found)
        elif not registered[0] <= code.version <= registered[1]:
            yield (f"{where} is not registered (versions {registered[0]}..{registered[1]} "
                   "are); the model fails to load", not_found)
        elif needed and not covers(runtime, needed):
            yield (f"{where} needs runtime >= {format_version(needed)}; runtime "
                   f"{format_version(runtime)} fails to load the model", not_found)


def _fill(template: str | None, **values) -> str | None:
    return template.format(**values) if template else None
