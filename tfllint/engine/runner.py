"""Run the enabled rules over one model and turn their violations into findings."""
from __future__ import annotations

import fnmatch

from ..analyses import Analyses
from ..errors import TfllintError
from ..view import ModelView
from .rule import Finding, Rule, RuleContext, Violation
from .settings import (Settings, model_matches, options_for, selector_matches,
                       severity_for)


class RuleFailure(TfllintError):
    """A rule raised instead of reporting: a bug in the rule, reported as unreadable."""


def run_rules(view: ModelView, analyses: Analyses, rules: tuple[Rule, ...],
              settings: Settings) -> list[Finding]:
    ignores = [ignore for ignore in settings.per_model_ignores
               if model_matches(ignore.models, view.path, settings.base_directory)]
    findings = []
    for rule in rules:
        context = RuleContext(view=view, analyses=analyses,
                              options=options_for(rule, settings), settings=settings)
        severity = severity_for(rule, settings)
        try:
            violations = list(rule.check(context))
        except TfllintError:
            raise
        except Exception as error:
            raise RuleFailure(f"{view.path}: rule {rule.id} ({rule.name}) failed: "
                              f"{type(error).__name__}: {error}. This is a bug in the rule; "
                              f"`--ignore {rule.id}` skips it") from error
        for violation in violations:
            if not any(_ignored(ignore, rule, violation) for ignore in ignores):
                findings.append(Finding(
                    rule=rule.id, name=rule.name, severity=severity,
                    message=violation.message, location=violation.location,
                    target=violation.target, fix=violation.fix, path=view.path))
    findings.sort(key=_order)
    return findings


def _ignored(ignore, rule: Rule, violation: Violation) -> bool:
    if not any(selector_matches(selector, rule) for selector in ignore.rules):
        return False
    location = violation.location
    if ignore.op and not fnmatch.fnmatchcase(location.op or "", ignore.op):
        return False
    if ignore.tensor and not fnmatch.fnmatchcase(location.tensor or "", ignore.tensor):
        return False
    return True


def _order(finding: Finding):
    location = finding.location
    return (location.subgraph if location.subgraph is not None else -1,
            location.op_index if location.op_index is not None else -1,
            finding.rule,
            location.tensor_index if location.tensor_index is not None else -1,
            finding.message)
