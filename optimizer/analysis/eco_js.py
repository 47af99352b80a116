"""Node package managers: npm, yarn (classic and berry), pnpm, bun.

Why these files: ``npm ci`` reads package.json and package-lock.json (or npm-shrinkwrap.json);
yarn reads yarn.lock and, for berry, ``.yarnrc.yml`` plus the ``.yarn/releases`` binary and
``.yarn/plugins`` it points at (and ``.yarn/patches`` for ``patch:`` dependencies); pnpm reads
pnpm-lock.yaml, pnpm-workspace.yaml and ``.pnpmfile.cjs``; ``.npmrc`` configures registries
and auth for all of them. In a workspace every member's package.json is part of the install.

What needs more than manifests: lifecycle scripts that run during install (``preinstall``,
``install``, ``postinstall``, ``prepare``) may read any file, and ``file:``/``link:``/relative
dependencies point at source directories.
"""

from __future__ import annotations

import re
from typing import Any

from ._detect import Collector, Manifests, expand_dir_globs, join
from .context import BuildContext

__all__ = ["detect_node"]

_LOCKFILES = [
    ("package-lock.json", "npm"),
    ("npm-shrinkwrap.json", "npm"),
    ("yarn.lock", "yarn"),
    ("pnpm-lock.yaml", "pnpm"),
    ("bun.lock", "bun"),
    ("bun.lockb", "bun"),
]
_CONFIG = [".npmrc", ".yarnrc", ".yarnrc.yml", ".pnpmfile.cjs", "pnpm-workspace.yaml", "bunfig.toml"]
_INSTALL_SCRIPTS = ("preinstall", "install", "postinstall", "prepare")
_DEP_FIELDS = ("dependencies", "devDependencies", "optionalDependencies")
_LOCAL_SPEC = re.compile(r"^(file:|link:|portal:|\.{1,2}/|/|~/)")


def detect_node(context: BuildContext, directory: str) -> Manifests | None:
    c = Collector(context, directory, "npm")
    manifest = c.path("package.json")
    if not c.has(manifest):
        return None
    c.add(manifest)
    package = c.json(manifest)
    package = package if isinstance(package, dict) else {}
    tools = []
    for name, tool in _LOCKFILES:
        rel = c.path(name)
        if c.has(rel):
            tools.append(tool)
            if c.add(rel) and c.result.lockfile is None:
                c.result.lockfile = rel
    for name in _CONFIG:
        c.add(c.path(name))
    c.result.tool = _tool(package, tools, c)
    if c.has(c.path(".yarnrc.yml")) or c.result.tool == "yarn-berry":
        for sub in ("releases", "plugins", "patches"):
            c.add_tree(c.path(f".yarn/{sub}"))
    _check_package(c, manifest, package)
    globs = _workspace_globs(package, c)
    if globs:
        _add_workspaces(c, context, globs)
    return c.result


def _tool(package: dict[str, Any], tools: list[str], c: Collector) -> str:
    declared = package.get("packageManager")
    if isinstance(declared, str) and "@" in declared:
        name, _, version = declared.partition("@")
        if name == "yarn":
            return "yarn" if version.startswith("1.") else "yarn-berry"
        if name in ("npm", "pnpm", "bun"):
            return name
    if "yarn" in tools:
        return "yarn-berry" if c.has(c.path(".yarnrc.yml")) else "yarn"
    return tools[0] if tools else "npm"


def _check_package(c: Collector, rel: str, package: dict[str, Any]) -> None:
    scripts = package.get("scripts")
    if isinstance(scripts, dict):
        for name in _INSTALL_SCRIPTS:
            command = scripts.get(name)
            if isinstance(command, str) and command.strip():
                c.reason(f"{rel} runs the {name!r} script during install: {command.strip()}")
    for field in _DEP_FIELDS:
        deps = package.get(field)
        if not isinstance(deps, dict):
            continue
        for dep, spec in deps.items():
            if isinstance(spec, str) and _LOCAL_SPEC.match(spec):
                c.reason(f"{rel}: {field} {dep!r} is a local path ({spec})")


def _workspace_globs(package: dict[str, Any], c: Collector) -> list[str]:
    workspaces = package.get("workspaces")
    if isinstance(workspaces, dict):
        workspaces = workspaces.get("packages")
    globs = [w for w in workspaces if isinstance(w, str)] if isinstance(workspaces, list) else []
    text = c.text(c.path("pnpm-workspace.yaml"))
    if text is not None:
        globs += _yaml_list(text, "packages")
    return globs


def _yaml_list(text: str, key: str) -> list[str]:
    """The string items of a top-level YAML list (block or flow style) — enough for pnpm."""
    items: list[str] = []
    lines = text.splitlines()
    for i, line in enumerate(lines):
        if not re.match(rf"^{key}\s*:", line):
            continue
        rest = line.split(":", 1)[1].strip()
        if rest.startswith("["):
            return [_unquote(x) for x in rest.strip("[]").split(",") if x.strip()]
        for item in lines[i + 1 :]:
            stripped = item.strip()
            if not stripped or stripped.startswith("#"):
                continue
            if not item[:1].isspace() and not stripped.startswith("-"):
                break
            if stripped.startswith("-"):
                items.append(_unquote(stripped[1:].split(" #", 1)[0]))
        break
    return items


def _unquote(value: str) -> str:
    return value.strip().strip("'\"")


def _add_workspaces(c: Collector, context: BuildContext, globs: list[str]) -> None:
    c.result.workspaces = globs
    directories, complete = expand_dir_globs(context, c.directory, globs)
    members = []
    for directory in directories:
        rel = join(directory, "package.json")
        if not c.has(rel):
            continue  # npm only treats directories with a package.json as workspaces
        members.append(directory)
        if not c.add(rel):
            complete = False
            continue
        member = c.json(rel)
        if isinstance(member, dict):
            _check_package(c, rel, member)
    c.result.details["workspace_members"] = members
    c.result.workspaces_complete = complete
    if not complete:
        c.reason("workspace members could not all be resolved from the context")
