"""What a run found, as plain picklable records, and the formatters that print it.

Workers turn the engine's diagnostics into `Finding`s (positions resolved against the file's
text, UTF-16 columns included) so formatters never need the text. One module per format:
`text`, `json`, `sarif`, `github`; each has `render(run, options) -> Output`.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from enum import StrEnum


class Mode(StrEnum):
    REPORT = "report"  # diagnostics (default)
    CHECK = "check"  # what would change (exit 1 if anything)
    DIFF = "diff"  # a unified diff of the fixes
    WRITE = "write"  # apply the fixes


@dataclass(frozen=True, slots=True)
class Range:
    """1-based lines and columns; end is exclusive. Columns in code points and UTF-16 units."""

    line: int
    column: int
    end_line: int
    end_column: int
    column_utf16: int
    end_column_utf16: int


@dataclass(frozen=True, slots=True)
class Replacement:
    range: Range
    text: str


@dataclass(frozen=True, slots=True)
class Finding:
    code: str
    name: str
    message: str
    severity: str  # error | warning | info
    range: Range
    fix: str | None = None  # the fix's safety (safe | unsafe), None if not fixable
    fix_title: str | None = None
    applicable: bool = False  # the fix applies in this run (safe, or unsafe with --unsafe-fixes)
    edits: tuple[Replacement, ...] = ()
    build_flags: tuple[str, ...] = ()
    url: str | None = None


@dataclass(frozen=True, slots=True)
class FileError:
    kind: str  # parse | input | write | internal
    message: str
    line: int | None = None
    column: int | None = None


@dataclass(frozen=True)
class FileResult:
    path: str  # as displayed
    # What this mode reports: every diagnostic (report), what is left (write), or the fixes
    # that would be applied (check, diff).
    findings: tuple[Finding, ...] = ()
    # Fixes applied (write) or that would be applied (check, diff); empty in report mode.
    fixes: tuple[Finding, ...] = ()
    # Diagnostics left after the fixes (check, diff, write); all of them in report mode.
    remaining: tuple[Finding, ...] = ()
    changed: bool = False  # the fixes change the text (written, with --write)
    diff: str | None = None
    fixed_text: str | None = None  # stdin only
    build_flags: tuple[str, ...] = ()
    error: FileError | None = None
    converged: bool = True
    refused: tuple[Finding, ...] = ()
    seconds: float = 0.0
    cached: bool = False  # from the result cache, not checked again


@dataclass
class Run:
    mode: Mode
    unsafe: bool
    results: list[FileResult] = field(default_factory=list)
    stats: bool = False

    @property
    def errors(self) -> list[FileResult]:
        return [r for r in self.results if r.error is not None]

    @property
    def changed(self) -> list[FileResult]:
        return [r for r in self.results if r.changed]

    def fixes_by_rule(self) -> Counter[tuple[str, str]]:
        if self.mode is Mode.REPORT:
            return Counter(
                (f.code, f.name) for r in self.results for f in r.remaining if f.applicable
            )
        return Counter((f.code, f.name) for r in self.results for f in r.fixes)

    def found_by_rule(self) -> Counter[tuple[str, str]]:
        """Findings per rule before any fix: what the rules reported on the files as given."""
        found: Counter[tuple[str, str]] = Counter()
        for result in self.results:
            found.update((f.code, f.name) for f in result.remaining)
            found.update((f.code, f.name) for f in result.fixes)
        return found

    def exit_code(self) -> int:
        if self.errors:
            return 2
        if self.mode in (Mode.CHECK, Mode.DIFF):
            return 1 if self.changed else 0
        return 1 if any(r.findings for r in self.results) else 0


@dataclass
class Output:
    stdout: str = ""
    stderr: str = ""


def tool_version() -> str:
    """The installed version ("0+unknown" when run from a checkout that is not installed)."""
    from importlib.metadata import PackageNotFoundError, version  # noqa: PLC0415

    try:
        return version("dockerfix")
    except PackageNotFoundError:
        return "0+unknown"
