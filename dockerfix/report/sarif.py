"""`--format sarif`: a SARIF 2.1.0 log for code scanning (GitHub's upload-sarif and others).

Regions are exact: start and end line and column of each finding, columns in UTF-16 code units
(SARIF's default `columnKind`), end column exclusive. Fixes travel as SARIF `fixes` (the exact
replacements `--write` makes); file errors as tool execution notifications.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any
from urllib.parse import quote

from dockerfix.report import Finding, Mode, Output, Range, Run, tool_version

SCHEMA = (
    "https://docs.oasis-open.org/sarif/sarif/v2.1.0/errata01/os/schemas/sarif-schema-2.1.0.json"
)
LEVELS = {"error": "error", "warning": "warning", "info": "note"}


def render(run: Run, cwd: Path | None = None) -> Output:
    from dockerfix.engine import DOCS_URL  # noqa: PLC0415
    from dockerfix.rules import ALL_RULES  # noqa: PLC0415

    root = Path(os.path.abspath(cwd or Path.cwd()))
    rules = [
        {
            "id": rule.code,
            "name": rule.name,
            "shortDescription": {"text": rule.summary() or rule.name},
            "fullDescription": {"text": rule.summary() or rule.name},
            "help": {"text": rule.docs(), "markdown": rule.docs()},
            "helpUri": DOCS_URL.format(name=rule.name),
            "defaultConfiguration": {"level": LEVELS[str(rule.severity)]},
            "properties": {
                "fix": str(rule.fix_safety) if rule.fix_safety else "none",
                **({"buildkitCheck": rule.buildkit_check} if rule.buildkit_check else {}),
            },
        }
        for rule in ALL_RULES
    ]
    index = {rule.code: i for i, rule in enumerate(ALL_RULES)}
    results = [
        _result(_artifact(r.path, root), f, index, run.mode)
        for r in run.results
        for f in r.findings
    ]
    notifications = []
    for r in run.results:
        if r.error is None:
            continue
        physical: dict[str, Any] = {"artifactLocation": _artifact(r.path, root)}
        if r.error.line is not None:
            physical["region"] = {"startLine": r.error.line, "startColumn": r.error.column or 1}
        notifications.append(
            {
                "level": "error",
                "message": {"text": f"{r.path}: {r.error.message}"},
                "locations": [{"physicalLocation": physical}],
            }
        )
    log = {
        "$schema": SCHEMA,
        "version": "2.1.0",
        "runs": [
            {
                "tool": {
                    "driver": {
                        "name": "dockerfix",
                        "version": tool_version(),
                        "informationUri": "https://github.com/dockerfix/dockerfix",
                        "rules": rules,
                    }
                },
                "originalUriBaseIds": {"%SRCROOT%": {"uri": root.as_uri().rstrip("/") + "/"}},
                "columnKind": "utf16CodeUnits",
                "invocations": [
                    {
                        "executionSuccessful": not notifications,
                        "toolExecutionNotifications": notifications,
                    }
                ],
                "results": results,
            }
        ],
    }
    return Output(stdout=json.dumps(log, indent=2, ensure_ascii=False) + "\n")


def _artifact(path: str, root: Path) -> dict[str, str]:
    if path == "-":
        return {"uri": "stdin"}
    absolute = Path(os.path.abspath(path))
    try:
        relative = absolute.relative_to(root).as_posix()
    except ValueError:
        return {"uri": absolute.as_uri()}
    return {"uri": quote(relative), "uriBaseId": "%SRCROOT%"}


def _region(r: Range) -> dict[str, int]:
    return {
        "startLine": r.line,
        "startColumn": r.column_utf16,
        "endLine": r.end_line,
        "endColumn": r.end_column_utf16,
    }


def _result(artifact: dict[str, str], f: Finding, index: dict[str, int], mode: Mode) -> Any:
    text = f.fix_title or f.message if mode in (Mode.CHECK, Mode.DIFF) else f.message
    result: dict[str, Any] = {
        "ruleId": f.code,
        "level": LEVELS.get(f.severity, "warning"),
        "message": {"text": text},
        "locations": [
            {"physicalLocation": {"artifactLocation": artifact, "region": _region(f.range)}}
        ],
    }
    if f.code in index:
        result["ruleIndex"] = index[f.code]
    if f.edits:
        result["fixes"] = [
            {
                "description": {"text": f.fix_title or f.message},
                "artifactChanges": [
                    {
                        "artifactLocation": artifact,
                        "replacements": [
                            {"deletedRegion": _region(e.range), "insertedContent": {"text": e.text}}
                            for e in f.edits
                        ],
                    }
                ],
            }
        ]
    if f.fix is not None or f.build_flags:
        result["properties"] = {
            **({"fix": f.fix} if f.fix else {}),
            **({"buildFlags": list(f.build_flags)} if f.build_flags else {}),
        }
    return result
