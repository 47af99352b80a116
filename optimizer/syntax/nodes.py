"""The lossless Dockerfile tree.

Every node owns the exact slice of source text it was parsed from (``node.text``), including its
leading indentation, its line ending, continuation lines, comment and blank lines inside a
continuation, and heredoc bodies. The nodes of a file partition its text, so printing is
concatenation and a rule that edits one node's span cannot disturb its neighbours.

Offsets (``start``/``end``) index the decoded text (``str`` positions, BOM included); lines are
1-based and numbered the way BuildKit numbers them.
"""

from __future__ import annotations

import re
from bisect import bisect_right
from dataclasses import dataclass, field

from .errors import ParseError

# FROM's ``AS name``: BuildKit reads the keyword in any case (its FromAsCasing check wants one case).
FROM_AS = re.compile(r"^\S+[ \t]+(as)[ \t]+\S", re.IGNORECASE)


@dataclass(eq=False)
class Node:
    text: str
    start: int
    line: int
    end_line: int

    @property
    def end(self) -> int:
        return self.start + len(self.text)


@dataclass(eq=False)
class Directive(Node):
    """A parser directive such as ``# syntax=docker/dockerfile:1`` or ``# escape=`` ``."""

    name: str = ""
    value: str = ""


@dataclass(eq=False)
class Comment(Node):
    """A whole-line comment outside any instruction."""

    @property
    def content(self) -> str:
        body = self.text.lstrip().rstrip("\r\n")
        return body[1:].strip()


@dataclass(eq=False)
class Blank(Node):
    """An empty or whitespace-only line outside any instruction."""


@dataclass(frozen=True)
class Flag:
    """A builder flag as BuildKit reads it: ``--mount=type=cache,target=/x`` → name ``mount``.

    ``text`` is the word with BuildKit's quote and escape removal applied; non-ASCII text stays as
    written (BuildKit's own string is ``buildkit_text``)."""

    text: str
    start: int  # source offsets of the flag word as written
    end: int

    @property
    def name(self) -> str:
        return self.text[2:].split("=", 1)[0]

    @property
    def value(self) -> str | None:
        parts = self.text.split("=", 1)
        return parts[1] if len(parts) == 2 else None

    @property
    def buildkit_text(self) -> str:
        """The flag as BuildKit's AST holds it: its byte-wise scan reads non-ASCII text as the
        Latin-1 decoding of its UTF-8 bytes (``id=café`` → ``id=cafÃ©``); ``text`` keeps what is
        written. The two are the same for ASCII, and one determines the other."""
        if self.text.isascii():
            return self.text
        return self.text.encode("utf-8", "surrogatepass").decode("latin-1")


@dataclass(frozen=True)
class Heredoc:
    name: str
    chomp: bool  # ``<<-``: leading tabs stripped
    expand: bool  # False when the delimiter was quoted
    fd: int
    content: str  # body as BuildKit sees it, line endings included
    body_start: int  # source offsets of the body (terminator line excluded)
    body_end: int
    terminator_start: int
    terminator_end: int


@dataclass(eq=False)
class SourceMap:
    """Maps offsets in an instruction's logical line (continuations joined) back to the source.

    The logical line is made of runs of source text; ``segments`` holds, per run, its logical start
    and its source start, in order.
    """

    segments: list[tuple[int, int]] = field(default_factory=list)
    length: int = 0

    def add(self, logical_start: int, source_start: int) -> None:
        self.segments.append((logical_start, source_start))

    def to_source(self, offset: int) -> int:
        """Source offset of the logical character at ``offset`` (or just past the last one)."""
        segments = self.segments
        if len(segments) == 1:  # one source line (most instructions): no search
            logical_start, source_start = segments[0]
            return source_start + (offset - logical_start)
        if not segments:
            raise ValueError("empty source map")
        index = bisect_right(segments, (offset, float("inf"))) - 1
        index = max(index, 0)
        logical_start, source_start = segments[index]
        return source_start + (offset - logical_start)

    def to_source_end(self, offset: int) -> int:
        """Source offset just past the logical character at ``offset - 1`` (for span ends)."""
        if offset <= 0:
            return self.to_source(0)
        return self.to_source(offset - 1) + 1


@dataclass(eq=False)
class Instruction(Node):
    keyword: str = ""  # as written, e.g. ``run``
    flags: list[Flag] = field(default_factory=list)
    args: str = ""  # the text after the flags, trimmed, as BuildKit passes it on
    value: tuple[str, ...] = ()  # BuildKit's parsed value (ENV pairs, JSON items, FROM words, ...)
    json: bool = False  # exec form
    heredocs: list[Heredoc] = field(default_factory=list)
    logical: str = ""  # the instruction line as BuildKit sees it: continuations joined
    source_map: SourceMap = field(default_factory=SourceMap)
    keyword_start: int = 0
    args_start: int = 0  # offset of ``args`` in ``logical``
    inner_comments: list[tuple[int, int]] = field(default_factory=list)  # comment lines in continuation
    leading_comments: list[Comment] = field(default_factory=list)  # comment lines right above
    has_blank_continuation: bool = False
    stage: int | None = None  # index into Dockerfile.stages; None for ARGs before the first FROM
    sub: Instruction | None = None  # ONBUILD's trigger instruction
    parent: Instruction | None = None  # the ONBUILD this instruction is the trigger of

    # The keyword in upper case: ``RUN``, ``COPY``, ... (read hundreds of thousands of times per
    # corpus run, so computed once; ``keyword`` is never reassigned after parsing).
    name: str = field(init=False, repr=False)

    def __post_init__(self) -> None:
        self.name = self.keyword.upper()

    @property
    def keyword_end(self) -> int:
        return self.keyword_start + len(self.keyword)

    def flag(self, name: str) -> Flag | None:
        for item in self.flags:
            if item.name == name:
                return item
        return None

    def flag_values(self, name: str) -> list[str]:
        return [f.value or "" for f in self.flags if f.name == name]

    @property
    def args_source_start(self) -> int:
        return self.source_map.to_source(self.args_start)

    @property
    def body_end(self) -> int:
        """Source offset where the instruction line (with continuations) ends, before heredoc bodies."""
        if self.heredocs:
            return self.heredocs[0].body_start
        return self.end


@dataclass(eq=False)
class Stage:
    index: int
    base: str  # the image reference as written (may contain ARGs)
    name: str | None  # the ``AS`` alias, lower-cased as BuildKit does
    from_instruction: Instruction
    instructions: list[Instruction] = field(default_factory=list)
    platform: str | None = None


@dataclass(eq=False)
class Dockerfile:
    """The parsed file. ``str(tree)`` (or ``tree.print()``) gives the source back byte for byte."""

    bom: str
    nodes: list[Node]
    escape: str = "\\"
    directives: list[Directive] = field(default_factory=list)
    stages: list[Stage] = field(default_factory=list)
    newline: str = "\n"  # the file's dominant line ending, for rules that insert lines
    errors: list[ParseError] = field(default_factory=list)  # what BuildKit or a build would reject

    def check(self) -> None:
        """Raise the first error, if any: a tree with errors must not be rewritten."""
        if self.errors:
            raise self.errors[0]

    def print(self) -> str:
        return self.bom + "".join(node.text for node in self.nodes)

    __str__ = print

    @property
    def instructions(self) -> list[Instruction]:
        """The instructions in order (a new list each time; the filtering is done once per tree)."""
        nodes = self.nodes
        cached = self.__dict__.get("_instructions")
        if cached is None or cached[0] is not nodes or cached[1] != len(nodes):
            found = [node for node in nodes if isinstance(node, Instruction)]
            cached = self.__dict__["_instructions"] = (nodes, len(nodes), found)
        return list(cached[2])

    def directive(self, name: str) -> Directive | None:
        for item in self.directives:
            if item.name == name:
                return item
        return None

    @property
    def text(self) -> str:
        return self.print()
