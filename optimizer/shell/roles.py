"""What a RUN script is for, as the layer rules judge it: a cleanup, an expensive step, an OS install.

One vocabulary for every rule that asks: DO201 (which RUNs to join, which to keep apart), DO313
(which RUN only cleans up after another) and the package-manager rules (a cleanup RUN that follows).
"""

from __future__ import annotations

from .managers import invocations
from .model import Command, Script
from .removals import removals

# Subcommands that install, build or download: the steps worth keeping in their own cached layer.
EXPENSIVE_SUBCOMMANDS = frozenset(
    {
        "install", "add", "ci", "upgrade", "dist-upgrade", "full-upgrade", "create", "sync", "build",
        "download", "restore", "publish", "fetch", "package", "compile", "groupinstall", "localinstall",
        "dependency:go-offline", "mod download", "env create", "wheel", "bundle", "get",
    }
)  # fmt: skip
EXPENSIVE_COMMANDS = frozenset(
    {"make", "cmake", "ninja", "meson", "gcc", "g++", "cc", "curl", "wget", "git", "cargo", "rustup",
     "./configure", "configure", "bazel", "go", "mvn", "gradle", "npm", "yarn", "pnpm", "dotnet"}
)  # fmt: skip
# A package manager's own cleanup subcommands (``apt-get clean``, ``npm cache clean``,
# ``composer clear-cache`` …): the one list for "this only cleans up" and "this cleans after X".
CLEANUP_SUBCOMMANDS = frozenset(
    {"clean", "autoclean", "dist-clean", "autoremove", "purge", "remove", "del", "uninstall",
     "cache clean", "cache purge", "clean all", "clear-cache", "cleanup", "prune", "cache prune"}
)  # fmt: skip


# Commands that may sit in a cleanup RUN without making it more than a cleanup.
HARMLESS = frozenset({"set", "true", ":", "echo", "cd", "printf"})


def is_cleanup(script: Script) -> bool:
    """The script only deletes files or cleans package-manager caches (a "cleanup RUN")."""
    cleanup = {id(r.command) for r in removals(script)}
    cleanup |= {id(c) for c in script.commands if c.name == "find" and "-delete" in c.argv}
    cleanup |= {id(inv.command) for inv in invocations(script) if inv.subcommand in CLEANUP_SUBCOMMANDS}
    if not cleanup:
        return False
    return all(id(c) in cleanup or c.name in HARMLESS for c in script.commands)


def is_expensive(script: Script) -> bool:
    """The script installs, builds or downloads something (worth a cached layer of its own)."""
    for inv in invocations(script):
        if inv.subcommand in EXPENSIVE_SUBCOMMANDS:
            return True
    for command in script.commands:
        name = (command.name or "").rsplit("/", 1)[-1]
        if name in EXPENSIVE_COMMANDS and not (
            name in ("npm", "yarn", "pnpm", "go", "dotnet") and _cheap_tool_use(command)
        ):
            return True
    return False


OS_FAMILIES = frozenset({"apt", "apk", "rpm", "zypper"})


def same_os_packages(earlier: Script, later: Script) -> bool:
    """Both RUNs install OS packages with the same manager (``apt-get install`` twice in a row).

    Worth one RUN: the later install reads the package index the earlier one fetched, so only
    together can the index be removed in the layer that downloaded it — and one install is what
    every Dockerfile guide recommends.
    """
    families = {inv.family for inv in invocations(earlier) if inv.family in OS_FAMILIES}
    return any(inv.family in families and inv.subcommand in ("install", "add") for inv in invocations(later))


def _cheap_tool_use(command: Command) -> bool:
    """``npm config set``, ``go env``, ``yarn --version``: a tool named, nothing heavy done."""
    args = [a for a in command.argv[1:] if a]
    return not args or args[0] in ("config", "env", "version", "--version", "-v", "set")


def cleaned_families(script: Script) -> set[str]:
    """The package-manager families whose cleanup subcommands the script runs."""
    return {i.family for i in invocations(script) if i.subcommand in CLEANUP_SUBCOMMANDS}
