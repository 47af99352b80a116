"""What a Dockerfile means beyond its syntax: stages, scopes and the build context.

Submodules (import the one you need; this package imports nothing at import time so a cold
``dockopt --check`` stays fast):

* ``stages`` — the stage graph (which stages reach the target).
* ``scope`` — WORKDIR/ENV/ARG in effect at each instruction (``instruction_scopes``).
* ``expansion`` — variable expansion that marks what it cannot know (``Expansion``).
* ``dockerignore`` — Docker's ignore-file semantics (``load_ignore`` → ``IgnoreMatcher``).
* ``context`` — the build context as the builder sees it (``BuildContext``) and what a COPY/ADD
  takes from it (``resolve_copy_sources``, ``context_copies``).
* ``manifests`` — dependency manifests per ecosystem (``detect_manifests``).
* ``facts`` — the per-round facts every rule reads (``Facts``), computed lazily, once.
* ``pragmas`` — ``# dockopt: ignore=`` suppressions.
* ``gomatch`` — Go's ``path.Clean`` and ``filepath.Match``, which Docker's matching is built on.

The names below are also reachable from the package, loaded on first use.
"""

from __future__ import annotations

from importlib import import_module
from typing import Any

_EXPORTS = {
    "BuildContext": "context",
    "CopySources": "context",
    "context_copies": "context",
    "normalize_source": "context",
    "resolve_copy_sources": "context",
    "IgnoreFileError": "dockerignore",
    "IgnoreMatcher": "dockerignore",
    "load_ignore": "dockerignore",
    "Manifests": "manifests",
    "detect_manifests": "manifests",
    "find_manifest_dirs": "manifests",
    "Scope": "scope",
    "instruction_scopes": "scope",
    "Expansion": "expansion",
    "Facts": "facts",
    "Session": "facts",
    "Suppressions": "pragmas",
}

__all__ = [  # noqa: RUF022 - grouped by module, as _EXPORTS
    "BuildContext",
    "CopySources",
    "context_copies",
    "normalize_source",
    "resolve_copy_sources",
    "IgnoreFileError",
    "IgnoreMatcher",
    "load_ignore",
    "Manifests",
    "detect_manifests",
    "find_manifest_dirs",
    "Scope",
    "instruction_scopes",
    "Expansion",
    "Facts",
    "Session",
    "Suppressions",
]


def __getattr__(name: str) -> Any:
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    return getattr(import_module(f".{module}", __name__), name)
