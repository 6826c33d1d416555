"""Baselines: record today's findings, then report only new ones.

`tfllint --write-baseline FILE PATH...` records every place of every finding (a finding
grouped over several ops is one entry per op) by its fingerprint (tfllint.fingerprint:
the model's path relative to the baseline file's directory, the rule, the target and the
place's stable key, plus an occurrence number for a repeat). `--baseline FILE` (config
`baseline`) drops the places whose fingerprint is recorded before the report and the exit
code are made: a finding keeps only its new places, and one with none left is gone.

Entries that matched nothing, for a model the run linted, with a rule that ran and a
target that was checked, are stale: the run says so (Report.unused_suppressions, a note
each model), so a baseline does not silently rot. A model or rule left out of a run
does not make its entries stale.

The file is JSON, versioned, one entry per place, sorted by path, rule, target and key,
with the rule name, severity and the start of the message for a person reading a diff.
It is written atomically (a temporary file beside it, then renamed).
"""
from __future__ import annotations

import json
import os
import tempfile
from pathlib import Path
from typing import Any, Iterable, Sequence

from .engine.rule import FAILURE
from .errors import ConfigError, UsageError
from .fingerprint import numbered_places, place_fingerprint
from .records import record

BASELINE_VERSION = 1
TOOL = "tfllint"
MESSAGE_EXCERPT = 100  # characters of the message kept in an entry, for a person
PATHS_NOTE = "model paths are relative to this file's directory"


@record
class Entry:
    path: str  # the model, relative to the baseline file's directory, with / separators
    rule: str
    target: str | None
    key: str
    occurrence: int = 1
    name: str = ""
    severity: str = ""
    message: str = ""

    @property
    def fingerprint(self) -> str:
        return place_fingerprint(self.rule, self.target, self.key, self.occurrence,
                                 path=self.path)

    def describe(self) -> str:
        target = f" [{self.target}]" if self.target else ""
        again = f" (occurrence {self.occurrence})" if self.occurrence > 1 else ""
        return f"{self.rule}{target} at {self.key}{again}"

    def to_json(self) -> dict[str, Any]:
        return {"path": self.path, "rule": self.rule, "name": self.name,
                "target": self.target, "key": self.key,
                **({"occurrence": self.occurrence} if self.occurrence > 1 else {}),
                "severity": self.severity, "message": self.message,
                "fingerprint": self.fingerprint}

    def order(self) -> tuple:
        return (self.path, self.rule, self.target or "", self.key, self.occurrence)


def relative_model_path(model_path: str, directory: str | os.PathLike) -> str:
    """The model's path relative to `directory`, with / separators (absolute where there
    is no relative path, as across Windows drives)."""
    model = os.path.realpath(model_path)
    try:
        return Path(os.path.relpath(model, os.path.realpath(directory))).as_posix()
    except ValueError:
        return Path(model).as_posix()


def model_entries(model: dict[str, Any], directory: str | os.PathLike) -> list[Entry]:
    """One entry per place of a readable model's findings (rule failures are never
    recorded: a rule that raises is always reported)."""
    if model["error"]:
        return []
    path = relative_model_path(model["path"], directory)
    return [Entry(path=path, rule=finding["rule"], target=finding.get("target"),
                  key=location.get("key") or "model", occurrence=occurrence,
                  name=finding.get("name", ""), severity=finding["severity"],
                  message=_excerpt(finding["message"]))
            for finding, location, occurrence in numbered_places(model["findings"])
            if finding["severity"] != FAILURE]


def _excerpt(message: str) -> str:
    return message if len(message) <= MESSAGE_EXCERPT else \
        message[:MESSAGE_EXCERPT - 1].rstrip() + "…"


class Baseline:
    """A baseline file, read and checked."""

    def __init__(self, file: str, entries: Sequence[Entry]) -> None:
        self.file = file
        self.directory = os.path.dirname(os.path.abspath(file))
        self.entries = tuple(entries)
        self.by_fingerprint = {entry.fingerprint: entry for entry in self.entries}

    @classmethod
    def load(cls, file: str) -> Baseline:
        """Read FILE; anything wrong is one ConfigError naming the file and the problem."""
        def bad(problem: str) -> ConfigError:
            return ConfigError(f"baseline {file}: {problem}")

        try:
            text = Path(file).read_text(encoding="utf-8")
        except FileNotFoundError:
            raise bad("no such file; record the current findings with "
                      f"`tfllint --write-baseline {file} PATH...`") from None
        except (OSError, UnicodeDecodeError) as error:
            raise bad(f"cannot be read: {getattr(error, 'strerror', None) or error}") from None
        try:
            document = json.loads(text)
        except json.JSONDecodeError as error:
            raise bad(f"not valid JSON ({error.msg} at line {error.lineno} column "
                      f"{error.colno}); rewrite it with --write-baseline") from None
        if not isinstance(document, dict) or document.get("tool") != TOOL or \
                "baseline_version" not in document:
            raise bad("not a tfllint baseline (no \"tool\": \"tfllint\" and "
                      "\"baseline_version\"); write one with --write-baseline")
        version = document["baseline_version"]
        if not isinstance(version, int) or isinstance(version, bool) or version < 1:
            raise bad(f"baseline_version must be a whole number, got {version!r}")
        if version > BASELINE_VERSION:
            raise bad(f"baseline_version {version} is newer than this tfllint reads "
                      f"({BASELINE_VERSION}); upgrade tfllint or rewrite the baseline")
        raw = document.get("entries")
        if not isinstance(raw, list):
            raise bad("\"entries\" must be a list")
        return cls(file, [_entry(item, index, bad) for index, item in enumerate(raw)])

    def apply(self, models: Iterable[dict[str, Any]], rules_run: set[str]
              ) -> tuple[list[dict[str, Any]], int, list[dict[str, Any]]]:
        """(models without the recorded places, places dropped, stale entries as
        unused-suppression records)."""
        matched: set[str] = set()
        kept_models, dropped = [], 0
        stale: list[dict[str, Any]] = []
        for model in models:
            if model["error"]:
                kept_models.append(model)
                continue
            path = relative_model_path(model["path"], self.directory)
            kept: dict[int, list[dict[str, Any]]] = {}
            for finding, location, occurrence in numbered_places(model["findings"]):
                print_ = place_fingerprint(finding["rule"], finding.get("target"),
                                           location.get("key"), occurrence, path=path)
                if finding["severity"] != FAILURE and print_ in self.by_fingerprint:
                    matched.add(print_)
                    dropped += 1
                else:
                    kept.setdefault(id(finding), []).append(location)
            findings = []
            for finding in model["findings"]:
                places = kept.get(id(finding))
                if places is None:
                    continue  # every place recorded
                gone = len(finding["locations"]) - len(places)
                if gone > 0:  # a grouped finding keeps its new places
                    finding = {**finding, "locations": places,
                               "message": finding["message"] + f" ({gone} more in the baseline)"}
                findings.append(finding)
            kept_models.append({**model, "findings": findings})
            checked = set(model.get("targets") or {})  # the targets checked on it
            for entry in self.entries:
                if entry.path == path and entry.fingerprint not in matched and \
                        entry.rule in rules_run and (not entry.target or entry.target in checked):
                    stale.append({"kind": "baseline", "file": self.file, "model": model["path"],
                                  "rule": entry.rule, "target": entry.target, "key": entry.key,
                                  "fingerprint": entry.fingerprint,
                                  "message": f"baseline entry {entry.describe()} matched "
                                             "nothing"})
        return kept_models, dropped, stale


def _entry(item: Any, index: int, bad) -> Entry:
    if not isinstance(item, dict):
        raise bad(f"entry {index + 1} is not an object")
    for name in ("path", "rule", "key"):
        if not isinstance(item.get(name), str) or not item[name]:
            raise bad(f"entry {index + 1}: \"{name}\" must be a non-empty string")
    target = item.get("target")
    if target is not None and not isinstance(target, str):
        raise bad(f"entry {index + 1}: \"target\" must be a string or null")
    occurrence = item.get("occurrence", 1)
    if not isinstance(occurrence, int) or isinstance(occurrence, bool) or occurrence < 1:
        raise bad(f"entry {index + 1}: \"occurrence\" must be a whole number of at least 1")
    return Entry(path=item["path"], rule=item["rule"], target=target or None, key=item["key"],
                 occurrence=occurrence, name=str(item.get("name", "")),
                 severity=str(item.get("severity", "")), message=str(item.get("message", "")))


def write_baseline(file: str, models: Sequence[dict[str, Any]]) -> list[Entry]:
    """Record every place of the models' findings in FILE, atomically; entries an existing
    baseline holds for models this run did not read are kept (a run over some models
    updates their entries only). Returns the entries written."""
    directory = os.path.dirname(os.path.abspath(file))
    if not os.path.isdir(directory):
        raise UsageError(f"--write-baseline {file}: there is no directory {directory}")
    entries = [entry for model in models for entry in model_entries(model, directory)]
    if os.path.exists(file):  # never overwrite what is not a baseline (a model, say)
        try:
            previous = Baseline.load(file)
        except ConfigError as error:
            raise UsageError(f"--write-baseline: {error}; not overwritten") from None
        read = {relative_model_path(model["path"], directory) for model in models
                if not model["error"]}
        entries.extend(entry for entry in previous.entries if entry.path not in read)
    entries = sorted(set(entries), key=Entry.order)
    document = {"tool": TOOL, "baseline_version": BASELINE_VERSION, "paths": PATHS_NOTE,
                "entries": [entry.to_json() for entry in entries]}
    text = json.dumps(document, indent=2, ensure_ascii=False) + "\n"
    handle = tempfile.NamedTemporaryFile("w", encoding="utf-8", dir=directory, delete=False,
                                         prefix=f".{os.path.basename(file)}.", suffix=".tmp")
    try:
        with handle:
            handle.write(text)
            handle.flush()
            os.fsync(handle.fileno())
        os.chmod(handle.name, 0o644)  # as a file the user wrote (the temporary one is 0600)
        os.replace(handle.name, file)
    except OSError as error:
        try:
            os.unlink(handle.name)
        except OSError:
            pass
        raise UsageError(f"--write-baseline {file}: {error.strerror or error}") from None
    return entries


__all__ = ["Baseline", "Entry", "write_baseline", "relative_model_path", "BASELINE_VERSION"]
