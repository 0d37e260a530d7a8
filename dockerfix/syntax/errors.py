"""The one error a parse can raise."""

from __future__ import annotations


class ParseError(ValueError):
    """The input is not a Dockerfile BuildKit would accept; `line` and `column` are 1-based."""

    def __init__(self, message: str, line: int, column: int) -> None:
        super().__init__(f"{line}:{column}: {message}")
        self.message = message
        self.line = line
        self.column = column
