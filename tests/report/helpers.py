"""Building reports in-process, the way the CLI does, and reading each format back."""

from __future__ import annotations

import json
import re
from pathlib import Path

from optimizer.core.config import Settings
from optimizer.engine import findings
from optimizer.report import render
from optimizer.report.model import FileResult, Report

REPORT_FORMATS = ("concise", "json", "sarif", "github", "gitlab", "rdjson", "markdown")
GITHUB_LINE = re.compile(r"^::(warning|notice) (?P<props>[^:]*)::(?P<message>.*)$")


def report_for(files: dict[Path, str], root: Path, settings: Settings | None = None) -> Report:
    """A report of the findings on each text (no fixing: output = input)."""
    settings = settings or Settings()
    results = []
    for path, text in files.items():
        found = findings(text, settings, path=path, context_dir=path.parent)
        results.append(FileResult(str(path), path, text, text, found))
    return Report(files=results, root=root)


def github_properties(line: str) -> tuple[dict[str, str], str]:
    match = GITHUB_LINE.match(line)
    assert match, line
    props = dict(part.split("=", 1) for part in match.group("props").split(","))
    return props, match.group("message")


def unescape_github(value: str) -> str:
    return (
        value.replace("%0D", "\r")
        .replace("%0A", "\n")
        .replace("%3A", ":")
        .replace("%2C", ",")
        .replace("%25", "%")
    )


def parsed(fmt: str, report: Report):
    """The rendered report, parsed where the format is JSON."""
    text = render(fmt, report)
    return json.loads(text) if fmt in ("json", "sarif", "gitlab", "rdjson") else text
