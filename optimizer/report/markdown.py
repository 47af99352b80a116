"""``markdown``: a summary table and the diff of each changed file, for a CI step summary
(``$GITHUB_STEP_SUMMARY``) or a pull-request comment."""

from __future__ import annotations

import re

from .diff import unified_diff
from .model import TOOL_NAME, Report, relative_path


def cell(text: str) -> str:
    """Text for one table cell: one line, pipes escaped (GitHub unescapes ``\\|`` in code spans too;
    nothing else is escaped, since an escape inside a code span would show)."""
    return " ".join(text.split()).replace("|", "\\|")


def fence(body: str) -> str:
    """A backtick fence longer than any backtick run inside ``body``."""
    longest = max((len(run) for run in re.findall(r"`+", body)), default=0)
    return "`" * max(3, longest + 1)


def _plural(n: int, word: str, plural: str | None = None) -> str:
    return f"{n} {word if n == 1 else (plural or word + 's')}"


def render(report: Report) -> str:
    files, changed, items = report.files, report.changed, report.items
    verb = "changed" if report.write else "would be changed"
    out = [f"## {TOOL_NAME}\n\n"]
    summary = (
        f"{_plural(len(files), 'file')} checked: {len(changed)} {verb}, {len(files) - len(changed)} unchanged"
    )
    summary += f"; {_plural(len(items), 'finding')}."
    if report.errors:
        summary += f" {_plural(len(report.errors), 'error')}."
    out.append(summary + "\n\n")
    if items:
        out.append("| Location | Rule | Fix | Message |\n|---|---|---|---|\n")
        for item in items:
            f = item.finding
            where = cell(f"{item.path}:{f.line}:{f.column}")
            rule = f"[{f.code}]({item.rule.url}) {cell(f.name)}"
            out.append(f"| `{where}` | {rule} | {f.applicability.value} | {cell(f.message)} |\n")
        out.append("\n")
    if report.errors:
        out.append("### Errors\n\n")
        out.extend(f"- {cell(line)}\n" for line in report.errors)
        out.append("\n")
    for result in changed:
        path = relative_path(result, report.root)
        diff = unified_diff(result.text, result.output, path.lstrip("/"))
        marks = fence(diff)
        summary_text = path.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
        out.append(f"<details><summary>{summary_text}</summary>\n\n{marks}diff\n{diff}")
        out.append(f"{'' if diff.endswith(chr(10)) else chr(10)}{marks}\n\n</details>\n\n")
    return "".join(out).rstrip("\n") + "\n"
