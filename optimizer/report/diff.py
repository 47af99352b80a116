"""Unified diffs that show every byte that changes, including line endings and a final newline."""

from __future__ import annotations

import difflib
import re

RED, GREEN, CYAN, BOLD, RESET = "\x1b[31m", "\x1b[32m", "\x1b[36m", "\x1b[1m", "\x1b[0m"
NO_NEWLINE = "\\ No newline at end of file\n"
# Lines end at "\n" only, as for BuildKit, diff and patch; str.splitlines would also split at
# "\r", "\f", "\x1c", "\u2028"... inside a line and produce a diff that does not apply.
_LINE_RE = re.compile(r"[^\n]*\n|[^\n]+")


def _lines(text: str) -> list[str]:
    return _LINE_RE.findall(text)


def unified_diff(before: str, after: str, name: str, context: int = 3) -> str:
    """``diff -u``-style text; ``patch -p1`` applies it to the original file."""
    a = _lines(before)
    b = _lines(after)
    out: list[str] = []
    for line in difflib.unified_diff(a, b, f"a/{name}", f"b/{name}", n=context):
        if line.startswith(("---", "+++")):
            out.append(line.rstrip("\n") + "\n")
            continue
        out.append(line)
        if not line.endswith("\n"):
            out.append("\n" + NO_NEWLINE)
    return "".join(out)


def colorize(diff: str) -> str:
    lines = []
    for line in _lines(diff):
        body, end = (line[:-1], "\n") if line.endswith("\n") else (line, "")
        if line.startswith(("---", "+++")):
            lines.append(f"{BOLD}{body}{RESET}{end}")
        elif line.startswith("@@"):
            lines.append(f"{CYAN}{body}{RESET}{end}")
        elif line.startswith("-"):
            lines.append(f"{RED}{body}{RESET}{end}")
        elif line.startswith("+"):
            lines.append(f"{GREEN}{body}{RESET}{end}")
        else:
            lines.append(line)
    return "".join(lines)
