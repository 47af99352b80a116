"""Package-manager commands that provably leave a copied source tree alone (DO401, DO402).

An OS package manager installing packages *by name* reads its own configuration and the network,
and writes below the FHS trees; ``pip``/``npm -g``/``gem`` installs of named packages write into
the interpreter's environment. Neither reads a project file — unless a package *file* is named
(``./tool.deb``), a list comes from a file (``$(cat packages.txt)``), the copy lands where the
package manager keeps its state (a ``COPY . /``), or PATH/VIRTUAL_ENV point into the copied tree.
"""

from __future__ import annotations

import re

from ...analysis.gomatch import clean
from ...shell import Invocation, Word
from ._paths import Judgement, Where, overlaps, path_problem

OS_FAMILIES = frozenset({"apt", "apk", "rpm", "zypper"})
_OS_SUBCOMMANDS = frozenset(
    [
        "update",
        "upgrade",
        "dist-upgrade",
        "full-upgrade",
        "install",
        "add",
        "del",
        "remove",
        "purge",
        "autoremove",
        "clean",
        "autoclean",
        "makecache",
        "refresh",
        "groupinstall",
        "erase",
    ]
) | {"cache clean", "cache purge", "group install", "module enable"}
# Options of OS package managers whose value is a path.
_OS_PATH_OPTIONS = frozenset(
    [
        "-c",
        "--config-file",
        "--root",
        "-p",
        "--repositories-file",
        "--keys-dir",
        "--cache-dir",
        "--installroot",
        "--config",
        "--downloaddir",
        "--destdir",
        "-R",
        "-C",
        "--pkg-cache-dir",
    ]
)
# Where package managers keep configuration and state: a copy into (or over) these could change them.
_PACKAGE_STATE = ("/etc", "/var/lib", "/var/cache", "/lib/apk", "/usr/lib", "/usr/share", "/usr/local/etc")
_PACKAGE_FILE = re.compile(r"\.(deb|rpm|apk|whl|gem|tgz|tar|tar\.gz|zip)$", re.IGNORECASE)
_NAME = re.compile(r"^@?[A-Za-z0-9_.+~^<>=!*:,\[\]-]+(/[A-Za-z0-9_.-]+)?(@[^/\s]+)?$")
_VARIABLE = re.compile(r"^\$\{?([A-Za-z_][A-Za-z0-9_]*)\}?$")


def judge_manager(invocation: Invocation, where: Where, packages: bool) -> Judgement:
    family, manager, sub = invocation.family, invocation.manager, invocation.subcommand
    shown = " ".join(w.text for w in invocation.program + invocation.subcommand_words)
    if family in OS_FAMILIES:
        return Judgement(_os_packages(invocation, where, shown))
    if sub is None:
        return Judgement(None)  # `pip --version`, `npm -v`
    if not packages:
        return Judgement(f"{shown} is not an OS package manager")
    redirected = _environment_into(where)
    if redirected:
        return Judgement(f"{shown}: {redirected}")
    if manager in ("pip", "uv") and sub in ("install", "pip install", "uninstall", "pip uninstall"):
        return Judgement(_named_python_packages(invocation, where, shown))
    if manager == "pip" and sub.split()[0] in ("cache", "config", "list", "freeze", "show", "check"):
        return Judgement(None)
    if manager == "uv" and sub == "venv":
        return Judgement(_venv(invocation.args, where) if invocation.args else "uv venv in the project")
    if manager in ("npm", "pnpm") and sub in ("install", "add") and invocation.has("-g", "--global"):
        return Judgement(_names(invocation, shown))
    if manager == "npm" and (sub.split()[0] == "cache" or sub in ("config set", "set")):
        location = invocation.value("--location")
        return Judgement(f"{shown} writes the project's .npmrc" if location == "project" else None)
    if (manager, sub) in (("yarn", "cache clean"), ("pnpm", "store prune"), ("composer", "self-update")):
        return Judgement(None)
    if manager == "go" and sub in ("version", "env"):
        return Judgement(None)
    if manager == "go" and sub == "install":
        tools = invocation.packages
        fine = tools and all(t and "@" in t and not t.startswith((".", "/")) for t in tools)
        return Judgement(None if fine else f"{shown} builds packages of the working directory")
    if manager in ("gem", "yarn") and sub in ("install", "global add"):
        problem = _names(invocation, shown) or (
            None if where.cwd else f"{shown}: working directory not known"
        )
        # RubyGems installs a matching *.gem from the working directory before asking a server;
        # yarn reads .yarnrc/.npmrc from the working directory even for global installs.
        found = ["*.gem"] if manager == "gem" else [".yarnrc", ".npmrc"]
        return Judgement(problem, absent=[] if problem else [f"{where.cwd}/{name}" for name in found])
    if manager == "bundler" and sub.startswith("config"):
        return Judgement("bundle config --local writes .bundle/config" if invocation.has("--local") else None)
    return Judgement(f"{shown} may read the copied files")


ENV_PATHS = frozenset(
    {
        "PATH",
        "VIRTUAL_ENV",
        "GEM_HOME",
        "BUNDLE_PATH",
        "NPM_CONFIG_PREFIX",
        "npm_config_prefix",
        "PIP_TARGET",
        "PIP_PREFIX",
        "PYTHONUSERBASE",
        "CONDA_PREFIX",
        "PNPM_HOME",
        "GOPATH",
        "POETRY_VIRTUALENVS_PATH",
        "UV_PROJECT_ENVIRONMENT",
    }
)


def _environment_into(where: Where) -> str | None:
    """A language package manager installs where PATH/VIRTUAL_ENV/… say: not into the copied tree."""
    for path in where.env_paths:
        if overlaps(path, where.protected):
            return f"the environment points into the copied directory ({path})"
    return None


def _names(invocation: Invocation, shown: str) -> str | None:
    for word in invocation.args:
        value = word.value
        if value is not None and "://" in value:
            continue  # a URL: downloaded, nothing local read
        if value is None or not _NAME.match(value) or _PACKAGE_FILE.search(value):
            return f"{shown} {word.text}: not a plain package name"
    return None


def _os_packages(invocation: Invocation, where: Where, shown: str) -> str | None:
    if any(overlaps(directory, _PACKAGE_STATE) for directory in where.protected):
        return f"{shown} reads its own configuration and state, which the copy could replace"
    sub = invocation.subcommand
    if sub is not None and sub not in _OS_SUBCOMMANDS:
        return f"{shown} is not an install, update or clean-up"
    for option in invocation.options:
        if option.name in _OS_PATH_OPTIONS and len(option.words) > 0:
            value_word = option.words[-1]
            if (
                option.value is None
                or not option.value.startswith("/")
                or overlaps(clean(option.value), where.protected)
            ):
                return f"{shown} {option.name} {value_word.text}: a path option"
    for word in invocation.args:
        value = word.value
        if value is None:
            value = _expand_variable(word, where)
            if value is None:
                return f"{shown} {word.text}: package list not known"
            if any("/" in part or _PACKAGE_FILE.search(part) for part in value.split()):
                return f"{shown} {word.text} names package files"
            continue
        if ("/" in value or _PACKAGE_FILE.search(value)) and not (
            invocation.family == "rpm" and value[:1] == "@"
        ):
            return f"{shown} {word.text} installs a package file"
    return None


def _expand_variable(word: Word, where: Where) -> str | None:
    """``$PKGS`` from ENV/ARG defaults, when the Dockerfile says what it holds."""
    match = _VARIABLE.match(word.text.strip('"'))
    if match is None or where.scope is None:
        return None
    value = where.scope.lookup(match.group(1))
    return value.text if value is not None else ""


def _named_python_packages(invocation: Invocation, where: Where, shown: str) -> str | None:
    if invocation.has("-r", "--requirement", "-c", "--constraint", "-e", "--editable"):
        return f"{shown} reads requirement files"
    for name in ("-f", "--find-links", "-t", "--target", "--prefix", "--root", "--src"):
        for value in invocation.values(name):
            if value is None or (
                "://" not in value and (not value.startswith("/") or overlaps(clean(value), where.protected))
            ):
                return f"{shown} {name} {value or '…'} is a local path"
    program = invocation.program[0].value or ""
    if program.startswith("/") and overlaps(clean(program), where.protected):
        return f"{program} lives in the copied tree"
    if program.startswith(".") or (program and "/" in program and not program.startswith("/")):
        return f"{program} is a relative program path"
    return _names(invocation, shown)


def _venv(args: list[Word], where: Where) -> str | None:
    for word in args:
        problem = path_problem(word, where, "venv", creates=True)
        if problem:
            return problem
    return None
