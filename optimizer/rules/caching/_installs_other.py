"""Install steps of Go, Maven, Gradle, Bundler, Composer, .NET and Cargo (DO401's vocabulary).

Each reader gets a recognised invocation and the shell's working directory and returns a Reading:
an InstallStep for a dependency-only command (``go mod download``, ``mvn dependency:go-offline``,
``gradle dependencies``, ``bundle install``, ``composer install``, ``dotnet restore``), a reason when
the command needs the source (a build), or None to let the generic judgement decide.
"""

from __future__ import annotations

import posixpath

from ...shell import Invocation
from ._paths import resolve
from ._steps import (
    INDEPENDENT,
    INSTALL,
    InstallStep,
    Reading,
    directory_of,
    needs_source,
    project_program,
    shown_of,
)

_MAVEN_GOALS = frozenset(
    {
        "dependency:go-offline",
        "dependency:resolve",
        "dependency:resolve-plugins",
        "dependency:resolve-sources",
        "de.qaware.maven:go-offline-maven-plugin:resolve-dependencies",
        "help:evaluate",
        "validate",
    }
)
_GRADLE_TASKS = frozenset(
    {"dependencies", "resolveDependencies", "downloadDependencies", "androidDependencies", "buildEnvironment"}
)

_BUNDLER_REMEMBERED = (
    "--path",
    "--deployment",
    "--without",
    "--with",
    "--frozen",
    "--system",
    "--binstubs",
    "--clean",
    "--shebang",
)


def _go(inv: Invocation, cwd: str | None) -> Reading | None:
    if inv.subcommand not in ("mod download", "mod verify"):
        return (
            None
            if inv.subcommand in ("install", "version", "env")
            else needs_source(f"{shown_of(inv)} reads the source", notable=False)
        )
    directory = directory_of(inv.value("-C"), cwd) if inv.has("-C") else cwd
    return Reading(INSTALL, install=InstallStep("go", inv.command, shown_of(inv), directory, invocation=inv))


def _maven(inv: Invocation, cwd: str | None) -> Reading | None:
    goals = [inv.subcommand or ""] + [w.value or "?" for w in inv.args]
    if not all(goal in _MAVEN_GOALS for goal in goals):
        return needs_source(f"{shown_of(inv)} runs a build", notable=False)
    pom = inv.value("-f", "--file")
    directory = directory_of(pom, cwd, is_file=bool(pom and pom.endswith(".xml"))) if pom else cwd
    files = [resolve(v, cwd) for v in inv.values("-s", "--settings", "-gs", "--global-settings") if v]
    if any(v is None for v in inv.values("-s", "--settings")) or None in files:
        return needs_source(f"{shown_of(inv)}: settings path not known")
    if any(
        (v or "").startswith("maven.repo.local=") and not (v or "").split("=", 1)[1].startswith("/")
        for v in inv.values("-D")
    ):
        return needs_source(f"{shown_of(inv)} keeps its repository in the project")
    step = InstallStep(
        "maven",
        inv.command,
        shown_of(inv),
        directory,
        [f for f in files if f],
        program=project_program(inv, cwd),
        invocation=inv,
    )
    return Reading(INSTALL, install=step)


def _gradle(inv: Invocation, cwd: str | None) -> Reading | None:
    tasks: list[str | None] = [inv.subcommand, *(w.value for w in inv.args)] if inv.subcommand else []
    if not all(task in _GRADLE_TASKS for task in tasks):
        return needs_source(f"{shown_of(inv)} runs a build", notable=False)
    build = inv.value("-b", "--build-file")
    directory = directory_of(inv.value("-p", "--project-dir"), cwd) if inv.has("-p", "--project-dir") else cwd
    if build:
        directory = directory_of(build, cwd, is_file=True)
    step = InstallStep(
        "gradle",
        inv.command,
        shown_of(inv),
        directory,
        outputs=(".gradle",),
        program=project_program(inv, cwd),
        invocation=inv,
    )
    return Reading(INSTALL, install=step)


def _bundler(inv: Invocation, cwd: str | None) -> Reading | None:
    if inv.subcommand != "install":
        if inv.subcommand and inv.subcommand.startswith("config"):
            return None
        return needs_source(f"{shown_of(inv)} reads the project", notable=False)
    if inv.args:
        return needs_source(f"{shown_of(inv)} {inv.args[0].text}: unexpected arguments")
    gemfile = inv.value("--gemfile")
    directory = directory_of(gemfile, cwd, is_file=True) if gemfile else cwd
    outputs = [".bundle/config"] if inv.has(*_BUNDLER_REMEMBERED) else []
    path = inv.value("--path")
    if inv.has("--deployment") or (path and not path.startswith("/")):
        outputs.append("vendor/bundle" if not path or path.startswith("/") else path)
    frozen = inv.has("--frozen", "--deployment")
    step = InstallStep(
        "bundler",
        inv.command,
        shown_of(inv),
        directory,
        rewrites_lock=not frozen,
        outputs=tuple(outputs),
        invocation=inv,
    )
    return Reading(INSTALL, install=step)


def _composer(inv: Invocation, cwd: str | None) -> Reading | None:
    sub = inv.subcommand or ""
    if (
        sub in ("self-update", "clear-cache", "diagnose")
        or sub.startswith("global")
        or (sub == "config" and inv.has("-g", "--global"))
    ):
        return Reading(INDEPENDENT)
    if sub != "install":
        return needs_source(
            f"{shown_of(inv)} reads the project", notable=sub in ("require", "update", "dump-autoload")
        )
    if inv.args:
        return needs_source(f"{shown_of(inv)} {inv.args[0].text}: unexpected arguments")
    directory = directory_of(inv.value("-d", "--working-dir"), cwd) if inv.has("-d", "--working-dir") else cwd
    flags = {
        name
        for name, option in (
            ("no-scripts", "--no-scripts"),
            ("no-autoloader", "--no-autoloader"),
            ("no-dev", "--no-dev"),
        )
        if inv.has(option)
    }
    if inv.has("-o", "--optimize-autoloader"):
        flags.add("optimize")
    if inv.has("-a", "--classmap-authoritative"):
        flags.add("classmap-authoritative")
    if inv.has("--apcu-autoloader"):
        flags.add("apcu")
    step = InstallStep(
        "composer",
        inv.command,
        shown_of(inv),
        directory,
        outputs=("vendor",),
        flags=frozenset(flags),
        invocation=inv,
    )
    return Reading(INSTALL, install=step)


def _dotnet(inv: Invocation, cwd: str | None) -> Reading | None:
    if inv.subcommand != "restore":
        return needs_source(f"{shown_of(inv)} reads the project", notable=False)
    files: list[str | None] = [resolve(w.value, cwd) if w.value else None for w in inv.args]
    files += [resolve(v, cwd) if v else None for v in inv.values("--configfile")]
    if None in files:
        return needs_source(f"{shown_of(inv)}: project path not known")
    for value in inv.values("--packages"):
        if not value or not value.startswith("/"):
            return needs_source(f"{shown_of(inv)} --packages keeps packages in the project")
    directory = posixpath.dirname(files[0]) if inv.args and files[0] else cwd
    step = InstallStep(
        "dotnet",
        inv.command,
        shown_of(inv),
        directory,
        [f for f in files if f],
        outputs=("obj",),
        invocation=inv,
    )
    return Reading(INSTALL, install=step)


def _cargo(inv: Invocation, cwd: str | None) -> Reading | None:
    if inv.subcommand in ("fetch", "build", "install", "vendor", "chef"):
        return needs_source(f"{shown_of(inv)} needs the crate sources", notable=False, cargo=True)
    return None


HANDLERS = {
    "go": _go,
    "mvn": _maven,
    "gradle": _gradle,
    "bundler": _bundler,
    "composer": _composer,
    "dotnet": _dotnet,
    "cargo": _cargo,
}
