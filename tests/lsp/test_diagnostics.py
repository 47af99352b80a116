"""Diagnostics over a real client: codes, ranges, versions, push and pull, parse errors."""

from __future__ import annotations

import asyncio

import pytest
from lsprotocol import types

from .conftest import open_doc, replace_doc, start

pytestmark = pytest.mark.asyncio

TEXT = "FROM debian:12\nrun echo hi\nADD app.py /app/\nRUN apt-get update && apt-get install -y curl \\\n    && rm -rf /var/lib/apt/lists/*\n"


def by_code(diagnostics: list[types.Diagnostic]) -> dict[str, types.Diagnostic]:
    return {str(d.code): d for d in diagnostics}


def span(d: types.Diagnostic) -> tuple[int, int, int, int]:
    return d.range.start.line, d.range.start.character, d.range.end.line, d.range.end.character


async def test_open_publishes_one_diagnostic_per_finding_with_code_range_and_docs(client, tmp_path):
    await start(client, tmp_path)
    uri = open_doc(client, tmp_path / "Dockerfile", TEXT)
    found = by_code(await client.diagnostics_for(uri, 1))
    assert set(found) == {"DO101", "DO102", "DO303"}
    # DO101 and DO102 replace the keyword: the range is exactly the keyword.
    assert span(found["DO101"]) == (1, 0, 1, 3)
    assert span(found["DO102"]) == (2, 0, 2, 3)
    # DO303 points at `apt-get install` and covers the rest of the instruction, continuation included.
    assert span(found["DO303"]) == (3, 22, 4, 34)
    for diagnostic in found.values():
        assert diagnostic.source == "dockopt"
        assert diagnostic.severity == types.DiagnosticSeverity.Warning
        assert diagnostic.code_description is not None
        assert diagnostic.code_description.href.startswith("file://")
    assert found["DO101"].code_description.href.endswith("/rules/style/uppercase_keywords.py")
    assert found["DO101"].message == "Keywords in upper case: `run` → `RUN`"
    # Unsafe fixes are not on: the message says how to get them.
    assert found["DO303"].message.endswith("(unsafe fix available with unsafe-fixes)")


async def test_did_change_refreshes_and_versions_never_go_back(client, tmp_path):
    await start(client, tmp_path)
    uri = open_doc(client, tmp_path / "Dockerfile", TEXT)
    await client.diagnostics_for(uri, 1)
    # A burst of changes: the last one fixes everything but DO102.
    texts = [TEXT.replace("echo hi", f"echo {n}") for n in range(2, 8)]
    texts.append("FROM debian:12\nRUN echo hi\nADD app.py /app/\n")
    for version, text in enumerate(texts, start=2):
        replace_doc(client, uri, text, version)
    last = len(texts) + 1
    final = await client.diagnostics_for(uri, last)
    assert [d.code for d in final] == ["DO102"]
    assert span(final[0]) == (2, 0, 2, 3)
    await asyncio.sleep(0.3)  # nothing older may arrive after the newest
    versions = [p.version for p in client.published if p.uri == uri]
    assert versions == sorted(versions), versions
    assert versions[-1] == last


async def test_parse_error_is_an_error_diagnostic_at_its_line_and_column(client, tmp_path):
    await start(client, tmp_path)
    uri = open_doc(client, tmp_path / "Dockerfile", "FROM alpine\nrun echo hi\nfoo bar\n")
    diagnostics = await client.diagnostics_for(uri, 1)
    assert len(diagnostics) == 1
    (error,) = diagnostics
    assert error.severity == types.DiagnosticSeverity.Error
    assert error.message == "unknown instruction: foo"
    assert span(error) == (2, 0, 2, 7)
    # Fixing the text clears it, and the findings come back.
    replace_doc(client, uri, "FROM alpine\nrun echo hi\n", 2)
    assert [d.code for d in await client.diagnostics_for(uri, 2)] == ["DO101"]


async def test_pull_diagnostics_when_the_client_supports_them(client, tmp_path):
    result = await start(client, tmp_path, pull=True)
    assert result.capabilities.diagnostic_provider is not None
    uri = open_doc(client, tmp_path / "Dockerfile", TEXT)
    report = await client.text_document_diagnostic_async(
        types.DocumentDiagnosticParams(text_document=types.TextDocumentIdentifier(uri=uri))
    )
    assert isinstance(report, types.RelatedFullDocumentDiagnosticReport)
    assert {d.code for d in report.items} == {"DO101", "DO102", "DO303"}
    assert report.result_id
    again = await client.text_document_diagnostic_async(
        types.DocumentDiagnosticParams(
            text_document=types.TextDocumentIdentifier(uri=uri), previous_result_id=report.result_id
        )
    )
    assert isinstance(again, types.RelatedUnchangedDocumentDiagnosticReport)
    assert again.result_id == report.result_id
    replace_doc(client, uri, "FROM debian:12\n", 2)
    changed = await client.text_document_diagnostic_async(
        types.DocumentDiagnosticParams(
            text_document=types.TextDocumentIdentifier(uri=uri), previous_result_id=report.result_id
        )
    )
    assert isinstance(changed, types.RelatedFullDocumentDiagnosticReport)
    assert list(changed.items) == []
    assert client.published == []  # a pulling client gets no pushed duplicates


async def test_positions_count_utf16_code_units(client, tmp_path):
    await start(client, tmp_path)
    text = 'FROM alpine\nLABEL note="😋 ✓"\nadd a.txt /a\n'
    uri = open_doc(client, tmp_path / "Dockerfile", text)
    (diagnostic,) = [d for d in await client.diagnostics_for(uri, 1) if d.code == "DO101"]
    assert span(diagnostic) == (2, 0, 2, 3)
    text = 'FROM alpine\nRUN echo "😋" && apt-get install -y curl\n'
    replace_doc(client, uri, text, 2)
    (diagnostic,) = [d for d in await client.diagnostics_for(uri, 2) if d.code == "DO303"]
    # `apt-get` starts at character 16 in Python (code points), 17 in UTF-16 (the emoji counts two).
    assert text.splitlines()[1].index("apt-get") == 16
    assert diagnostic.range.start.character == 17
