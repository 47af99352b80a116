"""What a RUN script reads from the image's file system, as far as the shell model can tell.

A fix that removes files (a cache cleanup) or moves an instruction is safe only if nothing later reads
what it changes. This module answers, for one script, *which paths it may read before writing them
itself*, in three kinds of answer:

- known paths (``/var/lib/apt/lists`` for ``apt-get install``, the directory of ``--find-links``, the
  arguments of ``cat``/``cp``/``tar -x`` …), resolved against the working directory where it is known;
- "anything", with the reason, for any command whose reads cannot be known: a script or a program
  dockopt has no model of (``./install.sh``, ``make``, ``python setup.py``), ``eval``, a computed
  command name, a script that is not a POSIX shell script. That is what keeps the answer sound;
- nothing, for the commands whose whole effect is known and reads no file that matters here
  (``echo``, ``mkdir``, ``useradd`` …).

A package manager's *cache* is read only as a shortcut by an ordinary install (the result is the same
without it), so it is not a read of data; it becomes one when the install must work from the cache
alone (``npm ci --offline``, ``yarn install --offline``, ``pip --no-index --find-links <cache>``).
Paths a script refreshes before reading them (``apt-get update`` then ``install``) are not reads of
what an earlier instruction left.
"""

from __future__ import annotations

import posixpath
import re
from collections.abc import Mapping
from dataclasses import dataclass, field

from .managers import Invocation, recognise
from .model import GUARDED_CONTEXTS, Command, Script

APT_LISTS = "/var/lib/apt/lists"

# Commands whose reads are their path operands (or nothing): the rest of their effect is known.
_NO_FILE_READS = frozenset(
    {
        "echo",
        "printf",
        "true",
        "false",
        ":",
        "test",
        "[",
        "set",
        "export",
        "unset",
        "umask",
        "mkdir",
        "rmdir",
        "touch",
        "chmod",
        "chown",
        "chgrp",
        "ln",
        "useradd",
        "groupadd",
        "adduser",
        "addgroup",
        "usermod",
        "groupmod",
        "userdel",
        "id",
        "whoami",
        "sleep",
        "date",
        "uname",
        "env",
        "which",
        "command",
        "type",
        "hash",
        "rm",
        "cd",
        "pwd",
        "exit",
        "return",
        "shift",
        "trap",
        "ulimit",
        "wait",
        "update-ca-certificates",
        "ldconfig",
        "locale-gen",
        "localedef",
        "dpkg-reconfigure",
        "passwd",
        "chpasswd",
        "mktemp",
        "nproc",
        "seq",
        "yes",
        "basename",
        "dirname",
        "realpath",
        "readlink",
        "curl",
        "wget",
        "git",
        "install",
        "tee",
        "dd",
    }
)
# Commands that read the files named by their operands (options aside).
_READS_OPERANDS = frozenset(
    {
        "cat",
        "head",
        "tail",
        "grep",
        "egrep",
        "fgrep",
        "sed",
        "awk",
        "sort",
        "uniq",
        "wc",
        "cut",
        "tr",
        "cp",
        "mv",
        "tar",
        "gzip",
        "gunzip",
        "zcat",
        "bzip2",
        "xz",
        "unzip",
        "sha256sum",
        "sha1sum",
        "md5sum",
        "sha512sum",
        "diff",
        "cmp",
        "find",
        "ls",
        "du",
        "stat",
        "file",
        "rsync",
        "chroot",
        "dpkg",
        "rpm",
        "jq",
        "xargs",
        "source",
        ".",
    }
)
# Package-manager families whose installs read the files an earlier RUN left, not only their cache.
_DATA = {
    "apt": (APT_LISTS, "/var/lib/dpkg", "/etc/apt"),
    "apk": ("/lib/apk/db", "/etc/apk"),
    "rpm": ("/var/lib/rpm", "/etc/yum.repos.d", "/etc/dnf", "/etc/yum.conf"),
    "zypper": ("/var/lib/rpm", "/etc/zypp"),
}
_APT_READING = frozenset(
    {
        "install",
        "upgrade",
        "dist-upgrade",
        "full-upgrade",
        "build-dep",
        "reinstall",
        "source",
        "download",
        "satisfy",
        "changelog",
    }
)


@dataclass
class Reads:
    """What a script may read (before writing it itself)."""

    paths: list[str] = field(default_factory=list)  # absolute, normalised
    anything: str | None = None  # why it may read any file (None: only ``paths``)

    def reads_known(self, path: str) -> str | None:
        """Why this script reads ``path`` (or something inside it) for certain, or None."""
        path = posixpath.normpath(path)
        for read in self.paths:
            if (
                read == path
                or read.startswith(path.rstrip("/") + "/")
                or path.startswith(read.rstrip("/") + "/")
            ):
                return f"it reads {read}"
        return None


def script_reads(script: Script, *, workdir: str | None, env: Mapping[str, str], home: str | None) -> Reads:
    """The paths ``script`` may read from the image, in the order it runs its commands.

    ``workdir`` is the WORKDIR the RUN starts in (None: unknown), ``env`` the ENV/ARG values in
    effect (for tool settings such as ``npm_config_offline`` or ``PIP_FIND_LINKS``), ``home`` the
    user's home directory when known.
    """
    reads = Reads()
    cwd = workdir
    refreshed: set[str] = set()
    for command in script.commands:
        if command.state in ("eval", "source", ".", "dynamic"):
            reads.anything = reads.anything or f"`{command.text.strip()[:40]}` runs code dockopt cannot see"
            continue
        name = (command.name or "").rsplit("/", 1)[-1]
        if command.name is None and command.words:
            reads.anything = (
                reads.anything or f"`{command.text.strip()[:40]}` runs a program named at run time"
            )
            continue
        if name == "cd":
            cwd = _cd(command, cwd)
            continue
        invocation = recognise(command)
        if invocation is not None:
            why = _manager_reads(invocation, reads, refreshed, cwd, env, home)
            if why:
                reads.anything = reads.anything or why
            continue
        if not command.words or name in _NO_FILE_READS:
            continue
        if name in _READS_OPERANDS:
            for word in command.args:
                value = word.value
                if value is None:
                    reads.anything = (
                        reads.anything or f"`{command.text.strip()[:40]}` reads a path computed at run time"
                    )
                    continue
                if value.startswith("-"):
                    continue
                resolved = _resolve(value, cwd)
                if resolved is None:
                    reads.anything = (
                        reads.anything
                        or f"`{command.text.strip()[:40]}` reads a relative path from an unknown directory"
                    )
                    continue
                reads.paths.append(resolved)
            continue
        reads.anything = (
            reads.anything
            or f"`{command.text.strip()[:40]}` runs `{name or command.text.strip()[:20]}`, which may read any file"
        )
        continue
    return reads


def _cd(command: Command, cwd: str | None) -> str | None:
    if any(context in GUARDED_CONTEXTS for context in command.context) or not command.main_shell:
        return None  # a cd that may or may not run leaves the directory unknown
    operands = [w.value for w in command.args if not (w.value or "").startswith("-")]
    if len(operands) != 1 or operands[0] is None:
        return None
    return _resolve(operands[0], cwd)


def _resolve(path: str, cwd: str | None, home: str | None = None) -> str | None:
    if path.startswith("~/") and home is not None:
        path = posixpath.join(home, path[2:])
    if path.startswith("~") or "$" in path:
        return None
    if path.startswith("/"):
        return posixpath.normpath(path)
    if cwd is None:
        return None
    return posixpath.normpath(posixpath.join(cwd, path))


def _flag_on(value: str | None) -> bool:
    return (value or "").strip().lower() in ("1", "true", "yes", "on")


def _manager_reads(
    invocation: Invocation,
    reads: Reads,
    refreshed: set[str],
    cwd: str | None,
    env: Mapping[str, str],
    home: str | None,
) -> str | None:
    """Add what one package-manager run reads; a reason string when it may read anything."""
    family, sub = invocation.family, invocation.subcommand or ""
    local_env = {**env, **{k: v or "" for k, v in invocation.env}}
    if family == "apt":
        if sub == "update":
            refreshed.add(APT_LISTS)
            reads.paths.append("/etc/apt")
        elif sub in _APT_READING or sub in ("remove", "purge", "autoremove"):
            reads.paths += [p for p in _DATA["apt"] if p not in refreshed]
        return None
    if family in _DATA:
        if sub in ("update", "makecache", "refresh", "ref"):
            return None
        reads.paths += list(_DATA[family])
        return None
    if invocation.manager in ("npm", "pnpm"):
        offline = invocation.has("--offline") or _flag_on(local_env.get("npm_config_offline"))
        cache = invocation.value("--cache") or local_env.get("npm_config_cache")
        if offline:
            where = _resolve(cache, cwd) if cache else _home_path(home, ".npm")
            if where is None:
                return "npm --offline reads a cache whose place dockopt cannot tell"
            reads.paths.append(where)
        reads.paths += [p for p in (_home_path(home, ".npmrc"), "/usr/local/etc/npmrc") if p]
        return None
    if invocation.manager == "yarn":
        offline = invocation.has("--offline", "--prefer-offline") or _flag_on(local_env.get("YARN_OFFLINE"))
        if offline:
            cache = invocation.value("--cache-folder") or local_env.get("YARN_CACHE_FOLDER")
            where = _resolve(cache, cwd) if cache else "/usr/local/share/.cache/yarn"
            if where is None:
                return "yarn --offline reads a cache whose place dockopt cannot tell"
            reads.paths.append(where)
            reads.paths += [p for p in (_home_path(home, ".cache/yarn"),) if p]
        reads.paths += [p for p in (_home_path(home, ".yarnrc"), _home_path(home, ".npmrc")) if p]
        return None
    if family == "pip":
        links = [*invocation.values("-f", "--find-links")]
        if local_env.get("PIP_FIND_LINKS"):
            links.append(local_env["PIP_FIND_LINKS"])
        for link in links:
            if link is not None and "://" in link and not link.startswith("file://"):
                continue
            resolved = _resolve(link.removeprefix("file://"), cwd, home) if link is not None else None
            # A place computed at run time (or not resolvable here) may be any directory, caches
            # included: read as data, since pip installs from what it finds there.
            reads.paths.append(resolved or "/")
        for name in ("PIP_CONFIG_FILE", "PIP_CONSTRAINT", "PIP_REQUIREMENT"):
            if local_env.get(name):
                resolved = _resolve(local_env[name], cwd)
                if resolved is None:
                    return f"{name} names a path dockopt cannot resolve"
                reads.paths.append(resolved)
        return None
    if family in ("node", "ruby", "php", "conda", "go", "java", "rust", "dotnet"):
        return None  # caches only: an install without them downloads the same packages again
    return f"`{invocation.command.text.strip()[:40]}` may read any file"


def _home_path(home: str | None, rest: str) -> str | None:
    return posixpath.join(home, rest) if home else None


# Settings files package managers read, named by environment variables or at fixed places. A COPY
# that writes one of them changes what the install does, so it can neither move below the install
# (DO402) nor stay behind the dependency install when only the manifests are copied first (DO401).
_CONFIG_ENV = {
    "pip": ("PIP_CONFIG_FILE", "PIP_CONSTRAINT", "PIP_REQUIREMENT", "PIP_FIND_LINKS", "PIP_BUILD_CONSTRAINT",
            "UV_CONFIG_FILE", "UV_CONSTRAINT", "UV_OVERRIDE", "UV_FIND_LINKS"),
    "node": ("NPM_CONFIG_USERCONFIG", "npm_config_userconfig", "NPM_CONFIG_GLOBALCONFIG",
             "npm_config_globalconfig", "YARN_RC_FILENAME", "npm_config_cache", "YARN_CACHE_FOLDER"),
}  # fmt: skip
_CONFIG_FIXED = {
    "pip": ("/etc/pip.conf", "/etc/xdg/pip/pip.conf", "~/.config/pip/pip.conf", "~/.pip/pip.conf",
            "/etc/uv/uv.toml", "~/.config/uv/uv.toml"),
    "node": ("~/.npmrc", "/usr/local/etc/npmrc", "~/.yarnrc", "~/.yarnrc.yml"),
    "apt": ("/etc/apt",),
    "apk": ("/etc/apk",),
    "rpm": ("/etc/yum.repos.d", "/etc/dnf", "/etc/yum.conf"),
    "zypper": ("/etc/zypp",),
}  # fmt: skip
# By tool: pip reads no settings from the working directory; uv discovers uv.toml/pyproject.toml
# there (and above); npm, yarn and pnpm read the project's .npmrc/.yarnrc, yarn also .yarnclean.
_CONFIG_CWD = {
    "uv": ("uv.toml", "pyproject.toml"),
    "npm": (".npmrc",),
    "pnpm": (".npmrc",),
    "yarn": (".npmrc", ".yarnrc", ".yarnrc.yml", ".yarnclean"),
}


def config_reads(
    script: Script, *, workdir: str | None, env: Mapping[str, str], home: str | None
) -> list[tuple[str, str]]:
    """(tool, path) for every settings file a package manager in ``script`` reads: named by ENV (or
    by ``NAME=… tool`` in front of it), at its fixed places, or in the working directory."""
    found: list[tuple[str, str]] = []
    for command in script.commands:
        invocation = recognise(command)
        if invocation is None:
            continue
        family = "node" if invocation.family == "node" else invocation.family
        local_env = {**env, **{k: v or "" for k, v in invocation.env}}
        tool = invocation.manager
        for name in _CONFIG_ENV.get(family, ()):
            value = local_env.get(name)
            if value:
                for part in value.split():
                    resolved = _resolve(part.removeprefix("file://"), workdir)
                    if resolved is not None:
                        found.append((tool, resolved))
        for fixed in _CONFIG_FIXED.get(family, ()):
            if fixed.startswith("~"):
                if home is None:
                    continue
                fixed = posixpath.join(home, fixed[2:])
            found.append((tool, fixed))
        if workdir is not None:
            found += [(tool, posixpath.join(workdir, name)) for name in _CONFIG_CWD.get(tool, ())]
    return found


# Keys of settings files that name a place the tool reads packages or its cache from.
_PLACE_KEYS = re.compile(
    r"""^\s*["']?(cache|cache-folder|cacheFolder|offline|yarn-offline-mirror|offline-mirror|find-links|
    find_links|index-url|extra-index-url|no-index|globalFolder|npmRegistryServer|registry|prefix|
    store-dir|constraint|requirement|config)["']?\s*[=:\s]\s*(.*)$""",
    re.IGNORECASE | re.MULTILINE | re.VERBOSE,
)


def settings_places(text: str) -> list[tuple[str, str]]:
    """(key, value) of the settings in an .npmrc / .yarnrc(.yml) / pip.conf / uv.toml text that make
    the tool read from a place (a cache, an offline mirror, find-links, a local index) or switch it
    to offline: the install then depends on more than the manifests."""
    found = []
    for match in _PLACE_KEYS.finditer(text):
        value = match.group(2).strip().strip(",").strip("[]").strip().strip("\"'")
        if value:
            found.append((match.group(1), value))
    return found
