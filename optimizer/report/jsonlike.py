"""The JSON formats: ``json`` (dockopt's own), ``gitlab`` (Code Quality) and ``rdjson`` (reviewdog)."""

from __future__ import annotations

import json
from pathlib import Path

from .model import PROJECT_URL, TOOL_NAME, Item, Report, Span

GITLAB_SEVERITY = {"warning": "minor", "note": "info"}
RDJSON_SEVERITY = {"warning": "WARNING", "note": "INFO"}


def dump(data: object) -> str:
    return json.dumps(data, indent=2, ensure_ascii=False) + "\n"


def _location(line: int, column: int) -> dict[str, int]:
    return {"row": line, "column": column}


def _json_fix(item: Item, root: Path) -> dict | None:
    fix = item.finding.fix
    if fix is None:
        return None
    data: dict[str, object] = {
        "applicability": fix.applicability.value,
        "message": item.rule.summary,
        "edits": [
            {
                "content": replacement,
                "location": _location(span.start_line, span.start_column),
                "end_location": _location(span.end_line, span.end_column),
            }
            for span, replacement in item.edit_spans()
        ],
    }
    appends = item.file_appends(root)
    if appends:  # edits of another file than the finding's (its .dockerignore): text appended at a position
        data["file_edits"] = [
            {
                "filename": append.path,
                "create": append.created,
                "content": append.text,
                "location": _location(append.line, append.column),
            }
            for append in appends
        ]
    return data


def render_json(report: Report) -> str:
    """A list of findings; positions are 1-based, end positions exclusive."""
    findings = []
    for item in report.items:
        f, span = item.finding, item.span
        findings.append(
            {
                "code": f.code,
                "name": f.name,
                "message": f.message,
                "filename": item.file.name,
                "location": _location(span.start_line, span.start_column),
                "end_location": _location(span.end_line, span.end_column),
                "fix": _json_fix(item, report.root),
                "url": item.rule.url,
            }
        )
    return dump(findings)


def render_gitlab(report: Report) -> str:
    """GitLab Code Quality (a subset of the Code Climate issue format)."""
    issues = []
    for item in report.items:
        f, span = item.finding, item.span
        issues.append(
            {
                "type": "issue",
                "engine_name": TOOL_NAME,
                "check_name": f.code,
                "description": f"{f.code} {f.name}: {f.message}",
                "categories": ["Style" if item.rule.family == "style" else "Performance"],
                "fingerprint": item.fingerprint,
                "severity": GITLAB_SEVERITY[item.level],
                "location": {"path": item.path, "lines": {"begin": span.start_line, "end": span.end_line}},
            }
        )
    return dump(issues)


def _rd_range(item: Item, span: Span) -> dict:
    lines = item.file.lines
    return {
        "start": {"line": span.start_line, "column": lines.utf8_column(span.start_line, span.start_column)},
        "end": {"line": span.end_line, "column": lines.utf8_column(span.end_line, span.end_column)},
    }


def render_rdjson(report: Report) -> str:
    """reviewdog's Diagnostic format (columns in UTF-8 bytes, ends exclusive); a fix's edits become
    suggestions, which reviewdog posts as suggested changes on a pull request."""
    diagnostics = []
    for item in report.items:
        f = item.finding
        diagnostic: dict[str, object] = {
            "message": f"{f.name}: {f.message}",
            "location": {"path": item.path, "range": _rd_range(item, item.span)},
            "severity": RDJSON_SEVERITY[item.level],
            "code": {"value": f.code, "url": item.rule.url},
        }
        if f.fix is not None:
            diagnostic["suggestions"] = [
                {"range": _rd_range(item, span), "text": replacement}
                for span, replacement in item.edit_spans()
            ]
        diagnostics.append(diagnostic)
    return dump(
        {"source": {"name": TOOL_NAME, "url": PROJECT_URL}, "severity": "WARNING", "diagnostics": diagnostics}
    )
