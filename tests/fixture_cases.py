"""Fixture cases: ``fixtures/<CODE>/<case>/Dockerfile`` plus optional context files and ``case.toml``.

A case whose name starts with ``noop-`` must not change. ``case.toml`` may set ``unsafe-fixes``,
``select`` (default: the case's own code only), ``context`` (default: the case folder) and
``cache-strategy`` (``"cleanup"``, the default, or ``"mounts"``), ``split-runtime`` (``"twin"`` or
``"minimal"``), ``verified`` (apply fixes that require verification, as the ``--verify`` path does
once a build proved them) and ``runtime`` (a JSON file of ``RuntimeFacts`` read from a built original).
The snapshot of each case is ``fix.diff`` beside its Dockerfile; it also shows the diff of any
second file the fixes change (the ``.dockerignore`` of the DO6xx rules).

A build context may need a ``.git`` folder, which git cannot commit inside a repository: such a
case holds it as ``dot-git`` (any depth), and ``Case.materialize`` runs the case from a temporary
copy in which every ``dot-git`` folder is renamed ``.git``. Other files git would ignore
(``.venv``, ``__pycache__``, ``dist``) are committed with ``git add -f``.
"""

from __future__ import annotations

import shutil
import tempfile
import tomllib
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

DOT_GIT = "dot-git"

ROOT = Path(__file__).resolve().parents[1]
FIXTURES = ROOT / "fixtures"


@dataclass(frozen=True)
class Case:
    code: str
    name: str
    folder: Path
    options: dict

    @property
    def id(self) -> str:
        return f"{self.code}/{self.name}"

    @property
    def noop(self) -> bool:
        return self.name.startswith("noop-")

    @contextmanager
    def materialize(self) -> Iterator[Path]:
        """The folder to run the case in: itself, or a temporary copy with ``dot-git`` → ``.git``."""
        if not any(p.is_dir() for p in self.folder.rglob(DOT_GIT)):
            yield self.folder
            return
        with tempfile.TemporaryDirectory(prefix="dockopt-fixture-") as tmp:
            root = Path(tmp) / self.name
            shutil.copytree(self.folder, root, symlinks=True)
            for found in sorted(root.rglob(DOT_GIT), key=lambda p: -len(p.parts)):
                if found.is_dir():
                    found.rename(found.with_name(".git"))
            yield root


def cases() -> list[Case]:
    found = []
    for dockerfile in sorted(FIXTURES.glob("*/*/Dockerfile")):
        folder = dockerfile.parent
        options = tomllib.loads((folder / "case.toml").read_text()) if (folder / "case.toml").exists() else {}
        found.append(Case(code=folder.parent.name, name=folder.name, folder=folder, options=options))
    return found
