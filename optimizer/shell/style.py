"""Writing shell text back into a Dockerfile in the file's own style.

A rule that joins two RUNs or appends a cleanup writes new continuation lines; they should look like
the author's (``&& \\`` at line ends or ``\\`` then ``&&`` at line starts, four spaces or a tab) and must
use the file's escape character (``\\`` or ```` ` ```` after ``# escape=```` ``) — a backslash in a
backtick file would reach the shell instead of continuing the line.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass

from optimizer.syntax import Dockerfile, Instruction
from optimizer.syntax.buildkit import is_comment_line

_OPERATORS = ("&&", "||", ";", "|")
LEADING = "leading"
TRAILING = "trailing"


def continuation(escape: str = "\\", indent: str | int = 4, newline: str = "\n") -> str:
    """The text that ends a line and starts the next inside one instruction: `` \\⏎    ``."""
    pad = " " * indent if isinstance(indent, int) else indent
    return f" {escape}{newline}{pad}"


@dataclass(frozen=True)
class ContinuationStyle:
    """How a file (or one RUN) lays out a chain of commands over several lines."""

    operator_position: str = TRAILING  # TRAILING: ``a && \\⏎    b``; LEADING: ``a \\⏎    && b``
    indent: str = "    "  # the leading whitespace of a line that starts a command
    separator: str = "&&"  # the operator the author chains commands with ("&&" or ";")
    escape: str = "\\"
    newline: str = "\n"
    evidence: int = 0  # how many continuation lines the guess rests on (0: defaults)

    def break_line(self) -> str:
        return continuation(self.escape, self.indent, self.newline)

    def join(self, commands: list[str], operator: str | None = None) -> str:
        """``commands`` chained with ``operator`` (default: the file's), one per line."""
        op = operator or self.separator
        if op == ";":  # nobody starts a line with `;`
            return (";" + self.break_line()).join(commands)
        if self.operator_position == LEADING:
            return (self.break_line() + op + " ").join(commands)
        return (" " + op + self.break_line()).join(commands)


def instruction_lines(instruction: Instruction) -> list[str]:
    """The physical lines of an instruction's command line (heredoc bodies excluded)."""
    text = instruction.text[: instruction.body_end - instruction.start]
    return text.splitlines()


def _votes(instruction: Instruction, escape: str) -> tuple[Counter[str], Counter[str], Counter[str]]:
    positions: Counter[str] = Counter()
    indents: Counter[str] = Counter()
    separators: Counter[str] = Counter()
    # Only a line with a `#` can be a comment line: the others skip the parser's check.
    lines = [
        line
        for line in instruction_lines(instruction)
        if line.strip() and ("#" not in line or not is_comment_line(line + "\n"))
    ]
    previous_ends_with_operator = False
    for index, line in enumerate(lines):
        body = line.rstrip()
        continued = body.endswith(escape) and index + 1 < len(lines)
        if continued:
            body = body[: -len(escape)].rstrip()
        stripped = body.strip()
        if index > 0:
            leading = (
                next(op for op in _OPERATORS if stripped.startswith(op))
                if stripped.startswith(_OPERATORS)
                else None
            )
            if leading or previous_ends_with_operator:
                indents[line[: len(line) - len(line.lstrip())]] += 1
            if leading:
                positions[LEADING] += 1
                separators[leading] += 1
        trailing = (
            next(op for op in _OPERATORS if stripped.endswith(op))
            if continued and stripped.endswith(_OPERATORS)
            else None
        )
        if trailing and not stripped.endswith("\\" + trailing):  # `-exec … \;` is no operator
            positions[TRAILING] += 1
            separators[trailing] += 1
        previous_ends_with_operator = bool(trailing)
    return positions, indents, separators


def detect_style(tree: Dockerfile, instruction: Instruction | None = None) -> ContinuationStyle:
    """The continuation style of one RUN, or of the whole file's RUNs (majority of their lines).

    Falls back to the file-wide style for a RUN on one line, and to trailing ``&&`` with four spaces
    for a file without any multi-line RUN.
    """
    runs = (
        [instruction]
        if instruction is not None
        else [node for node in tree.instructions if (node.sub or node).name == "RUN" and not node.json]
    )
    positions: Counter[str] = Counter()
    indents: Counter[str] = Counter()
    separators: Counter[str] = Counter()
    for run in runs:
        p, i, s = _votes(run, tree.escape)
        # Every count is positive, so ``update`` adds as ``+=`` would (same keys, same order)
        # without ``+=``'s pass over the result to drop non-positive counts.
        positions.update(p)
        indents.update(i)
        separators.update(s)
    if instruction is not None and not positions and not indents:
        return detect_style(tree)
    evidence = sum(positions.values())
    position = LEADING if positions[LEADING] > positions[TRAILING] else TRAILING
    separator = ";" if separators[";"] > separators["&&"] else "&&"
    indent = indents.most_common(1)[0][0] if indents else "    "
    return ContinuationStyle(position, indent or "    ", separator, tree.escape, tree.newline, evidence)
