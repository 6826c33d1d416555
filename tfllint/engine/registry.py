"""Find rules: the `tfllint.rules` entry points (built-ins included) and --rules-path dirs.

An entry point names a module or a package; every `Rule` defined at the top level of that
module (or of any module in that package) is loaded. Each rule is validated before use:
ID and name format, a known severity (and preview severity), the four documentation sections, no duplicates.
"""
from __future__ import annotations

import importlib
import importlib.util
import os
import sys
from types import ModuleType
from typing import Iterable

from ..entry_points import entry_points, package_modules
from ..errors import ConfigError
from .rule import (DOC_SECTIONS, RULE_ID, RULE_NAME, SEVERITIES, SEVERITY_RANK, Rule,
                   doc_sections)

ENTRY_POINT_GROUP = "tfllint.rules"


def load_rules(rules_paths: Iterable[str | os.PathLike[str]] = ()) -> tuple[Rule, ...]:
    """All rules from installed plugins and local directories, sorted by ID."""
    found: list[Rule] = []
    for entry_point in entry_points(group=ENTRY_POINT_GROUP):
        try:
            module = entry_point.load()
        except Exception as error:  # a broken plugin is a configuration error, not a crash
            raise ConfigError(f"rule plugin {entry_point.name!r} ({entry_point.value}) "
                              f"failed to load: {error}") from error
        found.extend(rules_in(module))
    for directory in rules_paths:
        found.extend(_rules_in_directory(directory))
    if not found:
        raise ConfigError("no rules found: tfllint's built-in rules are registered as an "
                          "entry point, so it must be installed (pip install -e .)")
    return validate(found)


def rules_in(module: ModuleType) -> list[Rule]:
    """Rules defined in a module, or in every module of a package."""
    rules = [value for value in vars(module).values()
             if isinstance(value, Rule) and value.origin == module.__name__]
    if hasattr(module, "__path__"):
        for name in package_modules(module.__path__):
            if not name.startswith("_"):
                rules.extend(rules_in(importlib.import_module(f"{module.__name__}.{name}")))
    return rules


def _rules_in_directory(path: str | os.PathLike[str]) -> list[Rule]:
    from pathlib import Path  # here: only --rules-path needs it

    directory = Path(path)
    if not directory.is_dir():
        raise ConfigError(f"--rules-path {directory}: not a directory")
    rules: list[Rule] = []
    for path in sorted(directory.glob("*.py")):
        if path.name.startswith("_"):
            continue
        module_name = f"tfllint_local_rules.{path.stem}"
        spec = importlib.util.spec_from_file_location(module_name, path)
        if spec is None or spec.loader is None:
            raise ConfigError(f"cannot import rule module {path}")
        module = importlib.util.module_from_spec(spec)
        sys.modules[module_name] = module
        try:
            spec.loader.exec_module(module)
        except Exception as error:
            raise ConfigError(f"rule module {path} failed to import: {error}") from error
        rules.extend(rules_in(module))
    return rules


def validate(rules: Iterable[Rule]) -> tuple[Rule, ...]:
    by_id: dict[str, Rule] = {}
    by_name: dict[str, Rule] = {}
    for rule in rules:
        problems = rule_problems(rule)
        if problems:
            raise ConfigError(f"rule {rule.id} ({rule.origin}) is invalid: "
                              + "; ".join(problems))
        for table, key in ((by_id, rule.id), (by_name, rule.name)):
            if key in table and table[key] is not rule:
                raise ConfigError(f"rule {key} is defined twice: in {table[key].origin} "
                                  f"and in {rule.origin}")
            table[key] = rule
    return tuple(sorted(by_id.values(), key=lambda r: r.id))


def rule_problems(rule: Rule) -> list[str]:
    """What is wrong with a rule's declaration (empty when it is valid)."""
    problems = []
    if not RULE_ID.match(rule.id):
        problems.append(f"ID {rule.id!r} is not letters followed by 3-4 digits (e.g. TFL101)")
    if not RULE_NAME.match(rule.name):
        problems.append(f"name {rule.name!r} is not kebab-case")
    if rule.severity not in SEVERITIES:
        problems.append(f"severity {rule.severity!r} is not one of {', '.join(SEVERITIES)}")
    problems += _preview_problems(rule) + _untrusted_problems(rule)
    if not rule.summary:
        problems.append("docstring is missing")
    missing = [title for title in DOC_SECTIONS if not doc_sections(rule.doc).get(title)]
    if missing:
        problems.append("docstring lacks section(s): " + ", ".join(missing))
    return problems


def _untrusted_problems(rule: Rule) -> list[str]:
    severity = rule.untrusted_severity
    if severity is None:
        return []
    if severity not in SEVERITIES:
        return [f"untrusted_severity {severity!r} is not one of {', '.join(SEVERITIES)}"]
    if rule.severity in SEVERITIES and SEVERITY_RANK[severity] < SEVERITY_RANK[rule.severity]:
        return [f"untrusted_severity {severity!r} is lower than severity {rule.severity!r}"]
    return []


def _preview_problems(rule: Rule) -> list[str]:
    if not isinstance(rule.preview, bool):
        return [f"preview must be True or False, got {rule.preview!r}"]
    if rule.preview_severity is None:
        return []
    if rule.preview:
        return ["a preview rule has no preview_severity: its severity applies with preview on"]
    if rule.preview_severity not in SEVERITIES:
        return [f"preview_severity {rule.preview_severity!r} is not one of "
                f"{', '.join(SEVERITIES)}"]
    if rule.severity in SEVERITIES and \
            SEVERITY_RANK[rule.preview_severity] <= SEVERITY_RANK[rule.severity]:
        return [f"preview_severity {rule.preview_severity!r} is not higher than severity "
                f"{rule.severity!r} (only a rising severity starts in preview)"]
    return []
