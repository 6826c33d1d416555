"""Checks of the stock LiteRT CPU runtime (profile rules/targets/cpu.toml)."""
from __future__ import annotations

from typing import Iterator

from ...analyses.runtime import min_runtime_for
from ...versions import covers, format_version
from . import OpContext, op_check


@op_check("cpu-runtime-release")
def runtime_release(ctx: OpContext) -> Iterator[str]:
    """With --runtime-version, the op version must have run in that release or earlier
    (runtime_version.cc): an older runtime fails to load the model."""
    runtime = getattr(ctx.settings, "runtime_version", None)
    code = ctx.op.opcode
    needed = min_runtime_for(code.name, code.version) if runtime else None
    if needed and not covers(runtime, needed):
        yield (f"version {code.version} needs runtime >= {format_version(needed)}; "
               f"runtime {format_version(runtime)} does not register it")
