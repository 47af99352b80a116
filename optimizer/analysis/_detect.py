"""Shared pieces of manifest detection: the result type and a per-ecosystem collector.

Why a collector: every ecosystem asks the same questions of the context — does this file
exist, does it reach the builder, what does it say — and must never raise on a malformed or
oversized file (a bad manifest becomes a reason, not a traceback).
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass, field
from typing import Any

from .context import BuildContext, normalize_source
from .gomatch import BadPattern, clean, match

__all__ = ["Collector", "Manifests", "expand_dir_globs", "join", "outside"]


@dataclass
class Manifests:
    """The files a dependency install of one ecosystem needs, found in one context directory."""

    ecosystem: str  # npm, pip, poetry, pipenv, uv, go, maven, gradle, bundler, composer, dotnet, cargo
    directory: str  # context-relative directory ("." for the root)
    files: list[str] = field(default_factory=list)  # context-relative; exist and are sent
    needs_source: list[str] = field(default_factory=list)  # why manifests alone may not be enough
    excluded: list[str] = field(default_factory=list)  # manifests that exist but .dockerignore drops
    tool: str | None = None  # the package manager when an ecosystem has several (npm/yarn/pnpm/bun)
    lockfile: str | None = None  # the lockfile in ``files``, when there is one
    workspaces: list[str] = field(default_factory=list)  # member globs (npm/pnpm/cargo/uv/go.work)
    workspaces_complete: bool = True  # every member manifest is known and in ``files``
    details: dict[str, Any] = field(default_factory=dict)

    @property
    def self_contained(self) -> bool:
        """True when the install can run from ``files`` alone, as far as the manifests tell."""
        return not self.needs_source and self.workspaces_complete


def join(directory: str, name: str) -> str:
    """``name`` (relative to context directory ``directory``) as a context path, cleaned.

    Unlike a COPY source, a manifest's reference can point outside the context: the result then
    starts with ``../`` (or ``/`` for an absolute path) and :meth:`Collector.has` says False.
    """
    if name.startswith("/"):
        return clean(name)
    return clean(name if directory in ("", ".") else f"{directory}/{name}")


def outside(rel: str) -> bool:
    return rel == ".." or rel.startswith(("../", "/"))


class Collector:
    """Builds one :class:`Manifests`, checking each file against the context."""

    def __init__(self, context: BuildContext, directory: str, ecosystem: str) -> None:
        self.context = context
        self.directory = normalize_source(directory)
        self.result = Manifests(ecosystem, self.directory)

    def path(self, name: str, base: str | None = None) -> str:
        return join(self.directory if base is None else base, name)

    def has(self, rel: str) -> bool:
        """Is ``rel`` a file (or symlink) inside the context, sent or not?"""
        return not outside(rel) and self.context.exists(rel) and not self.context.is_dir(rel)

    def add(self, rel: str) -> bool:
        """Record ``rel`` if it is a file; True when it is sent (usable by COPY)."""
        if not self.has(rel):
            return False
        if not self.context.is_sent(rel):
            if rel not in self.result.excluded:
                self.result.excluded.append(rel)
            return False
        if rel not in self.result.files:
            self.result.files.append(rel)
        return True

    def add_tree(self, rel: str) -> None:
        """Every sent file below directory ``rel``."""
        if not self.context.is_dir(rel):
            return
        prefix = rel + "/"
        for path, is_dir in sorted(self.context.entries().items()):
            if not is_dir and path.startswith(prefix) and path not in self.result.files:
                self.result.files.append(path)
        if not self.context.complete:
            self.reason(f"{rel}/ may be listed incompletely (context too large to walk)")

    def names(self, directory: str | None = None) -> list[str]:
        """File and directory names in ``directory`` on disk (excluded ones too, to report them)."""
        directory = self.directory if directory is None else directory
        base = self.context.root if directory == "." else self.context.root / directory
        try:
            return sorted(os.listdir(base))
        except OSError:
            return []

    def reason(self, text: str) -> None:
        if text not in self.result.needs_source:
            self.result.needs_source.append(text)

    def text(self, rel: str) -> str | None:
        return self.context.read_text(rel) if self.has(rel) else None

    def json(self, rel: str) -> Any:
        text = self.text(rel)
        if text is None:
            return None
        try:
            return json.loads(text)
        except ValueError:
            self.reason(f"{rel} is not valid JSON")
            return None

    def toml(self, rel: str) -> dict[str, Any] | None:
        text = self.text(rel)
        if text is None:
            return None
        import tomllib

        try:
            return tomllib.loads(text)
        except (tomllib.TOMLDecodeError, ValueError):
            self.reason(f"{rel} is not valid TOML")
            return None


def expand_dir_globs(context: BuildContext, base: str, patterns: list[str]) -> tuple[list[str], bool]:
    """Directories below ``base`` matched by workspace globs (``*``, ``?``, ``[..]``, ``**``, ``!x``).

    Returns (directories, complete); incomplete when the listing was capped or a pattern uses
    syntax we do not evaluate (braces, extglobs).
    """
    complete = context.complete
    prefix = "" if base in ("", ".") else base + "/"
    candidates = [d[len(prefix) :] for d in context.directories() if d.startswith(prefix)]
    chosen: dict[str, None] = {}
    for raw in patterns:
        negate = raw.startswith("!")
        pattern = normalize_source(raw[1:] if negate else raw)
        if any(c in pattern for c in "{}()+@"):
            complete = False
            continue
        parts = pattern.split("/")
        hits = ["."] if pattern == "." else [c for c in candidates if _match_parts(parts, c.split("/"))]
        for hit in hits:
            if negate:
                chosen.pop(hit, None)
            else:
                chosen[hit] = None
    return [join(base, d) for d in chosen], complete


def _match_parts(pattern: list[str], parts: list[str]) -> bool:
    if not pattern:
        return not parts
    head = pattern[0]
    if head == "**":
        return any(_match_parts(pattern[1:], parts[i:]) for i in range(len(parts) + 1))
    if not parts:
        return False
    try:
        ok = match(head, parts[0])
    except BadPattern:
        return False
    return ok and _match_parts(pattern[1:], parts[1:])
