"""Package-manager invocations, recognised once for every rule.

Cleanup, cache-mount, COPY-reorder and multi-stage rules all need the same facts — "this is
``apt-get install`` with ``-y`` and these packages, written here" — so the reading of command lines
lives here, with the per-manager tables in ``specs``. A command is seen through the wrappers people
put in front of it (``sudo``, ``env X=1``, ``command``, ``nice``, ``DEBIAN_FRONTEND=… apt-get``) and
through the ways a tool is named (``pip3.12``, ``/opt/venv/bin/pip``, ``python3 -m pip``,
``./mvnw``, ``"$VENV"/bin/pip``).
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field

from .model import Command, Script, Word
from .specs import SPECS, Spec

FAMILIES = {
    "apt-get": "apt", "apt": "apt", "apk": "apk", "yum": "rpm", "dnf": "rpm", "microdnf": "rpm",
    "zypper": "zypper", "pip": "pip", "uv": "pip", "npm": "node", "yarn": "node", "pnpm": "node",
    "gem": "ruby", "bundler": "ruby", "composer": "php", "conda": "conda", "mamba": "conda",
    "micromamba": "conda", "go": "go", "mvn": "maven", "gradle": "gradle", "cargo": "rust",
    "dotnet": "dotnet",
}  # fmt: skip
_NAMES = {
    "apt-get": "apt-get", "apt": "apt", "apk": "apk", "yum": "yum", "dnf": "dnf", "dnf5": "dnf",
    "microdnf": "microdnf", "zypper": "zypper", "uv": "uv", "npm": "npm", "yarn": "yarn", "yarnpkg": "yarn",
    "pnpm": "pnpm", "gem": "gem", "bundle": "bundler", "bundler": "bundler", "composer": "composer",
    "composer.phar": "composer", "conda": "conda", "mamba": "mamba", "micromamba": "micromamba",
    "go": "go", "mvn": "mvn", "mvnw": "mvn", "mvnd": "mvn", "gradle": "gradle", "gradlew": "gradle",
    "cargo": "cargo", "dotnet": "dotnet",
}  # fmt: skip
_PIP_RE = re.compile(r"^pip(\d+(\.\d+)?)?$")
_PYTHON_RE = re.compile(r"^(python|pypy)(\d+(\.\d+)?)?$")
# Wrappers that run their operand as a command: name -> options that take a value.
_WRAPPERS = {
    "sudo": frozenset(
        [
            "-u",
            "-g",
            "-C",
            "-D",
            "-h",
            "-p",
            "-r",
            "-t",
            "-U",
            "-T",
            "--user",
            "--group",
            "--chdir",
            "--host",
            "--prompt",
        ]
    ),
    "env": frozenset(["-u", "--unset", "-C", "--chdir", "-S", "--split-string"]),
    "command": frozenset(),
    "builtin": frozenset(),
    "exec": frozenset(["-a"]),
    "nice": frozenset(["-n", "--adjustment"]),
    "ionice": frozenset(["-c", "-n", "-p", "--class", "--classdata"]),
    "nohup": frozenset(),
    "time": frozenset(["-f", "-o", "--format", "--output"]),
    "eatmydata": frozenset(),
    "timeout": frozenset(["-s", "-k", "--signal", "--kill-after"]),
    "gosu": frozenset(),
    "su-exec": frozenset(),
    "chronic": frozenset(),
    "corepack": frozenset(),
}
_WRAPPER_OPERANDS = {"timeout": 1, "gosu": 1, "su-exec": 1}  # positionals before the command
_INFO_OPTIONS = frozenset({"--version", "-v", "-V", "--help", "-h"})
_DYNAMIC_OPTION_RE = re.compile(r"^(-{1,2}[A-Za-z0-9][A-Za-z0-9_.-]*)=")
_ENV_WORD_RE = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*=")


@dataclass(frozen=True)
class Option:
    """An option as written: ``-y``, ``--no-cache``, ``-o Key=V`` (two words), ``--virtual=.deps``."""

    name: str  # "-y", "--virtual", "-D" for -Dkey=v; a short cluster "-qy" gives "-q" and "-y"
    value: str | None  # static value, or None (no value, or a dynamic one: see ``words``)
    words: tuple[Word, ...]  # the word(s) it was written with (one for a cluster's every option)


@dataclass(eq=False)
class Invocation:
    """One package-manager run, e.g. ``DEBIAN_FRONTEND=noninteractive apt-get install -y curl``.

    ``subcommand`` is canonical (``npm i`` -> "install", ``zypper in`` -> "install", ``yarn`` alone ->
    "install", ``yarn build`` -> "run" with "build" as first arg); two-level ones are joined with a
    space ("cache clean", "mod download", "pip install" for uv). For mvn/gradle it is the first
    goal or task and ``args`` the rest.
    """

    manager: str
    command: Command
    program: list[Word]  # the words naming the tool: [python3, -m, pip] or [apt-get]
    subcommand: str | None
    subcommand_words: list[Word]
    options: list[Option]  # in order, before and after the subcommand
    args: list[Word]  # positionals after the subcommand: packages, files, goals
    env: list[tuple[str, str | None]] = field(default_factory=list)  # FOO=1 / env FOO=1 in front
    wrappers: list[Word] = field(default_factory=list)  # sudo, env, nice, … as written

    @property
    def family(self) -> str:
        return FAMILIES[self.manager]

    @property
    def flags(self) -> frozenset[str]:
        """Option names present, short clusters split (``-qy`` -> ``-q``, ``-y``)."""
        return frozenset(option.name for option in self.options)

    def has(self, *names: str) -> bool:
        """True when any of ``names`` is present (write every spelling: ``"-y", "--yes"``)."""
        return any(option.name in names for option in self.options)

    def values(self, *names: str) -> list[str | None]:
        return [option.value for option in self.options if option.name in names]

    def value(self, *names: str) -> str | None:
        found = self.values(*names)
        return found[-1] if found else None

    @property
    def packages(self) -> list[str | None]:
        """Static values of the positional args (None where dynamic)."""
        return [word.value for word in self.args]

    @property
    def insert_at(self) -> int:
        """Script offset right after the subcommand (or the program): where a new flag goes.

        In the Dockerfile that is ``script.to_source_end(insert_at)`` (the end of the word, even when
        the next word is on a continuation line)."""
        anchor = self.subcommand_words or self.program
        return anchor[-1].span[1]

    @property
    def end(self) -> int:
        """Script offset where the command ends: where ``&& next`` can be appended."""
        return self.command.span[1]

    @property
    def script(self) -> Script | None:
        return self.command.script


def invocations(script: Script, managers: Iterable[str] | None = None) -> list[Invocation]:
    """Every package-manager invocation in ``script``, in order; ``managers`` filters by name/family."""
    every = script.__dict__.get("_invocations")
    if every is None:  # asked many times per round by the package rules: recognised once per script
        every = script.__dict__["_invocations"] = [
            invocation for command in script.commands if (invocation := recognise(command)) is not None
        ]
    if managers is None:
        return list(every)
    wanted = set(managers)
    return [i for i in every if i.manager in wanted or i.family in wanted]


def unwrap(command: Command) -> tuple[int, list[Word], list[tuple[str, str | None]]]:
    """Index of the real command word past wrappers, the wrapper words, and env set in front."""
    words = command.words
    assignments = command.assignments
    env = [(a.name, a.value.value if a.value else "") for a in assignments] if assignments else []
    wrappers: list[Word] = []
    index = 0
    while index < len(words):
        name = _basename(words[index])
        if name not in _WRAPPERS or (name == "command" and _is_lookup(words, index)):
            break
        wrappers.append(words[index])
        takes_value = _WRAPPERS[name]
        index += 1
        while index < len(words) and (words[index].value or "").startswith("-") and words[index].value != "-":
            option = words[index].value or ""
            index += 2 if option in takes_value else 1
        if name in ("env", "sudo"):
            while index < len(words) and _ENV_WORD_RE.match(words[index].value or ""):
                key, _, value = (words[index].value or "").partition("=")
                env.append((key, value))
                index += 1
        index += _WRAPPER_OPERANDS.get(name, 0)
    return index, wrappers, env


_UNSET = object()


def recognise(command: Command) -> Invocation | None:
    """The package-manager invocation ``command`` is, or None (computed once per command)."""
    cached = command.__dict__.get("_recognised", _UNSET)
    if cached is _UNSET:
        cached = command.__dict__["_recognised"] = _recognise(command)
    return cached


def _recognise(command: Command) -> Invocation | None:
    start, wrappers, env = unwrap(command)
    words = command.words
    if start >= len(words):
        return None
    manager, length = _identify(words, start)
    if manager is None:
        return None
    program = words[start : start + length]
    invocation = _parse(SPECS[manager], command, program, words[start + length :])
    invocation.env = env
    invocation.wrappers = wrappers
    return invocation


def _is_lookup(words: list[Word], index: int) -> bool:
    return index + 1 < len(words) and words[index + 1].value in ("-v", "-V")


def _basename(word: Word) -> str | None:
    """The command's file name; for ``"$VENV"/bin/pip`` the static tail still names it."""
    if word.value is not None:
        return word.value.rpartition("/")[2]  # posixpath.basename, without its generic path handling
    tail = re.search(r"/([A-Za-z0-9_.+-]+)$", word.text)
    return tail.group(1) if tail else None


def _identify(words: list[Word], start: int) -> tuple[str | None, int]:
    name = _basename(words[start])
    if name is None:
        return None, 0
    manager = _NAMES.get(name)
    if manager is not None:  # no name in _NAMES is also a pip, python or php name
        return manager, 1
    if not name.startswith("p"):  # every name below starts with p: most commands stop here
        return None, 0
    if _PIP_RE.match(name):
        return "pip", 1
    if _PYTHON_RE.match(name):
        return _python_module(words, start)
    if name == "php" and start + 1 < len(words):
        inner = _basename(words[start + 1]) or ""
        return ("composer", 2) if inner.startswith("composer") else (None, 0)
    return None, 0


def _python_module(words: list[Word], start: int) -> tuple[str | None, int]:
    """``python3 -u -m pip …`` is pip (and ``-m uv`` is uv); ``python3 -c …`` runs no module."""
    index = start + 1
    while index < len(words):
        value = words[index].value or ""
        if value == "-m":
            module = words[index + 1].value if index + 1 < len(words) else None
            return (module, index + 2 - start) if module in ("pip", "uv") else (None, 0)
        if not value.startswith("-") or value == "-c":
            return None, 0
        index += 2 if value in ("-W", "-X") else 1
    return None, 0


def _parse(spec: Spec, command: Command, program: list[Word], rest: list[Word]) -> Invocation:
    options: list[Option] = []
    positionals: list[Word] = []
    value: str | None  # an option's value; None when it is dynamic
    index = 0
    only_positionals = False
    while index < len(rest):
        word = rest[index]
        text = word.value
        index += 1
        if only_positionals or text is None:
            if text is None and word.text.startswith("-") and not only_positionals:
                named = _DYNAMIC_OPTION_RE.match(word.text)  # `--prefix="$DIR"`: value unknown
                options.append(Option(named.group(1) if named else word.text, None, (word,)))
            else:
                positionals.append(word)
            continue
        if text == "--":
            only_positionals = True
            continue
        prefixed = _prefix_option(spec, text)
        if prefixed is not None:
            name, value = prefixed
            words: tuple[Word, ...] = (word,)
            if value == "" and index < len(rest):
                value, words, index = rest[index].value, (word, rest[index]), index + 1
            options.append(Option(name, value, words))
            continue
        if not text.startswith("-") or text == "-":
            positionals.append(word)
            continue
        if "=" in text and (text.startswith("--") or not spec.clusters):
            name, _, value = text.partition("=")
            options.append(Option(name, value, (word,)))
            continue
        if text in spec.value_options or text in _late_values(spec, positionals):
            if index < len(rest):
                options.append(Option(text, rest[index].value, (word, rest[index])))
                index += 1
            else:
                options.append(Option(text, None, (word,)))
            continue
        if spec.clusters and not text.startswith("--") and len(text) > 2:
            index = _cluster(spec, word, rest, index, options)
            continue
        options.append(Option(text, None, (word,)))
    subcommand, sub_words, args = _subcommand(spec, positionals)
    if not positionals and any(o.name in _INFO_OPTIONS for o in options):
        subcommand = None  # `yarn --version` installs nothing
    return Invocation(spec.manager, command, program, subcommand, sub_words, options, args)


def _late_values(spec: Spec, positionals: list[Word]) -> frozenset[str]:
    """Options that take a value only after some subcommand (``conda env create -f FILE``)."""
    if not spec.subcommand_value_options or not positionals:
        return frozenset()
    words = [spec.aliases.get(w.value or "", w.value or "") for w in positionals[:2]]
    return spec.subcommand_value_options.get(" ".join(words), frozenset())


def _prefix_option(spec: Spec, text: str) -> tuple[str, str] | None:
    """``-DskipTests`` -> ("-D", "skipTests"); ``-p:Version=1`` -> ("-p", "Version=1")."""
    for prefix in spec.prefix_options:
        if text.startswith(prefix) and (len(text) > len(prefix) or prefix in spec.value_options):
            return prefix.rstrip(":"), text[len(prefix) :]
    return None


def _cluster(spec: Spec, word: Word, rest: list[Word], index: int, options: list[Option]) -> int:
    """``-qqy`` -> -q -q -y; a letter that takes a value takes the rest of the cluster or the next word."""
    letters = (word.value or "")[1:]
    for position, letter in enumerate(letters):
        name = "-" + letter
        if name in spec.value_options:
            remainder = letters[position + 1 :]
            if remainder:
                options.append(Option(name, remainder, (word,)))
            elif index < len(rest):
                options.append(Option(name, rest[index].value, (word, rest[index])))
                index += 1
            else:
                options.append(Option(name, None, (word,)))
            return index
        options.append(Option(name, None, (word,)))
    return index


def _subcommand(spec: Spec, positionals: list[Word]) -> tuple[str | None, list[Word], list[Word]]:
    if not positionals:
        return spec.default_subcommand, [], []
    first = positionals[0]
    if first.value is None:
        return None, [], positionals
    if spec.no_subcommand:
        return first.value, [first], positionals[1:]
    name = spec.aliases.get(first.value, first.value)
    if spec.known_subcommands is not None and name not in spec.known_subcommands:
        return "run", [], positionals  # `yarn build` runs the package.json script "build"
    if name in spec.groups and len(positionals) > 1 and positionals[1].value is not None:
        second = positionals[1].value
        return f"{name} {second}", positionals[:2], positionals[2:]
    return name, [first], positionals[1:]


def find(script: Script, manager: str, subcommand: str | None = None) -> list[Invocation]:
    """Invocations of one manager (or family), optionally of one canonical subcommand."""
    return [
        invocation
        for invocation in invocations(script, [manager])
        if subcommand is None or invocation.subcommand == subcommand
    ]
