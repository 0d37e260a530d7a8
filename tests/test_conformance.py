"""BuildKit's own parser fixtures: the dump of our tree must equal BuildKit's `result` files."""

from __future__ import annotations

from pathlib import Path

import pytest

from dockerfix import ParseError, parse
from tests.conftest import CORPUS, read_exact

POSITIVE = sorted((CORPUS / "testfiles").iterdir())
NEGATIVE = sorted((CORPUS / "testfiles-negative").iterdir())


def test_fixture_counts() -> None:
    assert (len(POSITIVE), len(NEGATIVE)) == (33, 4)


@pytest.mark.parametrize("case", POSITIVE, ids=lambda p: p.name)
def test_dump_matches_buildkit(case: Path) -> None:
    tree = parse(read_exact(case / "Dockerfile"))
    assert tree.to_buildkit_dump() == read_exact(case / "result")


@pytest.mark.parametrize("case", NEGATIVE, ids=lambda p: p.name)
def test_buildkit_rejects(case: Path) -> None:
    with pytest.raises(ParseError):
        parse(read_exact(case / "Dockerfile"))


def test_instruction_lines_match_buildkit_line_test() -> None:
    """TestParseIncludesLineNumbers, restated in SOURCE.md."""
    tree = parse(read_exact(CORPUS / "other" / "parser" / "testfile-line" / "Dockerfile"))
    lines = [tree.instruction_lines(i) for i in tree.instructions]
    assert lines == [(5, 5), (11, 12), (17, 31)]
