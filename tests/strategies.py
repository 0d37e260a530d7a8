"""Hypothesis strategies for Dockerfile-like text.

`dockerfiles()` draws files that look like Dockerfiles but go through every corner of the
syntax: all instructions in random case, flags (`--mount` with options and quoted values),
continuations with blanks after the escape character and comment or empty lines inside them,
heredocs (`<<EOF`, `<<-EOF`, quoted names, several per line, for RUN/COPY/ADD and ONBUILD RUN,
sometimes unterminated), JSON exec forms valid and not, parser directives (`# escape=`` ` ``
included), CRLF and mixed line endings, a BOM, tabs and odd whitespace, non-ASCII text, NULs
and junk lines. `junk_files()` draws lines of Dockerfile-ish characters with no structure.

Everything is built from lists of physical lines, so shrinking removes whole lines first. The
strategy factories are cached: building strategies is what makes generation slow.
"""

from __future__ import annotations

from functools import cache

from hypothesis import strategies as st

# The instructions BuildKit's parser dispatches on, and some it ignores.
INSTRUCTIONS = (
    "FROM",
    "RUN",
    "CMD",
    "ENTRYPOINT",
    "SHELL",
    "ADD",
    "COPY",
    "VOLUME",
    "EXPOSE",
    "MAINTAINER",
    "STOPSIGNAL",
    "USER",
    "WORKDIR",
    "ENV",
    "LABEL",
    "ARG",
    "HEALTHCHECK",
    "ONBUILD",
)
UNKNOWN_INSTRUCTIONS = ("FOO", "RUNN", "apt-get", "EOF", "--x", "[", "ÉTAPE")
# Blanks BuildKit treats differently: reWhitespace [\t\v\f\r ] separates the keyword; the
# others are only unicode.IsSpace (trimmed, but part of the keyword or of a word).
BLANKS = (" ", " ", " ", "  ", "\t", " \t", "\v", "\f", "\xa0", "\u3000", "\x85", "\u2028")
NON_ASCII = ("é", "à", "ą", "Å", "日本", "☃", "ß", "\U0001f600", "\u200b", "Ω")
LINE_ENDINGS = ("\n", "\r\n", "\r\r\n")
JUNK_ALPHABET = (
    "abcxyzRUNFOM019 \t-=#<>[]{}\"'$\\`.,:/@*!?%&|;()\r\v\f\xa0\x85éàą日☃\U0001f600\u2028"
)


def _cased(char: str, upper: bool) -> str:
    return char.upper() if upper else char.lower()


@cache
def any_case(word: str) -> st.SearchStrategy[str]:
    """`word` as written, upper, lower, capitalised, or with a random case per letter."""
    flips = st.lists(st.booleans(), min_size=len(word), max_size=len(word))
    mixed = flips.map(lambda upper: "".join(_cased(c, u) for c, u in zip(word, upper, strict=True)))
    return st.sampled_from([word, word.lower(), word.capitalize()]) | mixed


@cache
def blanks() -> st.SearchStrategy[str]:
    return st.sampled_from(BLANKS)


@cache
def _plain() -> st.SearchStrategy[str]:
    return st.text(alphabet="abcdefxyz0123456789_-./:@+,", min_size=1, max_size=8)


@cache
def word(escape: str = "\\") -> st.SearchStrategy[str]:
    """One shell-ish word: plain, quoted, escaped, a variable, non-ASCII, or a mix."""
    fragment = st.one_of(
        _plain(),
        _plain(),
        st.sampled_from(NON_ASCII),
        st.sampled_from(['"a b"', "'c d'", '"x\\"y"', '""', "''", '"unclosed', "'half"]),
        st.sampled_from([f"a{escape} b", f"{escape}$x", f"{escape}{escape}", f"{escape}n"]),
        st.sampled_from(["$HOME", "${A}", "${A:-b}", "${A:+x y}", "$$", "${", "${A:?e}"]),
        st.sampled_from(["=", "a=b", 'k="v w"', "k=", "=v", "--", "-", "&&", "|", ";"]),
        st.sampled_from(["<", "<<<", ">", "2>&1", "[", "]", "#", "\\", "`", "<<\\", "${A#b}"]),
    )
    return st.lists(fragment, min_size=1, max_size=3).map("".join)


@cache
def words(escape: str = "\\", max_size: int = 4) -> st.SearchStrategy[str]:
    return st.lists(st.tuples(word(escape), blanks()), max_size=max_size).map(
        lambda pairs: "".join(w + b for w, b in pairs).rstrip(" ")
    )


@cache
def json_array() -> st.SearchStrategy[str]:
    """Exec-form arguments: valid JSON arrays of strings, and near misses."""
    item = st.sampled_from(
        [
            '"sh"',
            '"-c"',
            '"echo hi"',
            '""',
            '"a\\"b"',
            '"\\u00e9"',
            '"\\u0000x"',
            '"\\ud800"',
            '"é"',
            '"tab\\there"',
            '"a\\\\b"',
            '"/bin/sh"',
            '"${X}"',
        ]
    )
    valid = st.lists(item, max_size=4).map(lambda items: "[" + ", ".join(items) + "]")
    spaced = st.lists(item, min_size=1, max_size=3).map(
        lambda items: "[ " + " ,".join(items) + " ]"
    )
    broken = st.sampled_from(
        [
            "['single', 'quotes']",
            '["unterminated"',
            '["a", 1]',
            '[["nested"]]',
            "[]",
            "[ ]",
            '["a",]',
            '["a"] trailing',
            '["a"]]',
            "[1.5e999]",
            "[true]",
            '["a" "b"]',
            '{"a": 1}',
            '["ctrl\x01"]',
            "[NaN]",
        ]
    )
    return st.one_of(valid, valid, spaced, broken)


@cache
def flag(escape: str = "\\") -> st.SearchStrategy[str]:
    """A leading `--flag` word, --mount options and quoted values included."""
    mount_option = st.sampled_from(
        [
            "type=cache",
            "type=bind",
            "type=secret",
            "target=/root/.cache",
            "id=pip",
            "source=.",
            "from=builder",
            "sharing=locked",
            "rw",
            "mode=0755",
            '"target=/a b"',
            "'id=x y'",
            '"type=cache,target=/x"',
            "dst=/é",
            f"target=/a{escape} b",
            "",
        ]
    )
    mount = st.lists(mount_option, min_size=1, max_size=4).map(
        lambda options: "--mount=" + ",".join(options)
    )
    simple = st.sampled_from(
        [
            "--from=builder",
            "--chown=1000:1000",
            "--chmod=755",
            "--link",
            "--platform=$BUILDPLATFORM",
            "--network=none",
            "--security=insecure",
            "--interval=30s",
            "--timeout=3s",
            '--chown="a b"',
            "--x=''",
            "--",
            "---",
            "--=",
            f"--x=a{escape} b",
            "--x=a\\b`c",
            '--x="unterminated',
            "--exclude=*.md",
            "--x=à",
            "--x=ą",
            "--é",
        ]
    )
    return st.one_of(mount, simple)


@cache
def flags(escape: str = "\\") -> st.SearchStrategy[str]:
    return st.lists(st.tuples(flag(escape), blanks()), max_size=3).map(
        lambda pairs: "".join(f + b for f, b in pairs)
    )


@cache
def arguments(name: str, escape: str) -> st.SearchStrategy[str]:
    """Argument text shaped for instruction `name` (upper case), often slightly wrong."""
    if name in {"RUN", "CMD", "ENTRYPOINT", "SHELL"}:
        return st.one_of(words(escape), json_array())
    if name in {"ADD", "COPY", "VOLUME"}:
        return st.one_of(words(escape), json_array())
    if name in {"ENV", "LABEL", "ARG"}:
        pair = st.tuples(_plain(), st.sampled_from(["=", "=", " ", ""]), word(escape)).map("".join)
        return st.lists(st.tuples(pair, blanks()), max_size=3).map(
            lambda pairs: "".join(p + b for p, b in pairs).rstrip(" ")
        )
    if name == "HEALTHCHECK":
        kind = st.sampled_from(["CMD", "NONE", "cmd", "CMD\x85", "CMDą", "X"])
        command = st.one_of(words(escape), json_array())
        return st.tuples(kind, blanks(), command).map("".join)
    if name == "FROM":
        image = st.sampled_from(["alpine", "golang:1.22", "${BASE}", "scratch", "é/x"])
        alias = st.sampled_from(["", " AS build", " as Build", " AS", " x y z"])
        return st.tuples(image, alias).map("".join)
    if name == "ONBUILD":
        return st.just("")  # the trigger is drawn by `instruction`
    return words(escape)


_CHANCE = st.integers(0, 9)
_INDENT = st.sampled_from(["", "", "", " ", "\t", "  \t"])
_CONTINUATION_INDENT = st.sampled_from(["", "", "  ", "\t"])
_AFTER_ESCAPE = st.sampled_from(["", "", " ", "  ", "\t", " \t "])
_INSIDE_CONTINUATION = st.lists(
    st.sampled_from(["# inside", "  # indented comment", "", "   ", "\t#"]), max_size=2
)
_KEYWORDS = st.sampled_from(INSTRUCTIONS) | st.sampled_from(UNKNOWN_INSTRUCTIONS)
_HEREDOC_KEYWORDS = st.sampled_from(["RUN", "COPY", "ADD", "ONBUILD RUN", "run", "Copy"])
_HEREDOC_FLAGS = st.sampled_from(["", "", "--mount=type=cache,target=/x ", "--chmod=755 "])
_HEREDOC_NAMES = st.lists(
    st.sampled_from(["EOF", "END", "eof", "E_2", "FILE", "x", "A B"]), min_size=1, max_size=3
)
_QUOTES = st.sampled_from(["", "", "'", '"'])
_DESCRIPTORS = st.sampled_from(["", "", "", "3"])
_TABS = st.sampled_from(["", "\t", "\t\t"])
_HEREDOC_BODY = st.sampled_from(
    [
        "",
        "echo hi",
        "set -eux",
        "#!/bin/sh",
        "# not a comment",
        "$HOME ${A:-b} `id`",
        "a \\",
        "\\",
        "  indented",
        "\tEOF",
        "EOF ",
        "EOF2",
        "é ☃ 日本",
        "x='1'; y=\"2\"",
        "RUN inside",
        "<<EOF",
    ]
)


@cache
def logical_line(escape: str, depth: int = 0) -> st.SearchStrategy[str]:
    """One instruction's logical line (continuations not yet inserted)."""

    @st.composite
    def draw_line(draw: st.DrawFn) -> str:
        name = draw(_KEYWORDS)
        keyword = draw(any_case(name))
        if draw(_CHANCE) == 0:
            return keyword  # no arguments at all
        parts = [keyword, draw(blanks())]
        if draw(_CHANCE) < 3:
            parts.append(draw(flags(escape)))
        if name == "ONBUILD" and depth < 2:
            parts.append(draw(logical_line(escape, depth + 1)))
        else:
            parts.append(draw(arguments(name.upper(), escape)))
        if draw(_CHANCE) < 2:
            parts.append(draw(blanks()))
        return "".join(parts)

    return draw_line()


def continued(draw: st.DrawFn, line: str, escape: str) -> list[str]:
    """Split `line` into physical lines joined by the escape character.

    Blanks may follow the escape character, and comment and empty lines may sit between the
    pieces; continuation lines keep (or gain) their indentation.
    """
    if not line or draw(_CHANCE) > 3:
        return [line]
    cuts = sorted(draw(st.sets(st.integers(0, len(line)), min_size=1, max_size=3)))
    pieces = [line[a:b] for a, b in zip([0, *cuts], [*cuts, len(line)], strict=True)]
    lines: list[str] = []
    for index, piece in enumerate(pieces):
        indent = draw(_CONTINUATION_INDENT) if index else ""
        if index < len(pieces) - 1:
            lines.append(indent + piece + escape + draw(_AFTER_ESCAPE))
            lines.extend(draw(_INSIDE_CONTINUATION))
        else:
            lines.append(indent + piece)
    # An escape character at the very end continues into whatever comes next (even EOF).
    if draw(_CHANCE) == 0:
        lines[-1] += escape
    return lines


@cache
def instruction(escape: str) -> st.SearchStrategy[list[str]]:
    """An instruction's physical lines."""

    @st.composite
    def draw_lines(draw: st.DrawFn) -> list[str]:
        return continued(draw, draw(_INDENT) + draw(logical_line(escape)), escape)

    return draw_lines()


@cache
def heredoc_instruction(escape: str) -> st.SearchStrategy[list[str]]:
    """RUN/COPY/ADD (or ONBUILD RUN) with one to three heredocs and their bodies."""
    body_lines = st.lists(_HEREDOC_BODY | word(escape), max_size=3)

    @st.composite
    def draw_lines(draw: st.DrawFn) -> list[str]:
        words_after: list[str] = []
        bodies: list[str] = []
        for name in draw(_HEREDOC_NAMES):
            chomp = draw(st.booleans())
            quote = draw(_QUOTES)
            marker = f"{draw(_DESCRIPTORS)}<<{'-' if chomp else ''}{quote}{name}{quote}"
            words_after.append(f"{marker} {draw(word(escape))}")
            body = draw(body_lines)
            if chomp:
                body = [draw(_TABS) + line for line in body]
            ending = draw(st.sampled_from([name] * 6 + ["\t" + name, name + " ", name.upper()]))
            bodies.extend(body if draw(_CHANCE) == 0 else [*body, ending])
        line = f"{draw(_HEREDOC_KEYWORDS)} {draw(_HEREDOC_FLAGS)}{' '.join(words_after)}"
        return continued(draw, line, escape) + bodies

    return draw_lines()


@cache
def directive() -> st.SearchStrategy[str]:
    return st.sampled_from(
        [
            "# syntax=docker/dockerfile:1",
            "# syntax = docker/dockerfile:1.7-labs",
            "#syntax=x",
            "# escape=`",
            "# escape=\\",
            "#ESCAPE = `",
            "# escape=x",
            "# check=skip=all",
            "# check=error=true",
            "#!/usr/bin/env docker",
            "# directive=unknown",
            "# escape=` ",
            "  # escape=`",
            "#\tsyntax=y",
            "#\vescape=`",
        ]
    )


@cache
def comment() -> st.SearchStrategy[str]:
    return st.sampled_from(["# a comment", "#", "   # indented", "#escape=`", "# RUN x \\"])


@cache
def junk_line() -> st.SearchStrategy[str]:
    return st.text(alphabet=JUNK_ALPHABET + "\0", max_size=24)


_ESCAPES = st.sampled_from(["\\", "\\", "`"])
_HEADERS = st.lists(directive(), max_size=2, unique=True)
_OTHER_LINES = st.one_of(comment(), st.sampled_from(["", "  ", "\t"]), junk_line()).map(
    lambda line: [line]
)
_ENDINGS = st.sampled_from(["lf", "lf", "lf", "crlf", "mixed"])


@cache
def _statements(escape: str) -> st.SearchStrategy[list[str]]:
    return st.one_of(instruction(escape), heredoc_instruction(escape))


@cache
def _blocks(escape: str) -> st.SearchStrategy[list[list[str]]]:
    statements = _statements(escape)
    return st.lists(st.one_of(statements, statements, _OTHER_LINES), max_size=6)


@st.composite
def dockerfiles(draw: st.DrawFn) -> str:
    """A Dockerfile-like text exercising the whole syntax (see the module docstring)."""
    escape = draw(_ESCAPES)
    header = draw(_HEADERS) if draw(st.booleans()) else []
    if escape == "`":
        header.insert(draw(st.integers(0, len(header))), "# escape=`")
    blocks = draw(_blocks(escape))
    blocks.insert(draw(st.integers(0, len(blocks))), draw(_statements(escape)))
    return joined(draw, header + [line for block in blocks for line in block])


@st.composite
def junk_files(draw: st.DrawFn) -> str:
    """Lines of Dockerfile-ish characters, with no structure at all."""
    return joined(draw, draw(st.lists(junk_line(), max_size=8)))


def joined(draw: st.DrawFn, lines: list[str]) -> str:
    """`lines` joined with LF, CRLF or mixed endings, maybe a BOM, maybe no final newline."""
    mode = draw(_ENDINGS)
    if mode == "mixed":
        endings = [draw(st.sampled_from(LINE_ENDINGS)) for _ in lines]
    else:
        endings = ["\n" if mode == "lf" else "\r\n"] * len(lines)
    if lines and draw(_CHANCE) < 2:
        endings[-1] = ""
    text = "".join(line + ending for line, ending in zip(lines, endings, strict=True))
    if draw(_CHANCE) == 0:
        text = "\ufeff" + text
    return text
