"""A real LSP client (pytest-lsp) talking to ``dockopt lsp`` over stdio, plus the helpers the tests
share: client capability profiles, applying a client's edits to text, and the CLI as the reference."""

from __future__ import annotations

import asyncio
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest_lsp
from lsprotocol import types
from pytest_lsp import ClientServerConfig, LanguageClient
from pytest_lsp.client import DEFAULT_CLIENT_FEATURES, register_lsp_features

ROOT = Path(__file__).resolve().parents[2]
CORPUS = (
    ROOT.parent / "shared" / "corpus"
    if (ROOT.parent / "shared" / "corpus").is_dir()
    else Path("/work/shared/corpus")
)


class Client(LanguageClient):
    """pytest-lsp's client, keeping every publishDiagnostics and registration it receives."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.published: list[types.PublishDiagnosticsParams] = []
        self.registrations: list[types.Registration] = []
        self.arrived = asyncio.Event()

    async def diagnostics_for(self, uri: str, version: int, timeout: float = 20) -> list[types.Diagnostic]:
        """Wait until the server publishes diagnostics for ``version`` of ``uri``."""

        async def wait() -> list[types.Diagnostic]:
            while True:
                for params in reversed(self.published):
                    if params.uri == uri and params.version == version:
                        return list(params.diagnostics)
                self.arrived.clear()
                await self.arrived.wait()

        return await asyncio.wait_for(wait(), timeout)


def _make_client() -> Client:
    from pygls.protocol import default_converter

    client = Client(converter_factory=default_converter)
    features = dict(DEFAULT_CLIENT_FEATURES)

    def publish(client: Client, params: types.PublishDiagnosticsParams) -> None:
        client.diagnostics[params.uri] = params.diagnostics
        client.published.append(params)
        client.arrived.set()

    def register(client: Client, params: types.RegistrationParams) -> None:
        client.registrations.extend(params.registrations)

    features[types.TEXT_DOCUMENT_PUBLISH_DIAGNOSTICS] = publish
    features[types.CLIENT_REGISTER_CAPABILITY] = register
    register_lsp_features(client, features)
    return client


def capabilities(
    *, pull: bool = False, resolve: bool = False, document_changes: bool = True
) -> types.ClientCapabilities:
    """A client's capabilities: push or pull diagnostics, code-action resolve or not."""
    return types.ClientCapabilities(
        workspace=types.WorkspaceClientCapabilities(
            configuration=True,
            did_change_watched_files=types.DidChangeWatchedFilesClientCapabilities(dynamic_registration=True),
            workspace_edit=types.WorkspaceEditClientCapabilities(document_changes=document_changes),
            diagnostics=types.DiagnosticWorkspaceClientCapabilities(refresh_support=True) if pull else None,
        ),
        text_document=types.TextDocumentClientCapabilities(
            synchronization=types.TextDocumentSyncClientCapabilities(did_save=True),
            publish_diagnostics=types.PublishDiagnosticsClientCapabilities(version_support=True),
            diagnostic=types.DiagnosticClientCapabilities() if pull else None,
            code_action=types.CodeActionClientCapabilities(
                code_action_literal_support=types.ClientCodeActionLiteralOptions(
                    code_action_kind=types.ClientCodeActionKindOptions(
                        value_set=[types.CodeActionKind.QuickFix, types.CodeActionKind.SourceFixAll]
                    )
                ),
                is_preferred_support=True,
                data_support=True,
                resolve_support=types.ClientCodeActionResolveOptions(properties=["edit"])
                if resolve
                else None,
            ),
        ),
    )


SERVER = [sys.executable, str(Path(__file__).with_name("server_with_test_rules.py")), "lsp"]  # + test rules


@pytest_lsp.fixture(config=ClientServerConfig(server_command=SERVER, client_factory=_make_client))
async def client(lsp_client: Client):
    """A started, not yet initialised client; tests initialise it with ``start``."""
    yield lsp_client
    if lsp_client._server is None or lsp_client._server.returncode is None:  # not shut down by the test
        await lsp_client.shutdown_session()


async def start(
    client: Client, root: Path, *, options: Any = None, configuration: Any = None, **caps: bool
) -> types.InitializeResult:
    if configuration is not None:
        client.set_configuration(configuration, section="dockopt")
    return await client.initialize_session(
        types.InitializeParams(
            capabilities=capabilities(**caps),
            root_uri=root.as_uri(),
            workspace_folders=[types.WorkspaceFolder(uri=root.as_uri(), name=root.name)],
            initialization_options=options,
        )
    )


def open_doc(client: Client, path: Path, text: str, version: int = 1) -> str:
    uri = path.as_uri()
    client.text_document_did_open(
        types.DidOpenTextDocumentParams(
            text_document=types.TextDocumentItem(
                uri=uri, language_id="dockerfile", version=version, text=text
            )
        )
    )
    return uri


def replace_doc(client: Client, uri: str, text: str, version: int) -> None:
    client.text_document_did_change(
        types.DidChangeTextDocumentParams(
            text_document=types.VersionedTextDocumentIdentifier(uri=uri, version=version),
            content_changes=[types.TextDocumentContentChangeWholeDocument(text=text)],
        )
    )


def _offset(text: str, position: types.Position) -> int:
    """Offset of a UTF-16 position, computed independently of the server's code."""
    lines = text.splitlines(keepends=True) or [""]
    if position.line >= len(lines):
        return len(text)
    start = sum(len(line) for line in lines[: position.line])
    line = lines[position.line].rstrip("\r\n")
    units = line.encode("utf-16-le")[: position.character * 2].decode("utf-16-le")
    return start + len(units)


def apply_edits(text: str, edits: list[types.TextEdit]) -> str:
    """What a client does with TextEdits: all ranges refer to the original text."""
    spans = sorted(
        ((_offset(text, e.range.start), _offset(text, e.range.end), e.new_text) for e in edits), reverse=True
    )
    previous_start = len(text) + 1
    for start, end, new in spans:
        assert end <= previous_start, "overlapping edits"
        text = text[:start] + new + text[end:]
        previous_start = start
    return text


def edits_of(edit: types.WorkspaceEdit | None, uri: str) -> list[types.TextEdit]:
    assert edit is not None
    if edit.document_changes:
        return [
            e for change in edit.document_changes if change.text_document.uri == uri for e in change.edits
        ]
    assert edit.changes is not None
    return list(edit.changes[uri])


def cli_output(text: str, path: Path, *args: str) -> str:
    """What ``dockopt -`` prints for ``text`` as ``path`` (the editor's format-on-save)."""
    result = subprocess.run(
        [*SERVER[:2], *args, "--stdin-filename", str(path), "-"],
        input=text.encode(),
        capture_output=True,
        cwd=path.parent,
        check=False,
    )
    assert result.returncode in (0, 1), result.stderr.decode()
    return result.stdout.decode()


def whole_range(text: str) -> types.Range:
    lines = text.splitlines() or [""]
    return types.Range(start=types.Position(0, 0), end=types.Position(len(lines), 0))
