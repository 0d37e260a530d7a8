"""Running the engine over many files: one file per task, inline or in a process pool.

Each task reads its file, calls the pure `engine.check` / `engine.fix`, writes atomically when
asked, and returns a picklable `FileResult` (findings with resolved positions, never a tree).
Small runs stay in this process; larger ones use a pool of `fork`ed workers (cheap: the rules
are already imported) unless this process has threads, which `fork` would not carry over.
"""

from __future__ import annotations

import os
import signal
import sys
import time
import traceback
from bisect import bisect_right
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import TYPE_CHECKING

from dockerfix import engine
from dockerfix.cache import ResultCache, reusable
from dockerfix.config import Config
from dockerfix.diagnostics import Diagnostic, Safety
from dockerfix.files import Source, SourceError, atomic_write, read_dockerignore, read_source
from dockerfix.report import FileError, FileResult, Finding, Mode, Range, Replacement
from dockerfix.rules import ALL_RULES
from dockerfix.syntax import ParseError
from dockerfix.syntax.nodes import Location

if TYPE_CHECKING:
    from multiprocessing.context import BaseContext

# Below this many files a pool costs more than it saves.
INLINE_BELOW = 24


@dataclass(frozen=True)
class Job:
    """What every task of a run shares."""

    mode: Mode
    config: Config
    unsafe: bool = False
    diff: bool = False  # also make a unified diff (--diff, or --check --diff)
    verbose: bool = False
    # Findings carry their fixes' edits (the JSON and SARIF reports show them); working out
    # every remaining fix's edits costs as much as the check.
    edits: bool = False
    cache: ResultCache | None = None


@dataclass(frozen=True)
class Task:
    path: str  # the file to read
    display: str  # how to show it
    ignore: tuple[str, ...] = ()  # per-file ignores


def run(
    tasks: Sequence[Task],
    job: Job,
    jobs: int,
    on_result: Callable[[FileResult], None] | None = None,
    on_pool_started: Callable[[], None] | None = None,
) -> list[FileResult]:
    """Process every task, in order; `on_result` is called as each one finishes."""
    results: list[FileResult] = []
    if jobs <= 1 or len(tasks) < INLINE_BELOW:
        for task in tasks:
            result = process(task, job)
            results.append(result)
            if on_result:
                on_result(result)
        return results
    from concurrent.futures import ProcessPoolExecutor  # noqa: PLC0415 - only big runs

    workers = min(jobs, len(tasks))
    chunksize = max(1, min(16, len(tasks) // (workers * 8)))  # small: Ctrl-C waits for a chunk
    executor = ProcessPoolExecutor(
        max_workers=workers,
        mp_context=_context(),
        initializer=_init_worker,
        initargs=(job,),
    )
    try:
        # map() submits every chunk now: with fork, the workers exist before anything else
        # (a progress bar's thread) starts.
        pending = executor.map(_process_in_worker, tasks, chunksize=chunksize)
        if on_pool_started:
            on_pool_started()
        for result in pending:
            results.append(result)
            if on_result:
                on_result(result)
    except BaseException:
        executor.shutdown(wait=True, cancel_futures=True)
        raise
    executor.shutdown(wait=True)
    return results


def _context() -> BaseContext:
    import multiprocessing  # noqa: PLC0415

    methods = multiprocessing.get_all_start_methods()
    if "fork" in methods and _single_threaded():
        return multiprocessing.get_context("fork")
    return multiprocessing.get_context("forkserver" if "forkserver" in methods else "spawn")


def _single_threaded() -> bool:
    """No other OS thread (a Go runtime, a progress bar...) that `fork` would leave behind."""
    try:
        return len(os.listdir("/proc/self/task")) == 1
    except OSError:
        import threading  # noqa: PLC0415

        return sys.platform != "darwin" and threading.active_count() == 1


_WORKER_JOB: Job | None = None


def _init_worker(job: Job) -> None:
    global _WORKER_JOB  # noqa: PLW0603 - the worker's one piece of state
    _WORKER_JOB = job
    # Ctrl-C is the parent's business: it stops handing out files; a file being written is
    # still replaced in one step.
    signal.signal(signal.SIGINT, signal.SIG_IGN)


def _process_in_worker(task: Task) -> FileResult:
    assert _WORKER_JOB is not None
    return process(task, _WORKER_JOB)


# -- one file -----------------------------------------------------------------------------


def process(task: Task, job: Job) -> FileResult:
    started = time.perf_counter()
    try:
        source = read_source(Path(task.path))
    except SourceError as exc:
        return FileResult(task.display, error=FileError("input", exc.message, exc.line, exc.column))
    assert source.path is not None
    dockerignore = read_dockerignore(source.path)
    if job.cache is None:
        result = process_text(source, task.display, job, task.ignore, dockerignore)
    else:
        result = _through_cache(job.cache, source, task, job, dockerignore)
    return replace(result, seconds=time.perf_counter() - started)


def _through_cache(
    cache: ResultCache, source: Source, task: Task, job: Job, dockerignore: str | None
) -> FileResult:
    key = cache.key(task.display, source.text, task.ignore, dockerignore)
    cached = cache.get(key)
    if cached is not None:
        return replace(cached, cached=True)
    result = process_text(source, task.display, job, task.ignore, dockerignore)
    if reusable(result, job.mode):
        cache.put(key, result)
    return result


def process_text(
    source: Source,
    display: str,
    job: Job,
    ignore: tuple[str, ...] = (),
    dockerignore: str | None = None,
) -> FileResult:
    """Check or fix one text; writes `source.path` in write mode (unless it is stdin)."""
    config = _config(job.config, ignore)
    text = source.text
    try:
        if job.mode is Mode.REPORT:
            diagnostics = engine.check(text, config, dockerignore=dockerignore)
            findings = _findings(text, diagnostics, job.unsafe, job.edits)
            return FileResult(display, findings=findings, remaining=findings)
        fixed = engine.fix(text, config, unsafe=job.unsafe, dockerignore=dockerignore)
    except ParseError as exc:
        return FileResult(display, error=FileError("parse", exc.message, exc.line, exc.column))
    except Exception as exc:  # a bug in a rule must not stop the other files
        detail = traceback.format_exc() if job.verbose else f"{type(exc).__name__}: {exc}"
        return FileResult(
            display,
            error=FileError("internal", f"internal error, please report it: {detail.strip()}"),
        )
    changed = fixed.text != text
    fixes = _findings(text, fixed.applied, True, job.edits)
    remaining = _findings(fixed.text, fixed.remaining, job.unsafe, job.edits)
    result = FileResult(
        display,
        findings=remaining if job.mode is Mode.WRITE else fixes,
        fixes=fixes,
        remaining=remaining,
        changed=changed,
        build_flags=tuple(fixed.build_flags),
        converged=fixed.converged,
        refused=_findings(text, fixed.refused, job.unsafe, job.edits),
    )
    if job.diff and changed:
        result = replace(result, diff=unified_diff(text, fixed.text, display))
    if job.mode is Mode.WRITE and changed:
        if source.path is None:
            return replace(result, fixed_text=fixed.text)
        try:
            atomic_write(source.path, fixed.text.encode("utf-8"), expected=source.stat)
        except SourceError as exc:
            return replace(result, error=FileError("write", exc.message))
    elif job.mode is Mode.WRITE and source.path is None:
        return replace(result, fixed_text=text)
    return result


_CONFIGS: dict[tuple[int, tuple[str, ...]], tuple[Config, Config]] = {}


def _config(base: Config, ignore: tuple[str, ...]) -> Config:
    """The config for a file with per-file ignores (one per distinct set, not per file)."""
    if not ignore:
        return base
    key = (id(base), ignore)
    cached = _CONFIGS.get(key)
    if cached is None or cached[0] is not base:
        # Like ruff, a per-file ignore beats any selection, however specific: name each rule
        # it covers by its full code (an exact ignore ties with an exact select, and ties go
        # to ignore).
        codes = tuple(
            rule.code
            for rule in ALL_RULES
            if any(s in ("ALL", rule.name) or rule.code.startswith(s.upper()) for s in ignore)
        )
        cached = _CONFIGS[key] = (base, replace(base, ignore=base.ignore + codes))
    return cached[1]


# -- positions ----------------------------------------------------------------------------


class _Positions:
    """Offsets and locations of one text -> ranges with UTF-16 columns."""

    def __init__(self, text: str) -> None:
        self.text = text
        self.ascii = text.isascii()
        self.starts = [0]
        at = text.find("\n")
        while at >= 0:
            self.starts.append(at + 1)
            at = text.find("\n", at + 1)

    def location(self, offset: int) -> Location:
        line = bisect_right(self.starts, offset)
        return Location(line, offset - self.starts[line - 1] + 1)

    def line_length(self, line: int) -> int:
        start = self.starts[line - 1]
        end = self.starts[line] if line < len(self.starts) else len(self.text)
        return len(self.text[start:end].rstrip("\r\n"))

    def utf16(self, location: Location) -> int:
        if self.ascii or location.line > len(self.starts):
            return location.column
        start = self.starts[location.line - 1]
        prefix = self.text[start : start + location.column - 1]
        return location.column + sum(1 for c in prefix if ord(c) > 0xFFFF)

    def range(self, start: Location, end: Location, *, trim: bool = True) -> Range:
        # A finding that ends at the start of a line ends, for people, at the end of the last.
        if trim and end.column == 1 and end.line > start.line:
            end = Location(end.line - 1, self.line_length(end.line - 1) + 1)
        return Range(
            start.line, start.column, end.line, end.column, self.utf16(start), self.utf16(end)
        )


def _findings(
    text: str, diagnostics: Sequence[Diagnostic], unsafe: bool, with_edits: bool
) -> tuple[Finding, ...]:
    if not diagnostics:
        return ()
    positions = _Positions(text)
    found = []
    for d in diagnostics:
        fix = d.fix
        edits: tuple[Replacement, ...] = ()
        if fix is not None and with_edits:
            edits = tuple(
                Replacement(
                    positions.range(
                        positions.location(e.start), positions.location(e.end), trim=False
                    ),
                    e.text,
                )
                for e in fix.edits
            )
        found.append(
            Finding(
                code=d.code,
                name=d.name,
                message=d.message,
                severity=str(d.severity),
                range=positions.range(d.location, d.end_location),
                fix=str(fix.safety) if fix is not None else None,
                fix_title=fix.title if fix is not None else None,
                applicable=fix is not None and (unsafe or fix.safety is Safety.SAFE),
                edits=edits,
                build_flags=d.build_flags,
                url=d.url,
            )
        )
    return tuple(found)


# -- diffs --------------------------------------------------------------------------------


def unified_diff(before: str, after: str, name: str) -> str:
    """A unified diff that `patch -p0` applies, CRLF and missing final newlines included."""
    import difflib  # noqa: PLC0415

    lines = []
    for line in difflib.unified_diff(
        _lines(before),
        _lines(after),
        fromfile=name,
        tofile=name,
    ):
        lines.append(line if line.endswith("\n") else line + "\n\\ No newline at end of file\n")
    return "".join(lines)


def _lines(text: str) -> list[str]:
    """Lines split at "\n" only (`str.splitlines` also splits at form feeds and U+2028)."""
    lines = [line + "\n" for line in text.split("\n")]
    lines[-1] = lines[-1][:-1]
    return lines if lines[-1] else lines[:-1]
