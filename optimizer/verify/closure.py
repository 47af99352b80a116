"""The runtime closure of an image: what its command needs to run, found in the image itself.

When a rewrite changes the final stage on purpose (a builder stage plus a slimmer runtime twin), the
files cannot be equal; what must stay is what the program uses. That is: the programs
ENTRYPOINT/CMD/HEALTHCHECK run (resolved through PATH and WORKDIR, symlinks followed), a script's
interpreter, every file an argument names (``java -jar /app/app.jar``, ``python app.py``), the ELF
closure of each (the program interpreter and the DT_NEEDED libraries, resolved through RUNPATH,
LD_LIBRARY_PATH and the usual library directories), the files under WORKDIR, the CA bundle and the
zone database when the original has them, and the passwd/group entries of USER.

Everything here is pure: the file listing comes from a ``Snapshot`` and contents from an
``ImageFiles`` reader (``probe.py`` reads them from a container; tests use a dict).
"""

from __future__ import annotations

import posixpath
import shlex
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Protocol

from .elf import parse_elf
from .snapshot import Entry, ImageConfig

DEFAULT_PATH = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"
LIBRARY_DIRS = (
    "/lib/x86_64-linux-gnu",
    "/usr/lib/x86_64-linux-gnu",
    "/lib/aarch64-linux-gnu",
    "/usr/lib/aarch64-linux-gnu",
    "/lib64",
    "/usr/lib64",
    "/lib",
    "/usr/lib",
    "/usr/local/lib",
)
CA_BUNDLE = "/etc/ssl/certs/ca-certificates.crt"
ZONEINFO = "/usr/share/zoneinfo"
SHELLS_WORDS = frozenset({"exec", "env", "nohup", "command"})


class ImageFiles(Protocol):
    """Reads file contents from one image (None when the path is not a readable regular file)."""

    def read(self, path: str) -> bytes | None: ...

    def tree(self, directory: str) -> dict[str, bytes]: ...


@dataclass
class DictFiles:
    """An ``ImageFiles`` over a dict (tests, and files already read)."""

    files: Mapping[str, bytes]

    def read(self, path: str) -> bytes | None:
        return self.files.get(path)

    def tree(self, directory: str) -> dict[str, bytes]:
        prefix = directory.rstrip("/") + "/"
        return {p: b for p, b in self.files.items() if p.startswith(prefix)}


def resolve(files: Mapping[str, Entry], path: str, *, limit: int = 40) -> str | None:
    """The path ``path`` names once every symlink in it is followed (None: missing or a loop)."""
    parts = [p for p in path.split("/") if p]
    current = "/"
    hops = 0
    while parts:
        name = parts.pop(0)
        if name == ".":
            continue
        if name == "..":
            current = posixpath.dirname(current)
            continue
        candidate = posixpath.join(current, name)
        entry = files.get(candidate)
        if entry is None:
            return None
        if entry.kind == "symlink" and entry.link_target is not None:
            hops += 1
            if hops > limit:
                return None
            target = entry.link_target
            parts = [p for p in target.split("/") if p] + parts
            current = "/" if target.startswith("/") else current
            continue
        current = candidate
    return current


def is_regular(files: Mapping[str, Entry], path: str | None) -> bool:
    return path is not None and path in files and files[path].kind in ("file", "hardlink")


@dataclass
class ClosureItem:
    path: str  # the path as the program reaches it
    resolved: str | None  # after symlinks, in the original image
    why: str  # "entrypoint", "interpreter of /x", "libfoo.so.1 of /x", "workdir", ...


@dataclass
class Closure:
    items: list[ClosureItem] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)  # what could not be resolved in the original

    def add(self, path: str, resolved: str | None, why: str) -> bool:
        if any(i.path == path for i in self.items):
            return False
        self.items.append(ClosureItem(path, resolved, why))
        return True


def command_words(config: ImageConfig) -> list[list[str]]:
    """The argv lists the image runs: ENTRYPOINT+CMD, and the HEALTHCHECK test."""
    commands = []
    argv = [*(config.entrypoint or ()), *(config.cmd or ())]
    if argv:
        commands.append(argv)
    test = (config.healthcheck or {}).get("Test") or []
    if test and test[0] == "CMD":
        commands.append(list(test[1:]))
    elif test and test[0] == "CMD-SHELL":
        commands.append(["/bin/sh", "-c", *test[1:]])
    return commands


def _shell_words(script: str) -> list[str]:
    """The words of the first simple command of each part of a ``sh -c`` script (best effort)."""
    words: list[str] = []
    try:
        tokens = shlex.split(script, posix=True)
    except ValueError:
        return words
    start = True
    for token in tokens:
        if token in ("&&", "||", ";", "|"):
            start = True
            continue
        if start and ("=" in token and not token.startswith(("/", "."))):
            continue  # VAR=value prefix
        if start and token in SHELLS_WORDS:
            continue
        words.append(token)
        start = False
    return words


def runtime_closure(
    files: Mapping[str, Entry], config: ImageConfig, reader: ImageFiles, *, include_workdir: bool = True
) -> Closure:
    """Everything the original image's commands need (see the module docstring)."""
    closure = Closure()
    env = config.env_map
    search = [d for d in (env.get("PATH") or DEFAULT_PATH).split(":") if d]
    workdir = posixpath.normpath(config.working_dir) if config.working_dir else "/"
    library_path = [d for d in env.get("LD_LIBRARY_PATH", "").split(":") if d]
    todo: list[tuple[str, str]] = []  # (absolute path, why) of executables to follow

    def program(word: str, why: str) -> None:
        if "/" in word:
            path = word if word.startswith("/") else posixpath.normpath(posixpath.join(workdir, word))
            target = resolve(files, path)
            if is_regular(files, target):
                closure.add(path, target, why)
                todo.append((path, why))
            else:
                closure.problems.append(f"{why}: {word} is not a file in the original image")
            return
        for directory in search:
            path = posixpath.join(directory, word)
            target = resolve(files, path)
            if is_regular(files, target):
                closure.add(path, target, why)
                todo.append((path, why))
                return
        closure.problems.append(f"{why}: {word} not found on PATH in the original image")

    def argument(word: str, why: str) -> None:
        """An argument naming a file that exists (a script, a jar, a config file) is needed too."""
        if not word or word.startswith("-") or "\n" in word:
            word = word.split("=", 1)[1] if word.startswith("--") and "=" in word else ""
            if not word:
                return
        path = word if word.startswith("/") else posixpath.normpath(posixpath.join(workdir, word))
        target = resolve(files, path)
        if is_regular(files, target) and closure.add(path, target, why):
            todo.append((path, why))

    for index, argv in enumerate(command_words(config)):
        why = "command" if index == 0 else "healthcheck"
        program(argv[0], why)
        rest = argv[1:]
        if posixpath.basename(argv[0]) in ("sh", "bash", "dash") and len(rest) >= 2 and rest[0] == "-c":
            words = _shell_words(rest[1])
            if words:
                program(words[0], f"{why} (shell)")
                for word in words[1:]:
                    argument(word, f"{why} (shell) argument")
            continue
        for word in rest:
            argument(word, f"{why} argument")

    seen: set[str] = set()
    while todo:
        path, why = todo.pop()
        target = resolve(files, path)
        if target is None or target in seen:
            continue
        seen.add(target)
        data = reader.read(target)
        if data is None:
            continue
        if data.startswith(b"#!"):
            line = data[2:].split(b"\n", 1)[0].decode(errors="replace").split()
            if line:
                interpreter = line[0]
                if posixpath.basename(interpreter) == "env" and len(line) > 1:
                    program(line[1], f"interpreter of {path}")
                else:
                    program(interpreter, f"interpreter of {path}")
            continue
        info = parse_elf(data)
        if info is None:
            continue
        if info.interpreter:
            interp = resolve(files, info.interpreter)
            if closure.add(info.interpreter, interp, f"program interpreter of {path}"):
                todo.append((info.interpreter, f"program interpreter of {path}"))
        origin = posixpath.dirname(target)  # $ORIGIN is where the file really is (symlinks followed)
        dirs = [p.replace("$ORIGIN", origin).replace("${ORIGIN}", origin) for p in info.runpath]
        for soname in info.needed:
            found = None
            for directory in [*dirs, *library_path, *LIBRARY_DIRS]:
                candidate = posixpath.join(directory, soname)
                if is_regular(files, resolve(files, candidate)):
                    found = candidate
                    break
            if found is None:
                closure.problems.append(f"{soname} (needed by {path}) not found in the original image")
                continue
            if closure.add(found, resolve(files, found), f"{soname} of {path}"):
                todo.append((found, f"{soname} of {path}"))

    if include_workdir and workdir != "/":
        prefix = workdir + "/"
        for path in sorted(files):
            if path.startswith(prefix) and files[path].kind in ("file", "hardlink", "symlink"):
                closure.add(
                    path, resolve(files, path) if files[path].kind == "symlink" else path, "WORKDIR file"
                )
    if is_regular(files, resolve(files, CA_BUNDLE)):
        closure.add(CA_BUNDLE, resolve(files, CA_BUNDLE), "CA bundle")
    if ZONEINFO in files:
        for path in sorted(files):
            if path.startswith(ZONEINFO + "/") and files[path].kind in ("file", "hardlink"):
                closure.add(path, path, "zoneinfo")
    return closure


def user_entries(user: str, passwd: bytes | None, group: bytes | None) -> tuple[list[str], list[str]]:
    """The /etc/passwd line of USER (root when unset) and the /etc/group line of its group."""
    name, _, group_name = (user or "root").partition(":")
    passwd_lines = (passwd or b"").decode(errors="replace").splitlines()
    group_lines = (group or b"").decode(errors="replace").splitlines()
    wanted_p = [line for line in passwd_lines if line.split(":")[0] == name or _field(line, 2) == name][:1]
    gid = _field(wanted_p[0], 3) if wanted_p else ""
    wanted_g = [
        line
        for line in group_lines
        if (group_name and (line.split(":")[0] == group_name or _field(line, 2) == group_name))
        or (not group_name and gid and _field(line, 2) == gid)
    ][:1]
    return wanted_p, wanted_g


def _field(line: str, index: int) -> str:
    parts = line.split(":")
    return parts[index] if len(parts) > index else ""


def lines_of(data: bytes | None) -> set[str]:
    return set((data or b"").decode(errors="replace").splitlines())


def present(paths: Iterable[str], files: Mapping[str, Entry]) -> set[str]:
    return {p for p in paths if p in files}
