"""What every report format renders: the files of one run and the findings on each, with positions,
relative paths, fingerprints and rule metadata worked out once.

Findings are those on each file *as it was read* (``engine.findings``), so their positions and the
edits of their fixes point into the file a reviewer sees, even when ``--write`` has since rewritten
it. The diff, the exit code and ``changed`` come from the fix loop (``engine.fix_text``) as always.
"""

from __future__ import annotations

import hashlib
import os
import subprocess
from bisect import bisect_right
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from urllib.parse import quote

from .. import __version__
from ..core.files import FileChange
from ..core.findings import Applicability, Finding

TOOL_NAME = "dockopt"
VERSION = __version__
# Where the project lives; rule documentation links point into its sources (each rule's module
# docstring is its documentation, as `dockopt explain CODE` prints it).
PROJECT_URL = "https://github.com/dockopt/dockopt"
FINGERPRINT_KEY = "dockopt/v1"


@dataclass
class FileResult:
    name: str  # as given on the command line ("-" for stdin, or --stdin-filename)
    path: Path | None  # the file on disk (None: stdin without --stdin-filename)
    text: str  # the input as read
    output: str  # after the fixes that this run applies
    findings: list[Finding]  # on ``text``
    written: bool = False
    files: list[FileChange] = field(default_factory=list)  # second files changed (its .dockerignore)

    @property
    def changed(self) -> bool:
        return self.output != self.text or bool(self.files)

    @cached_property
    def lines(self) -> LineIndex:
        return LineIndex(self.text)


@dataclass
class Report:
    files: list[FileResult] = field(default_factory=list)
    root: Path = field(default_factory=Path.cwd)  # report paths are relative to it
    errors: list[str] = field(default_factory=list)  # the error lines printed on stderr
    write: bool = False  # --write: changed files were rewritten

    @cached_property
    def items(self) -> list[Item]:
        """Every finding of every file, in file order then position, with its derived data."""
        items: list[Item] = []
        for result in self.files:
            seen: dict[tuple[str, str], int] = {}
            path, uri = relative_path(result, self.root), relative_uri(result, self.root)
            for finding in result.findings:
                item = Item(result, finding, path, uri, 0)
                key = (finding.code, item.matched_text)
                item.occurrence = seen.get(key, 0)
                seen[key] = item.occurrence + 1
                items.append(item)
        return items

    @property
    def changed(self) -> list[FileResult]:
        return [result for result in self.files if result.changed]


@dataclass(frozen=True)
class FileAppend:
    """Text a fix appends to a file beside the Dockerfile (``created``: the file does not exist yet)."""

    path: str  # relative to the report root, POSIX
    created: bool
    offset: int  # characters before the insertion point (the file's length)
    line: int  # 1-based position of the insertion point
    column: int
    text: str


class LineIndex:
    """Offsets ↔ 1-based (line, column), counted as ``Facts.position`` counts: code points, lines
    ending at "\\n", a BOM not counted on line 1."""

    def __init__(self, text: str) -> None:
        self.text = text
        self.bom = 1 if text.startswith("\ufeff") else 0
        self.starts = [0] + [i + 1 for i, char in enumerate(text) if char == "\n"]

    def position(self, offset: int) -> tuple[int, int]:
        line = bisect_right(self.starts, offset)
        column = offset - self.starts[line - 1] + 1
        if line == 1:
            column -= self.bom
        return line, column

    def offset(self, line: int, column: int) -> int:
        line = min(max(line, 1), len(self.starts))
        offset = self.starts[line - 1] + column - 1 + (self.bom if line == 1 else 0)
        return min(max(offset, 0), len(self.text))

    def utf8_column(self, line: int, column: int) -> int:
        """The column counted in UTF-8 bytes (reviewdog's unit)."""
        start = self.starts[min(max(line, 1), len(self.starts)) - 1] + (self.bom if line == 1 else 0)
        return len(self.text[start : start + column - 1].encode("utf-8", "surrogatepass")) + 1


@dataclass
class Span:
    start_line: int
    start_column: int
    end_line: int
    end_column: int


@dataclass
class Item:
    """One finding in one file, with what every format needs about it."""

    file: FileResult
    finding: Finding
    path: str  # relative to the report root, POSIX, unencoded (annotations, tables)
    uri: str  # the same percent-encoded, or a file:// URI for a file outside the root
    occurrence: int  # how many findings of this rule on the same text came before it in the file

    @property
    def rule(self) -> RuleInfo:
        return rule_info(self.finding.code)

    @property
    def span(self) -> Span:
        f = self.finding
        if f.end_line:
            return Span(f.line, f.column, f.end_line, f.end_column)
        return Span(f.line, f.column, f.line, f.column)

    @property
    def offsets(self) -> tuple[int, int]:
        span = self.span
        start = self.file.lines.offset(span.start_line, span.start_column)
        end = self.file.lines.offset(span.end_line, span.end_column)
        return start, max(start, end)

    def file_appends(self, root: Path) -> list[FileAppend]:
        """The fix's edits of other files (its .dockerignore), each as text appended at an offset."""
        fix = self.finding.fix
        if fix is None or not fix.file_edits:
            return []
        from ..core.files import compose, read_original

        out = []
        for edit in fix.file_edits:
            path = Path(edit.path)
            before = read_original(path)
            after = compose(before, [edit])
            text = before or ""
            if not after.startswith(text) or after == text:
                continue
            relative = Path(os.path.relpath(path.absolute(), root.absolute())).as_posix()
            line = text.count("\n") + 1
            column = len(text) - (text.rfind("\n") + 1) + 1
            out.append(FileAppend(relative, before is None, len(text), line, column, after[len(text) :]))
        return out

    @property
    def matched_text(self) -> str:
        start, end = self.offsets
        return self.file.text[start:end].replace("\r\n", "\n")

    @property
    def fingerprint(self) -> str:
        """Rule, path and the flagged text (never its line): stable when lines above it move, unique
        within a run (the occurrence tells identical findings in one file apart)."""
        key = "\0".join((self.finding.code, self.path, self.matched_text, str(self.occurrence)))
        return hashlib.sha256(key.encode("utf-8", "surrogatepass")).hexdigest()[:32]

    @property
    def level(self) -> str:
        """ "warning" for a finding this tool fixes (or would with --unsafe-fixes); "note" for advice."""
        return "note" if self.finding.applicability is Applicability.DISPLAY_ONLY else "warning"

    def edit_spans(self) -> list[tuple[Span, str]]:
        """The fix's edits as (span in the input, replacement)."""
        if self.finding.fix is None:
            return []
        lines = self.file.lines
        spans = []
        for edit in self.finding.fix.edits:
            start_line, start_column = lines.position(edit.start)
            end_line, end_column = lines.position(edit.end)
            spans.append((Span(start_line, start_column, end_line, end_column), edit.replacement))
        return spans


@dataclass(frozen=True)
class RuleInfo:
    code: str
    name: str
    summary: str
    safety: str
    family: str
    docs: str
    url: str

    @property
    def description(self) -> str:
        """The first paragraph of "What it does" (the rule docs' opening), or the summary."""
        section = _section(self.docs, "What it does")
        paragraph = section.split("\n\n")[0] if section else ""
        return " ".join(paragraph.split()) or self.summary


def _section(docs: str, title: str) -> str:
    lines = docs.splitlines()
    for i, line in enumerate(lines):
        if line.lstrip("#").strip().lower() == title.lower() and line.startswith("#"):
            body = []
            for rest in lines[i + 1 :]:
                if rest.startswith("#"):
                    break
                body.append(rest)
            return "\n".join(body).strip()
    return ""


_RULES: dict[str, RuleInfo] = {}


def rule_info(code: str) -> RuleInfo:
    """A rule's metadata. The engine registered every rule that produced a finding; the catalogue
    is read only for a code it has not (so a report costs no extra rule imports)."""
    if code not in _RULES:
        from ..rules.base import FAMILIES, all_rules, registered

        cls = registered().get(code) or {rule.code: rule for rule in all_rules()}.get(code)
        if cls is None:
            _RULES[code] = RuleInfo(code, code.lower(), code, "safe", "", "", f"{PROJECT_URL}#rules")
        else:
            module = cls.__module__
            if module.startswith("optimizer.rules."):
                url = f"{PROJECT_URL}/blob/main/{module.replace('.', '/')}.py"
            else:
                url = f"{PROJECT_URL}#rules"
            _RULES[code] = RuleInfo(
                code=code,
                name=cls.name,
                summary=cls.summary,
                safety=cls.safety.value,
                family=FAMILIES.get(code[:3], "other"),
                docs=cls.docs(),
                url=url,
            )
    return _RULES[code]


def relative_path(result: FileResult, root: Path) -> str:
    """The file's path relative to ``root`` as a POSIX path (its name as given for stdin)."""
    if result.path is None:
        return result.name
    from ..core.globs import absolute

    return Path(os.path.relpath(absolute(result.path), absolute(root))).as_posix()


def relative_uri(result: FileResult, root: Path) -> str:
    """A relative, percent-encoded POSIX URI under ``root``; a file:// URI for a file outside it."""
    path = relative_path(result, root)
    if result.path is not None and (path == ".." or path.startswith("../")):
        from ..core.globs import absolute

        return absolute(result.path).as_uri()
    return quote(path, safe="/")


def repository_root(start: Path | None = None) -> Path:
    """The git work tree's top folder (where CI systems resolve paths from), else ``start``/cwd."""
    start = start or Path.cwd()
    try:
        result = subprocess.run(
            ["git", "-C", str(start), "rev-parse", "--show-toplevel"],
            capture_output=True,
            text=True,
            timeout=10,
            check=False,
        )
    except (OSError, subprocess.SubprocessError):
        return start.resolve()
    top = result.stdout.strip()
    return Path(top).resolve() if result.returncode == 0 and top else start.resolve()
