"""Time tfllint, and TensorFlow's TFLite Analyzer beside it, on the synthetic benchmark models.

Each measurement is one whole process, started fresh by a tiny wrapper: wall time from spawn
to exit and the process's own peak resident set size (``ru_maxrss`` from ``os.wait4``), so
interpreter start-up and imports count, as they do for a user or a CI job.

    python bench/run.py [--repeat 5] [--timeout 300] [--markdown FILE] [--no-tf] [MODEL ...]

The models are built by bench/synthetic.py when missing. tfllint is measured through its
command line (``python -m tfllint MODEL --format json``); if that is unusable (tfllint not
installed, so its built-in rules are not registered) the reason is printed and the
reader-only command (``read_model(MODEL)``) is measured instead, and the output says so.
"""
from __future__ import annotations

import argparse
import mmap
import os
import platform
import statistics
import signal
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, replace

import tflite

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import synthetic  # noqa: E402  (the sibling module, whichever directory we run from)

REPO_ROOT = synthetic.REPO_ROOT
CLI_COMMAND = ("-m", "tfllint", "{model}", "--format", "json")
READER_COMMAND = ("-c", "from tfllint.reader import read_model; import sys; "
                  "read_model(sys.argv[1])", "{model}")
ANALYZER_COMMAND = ("-c", "import sys, tensorflow as tf; "
                    "tf.lite.experimental.Analyzer.analyze(model_path=sys.argv[1])", "{model}")
TARGETS = {  # model: (wall seconds, peak RSS MiB) tfllint must stay under
    "mobilenet_v2_sized": (0.09, 60),
    "mobilenet_v2_sized --target gpu": (0.10, None),
    "ops_10k": (0.8, None),
    "weights_1gb": (None, 100),
}
# The models also measured with one --target (the command a device team runs): the small
# one, and every model given on the command line.
TARGET_CASE = ("--target", "gpu")
TARGET_CASE_MODELS = ("mobilenet_v2_sized",)
MIB = 1024 * 1024


@dataclass(frozen=True)
class Run:
    """One finished (or killed) child process."""

    wall_seconds: float
    peak_rss_bytes: int
    exit_code: int | None  # None: killed at the timeout
    stdout: str
    stderr: str


@dataclass(frozen=True)
class Tool:
    """How to start one tool on one model: argv after the interpreter, and environment."""

    label: str
    argv: tuple[str, ...]
    env: dict[str, str]
    ok_exit_codes: tuple[int, ...] = (0,)

    def command(self, python: str, model: str) -> list[str]:
        return [python, *(arg.replace("{model}", model) for arg in self.argv)]

    def shown(self) -> str:
        return " ".join(["python", *(f'"{a}"' if " " in a else a for a in self.argv)]).replace(
            "{model}", "MODEL")


@dataclass(frozen=True)
class Measurement:
    runs: tuple[Run, ...]
    timeout: float
    ok_exit_codes: tuple[int, ...]

    @property
    def failure(self) -> str | None:
        """Why the figures are missing: the last run timed out or failed."""
        last = self.runs[-1]
        if last.exit_code is None:
            return f"timed out after {self.timeout:g} s"
        if last.exit_code not in self.ok_exit_codes:
            return f"failed (exit {last.exit_code})"
        return None

    def wall(self) -> float:
        return statistics.median(run.wall_seconds for run in self.runs)

    def peak_rss_mib(self) -> float:
        return max(run.peak_rss_bytes for run in self.runs) / MIB


# Runs one command and reports its wall time and its own peak RSS. It is a separate, small
# process because Linux carries the peak RSS of the process that forks/vforks a child into the
# child's ru_maxrss across exec: spawned straight from this script (numpy, tflite, ...) every
# figure would start at this script's size. Started with -I -S it imports nothing but os, sys
# and time, so the floor it leaves is below the peak of any Python process it measures.
WRAPPER = """\
import os, sys, time
result_path, argv = sys.argv[1], sys.argv[2:]
started = time.perf_counter()
pid = os.posix_spawnp(argv[0], argv, os.environ)
_, status, usage = os.wait4(pid, 0)
wall = time.perf_counter() - started
with open(result_path, "w") as result:
    result.write(f"{wall!r} {usage.ru_maxrss} {os.waitstatus_to_exitcode(status)}")
"""


def run_once(command: list[str], env: dict[str, str], cwd: str, timeout: float) -> Run:
    """Run `command` to completion (or kill it at `timeout`), return wall time and peak RSS."""
    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err, \
            tempfile.TemporaryDirectory() as scratch:
        result_path = os.path.join(scratch, "result")
        wrapper = subprocess.Popen([sys.executable, "-I", "-S", "-c", WRAPPER, result_path,
                                    *command], stdout=out, stderr=err, env=env, cwd=cwd,
                                   start_new_session=True)
        try:
            wrapper.wait(timeout)
        except subprocess.TimeoutExpired:
            os.killpg(wrapper.pid, signal.SIGKILL)  # the wrapper and the command it runs
            wrapper.wait()
        out.seek(0)
        err.seek(0)
        stdout, stderr = (stream.read().decode(errors="replace") for stream in (out, err))
        if not os.path.exists(result_path):  # killed, or the command could not be started
            killed = wrapper.returncode == -signal.SIGKILL
            return Run(timeout if killed else 0.0, 0, None if killed else wrapper.returncode,
                       stdout, stderr)
        with open(result_path) as result:
            wall, max_rss_kib, exit_code = result.read().split()
        return Run(wall_seconds=float(wall), peak_rss_bytes=int(max_rss_kib) * 1024,  # Linux: KiB
                   exit_code=int(exit_code), stdout=stdout, stderr=stderr)


def measure(tool: Tool, python: str, model: str, repeat: int, timeout: float) -> Measurement:
    runs = []
    for _ in range(repeat):
        run = run_once(tool.command(python, model), tool.env, os.path.dirname(model), timeout)
        runs.append(run)
        if run.exit_code is None:
            break  # one timeout is the answer; do not spend repeat x timeout on it
        if run.exit_code not in tool.ok_exit_codes:
            print(f"{tool.label} failed on {model} (exit {run.exit_code}):\n{_tail(run.stderr)}",
                  file=sys.stderr)
            break
    return Measurement(tuple(runs), timeout, tool.ok_exit_codes)


def _tail(text: str, lines: int = 8) -> str:
    return "\n".join(text.strip().splitlines()[-lines:])


def count_ops(path: str) -> int:
    """Operators in all subgraphs, read with the `tflite` bindings (not tfllint)."""
    with open(path, "rb") as handle, mmap.mmap(handle.fileno(), 0, access=mmap.ACCESS_READ) as data:
        model = tflite.Model.GetRootAsModel(data, 0)
        return sum(model.Subgraphs(i).OperatorsLength() for i in range(model.SubgraphsLength()))


def child_env(python: str) -> tuple[dict[str, str], str]:
    """The environment for tfllint children, and where their `tfllint` comes from.

    Children run in the model's directory, so an installed tfllint is used as installed; when
    there is none, the repository checkout is put on PYTHONPATH.
    """
    env = dict(os.environ)
    probe = [python, "-c", "import tfllint; print(tfllint.__file__)"]
    found = subprocess.run(probe, capture_output=True, text=True, cwd=tempfile.gettempdir(),
                           env=env)
    if found.returncode == 0:
        return env, f"installed ({os.path.dirname(found.stdout.strip())})"
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [REPO_ROOT, env.get("PYTHONPATH")]))
    return env, f"repository checkout ({REPO_ROOT}) on PYTHONPATH"


def precompile_tfllint(python: str, env: dict[str, str]) -> None:
    """Write tfllint's bytecode once, as `pip install` does for an installed package.

    An editable install leaves compiling to the first import, and an environment with
    PYTHONDONTWRITEBYTECODE set (as some CI and sandbox images have) never writes the
    .pyc files, so every measured run would compile every module again: tens of
    milliseconds no installed copy spends. Python still reads .pyc files under that
    setting, so compiling once here measures tfllint as users run it.
    """
    locate = [python, "-c", "import os, tfllint, tfllint.rules; "
              "print(os.path.dirname(tfllint.__file__)); "
              "print(os.path.dirname(tfllint.rules.__file__))"]
    found = subprocess.run(locate, capture_output=True, text=True, env=env,
                           cwd=tempfile.gettempdir())
    directories = found.stdout.split() if found.returncode == 0 else []
    if directories:
        subprocess.run([python, "-m", "compileall", "-q", *directories], env=env,
                       capture_output=True)


def choose_tfllint(python: str, probe_model: str, timeout: float) -> tuple[Tool, str]:
    """The CLI when it exists and works here, else the reader-only command; and a note why."""
    env, origin = child_env(python)
    precompile_tfllint(python, env)
    reader = Tool("tfllint reader", READER_COMMAND, env)
    if not os.path.exists(os.path.join(REPO_ROOT, "tfllint", "cli.py")):
        return reader, f"tfllint/cli.py does not exist yet; measured the reader only. tfllint: {origin}"
    cli = Tool("tfllint", CLI_COMMAND, env, ok_exit_codes=(0, 1))  # 1: findings reported
    probe = run_once(cli.command(python, probe_model), env, os.path.dirname(probe_model), timeout)
    if probe.exit_code in cli.ok_exit_codes and probe.stdout.lstrip().startswith(("{", "[")):
        return cli, f"tfllint: {origin}"
    reason = _tail(probe.stderr, 1) or f"exit {probe.exit_code}, no JSON on stdout"
    return reader, (f"the CLI is unusable here ({reason}); measured the reader only "
                    f"(read_model: map, verify, decode). tfllint: {origin}")


def tensorflow_version(python: str, timeout: float) -> str | None:
    check = [python, "-c", "import importlib.util, sys; "
             "sys.exit(importlib.util.find_spec('tensorflow') is None)"]
    if subprocess.run(check).returncode != 0:
        return None
    probe = run_once([python, "-c", "import tensorflow as tf; print(tf.__version__)"],
                     dict(os.environ), tempfile.gettempdir(), timeout)
    return probe.stdout.strip() or None


def machine_line(python: str) -> str:
    cpu = platform.processor() or platform.machine()
    try:
        with open("/proc/cpuinfo") as info:
            names = [line.split(":", 1)[1].strip() for line in info if line.startswith("model name")]
        cpu = names[0] if names else cpu
    except OSError:
        pass
    version = subprocess.run([python, "-c", "import platform; print(platform.python_version())"],
                             capture_output=True, text=True).stdout.strip()
    return (f"{platform.system()} {platform.machine()}, {os.cpu_count()} CPUs ({cpu}), "
            f"Python {version}")


def format_size(size: int) -> str:
    return f"{size / 1e9:.2f} GB" if size >= 1e9 else f"{size / 1e6:.1f} MB"


def cells(measurement: Measurement | None, skipped: str) -> tuple[str, str]:
    if measurement is None:
        return skipped, skipped
    if measurement.failure:
        return measurement.failure, "-"
    return f"{measurement.wall():.3f}", f"{measurement.peak_rss_mib():.0f}"


def verdicts(results: dict[str, tuple[int, int, Measurement, Measurement | None]]) -> list[str]:
    lines = []
    for name, (wall_limit, rss_limit) in TARGETS.items():
        if name not in results:
            continue
        tool = results[name][2]
        if tool.failure:
            lines.append(f"- `{name}`: no figures, tfllint {tool.failure}")
            continue
        checks = []
        if wall_limit is not None:
            checks.append(f"wall {tool.wall():.3f} s <= {wall_limit:g} s: "
                          f"{'met' if tool.wall() <= wall_limit else 'MISSED'}")
        if rss_limit is not None:
            checks.append(f"peak RSS {tool.peak_rss_mib():.0f} MiB < {rss_limit} MiB: "
                          f"{'met' if tool.peak_rss_mib() < rss_limit else 'MISSED'}")
        small = results.get("mobilenet_v2_sized", (0, 0, tool))[2]
        if name == "weights_1gb" and small is not tool and not small.failure:
            checks.append(f"vs the MobileNetV2-sized model: {tool.wall() / small.wall():.2f}x "
                          f"the time, {tool.peak_rss_mib() / small.peak_rss_mib():.2f}x the RSS")
        lines.append(f"- `{name}`: " + "; ".join(checks))
    return lines


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("models", nargs="*", help="extra .tflite files to measure as well")
    parser.add_argument("--out", default=synthetic.DEFAULT_OUT,
                        help="where the synthetic models are (built if missing)")
    parser.add_argument("--only", nargs="+", choices=list(synthetic.MODELS),
                        help="measure only these synthetic models")
    parser.add_argument("--repeat", type=int, default=5, help="runs per tool and model (median)")
    parser.add_argument("--timeout", type=float, default=300,
                        help="seconds before a run is killed and reported as timed out")
    parser.add_argument("--python", default=sys.executable,
                        help="interpreter that runs tfllint and TensorFlow")
    parser.add_argument("--no-tf", action="store_true", help="do not run the TF Analyzer")
    parser.add_argument("--markdown", metavar="FILE", help="also write the report here")
    args = parser.parse_args(argv)
    if args.repeat < 1:
        parser.error("--repeat must be at least 1")

    paths = synthetic.ensure_models(os.path.abspath(args.out), args.only)
    paths.update({os.path.basename(p): os.path.abspath(p) for p in args.models})
    tfllint_tool, tfllint_note = choose_tfllint(args.python, next(iter(paths.values())),
                                                args.timeout)
    print(f"tfllint command: {tfllint_tool.shown()}  ({tfllint_note})", file=sys.stderr)

    tf_version = None if args.no_tf else tensorflow_version(args.python, args.timeout)
    tf_skipped = "skipped (--no-tf)" if args.no_tf else "skipped (tensorflow not importable)"
    if not args.no_tf and tf_version is None:
        print("TF Analyzer: tensorflow is not importable by "
              f"{args.python}; its columns are skipped", file=sys.stderr)
    analyzer = Tool("TF Analyzer", ANALYZER_COMMAND, dict(os.environ)) if tf_version else None

    with_target = replace(tfllint_tool, label=f"{tfllint_tool.label} {' '.join(TARGET_CASE)}",
                          argv=(*tfllint_tool.argv, *TARGET_CASE))
    extra = {os.path.basename(p) for p in args.models}
    results: dict[str, tuple[int, int, Measurement, Measurement | None]] = {}
    for name, path in paths.items():
        print(f"measuring {name} ...", file=sys.stderr, flush=True)
        ours = measure(tfllint_tool, args.python, path, args.repeat, args.timeout)
        theirs = (measure(analyzer, args.python, path, args.repeat, args.timeout)
                  if analyzer else None)
        results[name] = (os.path.getsize(path), count_ops(path), ours, theirs)
        if tfllint_tool.argv == CLI_COMMAND and (name in TARGET_CASE_MODELS or name in extra):
            results[f"{name} {' '.join(TARGET_CASE)}"] = (
                results[name][0], results[name][1],
                measure(with_target, args.python, path, args.repeat, args.timeout), None)

    baselines = [("python -c pass", [args.python, "-c", "pass"])]
    if tf_version:
        baselines.append(("python -c \"import tensorflow\"",
                          [args.python, "-c", "import tensorflow"]))
    baseline_rows = []
    for label, command in baselines:
        runs = [run_once(command, dict(os.environ), tempfile.gettempdir(), args.timeout)
                for _ in range(args.repeat)]
        baseline_rows.append(f"- `{label}`: {statistics.median(r.wall_seconds for r in runs):.3f} s, "
                             f"{max(r.peak_rss_bytes for r in runs) / MIB:.0f} MiB")

    report = render(args, results, tfllint_tool, tfllint_note, tf_version, tf_skipped,
                    baseline_rows)
    print(report)
    if args.markdown:
        with open(args.markdown, "w") as handle:
            handle.write(report + "\n")
    return 0


def render(args: argparse.Namespace, results: dict, tfllint_tool: Tool, tfllint_note: str,
           tf_version: str | None, tf_skipped: str, baseline_rows: list[str]) -> str:
    header = ("| model | file size | ops | tfllint wall (s) | tfllint peak RSS (MiB) "
              "| TF Analyzer wall (s) | TF Analyzer peak RSS (MiB) |")
    rows = [header, "|---|--:|--:|--:|--:|--:|--:|"]
    for name, (size, ops, ours, theirs) in results.items():
        rows.append(f"| {name} | {format_size(size)} | {ops:,} | "
                    + " | ".join((*cells(ours, "-"), *cells(
                        theirs, "-" if name.endswith(" ".join(TARGET_CASE)) else tf_skipped)))
                    + " |")
    analyzer_line = (f"`tf.lite.experimental.Analyzer.analyze(model_path=MODEL)`, TensorFlow "
                     f"{tf_version}" if tf_version else tf_skipped)
    lines = [
        "## tfllint benchmark",
        "",
        f"- Machine: {machine_line(args.python)}",
        f"- Date: {time.strftime('%Y-%m-%d %H:%M %Z')}",
        f"- tfllint: `{tfllint_tool.shown()}` ({tfllint_note})",
        f"- TF Analyzer: {analyzer_line}",
        f"- Each figure is one whole process: wall time is the median of {args.repeat} runs, "
        f"peak RSS the largest `ru_maxrss` of those runs; timeout {args.timeout:g} s.",
        "",
        *rows,
        "",
        "Start-up alone (same method):",
        "",
        *baseline_rows,
        "",
        "Targets for tfllint:",
        "",
        *verdicts(results),
    ]
    return "\n".join(lines)


if __name__ == "__main__":
    sys.exit(main())
