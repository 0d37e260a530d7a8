"""Offsets into a document's text <-> LSP positions (0-based line, UTF-16 code units).

The engine speaks `str` offsets (code points); LSP speaks lines split at `\\n`, `\\r\\n` or a
lone `\\r`, and columns counted in UTF-16 code units, where a character outside the Basic
Multilingual Plane (an emoji) counts two. Everything that crosses the wire goes through here.
Out-of-range positions are clamped, as the LSP specification asks: a character past the end of
a line means the end of that line, a line past the end of the text means the end of the text.
"""

from __future__ import annotations

import re
from bisect import bisect_right

from lsprotocol import types

_LINE_BREAK = re.compile(r"\r\n?|\n")
_ASTRAL = re.compile("[\U00010000-\U0010ffff]")


def line_starts(text: str) -> list[int]:
    """The offset at which every line starts (LSP line breaks: `\\n`, `\\r\\n`, `\\r`)."""
    if "\r" in text:
        return [0, *(match.end() for match in _LINE_BREAK.finditer(text))]
    starts = [0]
    append, find = starts.append, text.find
    at = find("\n")
    while at >= 0:
        append(at + 1)
        at = find("\n", at + 1)
    return starts


def utf16_length(text: str) -> int:
    """How many UTF-16 code units `text` takes."""
    if text.isascii():
        return len(text)
    return len(text) + len(_ASTRAL.findall(text))


class LineIndex:
    """Position conversions for one text (build a new index after every change)."""

    __slots__ = ("ascii", "plain", "starts", "text")

    def __init__(self, text: str) -> None:
        self.text = text
        self.starts = line_starts(text)
        self.ascii = text.isascii()
        # ASCII with `\n` line breaks only: LSP's lines and columns are the engine's.
        self.plain = self.ascii and "\r" not in text

    @property
    def line_count(self) -> int:
        return len(self.starts)

    def line_end(self, line: int) -> int:
        """The offset where 0-based `line`'s content ends (before its line break)."""
        if line + 1 >= len(self.starts):
            return len(self.text)
        end = self.starts[line + 1]
        text = self.text
        if end >= 2 and text[end - 2 : end] == "\r\n":
            return end - 2
        return end - 1

    def line_text(self, line: int) -> str:
        return self.text[self.starts[line] : self.line_end(line)]

    def position(self, offset: int) -> types.Position:
        offset = max(0, min(offset, len(self.text)))
        line = bisect_right(self.starts, offset) - 1
        start = self.starts[line]
        # An offset inside a `\r\n` pair belongs to the end of its line.
        end = self.line_end(line)
        offset = min(offset, end)
        if self.ascii:
            return types.Position(line=line, character=offset - start)
        return types.Position(line=line, character=utf16_length(self.text[start:offset]))

    def json_position(self, offset: int) -> dict[str, int]:
        """`position()` as LSP JSON (no lsprotocol object: this is the hot path)."""
        offset = max(0, min(offset, len(self.text)))
        line = bisect_right(self.starts, offset) - 1
        start = self.starts[line]
        if self.ascii:
            end = self.line_end(line)
            return {"line": line, "character": min(offset, end) - start}
        position = self.position(offset)
        return {"line": position.line, "character": position.character}

    def range(self, start: int, end: int) -> types.Range:
        return types.Range(start=self.position(start), end=self.position(end))

    def offset(self, position: types.Position) -> int:
        """The offset of an LSP position, clamped into the text."""
        line, character = position.line, position.character
        if line < 0:
            return 0
        if line >= len(self.starts):
            return len(self.text)
        start, end = self.starts[line], self.line_end(line)
        character = max(character, 0)
        if self.ascii:
            return min(start + character, end)
        segment = self.text[start:end]
        if segment.isascii() or not _ASTRAL.search(segment):
            return min(start + character, end)
        units = 0
        for index, char in enumerate(segment):
            width = 2 if char > "\uffff" else 1
            if units + width > character:
                return start + index  # inside a surrogate pair: before the character
            units += width
        return end


def offset_of_location(text: str, line: int, column: int) -> int:
    """The offset of the engine's 1-based line (split at `\\n`) and code-point column."""
    at = 0
    for _ in range(line - 1):
        found = text.find("\n", at)
        if found < 0:
            return len(text)
        at = found + 1
    line_end = text.find("\n", at)
    line_end = len(text) if line_end < 0 else line_end
    return min(at + max(column - 1, 0), line_end)
