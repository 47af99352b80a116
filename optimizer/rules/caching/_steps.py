"""What DO401 knows about one command of a RUN: an install step, independent, or reads the source.

Shared by the per-ecosystem readers (``_installs``, ``_installs_other``) and the planner.
"""

from __future__ import annotations

import posixpath
from dataclasses import dataclass, field

from ...shell import Command, Invocation
from ._paths import resolve

INSTALL, INDEPENDENT, SOURCE = "install", "independent", "source"


@dataclass
class InstallStep:
    """One dependency install, as the planner needs it."""

    ecosystem: str  # npm, pip, poetry, pipenv, uv, go, maven, gradle, bundler, composer, dotnet, cargo
    command: Command
    shown: str  # e.g. "npm ci", for messages
    directory: str | None  # absolute image directory whose manifests it reads (None: only ``files``)
    files: list[str] = field(default_factory=list)  # absolute image paths named on the command line
    rewrites_lock: bool = False  # may rewrite an existing lockfile (npm install, bundle install, …)
    ignore_scripts: bool = False  # lifecycle scripts off (--ignore-scripts)
    outputs: tuple[str, ...] = ()  # what it writes, relative to ``directory``
    program: str | None = None  # a project file it runs (./mvnw, ./gradlew), absolute
    flags: frozenset[str] = frozenset()  # facts the planner checks: no-root, no-scripts, no-autoloader, …
    invocation: Invocation | None = None


@dataclass
class Reading:
    """What one command of a RUN means for the copy: install, independent, or reads the source."""

    kind: str
    reason: str | None = None  # for SOURCE: why
    notable: bool = False  # SOURCE from a package manager's own install: worth telling the user
    install: InstallStep | None = None
    absent: list[str] = field(default_factory=list)  # image paths (globs) the copy must bring nothing to
    cargo: bool = False  # a cargo build/fetch: DO401 explains the dependency-only build instead


def shown_of(invocation: Invocation) -> str:
    return " ".join(w.text for w in invocation.program + invocation.subcommand_words)


def directory_of(value: str | None, cwd: str | None, is_file: bool = False) -> str | None:
    if value is None:
        return None
    resolved = resolve(value, cwd)
    if resolved is not None and is_file:
        return posixpath.dirname(resolved) or "/"
    return resolved


def project_program(invocation: Invocation, cwd: str | None) -> str | None:
    """``./mvnw`` and ``./gradlew`` run a script of the project: it must be copied too."""
    value = invocation.program[0].value or ""
    if "/" in value and not value.startswith("/"):
        return resolve(value, cwd)
    return None


def needs_source(reason: str, notable: bool = True, **extra) -> Reading:
    return Reading(SOURCE, reason, notable, **extra)
