"""The Dockerfile lexer: the context the grammar cannot carry.

It walks physical lines as BuildKit's `parser.Parse` does: parser directives at the top (and
the `# escape=` character they set), comments, logical lines glued from continuation lines
(with comment and empty lines inside them), the split of a logical line into keyword, flags
and arguments, and heredoc bodies. It emits one token per run of text, so that every byte of
the input is in exactly one token and the grammar (`grammar/dockerfile.lark`) only has to give
the stream its structure.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from dockerfix.syntax import buildkit
from dockerfix.syntax.errors import ParseError
from dockerfix.syntax.heredocs import HeredocError, HeredocMarker, heredoc_markers
from dockerfix.syntax.nodes import HeredocEnd, Token

BOM = "\ufeff"
MAX_LINE_BYTES = 65535  # bufio.Scanner's limit, which BuildKit inherits
CONTINUATION = {
    "\\": buildkit.continuation_pattern("\\"),
    "`": buildkit.continuation_pattern("`"),
}
_PIECE = "PIECE"


@dataclass(frozen=True, slots=True)
class _Line:
    start: int  # offset of the content
    content: str  # without the line ending
    eol: str  # `\n`, `\r\n`..., or "" on a last line without one


@dataclass(frozen=True, slots=True)
class _Region:
    start: int
    end: int
    type: str


@dataclass(frozen=True, slots=True)
class _Command:
    name: str
    is_json: bool
    trigger: _Command | None


class Lexer:
    def __init__(self, text: str) -> None:
        self.text = text
        self.lines = _split_lines(text)
        self.tokens: list[Token] = []
        self.escape = "\\"
        self.directives_open = True
        self.seen_directives: set[str] = set()
        self.has_instruction = False

    def run(self) -> list[Token]:
        if self.text.startswith(BOM):
            self.tokens.append(Token("BOM", BOM, 0))
        index = 0
        while index < len(self.lines):
            index = self._line(index)
        if not self.has_instruction:
            raise ParseError("file with no instructions", 1, 1)
        return self.tokens

    # -- top-level lines -------------------------------------------------------------------

    def _line(self, index: int) -> int:
        line = self.lines[index]
        content = line.content
        stripped = content.lstrip(buildkit.GO_SPACE)
        indent = len(content) - len(stripped)
        is_directive = self._directive(stripped, line.start + indent)
        if not stripped:
            self._emit("BLANK_LINE", content + line.eol, line.start)
            return index + 1
        if indent:
            self._emit("INDENT", content[:indent], line.start)
        if stripped[0] == "#":
            kind = "DIRECTIVE" if is_directive else "COMMENT"
            self._emit(kind, stripped, line.start + indent)
            self._emit("NEWLINE", line.eol, line.start + len(content))
            return index + 1
        self.has_instruction = True
        return self._instruction(index, line.start + indent, stripped)

    def _directive(self, line: str, offset: int) -> bool:
        """BuildKit's DirectiveParser.ParseLine: only a leading block of `# key=value` lines."""
        if not self.directives_open:
            return False
        match = buildkit.DIRECTIVE.match(line)
        if match is None or match.group(1).lower() not in buildkit.DIRECTIVE_KEYS:
            self.directives_open = False
            return False
        name, value = match.group(1).lower(), match.group(2)
        position = self._location(offset)
        if name in self.seen_directives:
            raise ParseError(f"only one {name} parser directive can be used", *position)
        self.seen_directives.add(name)
        if name == "escape":
            if value not in CONTINUATION:
                message = f"invalid escape token '{value}' does not match ` or \\"
                raise ParseError(message, *position)
            self.escape = value
        return True

    # -- instructions ----------------------------------------------------------------------

    def _instruction(self, index: int, offset: int, first: str) -> int:
        """Lex one logical line (and its heredocs), starting with the text `first`."""
        continuation = CONTINUATION[self.escape]
        segments: list[tuple[str, str, int]] = []
        match = continuation.search(first)
        if match is None:
            segments.append((_PIECE, first, offset))
            return self._finish(index, segments, self.lines[index].eol)
        segments.append((_PIECE, first[: match.start()], offset))
        segments.append(
            (
                "LINE_CONTINUATION",
                first[match.start() :] + self.lines[index].eol,
                offset + match.start(),
            )
        )
        while index + 1 < len(self.lines):
            index += 1
            line = self.lines[index]
            content = line.content
            stripped = content.lstrip(buildkit.GO_SPACE)
            if not stripped:
                segments.append(("BLANK_LINE", content + line.eol, line.start))
                continue
            if stripped[0] == "#":
                indent = len(content) - len(stripped)
                if indent:
                    segments.append(("INDENT", content[:indent], line.start))
                segments.append(("COMMENT", stripped, line.start + indent))
                segments.append(("NEWLINE", line.eol, line.start + len(content)))
                continue
            match = continuation.search(content)
            if match is None:
                segments.append((_PIECE, content, line.start))
                return self._finish(index, segments, line.eol)
            segments.append((_PIECE, content[: match.start()], line.start))
            cut = line.start + match.start()
            segments.append(("LINE_CONTINUATION", content[match.start() :] + line.eol, cut))
        return self._finish(index, segments, "")

    def _finish(self, index: int, segments: list[tuple[str, str, int]], eol: str) -> int:
        pieces = [(text, offset) for kind, text, offset in segments if kind == _PIECE]
        joined = "".join(text for text, _ in pieces)
        regions: list[_Region] = []
        try:
            command = self._command(joined, 0, len(joined), regions)
        except buildkit.LineError as error:
            raise ParseError(str(error), *self._joined_location(pieces, regions)) from None
        self._emit_segments(segments, regions)
        end = self.tokens[-1].end if self.tokens else 0
        self._emit("NEWLINE", eol, end)
        if "<<" in joined and _can_contain_heredoc(command):
            try:
                markers = heredoc_markers(joined)
            except HeredocError as error:
                raise ParseError(str(error), *self._joined_location(pieces, regions)) from None
            for marker in markers:
                index = self._heredoc(index, marker, pieces, joined)
        return index + 1

    def _command(self, line: str, low: int, high: int, regions: list[_Region]) -> _Command:
        """Split line[low:high] as splitCommand does, recording the regions it finds."""
        text = line[low:high]
        keyword_start, keyword_end, rest_start = buildkit.split_command(text)
        _add(regions, low, low + keyword_start, "WS")
        regions.append(_Region(low + keyword_start, low + keyword_end, "KEYWORD"))
        name = text[keyword_start:keyword_end].lower()
        if rest_start < 0:
            _add(regions, low + keyword_end, high, "WS")
            return _Command(name, *self._arguments(name, line, high, high, regions))
        body_end = len(text.rstrip(buildkit.GO_SPACE))
        rest = text[rest_start:body_end]
        flags, terminator, arguments_start = buildkit.extract_flags(rest, self.escape)
        cursor = low + keyword_end
        base = low + rest_start
        for start, end, _ in flags:
            _add(regions, cursor, base + start, "WS")
            regions.append(_Region(base + start, base + end, "FLAG"))
            cursor = base + end
        if terminator >= 0:
            _add(regions, cursor, base + terminator, "WS")
            regions.append(_Region(base + terminator, base + arguments_start, "END_OF_FLAGS"))
            cursor = base + arguments_start
        arguments = rest[arguments_start:]
        arguments_low = (
            base + arguments_start + len(arguments) - len(arguments.lstrip(buildkit.GO_SPACE))
        )
        _add(regions, cursor, arguments_low, "WS")
        command = _Command(
            name, *self._arguments(name, line, arguments_low, low + body_end, regions)
        )
        _add(regions, low + body_end, high, "WS")
        return command

    def _arguments(
        self, name: str, line: str, low: int, high: int, regions: list[_Region]
    ) -> tuple[bool, _Command | None]:
        if name == "onbuild":
            if low == high:
                return False, None
            return False, self._command(line, low, high, regions)
        _add(regions, low, high, "ARGS")
        return buildkit.arguments(name, line[low:high], self.escape)[1], None

    def _emit_segments(self, segments: list[tuple[str, str, int]], regions: list[_Region]) -> None:
        """Emit the segments, cutting each piece of the logical line at region boundaries."""
        region_index = 0
        at = 0  # position in the logical line
        for kind, text, offset in segments:
            if kind != _PIECE:
                self._emit(kind, text, offset)
                continue
            piece_start, piece_end = at, at + len(text)
            while region_index < len(regions) and at < piece_end:
                region = regions[region_index]
                if region.end <= at:
                    region_index += 1
                    continue
                cut = min(region.end, piece_end)
                self._emit(
                    region.type,
                    text[at - piece_start : cut - piece_start],
                    offset + at - piece_start,
                )
                at = cut
        if any(r.type == "KEYWORD" and r.start == r.end for r in regions[:2]):
            # A logical line of blanks only: BuildKit makes an instruction with an empty keyword.
            self._emit("KEYWORD", "", self.tokens[-1].end)

    def _heredoc(
        self, index: int, marker: HeredocMarker, pieces: list[tuple[str, int]], joined: str
    ) -> int:
        body_start = index + 1
        for line_index in range(body_start, len(self.lines)):
            line = self.lines[line_index]
            candidate = line.content.lstrip("\t") if marker.chomp else line.content
            if candidate != marker.name:
                continue
            first = self.lines[body_start].start
            if line.start > first:
                self._emit("HEREDOC_BODY", self.text[first : line.start], first)
            self.tokens.append(HeredocEnd("HEREDOC_END", line.content, line.start, marker))
            self._emit("NEWLINE", line.eol, line.start + len(line.content))
            return line_index
        column = max(joined.find(marker.word), 0)
        message = f"unterminated heredoc <<{'-' if marker.chomp else ''}{marker.name}"
        raise ParseError(message, *self._location(_to_source(pieces, column)))

    # -- helpers ---------------------------------------------------------------------------

    def _emit(self, kind: str, text: str, offset: int) -> None:
        self.tokens.append(Token(kind, text, offset))

    def _location(self, offset: int) -> tuple[int, int]:
        line = 1 + self.text.count("\n", 0, offset)
        return line, offset - (self.text.rfind("\n", 0, offset) + 1) + 1

    def _joined_location(
        self, pieces: list[tuple[str, int]], regions: list[_Region]
    ) -> tuple[int, int]:
        """Where a line error points: the start of the instruction's arguments."""
        arguments = [r.start for r in regions if r.type == "ARGS"]
        return self._location(_to_source(pieces, arguments[-1] if arguments else 0))


def _add(regions: list[_Region], start: int, end: int, kind: str) -> None:
    if end > start:
        regions.append(_Region(start, end, kind))


def _to_source(pieces: list[tuple[str, int]], joined_offset: int) -> int:
    at = 0
    for text, offset in pieces:
        if joined_offset < at + len(text):
            return offset + joined_offset - at
        at += len(text)
    return pieces[-1][1] + len(pieces[-1][0]) if pieces else 0


def _can_contain_heredoc(command: _Command) -> bool:
    """canContainHeredoc: RUN, COPY and ADD in shell form, alone or as an ONBUILD trigger."""
    if command.name == "onbuild" and command.trigger is not None:
        command = command.trigger
    return command.name in buildkit.HEREDOC_INSTRUCTIONS and not command.is_json


_LINE = re.compile(r"([^\n]*?)(\r*\n|\r*\Z)")


def _split_lines(text: str) -> list[_Line]:
    """Physical lines as BuildKit scans them: split at `\\n`, trailing `\\r`s trimmed."""
    start = 1 if text.startswith(BOM) else 0
    lines = []
    for match in _LINE.finditer(text, start):
        if match.start() == len(text):
            break
        content = match.group(1)
        if len(content) > MAX_LINE_BYTES // 4 and _line_too_long(text, match):
            line = 1 + text.count("\n", 0, match.start())
            raise ParseError(
                f"dockerfile line greater than max allowed size of {MAX_LINE_BYTES}", line, 1
            )
        lines.append(_Line(match.start(), content, match.group(2)))
    return lines


def _line_too_long(text: str, match: re.Match[str]) -> bool:
    raw = text[match.start() : match.end()].rstrip("\n")
    extra = 3 if match.start() == 1 and text.startswith(BOM) else 0
    return len(raw.encode("utf-8", "surrogatepass")) + extra > MAX_LINE_BYTES
