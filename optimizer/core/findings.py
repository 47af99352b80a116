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
class Fix:
    edits: tuple[Edit, ...]
    applicability: Applicability = Applicability.SAFE
    # Applied only on the verified path (``--verify``: both images built, the rewrite proven by
    # ``dockopt verify``'s comparison); elsewhere the fix is shown but never written.
    requires_verification: bool = False

    @property
    def span(self) -> tuple[int, int]:
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
