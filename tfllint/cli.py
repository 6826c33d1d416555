"""The command line: lint models, inspect a model's contract, list and explain rules.

    tfllint [lint] [options] PATH...     lint models (files, directories, globs)
    tfllint inspect MODEL                the input/output contract, from the file alone
    tfllint inspect MODEL --snippet      Python that runs the model (ai-edge-litert)
    tfllint diff OLD NEW [--target ...]  what changed for deployment; gates exit 1
    tfllint rules [--format markdown]    the rule catalogue
    tfllint explain TFL101               one rule's documentation
    tfllint targets                      the built-in targets

Exit codes: 0 nothing at or above --fail-on, 1 findings at or above it, 2 usage,
configuration or unreadable model, or a rule that failed (the other models and rules
still report). The lint pipeline itself is tfllint.pipeline, shared with the Python API.
"""
from __future__ import annotations

import argparse
import os
import sys
from typing import Any, Sequence

from . import __version__
from .errors import TfllintError, UsageError
from .pipeline import EXIT_CLEAN, EXIT_ERROR, LintRun
from .progress import ProgressBar

COMMANDS = ("lint", "inspect", "rules", "explain", "targets", "diff")
TOP_LEVEL_OPTIONS = ("-h", "--help", "--version")
SHOW_CHOICES = ("findings", "memory", "io", "ops", "all")
LINT_DESCRIPTION = ("Lint .tflite models: files, directories (searched recursively for "
                    "*.tflite and the .task and .litertlm bundles whose models are linted one "
                    "by one, as BUNDLE!MEMBER) and glob patterns. Options may come before, "
                    "between or after the paths.")


class _HelpFormatter(argparse.HelpFormatter):
    """argparse's own, told the width: left to itself it imports shutil (with bz2 and lzma)
    to ask, on every run, for help text that is seldom printed."""

    def __init__(self, prog: str, indent_increment: int = 2, max_help_position: int = 24,
                 width: int | None = None) -> None:
        super().__init__(prog, indent_increment, max_help_position,
                         width if width is not None else terminal_columns(80) - 2)


class _Parser(argparse.ArgumentParser):
    """argparse exits with 2 on usage errors, as tfllint's contract wants; keep the prefix."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("formatter_class", _HelpFormatter)
        super().__init__(*args, **kwargs)

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

    add_lint_arguments(commands.add_parser("lint", help="lint models (the default command)",
                                           description=LINT_DESCRIPTION))
    add_other_commands(commands)
    return parser


def build_lint_parser() -> argparse.ArgumentParser:
    """The lint command's parser alone, as `tfllint lint` shows it: a lint, the command
    every hook and CI run starts, does not spend milliseconds building the others."""
    parser = _Parser(prog="tfllint lint", description=LINT_DESCRIPTION)
    add_lint_arguments(parser)
    return parser


def add_lint_arguments(lint: argparse.ArgumentParser) -> None:
    lint.add_argument("paths", nargs="+", metavar="PATH")
    lint.add_argument("--format", help="output format: text (default), json, sarif, "
                      "github, gitlab, markdown or html")
    lint.add_argument("--show", action="append", metavar="WHAT", default=[],
                      help="text report: also show " + ", ".join(SHOW_CHOICES) + " (comma-"
                      "separated or repeated): every finding, the memory plan and timeline, "
                      "the input/output tables, the per-op verdicts of each --target")
    lint.add_argument("--quiet", "-q", action="store_true",
                      help="text report: only warnings, errors and the summary; nothing "
                      "for a model without them")
    lint.add_argument("--statistics", action="store_true",
                      help="text report: end with the number of findings per rule")
    lint.add_argument("--output-file", "-o", metavar="FILE",
                      help="write the report to FILE instead of standard output")
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
    lint.add_argument("--accelerators", metavar="LIST",
                      help="the LiteRT CompiledModel accelerator set the app passes, for "
                      "CompiledModel targets (gpu-mldrift, npu-*): by default the "
                      "target's accelerator and the CPU (gpu,cpu or npu,cpu: ops it leaves "
                      "off run on the CPU); without cpu (e.g. gpu) one op left off fails "
                      "CompiledModel::Create for the whole model (TFL302)")
    lint.add_argument("--soc", metavar="NAME",
                      help="the SoC, for NPU targets whose verdicts differ by SoC: "
                      "npu-qualcomm describes SM8650 and the other HTP v73+ SoCs; --soc "
                      "SM8450 (or SM8350, SM8475, SA8295) checks npu-qualcomm-v69 instead "
                      "(`tfllint targets npu-qualcomm` lists them)")
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
    lint.add_argument("--tflm-word-size", choices=("64", "32"),
                      help="the TFLite Micro build planned and budgeted with --target tflm or "
                      "ethos-u*: 64 (a 64-bit host build, as tflite-micro's Python "
                      "interpreter; the default) or 32 (a 32-bit microcontroller, whose "
                      "persistent structures are smaller); --show memory and JSON give both")
    lint.add_argument("--preview", action=argparse.BooleanOptionalAction, default=None,
                      help="also run preview rules and apply preview severities (new rules "
                      "and rising severities, default from the next minor release; "
                      "`tfllint rules` shows each rule's state); --no-preview overrides "
                      "preview = true in the config")
    lint.add_argument("--untrusted", action=argparse.BooleanOptionalAction, default=None,
                      help="the model comes from outside (a hub, another team): run every "
                      "check that matters for such a file, preview ones (TFL009, ...) "
                      "included, at its untrusted severity: runtime crashes, Flex ops that "
                      "touch files, custom ops that run native code, 32-bit size overflows, "
                      "and TFLite Micro's crashes as with --target tflm (README: Untrusted "
                      "models); --no-untrusted overrides untrusted = true in the config")
    lint.add_argument("--baseline", metavar="FILE",
                      help="report only findings that FILE (written by --write-baseline) "
                      "does not record: a grouped finding keeps only its new places; "
                      "entries that matched nothing are noted, so the baseline does not rot")
    lint.add_argument("--write-baseline", metavar="FILE",
                      help="record every place of the current findings in FILE (JSON; "
                      "model paths relative to its directory) and exit 0 without a report; "
                      "entries for models not linted in this run are kept")
    lint.add_argument("--jobs", "-j", type=_jobs, metavar="N",
                      help="lint in N worker processes (0 or auto: one per CPU; 1: none); the "
                      "report is the same whatever N. By default one per CPU when there are "
                      "several models and enough work to repay starting them, else none")
    lint.add_argument("--plot", metavar="PATH",
                      help="write the memory timeline (live bytes per op, the peak, the "
                      "budget) as an SVG; {model} in PATH is replaced, as needed for several")
    lint.add_argument("--graph", metavar="PATH",
                      help="write the graph coloured by verdict per target: .dot or .graphml; "
                      "{model} and {target} in PATH are replaced, as needed for several")
    add_common_options(lint)


def add_other_commands(commands: Any) -> None:
    targets = commands.add_parser(
        "targets", help="list the built-in targets, or tell one in full",
        description="The built-in targets: what each describes and checks. With NAME, one "
        "target in full: the runtime path it models, the release and sources it describes, "
        "how it partitions, and what it cannot know from the file alone.")
    targets.add_argument("name", metavar="NAME", nargs="?",
                         help="a target name or alias, or a profile .toml path")

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

    diff = commands.add_parser("diff", help="compare two versions of a model",
                               description="What changed from OLD to NEW that matters for "
                               "deployment: inputs, outputs and signatures, ops added or "
                               "removed, op versions and the runtime needed, quantization, "
                               "weights and arena, ops newly falling back per --target, "
                               "findings new and gone. Exit 1 when a gate is crossed, 2 when "
                               "a model cannot be read, 0 otherwise.")
    diff.add_argument("old", metavar="OLD")
    diff.add_argument("new", metavar="NEW")
    diff.add_argument("--format", choices=("text", "json", "markdown"), default="text",
                      help="text (default), json or markdown (for a pull request comment)")
    diff.add_argument("--target", action="append", metavar="NAME",
                      help="compare the per-op verdicts and partitions on this target "
                      "(repeatable or comma-separated; as for lint)")
    diff.add_argument("--runtime-version", metavar="X.Y",
                      help="the LiteRT/TFLite release the app ships (as for lint)")
    diff.add_argument("--max-arena-growth", metavar="LIMIT",
                      help="gate: exit 1 when the planned arena grows by more than LIMIT: "
                      "a share of the old figure (10%%, 0.1) or a size (16KiB, 4096)")
    diff.add_argument("--max-weights-growth", metavar="LIMIT",
                      help="gate: exit 1 when the weights grow by more than LIMIT (as above)")
    diff.add_argument("--no-new-fallback", action="store_true",
                      help="gate: exit 1 when an op newly falls back off a --target, a "
                      "target gets more partitions, or can no longer run the model")
    diff.add_argument("--no-contract-change", action="store_true",
                      help="gate: exit 1 when inputs, outputs or signatures change (names, "
                      "order, dtype, shape, quantization)")
    diff.add_argument("--output-file", "-o", metavar="FILE",
                      help="write the diff to FILE instead of standard output")
    add_common_options(diff)

    rules = commands.add_parser("rules", help="list the rules",
                                description="The rule catalogue.")
    rules.add_argument("--format", choices=("text", "markdown", "json"), default="text")
    add_common_options(rules)

    explain = commands.add_parser("explain", help="show one rule's documentation",
                                  description="Print a rule's documentation.")
    explain.add_argument("rule", metavar="RULE", help="rule ID (TFL101) or name")
    add_common_options(explain)


def _jobs(value: str) -> int:
    if value.strip().lower() == "auto":
        return 0
    try:
        jobs = int(value)
    except ValueError:
        jobs = -1
    if jobs < 0:
        raise argparse.ArgumentTypeError(f"expected a number of processes or auto, got {value!r}")
    return jobs


def add_common_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--config", metavar="FILE", help="configuration file (default: "
                        "tfllint.toml or pyproject.toml [tool.tfllint], searched upward)")
    parser.add_argument("--no-config", action="store_true", help="ignore configuration files")
    parser.add_argument("--rules-path", action="append", metavar="DIR", default=[],
                        help="also load rule modules from DIR (repeatable)")


def main(argv: Sequence[str] | None = None) -> int:
    arguments = list(sys.argv[1:] if argv is None else argv)
    if arguments and arguments[0] not in COMMANDS[1:] + TOP_LEVEL_OPTIONS:
        # `tfllint [lint] ...`: options may stand before, between or after the paths, as
        # pre-commit puts a hook's args before the file names.
        if arguments[0] == "lint":
            arguments = arguments[1:]
        options = build_lint_parser().parse_intermixed_args(arguments)
        options.command = "lint"
    else:
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


# -- lint ---------------------------------------------------------------------------------

LINT_KEYS = ("format", "fail_on", "select", "ignore", "runtime_version", "android_api",
             "max_delegated_partitions", "accelerators", "soc", "max_partitions", "min_on_target",
             "memory_budget", "weights_budget", "tflm_word_size", "preview", "untrusted",
             "baseline")


def command_line_settings(options: argparse.Namespace) -> dict[str, Any]:
    """The lint options the user gave, as configuration keys (they replace the file's)."""
    overrides: dict[str, Any] = {}
    for key in LINT_KEYS if options.command == "lint" else ():
        value = getattr(options, key, None)
        if value is not None:
            overrides[key.replace("_", "-")] = value
    if getattr(options, "target", None):
        overrides["target"] = ",".join(options.target)
    if getattr(options, "severity", None):  # only lint has --severity
        overrides["severity"] = _severity_pairs(options.severity)
    if options.rules_path:
        overrides["rules-path"] = options.rules_path
    return overrides


def _severity_pairs(pairs: list[str]) -> dict[str, str]:
    result = {}
    for pair in pairs:
        rule, separator, level = pair.partition("=")
        if not separator:
            raise UsageError(f"--severity {pair!r}: expected RULE=LEVEL, e.g. TFL106=warning")
        result[rule.strip()] = level.strip()
    return result


def load_run(options: argparse.Namespace) -> LintRun:
    return LintRun.load(command_line_settings(options), config=options.config,
                        use_config=not options.no_config)


def command_lint(options: argparse.Namespace) -> int:
    from .pipeline import expand_paths
    from .reporters import get_reporter

    if getattr(options, "write_baseline", None):
        return write_baseline(options)
    run = load_run(options)
    reporter = get_reporter(run.settings.format)
    display = display_options(options)
    if options.output_file:  # said before linting, not after
        directory = os.path.dirname(options.output_file)
        if directory and not os.path.isdir(directory):
            raise UsageError(f"--output-file {options.output_file}: there is no directory "
                             f"{directory}")
    paths = [(path, problem if path not in COMMANDS or not problem else
              f"{problem}; to run the `{path}` command, name it first: tfllint {path} ...")
             for path, problem in expand_paths(options.paths)]
    graph = GraphOutput(options.graph, len(paths), run.settings.targets) if options.graph \
        else None
    plot = PlotOutput(options.plot, [path for path, _ in paths]) if options.plot else None
    progress = ProgressBar(sys.stderr) if sys.stderr.isatty() and not options.quiet else None
    try:
        report = run.lint_expanded(paths, visit=graph.write if graph else None,
                                   jobs=options.jobs, progress=progress)
    finally:
        if progress:
            progress.close()
    if plot:
        for model in report.models:
            plot.write(model)
    for note in report.notes:
        print(f"tfllint: note: {note}", file=sys.stderr)
    text = reporter.render(report, display)
    emit(text, options.output_file)
    return report.exit_code


def emit(text: str, output_file: str | None) -> None:
    """The report to --output-file, or to standard output."""
    if not output_file:
        sys.stdout.write(text)
        return
    try:
        with open(output_file, "w", encoding="utf-8") as handle:
            handle.write(text)
    except OSError as error:
        raise UsageError(f"--output-file {output_file}: {error.strerror or error}") from None


def write_baseline(options: argparse.Namespace) -> int:
    """--write-baseline FILE: lint without a baseline and record every place found."""
    from .baseline import write_baseline as write

    if options.baseline:
        raise UsageError("--baseline and --write-baseline: give one (--write-baseline "
                         "records every current finding, whatever a baseline holds)")
    run = LintRun.load(command_line_settings(options), config=options.config,
                       use_config=not options.no_config, use_baseline=False)
    report = run.lint_paths(options.paths, jobs=options.jobs)
    for note in report.notes:
        print(f"tfllint: note: {note}", file=sys.stderr)
    entries = write(options.write_baseline, report.models)
    readable = [model for model in report.models if not model["error"]]
    print(f"tfllint: baseline {options.write_baseline}: {len(entries)} entr"
          f"{'y' if len(entries) == 1 else 'ies'} ({len(report.findings)} finding(s) in "
          f"{len(readable)} model(s) linted now)", file=sys.stderr)
    for model in report.models:  # not recorded: always reported, exit 2
        problems = [model["error"]] if model["error"] else \
            [f["message"] for f in model["findings"] if f["severity"] == "failure"]
        for problem in problems:
            print(f"tfllint: error: {model['path']}: {problem}", file=sys.stderr)
    return EXIT_ERROR if report.exit_code == EXIT_ERROR else EXIT_CLEAN


def display_options(options: argparse.Namespace):
    """How the text report is laid out: what it shows, its width, whether in colour."""
    from .reporters import Display

    shown = {part.strip() for value in options.show for part in value.split(",") if part.strip()}
    unknown = shown - set(SHOW_CHOICES)
    if unknown:
        raise UsageError(f"--show {', '.join(sorted(unknown))}: choose from "
                         f"{', '.join(SHOW_CHOICES)}")
    if "all" in shown:
        shown = set(SHOW_CHOICES)
    to_terminal = not options.output_file and sys.stdout.isatty()
    width = terminal_columns(100) if to_terminal else _columns_from_environment()
    colour = not options.output_file and use_colour(to_terminal)  # a file gets no escapes
    return Display(show=frozenset(shown), quiet=options.quiet, statistics=options.statistics,
                   width=max(width, 40), colour=colour)


def terminal_columns(fallback: int) -> int:
    """The width shutil.get_terminal_size gives (COLUMNS, else the terminal's), without
    importing shutil."""
    try:
        columns = int(os.environ.get("COLUMNS", 0))
    except ValueError:
        columns = 0
    if columns > 0:
        return columns
    try:
        return os.get_terminal_size(sys.__stdout__.fileno()).columns or fallback
    except (AttributeError, ValueError, OSError):
        return fallback


def _columns_from_environment() -> int:
    try:
        return int(os.environ.get("COLUMNS", ""))
    except ValueError:
        return 100


def use_colour(to_terminal: bool) -> bool:
    """NO_COLOR (any value) turns colour off, FORCE_COLOR on; otherwise only on a terminal
    (https://no-color.org, https://force-color.org)."""
    if os.environ.get("NO_COLOR"):
        return False
    if os.environ.get("FORCE_COLOR"):
        return True
    return to_terminal


def load_checked_rules(options: argparse.Namespace):
    """Every rule (built-in and --rules-path), with the settings checked against them."""
    from .pipeline import load_settings_and_rules

    return load_settings_and_rules(command_line_settings(options), config=options.config,
                                   use_config=not options.no_config)


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


def command_diff(options: argparse.Namespace) -> int:
    from .model_diff import Gates, diff_with_run
    from .diff_report import render_diff

    gates = Gates.from_options(options.max_arena_growth, options.max_weights_growth,
                               options.no_new_fallback, options.no_contract_change)
    overrides = command_line_settings(options)
    if options.runtime_version is not None:
        overrides["runtime-version"] = options.runtime_version
    run = LintRun.load(overrides, config=options.config, use_config=not options.no_config,
                       use_baseline=False)  # diff compares two models whole
    result = diff_with_run(run, options.old, options.new, gates)
    for note in result.notes:
        print(f"tfllint: note: {note}", file=sys.stderr)
    text = render_diff(result.document, options.format)
    emit(text, options.output_file)
    return result.exit_code


def command_targets(options: argparse.Namespace) -> int:
    from .targets import load_target
    from .targets.catalogue import render_target, render_targets

    if options.name is None:
        sys.stdout.write(render_targets())
    else:
        sys.stdout.write(render_target(load_target(options.name), terminal_columns(100)))
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
            path = self.pattern.replace("{model}", _stem(view.path)).replace(
                "{target}", _stem(target))
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
            stem = _stem(path)
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
        name = os.path.basename(report["path"])
        write_memory_svg(report["memory"], f"{name}: memory timeline",
                         self.pattern.replace("{model}", _stem(report["path"])))


def _stem(path: str) -> str:
    """The file name without its last suffix, as pathlib's `stem`."""
    return os.path.splitext(os.path.basename(path))[0]


COMMAND_FUNCTIONS = {"lint": command_lint, "inspect": command_inspect,
                     "rules": command_rules, "explain": command_explain,
                     "targets": command_targets, "diff": command_diff}


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
