"""Which shell commands provably leave a copied source tree alone (shared by DO401 and DO402).

Moving ``COPY . /app`` below a command, or running a command before the source arrives, is only
right when the command neither reads nor writes anything under ``/app``. A command is judged
*independent* here only when we know what it touches: an OS package manager installing packages by
name, a ``pip``/``npm -g`` install of named packages, or a file utility (``rm``, ``mkdir``, ``ln``,
``chmod``, …) whose every path is absolute (or resolvable from a known working directory) and lies
outside the protected directories. Everything else — a build tool, a script, ``curl | sh``, a path
we cannot resolve — is assumed to read the source. Being wrong in that direction costs a missed
optimisation; being wrong in the other would change the image.
"""

from __future__ import annotations

import posixpath
import re
from dataclasses import replace

from ...shell import Command, Word, recognise, unwrap
from ._packages import judge_manager
from ._paths import BASE, Judgement, Where, overlaps, path_problem

_PYTHON = re.compile(r"^(python|pypy)(\d+(\.\d+)?)?$")

# Read-only or system-only commands that take no project paths (their arguments are names, not files).
_HARMLESS = frozenset(
    [
        "echo",
        "printf",
        "true",
        "false",
        ":",
        "set",
        "export",
        "unset",
        "sleep",
        "uname",
        "nproc",
        "id",
        "whoami",
        "arch",
        "lsb_release",
        "update-ca-certificates",
        "ldconfig",
        "locale-gen",
        "dpkg-reconfigure",
        "which",
        "hash",
        "cd",
        "pushd",
        "popd",
        "exit",
    ]
)
# File utilities: every operand is a path (after options; ``skip`` leading operands are not paths).
_FILE_TOOLS = {
    "rm": 0,
    "mkdir": 0,
    "touch": 0,
    "ln": 0,
    "cat": 0,
    "tee": 0,
    "chmod": 1,
    "chown": 1,
    "chgrp": 1,
    "cp": 0,
    "mv": 0,
    ".": 0,
    "source": 0,
}
_CREATORS = frozenset({"mkdir", "touch", "rm", "tee", "venv"})  # create or delete, read nothing there
_FILE_TOOL_VALUES = {"mkdir": {"-m", "--mode"}, "cp": {"-t", "--target-directory"}, "mv": {"-t"}}
_USER_TOOLS = frozenset({"useradd", "adduser", "groupadd", "addgroup", "usermod", "groupmod"})
_HOME_OPTIONS = frozenset({"-d", "--home-dir", "--home", "-b", "--base-dir", "-k", "--skel", "-h"})
_USER_VALUES = frozenset(
    [
        "-d",
        "--home-dir",
        "--home",
        "-b",
        "--base-dir",
        "-k",
        "--skel",
        "-g",
        "--gid",
        "-G",
        "--groups",
        "-s",
        "--shell",
        "-u",
        "--uid",
        "-c",
        "--comment",
        "-e",
        "--expiredate",
        "-f",
        "--inactive",
        "-K",
        "--key",
        "-p",
        "--password",
        "-R",
        "--root",
        "-P",
        "--prefix",
        "-Z",
        "--selinux-user",
        "--ingroup",
        "-h",
        "-S",
        "-D",
        "-H",
    ]
) - {"-S", "-D", "-H"}


def _redirect_problem(command: Command, where: Where) -> str | None:
    for redirect in command.redirects:
        operator = redirect.operator
        if operator.startswith("<<") or redirect.target is None:
            continue  # heredoc or here-string: no file
        target = redirect.target.value
        if (
            operator in (">&", "<&", "&>", ">&-")
            and target is not None
            and (target.isdigit() or target == "-")
        ):
            continue
        problem = path_problem(
            redirect.target, where, "redirects to", creates=operator in (">", ">>", ">|", "&>")
        )
        if problem:
            return problem
    return None


def judge(command: Command, where: Where, *, packages: bool = True) -> Judgement:
    """Is ``command`` independent of the protected tree? ``packages``: also allow pip/npm/gem installs
    of named packages (they write only into the interpreter's environment)."""
    where = replace(where, absent=[])
    judgement = _judge(command, where, packages)
    if judgement.independent:
        judgement.absent = where.absent + judgement.absent
    return judgement


def _judge(command: Command, where: Where, packages: bool) -> Judgement:
    problem = _redirect_problem(command, where)
    if problem:
        return Judgement(problem)
    if not command.words:
        return Judgement(None)  # a bare assignment
    first = command.words[0].value or ""
    if posixpath.basename(first) == "corepack" and len(command.words) > 1:
        action = command.words[1].value
        if action in ("enable", "disable") or (action == "prepare" and len(command.words) > 2):
            return Judgement(None)  # installs package-manager shims; reads no project file
    start, _, _ = unwrap(command)
    words = command.words[start:]
    if not words:
        return Judgement(None)
    name = words[0].value
    if name is None:
        return Judgement(f"runs a computed command {words[0].text}")
    base = posixpath.basename(name)
    invocation = recognise(command)
    if invocation is not None:
        return judge_manager(invocation, where, packages)
    if base in _HARMLESS:
        return Judgement(None)
    if base in _FILE_TOOLS:
        return Judgement(_file_tool(base, words[1:], where))
    if base in _USER_TOOLS:
        return Judgement(_user_tool(base, words[1:], where))
    if base == "dpkg" and all(
        w.value in ("--print-architecture", "--add-architecture")
        or (w.value and not w.value.startswith("-") and "/" not in w.value)
        for w in words[1:]
    ):
        return Judgement(None)
    if packages and _PYTHON.match(base) and [w.value for w in words[1:3]] == ["-m", "venv"]:
        return Judgement(
            _file_tool("venv", [w for w in words[3:] if not (w.value or "").startswith("-")], where)
        )
    if base in ("curl", "wget"):
        return Judgement(_download(base, words[1:], where))
    return Judgement(f"runs {base}, which may read the copied files")


def _operands(words: list[Word], values: set[str]) -> list[Word]:
    out: list[Word] = []
    skip = False
    only = False
    for word in words:
        if skip:
            skip = False
            continue
        text = word.value
        if not only and text == "--":
            only = True
        elif not only and text is not None and text.startswith("-") and text != "-":
            skip = text in values
        else:
            out.append(word)
    return out


def _file_tool(tool: str, args: list[Word], where: Where) -> str | None:
    if any((w.value or "").startswith("--reference") for w in args):
        return f"{tool} --reference reads another file"
    operands = _operands(args, _FILE_TOOL_VALUES.get(tool, set()))[_FILE_TOOLS.get(tool, 0) :]
    for word in operands:
        problem = path_problem(word, where, tool, creates=tool in _CREATORS)
        if problem:
            return problem
    return None


def _user_tool(tool: str, args: list[Word], where: Where) -> str | None:
    values = {w.value for w in args}
    for index, word in enumerate(args[:-1]):
        if word.value in _HOME_OPTIONS:
            problem = path_problem(args[index + 1], where, f"{tool} home")
            if problem:
                return problem
    creates_home = bool(values & {"-m", "--create-home"}) or (
        tool == "adduser" and not values & {"--no-create-home", "-H", "--system", "-S"}
    )
    explicit_home = bool(values & _HOME_OPTIONS)
    if (
        creates_home
        and not explicit_home
        and any(d == "/home" or d.startswith("/home/") for d in where.protected)
    ):
        return f"{tool} creates a home directory under /home"
    return None


_CURL_OUTPUTS = frozenset({"-o", "--output", "--output-dir", "-K", "--config", "-T", "--upload-file"})
_WGET_OUTPUTS = frozenset({"-O", "--output-document", "-P", "--directory-prefix", "-i", "--input-file"})


def _download(tool: str, args: list[Word], where: Where) -> str | None:
    """curl writes to stdout unless told otherwise; wget writes into the working directory."""
    paths: list[Word] = []
    writes_cwd = tool == "wget"
    valued = _CURL_OUTPUTS if tool == "curl" else _WGET_OUTPUTS
    for index, word in enumerate(args):
        text = word.value or ""
        if tool == "curl" and text[:1] == "-" and text[1:2] != "-" and len(text) > 2:
            writes_cwd = writes_cwd or "O" in text[1:]
            text = "-" + text[-1]  # `-fsSLo FILE`: the last letter takes the value
        if text in valued and index + 1 < len(args):
            paths.append(args[index + 1])
            if tool == "wget" and text in ("-O", "--output-document", "-P", "--directory-prefix"):
                writes_cwd = False
        elif tool == "curl" and text in ("-O", "--remote-name", "--remote-name-all", "-J", "-OJ"):
            writes_cwd = True
        elif "@" in text and text.lstrip("-").split("=", 1)[-1].startswith("@"):
            return f"{tool} reads a local file {word.text}"
    for word in paths:
        problem = path_problem(word, where, tool)
        if problem:
            return problem
    if writes_cwd and (where.cwd is None or overlaps(where.cwd, where.protected)):
        return f"{tool} writes into the working directory"
    return None


# Top-level directories packages install into (the FHS trees), and /root and /tmp they may use.
_PACKAGE_TREES = frozenset(
    [
        "bin",
        "boot",
        "dev",
        "etc",
        "lib",
        "lib32",
        "lib64",
        "libx32",
        "proc",
        "root",
        "run",
        "sbin",
        "sys",
        "tmp",
        "usr",
        "var",
    ]
)


def protected_dest_reason(destination: str) -> str | None:
    """Why an OS package manager might write into ``destination``; None for an application directory.

    Packages install below the FHS trees; a project copied into ``/usr/local/bin`` or ``/etc``
    could meet files a package ships, so moving the copy across a package install is then unsafe.
    """
    if destination.startswith(BASE):
        return "the base image's WORKDIR is not known (it may be /)"
    if destination == "/":
        return "the copy goes to /"
    top = destination.split("/")[1]
    if destination in ("/opt", "/srv", "/home", "/usr/src", "/usr/local/src", "/usr/local"):
        return f"{destination} is shared with packages"
    if destination.startswith(("/usr/src/", "/usr/local/src/")):
        return None
    if top in _PACKAGE_TREES:
        return f"{destination} is a directory packages may write to"
    return None
