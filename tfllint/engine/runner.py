"""Run the enabled rules over one model and turn their violations into findings.

One finding per cause: a violation already names every place of its cause, and
violations of one rule with the same target, message and fix are merged. Per-model
ignores drop places, not whole findings, so silencing one op leaves the others reported.
"""
from __future__ import annotations

import fnmatch
from dataclasses import replace

from ..analyses import Analyses
from ..errors import TfllintError
from ..view import ModelView
from .rule import FAILURE, Finding, Location, Rule, RuleContext, Violation
from .settings import (ModelIgnore, Settings, model_matches, options_for, selector_matches,
                       severity_for)


def run_rules(view: ModelView, analyses: Analyses, rules: tuple[Rule, ...],
              settings: Settings) -> list[Finding]:
    ignores = [ignore for ignore in settings.per_model_ignores
               if model_matches(ignore.models, view.path, settings.base_directory)]
    findings = []
    for rule in rules:
        context = RuleContext(view=view, analyses=analyses,
                              options=options_for(rule, settings), settings=settings)
        try:
            violations = list(rule.check(context))
        except TfllintError:
            raise
        except Exception as error:  # a bug in the rule: say so, keep the other rules' findings
            findings.append(rule_failure(rule, error, view.path))
            continue
        findings.extend(_findings(rule, violations, ignores, severity_for(rule, settings),
                                  view))
    findings.sort(key=_order)
    return findings


def rule_failure(rule: Rule, error: Exception, path: str) -> Finding:
    return Finding(rule=rule.id, name=rule.name, severity=FAILURE,
                   message=f"rule {rule.id} ({rule.name}) failed: {type(error).__name__}: "
                           f"{error}. This is a bug in the rule, not a problem of the model",
                   locations=(Location(key="model"),),
                   fix=f"report it; `--ignore {rule.id}` skips the rule meanwhile", path=path)


def _findings(rule: Rule, violations: list[Violation], ignores: list[ModelIgnore],
              severity: str, view: ModelView) -> list[Finding]:
    causes: dict[tuple, list[Violation]] = {}
    places: dict[tuple, list[Location]] = {}
    for violation in violations:
        kept = [location for location in violation.locations
                if not any(_ignored(ignore, rule, location) for ignore in ignores)]
        if kept:
            key = (violation.target, violation.cause or violation.message, violation.fix)
            causes.setdefault(key, []).append(violation)
            found = places.setdefault(key, [])
            found.extend(location for location in kept if location not in found)
    findings = []
    for key, grouped in causes.items():
        message = grouped[0].message
        others = len(grouped) - 1
        if others and any(v.message != message for v in grouped):
            message += f" (and {others} more alike)"
        findings.append(Finding(
            rule=rule.id, name=rule.name, severity=severity, message=message,
            locations=tuple(replace(location, key=location_key(view, location))
                            for location in places[key]),
            target=grouped[0].target, fix=grouped[0].fix, path=view.path))
    return findings


def location_key(view: ModelView, location: Location) -> str:
    """A name for the place that survives edits elsewhere in the model: op type and
    output tensor name for an op, the tensor name for a tensor (indices only where the
    model gives no name)."""
    parts = []
    if location.op_index is not None and location.subgraph is not None:
        parts.append(f"{location.op or 'op'}:{_op_output(view, location)}")
    if location.tensor_index is not None or location.tensor:
        parts.append(location.tensor or f"#{location.tensor_index}")
    if location.buffer is not None:  # buffers have no names: the index is all there is
        parts.append(f"buffer:{location.buffer}")
    if not parts and location.subgraph is not None:
        subgraph = view.subgraphs[location.subgraph] if location.subgraph < len(
            view.subgraphs) else None
        parts.append(f"subgraph:{(subgraph.name if subgraph else None) or location.subgraph}")
    if not parts and location.op:
        parts.append(location.op)
    return " ".join(parts) or "model"


def _op_output(view: ModelView, location: Location) -> str:
    try:
        subgraph = view.subgraphs[location.subgraph]
        op = subgraph.operators[location.op_index]
        output = next(index for index in op.outputs if index >= 0)
        return subgraph.tensors[output].name or f"#{output}"
    except (IndexError, StopIteration):
        return f"#{location.op_index}"


def _ignored(ignore: ModelIgnore, rule: Rule, location: Location) -> bool:
    if not any(selector_matches(selector, rule) for selector in ignore.rules):
        return False
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
