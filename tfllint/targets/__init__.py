"""Targets: runtimes and delegates as data profiles, and what a model can run on each."""
from __future__ import annotations

from functools import lru_cache

from .profile import TargetProfile, builtin_profile_names, load_target


@lru_cache(maxsize=None)
def cached_profile(name_or_path: str) -> TargetProfile:
    """Each profile is read and validated once per run."""
    return load_target(name_or_path)


def targets_for_soc(names: tuple[str, ...], soc: str) -> tuple[str, ...]:
    """The targets to check for `soc` (--soc): each target whose profile lists SoCs becomes
    the built-in profile of the same SoC manufacturer that describes `soc` (npu-qualcomm
    with SM8450 is npu-qualcomm-v69); a target that does not depend on the SoC stays."""
    from ..errors import ConfigError

    profiles = [cached_profile(name) for name in names]
    if not any(profile.socs for profile in profiles):
        raise ConfigError(f"--soc {soc}: none of the targets depends on the SoC (the NPU "
                          "targets whose profile lists SoCs do: `tfllint targets NAME`)")
    chosen = []
    for name, profile in zip(names, profiles):
        if not profile.socs or soc in profile.socs:
            chosen.append(name)
            continue
        family = [candidate for candidate in map(cached_profile, sorted(set(
            builtin_profile_names().values())))
            if candidate.socs and candidate.soc_manufacturer == profile.soc_manufacturer]
        match = next((candidate.name for candidate in family if soc in candidate.socs), None)
        if match is None:
            known = sorted({known for candidate in family for known in candidate.socs})
            raise ConfigError(f"--soc {soc}: no {profile.soc_manufacturer} profile describes "
                              f"it; {profile.name} and its kin describe {', '.join(known)}")
        chosen.append(match)
    return tuple(chosen)


__all__ = ["TargetProfile", "builtin_profile_names", "cached_profile", "load_target",
           "targets_for_soc"]
