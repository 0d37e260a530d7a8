"""`--format json`: one object with the diagnostics, the fixes, file errors and a summary.

    {"version": "0.1.0", "mode": "report",
     "diagnostics": [{"filename", "code", "name", "message", "severity", "location":
                      {"line", "column"}, "end_location", "fix": {"applicability",
                      "message", "edits": [{"content", "location", "end_location"}]} | null,
                      "url", "build_flags"}],
     "fixes": [...same shape: applied (--write) or that would be applied (--check/--diff)],
     "errors": [{"filename", "kind", "message", "location": {"line", "column"} | null}],
     "files": [{"filename", "changed", "build_flags"}],    # files changed or needing flags
     "summary": {"files", "changed", "unparsable", "errors", "diagnostics", "fixes"},
     "statistics": [{"code", "name", "found", "fixes"}]}

Lines and columns are 1-based; columns count code points; end positions are exclusive.
"""

from __future__ import annotations

import json
from typing import Any

from dockerfix.report import Finding, Mode, Output, Range, Run, tool_version


def render(run: Run) -> Output:
    payload = {
        "version": tool_version(),
        "mode": str(run.mode),
        "diagnostics": [_finding(r.path, f) for r in run.results for f in r.findings],
        "fixes": [_finding(r.path, f) for r in run.results for f in r.fixes],
        "errors": [
            {
                "filename": r.path,
                "kind": r.error.kind,
                "message": r.error.message,
                "location": None
                if r.error.line is None
                else {"line": r.error.line, "column": r.error.column},
            }
            for r in run.results
            if r.error is not None
        ],
        "files": [
            {"filename": r.path, "changed": r.changed, "build_flags": list(_flags(run, r))}
            for r in run.results
            if r.changed or _flags(run, r)
        ],
        "summary": {
            "files": len(run.results),
            "changed": len(run.changed),
            "unparsable": sum(1 for r in run.errors if r.error and r.error.kind == "parse"),
            "errors": len(run.errors),
            "diagnostics": sum(len(r.findings) for r in run.results),
            "fixes": sum(run.fixes_by_rule().values()),
        },
        "statistics": statistics(run),
    }
    return Output(stdout=json.dumps(payload, indent=2, ensure_ascii=False) + "\n")


def statistics(run: Run) -> list[dict[str, Any]]:
    fixes = run.fixes_by_rule()
    return [
        {"code": code, "name": name, "found": count, "fixes": fixes.get((code, name), 0)}
        for (code, name), count in sorted(run.found_by_rule().items())
    ]


def _flags(run: Run, result: Any) -> tuple[str, ...]:
    if run.mode is Mode.REPORT:
        return tuple(
            dict.fromkeys(flag for f in result.findings if f.applicable for flag in f.build_flags)
        )
    return tuple(result.build_flags)


def _position(line: int, column: int) -> dict[str, int]:
    return {"line": line, "column": column}


def _range(r: Range) -> dict[str, dict[str, int]]:
    return {
        "location": _position(r.line, r.column),
        "end_location": _position(r.end_line, r.end_column),
    }


def _finding(filename: str, f: Finding) -> dict[str, Any]:
    fix = None
    if f.fix is not None:
        fix = {
            "applicability": f.fix,
            "applicable": f.applicable,
            "message": f.fix_title,
            "edits": [{"content": e.text, **_range(e.range)} for e in f.edits],
        }
    return {
        "filename": filename,
        "code": f.code,
        "name": f.name,
        "message": f.message,
        "severity": f.severity,
        **_range(f.range),
        "fix": fix,
        "url": f.url,
        "build_flags": list(f.build_flags),
    }
