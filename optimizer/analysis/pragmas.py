"""``# dockopt: ignore=CODE[,CODE]`` and ``# dockopt: ignore-file[=CODES]``, applied centrally.

A line pragma sits in the comment block directly above an instruction and silences the named
rules for findings anchored at that instruction. A file pragma is any comment before the first
instruction; without codes it silences every rule.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from ..core.findings import Finding
from ..core.selectors import Named, matches
from ..syntax import Comment, Dockerfile, Instruction

PRAGMA_RE = re.compile(r"^#\s*dockopt:\s*(ignore-file|ignore)\s*(?:=\s*(\S.*?))?\s*$", re.IGNORECASE)
ALL = ("ALL",)


@dataclass
class Suppressions:
    file: tuple[str, ...] = ()  # selectors silenced for the whole file
    lines: dict[int, tuple[str, ...]] = field(default_factory=dict)  # instruction line -> selectors

    def silences(self, finding: Finding) -> bool:
        selectors = list(self.file)
        for line in finding.anchors:
            selectors.extend(self.lines.get(line, ()))
        return any(matches(finding, s) for s in selectors)

    def silences_rule(self, rule: Named) -> bool:
        """A file pragma silences every finding ``rule`` could make, so it need not run at all."""
        return bool(self.file) and any(matches(rule, s) for s in self.file)


def _selectors(raw: str | None) -> tuple[str, ...]:
    if not raw:
        return ALL
    return tuple(part.strip() for part in raw.split(",") if part.strip())


def collect(tree: Dockerfile) -> Suppressions:
    result = Suppressions()
    seen_instruction = False
    for node in tree.nodes:
        if isinstance(node, Instruction):
            seen_instruction = True
            for comment in node.leading_comments:
                match = PRAGMA_RE.match(comment.text.strip())
                if match and match.group(1).lower() == "ignore":
                    result.lines[node.line] = result.lines.get(node.line, ()) + _selectors(match.group(2))
        elif isinstance(node, Comment) and not seen_instruction:
            match = PRAGMA_RE.match(node.text.strip())
            if match and match.group(1).lower() == "ignore-file":
                result.file += _selectors(match.group(2))
    return result
