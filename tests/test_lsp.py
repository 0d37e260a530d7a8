"""End to end: the real `dockerfix-lsp` process over stdio, driven by a pytest-lsp client.

Expectations come from the engine itself (`dockerfix.engine.check/fix`) and from the real
`dockerfix --write`, so these tests pin the adapter (positions, edits, settings, scheduling),
not the rules.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable
from pathlib import Path

import pytest
import pytest_asyncio
from lsprotocol import types
from pygls.exceptions import JsonRpcException

from dockerfix import engine
from dockerfix.config import Config
from dockerfix.syntax.transform import apply
from tests.conftest import CASES, read_exact
from tests.lsp_support import (
    PULL_CLIENT,
    PUSH_CLIENT,
    Session,
    apply_edits,
    dockerfix,
    dockerfix_write,
    edits_of,
    offset,
    position,
    raw_notify,
    raw_request,
    session,
    vscode_pulling,
)

pytestmark = pytest.mark.asyncio(loop_scope="module")

# Texts that exercise the position conversion: LF, CRLF, emoji before findings on the same
# line (UTF-16 columns), a BOM, the backtick escape.
TEXTS = {
    "lf": "FROM python:3.12\nRUN pip install flask\nENV A b\nmaintainer me\n",
    "crlf": "FROM python:3.12\r\nRUN pip install flask\r\nENV A b\r\n",
    "emoji": "FROM alpine\n# 🐳 whale\nENV A😀 b\nMAINTAINER 😀 Joe <j@example.com>\n",
    "bom": "\ufeffFROM alpine\nENV A b\n",
    "backtick": "# escape=`\nFROM debian\nRUN apt-get update && `\n    apt-get install -y curl\n",
    "clean": "# syntax=docker/dockerfile:1\nFROM alpine\nRUN echo hi\n",
}


def expected(text: str, config: Config | None = None) -> list[tuple[str, types.Range, str]]:
    """(code, range, message) the server should publish for `text`."""
    found = []
    for finding in engine.check(text, config or Config()):
        start, end = position(text, finding.start), position(text, finding.end)
        if end.character == 0 and end.line > start.line:
            line_start = offset(text, types.Position(end.line - 1, 0))
            line_end = offset(text, types.Position(end.line - 1, 10**9))
            end = position(text, line_end if line_end >= line_start else line_start)
        found.append((finding.code, types.Range(start, end), finding.message))
    return found


def published(diagnostics: list[types.Diagnostic]) -> list[tuple[str, types.Range, str]]:
    return [(str(d.code), d.range, d.message) for d in diagnostics]


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def push() -> AsyncIterator[Session]:
    async with session(PUSH_CLIENT) as started:
        yield started


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def pull() -> AsyncIterator[Session]:
    async with session(PULL_CLIENT) as started:
        yield started


def uri(directory: Path, name: str = "Dockerfile") -> str:
    return (directory / name).as_uri()


# -- diagnostics --------------------------------------------------------------------------


@pytest.mark.parametrize("name", TEXTS)
async def test_open_publishes_the_engines_findings(
    push: Session, tmp_path: Path, name: str
) -> None:
    text = TEXTS[name]
    document = uri(tmp_path)
    push.open(document, text)
    diagnostics = await push.diagnostics(document)
    assert published(diagnostics) == expected(text)
    for diagnostic, finding in zip(diagnostics, engine.check(text), strict=True):
        assert diagnostic.source == "dockerfix"
        assert diagnostic.code_description is not None
        assert diagnostic.code_description.href == finding.url
        assert diagnostic.data["name"] == finding.name
        fix = diagnostic.data["fix"]
        if finding.fix is None:
            assert fix is None
        else:
            assert fix == {"title": finding.fix.title, "safety": str(finding.fix.safety)}


async def test_pull_diagnostics_for_clients_that_pull(pull: Session, tmp_path: Path) -> None:
    document = uri(tmp_path)
    text = TEXTS["lf"]
    pull.open(document, text)
    report = await pull.pull(document)
    assert isinstance(report, types.RelatedFullDocumentDiagnosticReport)
    assert published(list(report.items)) == expected(text)
    again = await pull.pull(document, previous=report.result_id)
    assert isinstance(again, types.RelatedUnchangedDocumentDiagnosticReport)
    text = pull.edit(document, (len(text), len(text), "ENV B c\n"))
    changed = await pull.pull(document, previous=report.result_id)
    assert isinstance(changed, types.RelatedFullDocumentDiagnosticReport)
    assert published(list(changed.items)) == expected(text)
    assert document not in pull.published  # nothing pushed to a client that pulls


# -- code actions -------------------------------------------------------------------------


@pytest.mark.parametrize("name", TEXTS)
async def test_each_quick_fix_applies_exactly_its_findings_fix(
    push: Session, tmp_path: Path, name: str
) -> None:
    text = TEXTS[name]
    document = uri(tmp_path)
    push.open(document, text)
    await push.diagnostics(document)
    for finding in engine.check(text):
        if finding.fix is None:
            continue
        actions = await push.actions(document, finding.start, finding.end, only=["quickfix"])
        (action,) = [a for a in actions if a.title.startswith(finding.fix.title)]
        assert action.kind == types.CodeActionKind.QuickFix
        assert action.diagnostics and action.diagnostics[0].code == finding.code
        assert apply_edits(text, edits_of(action.edit, document)) == apply(
            text, list(finding.fix.edits)
        )
        if finding.fix.safety == "safe":
            assert action.is_preferred
        else:
            assert not action.is_preferred
            assert "unsafe" in action.title


@pytest.fixture(scope="module")
def fix_all_texts() -> dict[str, str]:
    texts = {f"case-{p.name}": read_exact(p / "Dockerfile") for p in sorted(CASES.iterdir())}
    return {**texts, **TEXTS}


@pytest.fixture(scope="module")
def written(fix_all_texts: dict[str, str], tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Every text, after the real `dockerfix --write` (one run over a directory of them)."""
    root = tmp_path_factory.mktemp("written")
    for name, text in fix_all_texts.items():
        (root / name).mkdir()
        (root / name / "Dockerfile").write_bytes(text.encode("utf-8"))
    dockerfix("--write", "--quiet", root, cwd=root)
    return root


async def test_fix_all_gives_exactly_what_dockerfix_write_writes(
    push: Session,
    fix_all_texts: dict[str, str],
    written: Path,
    tmp_path_factory: pytest.TempPathFactory,
) -> None:
    directory = tmp_path_factory.mktemp("open")
    assert len(fix_all_texts) > 10
    for name, text in fix_all_texts.items():
        document = uri(directory / name)
        push.open(document, text)
        want = read_exact(written / name / "Dockerfile")
        assert await push.fix_all(document) == want, name


async def test_fix_all_in_the_light_bulb_is_resolved_on_demand(
    push: Session, tmp_path: Path
) -> None:
    document = uri(tmp_path)
    text = TEXTS["lf"]
    push.open(document, text)
    actions = await push.actions(document)
    (lazy,) = [a for a in actions if a.kind == "source.fixAll.dockerfix"]
    assert lazy.edit is None  # the client resolves it (codeAction/resolve) when chosen
    resolved = await push.client.code_action_resolve_async(lazy)
    assert apply_edits(text, edits_of(resolved.edit, document)) == engine.fix(text).text


async def test_apply_fix_all_command_sends_the_edit(push: Session, tmp_path: Path) -> None:
    document = uri(tmp_path)
    text = TEXTS["emoji"]
    push.open(document, text)
    result = await push.client.workspace_execute_command_async(
        types.ExecuteCommandParams(command="dockerfix.applyFixAll", arguments=[document])
    )
    assert result is True
    (params,) = push.applied_edits
    assert apply_edits(text, edits_of(params.edit, document)) == engine.fix(text).text


UNSAFE = read_exact(CASES / "secret-arg-needs-unsafe" / "Dockerfile")


async def test_unsafe_fixes_are_offered_labelled_and_applied_only_when_enabled(
    push: Session, tmp_path: Path
) -> None:
    document = uri(tmp_path)
    push.open(document, UNSAFE)
    await push.diagnostics(document)
    (unsafe,) = [f for f in engine.check(UNSAFE) if f.fix and f.fix.safety == "unsafe"][:1]
    actions = await push.actions(document, unsafe.start, unsafe.end, only=["quickfix"])
    assert unsafe.fix is not None
    (offered,) = [a for a in actions if a.title.startswith(unsafe.fix.title)]
    assert "unsafe" in offered.title and not offered.is_preferred
    safe_only = await push.fix_all(document)
    assert safe_only == dockerfix_write(UNSAFE, tmp_path)
    async with session(PUSH_CLIENT, initialization_options={"unsafeFixes": True}) as unsafe_on:
        unsafe_on.open(document, UNSAFE)
        with_unsafe = await unsafe_on.fix_all(document)
    assert with_unsafe == dockerfix_write(UNSAFE, tmp_path, "--unsafe-fixes")
    assert with_unsafe != safe_only


IGNORES = [
    # (source, code, after "Ignore CODE for this instruction")
    (
        "FROM alpine\nENV A b\n",
        "BK013",
        "FROM alpine\n# dockerfix: ignore[BK013]\nENV A b\n",
    ),
    (
        "FROM alpine\r\nENV A b\r\n",
        "BK013",
        "FROM alpine\r\n# dockerfix: ignore[BK013]\r\nENV A b\r\n",
    ),
    (
        "FROM alpine\n    ENV A b\n",
        "BK013",
        "FROM alpine\n    # dockerfix: ignore[BK013]\n    ENV A b\n",
    ),
    (
        "FROM alpine\n# dockerfix: ignore[DF002]\nENV A b\n",
        "BK013",
        "FROM alpine\n# dockerfix: ignore[DF002,BK013]\nENV A b\n",
    ),
    (
        "FROM alpine\nENV A 😀 \\\n  b\n",
        "BK013",
        "FROM alpine\n# dockerfix: ignore[BK013]\nENV A 😀 \\\n  b\n",
    ),
]


async def ignored(push: Session, tmp_path: Path, source: str, code: str, scope: str) -> str:
    """`source` after the code action "Ignore CODE for SCOPE" on its finding of `code`."""
    document = uri(tmp_path)
    push.open(document, source)
    (finding,) = [f for f in engine.check(source) if f.code == code]
    actions = await push.actions(document, finding.start, finding.end, only=["quickfix"])
    (ignore,) = [a for a in actions if a.title == f"Ignore {code} for {scope}"]
    return apply_edits(source, edits_of(ignore.edit, document))


@pytest.mark.parametrize(("source", "code", "after"), IGNORES)
async def test_ignore_code_for_this_instruction(
    push: Session, tmp_path: Path, source: str, code: str, after: str
) -> None:
    assert await ignored(push, tmp_path, source, code, "this instruction") == after
    assert code not in {f.code for f in engine.check(after)}


OLD_SYNTAX = "# syntax=docker/dockerfile:1.0\nFROM alpine\nRUN --mount=type=cache,target=/x echo\n"


@pytest.mark.parametrize(
    ("source", "code", "after"),
    [
        # a finding on a parser directive: the comment goes below the directives
        (
            OLD_SYNTAX,
            "DF001",
            OLD_SYNTAX.replace("FROM", "# dockerfix: ignore-file[DF001]\nFROM"),
        ),
        # ...or into the ignore-file comment already there
        (
            OLD_SYNTAX.replace("FROM", "# dockerfix: ignore-file[BK013]\nFROM"),
            "DF001",
            OLD_SYNTAX.replace("FROM", "# dockerfix: ignore-file[BK013,DF001]\nFROM"),
        ),
    ],
)
async def test_ignore_code_for_this_file_outside_instructions(
    push: Session, tmp_path: Path, source: str, code: str, after: str
) -> None:
    assert await ignored(push, tmp_path, source, code, "this file") == after
    assert code not in {f.code for f in engine.check(after)}


# -- document sync ------------------------------------------------------------------------


async def test_incremental_changes_keep_the_servers_text_equal_to_the_clients(
    push: Session, tmp_path: Path
) -> None:
    document = uri(tmp_path)
    text = "FROM alpine\n# 🐳 whale 🐳\nENV A b\n"
    push.open(document, text)
    # After an emoji on the same line (UTF-16 columns).
    comment = text.index("whale")
    text = push.edit(document, (comment, comment + 5, "orca 🐋"))
    assert published(await push.diagnostics(document)) == expected(text)
    # Two changes in one notification, the second positioned in the first one's result.
    text = push.edit(document, (0, 0, "# syntax=docker/dockerfile:1\n"), (0, 0, "ARG V=1\n"))
    assert published(await push.diagnostics(document)) == expected(text)
    assert await push.fix_all(document) == engine.fix(text).text
    # A new line with a finding; then a deletion across lines.
    text = push.edit(document, (len(text), len(text), "RUN pip install flask\n"))
    assert published(await push.diagnostics(document)) == expected(text)
    text = push.edit(document, (text.index("ENV"), text.index("RUN"), ""))
    assert published(await push.diagnostics(document)) == expected(text)
    assert await push.fix_all(document) == engine.fix(text).text
    push.replace_all(document, "FROM alpine\nENV X y\n")
    assert published(await push.diagnostics(document)) == expected("FROM alpine\nENV X y\n")


async def test_parse_error_is_one_diagnostic_and_recovers(push: Session, tmp_path: Path) -> None:
    document = uri(tmp_path)
    good = "FROM alpine\nENV A b\nRUN echo hi\n"
    push.open(document, good)
    assert published(await push.diagnostics(document)) == expected(good)
    broken = push.edit(document, (len(good), len(good), "RUN <<EOF\necho 🐳\n"))
    (error,) = await push.diagnostics(document)
    assert error.code == "parse-error"
    assert error.severity == types.DiagnosticSeverity.Error
    assert "heredoc" in error.message
    assert error.range.start.line == 3
    fixed = push.edit(document, (len(broken), len(broken), "EOF\n"))
    assert published(await push.diagnostics(document)) == expected(fixed)
    assert await push.actions(document, 0, 1, only=["quickfix"])


async def test_non_ascii_positions(push: Session, tmp_path: Path) -> None:
    document = uri(tmp_path)
    text = "FROM alpine\nENV A😀 b\n"
    push.open(document, text)
    (diagnostic,) = [d for d in await push.diagnostics(document) if d.code == "BK013"]
    actions = await push.actions(document, text.index("ENV"), only=["quickfix"])
    (action,) = [a for a in actions if a.title.startswith("Rewrite") and "BK013" in a.title]
    (edit,) = edits_of(action.edit, document)
    # E N V ␠ A 😀: the emoji is two UTF-16 code units, so `=` goes in at character 7
    assert edit.range.start == types.Position(1, 7)
    assert diagnostic.range.end == types.Position(1, 9)
    assert apply_edits(text, [edit]) == "FROM alpine\nENV A😀=b\n"


# -- settings -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("options", "absent", "present"),
    [
        ({"ignore": ["BK013"]}, {"BK013"}, {"DF002"}),
        ({"settings": {"select": ["BK013"]}}, {"DF002", "DF001"}, {"BK013"}),
        ({"dockerfix": {"ignore": ["DF"]}}, {"DF001", "DF002"}, {"BK013"}),
    ],
)
async def test_initialization_options(
    tmp_path: Path, options: dict[str, object], absent: set[str], present: set[str]
) -> None:
    text = TEXTS["lf"]
    async with session(PUSH_CLIENT, initialization_options=options) as started:
        started.open(uri(tmp_path), text)
        codes = {d.code for d in await started.diagnostics(uri(tmp_path))}
    assert not codes & absent
    assert present <= codes


async def test_workspace_configuration_and_its_changes(tmp_path: Path) -> None:
    document = uri(tmp_path)
    text = TEXTS["lf"]
    async with session(vscode_pulling(), configuration={"ignore": ["DF001"]}) as started:
        started.open(document, text)
        report = await started.pull(document)
        assert "DF001" not in {d.code for d in report.items}
        refreshes = started.client.diagnostic_refresh_count
        started.client.set_configuration({"ignore": ["BK013"]}, section="dockerfix")
        started.client.workspace_did_change_configuration(
            types.DidChangeConfigurationParams(settings=None)
        )
        for _ in range(600):
            if started.client.diagnostic_refresh_count > refreshes:
                break
            await asyncio.sleep(0.05)
        assert started.client.diagnostic_refresh_count == refreshes + 1
        codes = {d.code for d in (await started.pull(document)).items}
        assert "DF001" in codes and "BK013" not in codes


async def test_pushed_configuration_change(push: Session, tmp_path: Path) -> None:
    async with session(PUSH_CLIENT) as started:
        document = uri(tmp_path)
        started.open(document, TEXTS["lf"])
        assert "BK013" in {d.code for d in await started.diagnostics(document)}
        count = len(started.published[document])
        started.client.workspace_did_change_configuration(
            types.DidChangeConfigurationParams(settings={"dockerfix": {"ignore": ["BK013"]}})
        )
        for _ in range(200):
            if len(started.published[document]) > count:
                break
            await asyncio.sleep(0.05)
        assert "BK013" not in {d.code for d in started.published[document][-1].diagnostics}


async def test_project_config_file_nearest_to_the_document(push: Session, tmp_path: Path) -> None:
    (tmp_path / "pyproject.toml").write_text(
        '[tool.dockerfix]\nignore = ["BK013"]\nsyntax-directive = "docker/dockerfile:1.7"\n'
    )
    (tmp_path / "svc").mkdir()
    document = uri(tmp_path / "svc")
    text = TEXTS["lf"]
    push.open(document, text)
    codes = {d.code for d in await push.diagnostics(document)}
    assert "BK013" not in codes and "DF001" in codes
    fixed = await push.fix_all(document)
    assert fixed.startswith("# syntax=docker/dockerfile:1.7\n")
    assert fixed == dockerfix_write(text, tmp_path / "svc")
    # The editor's settings apply over the file's: ignore adds, syntaxDirective replaces.
    async with session(
        PUSH_CLIENT, initialization_options={"ignore": ["DF002"], "syntaxDirective": "x/y:2"}
    ) as started:
        started.open(document, text)
        codes = {d.code for d in await started.diagnostics(document)}
        assert not codes & {"BK013", "DF002"}
        assert (await started.fix_all(document)).startswith("# syntax=x/y:2\n")


# -- hover --------------------------------------------------------------------------------


async def test_hover(push: Session, tmp_path: Path) -> None:
    document = uri(tmp_path)
    text = (
        "# syntax=docker/dockerfile:1\nFROM python:3.12\n"
        "RUN --mount=type=cache,target=/x pip install flask\nENV A b\n"
    )
    push.open(document, text)
    await push.diagnostics(document)
    on_finding = await push.hover(document, text.index("A b"))
    assert on_finding is not None
    assert "BK013" in on_finding.contents.value and "What it does" in on_finding.contents.value
    keyword = await push.hover(document, text.index("RUN") + 1)
    assert keyword is not None and "RUN [--mount=...]" in keyword.contents.value
    flag = await push.hover(document, text.index("--mount") + 3)
    assert flag is not None and "type=cache" in flag.contents.value
    assert await push.hover(document, text.index("python")) is None


# -- robustness ---------------------------------------------------------------------------


async def test_malformed_params_get_an_error_and_the_server_keeps_running(
    push: Session, tmp_path: Path
) -> None:
    with pytest.raises(JsonRpcException, match="Invalid params"):
        await asyncio.wait_for(
            raw_request(push, "textDocument/hover", {"textDocument": 5, "position": "here"}),
            30,
        )
    raw_notify(push, "textDocument/didChange", {"textDocument": None})
    raw_notify(push, "textDocument/didOpen", {"textDocument": {"uri": 5}})
    with pytest.raises(JsonRpcException):
        await push.client.workspace_execute_command_async(
            types.ExecuteCommandParams(command="dockerfix.applyFixAll", arguments=[])
        )
    document = uri(tmp_path)
    push.open(document, TEXTS["lf"])
    assert published(await push.diagnostics(document)) == expected(TEXTS["lf"])


async def test_unknown_documents_and_out_of_range_positions(push: Session, tmp_path: Path) -> None:
    unknown = uri(tmp_path / "nowhere")
    hover = await push.client.text_document_hover_async(
        types.HoverParams(types.TextDocumentIdentifier(unknown), types.Position(0, 0))
    )
    assert hover is None
    actions = await push.client.text_document_code_action_async(
        types.CodeActionParams(
            types.TextDocumentIdentifier(unknown),
            types.Range(types.Position(0, 0), types.Position(0, 0)),
            types.CodeActionContext(diagnostics=[]),
        )
    )
    assert actions is None
    push.client.text_document_did_change(
        types.DidChangeTextDocumentParams(
            types.VersionedTextDocumentIdentifier(uri=unknown, version=2),
            [types.TextDocumentContentChangeWholeDocument(text="FROM x\n")],
        )
    )
    document = uri(tmp_path)
    text = TEXTS["lf"]
    push.open(document, text)
    await push.diagnostics(document)
    far = await push.client.text_document_hover_async(
        types.HoverParams(types.TextDocumentIdentifier(document), types.Position(10**6, 10**6))
    )
    assert far is None
    # A change past the end is clamped to the end, as LSP asks.
    push.versions[document] += 1
    push.client.text_document_did_change(
        types.DidChangeTextDocumentParams(
            types.VersionedTextDocumentIdentifier(uri=document, version=push.versions[document]),
            [
                types.TextDocumentContentChangePartial(
                    range=types.Range(types.Position(500, 3), types.Position(900, 0)),
                    text="ENV C d\n",
                )
            ],
        )
    )
    push.texts[document] = text = text + "ENV C d\n"
    assert published(await push.diagnostics(document)) == expected(text)


def _huge() -> str:
    """A 10 MB Dockerfile."""
    return "FROM alpine\n" + ("RUN echo " + "x" * 70 + "\n") * (10 * 1024 * 1024 // 80)


@pytest.mark.parametrize(
    ("make", "message"),
    [
        (_huge, "not checked: the document has"),
        (lambda: "FROM alpine\nRUN echo \x00\x01\x02\n", "not checked: binary content"),
    ],
)
async def test_documents_it_cannot_check_get_one_diagnostic(
    push: Session, tmp_path: Path, make: Callable[[], str], message: str
) -> None:
    document = uri(tmp_path)
    push.open(document, make())
    (diagnostic,) = await push.diagnostics(document)
    assert diagnostic.code == "not-checked"
    assert message in diagnostic.message
    assert await push.actions(document, 0, 5) == []
    push.close(document)
    after = uri(tmp_path, "Containerfile")
    push.open(after, TEXTS["lf"])
    assert published(await push.diagnostics(after)) == expected(TEXTS["lf"])


async def test_only_dockerfiles_are_checked(push: Session, tmp_path: Path) -> None:
    python = uri(tmp_path, "setup.py")
    push.open(python, "FROM alpine\nENV A b\n", language="python")
    named = uri(tmp_path, "app.Dockerfile")
    push.open(named, "FROM alpine\nENV A b\n", language="plaintext")
    assert {d.code for d in await push.diagnostics(named)} >= {"BK013"}
    assert python not in push.published
    assert await push.hover(python, 0) is None
    assert (
        await push.client.text_document_code_action_async(
            types.CodeActionParams(
                types.TextDocumentIdentifier(python),
                types.Range(types.Position(0, 0), types.Position(0, 0)),
                types.CodeActionContext(diagnostics=[]),
            )
        )
        is None
    )


async def test_rapid_edits_are_coalesced_and_the_last_version_wins(
    push: Session, tmp_path: Path
) -> None:
    document = uri(tmp_path)
    text = "FROM alpine\nRUN echo \n"
    push.open(document, text)
    await push.diagnostics(document)
    at = text.index("echo ") + 5
    for character in "hello-world; pip install flask ENV A b"[:40]:
        text = push.edit(document, (at, at, character))
        at += 1
    assert published(await push.diagnostics(document)) == expected(text)
    versions = [p.version for p in push.published[document] if p.version is not None]
    assert versions == sorted(versions)  # never an older version after a newer one
    assert len(versions) < 1 + 40  # coalesced: not one check per keystroke
