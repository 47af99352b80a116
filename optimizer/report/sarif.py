"""``sarif``: SARIF 2.1.0, as GitHub code scanning and other SARIF viewers read it.

One run; ``tool.driver.rules`` holds one entry per rule that fired (its docs as help text and
markdown), each result one location with a relative URI under ``%SRCROOT%`` (the repository root),
its real start and end, the rule's fixes as ``fixes[].artifactChanges`` and a partial fingerprint
that does not depend on line numbers. Validated in the tests with Microsoft's SARIF Multitool,
GitHub's ingestion rules included.
"""

from __future__ import annotations

from pathlib import Path
from urllib.parse import quote

from .jsonlike import dump
from .model import FINGERPRINT_KEY, PROJECT_URL, TOOL_NAME, VERSION, Item, Report, RuleInfo, Span

SCHEMA = "https://docs.oasis-open.org/sarif/sarif/v2.1.0/errata01/os/schemas/sarif-schema-2.1.0.json"
SRCROOT = "%SRCROOT%"


def _region(span: Span) -> dict[str, int]:
    return {
        "startLine": span.start_line,
        "startColumn": span.start_column,
        "endLine": span.end_line,
        "endColumn": span.end_column,
    }


def _snippet_region(item: Item) -> dict:
    start, end = item.offsets
    return {**_region(item.span), "snippet": {"text": item.file.text[start:end]}}


def _artifact(item: Item) -> dict[str, str]:
    if item.uri.startswith("file:"):
        return {"uri": item.uri}
    return {"uri": item.uri, "uriBaseId": SRCROOT}


def _rule(info: RuleInfo) -> dict:
    return {
        "id": info.code,
        "name": _pascal(info.name),
        "shortDescription": {"text": info.summary},
        "fullDescription": {"text": info.description},
        "help": {"text": info.docs or info.summary, "markdown": info.docs or info.summary},
        "helpUri": info.url,
        "defaultConfiguration": {"level": "warning"},
        "properties": {
            "tags": ["dockerfile", info.family, f"{info.safety}-fix"],
            "problem.severity": "warning",
        },
    }


def _pascal(name: str) -> str:
    # SARIF recommends rule names in PascalCase; the kebab-case name stays in each message.
    return "".join(part.capitalize() for part in name.split("-"))


def _result(item: Item, index: int, root: Path) -> dict:
    f = item.finding
    result: dict = {
        "ruleId": f.code,
        "ruleIndex": index,
        "level": item.level,
        "message": {"text": f"{f.name}: {f.message}"},
        "locations": [
            {"physicalLocation": {"artifactLocation": _artifact(item), "region": _snippet_region(item)}}
        ],
        "partialFingerprints": {FINGERPRINT_KEY: item.fingerprint},
    }
    if f.fix is not None:
        replacements = [
            {"deletedRegion": _region(span), "insertedContent": {"text": text}}
            for span, text in item.edit_spans()
        ]
        changes = (
            [{"artifactLocation": _artifact(item), "replacements": replacements}] if replacements else []
        )
        for append in item.file_appends(root):  # another file (the .dockerignore): text at its end
            changes.append(
                {
                    "artifactLocation": {"uri": quote(append.path), "uriBaseId": SRCROOT},
                    "replacements": [
                        {
                            "deletedRegion": {"charOffset": append.offset, "charLength": 0},
                            "insertedContent": {"text": append.text},
                        }
                    ],
                }
            )
        if changes:
            result["fixes"] = [
                {
                    "description": {"text": f"{item.rule.summary} ({f.fix.applicability.value} fix)"},
                    "artifactChanges": changes,
                }
            ]
    return result


def render(report: Report) -> str:
    codes = sorted({item.finding.code for item in report.items})
    index = {code: i for i, code in enumerate(codes)}
    run: dict = {
        "tool": {
            "driver": {
                "name": TOOL_NAME,
                "version": VERSION,
                "semanticVersion": VERSION,
                "informationUri": PROJECT_URL,
                "rules": [_rule(item_rule) for item_rule in _rules(report, codes)],
            }
        },
        "originalUriBaseIds": {SRCROOT: {"uri": report.root.resolve().as_uri().rstrip("/") + "/"}},
        "invocations": [_invocation(report)],
        "columnKind": "unicodeCodePoints",
        "results": [_result(item, index[item.finding.code], report.root) for item in report.items],
    }
    return dump({"$schema": SCHEMA, "version": "2.1.0", "runs": [run]})


def _rules(report: Report, codes: list[str]) -> list[RuleInfo]:
    by_code = {item.finding.code: item.rule for item in report.items}
    return [by_code[code] for code in codes]


def _invocation(report: Report) -> dict:
    invocation: dict = {"executionSuccessful": not report.errors}
    if report.errors:
        invocation["toolExecutionNotifications"] = [
            {"level": "error", "message": {"text": line}} for line in report.errors
        ]
    return invocation
