"""Applying fixes: sorted, non-overlapping, back to front (ruff's apply_fixes, pyupgrade's ordering)."""

from __future__ import annotations

from ..rules.base import Edit, Finding


def select_non_overlapping(findings: list[Finding]) -> list[Finding]:
    """The fixes to apply this round, in a deterministic order; a fix overlapping a kept one waits.

    Order: by the position of the fix, then by code, so the same input always gives the same output.
    Two fixes conflict when their spans overlap, or when both insert at the same offset (their
    order would be arbitrary). A skipped fix is found again next round on the new text.
    """
    chosen: list[Finding] = []
    taken: list[tuple[int, int]] = []
    for finding in sorted(findings, key=lambda f: (f.fix.span, f.code, f.message)):  # type: ignore[union-attr]
        edits = finding.fix.edits  # type: ignore[union-attr]
        if any(_conflicts(edit, span) for edit in edits for span in taken):
            continue
        chosen.append(finding)
        taken.extend((edit.start, edit.end) for edit in edits)
    return chosen


def _conflicts(edit: Edit, span: tuple[int, int]) -> bool:
    """Overlapping spans conflict, and so does an insertion touching another fix's span.

    An insertion at the very start or end of a replaced span is applied in a fixed order, but the
    two rules did not see each other's result: one may append a cleanup where the other is joining
    the RUN that already has one. Waiting a round lets the second rule look again.
    """
    start, end = span
    if edit.start < end and start < edit.end:
        return True
    if edit.start == edit.end:
        return start <= edit.start <= end
    return start == end and edit.start <= start <= edit.end


def apply_edits(text: str, edits: list[Edit]) -> str:
    """Apply edits that do not overlap; untouched text between them is copied as is."""
    out: list[str] = []
    cursor = 0
    for edit in sorted(edits):
        if edit.start < cursor:
            raise ValueError(f"overlapping edits at offset {edit.start}")
        out.append(text[cursor : edit.start])
        out.append(edit.replacement)
        cursor = edit.end
    out.append(text[cursor:])
    return "".join(out)
