"""`tfllint targets`: the built-in targets, what each describes, and how it partitions."""
from __future__ import annotations

import textwrap

from tabulate import tabulate

from . import builtin_profile_names, cached_profile
from .profile import FALLBACKS, PARTITIONING, RUNTIME_PATHS, TargetProfile


def render_targets() -> str:
    """One row per built-in target; `tfllint targets NAME` tells the rest."""
    names = builtin_profile_names()
    rows = []
    for stem in sorted(set(names.values())):
        profile = cached_profile(stem)
        describes = profile.describes + (f" (deprecated: {profile.deprecated})"
                                         if profile.deprecated else "")
        rows.append([profile.name, ", ".join(profile.aliases), profile.title,
                     (profile.runtime_path or "").replace("-", " "), describes, _runs(profile),
                     profile.partitioning, "CPU" if profile.fallback == "cpu" else "none"])
    table = tabulate(rows, headers=["target", "aliases", "what", "path", "describes", "runs",
                                    "partitioning", "fallback"],
                     maxcolwidths=[None, 12, 24, 13, 44, None, None, None])
    return table + "\n\n`tfllint targets NAME` for a target's sources and what it cannot know.\n"


def render_target(profile: TargetProfile, width: int = 100) -> str:
    """Everything a profile says about itself: the path it models, the release and sources
    it describes, how it partitions, and what the file alone cannot tell."""
    def field(label: str, text: str) -> list[str]:
        return textwrap.wrap(text, width, initial_indent=f"{label:<14}",
                             subsequent_indent=" " * 14) or [label]

    lines = field(profile.name, profile.title)
    if profile.aliases:
        lines += field("aliases", ", ".join(profile.aliases))
    if profile.runtime_path:
        lines += field("path", f"{profile.runtime_path}: {RUNTIME_PATHS[profile.runtime_path]}")
    lines += field("describes", profile.describes)
    if profile.socs:
        lines += field("SoCs", ", ".join(profile.socs) + " (--soc picks the profile of a SoC)")
    if profile.deprecated:
        lines += field("deprecated", profile.deprecated)
    lines += field("runs", _runs(profile))
    lines += field("partitioning", f"{profile.partitioning}: {PARTITIONING[profile.partitioning]}")
    lines += field("fallback", FALLBACKS[profile.fallback])
    for label, items in (("sources", profile.sources), ("cannot know", profile.cannot_know)):
        for number, item in enumerate(items):
            lines += field(label if number == 0 else "", f"- {item}")
    return "\n".join(lines) + "\n"


def _runs(profile: TargetProfile) -> str:
    if profile.op_table == "builtin-resolver":
        return "every op LiteRT registers"
    return f"{len([n for n, op in profile.ops.items() if n != '*' and op.supported])} ops"
