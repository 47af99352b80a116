"""Finding Dockerfiles under a directory the way users name them."""

from __future__ import annotations

import fnmatch
import os
from pathlib import Path

PATTERNS = ("Dockerfile", "Containerfile", "*.Dockerfile", "*.dockerfile", "Dockerfile.*", "Containerfile.*")
# BuildKit reads ``<dockerfile>.dockerignore`` beside a Dockerfile (``Dockerfile.dockerignore``), and
# Podman ``.containerignore``: they match ``Dockerfile.*`` but are not Dockerfiles.
NOT_DOCKERFILES = ("*.dockerignore", "*.containerignore")
SKIP_DIRS = frozenset({".git", "node_modules", ".hg", ".svn", ".venv", "__pycache__", ".tox"})


def is_dockerfile_name(name: str) -> bool:
    return any(fnmatch.fnmatchcase(name, pattern) for pattern in PATTERNS) and not any(
        fnmatch.fnmatchcase(name, pattern) for pattern in NOT_DOCKERFILES
    )


def find_dockerfiles(root: Path) -> list[Path]:
    """Dockerfiles under ``root``, sorted, skipping VCS/dependency folders and git-ignored paths."""
    found: list[Path] = []
    for folder, dirs, files in os.walk(root):
        dirs[:] = sorted(d for d in dirs if d not in SKIP_DIRS)
        found += [Path(folder) / f for f in sorted(files) if is_dockerfile_name(f)]
    return _drop_git_ignored(root, found)


def _drop_git_ignored(root: Path, paths: list[Path]) -> list[Path]:
    """Honour .gitignore through git itself (exact semantics); without git, keep everything."""
    if not paths:
        return paths
    import subprocess

    try:
        result = subprocess.run(
            ["git", "-C", str(root), "check-ignore", "--stdin", "-z"],
            input="\0".join(str(p.resolve()) for p in paths) + "\0",
            capture_output=True,
            text=True,
            timeout=10,
        )
    except (OSError, subprocess.SubprocessError):
        return paths
    if result.returncode not in (0, 1):  # 128: not a git repository
        return paths
    ignored = {Path(p) for p in result.stdout.split("\0") if p}
    return [p for p in paths if p.resolve() not in ignored]
