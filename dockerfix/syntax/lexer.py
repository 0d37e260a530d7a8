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
from collections.abc import Callable
from typing import NamedTuple

from dockerfix.syntax import buildkit
from dockerfix.syntax.errors import ParseError
from dockerfix.syntax.heredocs import HeredocError, HeredocMarker, heredoc_markers
from dockerfix.syntax.nodes import Token

BOM = "\ufeff"
MAX_LINE_BYTES = 65535  # bufio.Scanner's limit, which BuildKit inherits
ESCAPES = ("\\", "`")
_PIECE = "PIECE"


def _token(kind: str, text: str, start: int) -> Token:
    # tuple.__new__ skips NamedTuple's Python-level __new__: the lexer makes many tokens.
    return tuple.__new__(Token, (kind, text, start, None))


# A physical line: (offset of its content, content without the line ending, line ending).
_Line = tuple[int, str, str]
# A region of a logical line: (start, end, token type).
_Region = tuple[int, int, str]


class _Command(NamedTuple):
    name: str
    is_json: bool
    trigger: _Command | None


# The blanks between a one-line instruction's keyword, separator, arguments and trailing
# blanks (ASCII lines only: BuildKit's other blanks are not ASCII).
_BLANKS = "\t\v\f\r "
_BLANK = re.compile(r"[\t\v\f\r ]")
# Instructions whose line parser can fail on arguments that do not start with `[`.
_CHECKED_TEXT = buildkit.KEY_VALUES | {"healthcheck"}


def _never(offset: int) -> bool:
    return False


class Lexer:
    """Lexes `text` from the offset `start` (the start of a line after the parser directives,
    with the `escape` they set, or the start of the file) to `end` (the end of a line; by
    default the end of the text)."""

    def __init__(self, text: str, start: int = 0, escape: str = "\\", end: int = -1) -> None:
        self.text = text
        self.start = start
        self.lines = _split_lines(text, start, len(text) if end < 0 else end)
        self.tokens: list[Token] = []
        self.escape = escape
        self.directives_open = start == 0
        self.seen_directives: set[str] = set()
        self.has_instruction = False
        # Where each top-level item (BOM, line, or instruction with its heredocs) ends.
        self.item_ends: list[int] = []
        self.stopped = False  # whether `run` stopped before the end

    def run(self, stop: Callable[[int], bool] = _never) -> list[Token]:
        """The tokens up to the end of the text, or up to the first item end (an offset) where
        `stop` says the rest is already known."""
        if self.start == 0 and self.text.startswith(BOM):
            self.tokens.append(_token("BOM", BOM, 0))
            self.item_ends.append(1)
        lines = self.lines
        index = 0
        while index < len(lines):
            index = self._line(index)
            self.item_ends.append(len(self.tokens))
            if index < len(lines) and stop(lines[index][0]):
                self.stopped = True
                break
        return self.tokens

    # -- top-level lines -------------------------------------------------------------------

    def _line(self, index: int) -> int:
        start, content, eol = self.lines[index]
        stripped = content.lstrip(buildkit.GO_SPACE)
        indent = len(content) - len(stripped)
        is_directive = self.directives_open and self._directive(stripped, start + indent)
        tokens = self.tokens
        if not stripped:
            tokens.append(_token("BLANK_LINE", content + eol, start))
            return index + 1
        if indent:
            tokens.append(_token("INDENT", content[:indent], start))
        if stripped[0] == "#":
            kind = "DIRECTIVE" if is_directive else "COMMENT"
            tokens.append(_token(kind, stripped, start + indent))
            tokens.append(_token("NEWLINE", eol, start + len(content)))
            return index + 1
        self.has_instruction = True
        if buildkit.continuation_start(stripped, self.escape) < 0:
            simple = self._simple(index, start + indent, stripped)
            if simple >= 0:
                return simple
        return self._instruction(index, start + indent, stripped)

    def _simple(self, index: int, offset: int, line: str) -> int:
        """The fast path for the common one-line instruction without flags; -1 if it is not."""
        if not line.isascii():
            return -1
        body = line.rstrip(_BLANKS)
        trailing = line[len(body) :]
        blank = _BLANK.search(body)
        if blank is None:
            keyword, separator, arguments = body, "", ""
        else:
            keyword, rest = body[: blank.start()], body[blank.start() :]
            arguments = rest.lstrip(_BLANKS)
            separator = rest[: len(rest) - len(arguments)]
        name = keyword.lower()
        if name == "onbuild" or (arguments and arguments.startswith("--")):
            return -1
        is_json = False
        if arguments and (arguments[0] == "[" or name in _CHECKED_TEXT):
            try:
                is_json = buildkit.arguments(name, arguments, self.escape)[1]
            except buildkit.LineError as error:
                at = offset + len(keyword) + len(separator)
                raise ParseError(str(error), *self._location(at)) from None
        tokens = self.tokens
        new = tuple.__new__  # faster than NamedTuple's own __new__; see _token
        tokens.append(new(Token, ("KEYWORD", keyword, offset, None)))
        at = offset + len(keyword)
        if separator:
            tokens.append(new(Token, ("WS", separator, at, None)))
            at += len(separator)
        if arguments:
            tokens.append(new(Token, ("ARGS", arguments, at, None)))
            at += len(arguments)
        if trailing:
            tokens.append(new(Token, ("WS", trailing, at, None)))
        tokens.append(new(Token, ("NEWLINE", self.lines[index][2], offset + len(line), None)))
        if "<<" in line and name in buildkit.HEREDOC_INSTRUCTIONS and not is_json:
            return self._heredocs(index, line, [(line, offset)], _Command(name, is_json, None))
        return index + 1

    def _directive(self, line: str, offset: int) -> bool:
        """BuildKit's DirectiveParser.ParseLine: only a leading block of `# key=value` lines."""
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
            if value not in ESCAPES:
                message = f"invalid escape token '{value}' does not match ` or \\"
                raise ParseError(message, *position)
            self.escape = value
        return True

    # -- instructions ----------------------------------------------------------------------

    def _instruction(self, index: int, offset: int, first: str) -> int:
        """Lex one logical line (and its heredocs), starting with the text `first`."""
        escape = self.escape
        segments: list[tuple[str, str, int]] = []
        cut = buildkit.continuation_start(first, escape)
        if cut < 0:
            segments.append((_PIECE, first, offset))
            return self._finish(index, segments, self.lines[index][2])
        segments.append((_PIECE, first[:cut], offset))
        segments.append(("LINE_CONTINUATION", first[cut:] + self.lines[index][2], offset + cut))
        while index + 1 < len(self.lines):
            index += 1
            start, content, eol = self.lines[index]
            stripped = content.lstrip(buildkit.GO_SPACE)
            if not stripped:
                segments.append(("BLANK_LINE", content + eol, start))
                continue
            if stripped[0] == "#":
                indent = len(content) - len(stripped)
                if indent:
                    segments.append(("INDENT", content[:indent], start))
                segments.append(("COMMENT", stripped, start + indent))
                segments.append(("NEWLINE", eol, start + len(content)))
                continue
            cut = buildkit.continuation_start(content, escape)
            if cut < 0:
                segments.append((_PIECE, content, start))
                return self._finish(index, segments, eol)
            segments.append((_PIECE, content[:cut], start))
            segments.append(("LINE_CONTINUATION", content[cut:] + eol, start + cut))
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
            return self._heredocs(index, joined, pieces, command)
        return index + 1

    def _heredocs(
        self, index: int, joined: str, pieces: list[tuple[str, int]], command: _Command
    ) -> int:
        """Read the bodies of the heredocs the logical line opens; the next line's index."""
        try:
            markers = heredoc_markers(joined)
        except HeredocError as error:
            raise ParseError(str(error), *self._location(pieces[0][1])) from None
        for marker in markers:
            index = self._heredoc(index, marker, pieces, joined)
        return index + 1

    def _command(self, line: str, low: int, high: int, regions: list[_Region]) -> _Command:
        """Split line[low:high] as splitCommand does, recording the regions it finds."""
        text = line[low:high]
        keyword_start, keyword_end, rest_start = buildkit.split_command(text)
        _add(regions, low, low + keyword_start, "WS")
        regions.append((low + keyword_start, low + keyword_end, "KEYWORD"))
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
            _separate(regions, cursor, base + start)
            regions.append((base + start, base + end, "FLAG"))
            cursor = base + end
        if terminator >= 0:
            _separate(regions, cursor, base + terminator)
            regions.append((base + terminator, base + arguments_start, "END_OF_FLAGS"))
            cursor = base + arguments_start
        arguments = rest[arguments_start:]
        arguments_low = (
            base + arguments_start + len(arguments) - len(arguments.lstrip(buildkit.GO_SPACE))
        )
        if arguments_low < low + body_end:
            _separate(regions, cursor, arguments_low)
        else:
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
                region_start, region_end, region_type = regions[region_index]
                if region_end <= at:
                    if region_start == region_end == at and region_type == "WS":
                        self._emit("WS", "", offset + at - piece_start)  # see _separate
                    region_index += 1
                    continue
                cut = min(region_end, piece_end)
                self._emit(
                    region_type,
                    text[at - piece_start : cut - piece_start],
                    offset + at - piece_start,
                )
                at = cut
        if any(kind == "KEYWORD" and start == end for start, end, kind in regions[:2]):
            # A logical line of blanks only: BuildKit makes an instruction with an empty keyword.
            self._emit("KEYWORD", "", self.tokens[-1].end)

    def _heredoc(
        self, index: int, marker: HeredocMarker, pieces: list[tuple[str, int]], joined: str
    ) -> int:
        body_start = index + 1
        lines = self.lines
        name = marker.name
        for line_index in range(body_start, len(lines)):
            start, content, eol = lines[line_index]
            if (content.lstrip("\t") if marker.chomp else content) != name:
                continue
            first = lines[body_start][0]
            if start > first:
                self._emit("HEREDOC_BODY", self.text[first:start], first)
            self.tokens.append(Token("HEREDOC_END", content, start, marker))
            self._emit("NEWLINE", eol, start + len(content))
            return line_index
        column = max(joined.find(marker.word), 0)
        message = f"unterminated heredoc <<{'-' if marker.chomp else ''}{marker.name}"
        raise ParseError(message, *self._location(_to_source(pieces, column)))

    # -- helpers ---------------------------------------------------------------------------

    def _emit(self, kind: str, text: str, offset: int) -> None:
        self.tokens.append(_token(kind, text, offset))

    def _location(self, offset: int) -> tuple[int, int]:
        line = 1 + self.text.count("\n", 0, offset)
        return line, offset - (self.text.rfind("\n", 0, offset) + 1) + 1

    def _joined_location(
        self, pieces: list[tuple[str, int]], regions: list[_Region]
    ) -> tuple[int, int]:
        """Where a line error points: the start of the instruction's arguments."""
        arguments = [start for start, _, kind in regions if kind == "ARGS"]
        return self._location(_to_source(pieces, arguments[-1] if arguments else 0))


def _separate(regions: list[_Region], start: int, end: int) -> None:
    """The blanks between two words. BuildKit can end a flag inside a character (at a 0x85 or
    0xA0 byte); the flag then takes the whole character and an empty WS token separates it
    from the next word, as the grammar wants."""
    regions.append((start, end, "WS"))


def _add(regions: list[_Region], start: int, end: int, kind: str) -> None:
    if end > start:
        regions.append((start, end, kind))


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


def _split_lines(text: str, start: int, end: int) -> list[_Line]:
    """Physical lines from `start` to `end`, as BuildKit scans them: split at `\\n`, trailing
    `\\r`s trimmed."""
    lines: list[_Line] = []
    offset = 1 if start == 0 and text.startswith(BOM) else start
    raw_lines = text[offset:end].split("\n")
    last = len(raw_lines) - 1
    for number, raw in enumerate(raw_lines):
        content = raw.rstrip("\r")
        eol = raw[len(content) :] + ("\n" if number < last else "")
        if number == last and not raw:
            break
        if len(raw) > MAX_LINE_BYTES // 4 and _too_long(raw, offset == 1 and text.startswith(BOM)):
            line = text.count("\n", 0, offset) + 1
            raise ParseError(
                f"dockerfile line greater than max allowed size of {MAX_LINE_BYTES}", line, 1
            )
        lines.append((offset, content, eol))
        offset += len(raw) + 1
    return lines


def _too_long(raw: str, after_bom: bool) -> bool:
    size = len(raw.encode("utf-8", "surrogatepass")) + (3 if after_bom else 0)
    return size > MAX_LINE_BYTES
