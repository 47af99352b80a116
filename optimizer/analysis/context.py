"""The build context: which files the builder will see, and what a COPY/ADD takes from it.

Why: rules that move or split ``COPY`` must not guess. ``BuildContext`` answers "does this path
exist, and is it sent (not dockerignored)?" and expands COPY source globs the way BuildKit does;
``resolve_copy_sources`` says which context paths a COPY/ADD names and where they land.

The listing is a lazy, breadth-first walk (symlinks are entries, never followed) capped at
``max_entries`` so a context with a huge ``node_modules`` cannot hang us: when the cap is hit,
``complete`` is False and answers that need the whole listing (globs, directory contents) are
partial. Single-path questions (``exists``, ``is_sent`` for a file) never need the walk.

COPY source semantics (BuildKit dockerfile2llb + fsutil ``copy.ResolveWildcards``): a source is
relative to the context root, a leading ``/`` is the context root, and ``..`` cannot climb out
(the path is cleaned from ``/``). With a wildcard, the path is split at the first component that
has one; the fixed part is walked and every entry's path relative to it is tested with Go's
``filepath.Match`` (so ``*`` stays within a component); a matching directory is taken whole.
A wildcard matching nothing is allowed (no error); a literal path that does not exist fails the
build. Excluded files are invisible; an excluded directory is visible only as the parent of a
file an ``!`` exception brought back.
"""

from __future__ import annotations

import errno
import os
import stat
from collections import deque
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

from ..syntax.nodes import Dockerfile, Instruction
from .dockerignore import IgnoreMatcher, load_ignore
from .expansion import Expansion, expand
from .gomatch import clean, has_wildcards, match
from .scope import Scope, instruction_scopes, join_path

__all__ = [
    "DEFAULT_MAX_ENTRIES",
    "BuildContext",
    "CopySources",
    "context_copies",
    "normalize_source",
    "resolve_copy_sources",
]

DEFAULT_MAX_ENTRIES = 50_000
# The errors pathlib's ``is_dir`` answers False for instead of raising (pathlib._IGNORED_ERRNOS).
_MISSING = frozenset({errno.ENOENT, errno.ENOTDIR, errno.EBADF, errno.ELOOP})
_MAX_READ = 4 * 1024 * 1024


def normalize_source(path: str) -> str:
    """A COPY source as a context-relative path: ``/x`` and ``x`` and ``../x`` are all ``x``; root is ``.``."""
    return clean("/" + path)[1:] or "."


class BuildContext:
    """A directory as the builder sees it, with its ``.dockerignore`` applied."""

    def __init__(
        self,
        root: str | Path,
        dockerfile: str | Path | None = None,
        *,
        ignore: IgnoreMatcher | None = None,
        max_entries: int = DEFAULT_MAX_ENTRIES,
        overlay: Mapping[Path, str] | None = None,
    ) -> None:
        self.root = Path(root)
        self._root = str(self.root)
        self.dockerfile = Path(dockerfile) if dockerfile is not None else None
        self._resolve_memo: dict[str, Path | None] = {}
        self.ignore = (
            ignore
            if ignore is not None
            else load_ignore(self.root, self.dockerfile, overlay=overlay, resolve=self._resolved)
        )
        self.max_entries = max_entries
        self._entries: dict[str, bool] | None = None  # sent path -> is_dir
        self._ordered: list[str] | None = None  # entries in walk order (parents before children)
        self._complete = True

    def __repr__(self) -> str:
        return f"BuildContext({str(self.root)!r})"

    # -- host paths --------------------------------------------------------------------------------

    def inside(self, path: Path) -> str | None:
        """``path`` (a host path) relative to the context root, symlinks resolved, as a posix path;
        None when it lies outside. Resolving walks the disk a component at a time, so each path is
        resolved once per context."""
        root = self._resolved(self.root)
        target = self._resolved(path)
        if root is None or target is None:
            return None
        try:
            return target.relative_to(root).as_posix()
        except ValueError:
            return None

    def _resolved(self, path: Path) -> Path | None:
        key = str(path)
        memo = self._resolve_memo
        if key in memo:
            return memo[key]
        # A file in a folder resolved already (the Dockerfile and the ignore file in the context
        # root): when the file itself is no symlink, it resolves to the folder's resolution plus
        # its name — one lstat instead of one per component of the whole path.
        folder, _, name = key.rpartition("/")
        base = memo.get(folder) if folder and name not in ("", ".", "..") else None
        result: Path | None
        if base is not None and not os.path.islink(key):
            result = base / name
        else:
            try:
                result = Path(path).resolve()
            except OSError:
                result = None
        memo[key] = result
        return result

    # -- single paths: no walk needed ------------------------------------------------------------

    # Host paths as strings and ``os`` calls: these are asked for every COPY source of every round,
    # and pathlib's objects cost more than the system calls themselves. Each answers as the
    # ``Path`` method named in its comment would.

    def _path(self, rel: str) -> str:
        rel = normalize_source(rel)
        root = self._root
        return root if rel == "." else os.path.join(root, rel)

    def exists(self, rel: str) -> bool:
        """Is there a file, directory or symlink at ``rel`` on disk (ignoring .dockerignore)?"""
        return os.path.lexists(self._path(rel))

    def is_dir(self, rel: str) -> bool:
        """A directory, not a symlink to one (``path.is_dir() and not path.is_symlink()``)."""
        try:
            # lstat: a symlink is no directory here (pathlib would stat its target first, and raise
            # where that target cannot be reached; it is no directory either way).
            return stat.S_ISDIR(os.lstat(self._path(rel)).st_mode)
        except OSError as exc:
            if exc.errno not in _MISSING:  # pathlib's is_dir raises these too
                raise
            return False
        except ValueError:  # a NUL in the path, as pathlib answers it
            return False

    def excluded(self, rel: str) -> bool:
        return self.ignore.excludes(normalize_source(rel))

    def is_sent(self, rel: str) -> bool:
        """Does ``rel`` exist and reach the builder, so that COPY/ADD can use it?"""
        rel = normalize_source(rel)
        if rel == ".":
            return True
        if not self.exists(rel):
            return False
        if not self.ignore.excludes(rel):
            return True
        if self.is_dir(rel) and self.ignore.exclusions:
            return any(path.startswith(rel + "/") for path in self.entries())
        return False

    def read_text(self, rel: str, limit: int = _MAX_READ) -> str | None:
        """The text of a small context file (None when missing, unreadable or over ``limit``)."""
        path = self._path(rel)
        try:
            if os.stat(path).st_size > limit:
                return None
            with open(path, "rb") as file:
                return file.read().decode("utf-8", errors="replace")
        except OSError:
            return None

    # -- the listing -----------------------------------------------------------------------------

    @property
    def complete(self) -> bool:
        """False when the walk stopped at ``max_entries``: listings and globs may miss paths."""
        self.entries()
        return self._complete

    def entries(self) -> dict[str, bool]:
        """Every sent path (files and directories, context-relative) → whether it is a directory."""
        if self._entries is None:
            self._entries = self._walk()
        return self._entries

    def files(self) -> list[str]:
        return [path for path, is_dir in self.entries().items() if not is_dir]

    def directories(self) -> list[str]:
        return [path for path, is_dir in self.entries().items() if is_dir]

    def _walk(self) -> dict[str, bool]:
        entries: dict[str, bool] = {}
        seen = 0
        queue: deque[str] = deque([""])
        literal = self.ignore.literal_exceptions
        while queue:
            directory = queue.popleft()
            try:
                with os.scandir(os.path.join(self._root, directory) if directory else self._root) as it:
                    children = sorted(it, key=lambda e: e.name)
            except OSError:
                continue
            for entry in children:
                seen += 1
                if seen > self.max_entries:
                    self._complete = False
                    return entries
                rel = f"{directory}/{entry.name}" if directory else entry.name
                try:
                    is_dir = entry.is_dir(follow_symlinks=False)
                except OSError:
                    is_dir = False
                excluded = self.ignore.excludes_clean(rel)  # built from entry names: clean
                if is_dir:
                    if excluded and not self._may_return(rel, literal):
                        continue  # like fsutil: nothing below can come back
                    queue.append(rel)
                if not excluded:
                    entries[rel] = is_dir
                    parent = directory
                    while parent and parent not in entries:  # an excluded parent of a sent file
                        entries[parent] = True
                        parent = parent.rpartition("/")[0]
        return entries

    def _may_return(self, directory: str, literal: list[str] | None) -> bool:
        if not self.ignore.exclusions:
            return False
        if literal is None:
            return True  # a wildcard exception could match anywhere below
        prefix = directory + "/"
        return any((text + "/").startswith(prefix) for text in literal)

    # -- COPY sources ----------------------------------------------------------------------------

    def glob(self, source: str) -> list[str]:
        """The sent paths a COPY source names (BuildKit wildcard rules); [] when nothing matches.

        Raises ``gomatch.BadPattern`` for a malformed pattern (the build would fail too).
        """
        source = normalize_source(source)
        if not has_wildcards(source):
            return [source] if self.is_sent(source) else []
        fixed: list[str] = []
        parts = source.split("/")
        for i, part in enumerate(parts):
            if has_wildcards(part):
                rest = "/".join(parts[i:])
                break
            fixed.append(part)
        base = "/".join(fixed)
        prefix = base + "/" if base else ""
        found: list[str] = []
        taken: str | None = None
        if self._ordered is None:
            self._ordered = sorted(self.entries(), key=lambda p: p.split("/"))
        for path in self._ordered:
            if not path.startswith(prefix):
                continue
            if taken is not None and path.startswith(taken):
                continue  # inside a matched directory: it is copied whole
            if match(rest, path[len(prefix) :]):
                found.append(path)
                taken = path + "/" if self.entries()[path] else None
        return found


@dataclass
class CopySources:
    """What a COPY/ADD takes from the context and where it puts it."""

    instruction: Instruction
    sources: list[Expansion]  # the source words, variables expanded (quotes removed)
    dest: Expansion  # absolute, resolved against WORKDIR; unknown when either is
    dest_is_dir: bool  # written with a trailing "/" (or "."): sources land inside it
    chown: str | None = None
    chmod: str | None = None
    link: bool = False
    parents: bool = False
    exclude: list[str] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)  # heredoc and URL sources, not from the context

    @property
    def keyword(self) -> str:
        return self.instruction.name

    @property
    def known(self) -> bool:
        return self.dest.known and all(s.known for s in self.sources)

    @property
    def patterns(self) -> list[str | None]:
        """Each source as a context-relative pattern (see ``normalize_source``); None when unknown."""
        return [normalize_source(s.text) if s.text is not None else None for s in self.sources]

    def matches(self, context: BuildContext) -> list[str] | None:
        """The sent context paths this instruction copies; None when a source is unknown."""
        out: list[str] = []
        for pattern in self.patterns:
            if pattern is None:
                return None
            out.extend(p for p in context.glob(pattern) if p not in out)
        return out


def _is_remote(word: str) -> bool:
    lowered = word.lower()
    return "://" in lowered or lowered.startswith("git@")


def resolve_copy_sources(
    instruction: Instruction, workdir: Scope | Expansion | str | None, env: Scope | None = None
) -> CopySources | None:
    """Sources and resolved destination of a COPY/ADD that reads the build context.

    ``workdir`` is the WORKDIR in effect (a ``Scope`` from ``instruction_scopes`` also supplies
    the variables; otherwise pass ``env``). Returns None for other instructions, ``--from``,
    sources that are all heredocs or URLs, and malformed instructions.
    """
    if instruction.name not in ("COPY", "ADD") or instruction.flag("from") is not None:
        return None
    scope = workdir if isinstance(workdir, Scope) else env
    if isinstance(workdir, Scope):
        current = workdir.workdir
    elif isinstance(workdir, Expansion):
        current = workdir
    elif workdir is None:
        current = Expansion(None, ("WORKDIR",))
    else:
        current = Expansion(clean("/" + workdir))
    words = list(instruction.value)
    if len(words) < 2:
        return None
    raw_dest = words.pop()
    skipped: list[str] = []
    sources: list[Expansion] = []
    heredoc_names = {h.name for h in instruction.heredocs}
    for word in words:
        if (not instruction.json and word.startswith("<<") and heredoc_names) or (
            instruction.name == "ADD" and _is_remote(word)
        ):
            skipped.append(word)
        else:
            sources.append(_expand(word, scope))
    if not sources:
        return None
    dest_word = _expand(raw_dest, scope)
    dest_is_dir = False
    dest = dest_word
    if dest_word.text is not None:
        text = dest_word.text
        dest_is_dir = text in ("", ".", "./") or text.endswith(("/", "/."))
        dest = join_path(current, Expansion(text or ".", (), dest_word.args))
    return CopySources(
        instruction=instruction,
        sources=sources,
        dest=dest,
        dest_is_dir=dest_is_dir,
        chown=_flag(instruction, "chown"),
        chmod=_flag(instruction, "chmod"),
        link=_bool_flag(instruction, "link"),
        parents=_bool_flag(instruction, "parents"),
        exclude=instruction.flag_values("exclude"),
        skipped=skipped,
    )


def _expand(word: str, scope: Scope | None) -> Expansion:
    if scope is not None:
        return scope.expand(word)
    return expand(word, lambda name: Expansion(None, (name,)))


def _flag(instruction: Instruction, name: str) -> str | None:
    flag = instruction.flag(name)
    return None if flag is None else (flag.value or "")


def _bool_flag(instruction: Instruction, name: str) -> bool:
    flag = instruction.flag(name)
    return flag is not None and (flag.value or "true").lower() != "false"


def context_copies(dockerfile: Dockerfile) -> list[CopySources]:
    """Every top-level COPY/ADD of the file that reads the build context, resolved in its scope."""
    out = []
    for instruction, scope in instruction_scopes(dockerfile).items():
        resolved = resolve_copy_sources(instruction, scope)
        if resolved is not None:
            out.append(resolved)
    return out
