"""Finding the source copy and what follows it (shared by DO401 and DO402).

A *full copy* is a ``COPY`` of a whole directory of the context (``COPY . .``, ``COPY . /app``,
``COPY backend/ /srv/``): the instruction whose cache key changes with every source edit. Walking
forward from it through its stage, an instruction can be *crossed* — the copy can move below it
without changing what either does — when it only sets metadata (``ENV``, ``LABEL``, ``USER``, …) or
is a RUN whose every command provably leaves the copied tree alone. The first instruction that
cannot be crossed is where the walk stops: for DO401 that is the install RUN to reorder around.

The base image's WORKDIR is unknown, but ``COPY . .`` and ``RUN npm ci`` in it still meet in the
same directory. That directory is written as ``BASE`` so paths can be compared; every check that
needs an absolute location treats it as possibly ``/``.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace

from ...analysis.context import BuildContext, normalize_source, resolve_copy_sources
from ...analysis.gomatch import clean, has_wildcards
from ...analysis.scope import Scope
from ...shell import Command, Script, analyse_run, recognise, removal
from ...syntax import Dockerfile, Instruction
from ._installs import read_command
from ._packages import ENV_PATHS
from ._paths import BASE, Where, overlaps, resolve
from ._steps import INDEPENDENT, INSTALL, Reading

COPY_FLAGS = frozenset({"chown", "chmod", "link"})
METADATA = frozenset(
    {
        "ENV",
        "ARG",
        "LABEL",
        "EXPOSE",
        "USER",
        "STOPSIGNAL",
        "HEALTHCHECK",
        "CMD",
        "ENTRYPOINT",
        "SHELL",
        "MAINTAINER",
        "ONBUILD",
        "WORKDIR",
    }
)
_UNKNOWN_BASE = "WORKDIR of base image"


@dataclass
class FullCopy:
    """``COPY <directory> <dest>``: the contents of ``source`` (context-relative) land in ``dest``."""

    instruction: Instruction
    source: str  # context-relative directory, "." for the root
    source_word: str  # as written
    dest: str  # absolute and clean (may start with BASE)
    dest_word: str  # as written
    source_args: tuple[str, ...]  # build ARGs the source path depends on
    uses_variables: bool  # a word or flag has a ``$``: moving it past ENV/ARG could change it

    @property
    def dest_relative(self) -> bool:
        return not self.dest_word.startswith(("/", "$"))


@dataclass
class CommandReading:
    command: Command
    reading: Reading
    cwd: str | None


@dataclass
class RunReading:
    instruction: Instruction
    script: Script
    commands: list[CommandReading]

    @property
    def independent(self) -> bool:
        return all(c.reading.kind == INDEPENDENT for c in self.commands)

    @property
    def installs(self) -> bool:
        return any(c.reading.kind == INSTALL for c in self.commands)


@dataclass
class Walk:
    """What lies between a full copy and the first instruction it cannot cross."""

    copy: FullCopy
    crossed: list[Instruction] = field(default_factory=list)
    runs: list[Instruction] = field(default_factory=list)  # the independent RUNs crossed
    manifest_slot: Instruction | None = None  # DO401's manifest COPY may go right after this RUN
    stop: Instruction | None = None
    stop_run: RunReading | None = None  # when ``stop`` is a RUN that could be read
    why: str = ""  # why the walk stopped (for messages)


def stage_of(tree: Dockerfile, instruction: Instruction) -> list[Instruction]:
    return tree.stages[instruction.stage].instructions if instruction.stage is not None else []


def workdir_at(tree: Dockerfile, instruction: Instruction, scopes: dict[Instruction, Scope]) -> str | None:
    """The WORKDIR a top-level instruction runs in; BASE-relative when only the base image's is unknown."""
    workdir = scopes[instruction].workdir
    if workdir.text is not None:
        return workdir.text
    if instruction.stage is None or not all(u.startswith(_UNKNOWN_BASE) for u in workdir.unknown):
        return None
    stage = tree.stages[instruction.stage]
    if any(s.name and s.name == stage.base.lower() for s in tree.stages[: stage.index]):
        return None  # built FROM a stage whose own WORKDIR is unknown: not worth following
    path = BASE
    for item in stage.instructions:
        if item is instruction:
            return path
        if item.name == "WORKDIR":
            word = scopes[item].expand(item.value[0] if len(item.value) == 1 else item.args)
            if word.text is None:
                return None
            path = clean(word.text) if word.text.startswith("/") else clean(f"{path}/{word.text}")
    return path


def full_copy(
    tree: Dockerfile, instruction: Instruction, scopes: dict[Instruction, Scope], context: BuildContext | None
) -> FullCopy | None:
    """The instruction as a full copy, or None (other COPYs, ``--from``, heredocs, several sources…).

    ``ADD <directory>`` counts too: ADD unpacks only a source that *is* a local archive, never the
    archives inside a directory, so it copies a directory exactly as COPY does.
    """
    if instruction.name not in ("COPY", "ADD") or instruction.parent is not None or instruction.heredocs:
        return None
    if any(flag.name not in COPY_FLAGS for flag in instruction.flags) or len(instruction.value) != 2:
        return None
    scope = scopes.get(instruction)
    if scope is None:
        return None
    resolved = resolve_copy_sources(instruction, scope)
    if resolved is None or len(resolved.sources) != 1 or resolved.sources[0].text is None:
        return None
    source = normalize_source(resolved.sources[0].text)
    if has_wildcards(source) or (source != "." and (context is None or not context.is_dir(source))):
        return None
    dest_word = instruction.value[1]
    expanded = scope.expand(dest_word)
    if expanded.text is None or not expanded.text.strip():
        return None
    if expanded.text.startswith("/"):
        dest = clean(expanded.text)
    else:
        workdir = workdir_at(tree, instruction, scopes)
        if workdir is None:
            return None
        dest = clean(f"{workdir}/{expanded.text}")
    words = [f.text for f in instruction.flags] + list(instruction.value)
    return FullCopy(
        instruction,
        source,
        instruction.value[0],
        dest,
        dest_word,
        resolved.sources[0].args,
        any("$" in word for word in words),
    )


def read_run(tree: Dockerfile, run: Instruction, where: Where) -> RunReading | None:
    """Every command of a RUN, read with the working directory it runs in."""
    script = analyse_run(tree, run)
    if script is None:
        return None
    cwd = where.cwd
    readings = []
    for command in script.commands:
        readings.append(CommandReading(command, read_command(command, replace(where, cwd=cwd)), cwd))
        if command.state in ("cd", "pushd", "popd"):
            cwd = _after_cd(command, cwd)
        elif command.state in ("eval", "source", ".", "dynamic"):
            cwd = None
    return RunReading(run, script, readings)


def _after_cd(command: Command, cwd: str | None) -> str | None:
    args = command.args
    if not (command.leaks and command.unconditional and command.name == "cd" and len(args) == 1):
        return None
    target = args[0].value
    return resolve(target, cwd) if target and target not in ("-",) and not target.startswith("~") else None


def absent_ok(reading: RunReading, copy: FullCopy, context: BuildContext | None) -> bool:
    """Commands independent only if the copy brings nothing at some paths (``mkdir /app/logs``,
    ``gem install`` and ``*.gem``): true when the context sends nothing there."""
    for item in reading.commands:
        for pattern in item.reading.absent:
            if not (pattern == copy.dest or pattern.startswith(copy.dest + "/")):
                continue
            if context is None:
                return False
            rel = normalize_source(f"{copy.source}/{pattern[len(copy.dest) :]}")
            if context.glob(rel) if has_wildcards(rel) else context.is_sent(rel):
                return False
    return True


def walk(
    tree: Dockerfile,
    copy: FullCopy,
    scopes: dict[Instruction, Scope],
    context: BuildContext | None,
    *,
    reorder: bool,
) -> Walk:
    """Cross what the copy can move below. ``reorder``: DO401's walk, where a manifest COPY takes
    the copy's place, so a WORKDIR creating the destination may be crossed (the manifests create it
    first, as the copy did) but blocks the manifest COPY from moving further."""
    result = Walk(copy)
    stage = stage_of(tree, copy.instruction)
    index = next((i for i, item in enumerate(stage) if item is copy.instruction), None)
    if index is None:  # a COPY outside any stage (before the first FROM): nothing to walk
        return result
    slot_open = True
    at_copy = workdir_at(tree, copy.instruction, scopes)
    exists = at_copy is not None and (at_copy == copy.dest or at_copy.startswith(copy.dest + "/"))
    for item in stage[index + 1 :]:
        name = item.name
        if name == "RUN":
            where = Where(
                workdir_at(tree, item, scopes), (copy.dest,), scopes[item], install_paths(tree, item), exists
            )
            reading = read_run(tree, item, where)
            if reading is None or not reading.independent or not absent_ok(reading, copy, context):
                result.stop, result.stop_run = item, reading
                result.why = "its script cannot be read" if reading is None else ""
                return result
            conflict = settings_conflict(tree, item, scopes[item], copy, context)
            if conflict is not None:
                result.stop, result.stop_run = item, reading
                result.why = conflict
                return result
            result.runs.append(item)
            if slot_open:
                result.manifest_slot = item
        elif name in METADATA:
            if name in ("ENV", "ARG") and copy.uses_variables:
                result.stop, result.why = item, f"{name} at line {item.line} may change the copy's variables"
                return result
            if name == "WORKDIR":
                if copy.dest_relative:
                    result.stop, result.why = item, f"WORKDIR at line {item.line} changes where `.` is"
                    return result
                following = workdir_after(tree, item, scopes)
                if following is None or overlaps(following, (copy.dest,)):
                    if not reorder:
                        result.stop, result.why = item, f"WORKDIR at line {item.line} creates the destination"
                        return result
                    slot_open = False
        else:
            result.stop, result.why = item, f"{name} at line {item.line}"
            return result
        result.crossed.append(item)
    return result


def settings_conflict(
    tree: Dockerfile, run: Instruction, scope: Scope, copy: FullCopy, context: BuildContext | None
) -> str | None:
    """A package manager in ``run`` reads a settings file the copy writes (``ENV PIP_CONFIG_FILE=
    /app/pip.conf``, an ``.npmrc`` in the working directory, ``/etc/apt`` for a copy into ``/``):
    then the RUN depends on the copy, whatever its commands look like. With the build context in
    view, a settings file the context does not send is no conflict."""
    from ...shell.effects import config_reads

    script = analyse_run(tree, run)
    if script is None:
        return None
    env = {
        name: value.text
        for name, value in (*scope.args.items(), *scope.env.items())
        if value.text is not None
    }
    home = env.get("HOME") or "/root"
    dest = copy.dest
    for tool, path in config_reads(script, workdir=scope.workdir.text, env=env, home=home):
        if not overlaps(path, (dest,)):
            continue
        if context is not None and path.startswith(dest.rstrip("/") + "/") and dest.startswith("/"):
            relative = normalize_source(f"{copy.source}/{path[len(dest.rstrip('/')) + 1 :]}")
            if not (context.exists(relative) and context.is_sent(relative)):
                continue  # the context has no such file: the copy cannot write it
        return f"`{tool}` reads {path}, which the copy may write"
    return None


def workdir_after(tree: Dockerfile, workdir: Instruction, scopes: dict[Instruction, Scope]) -> str | None:
    """The directory a WORKDIR instruction sets."""
    before = workdir_at(tree, workdir, scopes)
    word = scopes[workdir].expand(workdir.value[0] if len(workdir.value) == 1 else workdir.args)
    if word.text is None:
        return None
    if word.text.startswith("/"):
        return clean(word.text)
    return clean(f"{before}/{word.text}") if before is not None else None


def install_paths(tree: Dockerfile, instruction: Instruction) -> tuple[str, ...]:
    """Absolute directories that ENV PATH, VIRTUAL_ENV, GEM_HOME, … name before ``instruction``.

    Read from the ENV lines as written (``$PATH`` and other variables dropped), in this stage and
    the stages it is built on: a ``pip install flask`` runs the first ``pip`` on PATH, so a
    virtualenv inside the copied directory makes it write there.
    """
    found: list[str] = []
    stage_index = instruction.stage
    seen: set[int] = set()
    limit: Instruction | None = instruction
    while stage_index is not None and stage_index not in seen:
        seen.add(stage_index)
        stage = tree.stages[stage_index]
        for item in stage.instructions:
            if item is limit:
                break
            if item.name == "ENV":
                pairs = list(zip(item.value[::2], item.value[1::2], strict=False))
                for key, value in pairs:
                    if key in ENV_PATHS:
                        found += [clean(p) for p in value.replace('"', "").split(":") if p.startswith("/")]
        base = stage.base.lower()
        stage_index = next((s.index for s in tree.stages[:stage_index] if s.name == base), None)
        limit = None
    return tuple(dict.fromkeys(found))


_REMOVING = frozenset(
    {
        "uninstall",
        "remove",
        "purge",
        "autoremove",
        "del",
        "prune",
        "cache clean",
        "cache purge",
        "clean",
        "autoclean",
        "rm",
    }
)


@dataclass
class Split:
    """Where an install RUN splits into the install and the rest (``npm ci && npm run build``)."""

    span: tuple[int, int] | None  # the source text between the two halves (`` && ``), to replace
    why: str = ""  # why it cannot be split
    removes: bool = False  # the second half deletes files: the first half's layer keeps them


def split_run(run: RunReading, first_source: int) -> Split:
    """Split before the command ``run.commands[first_source]``, at a top-level ``&&`` only: the
    halves then run exactly when they did, provided nothing before the cut changes shell state."""
    script, instruction = run.script, run.instruction
    command = run.commands[first_source].command
    statements = script.statements
    if script.origin != "line" or instruction.heredocs:
        return Split(None, "the RUN is a heredoc")
    if len(statements) != 1 or any(op != "&&" for op in statements[0].operators):
        return Split(None, "the RUN is not a single `&&` chain")
    pipelines = statements[0].pipelines
    index = next((i for i, p in enumerate(pipelines) if p.span[0] <= command.span[0] < p.span[1]), 0)
    if index == 0:
        return Split(None, "the install and the step that reads the source are one pipeline")
    cut = pipelines[index].span[0]
    if any(
        c.command.changes_state and c.command.main_shell and c.command.span[1] <= cut for c in run.commands
    ):
        return Split(
            None, "an earlier command changes shell state (cd, export, set …) that the rest relies on"
        )
    start, end = script.to_source_end(pipelines[index - 1].span[1]), script.to_source(cut)
    if start is None or end is None or any(start <= c[0] < end for c in instruction.inner_comments):
        return Split(None, "a comment sits where the RUN would be split")
    removes = any(_removes(c.command) for c in run.commands if c.command.span[0] >= cut)
    return Split((start, end), removes=removes)


def _removes(command: Command) -> bool:
    if removal(command) is not None:
        return True
    invocation = recognise(command)
    return invocation is not None and (invocation.subcommand or "") in _REMOVING
