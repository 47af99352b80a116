"""The language server: pygls features wired to ``Analysis`` (one per document version).

The work runs on one worker thread (``worker.py``), so reading messages never waits for a check.
A change makes a new ``Analysis`` the document's current one and queues its check; a queued check
whose analysis is no longer current is skipped, and diagnostics are published only while their
analysis is still current, so stale results never overwrite newer ones. Requests for the same
version (code actions, pull diagnostics, formatting, resolve) reuse that analysis; after its
diagnostics the fixed text is computed in the background, so format-on-save finds it ready, and
a request a user waits for jumps ahead of background work.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from lsprotocol import types
from pygls.exceptions import JsonRpcContentModified, JsonRpcInvalidParams
from pygls.lsp.server import LanguageServer
from pygls.uris import to_fs_path

from .. import __version__
from ..core.config import ConfigError
from .actions import FIX_ALL_KIND, Plan, offered, plan_changes, title
from .analysis import Analysis, Subject
from .settings import DocumentSettings, EditorSettings
from .text import Change, changes, text_edits
from .worker import Priority, Worker

logger = logging.getLogger("dockopt.lsp")

WATCHED = ("**/dockopt.toml", "**/.dockopt.toml", "**/pyproject.toml", "**/.dockerignore")
CHECK_GRACE = 0.002  # seconds between a change and the start of its check
WARM_AFTER = 0.15  # seconds without a change before the fixed text is computed in the background
CODE_ACTION_KINDS = [types.CodeActionKind.QuickFix, types.CodeActionKind.SourceFixAll, FIX_ALL_KIND]


class DockoptServer(LanguageServer):
    def __init__(self) -> None:
        super().__init__(
            "dockopt", __version__, text_document_sync_kind=types.TextDocumentSyncKind.Incremental
        )
        self.init_options: Any = None
        self.editor = EditorSettings()
        self.settings = DocumentSettings(self.editor)
        self.generation = 0  # bumped when settings or config files change
        self.analyses: dict[str, Analysis] = {}  # uri -> analysis of the newest version
        self.worker = Worker()
        self.tasks: set[asyncio.Future[Any]] = set()

    # -- client capabilities ---------------------------------------------------------------------

    def _capability(self, path: str, default: Any = None) -> Any:
        value: Any = self.client_capabilities
        for part in path.split("."):
            value = getattr(value, part, None)
            if value is None:
                return default
        return value

    @property
    def pull(self) -> bool:
        """Whether the client pulls diagnostics (then the server does not push them)."""
        return self._capability("text_document.diagnostic") is not None

    @property
    def resolve_edits(self) -> bool:
        return "edit" in (self._capability("text_document.code_action.resolve_support.properties", []) or [])

    @property
    def encoding(self) -> str:
        encoding = self.workspace.position_encoding or "utf-16"
        return str(getattr(encoding, "value", encoding))

    # -- analyses --------------------------------------------------------------------------------

    def subject(self, uri: str) -> Subject:
        """A snapshot of the document now, with its settings (read on the event loop thread)."""
        document = self.workspace.get_text_document(uri)
        fs_path = to_fs_path(uri) if uri.startswith("file:") else None
        path = Path(fs_path) if fs_path else None
        problem = None
        try:
            settings = self.settings.for_path(path)
        except ConfigError as exc:
            settings, problem = None, str(exc)
        return Subject(
            uri=uri,
            version=document.version,
            text=document.source,
            path=path,
            settings=settings,
            context_dir=self.settings.context_dir(path),
            generation=self.generation,
            problem=problem,
            docs_url=self.editor.docs_url,
        )

    def analysis(self, uri: str) -> Analysis:
        """The analysis of the document as it is now: the kept one when nothing changed (text,
        version, settings), else a new one, which becomes the kept one. Event loop thread only."""
        subject = self.subject(uri)
        kept = self.analyses.get(uri)
        if (
            kept is not None
            and kept.version == subject.version
            and kept.subject.generation == subject.generation
            and kept.text == subject.text
        ):
            return kept
        analysis = Analysis(subject, self.encoding)
        self.analyses[uri] = analysis
        return analysis

    def stale(self, analysis: Analysis) -> bool:
        """Whether a newer version (or newer settings) replaced this analysis."""
        return self.analyses.get(analysis.subject.uri) is not analysis

    async def current(self, uri: str) -> Analysis:
        """The checked analysis of the document as it is now (checked on the worker if need be)."""
        analysis = self.analysis(uri)
        if not analysis.checked:
            await self.worker.run(Priority.REQUEST, analysis.check)
        return analysis

    def changed(self, uri: str) -> None:
        """A document opened, changed or was saved: check its newest version in the background."""
        self._spawn(self._refresh(self.analysis(uri)))

    def _spawn(self, coroutine: Any) -> None:
        task = asyncio.ensure_future(coroutine)
        self.tasks.add(task)
        task.add_done_callback(self.tasks.discard)

    async def _refresh(self, analysis: Analysis) -> None:
        # A request sent with the change (format-on-save sends both at once) is read first and,
        # being what the user waits for, runs before this check.
        await asyncio.sleep(CHECK_GRACE)
        if self.stale(analysis):
            return
        await self.worker.run(Priority.CHECK, lambda: None if self.stale(analysis) else analysis.check())
        if self.stale(analysis) or not analysis.checked:
            return  # a newer version is on its way
        self.report(analysis)
        if not self.pull:
            self.text_document_publish_diagnostics(
                types.PublishDiagnosticsParams(
                    uri=analysis.subject.uri, version=analysis.version, diagnostics=analysis.diagnostics()
                )
            )
        # Have the fixed text ready for format-on-save once typing pauses (a fix loop started
        # between two keystrokes could not be stopped, and the next check would wait for it).
        await asyncio.sleep(WARM_AFTER)
        if not self.stale(analysis):
            self.worker.submit(Priority.WARM, lambda: None if self.stale(analysis) else analysis.output())

    def report(self, analysis: Analysis) -> None:
        """Tell the editor's log about an internal error (each once)."""
        for error in (analysis.internal_error, analysis.fix_error):
            if error and error not in analysis.reported:
                analysis.reported.add(error)
                self.window_log_message(
                    types.LogMessageParams(
                        type=types.MessageType.Error,
                        message=f"dockopt: internal error on {analysis.subject.uri} (version {analysis.version}): "
                        f"{error}. Please report this as a dockopt bug.",
                    )
                )

    def refresh_all(self) -> None:
        """Settings or config files changed: check every open document again."""
        for uri in list(self.workspace.text_documents):
            self.changed(uri)
        if self.pull and self._capability("workspace.diagnostics.refresh_support", False):
            self._spawn(self._diagnostic_refresh())

    async def _diagnostic_refresh(self) -> None:
        try:
            await self.workspace_diagnostic_refresh_async(None)
        except Exception as exc:  # noqa: BLE001 - a client that cannot refresh is not our failure
            logger.info("workspace/diagnostic/refresh failed: %s", exc)

    # -- settings --------------------------------------------------------------------------------

    def use_settings(self, raw: Any) -> None:
        """Take the editor's settings (initializationOptions, then workspace/configuration on top)."""
        merged: dict[str, Any] = {}
        for layer in (self.init_options, raw):
            if isinstance(layer, dict):
                layer = layer.get("dockopt", layer) if isinstance(layer.get("dockopt"), dict) else layer
                merged.update(layer)
        editor = EditorSettings.parse(merged)
        if editor == self.editor and self.generation:
            return
        root = self.workspace.root_path
        self.editor = editor
        self.settings = DocumentSettings(editor, Path(root) if root else None)
        self.generation += 1
        for problem in (*editor.problems, *([self.settings.problem] if self.settings.problem else [])):
            self.window_show_message(
                types.ShowMessageParams(type=types.MessageType.Warning, message=f"dockopt: {problem}")
            )

    async def pull_configuration(self) -> None:
        if not self._capability("workspace.configuration", False):
            return
        try:
            result = await self.workspace_configuration_async(
                types.ConfigurationParams(items=[types.ConfigurationItem(section="dockopt")])
            )
        except Exception as exc:  # noqa: BLE001
            logger.info("workspace/configuration failed: %s", exc)
            return
        self.use_settings(result[0] if result else None)

    # -- edits -----------------------------------------------------------------------------------

    def workspace_edit(self, analysis: Analysis, edits: list[Change]) -> types.WorkspaceEdit:
        text_edits_ = text_edits(analysis.index, edits)
        uri = analysis.subject.uri
        if self._capability("workspace.workspace_edit.document_changes", False):
            identifier = types.OptionalVersionedTextDocumentIdentifier(uri=uri, version=analysis.version)
            return types.WorkspaceEdit(
                document_changes=[types.TextDocumentEdit(text_document=identifier, edits=text_edits_)]
            )
        return types.WorkspaceEdit(changes={uri: text_edits_})

    def action(
        self, analysis: Analysis, plan: Plan, diagnostic: types.Diagnostic | None
    ) -> types.CodeAction | None:
        finding = analysis.findings[plan.index] if plan.kind != "fix-all" else None
        kind = FIX_ALL_KIND if plan.kind == "fix-all" else types.CodeActionKind.QuickFix
        action = types.CodeAction(
            title=title(plan, finding),
            kind=kind,
            diagnostics=[diagnostic] if diagnostic else None,
            is_preferred=True
            if plan.kind == "fix" and finding and finding.applicability.value == "safe"
            else None,
            data=plan.to_data(analysis.subject.uri, analysis.version),
        )
        if self.resolve_edits:
            return action
        found = plan_changes(analysis, plan)
        if not found:
            return None
        action.edit = self.workspace_edit(analysis, found)
        return action


server = DockoptServer()


def _wants(only: Sequence[str] | None, kind: str) -> bool:
    return only is None or any(kind == wanted or kind.startswith(wanted + ".") for wanted in only)


@server.feature(types.INITIALIZE)
def initialize(ls: DockoptServer, params: types.InitializeParams) -> None:
    ls.init_options = params.initialization_options
    ls.use_settings(None)


@server.feature(types.INITIALIZED)
async def initialized(ls: DockoptServer, params: types.InitializedParams) -> None:
    if ls._capability("workspace.did_change_watched_files.dynamic_registration", False):
        options = types.DidChangeWatchedFilesRegistrationOptions(
            watchers=[types.FileSystemWatcher(glob_pattern=glob) for glob in WATCHED]
        )
        registration = types.Registration(
            id="dockopt-config-files",
            method=types.WORKSPACE_DID_CHANGE_WATCHED_FILES,
            register_options=options,
        )
        try:
            await ls.client_register_capability_async(types.RegistrationParams(registrations=[registration]))
        except Exception as exc:  # noqa: BLE001
            logger.info("client/registerCapability failed: %s", exc)
    before = ls.generation
    await ls.pull_configuration()
    if ls.generation != before:
        ls.refresh_all()


@server.feature(types.TEXT_DOCUMENT_DID_OPEN)
def did_open(ls: DockoptServer, params: types.DidOpenTextDocumentParams) -> None:
    ls.changed(params.text_document.uri)


@server.feature(types.TEXT_DOCUMENT_DID_CHANGE)
def did_change(ls: DockoptServer, params: types.DidChangeTextDocumentParams) -> None:
    ls.changed(params.text_document.uri)


@server.feature(types.TEXT_DOCUMENT_DID_SAVE)
def did_save(ls: DockoptServer, params: types.DidSaveTextDocumentParams) -> None:
    ls.changed(params.text_document.uri)


@server.feature(types.TEXT_DOCUMENT_DID_CLOSE)
def did_close(ls: DockoptServer, params: types.DidCloseTextDocumentParams) -> None:
    uri = params.text_document.uri
    ls.analyses.pop(uri, None)
    if not ls.pull:
        ls.text_document_publish_diagnostics(types.PublishDiagnosticsParams(uri=uri, diagnostics=[]))


@server.feature(types.WORKSPACE_DID_CHANGE_WATCHED_FILES)
def did_change_watched_files(ls: DockoptServer, params: types.DidChangeWatchedFilesParams) -> None:
    logger.info("files changed: %s", ", ".join(change.uri for change in params.changes))
    ls.settings.forget()
    ls.generation += 1
    ls.refresh_all()


@server.feature(types.WORKSPACE_DID_CHANGE_CONFIGURATION)
async def did_change_configuration(ls: DockoptServer, params: types.DidChangeConfigurationParams) -> None:
    if ls._capability("workspace.configuration", False):
        await ls.pull_configuration()
    else:
        ls.use_settings(params.settings)
    ls.refresh_all()


@server.feature(
    types.TEXT_DOCUMENT_DIAGNOSTIC,
    types.DiagnosticOptions(identifier="dockopt", inter_file_dependencies=False, workspace_diagnostics=False),
)
async def diagnostic(
    ls: DockoptServer, params: types.DocumentDiagnosticParams
) -> types.DocumentDiagnosticReport:
    analysis = await ls.current(params.text_document.uri)
    result_id = f"{analysis.version}:{analysis.subject.generation}"
    if params.previous_result_id == result_id:
        return types.RelatedUnchangedDocumentDiagnosticReport(result_id=result_id)
    return types.RelatedFullDocumentDiagnosticReport(items=analysis.diagnostics(), result_id=result_id)


@server.feature(
    types.TEXT_DOCUMENT_CODE_ACTION,
    types.CodeActionOptions(code_action_kinds=CODE_ACTION_KINDS, resolve_provider=True),
)
async def code_action(ls: DockoptServer, params: types.CodeActionParams) -> list[types.CodeAction]:
    analysis = await ls.current(params.text_document.uri)
    if not analysis.usable:
        return []
    only = params.context.only
    unsafe = bool(analysis.settings and analysis.settings.unsafe_fixes)
    start, end = analysis.index.offset(params.range.start), analysis.index.offset(params.range.end)
    actions: list[types.CodeAction | None] = []
    quickfix = _wants(only, types.CodeActionKind.QuickFix)
    for index, finding in enumerate(analysis.findings):
        span_start, span_end = analysis.finding_span(finding)
        if not quickfix or span_start > end or span_end < start:
            continue
        diagnostic = analysis.diagnostic(index, finding)
        if offered(finding, unsafe):
            actions.append(ls.action(analysis, Plan("fix", index, finding.code), diagnostic))
        actions.append(ls.action(analysis, Plan("disable", index, finding.code), diagnostic))
    if _wants(only, FIX_ALL_KIND) and any(offered(finding, unsafe) for finding in analysis.findings):
        if not ls.resolve_edits:
            await ls.worker.run(Priority.REQUEST, analysis.output)  # not on the event loop
        actions.append(ls.action(analysis, Plan("fix-all"), None))
    return [action for action in actions if action is not None]


@server.feature(types.CODE_ACTION_RESOLVE)
async def resolve_code_action(ls: DockoptServer, action: types.CodeAction) -> types.CodeAction:
    parsed = Plan.from_data(action.data)
    if parsed is None:
        raise JsonRpcInvalidParams("not a dockopt code action")
    uri, version, plan = parsed
    analysis = await ls.current(uri)
    if analysis.version != version:
        raise JsonRpcContentModified(f"{uri} changed since the action was offered")
    found = await ls.worker.run(Priority.REQUEST, lambda: plan_changes(analysis, plan))
    if found is None:
        raise JsonRpcContentModified(f"{uri}: the finding is gone (settings changed)")
    action.edit = ls.workspace_edit(analysis, found)
    return action


@server.feature(types.TEXT_DOCUMENT_FORMATTING)
async def formatting(ls: DockoptServer, params: types.DocumentFormattingParams) -> list[types.TextEdit]:
    analysis = ls.analysis(params.text_document.uri)  # formatting needs no findings
    output = await ls.worker.run(Priority.REQUEST, analysis.output)
    ls.report(analysis)
    if output is None:
        return []
    return text_edits(analysis.index, changes(analysis.text, output))


@server.feature(types.TEXT_DOCUMENT_RANGE_FORMATTING)
async def range_formatting(
    ls: DockoptServer, params: types.DocumentRangeFormattingParams
) -> list[types.TextEdit]:
    from .actions import range_fix

    analysis = await ls.current(params.text_document.uri)
    start, end = analysis.index.offset(params.range.start), analysis.index.offset(params.range.end)
    found = await ls.worker.run(Priority.REQUEST, lambda: range_fix(analysis, start, end))
    return text_edits(analysis.index, found)


@server.feature(types.SHUTDOWN)
def shutdown(ls: DockoptServer, params: None) -> None:
    ls.worker.shutdown()
