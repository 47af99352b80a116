"""Exclude patterns: gitignore-like globs anchored at the folder that declares them.

A pattern without a slash (``vendor``, ``*.generated.Dockerfile``) matches a file or folder name at
any depth below its anchor; a pattern with one (``docker/legacy/*``, ``/Dockerfile.old``) matches
the path relative to the anchor. ``*`` and ``?`` stay inside one path component, ``**`` crosses
them, ``[...]`` is a character class. A file is excluded when the pattern matches it or one of the
folders it sits in, so ``vendor`` excludes everything under ``vendor/``.

Patterns are stored anchored (an absolute pattern string), so that a setting read from
``/repo/dockopt.toml`` means the same thing whatever the current directory is.
"""

from __future__ import annotations

import functools
import os
import re
from collections.abc import Iterable
from pathlib import Path


def anchor(pattern: str, base: Path) -> str:
    """``pattern`` as an absolute pattern relative to ``base`` (a resolved directory)."""
    pattern = pattern.strip().rstrip("/")
    root = base.as_posix().rstrip("/")
    if pattern.startswith("/"):
        return f"{root}/{pattern.lstrip('/')}"
    if "/" in pattern:
        return f"{root}/{pattern.removeprefix('./')}"
    return f"{root}/**/{pattern}"


@functools.lru_cache(maxsize=512)
def _compile(pattern: str) -> re.Pattern[str]:
    out = []
    i = 0
    while i < len(pattern):
        char = pattern[i]
        if pattern.startswith("**/", i):
            out.append("(?:[^/]*/)*")  # zero or more folders
            i += 3
            continue
        if pattern.startswith("**", i):
            out.append(".*")
            i += 2
            continue
        if char == "*":
            out.append("[^/]*")
        elif char == "?":
            out.append("[^/]")
        elif char == "[":
            close = pattern.find("]", i + 2 if pattern[i + 1 : i + 2] in ("!", "]") else i + 1)
            if close < 0:
                out.append(re.escape(char))
            else:
                body = pattern[i + 1 : close]
                if body.startswith("!"):
                    body = "^" + body[1:]
                out.append("[" + body.replace("\\", "\\\\") + "]")
                i = close
        else:
            out.append(re.escape(char))
        i += 1
    return re.compile("".join(out))


def absolute(path: Path) -> Path:
    """The path with its folders resolved and its own name kept (a symlinked Dockerfile is
    excluded by the name it is given, not by its target's)."""
    path = Path(os.path.abspath(path))
    try:
        return path.parent.resolve() / path.name
    except (OSError, RuntimeError):
        return path


def is_excluded(path: Path, patterns: Iterable[str], below: Path | None = None) -> bool:
    """Whether an anchored pattern matches ``path`` or a folder it is in.

    ``below``: a folder the user named; it and the folders above it are not tested (a directory
    given on the command line is searched even when a pattern matches its name).
    """
    patterns = tuple(patterns)
    if not patterns:
        return False
    target = absolute(path)
    stop = absolute(below) if below is not None else None
    candidates = [target]
    for parent in target.parents:
        if stop is not None and (parent == stop or parent in stop.parents):
            break
        candidates.append(parent)
    texts = [candidate.as_posix() for candidate in candidates]
    return any(_compile(pattern).fullmatch(text) for pattern in patterns for text in texts)
