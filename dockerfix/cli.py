"""`dockerfix [OPTIONS] [PATH]...`: the command line, a thin adapter over `dockerfix.engine`.

The engine is pure; everything with a side effect lives here and in `files`, `runner` and
`report`. Heavy modules (the engine, rich, pathspec, the formatters) are imported only when a
run needs them, so `--help` and small runs start fast.

Exit codes: 0 nothing to report, 1 findings (or, with --check/--diff, changes pending),
2 usage, config, parse or input errors.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Callable, Sequence
from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from dockerfix.config_file import ConfigError, PerFileIgnores, Settings, load
from dockerfix.config_file import find as find_config
from dockerfix.files import (
    PathFilter,
    Source,
    SourceError,
    discover,
    display_path,
    read_dockerignore,
    read_stream,
)
from dockerfix.report import FileError, FileResult, Mode, Output, Run, text

if TYPE_CHECKING:
    from dockerfix.rules.base import Rule
    from dockerfix.runner import Job, Task

FORMATS = ("text", "json", "sarif", "github")
PROGRESS_ABOVE = 50  # files; a progress bar below that only flickers


def _codes(values: Sequence[str]) -> tuple[str, ...]:
    """`--select A,B --select C` -> ("A", "B", "C")."""
    return tuple(code.strip() for value in values for code in value.split(",") if code.strip())


@click.command(
    context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 100},
    epilog="Exit status: 0 nothing to report; 1 findings, or changes pending with --check/"
    "--diff; 2 usage, config, parse or input errors.",
)
@click.argument("paths", nargs=-1, metavar="[PATH]...")
@click.option(
    "--check", is_flag=True, help="Print only what would change; exit 1 if anything would."
)
@click.option("--diff", is_flag=True, help="Print a unified diff of the fixes; write nothing.")
@click.option("--write", "-w", is_flag=True, help="Apply the fixes to the files.")
@click.option("--unsafe-fixes", is_flag=True, default=None, help="Also apply fixes marked unsafe.")
@click.option(
    "--select",
    multiple=True,
    metavar="CODES",
    help="Only these rules (codes, prefixes or names; comma-separated).",
)
@click.option(
    "--extend-select",
    multiple=True,
    metavar="CODES",
    help="These rules as well as the selected ones.",
)
@click.option("--ignore", multiple=True, metavar="CODES", help="Not these rules.")
@click.option(
    "--exclude",
    multiple=True,
    metavar="GLOB",
    help="Skip files and folders matching a gitignore-style glob.",
)
@click.option(
    "--respect-gitignore/--no-respect-gitignore",
    default=None,
    help="Skip what .gitignore files ignore (default: on).",
)
@click.option(
    "--stdin-filename",
    metavar="PATH",
    help="The name to show (and match per-file-ignores against) for `-`.",
)
@click.option(
    "--format",
    "output_format",
    type=click.Choice(FORMATS),
    default=None,
    help="Output format (default: text).",
)
@click.option(
    "--stats", is_flag=True, help="Count findings and fixes by rule instead of listing them."
)
@click.option("--list-rules", is_flag=True, help="List the rules: code, name, fix safety, summary.")
@click.option("--explain", metavar="CODE", help="Print a rule's documentation.")
@click.option(
    "--jobs",
    "-j",
    type=click.IntRange(min=0),
    default=None,
    help="Worker processes (default: all cores).",
)
@click.option(
    "--config",
    "config_path",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    help="Config file (default: the nearest pyproject.toml with [tool.dockerfix], "
    "dockerfix.toml or .dockerfix.toml).",
)
@click.option(
    "--quiet", "-q", is_flag=True, help="Print only findings and errors: no summary, no progress."
)
@click.option(
    "--verbose",
    "-v",
    is_flag=True,
    help="Also print the config used, skipped files and per-file timings.",
)
@click.option("--no-color", is_flag=True, help="No colour (colour is only used on a terminal).")
@click.option(
    "--no-cache",
    is_flag=True,
    help="Check every file, even those whose results are cached from an earlier run.",
)
@click.option(
    "--cache-dir",
    type=click.Path(file_okay=False, path_type=Path),
    envvar="DOCKERFIX_CACHE_DIR",
    show_envvar=True,
    help="Where results are cached (default: .dockerfix_cache beside the config file, or in "
    "the current directory).",
)
@click.version_option(package_name="dockerfix", prog_name="dockerfix")
def cli(**options: Any) -> None:
    """Modernize Dockerfiles for BuildKit, without ever corrupting them.

    Searches each PATH (default: `.`) for Dockerfile, Containerfile, Dockerfile.*,
    *.Dockerfile and *.containerfile, skipping what .gitignore ignores; files named
    explicitly are always processed. `-` reads standard input (and, with --write, writes the
    fixed text to standard output).

    By default dockerfix reports what it finds ([*] marks what --write fixes, [!] what needs
    --unsafe-fixes too).
    """
    ctx = click.get_current_context()
    try:
        code = _main(**options)
    except KeyboardInterrupt:
        # Files are replaced in one step: each one is old or new, none is half-written.
        _error("interrupted", _isatty(sys.stderr))
        code = 130
    ctx.exit(code)


def main(argv: Sequence[str] | None = None) -> None:
    """The console script."""
    cli.main(args=list(argv) if argv is not None else None, prog_name="dockerfix")


def _main(
    *,
    paths: tuple[str, ...],
    check: bool,
    diff: bool,
    write: bool,
    unsafe_fixes: bool | None,
    select: tuple[str, ...],
    extend_select: tuple[str, ...],
    ignore: tuple[str, ...],
    exclude: tuple[str, ...],
    respect_gitignore: bool | None,
    stdin_filename: str | None,
    output_format: str | None,
    stats: bool,
    list_rules: bool,
    explain: str | None,
    jobs: int | None,
    config_path: Path | None,
    quiet: bool,
    verbose: bool,
    no_color: bool,
    no_cache: bool,
    cache_dir: Path | None,
) -> int:
    color = not no_color and "NO_COLOR" not in os.environ and _isatty(sys.stdout)
    err_color = not no_color and "NO_COLOR" not in os.environ and _isatty(sys.stderr)
    if list_rules:
        return _list_rules(output_format or "text")
    if explain is not None:
        return _explain(explain)
    if write and (check or diff):
        raise click.UsageError("--write cannot be combined with --check or --diff")
    paths = paths or (".",)
    if "-" in paths and len(paths) > 1:
        raise click.UsageError("`-` (standard input) cannot be combined with other paths")

    cwd = Path.cwd()
    if config_path is None:
        start = [Path(p) for p in paths if p != "-"] or [
            Path(stdin_filename).parent if stdin_filename else cwd
        ]
        config_path = find_config(_common_parent(start))
    try:
        settings = load(config_path, _is_known_selector) if config_path else Settings()
    except ConfigError as exc:
        _error(str(exc), err_color)
        return 2
    for option, values in (
        ("--select", select),
        ("--extend-select", extend_select),
        ("--ignore", ignore),
    ):
        for code in _codes(values):
            if not _is_known_selector(code):
                raise click.BadParameter(f"unknown rule or code prefix {code!r}", param_hint=option)
    base = settings.config
    config = replace(
        base,
        select=_codes(select) or base.select,
        extend_select=base.extend_select + _codes(extend_select),
        ignore=base.ignore + _codes(ignore),
        unsafe_fixes=bool(unsafe_fixes) or base.unsafe_fixes,
    )
    fmt = output_format or settings.format or "text"
    mode = Mode.WRITE if write else Mode.CHECK if check else Mode.DIFF if diff else Mode.REPORT

    from dockerfix.runner import Job  # noqa: PLC0415 - imports the engine and every rule

    job = Job(
        mode,
        config,
        unsafe=config.unsafe_fixes,
        diff=diff,
        verbose=verbose,
        edits=fmt in ("json", "sarif"),
    )
    if not no_cache and paths != ("-",):
        from dockerfix.cache import DIRECTORY_NAME, ResultCache  # noqa: PLC0415

        root = cache_dir or settings.base / DIRECTORY_NAME
        # --verbose only changes how internal errors read, and those are never cached.
        job = replace(job, cache=ResultCache.at(root, repr(replace(job, verbose=False))))
    if verbose:
        where = config_path if config_path is not None else "none (defaults)"
        _note(f"config: {where}", err_color)

    if paths == ("-",):
        run = _run_stdin(job, settings, stdin_filename, cwd)
    else:
        run = _run_paths(
            [Path(p) for p in paths],
            job,
            settings,
            exclude=exclude,
            respect_gitignore=settings.respect_gitignore
            if respect_gitignore is None
            else respect_gitignore,
            jobs=jobs or os.cpu_count() or 1,
            cwd=cwd,
            progress=not quiet and _isatty(sys.stderr),
            verbose=verbose,
            err_color=err_color,
        )
    run.stats = stats
    _print_report(run, fmt, quiet=quiet, color=color, err_color=err_color, cwd=cwd)
    return run.exit_code()


# -- running ------------------------------------------------------------------------------


def _run_stdin(job: Job, settings: Settings, stdin_filename: str | None, cwd: Path) -> Run:
    from dockerfix.runner import process_text  # noqa: PLC0415

    display = display_path(Path(stdin_filename), cwd) if stdin_filename else "-"
    run = Run(job.mode, job.unsafe)
    try:
        text = read_stream(sys.stdin.buffer)
    except SourceError as exc:
        run.results.append(
            FileResult(display, error=FileError("input", exc.message, exc.line, exc.column))
        )
        return run
    ignore: tuple[str, ...] = ()
    dockerignore = None
    if stdin_filename:
        per_file = PerFileIgnores(settings.per_file_ignores, settings.base)
        ignore = per_file.codes_for(Path(stdin_filename))
        dockerignore = read_dockerignore(Path(os.path.abspath(stdin_filename)))
    result = process_text(Source(text), display, job, ignore, dockerignore)
    if job.mode is Mode.WRITE and result.fixed_text is None:
        # A pipe must not lose the text: on an error, the input goes through unchanged.
        result = replace(result, fixed_text=text)
    run.results.append(result)
    return run


def _run_paths(
    paths: list[Path],
    job: Job,
    settings: Settings,
    *,
    exclude: tuple[str, ...],
    respect_gitignore: bool,
    jobs: int,
    cwd: Path,
    progress: bool,
    verbose: bool,
    err_color: bool,
) -> Run:
    from dockerfix.runner import Task, run  # noqa: PLC0415

    filters = [
        f
        for f in (PathFilter(settings.exclude, settings.base), PathFilter(exclude, cwd))
        if f.patterns
    ]
    found = discover(paths, exclude=filters, respect_gitignore=respect_gitignore)
    for path, reason in found.warnings:
        _warn(f"{display_path(path, cwd)}: {reason}", err_color)
    if verbose:
        for path, reason in found.skipped:
            _note(f"skipped {display_path(path, cwd)}: {reason}", err_color)
    per_file = PerFileIgnores(settings.per_file_ignores, settings.base)
    tasks = [
        Task(str(path), display_path(path, cwd), per_file.codes_for(path) if per_file else ())
        for path in found.files
    ]
    result = Run(job.mode, job.unsafe)
    result.results.extend(
        FileResult(display_path(path, cwd), error=FileError("input", message))
        for path, message in found.errors
    )
    if not tasks and not found.errors:
        _warn(f"no Dockerfiles found under {', '.join(str(p) for p in paths)}", err_color)
    on_result = None
    if verbose:

        def on_result(r: FileResult) -> None:
            counts = f"{len(r.findings)} findings, {len(r.fixes)} fixes"
            timing = "cached" if r.cached else f"{r.seconds * 1000:.1f} ms"
            _note(f"{r.path}: {r.error.message if r.error else counts} ({timing})", err_color)

    if progress and len(tasks) > PROGRESS_ABOVE:
        result.results.extend(_with_progress(tasks, job, jobs, on_result))
    else:
        result.results.extend(run(tasks, job, jobs, on_result))
    return result


def _with_progress(
    tasks: list[Task], job: Job, jobs: int, on_result: Callable[[FileResult], None] | None
) -> list[FileResult]:
    from rich.console import Console  # noqa: PLC0415
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn  # noqa: PLC0415

    from dockerfix.runner import INLINE_BELOW, run  # noqa: PLC0415

    progress = Progress(
        TextColumn("dockerfix"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        console=Console(stderr=True),
        transient=True,
    )
    bar = progress.add_task("files", total=len(tasks))

    def advance(result: FileResult) -> None:
        progress.advance(bar)
        if on_result is not None:
            on_result(result)

    # The bar's refresh thread starts only once the workers are forked.
    started = False

    def start() -> None:
        nonlocal started
        started = True
        progress.start()

    try:
        if jobs <= 1 or len(tasks) < INLINE_BELOW:
            start()
        return run(tasks, job, jobs, advance, on_pool_started=start)
    finally:
        if started:
            progress.stop()


# -- output -------------------------------------------------------------------------------


def _print_report(
    run: Run, fmt: str, *, quiet: bool, color: bool, err_color: bool, cwd: Path
) -> None:
    style = click.style if color else text.plain
    err_style = click.style if err_color else text.plain
    if fmt == "text":
        output = text.render(run, style=style, quiet=quiet)
    else:
        if fmt == "json":
            from dockerfix.report import json as formatter  # noqa: PLC0415

            output = formatter.render(run)
        elif fmt == "sarif":
            from dockerfix.report import sarif  # noqa: PLC0415

            output = sarif.render(run, cwd)
        else:
            from dockerfix.report import github  # noqa: PLC0415

            output = github.render(run)
        fixed = [r.fixed_text for r in run.results if r.fixed_text is not None]
        if fixed:  # stdin with --write: stdout carries the fixed text, the report goes to stderr
            output = Output(stdout="".join(fixed), stderr=output.stdout)
        if not quiet:
            lines = (text.statistics(run, style=err_style) if run.stats else []) + text.summary(
                run, style=err_style
            )
            output.stderr += "\n".join(lines) + "\n"
    errors = text.error_lines(run, err_style)
    if errors:
        click.echo("\n".join(errors), err=True, color=err_color)
    if output.stdout:
        click.echo(output.stdout, nl=False, color=color)
    if output.stderr:
        click.echo(output.stderr, nl=False, err=True, color=err_color)


def _isatty(stream: Any) -> bool:
    try:
        return bool(stream.isatty())
    except (AttributeError, ValueError):
        return False


def _error(message: str, color: bool) -> None:
    label = click.style("error:", fg="red", bold=True) if color else "error:"
    click.echo(f"{label} {message}", err=True, color=color)


def _warn(message: str, color: bool) -> None:
    label = click.style("warning:", fg="yellow", bold=True) if color else "warning:"
    click.echo(f"{label} {message}", err=True, color=color)


def _note(message: str, color: bool) -> None:
    click.echo(click.style(message, dim=True) if color else message, err=True, color=color)


def _common_parent(paths: list[Path]) -> Path:
    absolute = [os.path.abspath(p) for p in paths]
    try:
        return Path(os.path.commonpath(absolute))
    except ValueError:  # different drives
        return Path.cwd()


# -- rules --------------------------------------------------------------------------------


def _rules() -> tuple[type[Rule], ...]:
    from dockerfix.rules import ALL_RULES  # noqa: PLC0415

    return ALL_RULES


def _is_known_selector(selector: str) -> bool:
    if selector == "ALL":
        return True
    return any(selector == rule.name or rule.code.startswith(selector.upper()) for rule in _rules())


def _list_rules(fmt: str) -> int:
    rules = _rules()
    if fmt == "json":
        import json  # noqa: PLC0415

        listing = [
            {
                "code": rule.code,
                "name": rule.name,
                "summary": rule.summary(),
                "fix": str(rule.fix_safety) if rule.fix_safety else None,
                "buildkit_check": rule.buildkit_check,
            }
            for rule in rules
        ]
        click.echo(json.dumps(listing, indent=2))
        return 0
    name_width = max((len(rule.name) for rule in rules), default=4)
    for rule in rules:
        fix = str(rule.fix_safety) if rule.fix_safety else "none"
        click.echo(f"{rule.code}  {rule.name:<{name_width}}  {fix:<6}  {rule.summary()}")
    return 0


def _explain(wanted: str) -> int:
    for rule in _rules():
        if wanted.upper() == rule.code or wanted.lower() == rule.name.lower():
            fix = str(rule.fix_safety) if rule.fix_safety else "none"
            header = f"{rule.code} {rule.name} (fix: {fix}"
            header += f"; BuildKit check: {rule.buildkit_check})" if rule.buildkit_check else ")"
            click.echo(f"{header}\n\n{rule.docs()}")
            return 0
    raise click.BadParameter(f"no rule {wanted!r} (see --list-rules)", param_hint="--explain")


if __name__ == "__main__":
    main()
