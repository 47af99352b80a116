"""Fixture cases: ``fixtures/<CODE>/<case>/Dockerfile`` plus optional context files and ``case.toml``.

A case whose name starts with ``noop-`` must not change. ``case.toml`` may set ``unsafe-fixes``,
``select`` (default: the case's own code only), ``context`` (default: the case folder) and
``cache-strategy`` (``"cleanup"``, the default, or ``"mounts"``), ``split-runtime`` (``"twin"`` or
``"minimal"``), ``verified`` (apply fixes that require verification, as the ``--verify`` path does
once a build proved them) and ``runtime`` (a JSON file of ``RuntimeFacts`` read from a built original).
The snapshot of each case is ``fix.diff`` beside its Dockerfile.
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass
from pathlib import Path

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


def cases() -> list[Case]:
    found = []
    for dockerfile in sorted(FIXTURES.glob("*/*/Dockerfile")):
        folder = dockerfile.parent
        options = tomllib.loads((folder / "case.toml").read_text()) if (folder / "case.toml").exists() else {}
        found.append(Case(code=folder.parent.name, name=folder.name, folder=folder, options=options))
    return found
