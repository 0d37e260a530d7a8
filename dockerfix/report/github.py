"""`--format github`: GitHub Actions workflow commands, one annotation per finding.

::warning file=app/Dockerfile,line=3,col=1,endLine=3,endColumn=12,title=DF001 Name::message
"""

from __future__ import annotations

from dockerfix.report import Mode, Output, Run

LEVELS = {"error": "error", "warning": "warning", "info": "notice"}


def render(run: Run) -> Output:
    lines = []
    for result in run.results:
        for f in result.findings:
            r = f.range
            message = f.fix_title or f.message if run.mode in (Mode.CHECK, Mode.DIFF) else f.message
            properties = {
                "file": result.path,
                "line": r.line,
                "col": r.column,
                "endLine": r.end_line,
                "endColumn": r.end_column,
                "title": f"{f.code} {f.name}",
            }
            lines.append(_command(LEVELS.get(f.severity, "warning"), properties, message))
        if result.error is not None:
            error = result.error
            properties = {"file": result.path, "title": "dockerfix"}
            if error.line is not None:
                properties.update(line=error.line, col=error.column or 1)
            lines.append(_command("error", properties, error.message))
    return Output(stdout="".join(line + "\n" for line in lines))


def _command(level: str, properties: dict[str, object], message: str) -> str:
    joined = ",".join(f"{key}={_escape_property(str(value))}" for key, value in properties.items())
    return f"::{level} {joined}::{_escape_data(message)}"


def _escape_data(text: str) -> str:
    # As @actions/core escapes command data.
    return text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def _escape_property(text: str) -> str:
    return _escape_data(text).replace(":", "%3A").replace(",", "%2C")
