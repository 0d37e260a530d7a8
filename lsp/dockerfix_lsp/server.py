"""The language server: LSP in and out, the dockerfix engine in between.

The server is a thin adapter over `dockerfix.engine`: it keeps the open documents, decides
when to check them, and converts findings, fixes and positions. Checks run on one worker
thread, never on the event loop, so the server answers while a check runs.

Scheduling. A change marks its document dirty; if no check of it is running, one starts at
once, otherwise the running one finishes and a single new check of the newest text follows
(edits typed meanwhile are coalesced, stale versions are never checked). Code actions, hover
and pulled diagnostics wait for the analysis of the current version and then read from it:
findings carry their fixes as edits, so none of them checks again.
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import inspect
import json
import logging
import time
from collections.abc import Callable, Generator, Mapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar

from cattrs import Converter
from lsprotocol import types
from pygls.exceptions import JsonRpcException, JsonRpcInvalidParams
from pygls.lsp.server import LanguageServer
from pygls.protocol import LanguageServerProtocol, lsp_method

from dockerfix.diagnostics import Safety
from dockerfix.engine import Memo
from dockerfix.files import read_dockerignore
from dockerfix_lsp import __version__
from dockerfix_lsp.code_actions import (
    FIX_ALL,
    QUICKFIX,
    Edits,
    fix_all_action,
    minimal_edits,
    quick_fixes,
    wanted,
)
from dockerfix_lsp.diagnostics import PARSE_ERROR, Analysis, Request, analyze
from dockerfix_lsp.documents import Document, Documents
from dockerfix_lsp.hover import hover
from dockerfix_lsp.settings import (
    SECTION,
    ClientSettings,
    ProjectConfigs,
    ProjectSettings,
    merge,
    parse_client_settings,
    unwrap,
)

logger = logging.getLogger(__name__)

APPLY_FIX_ALL = "dockerfix.applyFixAll"
CONFIG_FILES = ("pyproject.toml", "dockerfix.toml", ".dockerfix.toml")
# How long the first check waits for the client's workspace/configuration answer.
SETTINGS_TIMEOUT = 2.0

# How many times a request waits for a newer analysis before it answers with what it has.
MAX_WAITS = 50

T = TypeVar("T")


class _Malformed:
    """A message whose params did not match the LSP types; already answered."""


MALFORMED = _Malformed()


class RawResult:
    """A request's result that is JSON text already (see `DockerfixProtocol.send_json`)."""

    def __init__(self, json_text: str) -> None:
        self.json = json_text


class DockerfixProtocol(LanguageServerProtocol):
    """pygls' protocol, with the server's own documents, UTF-16 positions, and an error answer
    (instead of silence) to a request whose params are malformed."""

    _server: DockerfixServer
    _include_headers: bool

    def __init__(self, server: DockerfixServer, converter: Converter) -> None:
        super().__init__(server, converter)
        self._writes: set[asyncio.Future[Any]] = set()

    @lsp_method(types.INITIALIZE)
    def lsp_initialize(
        self, params: types.InitializeParams
    ) -> Generator[Any, Any, types.InitializeResult]:
        # Positions are always UTF-16 (LSP's default, which every client supports).
        general = params.capabilities.general
        if general is not None and general.position_encodings is not None:
            general.position_encodings = [types.PositionEncodingKind.Utf16]
        result = yield from super().lsp_initialize(params)
        return result

    def _only_the_servers_handler(self, method: str, params: object) -> Generator[Any, Any, None]:
        """The server's own feature, without pygls' workspace bookkeeping for documents (the
        server keeps its documents itself)."""
        if (handler := self.fm.features.get(method)) is not None:
            yield handler, (params,), None

    @lsp_method(types.TEXT_DOCUMENT_DID_OPEN)
    def lsp_text_document__did_open(
        self, params: types.DidOpenTextDocumentParams
    ) -> Generator[Any, Any, None]:
        yield from self._only_the_servers_handler(types.TEXT_DOCUMENT_DID_OPEN, params)

    @lsp_method(types.TEXT_DOCUMENT_DID_CHANGE)
    def lsp_text_document__did_change(
        self, params: types.DidChangeTextDocumentParams
    ) -> Generator[Any, Any, None]:
        yield from self._only_the_servers_handler(types.TEXT_DOCUMENT_DID_CHANGE, params)

    @lsp_method(types.TEXT_DOCUMENT_DID_CLOSE)
    def lsp_text_document__did_close(
        self, params: types.DidCloseTextDocumentParams
    ) -> Generator[Any, Any, None]:
        yield from self._only_the_servers_handler(types.TEXT_DOCUMENT_DID_CLOSE, params)

    def structure_message(self, data: dict[str, Any]) -> Any:
        try:
            return super().structure_message(data)
        except JsonRpcException as error:
            method = data.get("method")
            if "id" in data and method is not None:
                logger.warning("malformed params for %s (request %s)", method, data["id"])
                failure = JsonRpcInvalidParams(f"Invalid params for {method}")
                self._send_response(data["id"], error=failure.to_response_error())
            else:
                logger.warning("ignored a malformed %s notification", method or "message")
            del error
            return MALFORMED

    def handle_message(self, message: Any) -> None:
        if message is MALFORMED:
            return
        super().handle_message(message)

    @property
    def shut_down(self) -> bool:
        """Whether the client sent `shutdown` (then `exit` is a clean exit)."""
        return bool(self._shutdown)

    def send_json(self, body: str) -> None:
        """Send a message that is JSON text already. Diagnostics are serialized once, on the
        check thread: for hundreds of findings, lsprotocol objects and cattrs would cost more
        than the check."""
        if self.writer is None:
            logger.error("cannot send: no transport")
            return
        payload = body.encode(self.CHARSET)
        if self._include_headers:
            header = (
                f"Content-Length: {len(payload)}\r\n"
                f"Content-Type: {self.CONTENT_TYPE}; charset={self.CHARSET}\r\n\r\n"
            )
            payload = header.encode(self.CHARSET) + payload
        result = self.writer.write(payload)
        if inspect.isawaitable(result):  # a websocket
            task = asyncio.ensure_future(result)
            self._writes.add(task)
            task.add_done_callback(self._writes.discard)

    def notify_json(self, method: str, params_json: str) -> None:
        self.send_json(f'{{"jsonrpc":"2.0","method":{json.dumps(method)},"params":{params_json}}}')

    def _send_response(
        self, msg_id: Any, result: Any | None = None, error: Any | None = None
    ) -> None:
        if error is None and isinstance(result, RawResult):
            self._result_types.pop(msg_id, None)
            self.send_json(f'{{"jsonrpc":"2.0","id":{json.dumps(msg_id)},"result":{result.json}}}')
            return
        super()._send_response(msg_id, result, error)


class ClientLogHandler(logging.Handler):
    """Forwards the server's warnings and errors to the client (window/logMessage)."""

    def __init__(self, server: LanguageServer) -> None:
        super().__init__(logging.WARNING)
        self.server = server
        self.loop: asyncio.AbstractEventLoop | None = None

    def emit(self, record: logging.LogRecord) -> None:
        loop = self.loop
        if loop is None or loop.is_closed():
            return
        kind = (
            types.MessageType.Error
            if record.levelno >= logging.ERROR
            else types.MessageType.Warning
        )
        params = types.LogMessageParams(type=kind, message=f"dockerfix: {record.getMessage()}")
        with contextlib.suppress(RuntimeError):  # the loop is closing
            loop.call_soon_threadsafe(self.server.window_log_message, params)


@dataclass
class _State:
    """The scheduling state of one open document."""

    dirty: bool = False
    task: asyncio.Task[None] | None = None
    analysis: Analysis | None = None
    ran: asyncio.Future[None] | None = None
    # The findings of each group of stages, for checking the next version (only the
    # worker thread, one check at a time per document, uses it).
    memo: Memo = field(default_factory=Memo)


@dataclass
class _Capabilities:
    pull: bool = False
    refresh: bool = False
    configuration: bool = False
    versioned_edits: bool = False
    resolve_edit: bool = False
    markdown: bool = True
    config_registration: bool = False
    watch_registration: bool = False


@dataclass
class _Settings:
    initialization: Mapping[str, Any] = field(default_factory=dict)
    workspace: Mapping[str, Any] = field(default_factory=dict)
    client: ClientSettings = field(default_factory=ClientSettings)


class DockerfixServer(LanguageServer):
    protocol: DockerfixProtocol

    def __init__(self, debounce: float = 0.0) -> None:
        super().__init__(
            "dockerfix-lsp",
            __version__,
            text_document_sync_kind=types.TextDocumentSyncKind.Incremental,
            protocol_cls=DockerfixProtocol,
        )
        self.debounce = debounce
        self.documents = Documents()
        self.projects = ProjectConfigs()
        self.capabilities = _Capabilities()
        self.settings = _Settings()
        self.generation = 0  # bumped whenever settings may have changed
        self.settings_ready: asyncio.Event | None = None
        self._states: dict[str, _State] = {}
        self._serial = 0
        self._executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="dockerfix-check")
        self._shown_errors: set[str] = set()
        self.log_handler = ClientLogHandler(self)
        self._dockerignores: dict[Path, tuple[tuple[tuple[int, int], ...], str | None]] = {}

    # -- errors and logging ----------------------------------------------------------------

    def report_server_error(self, error: Exception, source: Any) -> None:
        """Log pygls' errors; the client already got an error answer to a failed request."""
        logger.error("server error (%s): %s", getattr(source, "__name__", source), error)

    # -- settings --------------------------------------------------------------------------

    def set_settings(
        self,
        *,
        initialization: object = None,
        workspace: object = None,
    ) -> None:
        if initialization is not None:
            raw = unwrap(initialization)
            self.settings.initialization = raw if isinstance(raw, Mapping) else {}
        if workspace is not None:
            raw = unwrap(workspace)
            self.settings.workspace = raw if isinstance(raw, Mapping) else {}
        combined = {**self.settings.initialization}
        combined.update({k: v for k, v in self.settings.workspace.items() if v is not None})
        client = parse_client_settings(combined)
        logger.debug("settings: %s", client)
        for problem in client.problems:
            logger.warning("dockerfix settings: %s", problem)
        self.settings.client = client
        self.generation += 1

    async def fetch_workspace_settings(self) -> None:
        """Ask the client for the `dockerfix` section (workspace/configuration)."""
        if not self.capabilities.configuration:
            return
        try:
            result = await asyncio.wait_for(
                self.workspace_configuration_async(
                    types.ConfigurationParams(items=[types.ConfigurationItem(section=SECTION)])
                ),
                timeout=SETTINGS_TIMEOUT * 5,
            )
        except Exception as error:
            logger.warning("workspace/configuration failed: %s", error)
            return
        logger.debug("workspace/configuration: %r", result)
        value = result[0] if isinstance(result, list | tuple) and result else None
        self.set_settings(workspace=value if value is not None else {})

    def settings_changed(self) -> None:
        """Re-check every open document; ask pull clients to pull again."""
        self.projects.clear()
        self._dockerignores.clear()
        for document in self.documents:
            self.schedule(document)
        if self.capabilities.pull and self.capabilities.refresh:
            self.workspace_diagnostic_refresh(None)

    # -- scheduling ------------------------------------------------------------------------

    def schedule(self, document: Document) -> None:
        """Mark the document dirty and make sure a check of its newest text will run."""
        if not document.is_dockerfile:
            return
        state = self._states.setdefault(document.uri, _State())
        state.dirty = True
        if state.task is None or state.task.done():
            state.task = asyncio.ensure_future(self._run(document.uri))

    def forget(self, uri: str) -> None:
        state = self._states.pop(uri, None)
        if state is None:
            return
        if state.task is not None:
            state.task.cancel()
        if state.ran is not None and not state.ran.done():
            state.ran.set_result(None)

    async def _run(self, uri: str) -> None:
        try:
            await self._check_loop(uri)
        except asyncio.CancelledError:
            raise
        except Exception:
            logger.exception("checking %s failed", uri)
        finally:
            # Whatever happened, nobody waits forever (waiters look again and give up).
            state = self._states.get(uri)
            if state is not None and state.ran is not None and not state.ran.done():
                state.ran.set_result(None)

    async def _check_loop(self, uri: str) -> None:
        if self.debounce:
            await asyncio.sleep(self.debounce)
        if self.settings_ready is not None and not self.settings_ready.is_set():
            try:
                await asyncio.wait_for(self.settings_ready.wait(), SETTINGS_TIMEOUT)
            except TimeoutError:
                logger.warning("no workspace/configuration answer: checking with defaults")
                self.settings_ready.set()
        loop = asyncio.get_running_loop()
        while True:
            state = self._states.get(uri)
            document = self.documents.get(uri)
            if state is None or document is None or not state.dirty:
                return
            state.dirty = False
            previous = state.analysis
            job = self._job(document, previous, state.memo)
            analysis = await loop.run_in_executor(self._executor, job)
            if self._states.get(uri) is not state:
                return  # closed meanwhile
            state.analysis = analysis
            self._after_analysis(analysis, previous)
            if not state.dirty:
                if not self.capabilities.pull:
                    self._publish(analysis)
                if state.ran is not None and not state.ran.done():
                    state.ran.set_result(None)
                state.ran = None

    def _job(
        self, document: Document, previous: Analysis | None, memo: Memo
    ) -> Callable[[], Analysis]:
        """The analysis to run on the worker thread for the document as it is now."""
        uri, version, text, path = document.uri, document.version, document.text, document.path
        client, generation = self.settings.client, self.generation

        def job() -> Analysis:
            try:
                project = self.projects.for_document(path)
                config = merge(project.settings, client, path)
                dockerignore = self._dockerignore(path)
            except Exception:  # the files beside the document; check it without them
                logger.exception("reading the settings for %s failed", uri)
                project, config, dockerignore = (
                    ProjectSettings(None),
                    merge(None, client, None),
                    None,
                )
            request = Request(uri, version, text, config, generation, dockerignore, path)
            if (
                previous is not None
                and previous.text == text
                and previous.config == config
                and previous.request.dockerignore == dockerignore
            ):
                analysis = dataclasses.replace(previous, request=request)
            else:
                analysis = analyze(request, memo, previous)
                self._serial += 1
                analysis.serial = self._serial
            analysis.config_error = project.error
            return analysis

        return job

    def _dockerignore(self, path: Path | None) -> str | None:
        """The .dockerignore beside the Dockerfile, re-read when it changes on disk."""
        if path is None:
            return None
        stamps = []
        for name in (f"{path.name}.dockerignore", ".dockerignore"):
            try:
                stat = (path.parent / name).stat()
                stamps.append((stat.st_mtime_ns, stat.st_size))
            except OSError:
                stamps.append((0, -1))
        stamp = tuple(stamps)
        cached = self._dockerignores.get(path)
        if cached is not None and cached[0] == stamp:
            return cached[1]
        text = read_dockerignore(path)
        self._dockerignores[path] = (stamp, text)
        return text

    def _after_analysis(self, analysis: Analysis, previous: Analysis | None) -> None:
        if analysis.problem and (previous is None or previous.problem != analysis.problem):
            # Parse errors come and go while typing; the others deserve a look.
            level = logging.INFO if analysis.problem_code == PARSE_ERROR else logging.WARNING
            logger.log(level, "%s: %s", analysis.request.uri, analysis.problem)
        error = analysis.config_error
        if error and error not in self._shown_errors:
            self._shown_errors.add(error)
            self.window_show_message(
                types.ShowMessageParams(
                    type=types.MessageType.Warning,
                    message=f"dockerfix: {error} (using the editor's settings and the defaults)",
                )
            )

    def _publish(self, analysis: Analysis) -> None:
        uri = json.dumps(analysis.request.uri)
        self.protocol.notify_json(
            types.TEXT_DOCUMENT_PUBLISH_DIAGNOSTICS,
            f'{{"uri":{uri},"version":{analysis.version},"diagnostics":{analysis.diagnostics_json}}}',
        )
        document = self.documents.get(analysis.request.uri)
        if document is not None and logger.isEnabledFor(logging.DEBUG):
            since = time.perf_counter() - document.changed_at
            logger.debug("published v%d, %.1f ms after its change", analysis.version, since * 1e3)

    async def current(self, uri: str) -> Analysis | None:
        """The analysis of the document's current version (waits for it if needed); None for
        unknown documents and documents that are not Dockerfiles."""
        for attempt in range(MAX_WAITS):
            document = self.documents.get(uri)
            if document is None:
                logger.warning("request for a document that is not open: %s", uri)
                return None
            if not document.is_dockerfile:
                return None
            state = self._states.setdefault(uri, _State())
            analysis = state.analysis
            if (
                analysis is not None
                and analysis.version == document.version
                and analysis.request.generation == self.generation
                and analysis.text == document.text
            ):
                return analysis
            if state.task is None or state.task.done():
                self.schedule(document)
            if state.ran is None or state.ran.done():
                state.ran = asyncio.get_running_loop().create_future()
            await asyncio.shield(state.ran)
            if attempt == MAX_WAITS - 1:
                logger.error("no analysis of %s: answering from the last one", uri)
                return state.analysis
        return None

    async def in_worker(self, function: Callable[[], T]) -> T:
        """Run engine work (a fix) on the check thread."""
        return await asyncio.get_running_loop().run_in_executor(self._executor, function)

    async def fix_all_text(self, analysis: Analysis) -> str | None:
        if not has_fixes(analysis, unsafe=analysis.config.unsafe_fixes):
            return None
        result = await self.in_worker(analysis.fix_all)
        return result.text if result is not None else None

    def edits_for(self, analysis: Analysis) -> Edits:
        return Edits(analysis.request.uri, analysis.version, self.capabilities.versioned_edits)

    def shutdown(self) -> None:
        logging.getLogger("dockerfix_lsp").removeHandler(self.log_handler)
        self._executor.shutdown(wait=False, cancel_futures=True)
        super().shutdown()  # type: ignore[no-untyped-call]


def has_fixes(analysis: Analysis, *, unsafe: bool) -> bool:
    return any(
        finding.fix is not None and (unsafe or finding.fix.safety is Safety.SAFE)
        for finding in analysis.findings
    )


def _read_capabilities(params: types.InitializeParams) -> _Capabilities:
    capabilities = params.capabilities
    text = capabilities.text_document
    workspace = capabilities.workspace
    found = _Capabilities()
    found.pull = text is not None and text.diagnostic is not None
    if workspace is not None:
        found.configuration = bool(workspace.configuration)
        found.refresh = bool(workspace.diagnostics and workspace.diagnostics.refresh_support)
        found.versioned_edits = bool(
            workspace.workspace_edit and workspace.workspace_edit.document_changes
        )
        found.config_registration = bool(
            workspace.did_change_configuration
            and workspace.did_change_configuration.dynamic_registration
        )
        found.watch_registration = bool(
            workspace.did_change_watched_files
            and workspace.did_change_watched_files.dynamic_registration
        )
    if text is not None:
        action = text.code_action
        found.resolve_edit = bool(
            action and action.resolve_support and "edit" in action.resolve_support.properties
        )
        hover_capability = text.hover
        if hover_capability is not None and hover_capability.content_format:
            found.markdown = types.MarkupKind.Markdown in hover_capability.content_format
    return found


def _uri_argument(arguments: tuple[Any, ...]) -> str | None:
    """`dockerfix.applyFixAll`'s argument: a URI, or an object with a `uri`."""
    if not arguments:
        return None
    first = arguments[0]
    if isinstance(first, str):
        return first
    if isinstance(first, Mapping):
        uri = first.get("uri")
        if isinstance(uri, str):
            return uri
        document = first.get("textDocument")
        if isinstance(document, Mapping) and isinstance(document.get("uri"), str):
            return str(document["uri"])
    return None


def create_server(debounce: float = 0.0) -> DockerfixServer:
    server = DockerfixServer(debounce)

    @server.feature(types.INITIALIZE)
    def initialize(params: types.InitializeParams) -> None:
        server.log_handler.loop = asyncio.get_running_loop()
        logging.getLogger("dockerfix_lsp").addHandler(server.log_handler)
        server.capabilities = _read_capabilities(params)
        server.set_settings(initialization=params.initialization_options or {})
        if server.capabilities.configuration:
            server.settings_ready = asyncio.Event()
        logger.info("initialized: %s diagnostics", "pull" if server.capabilities.pull else "push")

    @server.feature(types.INITIALIZED)
    async def initialized(params: types.InitializedParams) -> None:
        registrations = []
        if server.capabilities.config_registration:
            registrations.append(
                types.Registration(
                    id="dockerfix-configuration",
                    method=types.WORKSPACE_DID_CHANGE_CONFIGURATION,
                    register_options=types.DidChangeConfigurationRegistrationOptions(
                        section=SECTION
                    ),
                )
            )
        if server.capabilities.watch_registration:
            globs = [*CONFIG_FILES, ".dockerignore", "*.dockerignore"]
            registrations.append(
                types.Registration(
                    id="dockerfix-config-files",
                    method=types.WORKSPACE_DID_CHANGE_WATCHED_FILES,
                    register_options=types.DidChangeWatchedFilesRegistrationOptions(
                        watchers=[types.FileSystemWatcher(glob_pattern=f"**/{g}") for g in globs]
                    ),
                )
            )
        if registrations:
            try:
                await server.client_register_capability_async(
                    types.RegistrationParams(registrations=registrations)
                )
            except Exception as error:
                logger.warning("client/registerCapability failed: %s", error)
        before = server.settings.client
        try:
            await server.fetch_workspace_settings()
        finally:
            if server.settings_ready is not None:
                server.settings_ready.set()
        if server.settings.client != before and len(server.documents):
            server.settings_changed()  # documents checked before the answer came

    @server.feature(types.TEXT_DOCUMENT_DID_OPEN)
    def did_open(params: types.DidOpenTextDocumentParams) -> None:
        document = server.documents.open(params.text_document)
        server.forget(document.uri)
        server.schedule(document)

    @server.feature(types.TEXT_DOCUMENT_DID_CHANGE)
    def did_change(params: types.DidChangeTextDocumentParams) -> None:
        uri = params.text_document.uri
        document = server.documents.get(uri)
        if document is None:
            logger.warning("didChange for a document that is not open: %s", uri)
            return
        for change in params.content_changes:
            document.apply(change)
        document.version = params.text_document.version
        document.changed_at = time.perf_counter()
        server.schedule(document)

    @server.feature(types.TEXT_DOCUMENT_DID_SAVE)
    def did_save(params: types.DidSaveTextDocumentParams) -> None:
        document = server.documents.get(params.text_document.uri)
        if document is None:
            return
        if params.text is not None and params.text != document.text:
            document.text = params.text
        server.schedule(document)

    @server.feature(types.TEXT_DOCUMENT_DID_CLOSE)
    def did_close(params: types.DidCloseTextDocumentParams) -> None:
        document = server.documents.close(params.text_document.uri)
        server.forget(params.text_document.uri)
        if document is not None and document.is_dockerfile and not server.capabilities.pull:
            server.text_document_publish_diagnostics(
                types.PublishDiagnosticsParams(uri=document.uri, diagnostics=[])
            )

    @server.feature(types.WORKSPACE_DID_CHANGE_CONFIGURATION)
    async def did_change_configuration(params: types.DidChangeConfigurationParams) -> None:
        pushed = params.settings
        if isinstance(pushed, Mapping) and isinstance(pushed.get(SECTION), Mapping):
            server.set_settings(workspace=pushed[SECTION])
        elif server.capabilities.configuration:
            await server.fetch_workspace_settings()
        else:
            server.set_settings(workspace=pushed if isinstance(pushed, Mapping) else {})
        server.settings_changed()

    @server.feature(types.WORKSPACE_DID_CHANGE_WATCHED_FILES)
    def did_change_watched_files(params: types.DidChangeWatchedFilesParams) -> None:
        server.generation += 1
        server.settings_changed()

    @server.feature(
        types.TEXT_DOCUMENT_DIAGNOSTIC,
        types.DiagnosticOptions(
            identifier="dockerfix", inter_file_dependencies=False, workspace_diagnostics=False
        ),
    )
    async def diagnostic(
        params: types.DocumentDiagnosticParams,
    ) -> types.DocumentDiagnosticReport | RawResult:
        analysis = await server.current(params.text_document.uri)
        if analysis is None:
            return types.RelatedFullDocumentDiagnosticReport(items=[])
        result_id = f"{analysis.serial}"
        if params.previous_result_id == result_id:
            return types.RelatedUnchangedDocumentDiagnosticReport(result_id=result_id)
        return RawResult(
            f'{{"kind":"full","resultId":"{result_id}","items":{analysis.diagnostics_json}}}'
        )

    @server.feature(
        types.TEXT_DOCUMENT_CODE_ACTION,
        types.CodeActionOptions(
            code_action_kinds=[types.CodeActionKind.QuickFix, FIX_ALL],
            resolve_provider=True,
        ),
    )
    async def code_action(params: types.CodeActionParams) -> list[types.CodeAction] | None:
        analysis = await server.current(params.text_document.uri)
        if analysis is None:
            return None
        only = params.context.only
        edits = server.edits_for(analysis)
        actions: list[types.CodeAction] = []
        if wanted(QUICKFIX, only):
            actions.extend(quick_fixes(analysis, params.range, edits))
        if wanted(FIX_ALL, only) and has_fixes(analysis, unsafe=analysis.config.unsafe_fixes):
            lazy = only is None and server.capabilities.resolve_edit
            if lazy:
                action = types.CodeAction(
                    title="dockerfix: fix all auto-fixable problems",
                    kind=FIX_ALL,
                    data={"uri": analysis.request.uri, "version": analysis.version},
                )
                actions.append(action)
            else:
                fixed = await server.fix_all_text(analysis)
                fix_all = fix_all_action(analysis, fixed, edits)
                if fix_all is not None:
                    actions.append(fix_all)
        return actions

    @server.feature(types.CODE_ACTION_RESOLVE)
    async def resolve_code_action(action: types.CodeAction) -> types.CodeAction:
        data = action.data
        if action.kind != FIX_ALL or not isinstance(data, Mapping) or "uri" not in data:
            return action
        analysis = await server.current(str(data["uri"]))
        if analysis is None:
            return action
        fixed = await server.fix_all_text(analysis)
        resolved = fix_all_action(analysis, fixed, server.edits_for(analysis))
        if resolved is not None:
            action.edit = resolved.edit
        return action

    @server.feature(types.TEXT_DOCUMENT_HOVER)
    async def on_hover(params: types.HoverParams) -> types.Hover | None:
        analysis = await server.current(params.text_document.uri)
        if analysis is None:
            return None
        return hover(analysis, params.position, server.capabilities.markdown)

    @server.command(APPLY_FIX_ALL)
    async def apply_fix_all(*arguments: Any) -> bool:
        uri = _uri_argument(arguments)
        if uri is None:
            raise JsonRpcInvalidParams(f"{APPLY_FIX_ALL} takes the document URI")
        analysis = await server.current(uri)
        if analysis is None:
            return False
        fixed = await server.fix_all_text(analysis)
        if fixed is None or fixed == analysis.text:
            return False
        edit = server.edits_for(analysis).workspace_edit(
            minimal_edits(analysis.text, fixed, analysis.index)
        )
        result = await server.workspace_apply_edit_async(
            types.ApplyWorkspaceEditParams(edit=edit, label="dockerfix: fix all")
        )
        return bool(result and result.applied)

    @server.feature(types.SHUTDOWN)
    def on_shutdown(params: None) -> None:
        for uri in list(server._states):
            server.forget(uri)

    return server
