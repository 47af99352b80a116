"""The runtime twin's text, and the paths a built original should be inspected at."""

from __future__ import annotations

import posixpath
from pathlib import Path

from ...analysis.facts import Facts
from ...core.config import Settings
from ...syntax import parse
from ._model import Plan
from ._plan import plan
from ._program import STANDARD_PATH

HEADER = "# runtime stage (dockopt DO501): the build stage above keeps the toolchain"


def render_twin(found: Plan, newline: str) -> str:
    lines = ["", HEADER]
    source = found.builder_name
    if found.prune_node:
        lines += [
            f"FROM {found.builder_name} AS production-deps",
            "USER root",
            "RUN npm prune --omit=dev",
            "",
        ]
        source = "production-deps"
    lines.append(f"FROM {found.base}")
    if found.packages:
        packages = " ".join(found.packages)
        lines.append(
            "RUN apt-get update && apt-get install -y --no-install-recommends "
            f"{packages} && rm -rf /var/lib/apt/lists/*"
        )
    workdirs = {c for c in found.copies if found.prune_node and c == _first(found.copies)}
    for path in dict.fromkeys(found.copies):
        origin = source if path in workdirs else found.builder_name
        lines.append(f"COPY --from={origin} {path} {path}")
    for path, owner, mode in found.fixups:
        lines.append(f"RUN chown {owner} {path} && chmod {mode:o} {path}")
    if found.ldconfig:
        lines.append("RUN ldconfig")
    for instruction in found.metadata:
        names = instruction.value[0::2] if instruction.name == "ENV" else ()
        if names and all(name in found.env_values for name in names):
            pairs = " ".join(f"{name}={_quote(found.env_values[name])}" for name in names)
            lines.append(f"{instruction.keyword} {pairs}")
        else:
            lines.append(instruction.text.rstrip("\r\n"))
    return newline.join(lines) + newline


def _quote(value: str) -> str:
    """A double-quoted Dockerfile word that expands to ``value`` exactly."""
    escaped = value.replace("\\", "\\\\").replace('"', '\\"').replace("$", "\\$")
    return f'"{escaped}"'


def _first(copies: list[str]) -> str | None:
    return copies[0] if copies else None


def candidate_paths(
    text: str, settings: Settings | None = None, *, path: Path | None = None, context_dir: Path | None = None
) -> list[str]:
    """Absolute paths of a built original to inspect before planning the split (artifacts, the
    WORKDIR, Python install trees); [] when DO501 would not split ``text``.

    The verified path calls this, builds the original, runs ``verify.inspect.inspect_image`` on
    these paths and plans again with ``fix_text(..., runtime=facts, verified=True)``.
    """
    tree = parse(text)
    return plan_paths(Facts(tree, text, settings or Settings(), path, context_dir))


def plan_paths(facts: Facts) -> list[str]:
    """``candidate_paths`` of a round's facts."""
    found = plan(facts)
    if not isinstance(found, Plan):
        return []
    paths = list(found.artifacts)
    paths += [f"{directory}/{word}" for word in found.lookups for directory in STANDARD_PATH]
    for copied in found.copies:
        if copied not in paths:
            paths.append(copied)
        if copied.endswith("/site-packages"):
            paths.append(posixpath.join(posixpath.dirname(copied), "dist-packages"))
    return paths
