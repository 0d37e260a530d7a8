"""Parsing a new version of a document from the tree of the previous one
(`parse(text, previous=tree)`, as the language server does) gives exactly the tree a fresh
parse gives, or the same error, while the items before the edit are reused as they are."""

from __future__ import annotations

import contextlib
import random
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from dockerfix.syntax import Dockerfile, Instruction, Node, ParseError, Token, parse
from tests.conftest import GEN_CORPUS, generated_corpus
from tests.strategies import dockerfiles

# What edits insert: characters and lines that change where items end.
PIECES = (
    "x",
    " ",
    "\n",
    "\r\n",
    "\\\n",
    "`\n",
    "\\",
    "#",
    "# c\n",
    '"',
    "[",
    "<<EOF\n",
    "EOF\n",
    "FROM a AS b\n",
    "RUN --mount=type=cache,target=/c x\n",
    "ONBUILD ",
    "# escape=`\n",
    "é",
    "😀",
    "\ufeff",
)


def _shape(node: Node | Token) -> object:
    """Everything a tree says about itself: types, positions, texts, the instruction fields."""
    if isinstance(node, Token):
        return tuple(node)
    fields: object = None
    if isinstance(node, Instruction):
        fields = (
            node.keyword,
            [_shape(flag) for flag in node.flags],
            _shape(node.arguments) if node.arguments else None,
            _shape(node.trigger) if node.trigger else None,
            [_shape(heredoc) for heredoc in node.heredocs],
        )
    escape = getattr(node, "escape", None)
    return (type(node).__name__, node.start, escape, [_shape(c) for c in node.children], fields)


def _parsed(text: str, previous: Dockerfile | None = None) -> object:
    try:
        tree = parse(text, previous=previous)
    except ParseError as error:
        return ("error", error.message, error.line, error.column)
    assert tree.text == text
    return _shape(tree)


def _assert_reparses(old: str, new: str) -> Dockerfile:
    previous = parse(old)
    assert _parsed(new, previous) == _parsed(new)
    return previous


@pytest.mark.parametrize(
    ("old", "new", "reused"),
    [
        # typing in an instruction: the items before it are reused
        ("FROM a\nRUN x\nRUN y\n", "FROM a\nRUN xz\nRUN y\n", 1),
        ("FROM a\nRUN x\nRUN y\n", "FROM a\nRUN x\nRUN yz\n", 2),
        # a continuation joins the next line: lexing goes on past the edited item
        ("FROM a\nRUN x\nRUN y\n", "FROM a\nRUN x \\\nRUN y\n", 1),
        ("FROM a\nRUN x \\\n  y\nRUN z\n", "FROM a\nRUN x \n  y\nRUN z\n", 1),
        # a heredoc opens, swallowing the lines up to its end, or closes
        ("FROM a\nRUN x\nRUN y\nEOF\n", "FROM a\nRUN <<EOF x\nRUN y\nEOF\n", 1),
        (
            "FROM a\nRUN <<EOF\nRUN y\nEOF\nRUN z\n",
            "FROM a\nRUN <<EOF\nEOF\nRUN y\nEOF\nRUN z\n",
            1,
        ),
        # text appended after a continuation at the end of the file continues it
        ("FROM a\nRUN x \\", "FROM a\nRUN x \\\n y", 1),
        ("FROM a\nRUN x", "FROM a\nRUN x\n", 1),
        # deleting lines, and an edit that does not move what follows
        ("FROM a\nRUN x\nRUN y\nRUN z\n", "FROM a\nRUN z\n", 1),
        ("FROM a\nRUN x\nRUN y\n", "FROM a\nRUN q\nRUN y\n", 1),
        # an edit that ends on the first character of an item: that item is lexed again
        ("FROM a\nRUN x\nRUN y\n", "FROM a\nRUN q\nSUN y\n", 1),
        # the parser directives (the escape character) change: parsed afresh
        ("# escape=\\\nFROM a\nRUN x `\n y\n", "# escape=`\nFROM a\nRUN x `\n y\n", 0),
        ("# syntax=a\nFROM a\n", "# syntax=a\n# escape=`\nFROM a\n", 0),
        ("\ufeffFROM a\nRUN x\n", "\ufeffFROM a\nRUN y\n", 2),
    ],
)
def test_reparse_is_a_fresh_parse(old: str, new: str, reused: int) -> None:
    previous = _assert_reparses(old, new)
    tree = parse(new, previous=previous)
    assert [a is b for a, b in zip(tree.children, previous.children, strict=False)][:reused] == [
        True
    ] * reused


@pytest.mark.parametrize(
    ("old", "new"),
    [
        ("FROM a\nRUN x\n", "FROM a\nRUN x\nCMD [\n"),  # BuildKit's JSON error
        ("FROM a\nRUN x\n", "FROM a\nRUN <<EOF\n"),  # unterminated heredoc
        ("FROM a\nRUN x\n", "FROM a\n# escape=`\n" + "x" * 70_000 + "\n"),  # line too long
        ("# c\nFROM a\n", "# c\n"),  # no instructions left
        ("\n\nFROM a\n", "\n\nFRO"),  # a word alone is an instruction
    ],
)
def test_reparse_fails_as_a_fresh_parse(old: str, new: str) -> None:
    _assert_reparses(old, new)


def test_unchanged_text_gives_the_previous_tree() -> None:
    previous = parse("FROM a\n")
    assert parse("FROM a\n", previous=previous) is previous


def test_a_tree_built_by_a_codemod_is_no_previous_tree() -> None:
    built = parse("FROM a\nRUN x\n").with_changes()
    assert _parsed("FROM a\nRUN y\n", built) == _parsed("FROM a\nRUN y\n")


def _edit(text: str, rng: random.Random) -> str:
    at = rng.randrange(len(text) + 1)
    removed = rng.choice((0, 0, 1, 2, 5, 40))
    return text[:at] + rng.choice(PIECES) + text[at + removed :]


def _assert_edits_reparse(text: str, rng: random.Random, edits: int) -> int:
    """Edit a document step by step, each version parsed from the previous one's tree."""
    compared = 0
    try:
        tree = parse(text)
    except ParseError:
        return 0
    for _ in range(edits):
        new = _edit(text, rng)
        assert _parsed(new, tree) == _parsed(new), (text, new)
        compared += 1
        # After a version that does not parse, the next edit starts from the last one that did.
        with contextlib.suppress(ParseError):
            tree, text = parse(new, previous=tree), new
    return compared


@pytest.mark.skipif(not GEN_CORPUS.is_file(), reason="the shared gen_corpus.py is missing")
def test_edited_corpus_files_reparse(tmp_path: Path) -> None:
    texts = [p.read_text() for p in generated_corpus(tmp_path, 80, 5)]
    rng = random.Random(5)
    assert sum(_assert_edits_reparse(text, rng, 12) for text in texts) == 80 * 12


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(dockerfiles(), st.randoms(use_true_random=False))
def test_edited_generated_files_reparse(text: str, rng: random.Random) -> None:
    _assert_edits_reparse(text, rng, 6)
