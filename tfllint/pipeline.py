"""The one lint pipeline: settings -> rules -> read -> analyses -> findings -> report data.

The command line, `inspect`, the snippet, the tests and the public Python API
(`tfllint.lint`, `tfllint.inspect`) all run it through these functions, so there is one
way a model is linted.

    >>> import tfllint
    >>> report = tfllint.lint(["models/"], target="coral", runtime_version="2.16")
    >>> report.exit_code, report.summary["findings"]
"""
from __future__ import annotations

import glob
import os
from typing import TYPE_CHECKING, Any, Callable, Iterable, Mapping, Sequence

from . import __version__
from .errors import ConfigError, ModelReadError, TfllintError, raised_at
from .gc_pause import cyclic_gc_paused
from .records import record, replace

if TYPE_CHECKING:
    from .analyses import Analyses
    from .baseline import Baseline
    from .engine.runner import IgnoreUsage
    from .engine.rule import Finding, Rule
    from .engine.settings import Settings
    from .view import ModelView

EXIT_CLEAN, EXIT_FINDINGS, EXIT_ERROR = 0, 1, 2
GLOB_CHARACTERS = set("*?[")


@record
class Report:
    """The result of a lint run: one entry per model, in the JSON contract's shape
    (tfllint/report.schema.json), and what the exit code of the run is."""

    models: tuple[dict[str, Any], ...]
    fail_on: str = "error"
    tool_version: str = __version__
    notes: tuple[str, ...] = ()  # about the run, not a model (stderr in the CLI)
    # The catalogue entries of the rules that ran (rule_entry), for formats that describe
    # their rules (SARIF); not part of the JSON contract.
    rules: tuple[dict[str, Any], ...] = ()
    # With a baseline: {"file", "entries", "suppressed" (places dropped), "stale"}; None
    # without one (tfllint.baseline).
    baseline: dict[str, Any] | None = None
    # Baseline entries and per-model ignores that matched nothing in this run, each a
    # record with `kind` ("baseline" or "per-model-ignore") and a `message`; each is
    # also said in the notes.
    unused_suppressions: tuple[dict[str, Any], ...] = ()

    @property
    def summary(self) -> dict[str, Any]:
        from .report import run_summary

        return run_summary(list(self.models), self.fail_on)

    @property
    def findings(self) -> list[dict[str, Any]]:
        """Every finding of every model, each with the model's `path`."""
        return [{**finding, "path": model["path"]} for model in self.models
                for finding in model["findings"]]

    @property
    def exit_code(self) -> int:
        """0 clean, 1 a finding at or above fail_on, 2 a model unreadable or a rule failed."""
        summary = self.summary
        if summary["unreadable"] or summary["rule_failures"]:
            return EXIT_ERROR
        return EXIT_FINDINGS if summary["failed_models"] else EXIT_CLEAN

    def to_json(self) -> dict[str, Any]:
        from .report import REPORT_VERSION

        return {"tool": "tfllint", "tool_version": self.tool_version,
                "report_version": REPORT_VERSION, "fail_on": self.fail_on,
                "models": list(self.models), "summary": self.summary,
                "baseline": self.baseline,
                "unused_suppressions": list(self.unused_suppressions)}


# -- the public API ----------------------------------------------------------------------

def lint(paths: str | os.PathLike | Iterable[str | os.PathLike], *,
         config: str | None = None, use_config: bool = True, jobs: int | None = 1,
         **settings: Any) -> Report:
    """Lint models (files, directories searched for *.tflite, glob patterns).

    `settings` are the configuration keys with `_` for `-`: target="coral" (or a list),
    runtime_version="2.16", memory_budget="256KiB", select=["TFL1"], fail_on="warning",
    severity={"TFL304": "warning"}, ... as in the config file. The config file found
    from the current directory is read unless use_config=False; `config` names one.
    `jobs` processes lint: 0 one per CPU, None as many as repay their start.
    A bad setting raises tfllint.errors.TfllintError; an unreadable model does not raise:
    its entry says what is wrong and the report's exit code is 2.
    """
    if isinstance(paths, (str, os.PathLike)):
        paths = [paths]
    run = LintRun.load({key.replace("_", "-"): value for key, value in settings.items()},
                       config=config, use_config=use_config, source="tfllint.lint()")
    return run.lint_paths([os.fspath(path) for path in paths], jobs=jobs)


def inspect(path: str | os.PathLike) -> dict[str, Any]:
    """The input/output contract of one model, as `tfllint inspect --format json` prints it."""
    from .inspect_contract import contract_document

    view, analyses = open_model(os.fspath(path))
    return contract_document(view, analyses)


# -- the pipeline ------------------------------------------------------------------------

def read_view(path: str) -> ModelView:
    """The model view of one file or bundle member ("x.task!MEMBER", tfllint.bundles);
    raises ModelReadError when it cannot be read."""
    from .bundles import read_model_file
    from .view import ModelView

    return ModelView(read_model_file(path))


def open_model(path: str, settings: Settings | None = None) -> tuple[ModelView, Analyses]:
    """(view, analyses) of one model file; raises ModelReadError when it cannot be read."""
    from .analyses import Analyses

    view = read_view(path)
    return view, Analyses(view, settings)


def check_view(view: ModelView, settings: Settings, rules: tuple[Rule, ...],
               usage: IgnoreUsage | None = None) -> tuple[Analyses, list[Finding]]:
    """(analyses, findings): every enabled rule run over a model already read; `usage`
    counts what each per-model ignore silenced."""
    from .analyses import Analyses
    from .engine.runner import run_rules

    analyses = Analyses(view, settings)
    return analyses, run_rules(view, analyses, rules, settings, usage)


@record
class LintRun:
    """The settings and enabled rules of a run, checked once, then applied to each model."""

    settings: Settings
    rules: tuple[Rule, ...]
    notes: tuple[str, ...] = ()
    baseline: Baseline | None = None  # the settings' baseline file, read

    @classmethod
    def load(cls, overrides: Mapping[str, Any], *, config: str | None = None,
             use_config: bool = True, source: str = "command line",
             use_baseline: bool = True) -> LintRun:
        """Config file settings with `overrides` (config keys, from `source`) on top;
        the baseline they name is read unless use_baseline=False (--write-baseline)."""
        from .engine.settings import enabled_rules, settings_notes

        settings, all_rules = load_settings_and_rules(overrides, config=config,
                                                      use_config=use_config, source=source)
        if settings.targets:  # a bad target name or profile is a usage error, now
            from .targets import cached_profile, targets_for_soc

            for name in settings.targets:
                cached_profile(name)
            if settings.soc:
                settings = replace(settings, targets=targets_for_soc(settings.targets,
                                                                     settings.soc))
        elif settings.soc:
            raise ConfigError(f"--soc {settings.soc}: name an NPU target with --target")
        baseline = None
        if settings.baseline and use_baseline:
            from .baseline import Baseline

            baseline = Baseline.load(settings.baseline)
        return cls(settings=settings, rules=enabled_rules(settings, all_rules),
                   notes=settings_notes(settings), baseline=baseline)

    def lint_paths(self, paths: Sequence[str],
                   visit: Callable[[Any, Any], None] | None = None, *,
                   jobs: int | None = 1) -> Report:
        """Lint every model the paths name; `visit(view, analyses)` sees each one read."""
        return self.lint_expanded(expand_paths(paths), visit, jobs=jobs)

    def lint_expanded(self, paths: Sequence[tuple[str, str | None]],
                      visit: Callable[[Any, Any], None] | None = None, *,
                      jobs: int | None = 1,
                      progress: Callable[[int, int], None] | None = None) -> Report:
        """Lint (path, problem) pairs from expand_paths; with a baseline, only the places
        it does not record are reported. Baseline entries and per-model ignores that
        matched nothing are reported as unused suppressions and notes. `jobs` processes
        lint (0: one per CPU; None: as many as repay their start, tfllint.parallel);
        `progress(done, total)` is called after each model."""
        from .engine.runner import IgnoreUsage
        from .engine.settings import selector_matches
        from .parallel import lint_models, worker_count

        usage = IgnoreUsage()
        reports, run_notes = lint_models(self, paths, usage, worker_count(jobs, paths),
                                         progress, visit)
        models = tuple(reports)
        unused: list[dict[str, Any]] = []
        notes = list(self.notes) + run_notes
        baseline = None
        if self.baseline is not None:
            kept, suppressed, stale = self.baseline.apply(models,
                                                          {rule.id for rule in self.rules})
            models = tuple(kept)
            baseline = {"file": self.baseline.file, "entries": len(self.baseline.entries),
                        "suppressed": suppressed, "stale": len(stale)}
            unused.extend(stale)
            notes.extend(stale_baseline_notes(self.baseline.file, stale))
        for ignore, linted in usage.unused():
            if not any(selector_matches(selector, rule) for selector in ignore.rules
                       for rule in self.rules):
                continue  # none of its rules ran (--select, --ignore): it could not match
            record = unused_ignore(ignore, linted, self.settings.config_path)
            unused.append(record)
            notes.append(record["message"])
        return Report(models=models, fail_on=self.settings.fail_on, notes=tuple(notes),
                      rules=tuple(rule_entry(rule, self.settings) for rule in self.rules),
                      baseline=baseline, unused_suppressions=tuple(unused))

    def lint_path(self, path: str, problem: str | None = None,
                  visit: Callable[[Any, Any], None] | None = None,
                  usage: IgnoreUsage | None = None) -> dict[str, Any]:
        from .report import error_report

        if problem:
            return error_report(path, None, problem)
        try:
            with cyclic_gc_paused():
                return self._lint_model(path, visit, usage)
        except ModelReadError as error:
            return error_report(path, _size(path), error.problem)
        except TfllintError:
            raise
        except Exception as error:  # a bug of ours or of a profile's check, not the model's
            return error_report(path, _size(path), internal_error(error))

    def _lint_model(self, path: str, visit: Callable[[Any, Any], None] | None,
                    usage: IgnoreUsage | None = None) -> dict[str, Any]:
        from .report import model_report, targets_section

        view = read_view(path)
        analyses, findings = check_view(view, self.settings, self.rules, usage)
        targets = targets_section(analyses, self.settings.targets)
        if visit:
            visit(view, analyses)
        return model_report(view, analyses, findings, targets)


def stale_baseline_notes(file: str, stale: list[dict[str, Any]]) -> list[str]:
    """One note per model with baseline entries that matched nothing."""
    by_model: dict[str, list[dict[str, Any]]] = {}
    for record in stale:
        by_model.setdefault(record["model"], []).append(record)
    notes = []
    for model, records in by_model.items():
        named = [f"{r['rule']}{' [' + r['target'] + ']' if r['target'] else ''} at {r['key']}"
                 for r in records[:3]]
        more = f" and {len(records) - 3} more" if len(records) > 3 else ""
        notes.append(f"baseline {file}: {len(records)} entr{'y' if len(records) == 1 else 'ies'}"
                     f" for {model} matched nothing ({'; '.join(named)}{more}); "
                     f"`--write-baseline {file}` rewrites it without them")
    return notes


def unused_ignore(ignore: Any, linted: list[str], config: str | None) -> dict[str, Any]:
    """The record of a per-model ignore that silenced nothing in the models it applied to."""
    where = "".join(f", {name} {value!r}" for name, value in
                    (("op", ignore.op), ("tensor", ignore.tensor)) if value)
    models = linted[0] if len(linted) == 1 else f"{len(linted)} linted models"
    return {"kind": "per-model-ignore", "file": config, "models": ignore.models,
            "rules": list(ignore.rules), "op": ignore.op, "tensor": ignore.tensor,
            "linted": list(linted),
            "message": f"per-model-ignores {ignore.models!r} = {list(ignore.rules)}{where} "
                       f"silenced nothing in {models}; remove it"
                       + (f" from {config}" if config else "")}


def rule_entry(rule: Rule, settings: Settings) -> dict[str, Any]:
    """A rule as report data: identity, the severity this run gives it (preview and the
    user's overrides applied), its documentation by section."""
    from .engine.rule import DOC_SECTIONS
    from .engine.settings import severity_for

    return {"id": rule.id, "name": rule.name, "severity": severity_for(rule, settings),
            "summary": rule.summary, "doc": rule.doc, "evidence": rule.evidence,
            "sections": {title: rule.section(title) for title in DOC_SECTIONS}}


def load_settings_and_rules(overrides: Mapping[str, Any], *, config: str | None = None,
                            use_config: bool = True, source: str = "command line"
                            ) -> tuple[Settings, tuple[Rule, ...]]:
    """(settings, every loaded rule): the config file's settings with `overrides` (config
    keys) on top, checked against the rules. `severity` and `rules-path` add to the
    file's; every other key replaces the file's value."""
    from .engine.config import load_settings
    from .engine.registry import load_rules
    from .engine.settings import check_against_rules, settings_from_mapping

    file_settings = load_settings(config, use_config=use_config)
    if file_settings.baseline and file_settings.config_path:  # relative to the file
        file_settings = replace(file_settings, baseline=os.path.join(
            file_settings.base_directory, file_settings.baseline))
    overrides = dict(overrides)
    if isinstance(overrides.get("severity"), Mapping):  # anything else: refused below
        overrides["severity"] = {**file_settings.severity, **overrides["severity"]}
    if "rules-path" in overrides:
        extra = overrides["rules-path"]
        overrides["rules-path"] = [*file_settings.rules_paths,
                                   *([extra] if isinstance(extra, str) else extra)]
    settings = settings_from_mapping(overrides, source, file_settings)
    rules = load_rules(settings.rules_paths)
    if file_settings.config_path:
        check_against_rules(file_settings, rules, file_settings.config_path)
    check_against_rules(settings, rules, source)
    return settings, rules


def expand_paths(paths: Sequence[str]) -> list[tuple[str, str | None]]:
    """(model path, problem) pairs: directories recurse for *.tflite and bundles, globs
    expand, a bundle (.task, .litertlm) becomes its TFLite members ("x.task!MEMBER")."""
    from .bundles import MODEL_SUFFIXES, model_paths, split_member_path

    found: list[tuple[str, str | None]] = []
    for path in paths:
        if os.path.isdir(path):
            from pathlib import Path  # here: a pre-commit run names files, not directories

            models = sorted(str(p) for p in Path(path).rglob("*")
                            if p.name.lower().endswith(MODEL_SUFFIXES) and p.is_file())
            for model in models:
                found.extend(model_paths(model))
            if not models:
                found.append((path, "directory holds no .tflite files"))
        elif os.path.exists(path):
            found.extend(model_paths(path))
        elif GLOB_CHARACTERS & set(path):
            matches = sorted(m for m in glob.glob(path, recursive=True) if os.path.isfile(m))
            for match in matches:
                found.extend(model_paths(match))
            if not matches:
                found.append((path, "the pattern matches no files"))
        elif split_member_path(path):
            found.append((path, None))  # a bundle member, named; read_view says if it is not
        else:
            found.append((path, "no such file or directory"))
    return list(dict.fromkeys(found))  # a model named twice is linted once


def internal_error(error: Exception) -> str:
    """The message for an analysis or a profile check that raised while linting a model."""
    where = raised_at(error)
    where = f" at {where}" if where else ""
    return (f"tfllint failed on this model: {type(error).__name__}: {error}{where}. This is "
            "a bug in tfllint or in a target profile's check, not a problem of the model; "
            "please report it")


def _size(path: str) -> int | None:
    try:
        return os.path.getsize(path)
    except OSError:
        return None


__all__ = ["lint", "inspect", "Report", "LintRun", "TfllintError"]
