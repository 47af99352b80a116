"""Code actions and formatting over a real client: each edit, applied the way a client applies it,
must give exactly what the CLI gives for the same text and settings."""

from __future__ import annotations

import pytest
from lsprotocol import types

from .conftest import CORPUS, apply_edits, cli_output, edits_of, open_doc, replace_doc, start, whole_range

pytestmark = pytest.mark.asyncio

CORPUS_FILES = [
    "umami-software__umami__Dockerfile",
    "docker__awesome-compose__react-express-mysql__backend__Dockerfile",
    "huginn__huginn__docker__multi-process__Dockerfile",
    "moby__buildkit__Dockerfile",
]


async def actions(
    client, uri: str, text: str, only: list[str] | None = None, range_: types.Range | None = None
):
    return await client.text_document_code_action_async(
        types.CodeActionParams(
            text_document=types.TextDocumentIdentifier(uri=uri),
            range=range_ or whole_range(text),
            context=types.CodeActionContext(diagnostics=[], only=only),
        )
    )


async def formatting(client, uri: str) -> list[types.TextEdit]:
    return await client.text_document_formatting_async(
        types.DocumentFormattingParams(
            text_document=types.TextDocumentIdentifier(uri=uri),
            options=types.FormattingOptions(tab_size=4, insert_spaces=True),
        )
    )


def assert_minimal(text: str, edits: list[types.TextEdit]) -> None:
    """No whole-document replace: the edits together touch a small part of the text."""
    lines = len(text.splitlines())
    for edit in edits:
        assert edit.range.end.line - edit.range.start.line < max(lines // 2, 2), edit


@pytest.mark.parametrize("name", CORPUS_FILES)
async def test_formatting_and_fix_all_equal_dockopt_stdin(client, name):
    path = CORPUS / "real" / name / "Dockerfile"
    text = path.read_text(encoding="utf-8")
    expected = cli_output(text, path)
    assert expected != text  # these files have something to fix
    await start(client, path.parent)
    uri = open_doc(client, path, text)
    edits = await formatting(client, uri)
    assert apply_edits(text, edits) == expected
    assert_minimal(text, edits)
    (fix_all,) = await actions(client, uri, text, only=[types.CodeActionKind.SourceFixAll])
    assert fix_all.kind == "source.fixAll.dockopt"
    assert apply_edits(text, edits_of(fix_all.edit, uri)) == expected


async def test_formatting_keeps_crlf_and_bom(client, tmp_path):
    source = CORPUS / "real" / CORPUS_FILES[0] / "Dockerfile"
    text = "\ufeff" + source.read_text(encoding="utf-8").replace("\n", "\r\n")
    path = tmp_path / "Dockerfile"
    path.write_text(text, encoding="utf-8", newline="")
    expected = cli_output(text, path)
    assert "\r\n" in expected and expected != text
    await start(client, tmp_path)
    uri = open_doc(client, path, text)
    assert apply_edits(text, await formatting(client, uri)) == expected


async def test_broken_document_gets_no_edits(client, tmp_path):
    await start(client, tmp_path)
    text = "FROM alpine\nrun echo hi\nfoo bar\n"
    uri = open_doc(client, tmp_path / "Dockerfile", text)
    assert list(await formatting(client, uri)) == []
    assert list(await actions(client, uri, text)) == []


@pytest.mark.parametrize("resolve", [False, True], ids=["edits-inline", "codeAction-resolve"])
async def test_quick_fix_equals_the_cli_fix_of_that_finding_alone(client, tmp_path, resolve):
    await start(client, tmp_path, resolve=resolve)
    (tmp_path / "app.py").write_text("print()\n")
    text = "FROM python:3.12\nrun echo hi\nADD app.py /app/\n"
    path = tmp_path / "Dockerfile"
    uri = open_doc(client, path, text)
    line_of_add = types.Range(start=types.Position(2, 0), end=types.Position(2, 0))
    found = await actions(client, uri, text, range_=line_of_add)
    titles = [a.title for a in found]
    assert titles == [
        "DO102: ADD of local files that it does not unpack: use COPY",
        "Disable DO102 for this instruction",
        "dockopt: apply all fixes",  # no `only`: the source action is listed too
    ]
    fix = found[0]
    assert fix.kind == types.CodeActionKind.QuickFix and fix.is_preferred
    assert [d.code for d in fix.diagnostics] == ["DO102"]
    if resolve:
        assert fix.edit is None
        fix = await client.code_action_resolve_async(fix)
    edits = edits_of(fix.edit, uri)
    assert [
        (e.range.start.line, e.range.start.character, e.range.end.character, e.new_text) for e in edits
    ] == [(2, 0, 3, "COPY")]
    assert apply_edits(text, edits) == cli_output(text, path, "--select", "DO102")


async def test_resolve_of_a_stale_action_is_refused(client, tmp_path):
    await start(client, tmp_path, resolve=True)
    text = "FROM alpine\nrun echo hi\n"
    uri = open_doc(client, tmp_path / "Dockerfile", text)
    fix = (await actions(client, uri, text, only=[types.CodeActionKind.QuickFix]))[0]
    replace_doc(client, uri, "FROM alpine\nrun echo ho\n", 2)
    with pytest.raises(Exception, match="changed since the action was offered"):
        await client.code_action_resolve_async(fix)


async def test_unsafe_fix_offered_only_when_enabled_and_labelled(client, tmp_path):
    await start(client, tmp_path, options={"unsafeFixes": True})
    text = "FROM alpine\nLABEL unsafe=1\n"
    path = tmp_path / "Dockerfile"
    uri = open_doc(client, path, text)
    fix, disable = await actions(client, uri, text, only=[types.CodeActionKind.QuickFix])
    assert fix.title == "DO990: unsafe=1 is a test pattern (unsafe fix)"
    assert not fix.is_preferred
    assert disable.title == "Disable DO990 for this instruction"
    expected = cli_output(text, path, "--select", "DO990", "--unsafe-fixes")
    assert expected == "FROM alpine\nLABEL unsafe=0\n"
    assert apply_edits(text, edits_of(fix.edit, uri)) == expected


async def test_unsafe_fix_not_offered_by_default(client, tmp_path):
    await start(client, tmp_path)
    text = "FROM alpine\nLABEL unsafe=1\n"
    uri = open_doc(client, tmp_path / "Dockerfile", text)
    assert [a.title for a in await actions(client, uri, text)] == ["Disable DO990 for this instruction"]
    assert list(await actions(client, uri, text, only=[types.CodeActionKind.SourceFixAll])) == []


async def test_disable_inserts_the_pragma_and_silences_the_finding(client, tmp_path):
    await start(client, tmp_path)
    text = "FROM alpine\n  run echo hi\n# keep this\n# dockopt: ignore=DO102\nadd a.txt /a\n"
    (tmp_path / "a.txt").write_text("a\n")
    uri = open_doc(client, tmp_path / "Dockerfile", text)
    assert {d.code for d in await client.diagnostics_for(uri, 1)} == {"DO101"}
    found = await actions(client, uri, text, only=[types.CodeActionKind.QuickFix])
    disables = [a for a in found if a.title == "Disable DO101 for this instruction"]
    assert len(disables) == 2  # `run` and `add`
    new = apply_edits(text, edits_of(disables[0].edit, uri))
    assert (
        new
        == "FROM alpine\n  # dockopt: ignore=DO101\n  run echo hi\n# keep this\n# dockopt: ignore=DO102\nadd a.txt /a\n"
    )
    new = apply_edits(text, edits_of(disables[0].edit, uri) + edits_of(disables[1].edit, uri))
    assert new.endswith("# keep this\n# dockopt: ignore=DO102,DO101\nadd a.txt /a\n")
    replace_doc(client, uri, new, 2)
    assert list(await client.diagnostics_for(uri, 2)) == []


async def test_range_formatting_fixes_only_inside_the_range(client, tmp_path):
    await start(client, tmp_path)
    (tmp_path / "x.txt").write_text("x\n")
    text = "FROM alpine\nrun echo a\nADD x.txt /x\nLABEL a=b\nrun echo b\n"
    path = tmp_path / "Dockerfile"
    uri = open_doc(client, path, text)
    edits = await client.text_document_range_formatting_async(
        types.DocumentRangeFormattingParams(
            text_document=types.TextDocumentIdentifier(uri=uri),
            range=types.Range(start=types.Position(2, 0), end=types.Position(2, 5)),
            options=types.FormattingOptions(tab_size=4, insert_spaces=True),
        )
    )
    assert apply_edits(text, edits) == text.replace("ADD", "COPY")
