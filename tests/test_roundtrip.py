"""Lossless by construction: the tree's text is the input, byte for byte, for every variant."""

from __future__ import annotations

import dataclasses

import dockerfile
import pytest

from dockerfix import ParseError, parse
from dockerfix.syntax import Node
from tests.conftest import SHARED, read_exact, shared_dockerfiles

FILES = shared_dockerfiles()
NEGATIVE = "testfiles-negative"


def _variants(text: str) -> dict[str, str]:
    lf = text.replace("\r\n", "\n")
    return {
        "as-is": text,
        "crlf": lf.replace("\n", "\r\n"),
        "bom": "\ufeff" + text,
        "trailing-spaces": lf.replace("\n", "  \n"),
        "tabs": lf.replace("\n", "\t\n"),
        "no-final-newline": lf.rstrip("\n"),
        "mixed-endings": "".join(
            line + ("\r\n" if i % 2 else "\n") for i, line in enumerate(lf.split("\n"))
        ),
    }


@pytest.mark.parametrize(
    "path", [p for p in FILES if NEGATIVE not in p.parts], ids=lambda p: str(p.relative_to(SHARED))
)
def test_round_trip(path) -> None:  # type: ignore[no-untyped-def]
    for name, text in _variants(read_exact(path)).items():
        try:
            tree = parse(text)
        except ParseError:
            # Trailing blanks after a heredoc terminator unterminate it, for BuildKit too.
            with pytest.raises(dockerfile.GoParseError):
                dockerfile.parse_string(text)
            continue
        assert tree.text == text, name


def test_crlf_reads_like_lf() -> None:
    for path in FILES:
        if NEGATIVE in path.parts:
            continue
        lf = read_exact(path)
        crlf = lf.replace("\n", "\r\n")
        assert parse(crlf).to_buildkit_dump() == parse(lf).to_buildkit_dump(), path


def _fields(node: Node) -> dict[str, object]:
    """The node's fields as set on it (not the class's defaults)."""
    return {field.name: vars(node)[field.name] for field in dataclasses.fields(node)}


@pytest.mark.parametrize(
    "path", [p for p in FILES if NEGATIVE not in p.parts], ids=lambda p: str(p.relative_to(SHARED))
)
def test_parsed_nodes_are_what_their_constructors_make(path) -> None:  # type: ignore[no-untyped-def]
    """The parser's builders make nodes without calling their constructors, and give each
    instruction its parts from the grammar: every field is what the constructor makes of the
    same children (an instruction's keyword, flags, arguments, trigger and heredocs too)."""
    for text in _variants(read_exact(path)).values():
        try:
            tree = parse(text)
        except ParseError:
            continue
        for node in tree.descendants():
            fields = _fields(node)
            init = {f.name: fields[f.name] for f in dataclasses.fields(node) if f.init}
            assert fields == _fields(type(node)(**init)), node
