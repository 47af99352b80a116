"""The server as a process: settings and config files, robustness, clean shutdown, TCP, and the
capabilities real editors send (pytest-lsp ships those of VS Code, Neovim and Emacs)."""

from __future__ import annotations

import asyncio
import socket

import pytest
from lsprotocol import types
from pygls.lsp.client import LanguageClient
from pytest_lsp import client_capabilities

from .conftest import SERVER, apply_edits, cli_output, open_doc, replace_doc, start

pytestmark = pytest.mark.asyncio

TEXT = "FROM alpine\nrun echo hi\nADD a.txt /a\n"


async def codes(client, uri: str, version: int) -> set[str]:
    return {str(d.code) for d in await client.diagnostics_for(uri, version)}


async def test_config_file_is_discovered_and_its_changes_picked_up(client, tmp_path):
    await start(client, tmp_path)
    project = tmp_path / "service"
    project.mkdir()
    (project / "a.txt").write_text("a\n")
    uri = open_doc(client, project / "Dockerfile", TEXT)
    assert await codes(client, uri, 1) == {"DO101", "DO102"}
    # The server asked to be told about config files.
    (registration,) = client.registrations
    assert registration.method == types.WORKSPACE_DID_CHANGE_WATCHED_FILES
    globs = {w["globPattern"] for w in registration.register_options["watchers"]}
    assert {"**/dockopt.toml", "**/pyproject.toml"} <= globs
    config = tmp_path / "dockopt.toml"  # above the document's folder: found by discovery
    config.write_text('ignore = ["DO101"]\n')
    client.workspace_did_change_watched_files(
        types.DidChangeWatchedFilesParams(
            changes=[types.FileEvent(uri=config.as_uri(), type=types.FileChangeType.Created)]
        )
    )
    await asyncio.sleep(0.5)
    assert {str(d.code) for d in client.diagnostics[uri]} == {"DO102"}
    # Formatting follows the same settings as `dockopt -` run on that path.
    edits = await client.text_document_formatting_async(
        types.DocumentFormattingParams(
            text_document=types.TextDocumentIdentifier(uri=uri), options=types.FormattingOptions(4, True)
        )
    )
    assert apply_edits(TEXT, edits) == cli_output(TEXT, project / "Dockerfile") == TEXT.replace("ADD", "COPY")
    # A broken config file is an error on the document, and no fixes.
    config.write_text("ignore = DO101\n")
    client.workspace_did_change_watched_files(
        types.DidChangeWatchedFilesParams(
            changes=[types.FileEvent(uri=config.as_uri(), type=types.FileChangeType.Changed)]
        )
    )
    await asyncio.sleep(0.5)
    (problem,) = client.diagnostics[uri]
    assert problem.severity == types.DiagnosticSeverity.Error
    assert "cannot read config" in problem.message


async def test_initialization_options_and_workspace_configuration(client, tmp_path):
    (tmp_path / "a.txt").write_text("a\n")
    await start(client, tmp_path, options={"select": ["DO1"]}, configuration={"ignore": ["add-to-copy"]})
    uri = open_doc(client, tmp_path / "Dockerfile", TEXT + "LABEL unsafe=1\n")
    await asyncio.sleep(0.5)  # the configuration is pulled after `initialized`
    replace_doc(client, uri, TEXT + "LABEL unsafe=1\n", 2)
    # select DO1 (init options) drops DO990; ignore add-to-copy (configuration) drops DO102.
    assert await codes(client, uri, 2) == {"DO101"}
    client.set_configuration({"ignore": []}, section="dockopt")
    client.workspace_did_change_configuration(types.DidChangeConfigurationParams(settings=None))
    await asyncio.sleep(0.5)
    assert {str(d.code) for d in client.diagnostics[uri]} == {"DO101", "DO102"}


NODE = 'FROM node:20\nWORKDIR /app\nCOPY . .\nRUN npm ci\nCMD ["node", "index.js"]\n'


async def test_build_context_is_the_folder_or_the_configured_one(client, tmp_path):
    """COPY reordering needs the manifests: found in the document's folder by default, or in the
    `context` setting (relative to the workspace root), exactly as `dockopt --context`."""
    app, docker = tmp_path / "app", tmp_path / "docker"
    app.mkdir()
    docker.mkdir()
    (app / "package.json").write_text('{"name": "x", "version": "1.0.0", "dependencies": {}}\n')
    (app / "package-lock.json").write_text(
        '{"name": "x", "lockfileVersion": 3, "requires": true, "packages": {}}\n'
    )
    await start(client, tmp_path, options={"context": "app"})
    uri = open_doc(client, docker / "Dockerfile", NODE)
    assert await codes(client, uri, 1) == {"DO401", "DO308"}
    edits = await client.text_document_formatting_async(
        types.DocumentFormattingParams(
            text_document=types.TextDocumentIdentifier(uri=uri), options=types.FormattingOptions(4, True)
        )
    )
    expected = cli_output(NODE, docker / "Dockerfile", "--context", str(app))
    assert "COPY package.json package-lock.json ./" in expected
    assert apply_edits(NODE, edits) == expected
    # Without the setting the context is the document's folder, which has no manifests.
    client.set_configuration({"context": None}, section="dockopt")
    client.workspace_did_change_configuration(types.DidChangeConfigurationParams(settings=None))
    await asyncio.sleep(0.5)
    assert {str(d.code) for d in client.diagnostics[uri]} == {"DO308"}


async def test_bad_editor_settings_are_reported_not_fatal(client, tmp_path):
    await start(client, tmp_path, options={"select": ["DO999"], "cacheStrategy": "sometimes"})
    uri = open_doc(client, tmp_path / "Dockerfile", TEXT)
    assert "DO101" in await codes(client, uri, 1)
    messages = " | ".join(m.message for m in client.messages)
    assert "cacheStrategy" in messages and "DO999" in messages


async def test_a_crashing_rule_is_a_logged_internal_error_not_a_dead_server(client, tmp_path):
    await start(client, tmp_path)
    uri = open_doc(client, tmp_path / "Dockerfile", "FROM alpine\nLABEL boom=1\nrun echo hi\n")
    assert list(await client.diagnostics_for(uri, 1)) == []
    assert any("internal error" in m.message and "boom" in m.message for m in client.log_messages)
    replace_doc(client, uri, "FROM alpine\nrun echo hi\n", 2)
    assert await codes(client, uri, 2) == {"DO101"}


async def test_nothing_but_the_protocol_reaches_stdout(client, tmp_path):
    await start(client, tmp_path)
    uri = open_doc(client, tmp_path / "Dockerfile", "FROM alpine\nLABEL noise=1\nrun echo hi\n")
    assert await codes(client, uri, 1) == {"DO101", "DO994"}
    replace_doc(client, uri, "FROM alpine\nLABEL noise=1\nRUN echo hi\n", 2)
    assert await codes(client, uri, 2) == {"DO994"}


async def test_shutdown_and_exit_are_clean(client, tmp_path):
    await start(client, tmp_path)
    uri = open_doc(client, tmp_path / "Dockerfile", TEXT)
    await client.diagnostics_for(uri, 1)
    await client.shutdown_session()
    assert client._server.returncode == 0


@pytest.mark.parametrize("editor", ["visual_studio_code", "neovim", "emacs"])
async def test_real_editor_capabilities(client, tmp_path, editor):
    """What VS Code, Neovim and Emacs (eglot) say at initialize: diagnostics arrive the way each
    asks (push or pull), and a quick fix's edit comes inline or through resolve."""
    capabilities = client_capabilities(editor)
    await client.initialize_session(
        types.InitializeParams(capabilities=capabilities, root_uri=tmp_path.as_uri())
    )
    (tmp_path / "a.txt").write_text("a\n")
    uri = open_doc(client, tmp_path / "Dockerfile", TEXT)
    if capabilities.text_document.diagnostic is not None:
        report = await client.text_document_diagnostic_async(
            types.DocumentDiagnosticParams(text_document=types.TextDocumentIdentifier(uri=uri))
        )
        diagnostics = report.items
    else:
        diagnostics = await client.diagnostics_for(uri, 1)
    assert {str(d.code) for d in diagnostics} == {"DO101", "DO102"}
    found = await client.text_document_code_action_async(
        types.CodeActionParams(
            text_document=types.TextDocumentIdentifier(uri=uri),
            range=types.Range(start=types.Position(1, 0), end=types.Position(1, 0)),
            context=types.CodeActionContext(diagnostics=[]),
        )
    )
    fix = found[0]
    assert fix.title == "DO101: Keywords in upper case: `run` → `RUN`"
    if fix.edit is None:
        fix = await client.code_action_resolve_async(fix)
    edit = fix.edit
    edits = (
        [e for c in edit.document_changes for e in c.edits] if edit.document_changes else edit.changes[uri]
    )
    assert apply_edits(TEXT, edits) == TEXT.replace("run", "RUN")


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


async def test_tcp(tmp_path):
    port = _free_port()
    process = await asyncio.create_subprocess_exec(*SERVER, "--tcp", f"127.0.0.1:{port}")
    client = LanguageClient("tcp-test", "1")
    try:
        for _ in range(100):
            try:
                await client.start_tcp("127.0.0.1", port)
                break
            except OSError:
                await asyncio.sleep(0.1)
        else:
            pytest.fail("the server did not listen")
        published: asyncio.Queue = asyncio.Queue()
        client.feature(types.TEXT_DOCUMENT_PUBLISH_DIAGNOSTICS)(lambda params: published.put_nowait(params))
        await client.initialize_async(types.InitializeParams(capabilities=types.ClientCapabilities()))
        client.initialized(types.InitializedParams())
        uri = open_doc(client, tmp_path / "Dockerfile", "FROM alpine\nrun echo hi\n")
        params = await asyncio.wait_for(published.get(), 20)
        assert params.uri == uri and [d.code for d in params.diagnostics] == ["DO101"]
        await client.shutdown_async(None)
        client.exit(None)
        assert await asyncio.wait_for(process.wait(), 20) == 0
    finally:
        if process.returncode is None:
            process.kill()
        await client.stop()
