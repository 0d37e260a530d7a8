"""The language server's pieces in isolation: positions, document sync, edits, settings."""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st
from lsprotocol import types

from dockerfix.config import Config
from dockerfix.config_file import Settings
from dockerfix.diagnostics import Fix
from dockerfix.engine import check
from dockerfix.syntax import ParseError
from dockerfix.syntax.transform import Edit
from dockerfix_lsp.code_actions import Edits, minimal_edits, quick_fixes, wanted
from dockerfix_lsp.diagnostics import Request, analyze, lsp_range
from dockerfix_lsp.documents import Document
from dockerfix_lsp.positions import LineIndex, offset_of_location
from dockerfix_lsp.settings import ClientSettings, merge, parse_client_settings
from tests.conftest import read_exact, shared_dockerfiles
from tests.lsp_support import apply_edits, change
from tests.lsp_support import offset as client_offset
from tests.lsp_support import position as client_position

P = types.Position

# (text, offset, LSP position): lines break at \n, \r\n and \r only; columns are UTF-16.
POSITIONS = [
    ("FROM a\nRUN b\n", 0, P(0, 0)),
    ("FROM a\nRUN b\n", 7, P(1, 0)),
    ("FROM a\nRUN b\n", 12, P(1, 5)),
    ("FROM a\nRUN b\n", 13, P(2, 0)),
    ("FROM a\r\nRUN b\r\n", 8, P(1, 0)),
    ("FROM a\r\nRUN b\r\n", 7, P(0, 6)),  # between \r and \n: the end of the line
    ("FROM a\rRUN b", 7, P(1, 0)),  # a lone \r breaks the line
    ("# 😀 x\nRUN", 4, P(0, 5)),  # the emoji is two code units
    ("# 😀😀 x\nRUN", 6, P(0, 8)),
    ("# é x\n", 4, P(0, 4)),  # BMP characters are one
    ("# \f x\nRUN", 5, P(0, 5)),  # form feed: not a line break in LSP
    ("# \u2028 x\nRUN", 5, P(0, 5)),  # nor is U+2028
    ("\ufeffFROM a\n", 1, P(0, 1)),
]


@pytest.mark.parametrize(("text", "at", "expected"), POSITIONS)
def test_positions(text: str, at: int, expected: types.Position) -> None:
    index = LineIndex(text)
    assert index.position(at) == expected
    if "\r\n" not in text[at - 1 : at + 1]:
        assert index.offset(expected) == at


# (text, LSP position, offset): out-of-range positions are clamped, as LSP asks.
CLAMPED = [
    ("FROM a\nRUN b\n", P(0, 99), 6),  # past the line's end: the line's end
    ("FROM a\r\nRUN b\r\n", P(0, 99), 6),  # ...before its \r\n
    ("FROM a\nRUN b\n", P(99, 0), 13),  # past the last line: the end of the text
    ("# 😀 x", P(0, 3), 2),  # inside a surrogate pair: before the character
    ("# 😀 x", P(0, 4), 3),
]


@pytest.mark.parametrize(("text", "where", "expected"), CLAMPED)
def test_out_of_range_positions_are_clamped(
    text: str, where: types.Position, expected: int
) -> None:
    assert LineIndex(text).offset(where) == expected


@pytest.mark.parametrize(
    ("text", "line", "column", "expected"),
    [
        ("FROM a\nRUN <<EOF\n", 2, 5, 11),
        ("FROM a\r\nRUN x\r\n", 2, 1, 8),
        ("FROM a\n", 9, 1, 7),
        ("FROM a\n", 1, 99, 6),
    ],
)
def test_engine_locations_to_offsets(text: str, line: int, column: int, expected: int) -> None:
    assert offset_of_location(text, line, column) == expected


TEXT = st.lists(st.sampled_from(["a", " ", "\n", "\r\n", "\r", "😀", "é", "\t"])).map("".join)


@given(before=TEXT, after=TEXT)
def test_minimal_edits_turn_one_text_into_the_other(before: str, after: str) -> None:
    edits = minimal_edits(before, after, LineIndex(before))
    assert apply_edits(before, edits) == after


@given(text=TEXT, data=st.data())
def test_positions_agree_with_an_independent_implementation(text: str, data: st.DataObject) -> None:
    index = LineIndex(text)
    at = data.draw(st.integers(0, len(text)))
    if text[at - 1 : at + 1] == "\r\n" or "\ud800" <= text[at - 1 : at] <= "\udfff":
        return
    assert index.position(at) == client_position(text, at)
    assert index.offset(client_position(text, at)) == at
    where = P(data.draw(st.integers(0, 5)), data.draw(st.integers(0, 8)))
    at = client_offset(text, where)
    if client_position(text, at) == where:  # an exact position (not clamped, not mid-pair)
        assert index.offset(where) == at


@given(text=TEXT, data=st.data())
def test_incremental_changes_match_the_clients_text(text: str, data: st.DataObject) -> None:
    document = Document("file:///x/Dockerfile", "dockerfile", 1, text)
    for _ in range(3):
        start = data.draw(st.integers(0, len(text)))
        end = data.draw(st.integers(start, len(text)))
        new = data.draw(TEXT)
        if any(text[i - 1 : i + 1] == "\r\n" for i in (start, end)):
            continue  # no LSP position lies between \r and \n
        document.apply(change(text, start, end, new))
        text = text[:start] + new + text[end:]
        assert document.text == text


@pytest.mark.parametrize(
    ("uri", "language", "checked"),
    [
        ("file:///p/Dockerfile", "plaintext", True),
        ("file:///p/build.Dockerfile", "", True),
        ("file:///p/Containerfile", "", True),
        ("file:///p/Dockerfile.dev", "", True),
        ("file:///p/Dockerfile.dockerignore", "ignore", False),
        ("file:///p/notes.txt", "dockerfile", True),
        ("untitled:Untitled-1", "dockerfile", True),
        ("file:///p/setup.py", "python", False),
    ],
)
def test_which_documents_are_dockerfiles(uri: str, language: str, checked: bool) -> None:
    assert Document(uri, language, 1, "").is_dockerfile is checked


@pytest.mark.parametrize(
    ("kind", "only", "expected"),
    [
        ("quickfix", None, True),
        ("quickfix", ["quickfix"], True),
        ("quickfix", ["source"], False),
        ("source.fixAll.dockerfix", ["source"], True),
        ("source.fixAll.dockerfix", ["source.fixAll"], True),
        ("source.fixAll.dockerfix", ["source.fixAll.dockerfix"], True),
        ("source.fixAll.dockerfix", ["source.fix"], False),
        ("source.fixAll.dockerfix", ["quickfix"], False),
    ],
)
def test_code_action_kinds(kind: str, only: list[str] | None, expected: bool) -> None:
    assert wanted(kind, only) is expected


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        (None, ClientSettings()),
        ({"select": ["DF001"], "ignore": ["BK"]}, ClientSettings(("DF001",), (), ("BK",))),
        ({"settings": {"unsafeFixes": True}}, ClientSettings(unsafe_fixes=True)),
        ({"dockerfix": {"syntaxDirective": "d/f:1.7"}}, ClientSettings(syntax_directive="d/f:1.7")),
        ({"select": "DF001, BK013"}, ClientSettings(select=("DF001", "BK013"))),
        ({"extendSelect": ["BK020"]}, ClientSettings(extend_select=("BK020",))),
        ({"serverPath": "/x", "trace": {"server": "off"}}, ClientSettings()),  # the editor's
        ({"select": None, "unsafeFixes": None}, ClientSettings()),
    ],
)
def test_client_settings(raw: object, expected: ClientSettings) -> None:
    assert parse_client_settings(raw) == expected


@pytest.mark.parametrize(
    ("raw", "problem"),
    [
        ({"select": ["NOPE1"]}, "unknown rule or code prefix 'NOPE1'"),
        ({"unsafeFixes": "yes"}, "unsafeFixes: expected true or false"),
        ({"ignore": 5}, "ignore: expected a list"),
        ({"syntaxDirective": "a b"}, "syntaxDirective: expected an image reference"),
        (["select"], "settings must be an object"),
    ],
)
def test_bad_client_settings_are_dropped_with_a_reason(raw: object, problem: str) -> None:
    settings = parse_client_settings(raw)
    assert any(problem in p for p in settings.problems), settings.problems
    assert settings == ClientSettings()


def test_editor_settings_act_like_cli_flags_over_the_project_file(tmp_path: Path) -> None:
    project = Settings(
        config=Config(select=("DF",), ignore=("DF002",), unsafe_fixes=True),
        path=tmp_path / "pyproject.toml",
        per_file_ignores=(("legacy/*", ("BK013",)),),
    )
    client = ClientSettings(select=("BK",), ignore=("BK004",), syntax_directive="d/f:1.7")
    config = merge(project, client, tmp_path / "legacy" / "Dockerfile")
    assert config.select == ("BK",)  # replaced
    assert config.ignore == ("DF002", "BK013", "BK004")  # file, per-file, editor
    assert config.unsafe_fixes  # the file's true stays true
    assert config.syntax_directive == "d/f:1.7"
    assert merge(None, ClientSettings(), None) == Config()


def test_a_fix_that_fails_is_not_offered_and_the_rest_still_is(
    caplog: pytest.LogCaptureFixture,
) -> None:
    text = "FROM alpine\nRUN echo hi\n"
    analysis = analyze(Request("file:///Dockerfile", 1, text, Config(select=("DF001",)), 0))
    (finding,) = analysis.findings

    def broken() -> tuple[Edit, ...]:
        raise RuntimeError("a bug in the rule's fix")

    broken_fix = Fix(finding.fix.title, finding.fix.safety, broken) if finding.fix else None
    analysis.pairs = [(replace(finding, fix=broken_fix), analysis.pairs[0][1])]
    everything = types.Range(P(0, 0), P(2, 0))
    actions = quick_fixes(analysis, everything, Edits("file:///Dockerfile", 1, versioned=True))
    assert [a.title for a in actions] == ["Ignore DF001 for this instruction"]
    assert "a bug in the rule's fix" in caplog.text


@pytest.mark.parametrize(
    "edited",
    [
        "FROM alpine\nRUN  apt-get install curl\n",  # the finding on the edited line moves
        "FROM alpine\nRUN apt-get install curl\nRUN pip install x\n",  # a finding more
        "FROM alpine\r\nRUN apt-get install curl\n",  # a position on every line changes
        "# 😀\nFROM alpine\nRUN apt-get install curl\n",  # columns in UTF-16
        "FROM alpine\nRUN apt-get install curl\nCMD [\n",  # a parse error, then...
    ],
)
def test_an_analysis_from_the_previous_one_is_a_fresh_analysis(edited: str) -> None:
    """Diagnostics that did not change are taken from the previous version's analysis as
    they were serialized; everything sent is what a fresh analysis sends."""
    config = Config(select=("ALL",))
    previous = analyze(
        Request("file:///Dockerfile", 1, "FROM alpine\nRUN apt-get install curl\n", config, 0)
    )
    assert previous.serialized
    again = analyze(Request("file:///Dockerfile", 2, edited, config, 0), previous=previous)
    fresh = analyze(Request("file:///Dockerfile", 2, edited, config, 0))
    assert again.diagnostics_json == fresh.diagnostics_json == json.dumps(fresh.diagnostics)
    assert again.diagnostics == fresh.diagnostics
    assert [f for f, _ in again.pairs] == again.findings
    after = analyze(Request("file:///Dockerfile", 3, "FROM alpine\n", config, 0), previous=again)
    assert (
        after.diagnostics_json
        == analyze(Request("file:///Dockerfile", 3, "FROM alpine\n", config, 0)).diagnostics_json
    )


def test_plain_documents_take_positions_from_the_engine_locations() -> None:
    """In an ASCII document with `\\n` line breaks, a finding's LSP range comes from its
    engine locations; it is the range the offsets give."""
    config = Config(select=("ALL",))
    compared = 0
    for path in shared_dockerfiles():
        text = read_exact(path)
        try:
            findings = check(text, config)
        except ParseError:
            continue
        index = LineIndex(text)
        if not index.plain:
            continue
        general = LineIndex(text)
        general.plain = False
        for finding in findings:
            assert lsp_range(finding, index) == lsp_range(finding, general), (path, finding)
            compared += 1
    assert compared > 100
    # A lone `\r` breaks an LSP line, not an engine line; `é😀` count differently in UTF-16.
    assert not LineIndex("FROM a\rRUN b\n").plain
    assert not LineIndex("FROM a\r\nRUN b\r\n").plain
    assert not LineIndex("# 😀\nFROM a\n").plain
