"""``github``: GitHub Actions workflow commands, one annotation per finding.

    ::warning file=app/Dockerfile,line=2,endLine=2,col=1,endColumn=5,title=DO101::uppercase-keywords: …

Values are escaped as the Actions toolkit escapes them (``%``, CR and LF everywhere; ``:`` and ``,``
too in properties), and paths are relative to the repository root, where GitHub resolves them.
Columns are given only for single-line spans: GitHub ignores them on a span of several lines.
"""

from __future__ import annotations

from .model import Report

LEVELS = {"warning": "warning", "note": "notice"}


def escape_data(value: str) -> str:
    return value.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def escape_property(value: str) -> str:
    return escape_data(value).replace(":", "%3A").replace(",", "%2C")


def render(report: Report) -> str:
    lines = []
    for item in report.items:
        span = item.span
        properties = [("file", item.path), ("line", str(span.start_line)), ("endLine", str(span.end_line))]
        if span.start_line == span.end_line:
            properties += [("col", str(span.start_column)), ("endColumn", str(span.end_column))]
        properties.append(("title", item.finding.code))
        props = ",".join(f"{key}={escape_property(value)}" for key, value in properties)
        message = escape_data(f"{item.finding.name}: {item.finding.message}")
        lines.append(f"::{LEVELS[item.level]} {props}::{message}\n")
    return "".join(lines)
