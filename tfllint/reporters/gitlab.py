"""--format gitlab: a GitLab Code Quality report (a JSON array), as ruff writes it.

One entry per place of a finding (a finding of one cause at several ops is one entry per
op), each with a fingerprint that is a hash of the model's path, the rule, the target and
the place's stable `key` (op type + output tensor name, tensor name, or `model`), so an
entry keeps its fingerprint when unrelated ops are added or removed (tfllint.fingerprint:
the same function as a baseline's, whose paths are relative to the baseline file). Severities:

    failure (a rule raised), unreadable model -> blocker
    error   (the runtime refuses the model, or a gate is not met) -> critical
    warning -> minor
    info    -> info

Models are binary files: every entry points at line 1 of its model's path, as given on
the command line (run tfllint from the repository root with relative paths).
"""
from __future__ import annotations

import json
from typing import Any

from ..engine.rule import FAILURE
from ..fingerprint import fingerprint, numbered_places, place_fingerprint
from . import Display, Report
from .text import single_place

SEVERITIES = {FAILURE: "blocker", "error": "critical", "warning": "minor", "info": "info"}
UNREADABLE = "blocker"


def entry(path: str, check: str, description: str, severity: str,
          print_: str) -> dict[str, Any]:
    return {"description": description, "check_name": check, "fingerprint": print_,
            "severity": severity, "location": {"path": path, "lines": {"begin": 1}}}


class GitlabReporter:
    def render(self, report: Report, display: Display | None = None) -> str:
        entries: list[dict[str, Any]] = []
        seen: set[str] = set()

        def unique(print_: str) -> str:
            # a path given twice in one form and once in another: keep entries distinct
            while print_ in seen:
                print_ = fingerprint(print_, "again")
            seen.add(print_)
            return print_

        for model in report.models:
            path = model["path"]
            if model["error"]:
                entries.append(entry(path, "tfllint/unreadable-model", model["error"],
                                     UNREADABLE, unique(fingerprint(path, "unreadable"))))
                continue
            # one place, one entry; two places with one key (rare) are numbered, stably
            for finding, location, occurrence in numbered_places(model["findings"]):
                target = finding.get("target") or ""
                check = f"{finding['rule']} {finding['name']}"
                place = single_place(location) if location.get("key") != "model" else ""
                description = (f"[{target}] " if target else "") + \
                    (f"{place}: " if place else "") + finding["message"]
                if finding.get("fix"):
                    description += f" (fix: {finding['fix']})"
                entries.append(entry(
                    path, check, description, SEVERITIES[finding["severity"]],
                    unique(place_fingerprint(finding["rule"], target, location.get("key"),
                                             occurrence, path=path))))
        return json.dumps(entries, indent=2, ensure_ascii=False) + "\n"
