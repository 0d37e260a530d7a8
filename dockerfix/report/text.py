"""The human format: `path:line:col: CODE [*] message` lines, then a summary.

`[*]` marks a finding `--write` fixes; `[!]` one that needs `--write --unsafe-fixes`.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable

from dockerfix.report import Finding, Mode, Output, Run

Style = Callable[..., str]


def plain(text: str, **_: object) -> str:
    return text


def render(run: Run, *, style: Style = plain, quiet: bool = False) -> Output:
    out = Output()
    body: list[str] = []
    if run.mode in (Mode.DIFF,) or (run.mode is Mode.CHECK and any(r.diff for r in run.results)):
        body.extend(r.diff for r in run.results if r.diff)
        out.stdout = "".join(body)
        if not quiet:
            out.stderr = "\n".join(summary(run, style=style)) + "\n"
        return out
    to_stdout = not any(r.fixed_text is not None for r in run.results)
    if run.stats:
        body.extend(statistics(run, style=style))
    else:
        for result in run.results:
            body.extend(finding_line(result.path, f, run, style) for f in result.findings)
    if not quiet:
        tail = summary(run, style=style)
        if body and tail:
            body.append("")
        body.extend(tail)
    text = "\n".join(body) + ("\n" if body else "")
    if to_stdout:
        out.stdout = text
    else:  # stdin with --write: stdout carries the fixed text
        out.stdout = "".join(r.fixed_text or "" for r in run.results)
        out.stderr = text
    return out


def finding_line(path: str, finding: Finding, run: Run, style: Style = plain) -> str:
    where = style(f"{path}:{finding.range.line}:{finding.range.column}:", bold=True)
    code = style(finding.code, fg="red", bold=True)
    if run.mode in (Mode.CHECK, Mode.DIFF):
        return f"{where} {code} {finding.fix_title or finding.message}"
    return f"{where} {code} {marker(finding, style)}{finding.message}"


def marker(finding: Finding, style: Style = plain) -> str:
    if finding.fix is None:
        return ""
    if finding.applicable:
        return style("[*]", fg="cyan") + " "
    return style("[!]", fg="yellow") + " "


def error_lines(run: Run, style: Style = plain) -> list[str]:
    """Errors and warnings about files (for stderr), one line each."""
    lines = []
    for result in run.results:
        error = result.error
        if error is not None:
            where = result.path
            if error.line is not None:
                where += f":{error.line}:{error.column}"
            label = style("error:", fg="red", bold=True)
            prefix = "cannot parse: " if error.kind == "parse" else ""
            lines.append(f"{style(where + ':', bold=True)} {label} {prefix}{error.message}")
            continue
        warn = style("warning:", fg="yellow", bold=True)
        if not result.converged:
            lines.append(f"{result.path}: {warn} the fixes did not settle after 10 rounds")
        lines.extend(
            f"{result.path}:{f.range.line}:{f.range.column}: {warn} {f.code} fix refused: "
            "its result would not parse"
            for f in result.refused
        )
    return lines


def summary(run: Run, *, style: Style = plain) -> list[str]:
    scanned = len(run.results)
    unparsable = sum(1 for r in run.errors if r.error and r.error.kind == "parse")
    other_errors = len(run.errors) - unparsable
    if run.mode is Mode.REPORT:
        changing = sum(1 for r in run.results if any(f.applicable for f in r.findings))
        verb = "fixable with --write"
    else:
        changing = len(run.changed)
        verb = {Mode.WRITE: "changed"}.get(run.mode, "would change")
    parts = [f"{changing} {verb}"]
    if unparsable:
        parts.append(f"{unparsable} unparsable")
    if other_errors:
        parts.append(f"{other_errors} with errors")
    lines = [f"{_files(scanned)} scanned: {', '.join(parts)}."]
    fixes = run.fixes_by_rule()
    if fixes and not run.stats:
        heading = {
            Mode.REPORT: "Fixes --write would apply, by rule:",
            Mode.WRITE: "Fixes applied, by rule:",
        }.get(run.mode, "Fixes that would be applied, by rule:")
        lines.append(heading)
        lines.extend(f"  {count:5d}  {code}  {name}" for (code, name), count in _by_count(fixes))
    flags = _build_flags(run)
    if flags:
        verb = "now need" if run.mode is Mode.WRITE else "would need"
        lines.append(f"Build flags the fixed files {verb}:")
        lines.extend(f"  {path}: {' '.join(needed)}" for path, needed in flags)
    lines.append(_problems(run, style))
    return lines


def _problems(run: Run, style: Style) -> str:
    if run.mode in (Mode.CHECK, Mode.DIFF):
        if run.changed:
            return style(f"{_files(len(run.changed))} would be changed by --write.", bold=True)
        return "Nothing to change."
    findings = [f for r in run.results for f in r.findings]
    if not findings:
        return "No problems found." if run.mode is Mode.REPORT else "No problems left."
    safe = sum(1 for f in findings if f.applicable)
    hidden = sum(1 for f in findings if f.fix is not None and not f.applicable)
    what = f"Found {_plural(len(findings), 'problem')}"
    if run.mode is Mode.WRITE:
        what = f"{_plural(len(findings), 'problem')} left"
    notes = []
    if safe and run.mode is Mode.REPORT:
        notes.append(f"{safe} [*] fixable with --write")
    if hidden:
        notes.append(f"{hidden} [!] fixable with --write --unsafe-fixes")
    return style(what + (f" ({'; '.join(notes)})" if notes else "") + ".", bold=True)


def statistics(run: Run, *, style: Style = plain) -> list[str]:
    """--stats: findings and fixes per rule."""
    found = run.found_by_rule()
    fixes = run.fixes_by_rule()
    if not found:
        return []
    label = {Mode.REPORT: "fixable", Mode.WRITE: "fixed"}.get(run.mode, "would fix")
    lines = [style(f"{'found':>7}  {label:>9}  code   rule", bold=True)]
    for (code, name), count in _by_count(found):
        lines.append(f"{count:7d}  {fixes.get((code, name), 0):9d}  {code:5}  {name}")
    return lines


def _by_count(counts: Counter[tuple[str, str]]) -> list[tuple[tuple[str, str], int]]:
    return sorted(counts.items(), key=lambda item: (-item[1], item[0]))


def _build_flags(run: Run) -> list[tuple[str, tuple[str, ...]]]:
    flags: list[tuple[str, tuple[str, ...]]] = []
    for result in run.results:
        if run.mode is Mode.REPORT:
            needed = tuple(
                dict.fromkeys(
                    flag for f in result.findings if f.applicable for flag in f.build_flags
                )
            )
        else:
            needed = result.build_flags
        if needed:
            flags.append((result.path, needed))
    return flags


def _files(count: int) -> str:
    return _plural(count, "file")


def _plural(count: int, word: str) -> str:
    return f"{count} {word}{'' if count == 1 else 's'}"
