"""Triggers: cheap necessary conditions that let the engine skip (and not even import) a rule.

Importing all rule modules (and the shell model, build-context analysis and COPY planner they
import) costs more than the rest of a cold ``dockopt --check`` together. So each rule declares a
*trigger* (``Rule.trigger``), the generated catalogue carries it, and the engine imports a rule
module only when its rule is selected and its trigger holds for the text of the current round.

A trigger is a necessary condition, never a prediction: it must be true whenever the rule could
produce any finding for that tree, text and settings (``tests/test_catalogue.py`` runs every rule
whose trigger is false over the corpus and the fixtures, and requires no findings). Triggers look
only at the parsed tree (the engine has it anyway) and the settings, and they stay coarse: a name
anywhere in any RUN script, two RUNs in a stage. When in doubt, a trigger says yes.

A trigger is a module-level function here, or an object whose ``repr`` is the expression that
builds it (``mentions("pip")``): the catalogue generator writes declarations back as source.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterable
from typing import TYPE_CHECKING, Protocol

from ..syntax import FROM_AS

if TYPE_CHECKING:
    from ..core.config import Settings
    from ..syntax import Dockerfile, Instruction


class Probe:
    """What triggers look at for one round: the tree and text the rules would see, and the settings."""

    __slots__ = ("_all_scripts", "_runs", "_scripts", "settings", "text", "tree")

    def __init__(self, tree: Dockerfile, text: str, settings: Settings) -> None:
        self.tree = tree
        self.text = text
        self.settings = settings
        self._scripts: dict[int, str | None] = {}
        self._runs: list[Instruction] | None = None
        self._all_scripts: tuple[str | None] | None = None  # (joined words,) once computed

    def runs(self) -> list[Instruction]:
        """RUN instructions, and ONBUILD instructions whose trigger is a RUN."""
        if self._runs is None:  # asked by most triggers, every round: listed once per probe
            self._runs = [ins for ins in self.tree.instructions if (ins.sub or ins).name == "RUN"]
        return list(self._runs)

    def script(self, instruction: Instruction) -> str | None:
        """The RUN's script as words without quoting (see ``shell_words``); None: it could spell anything."""
        key = id(instruction)
        if key not in self._scripts:
            self._scripts[key] = shell_words(instruction.sub or instruction)
        return self._scripts[key]

    def mentions(self, instruction: Instruction, needles: Iterable[str]) -> bool:
        """Any of ``needles`` (command names) may appear in this RUN's script."""
        words = self.script(instruction)
        return words is None or any(needle in words for needle in needles)

    def any_run_mentions(self, *needles: str) -> bool:
        # Every RUN's words joined by NUL (which no needle contains), or None when some RUN could
        # spell anything: a needle is in the join exactly when it is in some RUN's words.
        if self._all_scripts is None:
            scripts = [self.script(run) for run in self.runs()]
            known = [words for words in scripts if words is not None]
            self._all_scripts = (None if len(known) < len(scripts) else "\0".join(known),)
        joined = self._all_scripts[0]
        return joined is None or any(needle in joined for needle in needles)


# A backslash-newline (with the blanks after it), a backslash, a quote or a dollar sign: removing
# them leaves every static word value the shell model can compute as a substring (``"apt-get"``,
# ``apt\-get``, ``ap''t-get``, ``$"apt-get"``, ``apt-\<newline>get`` all read ``apt-get``).
_QUOTING = re.compile(r"\\\r?\n[ \t]*|[\\'\"$]")


def shell_words(run: Instruction) -> str | None:
    """The text the shell model reads for a RUN — the command line plus the heredoc bodies, glued
    the way BuildKit glues them — with quoting removed so that a name can be found by substring.

    None when the script uses ANSI-C quoting (``$'\\x61pt-get'``): its escapes can spell any name.
    The Dockerfile's own continuation lines, escape character and comment lines inside a
    continuation are already gone: ``args`` is the logical line as BuildKit passes it on.
    """
    text = run.args + "".join(f"\n{doc.content}{doc.name}" for doc in run.heredocs)
    if "$'" in text:
        return None
    return _QUOTING.sub("", text)


# -- triggers ----------------------------------------------------------------------------------


class Trigger(Protocol):
    """A trigger: a function of the round's probe (a Protocol, so a rule's class attribute holding
    one is not taken for a method)."""

    def __call__(self, probe: Probe, /) -> bool: ...


class _Named:
    """A trigger function, wrapped so that its ``repr`` is its name (and a class attribute holding it
    is not taken for a method)."""

    def __init__(self, function: Callable[[Probe], bool]) -> None:
        self.function = function
        self.__name__ = function.__name__
        self.__doc__ = function.__doc__
        self.needles: tuple[str, ...] = ()
        self.managers: tuple[str, ...] = ()

    def __call__(self, probe: Probe, /) -> bool:
        return self.function(probe)

    def __repr__(self) -> str:
        return self.__name__


def trigger(function: Callable[[Probe], bool]) -> _Named:
    """Declare a module-level function a trigger."""
    return _Named(function)


@trigger
def keyword_case(probe: Probe) -> bool:
    """DO101: some keyword (or an ONBUILD trigger's, or FROM's ``AS``) is not in upper case."""
    for instruction in probe.tree.instructions:
        for part in (instruction, instruction.sub):
            if part is not None and part.keyword != part.name:  # ``name`` is the keyword upper-cased
                return True
        if instruction.name == "FROM":
            match = FROM_AS.match(instruction.args)
            if match and match.group(1) != "AS":
                return True
    return False


@trigger
def consecutive_runs(probe: Probe) -> bool:
    """DO201: two RUNs of one stage with only comment and blank lines between them."""
    from ..syntax import Blank, Comment, Instruction

    previous = None
    for node in probe.tree.nodes:
        if isinstance(node, (Comment, Blank)):
            continue
        if isinstance(node, Instruction) and node.name == "RUN":
            if previous is not None and previous.stage == node.stage:
                return True
            previous = node
        else:
            previous = None
    return False


class has_instruction:
    """Some instruction (or ONBUILD trigger) has one of these keywords."""

    def __init__(self, *keywords: str) -> None:
        self.keywords = tuple(keyword.upper() for keyword in keywords)
        self.__doc__ = f"An instruction {' or '.join(self.keywords)}."

    def __call__(self, probe: Probe, /) -> bool:
        return any((item.sub or item).name in self.keywords for item in probe.tree.instructions)

    def __repr__(self) -> str:
        return f"has_instruction({', '.join(json.dumps(k) for k in self.keywords)})"


class mentions:
    """A package-manager rule: one of these names appears in some RUN script.

    The needles are substrings of every spelling the shell model recognises for the managers the
    rule reads (``apt`` for apt-get and apt, ``dnf`` for dnf5 and microdnf). ``families`` and
    ``managers`` say which those are, in ``optimizer.shell.managers``' terms; a test holds the
    needles to every spelling the shell model's tables have for them.
    """

    def __init__(self, *needles: str, families: tuple[str, ...] = (), managers: tuple[str, ...] = ()) -> None:
        self.needles = needles
        self.families = families
        self.managers = managers
        self.__doc__ = f"Some RUN script mentions {', '.join(needles)}."

    def __call__(self, probe: Probe) -> bool:
        return probe.any_run_mentions(*self.needles)

    def __repr__(self) -> str:
        parts = [json.dumps(n) for n in self.needles]
        for key in ("families", "managers"):
            value = getattr(self, key)
            if value:
                parts.append(f"{key}=({''.join(json.dumps(v) + ', ' for v in value).rstrip(' ')})")
        return f"mentions({', '.join(parts)})"


_BUILD_TOOLS = ("go", "mvn")  # mvn covers mvnw and mvnd


@trigger
def build_caches(probe: Probe) -> bool:
    """DO312: only in the mounts strategy, and only for go and Maven."""
    return probe.settings.mounts and probe.any_run_mentions(*_BUILD_TOOLS)


build_caches.needles = _BUILD_TOOLS
build_caches.managers = ("go", "mvn")


@trigger
def two_runs_in_a_stage(probe: Probe) -> bool:
    """DO313: a RUN with an earlier RUN in its stage (the cleanup and the RUN that made the mess)."""
    return any(sum(1 for item in stage.instructions if item.name == "RUN") > 1 for stage in probe.tree.stages)


def _copies_then_runs(probe: Probe, needles: tuple[str, ...] | None = None) -> bool:
    """A COPY/ADD of one source followed, later in its stage, by a RUN (mentioning ``needles``)."""
    for stage in probe.tree.stages:
        copied = False
        for item in stage.instructions:
            if item.name in ("COPY", "ADD") and len(item.value) == 2:
                copied = True
            elif copied and item.name == "RUN" and (needles is None or probe.mentions(item, needles)):
                return True
    return False


# Every tool DO401 reads an install from (npm covers pnpm, pip covers pipenv, bundle covers bundler).
_INSTALLERS = ("npm", "yarn", "pip", "uv", "poetry", "go", "mvn", "gradle", "bundle", "composer", "dotnet",
               "cargo")  # fmt: skip


@trigger
def source_copy_before_install(probe: Probe) -> bool:
    """DO401: a COPY of one source, then a RUN in its stage that names a dependency installer."""
    return _copies_then_runs(probe, _INSTALLERS)


source_copy_before_install.needles = _INSTALLERS


@trigger
def source_copy_before_run(probe: Probe) -> bool:
    """DO402: a COPY of one source, then a RUN in its stage it might move below."""
    return _copies_then_runs(probe)


_BUILDERS = ("go", "mvn", "gradle", "cargo")  # mvn covers mvnw, gradle covers gradlew


@trigger
def copy_before_build(probe: Probe) -> bool:
    """DO403: a COPY/ADD, then a RUN in its stage that names go, mvn, gradle or cargo."""
    for stage in probe.tree.stages:
        copied = False
        for item in stage.instructions:
            if item.name in ("COPY", "ADD"):
                copied = True
            elif copied and item.name == "RUN" and probe.mentions(item, _BUILDERS):
                return True
    return False


copy_before_build.needles = _BUILDERS


_BUILD_NEEDLES = (
    "go", "cc", "g++", "c++", "clang", "make", "ninja", "cargo", "jar", "javac", "mvn", "gradle", "tsc",
    "npm", "yarn", "pnpm", "pip", "msbuild", "dotnet",
)  # fmt: skip
_BUILDER_BASES = ("golang", "rust", "buildpack-deps", "gcc", "maven", "gradle", "jdk")


@trigger
def final_stage_builds(probe: Probe) -> bool:
    """DO501: a RUN of the last stage may run a build tool (or the stage is on a toolchain image)."""
    stages = probe.tree.stages
    if not stages:
        return False
    runs = [i for i in stages[-1].instructions if i.name == "RUN"]
    if not runs:
        return False
    if any(name in stages[-1].base for name in _BUILDER_BASES):
        return True
    return any(probe.mentions(run, _BUILD_NEEDLES) for run in runs)
