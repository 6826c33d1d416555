"""Fingerprints of the places of findings: one function for baselines, SARIF and GitLab.

A place is identified by the rule ID, the target (empty for none) and the location's
stable `key` (op type + output tensor name, tensor name, `model`; see
tfllint.engine.runner.location_key), never by indices or by the message, so it keeps
its fingerprint when unrelated ops are added to or removed from the model. Where the
fingerprint must also tell models apart (GitLab Code Quality, a baseline), the model's
path comes first. Two places of one model with the same parts (rare: two causes at one
op) are numbered in report order: the second gets occurrence 2, and so on.

    fingerprint = sha256("\\0".join([path,] rule, target, key [, occurrence if > 1]))
"""
from __future__ import annotations

import hashlib
from typing import Any, Iterable, Iterator

MODEL_KEY = "model"  # the key of a finding that names no place


def fingerprint(*parts: str, occurrence: int = 1) -> str:
    """The hex SHA-256 of the parts joined by NUL, with the occurrence number after a
    repeat."""
    if occurrence > 1:
        parts = (*parts, str(occurrence))
    return hashlib.sha256("\0".join(parts).encode("utf-8")).hexdigest()


def place_fingerprint(rule: str, target: str | None, key: str | None, occurrence: int = 1,
                      path: str | None = None) -> str:
    """The fingerprint of one place of a finding; with `path`, also of its model."""
    parts = (rule, target or "", key or MODEL_KEY)
    return fingerprint(*((path, *parts) if path is not None else parts), occurrence=occurrence)


def numbered_places(findings: Iterable[dict[str, Any]]
                    ) -> Iterator[tuple[dict[str, Any], dict[str, Any], int]]:
    """(finding, location, occurrence) for every place of one model's findings (JSON
    finding entries), in report order; a finding without locations is one place, `model`."""
    seen: dict[tuple[str, str, str], int] = {}
    for finding in findings:
        for location in finding["locations"] or [{"key": MODEL_KEY}]:
            parts = (finding["rule"], finding.get("target") or "",
                     location.get("key") or MODEL_KEY)
            seen[parts] = seen.get(parts, 0) + 1
            yield finding, location, seen[parts]


__all__ = ["fingerprint", "place_fingerprint", "numbered_places", "MODEL_KEY"]
