"""Hypothesis strategies for Dockerfile-like text.

`dockerfiles()` draws files that look like Dockerfiles but go through every corner of the
syntax: all instructions in random case, flags (`--mount` with options and quoted values),
continuations with blanks after the escape character and comment or empty lines inside them,
heredocs (`<<EOF`, `<<-EOF`, quoted names, several per line, for RUN/COPY/ADD and ONBUILD RUN,
sometimes unterminated), JSON exec forms valid and not, parser directives (`# escape=`` ` ``
included), CRLF and mixed line endings, a BOM, tabs and odd whitespace, non-ASCII text, NULs
and junk lines. `junk_files()` draws lines of Dockerfile-ish characters with no structure.

Everything is built from lists of physical lines, so shrinking removes whole lines first.
"""

from __future__ import annotations

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


def any_case(word: str) -> st.SearchStrategy[str]:
    """`word` as written, upper, lower, capitalised, or with a random case per letter."""
    mixed = st.lists(st.booleans(), min_size=len(word), max_size=len(word)).map(
        lambda flips: "".join(c.upper() if f else c.lower() for c, f in zip(word, flips))
    )
    return st.sampled_from([word, word.lower(), word.capitalize()]) | mixed


def blanks() -> st.SearchStrategy[str]:
    return st.sampled_from(BLANKS)


def _plain() -> st.SearchStrategy[str]:
    return st.text(alphabet="abcdefxyz0123456789_-./:@+,", min_size=1, max_size=8)


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


def words(escape: str = "\\", max_size: int = 5) -> st.SearchStrategy[str]:
    return st.lists(st.tuples(word(escape), blanks()), max_size=max_size).map(
        lambda pairs: "".join(w + b for w, b in pairs).rstrip(" ")
    )


def json_array() -> st.SearchStrategy[str]:
    """Exec-form arguments: valid JSON arrays of strings, and near misses."""
    item = st.sampled_from(
        ['"sh"', '"-c"', '"echo hi"', '""', '"a\\"b"', '"\\u00e9"', '"\\u0000x"', '"\\ud800"']
        + ['"é"', '"tab\\there"', '"a\\\\b"', '"/bin/sh"', '"${X}"']
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


def flags(escape: str = "\\") -> st.SearchStrategy[str]:
    return st.lists(st.tuples(flag(escape), blanks()), max_size=3).map(
        lambda pairs: "".join(f + b for f, b in pairs)
    )


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


@st.composite
def logical_line(draw: st.DrawFn, escape: str, depth: int = 0) -> str:
    """One instruction's logical line (continuations not yet inserted)."""
    name = draw(st.sampled_from(INSTRUCTIONS) | st.sampled_from(UNKNOWN_INSTRUCTIONS))
    keyword = draw(any_case(name))
    parts = [keyword]
    if draw(st.integers(0, 9)) == 0:
        return keyword  # no arguments at all
    parts.append(draw(blanks()))
    parts.append(draw(flags(escape)) if draw(st.integers(0, 2)) == 0 else "")
    if name == "ONBUILD" and depth < 2:
        parts.append(draw(logical_line(escape, depth + 1)))
    else:
        parts.append(draw(arguments(name.upper(), escape)))
    if draw(st.integers(0, 4)) == 0:
        parts.append(draw(blanks()))
    return "".join(parts)


@st.composite
def continued(draw: st.DrawFn, line: str, escape: str) -> list[str]:
    """Split `line` into physical lines joined by the escape character.

    Blanks may follow the escape character, and comment and empty lines may sit between the
    pieces; continuation lines keep (or gain) their indentation.
    """
    if not line or draw(st.integers(0, 2)) != 0:
        return [line]
    cuts = sorted(draw(st.sets(st.integers(0, len(line)), min_size=1, max_size=3)))
    pieces = [line[a:b] for a, b in zip([0, *cuts], [*cuts, len(line)])]
    lines: list[str] = []
    for index, piece in enumerate(pieces):
        if index:
            piece = draw(st.sampled_from(["", "", "  ", "\t"])) + piece
        if index < len(pieces) - 1:
            trailing = draw(st.sampled_from(["", "", " ", "  ", "\t", " \t "]))
            lines.append(piece + escape + trailing)
            lines.extend(
                draw(
                    st.lists(
                        st.sampled_from(["# inside", "  # indented comment", "", "   ", "\t#"]),
                        max_size=2,
                    )
                )
            )
        else:
            lines.append(piece)
    # An escape character at the very end continues into whatever comes next (even EOF).
    if draw(st.integers(0, 9)) == 0:
        lines[-1] += escape
    return lines


@st.composite
def instruction(draw: st.DrawFn, escape: str) -> list[str]:
    indent = draw(st.sampled_from(["", "", "", " ", "\t", "  \t"]))
    return draw(continued(indent + draw(logical_line(escape)), escape))


@st.composite
def heredoc_instruction(draw: st.DrawFn, escape: str) -> list[str]:
    """RUN/COPY/ADD (or ONBUILD RUN) with one to three heredocs and their bodies."""
    keyword = draw(st.sampled_from(["RUN", "COPY", "ADD", "ONBUILD RUN", "run", "Copy"]))
    prefix = draw(st.sampled_from(["", "", "--mount=type=cache,target=/x ", "--chmod=755 "]))
    names = draw(st.lists(st.sampled_from(["EOF", "END", "eof", "E_2", "FILE", "x"]), max_size=3))
    if not names:
        names = ["EOF"]
    markers, bodies = [], []
    for name in names:
        chomp = draw(st.booleans())
        quote = draw(st.sampled_from(["", "", "'", '"']))
        descriptor = draw(st.sampled_from(["", "", "", "3"]))
        markers.append(f"{descriptor}<<{'-' if chomp else ''}{quote}{name}{quote}")
        body = draw(
            st.lists(
                st.one_of(words(escape), st.sampled_from(["", "EOF ", "\tEOF", "#!/bin/sh"])),
                max_size=3,
            )
        )
        if chomp:
            body = [draw(st.sampled_from(["", "\t", "\t\t"])) + b for b in body]
        ending = draw(st.sampled_from([name] * 6 + ["\t" + name, name + " ", name.upper(), None]))
        bodies.append([*body, *([] if ending is None else [ending])])
    fillers = draw(st.lists(word(escape), min_size=len(markers), max_size=len(markers)))
    line = keyword + " " + prefix + " ".join(f"{m} {f}" for m, f in zip(markers, fillers))
    lines = draw(continued(line, escape))
    for body in bodies:
        lines.extend(body)
    return lines


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


def comment() -> st.SearchStrategy[str]:
    return st.sampled_from(["# a comment", "#", "   # indented", "#escape=`", "# RUN x \\"])


def junk_line() -> st.SearchStrategy[str]:
    return st.text(alphabet=JUNK_ALPHABET + "\0", max_size=24)


@st.composite
def dockerfiles(draw: st.DrawFn) -> str:
    """A Dockerfile-like text exercising the whole syntax (see the module docstring)."""
    escape = draw(st.sampled_from(["\\", "\\", "`"]))
    header = draw(st.lists(directive(), max_size=2, unique=True)) if draw(st.booleans()) else []
    if escape == "`":
        header.insert(draw(st.integers(0, len(header))), "# escape=`")
    statements = st.one_of(instruction(escape), heredoc_instruction(escape))
    others = st.one_of(
        comment().map(lambda line: [line]),
        st.sampled_from(["", "  ", "\t"]).map(lambda line: [line]),
        junk_line().map(lambda line: [line]),
    )
    blocks = draw(st.lists(st.one_of(statements, statements, others), max_size=7))
    blocks.insert(draw(st.integers(0, len(blocks))), draw(statements))
    lines = header + [line for block in blocks for line in block]
    return draw(joined(lines))


@st.composite
def junk_files(draw: st.DrawFn) -> str:
    """Lines of Dockerfile-ish characters, with no structure at all."""
    lines = draw(st.lists(junk_line(), max_size=8))
    return draw(joined(lines))


@st.composite
def joined(draw: st.DrawFn, lines: list[str]) -> str:
    """`lines` joined with LF, CRLF or mixed endings, maybe a BOM, maybe no final newline."""
    mode = draw(st.sampled_from(["lf", "lf", "lf", "crlf", "mixed"]))
    if mode == "mixed":
        endings = draw(
            st.lists(st.sampled_from(LINE_ENDINGS), min_size=len(lines), max_size=len(lines))
        )
    else:
        endings = ["\n" if mode == "lf" else "\r\n"] * len(lines)
    if lines and draw(st.integers(0, 4)) == 0:
        endings[-1] = ""
    text = "".join(line + ending for line, ending in zip(lines, endings))
    if draw(st.integers(0, 9)) == 0:
        text = "\ufeff" + text
    return text
