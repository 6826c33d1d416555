"""--format sarif: the report as SARIF 2.1.0, for GitHub code scanning and other viewers.

One run. `tool.driver` names tfllint (name, version, informationUri) and describes every
rule that ran (Report.rules, the catalogue entries of the enabled rules): id, name,
shortDescription (the first line of its docs), fullDescription (the whole docstring, as
`tfllint explain` prints it), help (the "How to fix" section) and
defaultConfiguration.level (its default severity).

Results:
- level: error -> "error", warning -> "warning", info -> "note".
- One result per place. A finding grouped over several places (three FULLY_CONNECTED
  ops that fall back for one reason) becomes one result per location, each with the
  finding's message (naming how many places share the cause) and its own fingerprint:
  code scanning tracks, shows and dismisses one alert per location better than one
  alert with several.
- The model file is the physical location: artifactLocation.uri relative to the
  repository root (uriBaseId %SRCROOT%), with region.startLine 1, as code scanning wants
  a region even in a binary file. The root is $TFLLINT_SARIF_ROOT when set, else the git
  top level found from the current directory; outside a git repository, or for a model
  outside the root, the uri is the path as given (an absolute path as a file: URI).
- The subgraph, op and tensor (or buffer) of the place are logicalLocations.
- partialFingerprints["tfllintLocation/v1"] is a hash of the rule ID, the target and the
  place's stable key (op type + output tensor name, tensor name; tfllint.engine.runner
  location_key), never of indices or of the message, so it stays the same when unrelated
  ops are added to the model. A repeat of the same triple in one model gets an
  occurrence number (tfllint.fingerprint, shared with baselines and GitLab).

What tfllint could not do is not a result (code scanning would make it an alert on the
model): a model that could not be read (model["error"]) and a rule that raised (severity
"failure") are error-level toolExecutionNotifications of the run's one invocation, whose
executionSuccessful is false and exitCode the run's exit code (2). The run's notes about
the settings are toolConfigurationNotifications of level "note".
"""
from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path
from typing import Any
from urllib.parse import quote

from ..engine.rule import FAILURE
from ..fingerprint import place_fingerprint
from . import Display, Report

SCHEMA = "https://docs.oasis-open.org/sarif/sarif/v2.1.0/os/schemas/sarif-schema-2.1.0.json"
VERSION = "2.1.0"
INFORMATION_URI = "https://tfllint.dev"
ROOT_ENVIRONMENT = "TFLLINT_SARIF_ROOT"
SRCROOT = "%SRCROOT%"
FINGERPRINT = "tfllintLocation/v1"
LEVELS = {"error": "error", "warning": "warning", "info": "note"}


class SarifReporter:
    def render(self, report: Report, display: Display | None = None) -> str:
        return json.dumps(sarif_log(report), indent=2, allow_nan=False) + "\n"


def sarif_log(report: Report, root: str | None = None) -> dict[str, Any]:
    """The SARIF log of a report; `root` is the repository root (default: repository_root())."""
    root = repository_root() if root is None else root
    artifacts = Artifacts(root)
    rules = {entry["id"]: index for index, entry in enumerate(report.rules)}
    results: list[dict[str, Any]] = []
    notifications: list[dict[str, Any]] = []
    for model in report.models:
        artifact = artifacts.add(model["path"], model.get("size_bytes"))
        if model["error"]:
            notifications.append(notification(
                f"{model['path']}: {model['error']}", "tfllint/unreadable-model", artifact))
            continue
        seen: dict[str, int] = {}
        for finding in model["findings"]:
            if finding["severity"] == FAILURE:
                notifications.append(notification(
                    finding["message"], finding["rule"], artifact, finding.get("fix"),
                    rules.get(finding["rule"])))
                continue
            results.extend(finding_results(finding, artifact, rules, seen))
    invocation: dict[str, Any] = {
        "executionSuccessful": report.exit_code != 2,
        "exitCode": report.exit_code,
        "toolExecutionNotifications": notifications,
        "toolConfigurationNotifications": [
            {"level": "note", "message": {"text": note}} for note in report.notes],
    }
    run: dict[str, Any] = {
        "tool": {"driver": {
            "name": "tfllint",
            "version": report.tool_version,
            "semanticVersion": report.tool_version,
            "informationUri": INFORMATION_URI,
            "rules": [rule_descriptor(entry) for entry in report.rules],
        }},
        "invocations": [invocation],
        "artifacts": artifacts.entries,
        "results": results,
        "columnKind": "unicodeCodePoints",
    }
    if artifacts.under_root:
        run["originalUriBaseIds"] = {SRCROOT: {"uri": Path(root).resolve().as_uri() + "/"}}
    return {"$schema": SCHEMA, "version": VERSION, "runs": [run]}


def rule_descriptor(entry: dict[str, Any]) -> dict[str, Any]:
    fix = entry["sections"].get("How to fix") or entry["summary"]
    return {
        "id": entry["id"],
        "name": entry["name"],
        "shortDescription": {"text": entry["summary"] or entry["name"]},
        "fullDescription": {"text": entry["doc"] or entry["summary"] or entry["name"]},
        "help": {"text": fix, "markdown": f"**How to fix**\n\n{fix}"},
        "defaultConfiguration": {"level": LEVELS[entry["severity"]]},
        "properties": {"tags": [entry["id"][:-2] + "xx"],
                       **({"evidence": entry["evidence"]} if entry.get("evidence") else {})},
    }


def finding_results(finding: dict[str, Any], artifact: dict[str, Any],
                    rules: dict[str, int], seen: dict[str, int]) -> list[dict[str, Any]]:
    locations = finding["locations"] or [{"key": "model"}]
    target = finding.get("target")
    text = (f"[{target}] " if target else "") + finding["message"]
    if len(locations) > 1:
        text += f" ({len(locations)} places share this cause; this is one of them)"
    if finding.get("fix"):
        text += f"\nHow to fix: {finding['fix']}"
    results = []
    for place in locations:
        key = place.get("key") or "model"
        base = "\0".join((finding["rule"], target or "", key))
        seen[base] = seen.get(base, 0) + 1
        result: dict[str, Any] = {
            "ruleId": finding["rule"],
            "level": LEVELS[finding["severity"]],
            "message": {"text": text},
            "locations": [{"physicalLocation": physical(artifact),
                           **({"logicalLocations": logical} if (logical := logical_locations(
                               place)) else {})}],
            "partialFingerprints": {
                FINGERPRINT: place_fingerprint(finding["rule"], target, key, seen[base])},
            "properties": {"key": key, "severity": finding["severity"],
                           **({"target": target} if target else {}),
                           **({"fix": finding["fix"]} if finding.get("fix") else {})},
        }
        if finding["rule"] in rules:
            result["ruleIndex"] = rules[finding["rule"]]
        results.append(result)
    return results


def logical_locations(place: dict[str, Any]) -> list[dict[str, Any]]:
    """The subgraph, op and tensor (or buffer) of a place, outermost first."""
    out = []
    subgraph = place.get("subgraph")
    prefix = f"subgraph {subgraph}" if subgraph is not None else ""
    if subgraph is not None:
        out.append({"name": prefix, "fullyQualifiedName": prefix, "kind": "module"})
    if place.get("op_index") is not None:
        name = f"op {place['op_index']} {place.get('op') or ''}".strip()
        out.append({"name": place.get("op") or name, "kind": "function",
                    "fullyQualifiedName": "/".join(p for p in (prefix, name) if p)})
    elif place.get("op"):  # an op type without an index: the op as a kind of thing
        out.append({"name": place["op"], "fullyQualifiedName": place["op"], "kind": "type"})
    if place.get("tensor") is not None or place.get("tensor_index") is not None:
        index = place.get("tensor_index")
        name = place.get("tensor") or f"#{index}"
        qualified = f"tensor {index} {name}" if index is not None else f"tensor {name}"
        out.append({"name": name, "kind": "variable",
                    "fullyQualifiedName": "/".join(p for p in (prefix, qualified) if p)})
    if place.get("buffer") is not None:
        name = f"buffer {place['buffer']}"
        out.append({"name": name, "fullyQualifiedName": name, "kind": "object"})
    return out


def notification(text: str, rule_id: str, artifact: dict[str, Any], fix: str | None = None,
                 rule_index: int | None = None) -> dict[str, Any]:
    entry: dict[str, Any] = {
        "level": "error",
        "message": {"text": text + (f"\nHow to fix: {fix}" if fix else "")},
        "locations": [{"physicalLocation": physical(artifact)}],
        "descriptor": {"id": rule_id},
    }
    if rule_index is not None:
        entry["associatedRule"] = {"id": rule_id, "index": rule_index}
    return entry


def physical(artifact: dict[str, Any]) -> dict[str, Any]:
    return {"artifactLocation": dict(artifact), "region": {"startLine": 1}}


class Artifacts:
    """The run's artifacts (the model files) and their locations, each listed once."""

    def __init__(self, root: str) -> None:
        self.root = root
        self.entries: list[dict[str, Any]] = []
        self.index: dict[str, int] = {}
        self.under_root = False

    def add(self, path: str, size: int | None) -> dict[str, Any]:
        location = self.location(path)
        if location["uri"] not in self.index:
            self.index[location["uri"]] = len(self.entries)
            self.entries.append({"location": dict(location),
                                 **({"length": size} if size is not None else {})})
        return {**location, "index": self.index[location["uri"]]}

    def location(self, path: str) -> dict[str, Any]:
        if self.root:
            relative = os.path.relpath(os.path.realpath(path), os.path.realpath(self.root))
            if relative != ".." and not relative.startswith(".." + os.sep):
                self.under_root = True
                return {"uri": quote(Path(relative).as_posix()), "uriBaseId": SRCROOT}
        if os.path.isabs(path):
            return {"uri": Path(path).as_uri()}
        return {"uri": quote(Path(path).as_posix())}


def repository_root() -> str:
    """$TFLLINT_SARIF_ROOT, else the git top level of the current directory, else ""."""
    if os.environ.get(ROOT_ENVIRONMENT):
        return os.environ[ROOT_ENVIRONMENT]
    try:
        found = subprocess.run(["git", "rev-parse", "--show-toplevel"], capture_output=True,
                               text=True, timeout=10, check=False)
    except (OSError, subprocess.SubprocessError):
        return ""
    return found.stdout.strip() if found.returncode == 0 else ""
