"""Where each character of a RUN script came from in the Dockerfile text.

The script a shell runs is not a slice of the file: BuildKit joins continuation lines (dropping the
escape, the line break, and comment or blank lines in between), and a heredoc script is the body of a
heredoc, with leading tabs stripped for ``<<-``, or the instruction line and the bodies glued with line
breaks. A rule that finds something in the script must edit the file, so every script offset maps
back to a file offset through these runs of contiguous text.
"""

from __future__ import annotations

from bisect import bisect_right
from dataclasses import dataclass, field

from optimizer.syntax import SourceMap


@dataclass(eq=False)
class ScriptMap:
    """Runs of the script that are contiguous in the source: ``(script_start, source_start)`` each.

    A run may be *synthetic* (a line break BuildKit inserted that has no counterpart of its own in the
    file); it maps to a nearby source offset but a span over it is never exact.
    """

    segments: list[tuple[int, int]] = field(default_factory=list)
    synthetic: set[int] = field(default_factory=set)  # indexes into segments
    length: int = 0
    # Added to every source offset: the same RUN text found again at another place in the file (an
    # edit earlier in the file moved it) reuses its analysis with the map shifted.
    shift: int = 0

    def add(self, script_start: int, source_start: int, *, synthetic: bool = False) -> None:
        if self.segments and self.segments[-1][0] == script_start:
            self.segments.pop()  # an empty run: the later one wins
            self.synthetic.discard(len(self.segments))
        if synthetic:
            self.synthetic.add(len(self.segments))
        self.segments.append((script_start, source_start))

    def _index(self, offset: int) -> int:
        return max(bisect_right(self.segments, (offset, float("inf"))) - 1, 0)

    def to_source(self, offset: int) -> int:
        """Source offset of the script character at ``offset`` (or just past the last one)."""
        script_start, source_start = self.segments[self._index(offset)]
        return source_start + self.shift + (offset - script_start)

    def to_source_end(self, offset: int) -> int:
        """Source offset just past the script character at ``offset - 1`` (for span ends)."""
        if offset <= 0:
            return self.to_source(0)
        return self.to_source(offset - 1) + 1

    def span(self, start: int, end: int) -> tuple[int, int]:
        """Source span of the script span ``start .. end``; see ``exact`` for whether it is one slice."""
        if end <= start:
            point = self.to_source(start)
            return point, point
        return self.to_source(start), self.to_source_end(end)

    def exact(self, start: int, end: int) -> bool:
        """True when ``start .. end`` lies in one run: the source slice reads exactly as the script."""
        if end <= start:
            return True
        first, last = self._index(start), self._index(end - 1)
        return first == last and first not in self.synthetic

    @classmethod
    def from_instruction(cls, source_map: SourceMap, args_start: int, length: int) -> ScriptMap:
        """The map of ``instruction.args``: the logical line's runs, shifted to start at the args."""
        result = cls(length=length)
        for logical_start, source_start in source_map.segments:
            if logical_start <= args_start:
                result.segments = [(0, source_start + args_start - logical_start)]
            elif logical_start - args_start < length:
                result.add(logical_start - args_start, source_start)
        return result
