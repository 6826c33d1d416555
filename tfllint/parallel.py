"""Lint many models in worker processes, the reports in the order of the paths.

Only paths go out and plain report dicts come back: each worker builds its own run from
the parent's settings (rules cannot be pickled), and the baseline is applied by the
parent over every model, so `-j N` prints byte for byte what `-j 1` prints.
"""
from __future__ import annotations

import os
import sys
from typing import TYPE_CHECKING, Any, Callable, Sequence

if TYPE_CHECKING:
    from .engine.runner import IgnoreUsage
    from .engine.settings import Settings
    from .pipeline import LintRun

# Measured on a 2-core x86-64 VM (bench/parallel.py): linting takes about 2 ms for a tiny
# model, 8 ms more for its first MB and 1 ms for each MB (work grows with the op count,
# but the file size is what is known before reading). Two workers cost 30 to 60 ms more
# than they save on a few models (importing multiprocessing, forking, each worker's first
# imports): over two runs they lost or tied on 2 to 8 real models (estimated up to
# 0.06 s), tied or won on 16 (0.19 s) and won from 32. By default they start from an
# estimated 0.1 s, so a pre-commit run on one file, or on a few, stays in one process.
MIN_PARALLEL_SECONDS = 0.1


def estimated_seconds(size_bytes: int) -> float:
    """About how long linting a model of this file size takes (see above)."""
    megabytes = size_bytes / 1e6
    return 0.002 + 0.008 * min(megabytes, 1.0) + 0.001 * megabytes


Progress = Callable[[int, int], None]  # (models done, models in the run)


def cpu_count() -> int:
    """The CPUs this process may run on."""
    if hasattr(os, "sched_getaffinity"):
        return len(os.sched_getaffinity(0))
    return os.cpu_count() or 1


def worker_count(jobs: int | None, paths: Sequence[tuple[str, str | None]]) -> int:
    """How many processes lint `paths`: 1 lints in this process. `jobs` is the user's
    -j: a number, 0 for one per CPU, None to decide from the number and size of models."""
    models = [path for path, problem in paths if not problem]
    if jobs is None:
        estimate = sum(estimated_seconds(_size(path)) for path in models)
        jobs = 0 if len(models) > 1 and estimate >= MIN_PARALLEL_SECONDS else 1
    return max(1, min(jobs or cpu_count(), len(models)))


def lint_models(run: LintRun, paths: Sequence[tuple[str, str | None]], usage: IgnoreUsage,
                workers: int = 1, progress: Progress | None = None,
                visit: Callable[[Any, Any], None] | None = None
                ) -> tuple[list[dict[str, Any]], list[str]]:
    """(model reports in the order of `paths`, notes): `run.lint_path` over the paths in
    `workers` processes; `usage` collects what per-model ignores silenced. A `visit`
    callback sees the models read, so it runs them in this process."""
    if workers <= 1 or visit is not None:
        return _lint_serially(run, paths, usage, progress, visit), []
    # imported only here: multiprocessing costs a one-model run more than it lints
    from concurrent.futures import ProcessPoolExecutor, as_completed
    from concurrent.futures.process import BrokenProcessPool

    reports: list[dict[str, Any] | None] = [None] * len(paths)
    usages: list[IgnoreUsage | None] = [None] * len(paths)
    done = 0

    def finished(index: int, report: dict[str, Any], model_usage: IgnoreUsage) -> None:
        nonlocal done
        reports[index], usages[index] = report, model_usage
        done += 1
        if progress:
            progress(done, len(paths))

    notes = []
    pool = ProcessPoolExecutor(workers, mp_context=_start_method(),
                               initializer=_start_worker, initargs=(run.settings,))
    try:
        # largest first, so that no worker is left alone with a big model at the end
        order = sorted(range(len(paths)), key=lambda index: -_size(paths[index][0]))
        futures = {pool.submit(_lint_in_worker, *paths[index]): index for index in order}
        for future in as_completed(futures):
            finished(futures[future], *future.result())
    except BrokenProcessPool:  # a worker was killed (out of memory, a signal)
        left = [index for index, report in enumerate(reports) if report is None]
        notes.append(f"a worker process died; the {len(left)} model(s) it left were "
                     "linted in the main process")
        for index in left:
            model_usage = _new_usage()
            finished(index, run.lint_path(*paths[index], usage=model_usage), model_usage)
    finally:  # after an error, stop now rather than lint the rest
        pool.shutdown(cancel_futures=True)
    for model_usage in usages:  # in the order of the paths, as a serial run counts
        usage.merge(model_usage)  # type: ignore[arg-type]
    return reports, notes  # type: ignore[return-value]


def _lint_serially(run: LintRun, paths: Sequence[tuple[str, str | None]], usage: IgnoreUsage,
                   progress: Progress | None, visit: Callable[[Any, Any], None] | None
                   ) -> list[dict[str, Any]]:
    reports = []
    for path, problem in paths:
        reports.append(run.lint_path(path, problem, visit, usage))
        if progress:
            progress(len(reports), len(paths))
    return reports


def _start_method():
    """fork on Linux: the workers inherit the imported modules and loaded rules, and the
    executor starts them before its own thread. The platform's default elsewhere (spawn
    on macOS and Windows, where fork is unsafe or missing)."""
    import multiprocessing

    return multiprocessing.get_context("fork" if sys.platform == "linux" else None)


_worker_run: LintRun | None = None


def _start_worker(settings: Settings) -> None:
    global _worker_run
    import signal

    from .engine.registry import load_rules
    from .engine.settings import enabled_rules
    from .pipeline import LintRun

    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C stops the parent, which stops us
    # no baseline: the parent applies it over every model
    _worker_run = LintRun(settings=settings,
                          rules=enabled_rules(settings, load_rules(settings.rules_paths)))


def _lint_in_worker(path: str, problem: str | None) -> tuple[dict[str, Any], IgnoreUsage]:
    usage = _new_usage()
    assert _worker_run is not None
    return _worker_run.lint_path(path, problem, usage=usage), usage


def _new_usage() -> IgnoreUsage:
    from .engine.runner import IgnoreUsage

    return IgnoreUsage()


def _size(path: str) -> int:
    try:
        return os.path.getsize(path)
    except OSError:
        return 0
