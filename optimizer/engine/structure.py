"""The structural check of a round: no instruction the fixes left alone may change.

BuildKit's re-parse proves an output is *a* Dockerfile, not that it is the one the fixes meant: a
COPY moved below ``RUN npm i\\`` at the end of the file parses fine — as part of that RUN. So, beside
the re-parse, every instruction of the input that no applied edit touched must still be in the
output, at the offset the edits move it to, with the same extent and the same reading (keyword,
flags, value, exec form, heredocs; ONBUILD's trigger too). An instruction is touched when an edit
overlaps its span or an insertion lies strictly inside it; an insertion exactly at its start or end
leaves it alone (that is where a moved or added instruction goes).

What this does not see: text a fix writes is its own declaration and is not compared. So an
instruction one fix inserts, swallowed in the same round by another fix that leaves a dangling
continuation in the instruction before it, passes — unless the two edits touch, in which case they
never share a round (``edits._conflicts``) and the second is checked against the first's result.
"""

from __future__ import annotations

from collections.abc import Sequence

from ..core.findings import Edit
from ..syntax import Dockerfile, Instruction


def touched(instruction: Instruction, edits: Sequence[Edit]) -> bool:
    start, end = instruction.start, instruction.end
    for edit in edits:
        if edit.start == edit.end:
            if start < edit.start < end:
                return True
        elif edit.start < end and start < edit.end:
            return True
    return False


def shift(offset: int, edits: Sequence[Edit]) -> int:
    """Where input ``offset`` (the start of text no edit covers) lands in the output."""
    return offset + sum(len(e.replacement) - (e.end - e.start) for e in edits if e.end <= offset)


def reading(instruction: Instruction) -> tuple[object, ...]:
    """What BuildKit makes of an instruction (our tree agrees with it; the oracle tests check that)."""
    sub = instruction.sub
    return (
        instruction.name,
        tuple(flag.text for flag in instruction.flags),
        tuple(instruction.value),
        instruction.json,
        tuple((h.name, h.content, h.chomp, h.expand, h.fd) for h in instruction.heredocs),
        reading(sub) if sub is not None else None,
    )


def structural_problem(before: Dockerfile, edits: Sequence[Edit], after: Dockerfile) -> str | None:
    """None when every untouched instruction of ``before`` is intact in ``after``; else what broke."""
    by_start = {node.start: node for node in after.instructions}
    for instruction in before.instructions:
        if touched(instruction, edits):
            continue
        start = shift(instruction.start, edits)
        found = by_start.get(start)
        what = f"the {instruction.name} of line {instruction.line}"
        if found is None:
            return f"{what} is no longer an instruction of its own (it ran into the one before it)"
        if found.end != start + len(instruction.text):
            return f"{what} now runs on into the text after it"
        if reading(found) != reading(instruction):
            return f"{what} now reads differently"
    return None
