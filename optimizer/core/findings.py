"""What a rule returns: findings, each with an optional fix (text edits plus an applicability).

A rule never edits text. The engine decides which fixes to apply, applies them, re-parses, loops.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass


class Applicability(enum.Enum):
    """How sure a fix is to keep the image's behaviour (ruff's Applicability)."""

    SAFE = "safe"  # applied by default
    UNSAFE = "unsafe"  # may change behaviour; needs --unsafe-fixes
    DISPLAY_ONLY = "display-only"  # shown, never applied


@dataclass(frozen=True, order=True)
class Edit:
    """Replace ``text[start:end]`` with ``replacement``; offsets index the text the rule saw."""

    start: int
    end: int
    replacement: str

    @classmethod
    def insert(cls, at: int, text: str) -> Edit:
        return cls(at, at, text)

    @classmethod
    def delete(cls, start: int, end: int) -> Edit:
        return cls(start, end, "")


@dataclass(frozen=True)
class FileEdit:
    """Lines a fix appends to another file than the Dockerfile (its ``.dockerignore``).

    ``path`` is the file's path (created when missing). The engine merges the lines of every applied
    fix on one file into a single commented block (``core/files.py``): duplicates and lines the file
    already has are dropped, so a second run adds nothing.
    """

    path: str
    lines: tuple[str, ...]
    code: str = ""  # the rule that asks for them (named in the block's comment)


@dataclass(frozen=True)
class Fix:
    edits: tuple[Edit, ...]
    applicability: Applicability = Applicability.SAFE
    # Applied only on the verified path (``--verify``: both images built, the rewrite proven by
    # ``dockopt verify``'s comparison); elsewhere the fix is shown but never written.
    requires_verification: bool = False
    # Changes to files beside the Dockerfile; a fix may have these and no Dockerfile edit at all.
    file_edits: tuple[FileEdit, ...] = ()

    @property
    def span(self) -> tuple[int, int]:
        if not self.edits:
            return (-1, -1)  # touches no Dockerfile text: conflicts with nothing
        return min(e.start for e in self.edits), max(e.end for e in self.edits)


@dataclass(frozen=True)
class Finding:
    code: str
    name: str
    message: str  # one line: what is wrong and what the fix does
    line: int
    column: int
    anchors: tuple[int, ...]  # first lines of the instructions it concerns (pragmas look here)
    fix: Fix | None = None
    # Where the flagged text ends (exclusive column, same counting as ``column``); 0 when unknown,
    # and reports then use the start position.
    end_line: int = 0
    end_column: int = 0

    @property
    def applicability(self) -> Applicability:
        return self.fix.applicability if self.fix else Applicability.DISPLAY_ONLY
