"""Differential tests: dockerfix reads Dockerfiles exactly as BuildKit's own parser does.

The oracle is BuildKit v0.12.5's Go parser (PyPI `dockerfile`); `tests/buildkit_oracle.py`
holds the adapter from dockerfix's tree to the oracle's `Command` shape and the legitimate
v0.12.5-vs-HEAD differences. Every input must either parse on both sides with the same
instructions (keyword, ONBUILD trigger, JSON form, flags, values, lines, heredocs), or be
rejected by both with dockerfix blaming a line BuildKit's error can be on. On every input,
dockerfix raises nothing but ParseError and its tree's text is the input.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import HealthCheck, event, given, settings

from dockerfix import ParseError, parse
from tests.buildkit_oracle import Kind, Verdict, compare
from tests.conftest import SHARED, read_exact, shared_dockerfiles
from tests.strategies import dockerfiles, junk_files

# The whole file runs in about half a minute on two cores.
EXPLORE = settings(
    max_examples=400,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)


def assert_agrees(text: str) -> Verdict:
    """The differential property: agreement (or a joint rejection), and a lossless tree."""
    verdict = compare(text)
    if verdict.tree is not None:
        assert verdict.tree.text == text, "the tree's text is not the input"
    if not verdict.ok:
        pytest.fail(verdict.reason)
    return verdict


# -- the shared corpus ------------------------------------------------------------------------


@pytest.mark.parametrize("path", shared_dockerfiles(), ids=lambda p: str(p.relative_to(SHARED)))
def test_shared_dockerfile(path: Path) -> None:
    verdict = assert_agrees(read_exact(path))
    expected: Kind = "both-reject" if "testfiles-negative" in path.parts else "agree"
    assert verdict.kind == expected, verdict.reason


# -- generated text ---------------------------------------------------------------------------


@EXPLORE
@given(dockerfiles())
def test_generated_dockerfile(text: str) -> None:
    event(assert_agrees(text).kind)


@EXPLORE
@given(junk_files())
def test_generated_junk(text: str) -> None:
    event(assert_agrees(text).kind)


# -- crafted inputs -----------------------------------------------------------------------------

AGREEMENT = {
    "keywords in any case": "from alpine\nRun echo\ncOPY a b\n",
    "unknown keyword": "FROM a\nBOGUS whatever you like\n",
    "every instruction": (
        "ARG BASE=alpine\nFROM ${BASE} AS build\nMAINTAINER me\nRUN echo hi\nCMD echo\n"
        'ENTRYPOINT ["/bin/sh", "-c"]\nSHELL ["bash", "-c"]\nADD a b\nCOPY a b\nVOLUME /v\n'
        'EXPOSE 80/tcp 443\nSTOPSIGNAL SIGTERM\nUSER 1000\nWORKDIR /src\nENV a=b c="d e"\n'
        'LABEL x="y z"\nHEALTHCHECK --interval=5s CMD curl -f localhost\nONBUILD RUN make\n'
    ),
    "legacy ENV and LABEL": "ENV a b c\nLABEL k v w\n",
    "ARG forms": "ARG a\nARG b=c\nARG 'd e'=f g\n",
    "HEALTHCHECK forms": 'HEALTHCHECK NONE\nHEALTHCHECK CMD ["a", "b"]\nHEALTHCHECK\n',
    "empty ONBUILD": "ONBUILD\nONBUILD   \n",
    "ONBUILD flags are its own": "ONBUILD --x=1 RUN --mount=type=cache,target=/a make\n",
    "ONBUILD ONBUILD": "ONBUILD ONBUILD RUN x\n",
    "mount flags with quotes": (
        'RUN --mount=type=cache,target=/root/.cache,id="a b" --mount="type=bind,source=." '
        "pip install .\n"
    ),
    "flag escapes": "COPY --chown=\"a b\" --x=a\\ b --y='q' src dst\n",
    "end of flags": "RUN --a -- --b c\nRUN --\n",
    "flag split by a continuation": "RUN --mou\\\nnt=type=cache,target=/x echo\n",
    "continuation with trailing blanks": "RUN echo a \\  \t\n  b\n",
    "comments and empty lines in a continuation": "RUN a \\\n# c\n\n  \t\n  # d\n  b\n",
    "continuation at EOF": "FROM a\nRUN something \\",
    "escaped escape is no continuation": "RUN echo \\\\\nRUN b\n",
    "lone escape line": "\\\nFROM a\n",
    "blank logical line": "FROM a\n \\\n",
    "JSON exec form": 'CMD ["a", "b \\"c\\"", "\\u00e9"]\nRUN []\nVOLUME ["/a", "/b"]\n',
    "invalid JSON is the shell form": 'CMD [\'a\']\nRUN ["a"\nCOPY ["a" "b"] c\nRUN [NaN]\n',
    "JSON NUL": 'RUN ["a\\u0000b"]\n',
    "JSON lone surrogate": 'RUN ["\\ud800"]\n',
    "NUL in a line": "RUN echo a\0b\nFROM x\n",
    "heredoc": "RUN <<EOF\necho hi\nEOF\n",
    "heredoc with chomp": "RUN <<-EOF\n\techo hi\n\tEOF\n",
    "quoted heredoc names": "RUN <<'EOF' <<\"E2\"\n$a\nEOF\n$b\nE2\n",
    "several heredocs per line": "COPY <<A <<-B /dst\na\nA\n\tb\n\tB\n",
    "heredoc with descriptor": "RUN 3<<EOF cat /dev/fd/3\nx\nEOF\n",
    "heredoc ADD": "ADD <<EOF /a\nx\nEOF\n",
    "heredoc after a continuation": "RUN cat \\\n <<EOF\nx\nEOF\n",
    "ONBUILD heredoc is consumed": "ONBUILD RUN <<EOF\nx\nEOF\nFROM a\n",
    "heredoc lines are not comments": "RUN <<EOF\n# not a comment\n\\\nEOF\n",
    "no heredoc in JSON": 'RUN ["<<EOF"]\nEOF\n',
    "no heredoc for USER": "USER <<INVALID\nINVALID\n",
    "directives": "# syntax=docker/dockerfile:1\n# escape=`\nRUN a `\n  b\n",
    "directive after a comment is a comment": "# x\n# escape=`\nRUN a `\nRUN b\n",
    "escape directive with blanks": "#  ESCAPE = ` \nRUN a `\n b\n",
    "backtick escape and backslashes": "# escape=`\nRUN dir C:\\ \nCOPY a\\b c\n",
    "CRLF": "FROM a\r\nRUN b \\\r\n  c\r\n",
    "mixed endings": "FROM a\nRUN b \\\r\n  c\r\r\nRUN <<EOF\r\nx\nEOF\r\n",
    "CR inside a line": "RUN a\rb\n",
    "BOM": "\ufeffFROM a\n",
    "BOM and directive": "\ufeff# escape=`\nRUN a `\n b\n",
    "tabs and odd blanks": "\tFROM\ta\nRUN\va\fb\nRUN\xa0x\n\u3000RUN y\n",
    "non-ASCII": "FROM é\nRUN echo 日本 ☃ 😀\nLABEL clé=valeur\n",
    "non-ASCII flag": "RUN --x=é y\n",
    "odd HEALTHCHECK blanks": "HEALTHCHECK CMD\u0105x\n",
    "empty keyword line": "\\\n\n",
    "empty keyword line continued by blanks": "\\\n \\",
    "empty keyword line of blanks between instructions": "FROM a\n \\\n\t\\\n\nRUN x\n",
    "end of flags cut by a continuation": "RUN -\\\n- x\nONBUILD RUN --a -\\\n- b\n",
    "ONBUILD ONBUILD without a trigger": "ONBUILD ONBUILD\n",
}

# Terse corner cases, each checked against the oracle like the named ones above.
EDGE_CASES = [
    "RUN a \\\r \nb\n",
    "RUN a \\ \r\nb\n",
    "RUN a\\\r\r\nb\n",
    'RUN "<<EOF"\nEOF\n',
    "RUN a<<EOF\nEOF\n",
    "RUN <<EOF>file\nx\nEOF>file\n",
    "RUN <<\\EOF\nx\nEOF\n",
    'RUN <<E"O"F\nx\nEOF\n',
    "RUN <<$X\nx\n$X\n",
    "RUN <<EOF <<EOF\na\nEOF\nb\nEOF\n",
    "RUN <<EOF\r\nx\r\nEOF\r\n",
    "RUN <<EOF\nx\nEOF",
    "RUN <<EOF\nx\nEOF \n",
    'ONBUILD COPY ["<<EOF", "/x"]\nEOF\n',
    "RUN 0<<EOF\nx\nEOF\n",
    "RUN cat <<EOF | sh\necho\nEOF\n",
    "# escape=`\nRUN <<EOF `\n x\ny\nEOF\n",
    "RUN <<E\\\nOF\nx\nEOF\n",
    "RUN <<EOF \\\n# c\n  arg\nx\nEOF\n",
    'RUN \xa0["a"]\n',
    'RUN ["a"] \x85\n',
    'CMD \u2028["a"]\n',
    "ENV a=b\\\n",
    'ENV "a b"=c\n',
    'ENV a="b\\"c"\n',
    "ENV a\xa0b c\n",
    'LABEL a="b c" d=\'e\u3000f\' "g"h=i\n',
    'ENV a="b c\n',
    "ENV a='b \"c' d=\"'\"\n",
    'LABEL a="x"\xa0b=y\x1cz\n',
    'ARG a="b\n',
    "ARG\nENV\nLABEL\n",
    "HEALTHCHECK\xa0CMD x\n",
    "HEALTHCHECK CMD\u2028x\n",
    "HEALTHCHECK CMD []\n",
    "FROM a\u3000AS b\n",
    "EXPOSE 1\v2\n",
    "EXPOSE 1\x852\n",
    "RUN ---\n",
    'RUN --a="b\\"c" d\n',
    'RUN --a="b\\',
    'RUN --"a b" c\n',
    "RUN --'' c\n",
    "RUN -- --\n",
    "ONBUILD\xa0RUN x\n",
    "ONBUILD --a --\n",
    "ONBUILD -- RUN x\n",
    "# escape=``\nRUN a\n",
    "# escape= `\nRUN a `\nb\n",
    "\ufeff\ufeffRUN a\n",
    "RUN a\n\ufeffRUN b\n",
    "\ufeff  # escape=`\nRUN a`\nb\n",
    "#\n# escape=`\nRUN a`\nb\n",
    "\n# escape=`\nRUN a`\nb\n",
    "# SYNTAX=a\n# syntax=b\nRUN x\n",
    "#escape\t=\t`\t\nRUN a`\nb\n",
    "# escape=`\n\\\nRUN x\n",
    "RUN a \\\\\\\nb\n",
    "\\",
    " \\ \n",
    "\\\n\\\nRUN\n",
    "RUN x \\\n  \n\n",
    "RUN x \\\n#c",
    "\fRUN x\n",
    "\x85RUN x\n",
    "R\x85UN x\n",
    'RUN ["\\/"]\n',
    'RUN ["\\x41"]\n',
    'RUN ["a"]]\n',
    'RUN ["\\uD83D\\uDE00"]\n',
    'RUN ["\\uDE00\\uD83D"]\n',
    'RUN ["a"\n]\n',
    "RUN []x\n",
    "RUN [1e309]\n",
    "RUN [01]\n",
    'RUN ["a\\u0000", "\\u0000b"]\n',
    'VOLUME ["/a"] /b\n',
    "WORKDIR \\\n",
]

REJECTED = {
    "no instructions": ("# only a comment\n\n", 1),
    "empty": ("", 1),
    "ENV without value": ("FROM a\nENV x\n", 2),
    "ENV pair without =": ("FROM a\nENV a=b c\n", 2),
    "LABEL without value": ("LABEL x\n", 1),
    "JSON of non-strings": ("FROM a\nRUN [1]\n", 2),
    "unterminated heredoc": ("FROM a\nRUN <<EOF\nx\n", 2),
    "second heredoc unterminated": ("RUN <<A <<B\nA\nx\n", 1),
    "duplicate escape directive": ("# escape=`\n# escape=\\\nRUN x\n", 2),
    "invalid escape": ("# escape=x\nRUN x\n", 1),
    "ENV error after a continuation": ("ENV a=b \\\n c\n", 1),
    "long line": ("FROM a\nRUN " + "a" * 65536 + "\n", 2),
}

# Inputs where dockerfix and BuildKit disagree because dockerfix is wrong. Each is a minimal
# repro; they fail until the parser is fixed (each has its diagnosis beside it).
DIVERGENCES = {
    # dockerfix/syntax/buildkit.py extract_flags cuts the flag at a character index, but
    # BuildKit (split_command.go extractBuilderFlags) ends the word at the *byte* 0x85 inside
    # "ą" (C4 85) and keeps the lead byte as "Ä": BuildKit's flag is "--x=Ä".
    "flag ends inside a character": "RUN --x=ą y\n",
    "flag ends inside a character (à)": "COPY --chown=à b c\n",
    "flag ends at a no-break space": "RUN --x\xa0y z\n",
    "flag is only its lead byte": "RUN --\xa0x\n",
    "flag ends at a next-line character": "RUN --x\x85 y\n",
    # heredocs.py _single_quote/_double_quote consume the opening quote only when raw_quotes:
    # the unquoted heredoc name loses its blanks, so BuildKit's heredoc "A B" is not found.
    "heredoc name with a blank": 'RUN <<"A B"\nx\nA B\n',
    "heredoc name with a tab": "COPY <<'\tE' x\n\tE\n",
    # Go decodes JSON numbers as float64: an integer over 1.8e308 fails to decode, so the
    # line is the shell form; dockerfix decodes a Python int and raises NotStringArray.
    "JSON integer overflow": "RUN [1" + "0" * 309 + "]\n",
    # BuildKit reads a heredoc's descriptor with strconv.ParseUint(digits, 10, 0), which
    # saturates at 2**64-1 (the binding shows it as the C long -1); dockerfix keeps int(digits).
    "huge heredoc descriptor": "RUN 99999999999999999999999<<EOF\nx\nEOF\n",
    # Go's JSON decoder nests to depth 10000; Python's stops near 1000 (RecursionError), so
    # dockerfix takes the shell form where BuildKit finds non-strings and rejects the file.
    "deeply nested JSON": "RUN " + "[" * 1500 + "]" * 1500 + "\n",
}

# Texts BuildKit v0.12.5 and HEAD read differently: compare() must recognise them.
VERSION_DIFFERENCES = {
    "JSON then data": ('RUN ["a"] junk\n', "agree"),
    "JSON of non-strings then data": ("RUN [1] junk\n", "version"),
    "JSON then a heredoc": ('RUN ["a"] <<EOF\nx\nEOF\n', "version"),
    "ONBUILD JSON then data": ('ONBUILD RUN ["a"] x\n', "agree"),
    "ONBUILD JSON then a heredoc": ('ONBUILD RUN ["a"] x <<EOF\nb\nEOF\n', "version"),
    "spaced heredoc": ("RUN << EOF\nx\nEOF\n", "version"),
    "${v#p} on a heredoc line": ("RUN echo ${A#b} <<EOF\nx\nEOF\n", "version"),
    "${v:+w} in a heredoc word": ("RUN <<${A:+x y}\n", "version"),
    "check directive before escape": ("# check=skip=all\n# escape=`\nRUN a `\n b\n", "version"),
    "duplicate check directive": ("# check=a\n# check=b\nRUN x\n", "version"),
    "vertical tab in a directive": ("#\vescape=`\nRUN a `\n b\n", "version"),
    "backslash in a flag under backtick escape": ("# escape=`\nRUN --x=a\\ b y\n", "version"),
    "backtick in a flag": ("# escape=`\nONBUILD --x=a` b FROM c\n", "version"),
}


@pytest.mark.parametrize("text", AGREEMENT.values(), ids=AGREEMENT.keys())
def test_crafted_input(text: str) -> None:
    assert_agrees(text)


@pytest.mark.parametrize("text", EDGE_CASES)
def test_edge_case(text: str) -> None:
    assert_agrees(text)


@pytest.mark.parametrize(("text", "line"), REJECTED.values(), ids=REJECTED.keys())
def test_rejected_input(text: str, line: int) -> None:
    verdict = assert_agrees(text)
    assert verdict.kind == "both-reject"
    with pytest.raises(ParseError) as raised:
        parse(text)
    assert raised.value.line == line


@pytest.mark.parametrize("text", DIVERGENCES.values(), ids=DIVERGENCES.keys())
def test_known_divergence(text: str) -> None:
    assert_agrees(text)


@pytest.mark.parametrize(("text", "kind"), VERSION_DIFFERENCES.values(), ids=VERSION_DIFFERENCES)
def test_version_difference(text: str, kind: Kind) -> None:
    verdict = compare(text)
    assert verdict.kind == kind, verdict.reason
