"""Python installers: pip requirements files, poetry, pipenv, uv.

Why so careful with pip: ``pip install -r requirements.txt`` also reads every file named with
``-r``/``--requirement`` and ``-c``/``--constraint`` (paths relative to the file that names them,
recursively), so copying requirements.txt alone breaks the build when it includes
``base.txt``. Lines that are local paths (``.``, ``-e .``, ``./pkg``, ``file:``, a local wheel,
``--find-links ./wheels``) mean the install needs the source, not only the manifests.

poetry, pipenv and uv are recognised by their lockfile (or their ``[tool.*]`` table); their
``path`` dependencies and uv workspace members are reported the same way. Whether the *command*
installs the project itself (``poetry install`` without ``--no-root``, ``uv sync`` without
``--no-install-project``) is for the rule that sees the command, not for this module.
"""

from __future__ import annotations

import re
from typing import Any, cast

from ._detect import Collector, Manifests, expand_dir_globs, join
from .context import BuildContext

__all__ = ["detect_pip", "detect_pipenv", "detect_poetry", "detect_uv", "requirement_includes"]

_INCLUDE = {
    "-r": "requirement",
    "--requirement": "requirement",
    "-c": "constraint",
    "--constraint": "constraint",
}
_EDITABLE = ("-e", "--editable")
_FIND_LINKS = ("-f", "--find-links")
_ARCHIVE = re.compile(r"\.(whl|tar\.gz|tgz|zip|tar\.bz2)$", re.IGNORECASE)
_COMMENT = re.compile(r"(^|\s+)#.*$")


def _logical_lines(text: str) -> list[str]:
    """pip's line handling: comments stripped, backslash continuations joined."""
    lines: list[str] = []
    pending = ""
    for raw in text.splitlines():
        line = _COMMENT.sub("", raw)
        if line.endswith("\\"):
            pending += line[:-1]
            continue
        line = (pending + line).strip()
        pending = ""
        if line:
            lines.append(line)
    if pending.strip():
        lines.append(pending.strip())
    return lines


def _option(line: str, names: tuple[str, ...] | dict[str, str]) -> tuple[str, str] | None:
    """(option, value) when ``line`` is one of ``names`` (``-r x``, ``-rx``, ``--requirement=x``)."""
    for name in names:
        if line == name:
            return None
        if line.startswith((name + "=", name + " ", name + "\t")):
            return name, line[len(name) + 1 :].strip()
        if len(name) == 2 and line.startswith(name) and not line.startswith(name + "-"):
            return name, line[2:].strip()
    return None


def _is_local(spec: str) -> bool:
    """Does a requirement (or -e target) point at a local path rather than an index or URL?"""
    target = spec.split(";", 1)[0].strip()
    if " @ " in target or target.startswith("@"):
        target = target.split("@", 1)[1].strip()
    lowered = target.lower()
    if lowered.startswith("file:"):
        return True
    if "://" in lowered or lowered.startswith(("git+", "hg+", "svn+", "bzr+")):
        return False
    if target.startswith((".", "/", "~")) or _ARCHIVE.search(target):
        return True
    return "/" in target and not re.search(r"[<>=!~]", target)


def requirement_includes(c: Collector, rel: str, seen: set[str], included: bool = False) -> None:
    """Add requirements file ``rel`` and, recursively, every file it includes; note local paths."""
    if rel in seen:
        return
    seen.add(rel)
    if not c.has(rel):
        c.reason(f"{rel} is included by a requirements file but does not exist")
        return
    if not c.add(rel) and included:
        c.reason(f"{rel} is included by a requirements file but .dockerignore excludes it")
    text = c.text(rel)
    if text is None:
        return
    base = rel.rpartition("/")[0] or "."
    for line in _logical_lines(text):
        include = _option(line, _INCLUDE)
        if include is not None:
            target = include[1].split()[0] if include[1] else ""
            if "://" in target:
                c.reason(f"{rel} includes a remote file {target}")
            elif "$" in target:
                c.reason(f"{rel} includes {target}, which uses an environment variable")
            elif target:
                requirement_includes(c, join(base, target), seen, included=True)
            continue
        editable = _option(line, _EDITABLE)
        if editable is not None:
            if _is_local(editable[1]) or editable[1] in (".", ""):
                c.reason(f"{rel}: editable install of local path {editable[1]!r}")
            continue
        links = _option(line, _FIND_LINKS)
        if links is not None:
            if "://" not in links[1]:
                c.reason(f"{rel}: --find-links {links[1]} is a local directory")
            continue
        if line.startswith("-"):
            continue  # --index-url, --hash, --pre, ...: no files involved
        if _is_local(line):
            c.reason(f"{rel}: requirement {line!r} is a local path")


def detect_pip(context: BuildContext, directory: str) -> Manifests | None:
    c = Collector(context, directory, "pip")
    roots = [c.path(n) for n in c.names() if re.fullmatch(r"requirements.*\.txt", n) and c.has(c.path(n))]
    if not roots:
        return None
    seen: set[str] = set()
    for root in roots:
        requirement_includes(c, root, seen)
    c.result.details["requirements"] = roots
    return c.result


def _pyproject(c: Collector) -> dict[str, Any]:
    data = c.toml(c.path("pyproject.toml"))
    return data if isinstance(data, dict) else {}


def _path_deps(c: Collector, rel: str, table: Any, where: str) -> None:
    if not isinstance(table, dict):
        return
    for name, spec in table.items():
        if isinstance(spec, dict) and "path" in spec:
            c.reason(f"{rel}: {where} {name!r} is a local path ({spec['path']})")


def detect_poetry(context: BuildContext, directory: str) -> Manifests | None:
    c = Collector(context, directory, "poetry")
    pyproject = c.path("pyproject.toml")
    lock = c.path("poetry.lock")
    data = _pyproject(c) if c.has(pyproject) else {}
    poetry = data.get("tool", {}).get("poetry") if isinstance(data.get("tool"), dict) else None
    if not c.has(lock) and not isinstance(poetry, dict):
        return None
    c.add(pyproject)
    if c.add(lock):
        c.result.lockfile = lock
    c.add(c.path("poetry.toml"))
    if isinstance(poetry, dict):
        _path_deps(c, pyproject, poetry.get("dependencies"), "dependency")
        _path_deps(c, pyproject, poetry.get("dev-dependencies"), "dev-dependency")
        groups = poetry.get("group")
        if isinstance(groups, dict):
            for group, body in groups.items():
                if isinstance(body, dict):
                    _path_deps(c, pyproject, body.get("dependencies"), f"group {group} dependency")
    return c.result


def detect_pipenv(context: BuildContext, directory: str) -> Manifests | None:
    c = Collector(context, directory, "pipenv")
    pipfile = c.path("Pipfile")
    if not c.has(pipfile):
        return None
    c.add(pipfile)
    lock = c.path("Pipfile.lock")
    if c.add(lock):
        c.result.lockfile = lock
    data = c.toml(pipfile) or {}
    _path_deps(c, pipfile, data.get("packages"), "package")
    _path_deps(c, pipfile, data.get("dev-packages"), "dev-package")
    return c.result


def detect_uv(context: BuildContext, directory: str) -> Manifests | None:
    c = Collector(context, directory, "uv")
    pyproject = c.path("pyproject.toml")
    lock = c.path("uv.lock")
    data = _pyproject(c) if c.has(pyproject) else {}
    tool = data.get("tool") if isinstance(data.get("tool"), dict) else {}
    uv = tool.get("uv") if isinstance(tool, dict) else None
    if not c.has(lock) and not isinstance(uv, dict):
        return None
    c.add(pyproject)
    if c.add(lock):
        c.result.lockfile = lock
    for name in ("uv.toml", ".python-version"):
        c.add(c.path(name))
    uv = uv if isinstance(uv, dict) else {}
    workspace = cast(dict[str, Any], uv.get("workspace") if isinstance(uv.get("workspace"), dict) else {})
    members = [m for m in workspace.get("members", []) if isinstance(m, str)]
    excluded = [m for m in workspace.get("exclude", []) if isinstance(m, str)]
    member_dirs: set[str] = set()
    if members:
        c.result.workspaces = members
        dirs, complete = expand_dir_globs(context, c.directory, members + ["!" + e for e in excluded])
        for member in dirs:
            if c.has(join(member, "pyproject.toml")):
                member_dirs.add(member)
                complete = c.add(join(member, "pyproject.toml")) and complete
        c.result.workspaces_complete = complete
    sources = cast(dict[str, Any], uv.get("sources") if isinstance(uv.get("sources"), dict) else {})
    for name, spec in sources.items():
        if isinstance(spec, dict) and "path" in spec:
            target = join(c.directory, str(spec["path"]))
            if target not in member_dirs:
                c.reason(f"{pyproject}: source {name!r} is a local path ({spec['path']})")
    return c.result
