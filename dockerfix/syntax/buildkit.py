"""BuildKit's line-level parsing rules, ported from `frontend/dockerfile/parser` (moby/buildkit).

Each function mirrors one Go function so that dockerfix reads a Dockerfile exactly as BuildKit
does, quirks included. They work on plain strings: the lexer uses them to find where words
start and end, and the tree uses them to present values as BuildKit sees them.
"""

from __future__ import annotations

import json
import math
import re
import unicodedata
from typing import Any

# Go's unicode.IsSpace, which BuildKit uses for trimming (Python's str.isspace differs: it
# also accepts \x1c-\x1f).
GO_SPACE = (
    "\t\n\v\f\r \x85\xa0\u1680\u2000\u2001\u2002\u2003\u2004\u2005\u2006\u2007\u2008"
    "\u2009\u200a\u2028\u2029\u202f\u205f\u3000"
)
# BuildKit's reWhitespace: the separator between an instruction keyword and its arguments.
SEPARATOR_CHARS = "\t\v\f\r "
SEPARATOR_RUN = re.compile(r"[\t\v\f\r ]+")
HEREDOC_WORD = re.compile(r"^([0-9]*)<<(-?)[\t\n\f\r ]*([^<]*)\Z")
# Go's \s is ASCII-only: [\t\n\f\r ].
DIRECTIVE = re.compile(
    r"#[" + GO_SPACE + r"]*([a-zA-Z][a-zA-Z0-9]*)[\t\n\f\r ]*=[\t\n\f\r ]*(.+?)[\t\n\f\r ]*\Z"
)
DIRECTIVE_KEYS = frozenset({"syntax", "escape", "check"})

HEREDOC_INSTRUCTIONS = frozenset({"add", "copy", "run"})
MAYBE_JSON = frozenset({"run", "cmd", "entrypoint", "shell"})
MAYBE_JSON_LIST = frozenset({"add", "copy", "volume"})
WHITESPACE_LISTS = frozenset({"from", "expose"})
STRINGS = frozenset({"maintainer", "stopsignal", "user", "workdir"})
KEY_VALUES = frozenset({"env", "label"})
KNOWN_INSTRUCTIONS = (
    MAYBE_JSON
    | MAYBE_JSON_LIST
    | WHITESPACE_LISTS
    | STRINGS
    | KEY_VALUES
    | {"arg", "healthcheck", "onbuild"}
)


class LineError(ValueError):
    """A BuildKit parse error inside one logical line (the caller adds the position)."""


class NotStringArray(LineError):
    def __init__(self) -> None:
        super().__init__("when using JSON array syntax, arrays must be comprised of strings only")


def continuation_start(line: str, escape: str) -> int:
    """Where BuildKit's lineContinuationRegex (`(?<!e)e[ \t]*$`) matches `line`: the escape
    character followed by blanks only and not escaped itself; -1 if the line does not continue.
    """
    body = line.rstrip(" \t")
    if body.endswith(escape) and not body.endswith(escape * 2):
        return len(body) - 1
    return -1


def is_go_space_only(text: str) -> bool:
    return not text.strip(GO_SPACE)


def split_command(line: str) -> tuple[int, int, int]:
    """splitCommand's cut points in `line`: keyword start, keyword end, rest start (-1: none)."""
    body_start = len(line) - len(line.lstrip(GO_SPACE))
    body_end = max(body_start, len(line.rstrip(GO_SPACE)))  # blanks only: an empty keyword
    separator = SEPARATOR_RUN.search(line, body_start, body_end)
    if separator is None:
        return body_start, body_end, -1
    return body_start, separator.start(), separator.end()


def _is_byte_space(ch: str) -> bool:
    # BuildKit scans flags byte by byte and calls unicode.IsSpace(rune(byte)).
    return ch in "\t\n\v\f\r \x85\xa0"


def extract_flags(line: str, escape: str) -> tuple[list[tuple[int, int, str]], int, int]:
    """extractBuilderFlags over `line` (already right-trimmed).

    Returns the flag words as (start, end, value), the span of a `--` terminator word (or -1)
    and where the arguments start. Works on UTF-8 bytes seen as Latin-1 when the text is not
    ASCII, exactly as the Go code does; offsets are converted back to `line` indices.
    """
    if line.isascii():
        return _extract_flags(line, escape)
    raw = line.encode("utf-8").decode("latin-1")
    flags, terminator, rest = _extract_flags(raw, escape)
    starts = _char_of_byte(line)

    def start(byte: int) -> int:
        return starts[byte]

    def end(byte: int) -> int:
        # A word can end inside a character (at a 0x85 or 0xA0 byte); its region then takes
        # the whole character, and Flag.value_text, reading bytes again, drops the rest.
        return starts[byte - 1] + 1 if byte else 0

    return (
        [(start(s), end(e), value) for s, e, value in flags],
        start(terminator) if terminator >= 0 else -1,
        end(rest),
    )


def _char_of_byte(text: str) -> list[int]:
    """For each UTF-8 byte offset of `text`, the index of the character it belongs to."""
    starts: list[int] = []
    for index, ch in enumerate(text):
        starts.extend([index] * len(ch.encode("utf-8")))
    starts.append(len(text))
    return starts


def _extract_flags(line: str, escape: str) -> tuple[list[tuple[int, int, str]], int, int]:
    words: list[tuple[int, int, str]] = []
    n = len(line)
    pos = 0
    while True:
        while pos < n and _is_byte_space(line[pos]):
            pos += 1
        if pos >= n or not line.startswith("--", pos):
            return words, -1, pos
        start = pos
        word: list[str] = []
        blank_ok = False
        quote = ""
        while pos < n:
            ch = line[pos]
            if quote:
                if ch == quote:
                    quote = ""
                elif ch == escape:
                    if pos + 1 == n:
                        quote = ""
                    else:
                        pos += 1
                        word.append(line[pos])
                else:
                    word.append(ch)
            elif _is_byte_space(ch):
                break
            elif ch in "'\"":
                quote = ch
                blank_ok = True
            elif ch == escape:
                if pos + 1 < n:
                    pos += 1
                    word.append(line[pos])
            else:
                word.append(ch)
            pos += 1
        value = "".join(word)
        if value == "--":
            if pos < n:
                return words, start, pos
            return words, start, n
        if blank_ok or value:
            words.append((start, pos, value))
        if pos >= n:
            return words, -1, n


# ASCII text without quotes, escape characters or the separators Go does not call spaces.
_PLAIN_WORDS = re.compile(r"[^'\"\\`\x1c-\x1f]*")


def parse_words(rest: str, escape: str) -> list[str]:
    """parseWords: split on whitespace honouring quotes; quotes and escapes are kept."""
    if rest.isascii() and _PLAIN_WORDS.fullmatch(rest):
        return rest.split()  # no quotes or escapes: Python's split agrees with Go's here
    words: list[str] = []
    word: list[str] = []
    in_word = False
    blank_ok = False
    quote = ""
    pos = 0
    n = len(rest)
    while pos < n:
        ch = rest[pos]
        if quote:
            if ch == quote:
                quote = ""
            if ch == escape and quote != "'":
                if pos + 1 == n:
                    quote = ""
                    pos += 1
                    continue
                word.append(ch)
                pos += 1
                ch = rest[pos]
            word.append(ch)
        elif ch in GO_SPACE:
            if in_word:
                if blank_ok or word:
                    words.append("".join(word))
                word = []
                blank_ok = False
                in_word = False
        else:
            in_word = True
            if ch in "'\"":
                quote = ch
                blank_ok = True
            if ch == escape:
                if pos + 1 == n:
                    pos += 1
                    continue
                word.append(ch)
                pos += 1
                ch = rest[pos]
            word.append(ch)
        pos += 1
    if in_word and (blank_ok or word):
        words.append("".join(word))
    return words


def _reject_constant(name: str) -> Any:
    raise ValueError(name)


def _finite_float(text: str) -> float:
    value = float(text)
    if math.isinf(value):
        raise ValueError(text)  # Go cannot store it in a float64: not JSON to BuildKit
    return value


def _go_string(value: str) -> str:
    # Go decodes a lone surrogate escape to U+FFFD.
    if any("\ud800" <= ch <= "\udfff" for ch in value):
        return "".join("\ufffd" if "\ud800" <= ch <= "\udfff" else ch for ch in value)
    return value


def parse_json(rest: str) -> list[str] | None:
    """parseJSON: the strings of a JSON array, or None when BuildKit falls back to text."""
    rest = rest.lstrip(GO_SPACE)
    if not rest.startswith("["):
        return None
    try:
        data = json.loads(
            rest,
            parse_constant=_reject_constant,
            parse_float=_finite_float,
            parse_int=_finite_float,  # Go decodes every number into a float64
        )
    except ValueError:
        return None
    except RecursionError:
        # Deeper than Python goes, but Go decodes arrays nested up to 10,000 levels: an array
        # inside the top-level array is then "not a string".
        if _depth(rest) <= _GO_MAX_DEPTH:
            raise NotStringArray from None
        return None
    if not isinstance(data, list):
        return None
    if not all(isinstance(item, str) for item in data):
        raise NotStringArray
    return [_go_string(item) for item in data]


_GO_MAX_DEPTH = 10_000


def _depth(text: str) -> int:
    depth = deepest = 0
    for ch in text:
        if ch == "[":
            depth += 1
            deepest = max(deepest, depth)
        elif ch == "]":
            depth -= 1
    return deepest


def healthcheck_parts(rest: str) -> tuple[str, str] | None:
    """parseHealthConfig's split of `rest` into the type word and the command text."""
    sep = 0
    raw = rest.encode("utf-8").decode("latin-1") if not rest.isascii() else rest
    while sep < len(raw) and not _is_byte_space(raw[sep]):
        sep += 1
    after = sep
    while after < len(raw) and _is_byte_space(raw[after]):
        after += 1
    if sep == 0:
        return None
    if raw is rest:
        return rest[:sep], rest[after:]
    return (
        raw[:sep].encode("latin-1").decode("utf-8", "surrogateescape"),
        raw[after:].encode("latin-1").decode("utf-8", "surrogateescape"),
    )


def name_values(rest: str, keyword: str, escape: str) -> list[tuple[str, str, str]]:
    """parseNameVal (ENV, LABEL): (key, value, separator) triples; errors as BuildKit's."""
    words = parse_words(rest, escape)
    if not words:
        return []
    if "=" not in words[0]:
        parts = SEPARATOR_RUN.split(rest, maxsplit=1)
        if len(parts) < 2:
            raise LineError(f"{keyword.upper()} must have two arguments")
        return [(parts[0], parts[1], "")]
    triples = []
    for word in words:
        if "=" not in word:
            raise LineError(
                f"Syntax error - can't find = in {go_quote(word)}. Must be of the form: name=value"
            )
        key, value = word.split("=", 1)
        triples.append((key, value, "="))
    return triples


def arguments(name: str, rest: str, escape: str) -> tuple[list[str], bool]:
    """The argument strings BuildKit's line parser makes for instruction `name`, and `json`.

    ONBUILD is handled by the caller (its argument is a nested instruction).
    """
    if name in MAYBE_JSON:
        if not rest:
            return [], False
        decoded = parse_json(rest)
        return ([rest], False) if decoded is None else (decoded, True)
    if name in MAYBE_JSON_LIST:
        decoded = parse_json(rest)
        if decoded is not None:
            return decoded, True
        return (SEPARATOR_RUN.split(rest) if rest else []), False
    if name in WHITESPACE_LISTS:
        return (SEPARATOR_RUN.split(rest) if rest else []), False
    if name in STRINGS:
        return ([rest] if rest else []), False
    if name in KEY_VALUES:
        return [part for triple in name_values(rest, name, escape) for part in triple], False
    if name == "arg":
        return parse_words(rest, escape), False
    if name == "healthcheck":
        parts = healthcheck_parts(rest)
        if parts is None:
            return [], False
        kind, command = parts
        values, is_json = arguments("cmd", command, escape)
        return [kind, *values], is_json
    return [""], False


# -- strconv.Quote ---------------------------------------------------------------------------

_GO_ESCAPES = {
    "\a": r"\a",
    "\b": r"\b",
    "\f": r"\f",
    "\n": r"\n",
    "\r": r"\r",
    "\t": r"\t",
    "\v": r"\v",
    "\\": "\\\\",
    '"': '\\"',
}


def _go_printable(ch: str) -> bool:
    # strconv.IsPrint: letters, marks, numbers, punctuation, symbols and the ASCII space.
    return ch == " " or unicodedata.category(ch)[0] in "LMNPS"


def go_quote(value: str) -> str:
    """Go's strconv.Quote. Lone surrogates stand for raw (invalid UTF-8) bytes."""
    if value.isascii() and value.isprintable() and '"' not in value and "\\" not in value:
        return f'"{value}"'
    out = ['"']
    for ch in value:
        code = ord(ch)
        if ch in _GO_ESCAPES:
            out.append(_GO_ESCAPES[ch])
        elif 0xDC80 <= code <= 0xDCFF:
            out.append(f"\\x{code - 0xDC00:02x}")
        elif _go_printable(ch):
            out.append(ch)
        elif code < 0x80:
            out.append(f"\\x{code:02x}")
        elif code < 0x10000:
            out.append(f"\\u{code:04x}")
        else:
            out.append(f"\\U{code:08x}")
    out.append('"')
    return "".join(out)
