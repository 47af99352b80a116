"""Applying fixes: sorted, non-overlapping, back to front (ruff's apply_fixes, pyupgrade's ordering)."""

from __future__ import annotations

from bisect import bisect_right, insort

from ..core.findings import Edit, Finding


def select_non_overlapping(findings: list[Finding]) -> list[Finding]:
    """The fixes to apply this round, in a deterministic order; a fix overlapping a kept one waits.

    Order: by the position of the fix, then by code, so the same input always gives the same output.
    Two fixes conflict when their spans overlap, or when an insertion touches another fix's span
    (see ``_conflicts``). A skipped fix is found again next round on the new text. Kept spans are
    held sorted, so each check looks only at the neighbours: linear-logarithmic in the fixes.
    """
    chosen: list[Finding] = []
    taken: list[tuple[int, int]] = []  # sorted; kept spans never overlap
    for finding in sorted(findings, key=lambda f: (f.fix.span, f.code, f.message)):  # type: ignore[union-attr]
        edits = finding.fix.edits  # type: ignore[union-attr]
        if any(_conflicts(edit, span) for edit in edits for span in _near(taken, edit)):
            continue
        chosen.append(finding)
        for edit in edits:
            insort(taken, (edit.start, edit.end))
    return chosen


def _near(taken: list[tuple[int, int]], edit: Edit) -> list[tuple[int, int]]:
    """The kept spans that could touch ``edit``: those starting up to its end, back to the last one
    that ends before it (kept spans are disjoint but for zero-width ones, so a few suffice)."""
    right = bisect_right(taken, (edit.end, float("inf")))
    left = right
    while left > 0 and taken[left - 1][1] >= edit.start:
        left -= 1
    return taken[max(left - 1, 0) : right]


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
