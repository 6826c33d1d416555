"""TFL107: the minimum runtime release the model needs (when none was named)."""
from __future__ import annotations

from typing import Iterator

from tfllint.engine.rule import Location, RuleContext, Violation, rule


@rule(id="TFL107", name="minimum-runtime-version", severity="info")
def check(ctx: RuleContext) -> Iterator[Violation]:
    """The oldest LiteRT/TFLite release that can run the model, when --runtime-version is unset.

    What it finds:
        The highest "first release" over all the model's op versions, from the
        converter's table (runtime_version.cc), and the op versions that set it. It
        reports nothing when `--runtime-version` is given: TFL106 then checks it.

    Why it matters:
        Whether the model loads depends on the runtime the app ships, which the model
        file cannot know. Knowing the minimum lets you compare it with your app's
        dependency (e.g. `org.tensorflow:tensorflow-lite:2.11.0`) before deploying.

    Example:
        the model needs runtime >= 2.17.0 (FULLY_CONNECTED v12).

    How to fix:
        Nothing to fix: pass `--runtime-version X.Y` (or set runtime-version in the
        config) to have tfllint check the release you ship.
    """
    runtime = ctx.analyses.runtime
    if ctx.settings.runtime_version is not None or runtime.required_min_version is None:
        return
    yield Violation(f"the model needs LiteRT/TFLite runtime >= {runtime.required_text} "
                    f"(set by {runtime.set_by()})", Location(),
                    fix="pass --runtime-version with the release your app ships to check it")
