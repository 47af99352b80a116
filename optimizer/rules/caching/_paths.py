"""Paths seen from a RUN command, and the directories it must leave alone (DO401, DO402).

A command may move across a COPY only if none of its paths can be in the copied directory. Paths are
resolved against the shell's working directory when it is known, a glob is reduced to its fixed
part, and the base image's WORKDIR — which a Dockerfile without WORKDIR uses but cannot name — is
the marker ``BASE``: it may be ``/``, so it overlaps every absolute path that is not also under it.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from ...analysis.gomatch import clean
from ...analysis.scope import Scope
from ...shell import Word

# The base image's WORKDIR when the Dockerfile never sets one: a directory we cannot name (often /).
BASE = "/<WORKDIR of the base image>"


@dataclass(frozen=True)
class Where:
    """Where a command runs and what it must leave alone."""

    cwd: str | None  # the shell's working directory (absolute, clean), None when unknown
    protected: tuple[str, ...]  # absolute image directories the moved COPY writes
    scope: Scope | None = None  # Dockerfile variables, to read ``apt-get install $PKGS``
    env_paths: tuple[str, ...] = ()  # absolute paths named in ENV PATH/VIRTUAL_ENV/… (see install_paths)
    # The protected directory exists before the copy (it is the WORKDIR or inside it), so a command
    # confined to a path *inside* it is independent when the context sends nothing there.
    inside_ok: bool = False
    absent: list[str] = field(default_factory=list)  # collects those paths while a command is judged


@dataclass
class Judgement:
    """``None`` reason: independent. ``absent``: image paths (globs allowed) the copy must not write."""

    reason: str | None
    absent: list[str] = field(default_factory=list)

    @property
    def independent(self) -> bool:
        return self.reason is None


def resolve(path: str, cwd: str | None) -> str | None:
    """An absolute, clean path for ``path`` seen from ``cwd``; None when it cannot be known."""
    if path.startswith("/"):
        return clean(path)
    if cwd is None or path.startswith("~"):
        return None
    return clean(f"{cwd}/{path}")


def overlaps(path: str, directories: tuple[str, ...] | list[str]) -> bool:
    """Is ``path`` one of ``directories``, inside one, or an ancestor of one?"""
    for directory in directories:
        if directory.startswith(BASE) != path.startswith(BASE):
            return True  # one of them is somewhere we cannot name: it may be the other
        if path == directory or path == "/" or directory == "/":
            return True
        if path.startswith(directory + "/") or directory.startswith(path + "/"):
            return True
    return False


def _glob_base(value: str) -> str:
    """The fixed part of a path pattern: ``/var/lib/apt/lists/*`` → ``/var/lib/apt/lists``."""
    cut = min((value.find(c) for c in "*?[{" if c in value), default=-1)
    return value if cut < 0 else value[:cut].rsplit("/", 1)[0] or "/"


def path_problem(word: Word, where: Where, verb: str = "touches", creates: bool = False) -> str | None:
    """Why ``word`` (a path operand) may concern the protected tree; None when it cannot.

    ``creates``: the command creates or deletes the path and reads nothing there (``mkdir``,
    ``touch``, ``rm``, ``> file``), so inside an existing destination it only needs the context to
    send nothing at that path. A command that reads or modifies a path (``chmod``, ``cat``) never
    gets that benefit: a path the context lacks would have to come from somewhere we cannot see.
    """
    value = word.value
    if value is None and where.scope is not None and "$(" not in word.text and "`" not in word.text:
        value = where.scope.expand(word.text).text  # `$VIRTUAL_ENV` set by ENV
    if value is None:
        return f"{verb} a computed path {word.text}"
    if value in ("/dev/null", "-", "/dev/stdout", "/dev/stderr"):
        return None
    if value.startswith("~"):
        home = any(d == "/root" or d.startswith(("/root/", "/home")) for d in where.protected)
        return f"{verb} {word.text} in a home directory" if home else None
    base = _glob_base(value) if word.pattern else value
    resolved = resolve(base, where.cwd)
    if resolved is None:
        return f"{verb} {word.text} relative to an unknown directory"
    if overlaps(resolved, where.protected):
        inside = next((d for d in where.protected if resolved.startswith(d + "/")), None)
        if inside is None or not where.inside_ok or not creates:
            return f"{verb} {word.text}"
        where.absent.append(inside + "/" + resolved[len(inside) + 1 :].split("/")[0])
    return None
