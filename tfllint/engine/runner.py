"""Run the enabled rules over one model and turn their violations into findings.

One finding per cause: a violation already names every place of its cause, and
violations of one rule with the same target, message and fix are merged. Per-model
ignores drop places, not whole findings, so silencing one op leaves the others reported.
"""
from __future__ import annotations

import fnmatch

from ..analyses import Analyses
from ..errors import TfllintError, raised_at
from ..records import replace
from ..view import ModelView
from .rule import FAILURE, Finding, Location, Rule, RuleContext, Violation
from .settings import (ModelIgnore, Settings, model_matches, options_for, selector_matches,
                       severity_for)


class IgnoreUsage:
    """Which per-model ignores applied to a linted model, and how many places each
    silenced, over a run: one that applied and silenced nothing has rotted."""

    def __init__(self) -> None:
        self.applied: dict[ModelIgnore, list[str]] = {}  # ignore -> model paths
        self.silenced: dict[ModelIgnore, int] = {}

    def merge(self, other: IgnoreUsage) -> None:
        """Add what `other` counted (a worker process's, for one model) to this."""
        for ignore, paths in other.applied.items():
            self.applied.setdefault(ignore, []).extend(paths)
        for ignore, count in other.silenced.items():
            self.silenced[ignore] = self.silenced.get(ignore, 0) + count

    def unused(self) -> list[tuple[ModelIgnore, list[str]]]:
        return [(ignore, paths) for ignore, paths in self.applied.items()
                if not self.silenced.get(ignore)]


def run_rules(view: ModelView, analyses: Analyses, rules: tuple[Rule, ...],
              settings: Settings, usage: IgnoreUsage | None = None) -> list[Finding]:
    ignores = [ignore for ignore in settings.per_model_ignores
               if model_matches(ignore.models, view.path, settings.base_directory)]
    if usage is not None:
        for ignore in ignores:
            usage.applied.setdefault(ignore, []).append(view.path)
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
                                  view, usage))
    findings.sort(key=_order)
    return findings


def rule_failure(rule: Rule, error: Exception, path: str) -> Finding:
    """A rule (or an analysis or profile check it ran) raised: say where, and that the
    model is not to blame."""
    where = raised_at(error)
    where = f" (at {where})" if where else ""
    return Finding(rule=rule.id, name=rule.name, severity=FAILURE,
                   message=f"rule {rule.id} ({rule.name}) failed: {type(error).__name__}: "
                           f"{error}{where}. This is a bug in tfllint, in a plugin rule or in "
                           "a target profile's check, not a problem of the model",
                   locations=(Location(key="model"),),
                   fix=f"report it to the rule's or the check's authors; `--ignore {rule.id}` "
                       "skips the rule meanwhile", path=path)


def _findings(rule: Rule, violations: list[Violation], ignores: list[ModelIgnore],
              severity: str, view: ModelView, usage: IgnoreUsage | None = None
              ) -> list[Finding]:
    causes: dict[tuple, list[Violation]] = {}
    places: dict[tuple, dict[Location, None]] = {}  # ordered sets
    silenced: dict[tuple, int] = {}
    for violation in violations:
        kept = []
        for location in violation.locations:
            matched = [ignore for ignore in ignores if _ignored(ignore, rule, location)]
            if not matched:
                kept.append(location)
            elif usage is not None:
                for ignore in matched:
                    usage.silenced[ignore] = usage.silenced.get(ignore, 0) + 1
        if kept:
            key = (violation.target, violation.cause or violation.message, violation.fix)
            causes.setdefault(key, []).append(violation)
            places.setdefault(key, {}).update(dict.fromkeys(kept))
            silenced[key] = silenced.get(key, 0) + len(violation.locations) - len(kept)
    findings = []
    for key, grouped in causes.items():
        message = grouped[0].message
        others = len(grouped) - 1
        if others and any(v.message != message for v in grouped):
            message += f" (and {others} more alike)"
        if silenced[key]:  # the message counted them: say that they are not listed
            message += f" ({silenced[key]} more silenced by per-model-ignores)"
        findings.append(Finding(
            rule=rule.id, name=rule.name, severity=severity, message=message,
            locations=tuple(replace(location, key=location_key(view, location))
                            for location in sorted(places[key], key=_place_order)),
            target=grouped[0].target, fix=grouped[0].fix, path=view.path))
    return findings


def location_key(view: ModelView, location: Location) -> str:
    """A name for the place that survives edits elsewhere in the model: op type and
    output tensor name for an op, the tensor name for a tensor (indices only where the
    model gives no name), prefixed sgN outside subgraph 0, as names repeat across them."""
    if location.buffer is not None:  # buffers have no names: the index is all there is
        return f"buffer:{location.buffer}"
    parts = []
    if location.op_index is not None and location.subgraph is not None:
        parts.append(f"{location.op or 'op'}:{_op_tensor(view, location)}")
    if location.tensor is not None or location.tensor_index is not None:
        parts.append(location.tensor or f"#{location.tensor_index}")
    if not parts:
        if location.subgraph is not None and location.subgraph < len(view.subgraphs):
            return f"subgraph:{view.subgraphs[location.subgraph].name or location.subgraph}"
        return location.op or "model"
    return (f"sg{location.subgraph} " if location.subgraph else "") + " ".join(parts)


def _op_tensor(view: ModelView, location: Location) -> str:
    """The op's first output by name; an op without outputs (ASSIGN_VARIABLE) by its first
    input, written '<input'; its index only where neither has a name."""
    try:
        subgraph = view.subgraphs[location.subgraph]
        op = subgraph.operators[location.op_index]
    except IndexError:
        return f"#{location.op_index}"
    for tensors, mark in ((op.outputs, ""), (op.inputs, "<")):
        named = [subgraph.tensors[i].name for i in tensors if 0 <= i < len(subgraph.tensors)]
        if any(named):
            return mark + next(name for name in named if name)
    return f"#{location.op_index}"


def _ignored(ignore: ModelIgnore, rule: Rule, location: Location) -> bool:
    if not any(selector_matches(selector, rule) for selector in ignore.rules):
        return False
    if ignore.op and not fnmatch.fnmatchcase(location.op or "", ignore.op):
        return False
    if ignore.tensor and not fnmatch.fnmatchcase(location.tensor or "", ignore.tensor):
        return False
    return True


def _place_order(location: Location) -> tuple:
    return tuple(-1 if value is None else value for value in (
        location.subgraph, location.op_index, location.tensor_index, location.buffer))


def _order(finding: Finding):
    location = finding.location
    return (location.subgraph if location.subgraph is not None else -1,
            location.op_index if location.op_index is not None else -1,
            finding.rule,
            location.tensor_index if location.tensor_index is not None else -1,
            finding.message)
