"""Dependency manifests per ecosystem, found in one directory of the build context.

Why: the COPY-reorder rule (issue 6) may copy "just the manifests" before the install step only
if it knows exactly which files the install reads, that each of them reaches the builder (not
dockerignored), and whether anything else — lifecycle scripts, local path dependencies, workspace
members it cannot see — would make the early install differ from the original. This module
answers that from the files alone; which *command* runs (``npm ci`` vs ``npm install && npm run
build``, ``--no-root``) is the rule's business.

``detect_manifests(context, directory)`` returns one :class:`Manifests` per ecosystem found, in a
fixed order: npm, pip, poetry, pipenv, uv, go, maven, gradle, bundler, composer, dotnet, cargo.
Several can coexist (a Rails app has bundler and npm; a pyproject with uv.lock is uv, and also
pip if requirements files sit beside it). Nothing here raises on bad input: an unreadable or
malformed manifest becomes a ``needs_source`` reason.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path

from ._detect import Manifests
from .context import BuildContext, normalize_source
from .eco_compiled import detect_cargo, detect_dotnet, detect_go, detect_gradle, detect_maven
from .eco_js import detect_node
from .eco_python import detect_pip, detect_pipenv, detect_poetry, detect_uv
from .eco_scripting import detect_bundler, detect_composer

__all__ = ["ECOSYSTEMS", "Manifests", "detect_manifests", "find_manifest_dirs"]

Detector = Callable[[BuildContext, str], "Manifests | None"]

ECOSYSTEMS: dict[str, Detector] = {
    "npm": detect_node,
    "pip": detect_pip,
    "poetry": detect_poetry,
    "pipenv": detect_pipenv,
    "uv": detect_uv,
    "go": detect_go,
    "maven": detect_maven,
    "gradle": detect_gradle,
    "bundler": detect_bundler,
    "composer": detect_composer,
    "dotnet": detect_dotnet,
    "cargo": detect_cargo,
}

# A directory holding one of these is worth running detection on.
_PRIMARY = re.compile(
    r"^(package\.json|requirements.*\.txt|pyproject\.toml|Pipfile|go\.mod|go\.work|pom\.xml"
    r"|build\.gradle(\.kts)?|settings\.gradle(\.kts)?|Gemfile|gems\.rb|composer\.json"
    r"|.*\.(csproj|fsproj|vbproj|sln|slnx)|Cargo\.toml)$"
)


def detect_manifests(
    context: BuildContext | str | Path, directory: str = ".", ecosystems: list[str] | None = None
) -> list[Manifests]:
    """Ecosystems whose manifests sit in ``directory`` (context-relative), each with its files.

    ``context`` may be a :class:`BuildContext` or a path (its ``.dockerignore`` is then loaded).
    ``ecosystems`` limits detection to those names.
    """
    if not isinstance(context, BuildContext):
        context = BuildContext(context)
    directory = normalize_source(directory)
    found = []
    for name, detector in ECOSYSTEMS.items():
        if ecosystems is not None and name not in ecosystems:
            continue
        try:
            result = detector(context, directory)
        except (OSError, RecursionError, ValueError, UnicodeError) as exc:
            result = Manifests(name, directory, needs_source=[f"could not read manifests: {exc}"])
        if result is not None:
            found.append(result)
    return found


def find_manifest_dirs(context: BuildContext) -> list[str]:
    """Context directories (``.`` first) holding a primary manifest, sent or not, from the listing."""
    dirs: dict[str, None] = {}
    names = [(".", n) for n in _names(context.root)]
    names += [(p.rpartition("/")[0] or ".", p.rpartition("/")[2]) for p in context.files()]
    for directory, name in names:
        if _PRIMARY.match(name) and "node_modules" not in directory.split("/"):
            dirs[directory] = None
    return sorted(dirs, key=lambda d: (d != ".", d))


def _names(root: Path) -> list[str]:
    import os

    try:
        return [n for n in os.listdir(root) if (root / n).is_file()]
    except OSError:
        return []
