"""One analysis of one document version: the engine's findings, as LSP diagnostics.

`analyze()` is what the server runs off the event loop. It never raises: a parse error, a
binary or oversized document, or a bug in a rule each become one diagnostic that says so.
"""

from __future__ import annotations

import json
import logging
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from lsprotocol import types

from dockerfix import engine
from dockerfix.config import Config
from dockerfix.diagnostics import Diagnostic, Fix, Safety, Severity
from dockerfix.engine import FixResult, Memo
from dockerfix.syntax import Dockerfile, ParseError, parse
from dockerfix_lsp.positions import LineIndex, offset_of_location

logger = logging.getLogger(__name__)

SOURCE = "dockerfix"
# Larger documents are not checked: the largest real Dockerfiles are a few hundred KiB, and a
# check of a multi-megabyte text would keep the server busy for minutes.
MAX_CHARS = 1024 * 1024

PARSE_ERROR = "parse-error"
NOT_CHECKED = "not-checked"
INTERNAL_ERROR = "internal-error"

_SEVERITY = {
    Severity.ERROR: types.DiagnosticSeverity.Error,
    Severity.WARNING: types.DiagnosticSeverity.Warning,
    Severity.INFO: types.DiagnosticSeverity.Information,
}


@dataclass(frozen=True)
class Request:
    """What to analyze: one version of one document, with its settings."""

    uri: str
    version: int
    text: str
    config: Config
    generation: int  # the settings generation the config was computed in
    dockerignore: str | None = None
    path: Path | None = None


# LSP JSON, built directly: lsprotocol objects and their cattrs serialization cost more than
# the check itself on a file with hundreds of findings.
JSON = dict[str, Any]


@dataclass
class Analysis:
    request: Request
    index: LineIndex
    tree: Dockerfile | None = None
    findings: list[Diagnostic] = field(default_factory=list)
    # The LSP diagnostics (JSON), and the same list serialized once, off the event loop.
    diagnostics: list[JSON] = field(default_factory=list)
    diagnostics_json: str = "[]"
    # Findings and their LSP diagnostics, pairwise (the problem diagnostics are not findings).
    pairs: list[tuple[Diagnostic, JSON]] = field(default_factory=list)
    # Each LSP diagnostic and its JSON text, by what they are made of (see `_lsp_key`): the
    # next version's analysis takes the ones that did not change from here.
    serialized: dict[tuple[object, ...], tuple[JSON, str]] = field(default_factory=dict)
    problem: str | None = None  # why the document could not be checked, if it could not
    problem_code: str | None = None  # PARSE_ERROR, NOT_CHECKED or INTERNAL_ERROR
    # `fix()` results, by `unsafe`, computed on demand.
    fixed: dict[bool, FixResult | None] = field(default_factory=dict)
    serial: int = 0  # equal serials: equal diagnostics (the pull result id)
    config_error: str | None = None  # the project's config file could not be used
    timings: dict[str, float] = field(default_factory=dict)  # seconds, by step (debug log)

    @property
    def version(self) -> int:
        return self.request.version

    @property
    def text(self) -> str:
        return self.request.text

    @property
    def config(self) -> Config:
        return self.request.config

    def fix_all(self) -> FixResult | None:
        """`dockerfix --write`'s result for this text (None when it cannot be fixed)."""
        unsafe = self.config.unsafe_fixes
        if unsafe not in self.fixed:
            result: FixResult | None = None
            if self.tree is not None:
                try:
                    result = engine.fix(
                        self.text,
                        self.config,
                        unsafe=unsafe,
                        dockerignore=self.request.dockerignore,
                    )
                except Exception:
                    logger.exception("fix-all failed for %s", self.request.uri)
            self.fixed[unsafe] = result
        return self.fixed[unsafe]


def analyze(
    request: Request, memo: Memo | None = None, previous: Analysis | None = None
) -> Analysis:
    """The analysis of one version; `memo` (the same object for every version of one
    document) lets groups of stages whose text did not change go unchecked, and `previous`
    (the last version's analysis) lets the parse redo only what the edit touched and the
    unchanged diagnostics be sent as they were serialized."""
    started = time.perf_counter()
    analysis = _analyze(request, memo, previous)
    analysis.timings["total"] = time.perf_counter() - started
    if logger.isEnabledFor(logging.DEBUG):
        logger.debug(
            "%s v%d: %s",
            request.uri,
            request.version,
            ", ".join(f"{k} {v * 1e3:.1f} ms" for k, v in analysis.timings.items()),
        )
    return analysis


def _analyze(request: Request, memo: Memo | None, previous: Analysis | None) -> Analysis:
    index = LineIndex(request.text)
    analysis = Analysis(request, index)
    text = request.text
    if len(text) > MAX_CHARS:
        return _problem(
            analysis,
            f"not checked: the document has {len(text):,} characters, more than dockerfix "
            f"checks in an editor ({MAX_CHARS:,})",
            NOT_CHECKED,
            types.DiagnosticSeverity.Warning,
        )
    nul = text.find("\x00")
    if nul >= 0:
        return _problem(
            analysis,
            "not checked: binary content (a NUL character), not a Dockerfile",
            NOT_CHECKED,
            types.DiagnosticSeverity.Warning,
            at=nul,
        )
    started = time.perf_counter()
    try:
        analysis.tree = parse(text, previous=previous.tree if previous else None)
    except ParseError as error:
        at = offset_of_location(text, error.line, error.column)
        return _problem(analysis, error.message, PARSE_ERROR, types.DiagnosticSeverity.Error, at)
    except Exception:
        return _internal_error(analysis)
    parsed = time.perf_counter()
    try:
        analysis.findings = engine.check_tree(
            analysis.tree, request.config, dockerignore=request.dockerignore, memo=memo
        )
    except Exception:
        return _internal_error(analysis)
    checked = time.perf_counter()
    known = previous.serialized if previous is not None else {}
    texts = []
    for finding in analysis.findings:
        start, end = lsp_range(finding, index)
        key = _lsp_key(finding, start, end)
        entry = analysis.serialized.get(key) or known.get(key)
        if entry is None:
            diagnostic = to_lsp(finding, start, end)
            entry = (diagnostic, json.dumps(diagnostic))
        analysis.serialized[key] = entry
        analysis.pairs.append((finding, entry[0]))
        analysis.diagnostics.append(entry[0])
        texts.append(entry[1])
    analysis.diagnostics_json = "[" + ", ".join(texts) + "]"  # json.dumps(diagnostics)
    analysis.timings.update(
        parse=parsed - started,
        check=checked - parsed,
        lsp=time.perf_counter() - checked,
    )
    return analysis


def lsp_range(finding: Diagnostic, index: LineIndex) -> tuple[JSON, JSON]:
    """Where a finding starts and ends, as LSP positions (JSON)."""
    if index.plain:
        location, end_location = finding.location, finding.end_location
        start = {"line": location.line - 1, "character": location.column - 1}
        end = {"line": end_location.line - 1, "character": end_location.column - 1}
    else:
        start = index.json_position(finding.start)
        end = index.json_position(finding.end)
    # A finding that ends at the start of a line ends, for people, at the end of the last one.
    if end["character"] == 0 and end["line"] > start["line"]:
        end = index.json_position(index.line_end(end["line"] - 1))
    return start, end


def _lsp_key(finding: Diagnostic, start: JSON, end: JSON) -> tuple[object, ...]:
    """Everything `to_lsp` makes a diagnostic of."""
    fix = finding.fix
    return (
        finding.code,
        finding.message,
        start["line"],
        start["character"],
        end["line"],
        end["character"],
        finding.severity,
        finding.name,
        finding.url,
        finding.build_flags,
        (fix.title, fix.safety) if fix is not None else None,
    )


def to_lsp(finding: Diagnostic, start: JSON, end: JSON) -> JSON:
    data: JSON = {"name": finding.name, "fix": fix_data(finding.fix)}
    if finding.build_flags:
        data["buildFlags"] = list(finding.build_flags)
    diagnostic: JSON = {
        "range": {"start": start, "end": end},
        "severity": _SEVERITY.get(finding.severity, types.DiagnosticSeverity.Warning).value,
        "code": finding.code,
        "source": SOURCE,
        "message": finding.message,
        "data": data,
    }
    if finding.url:
        diagnostic["codeDescription"] = {"href": finding.url}
    return diagnostic


def fix_data(fix: Fix | None) -> JSON | None:
    """A fix as JSON: its title and safety. Its edits are worked out when a code action asks
    for them: on a large file, every fix's edits cost more than the check itself."""
    if fix is None:
        return None
    return {"title": fix.title, "safety": str(fix.safety)}


def text_edits(fix: Fix, index: LineIndex) -> list[types.TextEdit]:
    return [
        types.TextEdit(range=index.range(edit.start, edit.end), new_text=edit.text)
        for edit in fix.edits
    ]


def is_safe(fix: Fix) -> bool:
    return fix.safety is Safety.SAFE


def _problem(
    analysis: Analysis,
    message: str,
    code: str,
    severity: types.DiagnosticSeverity,
    at: int = 0,
) -> Analysis:
    """The one diagnostic of a document that could not be checked."""
    index = analysis.index
    start = index.json_position(at)
    end = index.json_position(index.line_end(start["line"]))
    analysis.problem = message
    analysis.problem_code = code
    analysis.diagnostics = [
        {
            "range": {"start": start, "end": end},
            "severity": severity.value,
            "code": code,
            "source": SOURCE,
            "message": message,
        }
    ]
    analysis.diagnostics_json = json.dumps(analysis.diagnostics)
    return analysis


def _internal_error(analysis: Analysis) -> Analysis:
    logger.exception("checking %s failed", analysis.request.uri)
    analysis.tree = None
    analysis.findings = []
    analysis.pairs = []
    return _problem(
        analysis,
        "internal error in dockerfix, please report it (the server log has the details)",
        INTERNAL_ERROR,
        types.DiagnosticSeverity.Error,
    )
