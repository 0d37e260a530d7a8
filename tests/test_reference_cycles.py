"""A check and a fix leave no reference cycles: a checked tree is freed by reference counting
as soon as the last reference to it goes. The language server checks a new tree at every
keystroke; trees kept for the cyclic collector made its full passes the slowest keystrokes."""

from __future__ import annotations

import gc
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

from dockerfix import engine
from dockerfix.config import Config
from dockerfix.diagnostics import Diagnostic
from dockerfix.engine import Memo, check_tree
from dockerfix.syntax import parse
from tests.conftest import GEN_CORPUS, generated_corpus

EVERY_RULE = Config(select=("ALL",))

# Stages that read each other (FROM <stage>, COPY --from, RUN --mount=from), fixes each rule
# defers (CacheMount, CrossCompile), global ARGs, a secret and an ONBUILD.
LINKED = """\
ARG GO_VERSION=1.22
FROM golang:${GO_VERSION} AS build
ENV NPM_TOKEN=secret-value
RUN apt-get update && apt-get install -y gcc
RUN go build -o /out/app ./cmd/app
FROM build AS test
RUN --mount=from=build,source=/out,target=/in go test ./...
FROM alpine AS final
ONBUILD RUN apk add curl
COPY --from=build /out/app /app
RUN pip install requests
CMD /app
"""


@contextmanager
def dockerfix_garbage() -> Iterator[list[object]]:
    """The dockerfix objects that only the cyclic collector could free, made in the block."""
    found: list[object] = []
    gc.collect()
    enabled = gc.isenabled()
    gc.disable()
    gc.set_debug(gc.DEBUG_SAVEALL)
    try:
        yield found
        gc.collect()
        found.extend(o for o in gc.garbage if type(o).__module__.startswith("dockerfix"))
    finally:
        gc.set_debug(0)
        gc.garbage.clear()
        if enabled:
            gc.enable()


def edits_worked_out(diagnostics: list[Diagnostic]) -> int:
    """Work out every fix's edits (the deferred fixes run); how many there are."""
    return sum(len(d.fix.edits) for d in diagnostics if d.fix is not None)


def check_with_edits(text: str) -> int:
    return edits_worked_out(check_tree(parse(text), EVERY_RULE))


def check_twice_with_memo(text: str) -> int:
    memo = Memo()
    check_tree(parse(text), EVERY_RULE, memo=memo)
    return edits_worked_out(check_tree(parse(text + "RUN true\n"), EVERY_RULE, memo=memo))


def fix_unsafe(text: str) -> int:
    return len(engine.fix(text, EVERY_RULE, unsafe=True).applied)


@pytest.mark.parametrize("run", [check_with_edits, check_twice_with_memo, fix_unsafe])
def test_no_reference_cycles(run: Callable[[str], int], tmp_path: Path) -> None:
    if not GEN_CORPUS.exists():
        pytest.skip("../shared/tools/gen_corpus.py is not there")
    texts = [LINKED, *(p.read_text() for p in generated_corpus(tmp_path, 20, 5))]
    engine._parse.cache_clear()  # its trees are held on purpose
    with dockerfix_garbage() as garbage:
        fixes = sum(run(text) for text in texts)
        engine._parse.cache_clear()
    assert fixes > 0  # the deferred fixes, which refer to their rules, did run
    kinds = sorted({type(o).__qualname__ for o in garbage})
    assert kinds == [], "these were left in reference cycles"
