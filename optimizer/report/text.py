"""``concise``: one line per finding, ``path:line:col: CODE [name] message`` (the ``--show-fixes``
line, for the findings on each file as read)."""

from __future__ import annotations

from .model import Report


def render(report: Report) -> str:
    lines = []
    for item in report.items:
        f = item.finding
        safety = "" if f.applicability.value == "safe" else f" ({f.applicability.value})"
        lines.append(f"{item.file.name}:{f.line}:{f.column}: {f.code} [{f.name}] {f.message}{safety}\n")
    return "".join(lines)
