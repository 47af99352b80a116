"""Offsets ↔ LSP positions, and the smallest edits that turn one text into another.

The engine speaks in ``str`` offsets; the protocol in (line, character) where lines end at ``\\n``,
``\\r\\n`` or ``\\r`` and characters are counted in the client's position encoding (UTF-16 unless
the client asked for another). A ``LineIndex`` is built once per document version.
"""

from __future__ import annotations

import re
from bisect import bisect_right
from dataclasses import dataclass
from difflib import SequenceMatcher

from lsprotocol import types

LINE_BREAK = re.compile(r"\r\n|\r|\n")
UTF8, UTF16, UTF32 = "utf-8", "utf-16", "utf-32"


def _units(text: str, encoding: str) -> int:
    """How many code units of ``encoding`` the client counts for ``text``."""
    if encoding == UTF32 or text.isascii():
        return len(text)
    if encoding == UTF8:
        return len(text.encode("utf-8", errors="surrogatepass"))
    return len(text) + sum(1 for char in text if ord(char) > 0xFFFF)


def _chars(line: str, units: int, encoding: str) -> int:
    """The number of characters of ``line`` that make up ``units`` client code units (clamped)."""
    if encoding == UTF32 or line.isascii():
        return min(units, len(line))
    count = 0
    for index, char in enumerate(line):
        if count >= units:
            return index
        count += _units(char, encoding)
    return len(line)


class LineIndex:
    """Line starts of one text, for converting offsets to client positions and back."""

    def __init__(self, text: str, encoding: str = UTF16) -> None:
        self.text = text
        self.encoding = encoding
        self.starts = [0, *(match.end() for match in LINE_BREAK.finditer(text))]

    def line_end(self, line: int) -> int:
        """Offset of the end of ``line`` (0-based), before its line break."""
        if line + 1 < len(self.starts):
            end = self.starts[line + 1]
            return end - 2 if self.text.startswith("\r\n", end - 2) else end - 1
        return len(self.text)

    def position(self, offset: int) -> types.Position:
        offset = max(0, min(offset, len(self.text)))
        line = bisect_right(self.starts, offset) - 1
        start = self.starts[line]
        offset = min(offset, self.line_end(line))  # inside a \r\n: the end of the line
        return types.Position(line=line, character=_units(self.text[start:offset], self.encoding))

    def offset(self, position: types.Position) -> int:
        if position.line >= len(self.starts):
            return len(self.text)
        start = self.starts[position.line]
        line = self.text[start : self.line_end(position.line)]
        return start + _chars(line, position.character, self.encoding)

    def range(self, start: int, end: int) -> types.Range:
        return types.Range(start=self.position(start), end=self.position(end))

    def offset_of(self, line: int, column: int) -> int:
        """Offset of a 1-based (line, column) in characters, as findings and parse errors give them."""
        if line - 1 >= len(self.starts):
            return len(self.text)
        start = self.starts[max(line - 1, 0)]
        return min(start + max(column - 1, 0), self.line_end(max(line - 1, 0)))


@dataclass(frozen=True)
class Change:
    """Replace ``old[start:end]`` with ``text``."""

    start: int
    end: int
    text: str


def trim(old: str, start: int, end: int, replacement: str) -> Change:
    """The same change without the characters the replacement keeps at either end."""
    segment = old[start:end]
    prefix = 0
    limit = min(len(segment), len(replacement))
    while prefix < limit and segment[prefix] == replacement[prefix]:
        prefix += 1
    suffix = 0
    while suffix < limit - prefix and segment[-1 - suffix] == replacement[-1 - suffix]:
        suffix += 1
    # A position cannot point between \r and \n: keep a split line break whole.
    if prefix and old.startswith("\r\n", start + prefix - 1):
        prefix -= 1
    if suffix and old.startswith("\r\n", end - suffix - 1):
        suffix -= 1
    return Change(start + prefix, end - suffix, replacement[prefix : len(replacement) - suffix])


def changes(old: str, new: str) -> list[Change]:
    """Minimal-ish changes turning ``old`` into ``new``: changed lines, trimmed to the characters
    that differ, never a whole-document replace (unless every line differs)."""
    if old == new:
        return []
    old_lines = old.splitlines(keepends=True)
    new_lines = new.splitlines(keepends=True)
    old_starts = _starts(old_lines)
    new_starts = _starts(new_lines)
    result: list[Change] = []
    matcher = SequenceMatcher(None, old_lines, new_lines, autojunk=False)
    for tag, i1, i2, j1, j2 in matcher.get_opcodes():
        if tag == "equal":
            continue
        replacement = new[new_starts[j1] : new_starts[j2]]
        change = trim(old, old_starts[i1], old_starts[i2], replacement)
        if change.start != change.end or change.text:
            result.append(change)
    return result


def _starts(lines: list[str]) -> list[int]:
    starts = [0]
    for line in lines:
        starts.append(starts[-1] + len(line))
    return starts


def apply(old: str, edits: list[Change]) -> str:
    """Apply non-overlapping changes (tests and range formatting use this)."""
    out: list[str] = []
    cursor = 0
    for change in sorted(edits, key=lambda c: (c.start, c.end)):
        out.append(old[cursor : change.start])
        out.append(change.text)
        cursor = change.end
    out.append(old[cursor:])
    return "".join(out)


def text_edits(index: LineIndex, edits: list[Change]) -> list[types.TextEdit]:
    return [types.TextEdit(range=index.range(c.start, c.end), new_text=c.text) for c in edits]
