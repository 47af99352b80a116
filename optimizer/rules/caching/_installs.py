"""Dependency-install commands, per ecosystem: what each reads, writes and needs (DO401's vocabulary).

Why per command and not per manifest: the same ``package.json`` is installed by ``npm ci`` (reads the
manifests only), by ``npm install express`` (rewrites package.json) and by ``npm run build`` (reads
the source). The analysis package says which manifests sit in the context; this module says which
command lines are *dependency installs* — the step worth caching — and, for each, the directory or
files it reads, whether it may rewrite the lockfile (the source copy after it would then restore the
old one), what it writes into the project (a ``node_modules`` in the context would land on top), and
which of its flags matter (``--no-root``, ``--ignore-scripts``, ``--no-autoloader``).
"""

from __future__ import annotations

import posixpath

from ...shell import Command, Invocation, Word, recognise, unwrap
from ._paths import Where, resolve
from ._shell import judge
from ._steps import (
    INDEPENDENT,
    INSTALL,
    SOURCE,
    InstallStep,
    Reading,
    directory_of,
    needs_source,
    project_program,
    shown_of,
)

_JS_OUTPUTS = (
    "node_modules",
    ".pnp.cjs",
    ".pnp.js",
    ".pnp.loader.mjs",
    ".yarn/cache",
    ".yarn/unplugged",
    ".yarn/install-state.gz",
)

_POETRY_VALUES = frozenset(
    {"-C", "--directory", "-P", "--project", "--only", "--with", "--without", "-E", "--extras", "--group"}
)
_PIPENV_VALUES = frozenset(
    {"--python", "--pypi-mirror", "-r", "--requirements", "--categories", "--extra-pip-args"}
)


def read_command(command: Command, where: Where) -> Reading:
    """Classify one command of a RUN script for the COPY reorder."""
    invocation = recognise(command)
    cwd = where.cwd
    if invocation is not None and invocation.subcommand is not None:
        reading = _manager(invocation, cwd)
        if reading is not None:
            return reading
    elif invocation is None:
        reading = _unrecognised_tool(command, cwd)
        if reading is not None:
            return reading
    judgement = judge(command, where)
    if judgement.independent:
        return Reading(INDEPENDENT, absent=judgement.absent)
    return Reading(SOURCE, judgement.reason)


def _manager(inv: Invocation, cwd: str | None) -> Reading | None:
    handler = {"npm": _npm, "yarn": _npm, "pnpm": _npm, "pip": _pip, "uv": _uv}.get(inv.manager)
    if handler is None:
        # go, maven, gradle, bundler, composer, dotnet, cargo: loaded with the first such command, since
        # DO402 walks past RUNs on most files with a COPY and rarely meets one of them.
        from ._installs_other import HANDLERS as OTHER_HANDLERS

        handler = OTHER_HANDLERS.get(inv.manager)
    return handler(inv, cwd) if handler else None


def _npm(inv: Invocation, cwd: str | None) -> Reading | None:
    sub, shown = inv.subcommand, shown_of(inv)
    if inv.has("-g", "--global"):
        return None
    if inv.has("-w", "--workspace", "--workspaces", "--filter", "-F", "-r", "--recursive"):
        return needs_source(f"{shown} works on workspaces")
    manager = inv.manager
    installs = {"npm": ("ci", "install"), "yarn": ("install",), "pnpm": ("install", "fetch")}[manager]
    if sub in ("install", "add") and inv.args:
        return needs_source(f"{shown} {inv.args[0].text} adds a package: it rewrites package.json")
    if sub not in installs:
        if sub in ("cache clean", "config set", "set", "store prune", "global add"):
            return None
        return needs_source(f"{shown} reads the project", notable=False)
    prefix = {"npm": ("--prefix",), "yarn": ("--cwd",), "pnpm": ("-C", "--dir")}[manager]
    directory = directory_of(inv.value(*prefix), cwd) if inv.has(*prefix) else cwd
    frozen = inv.has("--frozen-lockfile", "--pure-lockfile", "--immutable", "--no-package-lock", "--no-save")
    rewrites = sub not in ("ci", "fetch") and not frozen and inv.value("--package-lock") != "false"
    quiet = inv.has("--ignore-scripts") or inv.value("--mode") == "skip-build"
    step = InstallStep(
        "npm",
        inv.command,
        shown,
        directory,
        rewrites_lock=rewrites,
        ignore_scripts=quiet,
        outputs=_JS_OUTPUTS,
        invocation=inv,
    )
    return Reading(INSTALL, install=step)


def _pip(inv: Invocation, cwd: str | None) -> Reading | None:
    sub, shown = inv.subcommand, shown_of(inv)
    if inv.manager == "uv" and sub == "pip sync":
        files = [resolve(w.value, cwd) if w.value else None for w in inv.args]
        if not files or None in files:
            return needs_source(f"{shown}: requirement files not known")
        step = InstallStep("pip", inv.command, shown, None, [f for f in files if f], invocation=inv)
        return Reading(INSTALL, install=step)
    if sub not in ("install", "pip install", "wheel", "download"):
        return None
    if inv.has("-e", "--editable"):
        return needs_source(f"`{shown} -e` installs the project itself, which needs the source")
    for word in inv.args:
        value = word.value
        if (
            value is None
            or value in (".", "..")
            or value.startswith(("./", "../", "/", "file:"))
            or ("/" in value and "://" not in value and "@" not in value)
            or value.endswith((".whl", ".tar.gz", ".zip"))
        ):
            what = "the project itself" if value in (".", "./") else "a local path"
            return needs_source(f"`{shown} {word.text}` installs {what}, which needs the source")
    requirements = inv.values("-r", "--requirement") + inv.values("-c", "--constraint")
    if not requirements:
        return None  # named packages only: judged as independent (or not) by _shell
    if None in requirements:
        return needs_source(f"{shown}: a requirement file path is computed")
    for name in (
        "-f",
        "--find-links",
        "-t",
        "--target",
        "--prefix",
        "--root",
        "-w",
        "--wheel-dir",
        "-d",
        "--dest",
    ):
        for value in inv.values(name):
            if value is None or ("://" not in value and not value.startswith("/")):
                return needs_source(f"{shown} {name} {value or '…'} is a path in the project")
    files = [resolve(r, cwd) for r in requirements if r]
    if None in files:
        return needs_source(f"{shown}: the working directory is not known")
    program = inv.program[0].value or ""
    step = InstallStep(
        "pip",
        inv.command,
        shown,
        None,
        [f for f in files if f],
        invocation=inv,
        program=program if program.startswith("/") else project_program(inv, cwd),
    )
    return Reading(INSTALL, install=step)


def _uv(inv: Invocation, cwd: str | None) -> Reading | None:
    if inv.subcommand and inv.subcommand.startswith("pip "):
        return _pip(inv, cwd)
    if inv.subcommand != "sync":
        return (
            None
            if inv.subcommand in ("venv", "cache clean", "python install")
            else needs_source(f"{shown_of(inv)} reads the project", notable=False)
        )
    directory = (
        directory_of(inv.value("--project", "--directory"), cwd)
        if inv.has("--project", "--directory")
        else cwd
    )
    flags = (
        {"no-install-project"}
        if inv.has("--no-install-project", "--no-install-workspace", "--only-deps")
        else set()
    )
    if inv.has("--package", "--all-packages"):
        return needs_source(f"{shown_of(inv)} --package works on a workspace")
    step = InstallStep(
        "uv",
        inv.command,
        shown_of(inv),
        directory,
        rewrites_lock=not inv.has("--locked", "--frozen"),
        outputs=(".venv",),
        flags=frozenset(flags),
        invocation=inv,
    )
    return Reading(INSTALL, install=step)


def _cli(
    command: Command, values: frozenset[str]
) -> tuple[str | None, str | None, dict[str, str | None], list[Word]]:
    """(tool, subcommand, options, operands) for tools the shell model does not know (poetry, pipenv)."""
    start, _, _ = unwrap(command)
    words = command.words[start:]
    if not words or words[0].value is None:
        return None, None, {}, []
    tool = posixpath.basename(words[0].value)
    options: dict[str, str | None] = {}
    operands: list[Word] = []
    index = 1
    while index < len(words):
        text = words[index].value or ""
        if text.startswith("-") and "=" in text:
            key, _, value = text.partition("=")
            options[key] = value
        elif text in values and index + 1 < len(words):
            options[text] = words[index + 1].value
            index += 1
        elif text.startswith("-"):
            options[text] = None
        else:
            operands.append(words[index])
        index += 1
    sub = operands[0].value if operands else None
    return tool, sub, options, operands[1:]


def _unrecognised_tool(command: Command, cwd: str | None) -> Reading | None:
    tool, sub, options, rest = _cli(command, _POETRY_VALUES | _PIPENV_VALUES)
    if tool == "poetry":
        if sub is None or sub == "self" or (sub == "config" and "--local" not in options):
            return Reading(INDEPENDENT)
        if sub != "install":
            return needs_source(f"poetry {sub} reads the project", notable=sub in ("add", "lock", "update"))
        if "--only-root" in options:
            return needs_source("poetry install --only-root installs the project itself: it needs the source")
        where = (
            options.get("-C") or options.get("--directory") or options.get("-P") or options.get("--project")
        )
        flags = frozenset({"no-root"} if "--no-root" in options else set())
        step = InstallStep(
            "poetry",
            command,
            "poetry install",
            directory_of(where, cwd) if where else cwd,
            outputs=(".venv",),
            flags=flags,
        )
        return Reading(INSTALL, install=step)
    if tool == "pipenv":
        if sub is None or sub in ("--version",):
            return Reading(INDEPENDENT)
        if sub not in ("install", "sync") or rest:
            return needs_source(
                f"pipenv {sub} {' '.join(w.text for w in rest)}".rstrip() + " changes the Pipfile",
                notable=sub in ("install", "lock", "update"),
            )
        frozen = sub == "sync" or bool({"--deploy", "--ignore-pipfile", "--skip-lock"} & set(options))
        step = InstallStep(
            "pipenv", command, f"pipenv {sub}", cwd, rewrites_lock=not frozen, outputs=(".venv",)
        )
        return Reading(INSTALL, install=step)
    return None
