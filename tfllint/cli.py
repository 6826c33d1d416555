"""The command line: lint models, inspect a model's contract, list and explain rules.

    tfllint [lint] PATH... [options]     lint models (files, directories, globs)
    tfllint inspect MODEL                the input/output contract, from the file alone
    tfllint inspect MODEL --snippet      Python that runs the model (ai-edge-litert)
    tfllint rules [--format markdown]    the rule catalogue
    tfllint explain TFL101               one rule's documentation
    tfllint targets                      the built-in targets

Exit codes: 0 nothing at or above --fail-on, 1 findings at or above it, 2 usage,
configuration or unreadable model (the other models are still linted and reported).
"""
from __future__ import annotations

import argparse
import glob
import os
import sys
from pathlib import Path
from typing import Any, Sequence

from . import __version__
from .errors import ModelReadError, TfllintError, UsageError
from .gc_pause import cyclic_gc_paused

EXIT_CLEAN, EXIT_FINDINGS, EXIT_ERROR = 0, 1, 2
COMMANDS = ("lint", "inspect", "rules", "explain", "targets")
GLOB_CHARACTERS = set("*?[")


class _Parser(argparse.ArgumentParser):
    """argparse exits with 2 on usage errors, as tfllint's contract wants; keep the prefix."""

    def error(self, message: str) -> None:  # type: ignore[override]
        self.print_usage(sys.stderr)
        self.exit(EXIT_ERROR, f"tfllint: error: {message}\n")


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(prog="tfllint", description="Static analyzer and linter for TensorFlow "
                     "Lite / LiteRT models. `tfllint PATH...` is short for `tfllint lint PATH...`.",
                     epilog="Exit codes: 0 clean, 1 findings at or above --fail-on, "
                     "2 usage, configuration or unreadable model.")
    parser.add_argument("--version", action="version", version=f"tfllint {__version__}")
    commands = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser)

    lint = commands.add_parser("lint", help="lint models (the default command)",
                               description="Lint .tflite models: files, directories "
                               "(searched recursively for *.tflite) and glob patterns.")
    lint.add_argument("paths", nargs="+", metavar="PATH")
    lint.add_argument("--format", help="output format: text (default) or json")
    lint.add_argument("--fail-on", choices=("error", "warning", "info", "none"),
                      help="lowest severity that makes the exit code 1 (default: error)")
    lint.add_argument("--select", help="only these rules: comma-separated IDs, ID prefixes "
                      "(TFL1) or names")
    lint.add_argument("--ignore", help="skip these rules: comma-separated IDs, prefixes or names")
    lint.add_argument("--severity", action="append", metavar="RULE=LEVEL", default=[],
                      help="override a rule's severity, e.g. TFL106=warning (repeatable)")
    lint.add_argument("--runtime-version", metavar="X.Y",
                      help="the LiteRT/TFLite release the app ships, e.g. 2.11; op versions "
                      "it cannot run are errors")
    lint.add_argument("--target", action="append", metavar="NAME",
                      help="check the model against a runtime or delegate (repeatable or "
                      "comma-separated): cpu, coral, gpu, nnapi, xnnpack, tflm, ethos-u55, "
                      "... (`tfllint targets`), or a profile .toml path")
    lint.add_argument("--android-api", type=int, metavar="N",
                      help="Android API level of the device, for --target nnapi")
    lint.add_argument("--max-delegated-partitions", type=int, metavar="N",
                      help="partitions a GPU-style delegate takes (default: the target's, 1 "
                      "for gpu)")
    lint.add_argument("--max-partitions", type=int, metavar="N",
                      help="report a target whose accelerated partitions exceed N (TFL303)")
    lint.add_argument("--min-on-target", metavar="SHARE",
                      help="report a target that runs less than this share of the ops or of "
                      "the multiply-accumulates, e.g. 90%% (TFL304)")
    lint.add_argument("--memory-budget", metavar="SIZE",
                      help="RAM for activations: the planned arena must fit (TFL401) and "
                      "every tensor (TFL402); e.g. 256KiB, 2MB, 1.5GiB or bytes (kB/MB/GB "
                      "count in 1000s, KiB/MiB/GiB in 1024s). Planned as TFLite Micro does "
                      "with --target tflm or ethos-u*, as the LiteRT interpreter does "
                      "otherwise")
    lint.add_argument("--weights-budget", metavar="SIZE",
                      help="flash or parameter memory for weights and other constants "
                      "(TFL403); sizes as for --memory-budget")
    lint.add_argument("--plot", metavar="PATH",
                      help="write the memory timeline (live bytes per op, the peak, the "
                      "budget) as an SVG; {model} in PATH is replaced, as needed for several")
    lint.add_argument("--graph", metavar="PATH",
                      help="write the graph coloured by verdict per target: .dot or .graphml; "
                      "{model} and {target} in PATH are replaced, as needed for several")
    add_common_options(lint)

    commands.add_parser("targets", help="list the built-in targets",
                        description="The built-in targets: what each describes and checks.")

    inspect = commands.add_parser("inspect", help="print a model's input/output contract",
                                  description="The input/output contract of a model, read "
                                  "from the file alone: what to feed it and what it returns.")
    inspect.add_argument("model", metavar="MODEL")
    output = inspect.add_mutually_exclusive_group()
    output.add_argument("--format", choices=("text", "json"), default="text",
                        help="the contract as text (default) or JSON")
    output.add_argument("--snippet", action="store_true",
                        help="print instead ready-to-run Python for the ai-edge-litert "
                        "interpreter: placeholder inputs of the exact shapes and types, "
                        "quantized with the model's scales and zero points, a call by "
                        "signature where the model has one, and the outputs printed "
                        "dequantized (with top labels from TFLite Support metadata)")

    rules = commands.add_parser("rules", help="list the rules",
                                description="The rule catalogue.")
    rules.add_argument("--format", choices=("text", "markdown", "json"), default="text")
    add_common_options(rules)

    explain = commands.add_parser("explain", help="show one rule's documentation",
                                  description="Print a rule's documentation.")
    explain.add_argument("rule", metavar="RULE", help="rule ID (TFL101) or name")
    add_common_options(explain)
    return parser


def add_common_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--config", metavar="FILE", help="configuration file (default: "
                        "tfllint.toml or pyproject.toml [tool.tfllint], searched upward)")
    parser.add_argument("--no-config", action="store_true", help="ignore configuration files")
    parser.add_argument("--rules-path", action="append", metavar="DIR", default=[],
                        help="also load rule modules from DIR (repeatable)")


def main(argv: Sequence[str] | None = None) -> int:
    arguments = list(sys.argv[1:] if argv is None else argv)
    if arguments and arguments[0] not in COMMANDS and not arguments[0].startswith("-"):
        arguments.insert(0, "lint")
    parser = build_parser()
    options = parser.parse_args(arguments)
    if options.command is None:
        parser.print_help(sys.stderr)
        return EXIT_ERROR
    try:
        return COMMAND_FUNCTIONS[options.command](options)
    except TfllintError as error:
        print(f"tfllint: error: {error}", file=sys.stderr)
        return EXIT_ERROR
    except BrokenPipeError:  # `tfllint ... | head`
        return EXIT_CLEAN


# -- settings -----------------------------------------------------------------------------

def load_run_settings(options: argparse.Namespace):
    """(file settings, file settings with the command line applied on top)."""
    from .engine.config import load_settings
    from .engine.settings import settings_from_mapping

    settings = load_settings(options.config, use_config=not options.no_config)
    command_line: dict[str, Any] = {}
    lint_keys = ("format", "fail_on", "select", "ignore", "runtime_version", "android_api",
                 "max_delegated_partitions", "max_partitions", "min_on_target",
                 "memory_budget", "weights_budget")
    for key in lint_keys if options.command == "lint" else ():
        value = getattr(options, key, None)
        if value is not None:
            command_line[key.replace("_", "-")] = value
    if getattr(options, "target", None):
        command_line["target"] = ",".join(options.target)
    if getattr(options, "severity", None):  # only lint has --severity
        command_line["severity"] = {**settings.severity, **_severity_pairs(options.severity)}
    if options.rules_path:
        command_line["rules-path"] = [*settings.rules_paths, *options.rules_path]
    return settings, settings_from_mapping(command_line, "command line", settings)


def _severity_pairs(pairs: list[str]) -> dict[str, str]:
    result = {}
    for pair in pairs:
        rule, separator, level = pair.partition("=")
        if not separator:
            raise UsageError(f"--severity {pair!r}: expected RULE=LEVEL, e.g. TFL106=warning")
        result[rule.strip()] = level.strip()
    return result


def load_checked_rules(options: argparse.Namespace):
    """The run's settings and every rule, with the settings checked against the rules."""
    from .engine.registry import load_rules
    from .engine.settings import check_against_rules

    file_settings, settings = load_run_settings(options)
    rules = load_rules(settings.rules_paths)
    if file_settings.config_path:
        check_against_rules(file_settings, rules, file_settings.config_path)
    check_against_rules(settings, rules, "command line")
    return settings, rules


# -- lint ---------------------------------------------------------------------------------

def expand_paths(paths: Sequence[str]) -> list[tuple[str, str | None]]:
    """(model path, problem) pairs: directories recurse for *.tflite, globs expand."""
    found: list[tuple[str, str | None]] = []
    for path in paths:
        if os.path.isdir(path):
            models = sorted(str(p) for p in Path(path).rglob("*.tflite") if p.is_file())
            found.extend((m, None) for m in models)
            if not models:
                found.append((path, "directory holds no .tflite files"))
        elif os.path.exists(path):
            found.append((path, None))
        elif GLOB_CHARACTERS & set(path):
            matches = sorted(m for m in glob.glob(path, recursive=True) if os.path.isfile(m))
            found.extend((m, None) for m in matches)
            if not matches:
                found.append((path, "the pattern matches no files"))
        else:
            found.append((path, "no such file or directory"))
    unique = dict.fromkeys(found)  # a model named twice is linted once
    return list(unique)


def command_lint(options: argparse.Namespace) -> int:
    from .engine.settings import enabled_rules
    from .reporters import RunResult, get_reporter
    from .report import run_summary

    settings, all_rules = load_checked_rules(options)
    reporter = get_reporter(settings.format)
    rules = enabled_rules(settings, all_rules)
    _check_targets(settings)
    paths = expand_paths(options.paths)
    graph = GraphOutput(options.graph, len(paths), settings.targets) if options.graph else None
    plot = PlotOutput(options.plot, [path for path, _ in paths]) if options.plot else None
    reports = [lint_one(path, problem, rules, settings, graph) for path, problem in paths]
    if plot:
        for report in reports:
            plot.write(report)
    run = RunResult(reports=reports, summary=run_summary(reports), fail_on=settings.fail_on,
                    tool_version=__version__)
    sys.stdout.write(reporter.render(run))
    return exit_code(reports, settings.fail_on)


def _check_targets(settings) -> None:
    """Load every named target once up front: a bad name or profile is a usage error."""
    from .targets import cached_profile

    for name in settings.targets:
        cached_profile(name)


def lint_one(path: str, problem: str | None, rules, settings,
             graph: GraphOutput | None = None) -> dict[str, Any]:
    from .engine.runner import RuleFailure
    from .report import error_report

    if problem:
        return error_report(path, None, problem)
    try:
        with cyclic_gc_paused():
            return _lint_model(path, rules, settings, graph)
    except ModelReadError as error:
        return error_report(path, _size(path), error.problem)
    except RuleFailure as error:
        return error_report(path, _size(path), str(error))


def _lint_model(path: str, rules, settings, graph: GraphOutput | None) -> dict[str, Any]:
    from .analyses import Analyses
    from .engine.runner import run_rules
    from .reader import read_model
    from .report import model_report, targets_section
    from .view import ModelView

    view = ModelView(read_model(path))
    analyses = Analyses(view, settings)
    findings = run_rules(view, analyses, rules, settings)
    targets = targets_section(analyses, settings.targets)
    if graph:
        graph.write(view, analyses)
    return model_report(view, analyses, findings, targets)


def _size(path: str) -> int | None:
    try:
        return os.path.getsize(path)
    except OSError:
        return None


def exit_code(reports: list[dict[str, Any]], fail_on: str) -> int:
    from .engine.rule import SEVERITY_RANK

    if any(report["error"] for report in reports):
        return EXIT_ERROR
    if fail_on == "none":
        return EXIT_CLEAN
    threshold = SEVERITY_RANK[fail_on]
    failing = any(SEVERITY_RANK[f["severity"]] >= threshold
                  for report in reports for f in report["findings"])
    return EXIT_FINDINGS if failing else EXIT_CLEAN


# -- inspect, rules, explain --------------------------------------------------------------

def command_inspect(options: argparse.Namespace) -> int:
    if options.snippet:
        from .snippet import render_snippet

        sys.stdout.write(render_snippet(options.model))
        return EXIT_CLEAN
    from .inspect_contract import render_contract

    sys.stdout.write(render_contract(options.model, options.format))
    return EXIT_CLEAN


def command_rules(options: argparse.Namespace) -> int:
    from .catalogue import render_catalogue

    _, rules = load_checked_rules(options)
    sys.stdout.write(render_catalogue(rules, options.format))
    return EXIT_CLEAN


def command_explain(options: argparse.Namespace) -> int:
    from .catalogue import render_explanation

    _, rules = load_checked_rules(options)
    wanted = options.rule.strip()
    for rule in rules:
        if wanted.upper() == rule.id or wanted == rule.name:
            sys.stdout.write(render_explanation(rule))
            return EXIT_CLEAN
    raise UsageError(f"no rule {wanted!r}; `tfllint rules` lists them")


def command_targets(options: argparse.Namespace) -> int:
    from .targets.catalogue import render_targets

    sys.stdout.write(render_targets())
    return EXIT_CLEAN


class GraphOutput:
    """Where --graph writes: one file per model and target, named from the PATH pattern."""

    def __init__(self, pattern: str, model_count: int, targets: tuple[str, ...]) -> None:
        if not pattern.endswith((".dot", ".graphml")):
            raise UsageError(f"--graph {pattern}: the file must end in .dot or .graphml")
        if not targets:
            raise UsageError("--graph needs at least one --target to colour the ops by")
        if (model_count > 1 and "{model}" not in pattern) or \
                (len(targets) > 1 and "{target}" not in pattern):
            raise UsageError(f"--graph {pattern}: with several models or targets, put "
                             "{model} and {target} in the path, e.g. graphs/{model}.{target}.dot")
        self.pattern, self.targets = pattern, targets

    def write(self, view, analyses) -> None:
        from .targets.graph_export import write_graph

        for target in self.targets:
            path = self.pattern.replace("{model}", Path(view.path).stem).replace(
                "{target}", Path(target).stem)
            write_graph(view, analyses.target(target), path)


class PlotOutput:
    """Where --plot writes: one SVG of the memory timeline per model, named from PATH."""

    def __init__(self, pattern: str, model_paths: list[str]) -> None:
        if not pattern.endswith(".svg"):
            raise UsageError(f"--plot {pattern}: the file must end in .svg")
        if len(model_paths) > 1 and "{model}" not in pattern:
            raise UsageError(f"--plot {pattern}: with several models, put {{model}} in the "
                             "path, e.g. plots/{model}.svg")
        seen: dict[str, str] = {}
        for path in model_paths:  # one plot would overwrite the other
            stem = Path(path).stem
            if stem in seen:
                raise UsageError(f"--plot {pattern}: {seen[stem]} and {path} would both be "
                                 f"plotted as {{model}} = {stem}; plot them in separate runs")
            seen[stem] = path
        # said before linting, not after: the run would otherwise end with no report
        directory = os.path.dirname(pattern)
        if directory and "{model}" not in directory and not os.path.isdir(directory):
            raise UsageError(f"--plot {pattern}: there is no directory {directory}")
        self.pattern = pattern

    def write(self, report: dict[str, Any]) -> None:
        from .plot import write_memory_svg

        if report["memory"] is None:  # the model could not be read
            return
        name = Path(report["path"]).name
        write_memory_svg(report["memory"], f"{name}: memory timeline",
                         self.pattern.replace("{model}", Path(report["path"]).stem))


COMMAND_FUNCTIONS = {"lint": command_lint, "inspect": command_inspect,
                     "rules": command_rules, "explain": command_explain,
                     "targets": command_targets}


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
