"""File removals (``rm -rf PATH…``), recognised once for every rule.

A later RUN that deletes what an earlier one created does not shrink the image — the earlier layer
still carries the bytes — so rules look for removals and ask which paths they cover. Paths are kept
as written (globs included) with their static values; a removal of ``"$TMPDIR"`` is reported with an
unknown path rather than dropped, so a rule can tell "removes something" from "removes nothing".
"""

from __future__ import annotations

import fnmatch
import posixpath
from dataclasses import dataclass

from .managers import unwrap
from .model import Command, Script, Word

_RECURSIVE = frozenset({"-r", "-R", "--recursive"})
_FORCE = frozenset({"-f", "--force"})


@dataclass(eq=False)
class Removal:
    command: Command
    paths: list[Word]  # as written; ``word.value`` is None when the path is computed
    options: list[str]  # normalised: -rf -> ["-r", "-f"]
    wrappers: list[Word]

    @property
    def recursive(self) -> bool:
        return any(option in _RECURSIVE for option in self.options)

    @property
    def force(self) -> bool:
        return any(option in _FORCE for option in self.options)

    def removes(self, path: str) -> bool:
        """True when ``path`` is one of the removed paths, matches a removed glob, or lies under a
        removed directory (recursive removals only). Computed paths never match."""
        path = posixpath.normpath(path)
        for word in self.paths:
            if word.value is None:
                continue
            removed = posixpath.normpath(word.value) if word.value else word.value
            if removed == path or (word.pattern and _glob_match(path, removed)):
                return True
            if self.recursive and _under(path, removed, word.pattern):
                return True
        return False


_UNSET = object()
_RM_NAMES = ("rm", "/bin/rm", "/usr/bin/rm")


def removal(command: Command) -> Removal | None:
    """The ``rm`` invocation ``command`` is (through sudo/env/command wrappers), or None (computed
    once per command: the package rules ask about every command of a script, every round)."""
    cached = command.__dict__.get("_removal", _UNSET)
    if cached is _UNSET:
        cached = command.__dict__["_removal"] = _removal(command)
    return cached


def _removal(command: Command) -> Removal | None:
    words = command.words
    for word in words:
        if word.value in _RM_NAMES:
            break
    else:
        return None  # no word names rm, so the command (past any wrapper) is no rm: most commands
    start, wrappers, _ = unwrap(command)
    if start >= len(words) or words[start].value not in _RM_NAMES:
        return None
    options: list[str] = []
    paths: list[Word] = []
    only_paths = False
    for word in words[start + 1 :]:
        text = word.value
        if only_paths or text is None or not text.startswith("-") or text == "-":
            paths.append(word)
        elif text == "--":
            only_paths = True
        elif text.startswith("--"):
            options.append(text.split("=", 1)[0])
        else:
            options += ["-" + letter for letter in text[1:]]
    return Removal(command, paths, options, wrappers)


def removals(script: Script) -> list[Removal]:
    """Every ``rm`` in the script, in order."""
    return [found for command in script.commands if (found := removal(command)) is not None]


def _glob_match(path: str, pattern: str) -> bool:
    """Shell glob matching: a wildcard matches within one path component, never across ``/``."""
    parts, wanted = path.split("/"), pattern.split("/")
    return len(parts) == len(wanted) and all(
        fnmatch.fnmatchcase(p, w) for p, w in zip(parts, wanted, strict=False)
    )


def _under(path: str, removed: str, pattern: bool) -> bool:
    """``path`` is inside the directory ``removed`` (or inside a directory the glob matches)."""
    parent = posixpath.dirname(path)
    while parent and parent != path:
        if parent == removed or (pattern and _glob_match(parent, removed)):
            return True
        path, parent = parent, posixpath.dirname(parent)
    return False
