"""`tfllint targets`: the built-in targets, what each describes, and how it partitions."""
from __future__ import annotations

from tabulate import tabulate

from . import builtin_profile_names, cached_profile


def render_targets() -> str:
    names = builtin_profile_names()
    rows = []
    for stem in sorted(set(names.values())):
        profile = cached_profile(stem)
        aliases = ", ".join(profile.aliases)
        describes = profile.describes + (f" (deprecated: {profile.deprecated})"
                                         if profile.deprecated else "")
        ops = "every op LiteRT registers" if profile.op_table == "builtin-resolver" \
            else f"{len([n for n, op in profile.ops.items() if n != '*' and op.supported])} ops"
        rows.append([profile.name, aliases, profile.title, describes, ops,
                     profile.partitioning, "CPU" if profile.fallback == "cpu" else "none"])
    return tabulate(rows, headers=["target", "aliases", "what", "describes", "runs",
                                   "partitioning", "fallback"],
                    maxcolwidths=[None, 12, 24, 50, None, None, None]) + "\n"
