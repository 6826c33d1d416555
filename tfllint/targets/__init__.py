"""Targets: runtimes and delegates as data profiles, and what a model can run on each."""
from __future__ import annotations

from functools import lru_cache

from .profile import TargetProfile, builtin_profile_names, load_target


@lru_cache(maxsize=None)
def cached_profile(name_or_path: str) -> TargetProfile:
    """Each profile is read and validated once per run."""
    return load_target(name_or_path)


__all__ = ["TargetProfile", "builtin_profile_names", "cached_profile", "load_target"]
