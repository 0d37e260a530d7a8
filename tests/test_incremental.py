"""Checking a document again after an edit (`check_tree(..., memo=)`, as the language server
does) finds exactly what a fresh check finds, while groups of stages whose text did not
change are not checked again."""

from __future__ import annotations

import random
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from dockerfix.config import Config
from dockerfix.diagnostics import Diagnostic
from dockerfix.engine import Memo, check_tree
from dockerfix.rules.base import Rule
from dockerfix.semantics import Model
from dockerfix.syntax import Dockerfile, ParseError, parse
from tests.conftest import GEN_CORPUS, generated_corpus
from tests.strategies import dockerfiles

EVERY_RULE = Config(select=("ALL",))

# What edits insert: characters, whole lines that add stages, links, managers, users, ARGs.
INSERTS = (
    "x",
    " ",
    "\n",
    "$",
    "\\\n",
    "# c\n",
    "FROM alpine AS y\n",
    "COPY --from=0 a b\n",
    "COPY --from=y a b\n",
    "RUN apt-get install -y curl\n",
    "RUN npm ci --offline\n",
    "ENV A=1\n",
    "USER nobody\n",
    "ARG V=2\n",
    "# dockerfix: ignore\n",
)


def _seen(findings: list[Diagnostic], with_edits: bool) -> list[tuple[Any, ...]]:
    return [
        (
            d.code,
            d.start,
            d.end,
            d.location,
            d.end_location,
            d.message,
            d.severity,
            d.build_flags,
            d.fix.title if d.fix else None,
            d.fix.safety if d.fix else None,
            d.fix.edits if d.fix and with_edits else None,
        )
        for d in findings
    ]


def _edited(text: str, rng: random.Random) -> str:
    at = rng.randrange(len(text) + 1)
    if text and rng.random() < 0.3:
        return text[:at] + text[at + rng.randrange(1, 8) :]
    insert = rng.choice(INSERTS)
    if len(insert) > 2 and insert.endswith("\n"):
        at = text.rfind("\n", 0, at) + 1  # whole lines go at the start of a line
    return text[:at] + insert + text[at:]


def _assert_same_as_fresh(texts: list[str], rng: random.Random, edits: int) -> int:
    """Edit each text step by step; at every step the memo check equals a fresh check."""
    compared = 0
    for original in texts:
        memo, text, tree = Memo(), original, None
        for step in range(edits):
            try:
                tree = parse(text, previous=tree)  # as the language server parses
            except ParseError:
                text = original
                continue
            with_edits = step % 3 == 2
            again = _seen(check_tree(tree, EVERY_RULE, memo=memo), with_edits)
            fresh = _seen(check_tree(parse(text), EVERY_RULE), with_edits)
            assert again == fresh, text
            compared += 1
            text = _edited(text, rng)
    return compared


@pytest.mark.skipif(not GEN_CORPUS.is_file(), reason="the shared gen_corpus.py is missing")
def test_edited_corpus_files_check_as_fresh(tmp_path: Path) -> None:
    texts = [p.read_text() for p in generated_corpus(tmp_path, 60, 11)]
    # Several files in one: many groups of stages, most of them unchanged by each edit.
    joined = [
        "".join(t if t.endswith("\n") else t + "\n" for t in texts[i : i + 6]) for i in (0, 6)
    ]
    assert _assert_same_as_fresh([*texts, *joined], random.Random(11), edits=8) > 400


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(dockerfiles(), st.randoms(use_true_random=False))
def test_edited_generated_files_check_as_fresh(text: str, rng: random.Random) -> None:
    _assert_same_as_fresh([text], rng, edits=5)


def _groups(text: str) -> list[list[int]]:
    return [[info.index for info in group] for group in Model(parse(text)).stage_groups]


@pytest.mark.parametrize(
    ("text", "groups"),
    [
        ("FROM a\nFROM b\n", [[0], [1]]),
        ("FROM a AS x\nFROM x\nFROM c\n", [[0, 1], [2]]),
        ("FROM a\nFROM b\nCOPY --from=0 /x /x\n", [[0, 1]]),
        ("FROM a AS x\nFROM b\nFROM c\nRUN --mount=from=x,target=/x make\n", [[0, 2], [1]]),
        (
            "FROM a AS x\nFROM b AS y\nFROM c\nCOPY --from=x /a /a\nCOPY --from=y /b /b\n",
            [[0, 1, 2]],
        ),
        ("FROM a\nFROM b\nCOPY --from=$STAGE /x /x\nFROM c\n", [[0, 1, 2]]),
        ("ARG BASE=a\nFROM ${BASE}\nFROM b\n", [[0, 1]]),
        ('FROM a AS x\nFROM "x"\nFROM c\n', [[0, 1, 2]]),
        ("ARG V=1\n", []),
    ],
)
def test_stage_groups(text: str, groups: list[list[int]]) -> None:
    assert _groups(text) == groups


def _memo_after(*texts: str) -> list[dict[tuple[object, ...], object]]:
    """The memo's groups after checking each text in turn."""
    memo, seen = Memo(), []
    for text in texts:
        check_tree(parse(text), EVERY_RULE, memo=memo)
        seen.append(dict(memo.groups))
    return seen


def test_an_unchanged_group_is_not_checked_again() -> None:
    first = "FROM debian\nRUN apt-get install -y curl\n\nFROM node\nRUN npm ci\n"
    second = first.replace("npm ci", "npm ci --omit=dev")
    before, after = _memo_after(first, second)
    kept = [key for key in after if key in before]
    assert len(kept) == 1 and after[kept[0]] is before[kept[0]]
    assert len(after) == 2


@pytest.mark.parametrize(
    ("before", "after"),
    [
        # the message names a line: a line added in another group moves it
        (
            "FROM alpine\nRUN a\nFROM node:20\nCOPY .npmrc /root/.npmrc\nRUN npm ci\n",
            "FROM alpine\nRUN a \\\n  b\nFROM node:20\nCOPY .npmrc /root/.npmrc\nRUN npm ci\n",
        ),
        # a global ARG's default reaches every group
        (
            "ARG IMAGE=debian\nFROM $IMAGE\nRUN apt-get install -y curl\n",
            "ARG IMAGE=node\nFROM $IMAGE\nRUN apt-get install -y curl\n",
        ),
        # a stage added in front renumbers the others
        (
            "FROM a AS x\nFROM b\nCOPY --from=0 /x /x\n",
            "FROM c\nFROM a AS x\nFROM b\nCOPY --from=0 /x /x\n",
        ),
    ],
)
def test_what_a_group_depends_on_outside_its_text(before: str, after: str) -> None:
    memo = Memo()
    check_tree(parse(before), EVERY_RULE, memo=memo)
    again = _seen(check_tree(parse(after), EVERY_RULE, memo=memo), with_edits=True)
    assert again == _seen(check_tree(parse(after), EVERY_RULE), with_edits=True)


def test_other_settings_start_afresh() -> None:
    memo = Memo()
    tree = parse("FROM debian\nRUN apt-get install -y curl\n")
    check_tree(tree, EVERY_RULE, memo=memo)
    assert [d.code for d in check_tree(tree, Config(select=("BK",)), memo=memo)] == []
    assert memo.settings is not None and memo.settings[0] == Config(select=("BK",))


def test_a_whole_file_hook_excludes_the_others() -> None:
    with pytest.raises(TypeError, match="visit_dockerfile"):

        class Both(Rule):  # defining the class is what fails
            code = "X001"
            name = "Both"

            def visit_dockerfile(self, tree: Dockerfile) -> None:
                pass

            def visit_stage(self, stage: Any) -> None:
                pass
