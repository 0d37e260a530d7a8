"""BuildKit's variable expansion (`shell.Lex.ProcessWordWithMatches`), ported exactly.

BuildKit expands `$VAR`, `${VAR}`, `${VAR:-word}`, `${VAR#pattern}`... and removes quotes and
escapes in the words of ENV, LABEL, ARG, FROM, COPY, EXPOSE... with one small lexer
(`BK:frontend/dockerfile/shell/lex.go`). `process_word` follows it character by character,
including its errors and quirks, and reports which variables were found (`matched`) and which
were not (`unmatched`): several build checks decide on exactly that (RedundantTargetPlatform,
FromPlatformFlagConstDisallowed, UndefinedArgInFrom...). `scan_word` is the same expansion for
the dispatch replay of `dockerfix.rules._buildkit`: variables in order of first use, what was
looked up before a syntax error, and `SkipProcessQuotes` (heredoc bodies).

Also here: the automatic platform ARGs BuildKit defines before the first FROM
(`BK:frontend/dockerfile/dockerfile2llb/platform.go` `defaultArgs`), for an offline build on a
linux/amd64 machine targeting its own platform.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterator, Mapping
from dataclasses import dataclass

from dockerfix.syntax import Dockerfile, Flag, Stage
from dockerfix.syntax.buildkit import GO_SPACE

# defaultArgs() for build platform = target platform = linux/amd64 and no --target.
AUTOMATIC_ARGS: dict[str, str] = {
    "BUILDPLATFORM": "linux/amd64",
    "BUILDOS": "linux",
    "BUILDOSVERSION": "",
    "BUILDARCH": "amd64",
    "BUILDVARIANT": "",
    "TARGETPLATFORM": "linux/amd64",
    "TARGETOS": "linux",
    "TARGETOSVERSION": "",
    "TARGETARCH": "amd64",
    "TARGETVARIANT": "",
    "TARGETSTAGE": "default",
}

_SPECIAL_PARAMS = frozenset("@*#?-$!0")
_HEREDOC_SPACE = frozenset("\t\r ")
# convertShellPatternToRegex: the regexp metacharacters it escapes.
_PATTERN_META = frozenset("[]{}.+()|^$")


class ExpansionError(ValueError):
    """BuildKit fails the instruction (bad substitution, unterminated quote...)."""


@dataclass(frozen=True)
class Expansion:
    """ProcessWordResult: the expanded word and the variables looked up, found or not."""

    result: str
    matched: frozenset[str]
    unmatched: frozenset[str]


@dataclass(frozen=True)
class Scan:
    """`process_word` that does not raise: the variables in order of first use, and the error.

    On an error, `result` is empty and the variables are those looked up before it (BuildKit
    reports them before failing).
    """

    result: str
    matched: tuple[str, ...]
    unmatched: tuple[str, ...]
    error: str | None = None


def process_word(word: str, env: Mapping[str, str], escape: str = "\\") -> Expansion:
    """`Lex.ProcessWordWithMatches(word, env)`; raises ExpansionError where BuildKit errors."""
    if _is_plain(word, escape):
        return Expansion(word, frozenset(), frozenset())
    lexer = _Lexer(word, env, escape)
    result = lexer.process_stop_on(None, raw_escapes=False)
    return Expansion(result, frozenset(lexer.matched), frozenset(lexer.unmatched))


def scan_word(
    word: str, env: Mapping[str, str], escape: str = "\\", *, skip_quotes: bool = False
) -> Scan:
    """`process_word`, keeping the order of the variables and what was seen before an error.

    `skip_quotes` is `Lex.SkipProcessQuotes`, used (with the `\\` escape) for heredoc bodies
    (`dispatch`, ExpandRaw): quotes are kept as they are.
    """
    if _is_plain(word, escape):
        return Scan(word, (), ())
    lexer = _Lexer(word, env, escape, skip_quotes)
    try:
        result = lexer.process_stop_on(None, raw_escapes=False)
    except ExpansionError as error:
        return Scan("", tuple(lexer.matched), tuple(lexer.unmatched), str(error))
    return Scan(result, tuple(lexer.matched), tuple(lexer.unmatched))


def process_words(word: str, env: Mapping[str, str], escape: str = "\\") -> list[str]:
    """`Lex.ProcessWords`: expand, then split on unquoted whitespace (EXPOSE, VOLUME...)."""
    lexer = _Lexer(word, env, escape)
    lexer.process_stop_on(None, raw_escapes=False)
    return lexer.words


def expand(word: str, env: Mapping[str, str], escape: str = "\\") -> str:
    """Just the expanded word (`Lex.ProcessWord`)."""
    return process_word(word, env, escape).result


def global_args(tree: Dockerfile, escape: str | None = None) -> dict[str, str] | None:
    """The ARGs a FROM line sees when no `--build-arg` is given (BuildKit's `buildMetaArgs`).

    The automatic platform ARGs, then each ARG before the first FROM with its default expanded
    against the ones before it; an ARG without a default adds nothing. None where BuildKit
    would fail expanding a default.
    """
    escape = tree.escape if escape is None else escape
    args = dict(AUTOMATIC_ARGS)
    if tree.stages and tree.stages[-1].name:
        args["TARGETSTAGE"] = tree.stages[-1].name
    for instruction in tree.global_args:
        if instruction.name != "ARG":
            continue
        for word in instruction.buildkit_arguments[0]:
            key, equals, value = word.partition("=")
            if not equals:
                continue
            try:
                args[key] = process_word(value, args, escape).result
            except ExpansionError:
                return None
    return args


@dataclass(frozen=True)
class PlatformFlag:
    """A stage's `FROM --platform=...` and its value expanded with the global ARGs."""

    stage: Stage
    flag: Flag
    expansion: Expansion
    args: Mapping[str, str]  # the global ARGs it was expanded with (`global_args`)


def platform_flags(tree: Dockerfile) -> Iterator[PlatformFlag]:
    """Each `FROM --platform` as BuildKit expands it when no `--build-arg` is given.

    Nothing when a global ARG default fails to expand; a flag whose value fails is skipped.
    """
    args = global_args(tree)
    if args is None:
        return
    for stage in tree.stages:
        flag = stage.from_instruction.flag("platform")
        if flag is None or flag.value is None:
            continue
        try:
            expansion = process_word(flag.value, args, tree.escape)
        except ExpansionError:
            continue
        yield PlatformFlag(stage, flag, expansion, args)


# What the lexer treats specially besides the escape character: without any of them a word
# expands to itself (most words: the check of a large file runs thousands).
_SPECIAL = re.compile("[$<'\"]")


def _is_plain(word: str, escape: str) -> bool:
    return escape not in word and _SPECIAL.search(word) is None


def _is_digit(ch: str) -> bool:
    return unicodedata.category(ch) == "Nd"


def _is_letter(ch: str) -> bool:
    return unicodedata.category(ch).startswith("L")


class _Lexer:
    def __init__(
        self, text: str, env: Mapping[str, str], escape: str, skip_quotes: bool = False
    ) -> None:
        self.text = text
        self.pos = 0
        self.env = env
        self.escape = escape
        self.skip_quotes = skip_quotes
        self.raw_escapes = False
        # dicts, not sets: the order of first use is kept (`scan_word`)
        self.matched: dict[str, None] = {}
        self.unmatched: dict[str, None] = {}
        # The words of the last processStopOn: Go shares one buffer between the nested calls
        # (`${X:-...}` resets it), which this keeps.
        self.buffer: list[str] = []
        self.words: list[str] = []

    def peek(self) -> str | None:
        return self.text[self.pos] if self.pos < len(self.text) else None

    def next(self) -> str | None:
        ch = self.peek()
        if ch is not None:
            self.pos += 1
        return ch

    def get_env(self, name: str) -> tuple[str, bool]:
        if name in self.env:
            self.matched.setdefault(name)
            return self.env[name], True
        self.unmatched.setdefault(name)
        return "", False

    def process_stop_on(self, stop: str | None, raw_escapes: bool) -> str:
        result: list[str] = []
        words = _Words(self.buffer)
        saved, self.raw_escapes = self.raw_escapes, raw_escapes
        try:
            while (ch := self.peek()) is not None:
                if stop is not None and ch == stop:
                    self.next()
                    self.words = words.finish()
                    return "".join(result)
                if ch == "$":
                    expanded = self.process_dollar()
                    words.add_string(expanded)
                    result.append(expanded)
                elif ch == "<" or (ch in "'\"" and not self.skip_quotes):
                    special = {
                        "<": self.process_possible_heredoc,
                        "'": self.process_single_quote,
                        '"': self.process_double_quote,
                    }[ch]()
                    words.add_raw(special)
                    result.append(special)
                else:
                    self.next()
                    if ch == self.escape:
                        if self.raw_escapes:
                            words.add_raw(ch)
                            result.append(ch)
                        escaped = self.next()
                        if escaped is None:
                            break
                        ch = escaped
                        words.add_raw(ch)
                    else:
                        words.add_char(ch)
                    result.append(ch)
            if stop is not None:
                raise ExpansionError(
                    f"unexpected end of statement while looking for matching {stop}"
                )
            self.words = words.finish()
            return "".join(result)
        finally:
            self.raw_escapes = saved

    def process_single_quote(self) -> str:
        self.next()
        result: list[str] = []
        while True:
            ch = self.next()
            if ch is None:
                raise ExpansionError(
                    "unexpected end of statement while looking for matching single-quote"
                )
            if ch == "'":
                return "".join(result)
            result.append(ch)

    def process_double_quote(self) -> str:
        self.next()
        result: list[str] = []
        while True:
            peeked = self.peek()
            if peeked is None:
                raise ExpansionError(
                    "unexpected end of statement while looking for matching double-quote"
                )
            if peeked == '"':
                self.next()
                return "".join(result)
            if peeked == "$":
                result.append(self.process_dollar())
                continue
            ch = self.next()
            assert ch is not None
            if ch == self.escape:
                if self.raw_escapes:
                    result.append(ch)
                following = self.peek()
                if following is None:
                    continue  # `\` at the end: the loop then fails on the missing quote
                if following in ('"', "$", self.escape):
                    ch = following
                    self.next()
            result.append(ch)

    def process_dollar(self) -> str:
        self.next()
        if self.peek() != "{":
            name = self.process_name()
            if not name:
                return "$"
            return self.get_env(name)[0]
        self.next()
        peeked = self.peek()
        if peeked is None:
            raise ExpansionError("syntax error: missing '}'")
        if peeked in "{}:":
            raise ExpansionError("syntax error: bad substitution")
        name = self.process_name()
        ch = self.next()
        modifier = ch or "\ufffd"
        null_is_unset = False
        if ch == "}":
            return self.get_env(name)[0]
        if ch == ":":
            null_is_unset = True
            ch = self.next()
            modifier += ch or "\ufffd"
        if ch == "/" and not null_is_unset:
            return self._replace(name)
        if null_is_unset or (ch is not None and ch in "+-?#%"):
            return self._modifier(name, ch, modifier, null_is_unset)
        raise ExpansionError(f"unsupported modifier ({modifier}) in substitution")

    def _modifier(self, name: str, ch: str | None, modifier: str, null_is_unset: bool) -> str:
        raw = ch in ("#", "%")
        if null_is_unset and raw:
            raise ExpansionError(f"unsupported modifier ({modifier}) in substitution")
        try:
            word = self.process_stop_on("}", raw)
        except ExpansionError:
            if self.peek() is None:
                raise ExpansionError("syntax error: missing '}'") from None
            raise
        value, is_set = self.get_env(name)
        if ch == "-":
            return word if not is_set or (null_is_unset and value == "") else value
        if ch == "+":
            return "" if not is_set or (null_is_unset and value == "") else word
        if ch == "?":
            if not is_set:
                raise ExpansionError(f"{name}: {word or 'is not allowed to be unset'}")
            if null_is_unset and value == "":
                raise ExpansionError(f"{name}: {word or 'is not allowed to be empty'}")
            return value
        if ch in ("%", "#"):
            assert ch is not None
            greedy = word.startswith(ch)
            if greedy:
                word = word[1:]
            if ch == "%":
                return _trim_suffix(word, value, greedy)
            return _trim_prefix(word, value, greedy)
        raise ExpansionError(f"unsupported modifier ({modifier}) in substitution")

    def _replace(self, name: str) -> str:
        replace_all = self.peek() == "/"
        if replace_all:
            self.next()
        try:
            pattern = self.process_stop_on("/", True)
        except ExpansionError:
            if self.peek() is None:
                raise ExpansionError("syntax error: missing '/' in ${}") from None
            raise
        try:
            replacement = self.process_stop_on("}", True)
        except ExpansionError:
            if self.peek() is None:
                raise ExpansionError("syntax error: missing '}'") from None
            raise
        value, _ = self.get_env(name)
        regex = _shell_pattern(pattern, greedy=True, anchored=False)
        if replace_all:
            return regex.sub(lambda _: replacement, value)
        match = regex.search(value)
        if match is None:
            return value
        return value[: match.start()] + replacement + value[match.end() :]

    def process_name(self) -> str:
        name: list[str] = []
        while (ch := self.peek()) is not None:
            if not name and _is_digit(ch):
                while (digit := self.peek()) is not None and _is_digit(digit):
                    name.append(digit)
                    self.next()
                return "".join(name)
            if not name and ch in _SPECIAL_PARAMS:
                self.next()
                return ch
            if not (_is_letter(ch) or _is_digit(ch) or ch == "_"):
                break
            name.append(ch)
            self.next()
        return "".join(name)

    def process_possible_heredoc(self) -> str:
        self.next()
        if self.peek() != "<":
            return "<"
        self.next()
        space: list[str] = []
        while (ch := self.peek()) is not None and ch in _HEREDOC_SPACE:
            space.append(ch)
            self.next()
        return "<<" + "".join(space)


class _Words:
    """Go's wordsStruct: whitespace splits words, quoted and escaped text does not."""

    def __init__(self, buffer: list[str]) -> None:
        buffer.clear()
        self.buffer = buffer
        self.words: list[str] = []
        self.in_word = False

    def add_char(self, ch: str) -> None:
        if ch in GO_SPACE:
            if self.in_word and self.buffer:
                self.words.append("".join(self.buffer))
                self.buffer.clear()
                self.in_word = False
        else:
            self.add_raw(ch)

    def add_string(self, text: str) -> None:
        for ch in text:
            self.add_char(ch)

    def add_raw(self, text: str) -> None:
        self.buffer.append(text)
        self.in_word = True

    def finish(self) -> list[str]:
        if self.buffer:
            self.words.append("".join(self.buffer))
            self.buffer.clear()
            self.in_word = False
        return self.words


def _shell_pattern(pattern: str, *, greedy: bool, anchored: bool) -> re.Pattern[str]:
    """convertShellPatternToRegex: `*`, `?` and `\\` escapes, no bracket expressions."""
    out = ["^"] if anchored else []
    star = ".*" if greedy else ".*?"
    i = 0
    while i < len(pattern):
        tok = pattern[i]
        i += 1
        if tok == "*":
            out.append(star)
            continue
        if tok == "?":
            out.append(".")
            continue
        if tok == "\\":
            following = pattern[i] if i < len(pattern) else None
            if following in ("}", "/"):
                continue
            if following not in ("*", "?", "\\"):
                raise ExpansionError(f"invalid pattern ({pattern}) in substitution")
            out.append("\\" + following)
            i += 1
            continue
        out.append("\\" + tok if tok in _PATTERN_META else tok)
    try:
        return re.compile("".join(out))
    except re.error as error:  # pragma: no cover - every piece above is a valid regexp
        raise ExpansionError(str(error)) from None


def _trim_prefix(pattern: str, value: str, greedy: bool) -> str:
    match = _shell_pattern(pattern, greedy=greedy, anchored=True).search(value)
    return value[match.end() :] if match else value


def _reverse_pattern(pattern: str) -> str:
    """Reverse a pattern, keeping `\\x` escapes in order (`a\\*c` -> `c\\*a`)."""
    out = [""] * len(pattern)
    last = len(pattern) - 1
    i = 0
    while i <= last:
        tok = pattern[i]
        at = last - i
        if tok == "\\" and i != last:
            out[at - 1] = tok
            out[at] = pattern[i + 1]
            i += 2
        else:
            out[at] = tok
            i += 1
    return "".join(out)


def _trim_suffix(pattern: str, value: str, greedy: bool) -> str:
    return _trim_prefix(_reverse_pattern(pattern), value[::-1], greedy)[::-1]
