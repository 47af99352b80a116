"""Second files: what a run's ``FileEdit``s make of a file beside the Dockerfile (its ``.dockerignore``).

Every front end (the formatter, the language server, the bot, ``verify``) asks the same question —
"given the file as it is (or None when it does not exist) and the applied fixes' file edits, what
is its new text?" — so the answer lives here, once.

The lines of all edits on one file go into a single block appended at the end, under one comment
that names the rules (``# added by dockopt (DO601, DO602)``). The file's own text is kept byte for
byte: its BOM, its line endings (CRLF when it uses them), its comments and order, and whether it
ends with a newline. A line the file already has, or that an earlier edit added, is not repeated;
when nothing is left to add, the file is unchanged.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from .findings import FileEdit

HEADER = "# added by dockopt ({codes}): files the build does not read (see `dockopt explain {first}`)"


@dataclass(frozen=True)
class FileChange:
    """One second file a run changes: ``before`` is None when the file does not exist yet."""

    path: Path
    before: str | None
    after: str

    @property
    def created(self) -> bool:
        return self.before is None


def _existing_lines(text: str) -> set[str]:
    return {line.strip() for line in text.replace("\r\n", "\n").split("\n")}


def compose(before: str | None, edits: Iterable[FileEdit]) -> str:
    """The new text of a file from its current text (None: missing) and the edits on it."""
    text = before or ""
    have = _existing_lines(text.removeprefix("\ufeff"))
    lines: list[str] = []
    codes: list[str] = []
    for edit in edits:
        fresh = [line for line in edit.lines if line.strip() not in have and line not in lines]
        lines += fresh
        if fresh and edit.code and edit.code not in codes:
            codes.append(edit.code)
    if not lines:
        return text if before is not None else ""
    newline = "\r\n" if "\r\n" in text else "\n"
    header = HEADER.format(codes=", ".join(sorted(codes)) or "dockopt", first=min(codes) if codes else "")
    block = newline.join([header, *lines])
    if before is None or not text.removeprefix("\ufeff"):
        return text + block + newline
    final_newline = text.endswith("\n")
    body = text if final_newline else text + newline
    separator = "" if body.endswith(newline + newline) or body == newline else newline
    return body + separator + block + (newline if final_newline else "")


def changes(originals: dict[Path, str | None], edits: Iterable[FileEdit]) -> list[FileChange]:
    """The files ``edits`` change, from their ``originals`` (read with :func:`read_original`)."""
    by_path: dict[Path, list[FileEdit]] = {}
    for edit in edits:
        by_path.setdefault(Path(edit.path), []).append(edit)
    out = []
    for path, group in sorted(by_path.items()):
        before = originals.get(path)
        after = compose(before, group)
        if after != (before or "") or (before is None and after):
            out.append(FileChange(path, before, after))
    return out


def read_original(path: Path) -> str | None:
    """The file's text as the formatter reads text (no newline translation), None when missing."""
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        return None
    except OSError:
        return None
    return data.decode("utf-8", errors="surrogateescape")
