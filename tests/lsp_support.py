"""Helpers for the language-server tests: a pytest-lsp client driving the real `dockerfix-lsp`.

Positions are converted here by an implementation independent of the server's: lines split
at `\\n`, `\\r\\n` and `\\r`, columns counted in UTF-16 code units.
"""

from __future__ import annotations

import asyncio
import re
import subprocess
import uuid
from collections.abc import AsyncIterator, Mapping, Sequence
from concurrent.futures import Future
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from lsprotocol import types
from pygls.protocol import default_converter
from pytest_lsp import LanguageClient, client_capabilities
from pytest_lsp.client import DEFAULT_CLIENT_FEATURES, register_lsp_features

from tests.conftest import console_script

# Neovim 0.11 pulls diagnostics (textDocument/diagnostic) and prefers UTF-8 positions (the
# server answers UTF-16); Neovim 0.9 gets diagnostics pushed.
PULL_CLIENT = "neovim@v0.11.0"
PUSH_CLIENT = "neovim@v0.9.1"


def vscode_pulling() -> types.ClientCapabilities:
    """VS Code's capabilities plus pull diagnostics with refresh (as VS Code 1.80+ has)."""
    capabilities = client_capabilities("visual-studio-code")
    assert capabilities.text_document is not None and capabilities.workspace is not None
    capabilities.text_document.diagnostic = types.DiagnosticClientCapabilities(
        dynamic_registration=True, related_document_support=False
    )
    capabilities.workspace.diagnostics = types.DiagnosticWorkspaceClientCapabilities(
        refresh_support=True
    )
    return capabilities


TIMEOUT = 60.0


def dockerfix(*args: str | Path, cwd: Path) -> subprocess.CompletedProcess[bytes]:
    """Run the real `dockerfix` console script."""
    return subprocess.run(
        [console_script("dockerfix"), *map(str, args)],
        cwd=cwd,
        capture_output=True,
        timeout=600,
        check=False,
    )


def dockerfix_write(text: str, directory: Path, *args: str, name: str = "Dockerfile") -> str:
    """What the real `dockerfix --write` makes of `text` (as `directory/name`)."""
    path = directory / name
    path.write_bytes(text.encode("utf-8"))
    dockerfix("--write", "--quiet", *args, path, cwd=directory)
    return path.read_bytes().decode("utf-8")


# -- positions (independent of the server's implementation) ---------------------------------


async def raw_request(state: Session, method: str, params: Any) -> Any:
    """Send a request with raw JSON params (which the typed client would refuse to send)."""
    protocol = state.client.protocol
    msg_id = str(uuid.uuid4())
    future: Future[Any] = Future()
    protocol._request_futures[msg_id] = future
    protocol._send_data({"jsonrpc": "2.0", "id": msg_id, "method": method, "params": params})
    return await asyncio.wrap_future(future)


def raw_notify(state: Session, method: str, params: Any) -> None:
    state.client.protocol._send_data({"jsonrpc": "2.0", "method": method, "params": params})


def _lines(text: str) -> list[tuple[int, int]]:
    """(start, content end) offsets of every line."""
    lines = []
    start = 0
    for match in re.finditer(r"\r\n|\r|\n", text):
        lines.append((start, match.start()))
        start = match.end()
    lines.append((start, len(text)))
    return lines


def offset(text: str, position: types.Position) -> int:
    lines = _lines(text)
    if position.line >= len(lines):
        return len(text)
    start, end = lines[position.line]
    units = 0
    for index in range(start, end):
        if units >= position.character:
            return index
        units += len(text[index].encode("utf-16-le")) // 2
    return end


def position(text: str, at: int) -> types.Position:
    for number, (start, end) in enumerate(_lines(text)):
        if start <= at <= end:
            return types.Position(number, len(text[start:at].encode("utf-16-le")) // 2)
    raise ValueError(at)


def range_of(text: str, start: int, end: int) -> types.Range:
    return types.Range(position(text, start), position(text, end))


def apply_edits(text: str, edits: Sequence[types.TextEdit]) -> str:
    """Apply LSP text edits (all relative to `text`) as a client does."""
    spans = sorted(
        ((offset(text, e.range.start), offset(text, e.range.end), e.new_text) for e in edits),
        reverse=True,
    )
    for start, end, new in spans:
        text = text[:start] + new + text[end:]
    return text


def edits_of(edit: types.WorkspaceEdit | None, uri: str) -> list[types.TextEdit]:
    assert edit is not None, "the action carries no edit"
    found: list[types.TextEdit] = []
    if edit.changes:
        found.extend(edit.changes.get(uri, []))
    for change in edit.document_changes or []:
        assert isinstance(change, types.TextDocumentEdit)
        if change.text_document.uri == uri:
            found.extend(e for e in change.edits if isinstance(e, types.TextEdit))
    return found


def change(text: str, start: int, end: int, new: str) -> types.TextDocumentContentChangePartial:
    """An incremental change replacing text[start:end], positioned in `text`."""
    return types.TextDocumentContentChangePartial(range=range_of(text, start, end), text=new)


# -- the client -----------------------------------------------------------------------------


@dataclass
class Published:
    version: int | None
    diagnostics: Sequence[types.Diagnostic]


@dataclass
class Session:
    client: LanguageClient
    published: dict[str, list[Published]] = field(default_factory=dict)
    applied_edits: list[types.ApplyWorkspaceEditParams] = field(default_factory=list)
    registrations: list[types.Registration] = field(default_factory=list)
    event: asyncio.Event = field(default_factory=asyncio.Event)
    versions: dict[str, int] = field(default_factory=dict)
    texts: dict[str, str] = field(default_factory=dict)

    # -- documents --------------------------------------------------------------------------

    def open(self, uri: str, text: str, language: str = "dockerfile") -> None:
        self.versions[uri] = 1
        self.texts[uri] = text
        self.client.text_document_did_open(
            types.DidOpenTextDocumentParams(types.TextDocumentItem(uri, language, 1, text))
        )

    def edit(self, uri: str, *changes: tuple[int, int, str]) -> str:
        """Send one didChange of incremental changes, each (start, end, new) in the text as
        the previous change left it; returns the new text."""
        text = self.texts[uri]
        events = []
        for start, end, new in changes:
            events.append(change(text, start, end, new))
            text = text[:start] + new + text[end:]
        self.versions[uri] += 1
        self.texts[uri] = text
        self.client.text_document_did_change(
            types.DidChangeTextDocumentParams(
                types.VersionedTextDocumentIdentifier(uri=uri, version=self.versions[uri]), events
            )
        )
        return text

    def replace_all(self, uri: str, text: str) -> None:
        self.versions[uri] += 1
        self.texts[uri] = text
        self.client.text_document_did_change(
            types.DidChangeTextDocumentParams(
                types.VersionedTextDocumentIdentifier(uri=uri, version=self.versions[uri]),
                [types.TextDocumentContentChangeWholeDocument(text=text)],
            )
        )

    def close(self, uri: str) -> None:
        self.client.text_document_did_close(
            types.DidCloseTextDocumentParams(types.TextDocumentIdentifier(uri))
        )

    # -- diagnostics ------------------------------------------------------------------------

    async def diagnostics(self, uri: str, version: int | None = None) -> list[types.Diagnostic]:
        """The diagnostics pushed for `version` (default: the current one)."""
        wanted = self.versions[uri] if version is None else version

        async def wait() -> list[types.Diagnostic]:
            while True:
                for published in reversed(self.published.get(uri, [])):
                    if published.version == wanted:
                        return list(published.diagnostics)
                self.event.clear()
                await self.event.wait()

        return await asyncio.wait_for(wait(), TIMEOUT)

    async def pull(self, uri: str, previous: str | None = None) -> types.DocumentDiagnosticReport:
        return await asyncio.wait_for(
            self.client.text_document_diagnostic_async(
                types.DocumentDiagnosticParams(
                    text_document=types.TextDocumentIdentifier(uri), previous_result_id=previous
                )
            ),
            TIMEOUT,
        )

    # -- code actions and hovers ------------------------------------------------------------

    async def actions(
        self,
        uri: str,
        start: int = 0,
        end: int | None = None,
        only: list[str] | None = None,
    ) -> list[types.CodeAction]:
        text = self.texts[uri]
        end = start if end is None else end
        result = await asyncio.wait_for(
            self.client.text_document_code_action_async(
                types.CodeActionParams(
                    text_document=types.TextDocumentIdentifier(uri),
                    range=range_of(text, start, end),
                    context=types.CodeActionContext(
                        diagnostics=[],
                        only=list(only) if only is not None else None,
                    ),
                )
            ),
            TIMEOUT,
        )
        return [a for a in result or [] if isinstance(a, types.CodeAction)]

    async def fix_all(self, uri: str) -> str:
        """The text after applying the source.fixAll.dockerfix action's edits."""
        actions = await self.actions(uri, only=["source.fixAll"])
        text = self.texts[uri]
        if not actions:
            return text
        (action,) = actions
        assert action.kind == "source.fixAll.dockerfix"
        return apply_edits(text, edits_of(action.edit, uri))

    async def hover(self, uri: str, at: int) -> types.Hover | None:
        return await asyncio.wait_for(
            self.client.text_document_hover_async(
                types.HoverParams(types.TextDocumentIdentifier(uri), position(self.texts[uri], at))
            ),
            TIMEOUT,
        )


@asynccontextmanager
async def session(
    client: str | types.ClientCapabilities = PUSH_CLIENT,
    *,
    initialization_options: Any = None,
    configuration: Mapping[str, Any] | None = None,
    root: Path | None = None,
    args: Sequence[str] = (),
) -> AsyncIterator[Session]:
    """A started and initialized `dockerfix-lsp` process, shut down afterwards."""
    capabilities = client_capabilities(client) if isinstance(client, str) else client
    language_client = LanguageClient(converter_factory=default_converter)
    state = Session(language_client)

    def publish(client: LanguageClient, params: types.PublishDiagnosticsParams) -> None:
        client.diagnostics[params.uri] = params.diagnostics
        state.published.setdefault(params.uri, []).append(
            Published(params.version, params.diagnostics)
        )
        state.event.set()

    def apply_edit(
        client: LanguageClient, params: types.ApplyWorkspaceEditParams
    ) -> types.ApplyWorkspaceEditResult:
        state.applied_edits.append(params)
        state.event.set()
        return types.ApplyWorkspaceEditResult(applied=True)

    def register(client: LanguageClient, params: types.RegistrationParams) -> None:
        state.registrations.extend(params.registrations)

    register_lsp_features(
        language_client,
        {
            **DEFAULT_CLIENT_FEATURES,
            types.TEXT_DOCUMENT_PUBLISH_DIAGNOSTICS: publish,
            types.WORKSPACE_APPLY_EDIT: apply_edit,
            types.CLIENT_REGISTER_CAPABILITY: register,
        },
    )
    if configuration is not None:
        language_client.set_configuration(dict(configuration), section="dockerfix")
    await language_client.start_io(console_script("dockerfix-lsp"), *args)
    try:
        await asyncio.wait_for(
            language_client.initialize_session(
                types.InitializeParams(
                    capabilities=capabilities,
                    initialization_options=initialization_options,
                    root_uri=root.as_uri() if root else None,
                )
            ),
            TIMEOUT,
        )
        yield state
        await asyncio.wait_for(language_client.shutdown_session(), TIMEOUT)
    finally:
        process = language_client._server
        if process is not None and process.returncode is None:
            process.kill()  # the test failed before a clean shutdown
        await language_client.stop()
