"""Heredoc markers, found exactly as BuildKit finds them.

BuildKit splits the whole logical line into words with its shell lexer (`shell/lex.go`, quotes
and escapes kept raw, unset variables left as written) and takes every word matching
`^(\\d*)<<(-?)\\s*([^<]*)$` as a heredoc. This module ports the part of that lexer the marker
search needs, including its quirks (a lexing error means "no heredocs on this line").
"""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass

from dockerfix.syntax.buildkit import GO_SPACE, HEREDOC_WORD

_MAX_UINT = 2**64 - 1


class _LexError(Exception):
    pass


@dataclass(frozen=True, slots=True)
class HeredocMarker:
    name: str
    chomp: bool
    quoted: bool
    file_descriptor: int
    word: str


class _Words:
    """wordsStruct; its buffer is shared by nested scans, as in the Go code."""

    def __init__(self, buffer: list[str]) -> None:
        self.buffer = buffer
        self.words: list[str] = []
        self.in_word = False

    def add_char(self, ch: str) -> None:
        if ch in GO_SPACE:
            if self.in_word and any(self.buffer):
                self.words.append("".join(self.buffer))
                self.buffer.clear()
                self.in_word = False
        else:
            self.add_raw(ch)

    def add_raw(self, text: str) -> None:
        self.buffer.append(text)
        self.in_word = True

    def add_string(self, text: str) -> None:
        for ch in text:
            self.add_char(ch)

    def finish(self) -> list[str]:
        if "".join(self.buffer):
            self.words.append("".join(self.buffer))
            self.buffer.clear()
            self.in_word = False
        return self.words


class _ShellWords:
    """The subset of BuildKit's shellWord used by ProcessWords with an empty environment."""

    def __init__(self, text: str, raw_quotes: bool, raw_escapes: bool) -> None:
        self.text = text
        self.pos = 0
        self.raw_quotes = raw_quotes
        self.raw_escapes = raw_escapes
        self.buffer: list[str] = []

    def peek(self) -> str:
        return self.text[self.pos] if self.pos < len(self.text) else ""

    def next(self) -> str:
        ch = self.peek()
        self.pos += 1
        return ch

    def process(self, stop: str = "", raw_escapes: bool | None = None) -> tuple[str, list[str]]:
        saved = self.raw_escapes
        if raw_escapes is not None:
            self.raw_escapes = raw_escapes
        try:
            return self._process(stop)
        finally:
            self.raw_escapes = saved

    def _process(self, stop: str) -> tuple[str, list[str]]:
        result: list[str] = []
        self.buffer.clear()
        words = _Words(self.buffer)
        while self.peek():
            ch = self.peek()
            if stop and ch == stop:
                self.next()
                return "".join(result), words.finish()
            if ch in "$<'\"":
                text = self._special(ch)
                result.append(text)
                if ch == "$":
                    words.add_string(text)
                else:
                    words.add_raw(text)
                continue
            ch = self.next()
            if ch == "\\":
                if self.raw_escapes:
                    words.add_raw(ch)
                    result.append(ch)
                ch = self.next()
                if not ch:
                    break
                words.add_raw(ch)
            else:
                words.add_char(ch)
            result.append(ch)
        if stop:
            raise _LexError(f"unexpected end of statement while looking for matching {stop}")
        return "".join(result), words.finish()

    def _special(self, ch: str) -> str:
        if ch == "$":
            return self._dollar()
        if ch == "<":
            return self._possible_heredoc()
        if ch == "'":
            return self._single_quote()
        return self._double_quote()

    def _single_quote(self) -> str:
        quote = self.next()
        out = [quote] if self.raw_quotes else []
        while True:
            ch = self.next()
            if not ch:
                raise _LexError("unterminated single quote")
            if ch == "'":
                if self.raw_quotes:
                    out.append(ch)
                return "".join(out)
            out.append(ch)

    def _double_quote(self) -> str:
        quote = self.next()
        out = [quote] if self.raw_quotes else []
        while True:
            ch = self.peek()
            if not ch:
                raise _LexError("unterminated double quote")
            if ch == '"':
                self.next()
                if self.raw_quotes:
                    out.append(ch)
                return "".join(out)
            if ch == "$":
                out.append(self._dollar())
                continue
            ch = self.next()
            if ch == "\\":
                if self.raw_escapes:
                    out.append(ch)
                following = self.peek()
                if not following:
                    continue
                if following in '"$\\':
                    ch = self.next()
            out.append(ch)

    def _dollar(self) -> str:
        self.next()
        if self.peek() != "{":
            name = self._name()
            return "$" + name
        self.next()
        if not self.peek():
            raise _LexError("syntax error: missing '}'")
        if self.peek() in "{}:":
            raise _LexError("syntax error: bad substitution")
        name = self._name()
        ch = self.next()
        modifier = ch
        if ch == "}":
            return "${" + name + "}"
        if ch == ":":
            ch = self.next()
            modifier += ch
            if ch and ch in "#%":
                raise _LexError(f"unsupported modifier ({modifier}) in substitution")
        elif ch == "/":
            if self.peek() == "/":
                self.next()
            pattern = self._until("/", "syntax error: missing '/' in ${}")
            replacement = self._until("}", "syntax error: missing '}'")
            return "${" + name + "/" + pattern + "/" + replacement + "}"
        elif not ch or ch not in "+-?#%":
            raise _LexError(f"unsupported modifier ({modifier}) in substitution")
        word = self._until("}", "syntax error: missing '}'", raw_escapes=bool(ch) and ch in "#%")
        return "${" + name + modifier + word + "}"

    def _until(self, stop: str, message: str, raw_escapes: bool = True) -> str:
        try:
            text, _ = self.process(stop, raw_escapes)
        except _LexError:
            if not self.peek():
                raise _LexError(message) from None
            raise
        return text

    def _name(self) -> str:
        name: list[str] = []
        while self.peek():
            ch = self.peek()
            if not name and unicodedata.category(ch) == "Nd":
                while self.peek() and unicodedata.category(self.peek()) == "Nd":
                    name.append(self.next())
                return "".join(name)
            if not name and ch in "@*#?-$!0":
                return self.next()
            if not (ch.isalpha() or unicodedata.category(ch) == "Nd" or ch == "_"):
                break
            name.append(self.next())
        return "".join(name)

    def _possible_heredoc(self) -> str:
        self.next()
        if self.peek() != "<":
            return "<"
        self.next()
        space = []
        while self.peek() and self.peek() in "\t\r ":
            space.append(self.next())
        return "<<" + "".join(space)


def _words(text: str, raw_quotes: bool, raw_escapes: bool) -> list[str]:
    return _ShellWords(text, raw_quotes, raw_escapes).process()[1]


def _marker(word: str) -> HeredocMarker | None:
    match = HEREDOC_WORD.match(word)
    if match is None or not match.group(3):
        return None
    digits, dash, rest = match.groups()
    names = _words(rest, raw_quotes=False, raw_escapes=False)
    if len(names) != 1:
        return None
    raw_names = _words(rest, raw_quotes=True, raw_escapes=False)
    if len(raw_names) != 1:
        raise _LexError(f"internal lexing of heredoc produced inconsistent results: {rest}")
    quotes = names[0].count("'") + names[0].count('"')
    raw_quote_count = raw_names[0].count("'") + raw_names[0].count('"')
    return HeredocMarker(
        name=names[0],
        chomp=dash == "-",
        quoted=quotes != raw_quote_count,
        file_descriptor=min(int(digits), _MAX_UINT) if digits else 0,  # ParseUint saturates
        word=word,
    )


class HeredocError(ValueError):
    pass


def heredoc_markers(line: str) -> list[HeredocMarker]:
    """heredocsFromLine: the heredocs a logical line opens, in order."""
    try:
        words = _words(line, raw_quotes=True, raw_escapes=True)
    except _LexError:
        return []
    markers = []
    for word in words:
        try:
            marker = _marker(word)
        except _LexError as error:
            raise HeredocError(str(error)) from None
        if marker is not None:
            markers.append(marker)
    return markers
