"""TFL108: min_runtime_version metadata lower than the ops need."""
from __future__ import annotations

from typing import Iterator

from tfllint.analyses.runtime import MIN_RUNTIME_METADATA
from tfllint.engine.rule import Location, RuleContext, Violation, rule
from tfllint.errors import ConfigError
from tfllint.versions import parse_version


@rule(id="TFL108", name="declared-min-runtime-too-low", severity="warning")
def check(ctx: RuleContext) -> Iterator[Violation]:
    """The model's min_runtime_version metadata is lower than its ops need, or unreadable.

    What it finds:
        Models whose `min_runtime_version` metadata entry (written by the converter)
        names a release older than the one the model's op versions require, or holds
        something that is not a version.

    Why it matters:
        Deployment tools and app code that trust the metadata will install the model on
        runtimes that then fail to load it. A stale value usually means the model was
        edited after conversion (op versions raised, ops replaced) without updating it.

    Example:
        min_runtime_version says 1.14.0, but CONV_2D v5 needs 2.4.0.

    How to fix:
        Re-export the model so the converter recomputes the value, or update the metadata
        to the version tfllint reports.
    """
    runtime = ctx.analyses.runtime
    declared = runtime.declared_min_version
    if declared is None or runtime.required_min_version is None:
        return
    try:
        declared_version = parse_version(declared)
    except ConfigError:
        yield Violation(f"{MIN_RUNTIME_METADATA} metadata {declared!r} is not a version",
                        Location(), fix="re-export the model")
        return
    if declared_version < runtime.required_min_version:
        yield Violation(f"{MIN_RUNTIME_METADATA} metadata says {declared}, but the model's "
                        f"ops need {runtime.required_text} ({runtime.set_by()})", Location(),
                        fix=f"re-export the model, or set the metadata to {runtime.required_text}")
