"""What the package-manager rules (DO3xx) share: which RUNs they may touch, and how they edit them.

Every DO3xx rule asks the same questions before it edits a RUN — is it a shell-form RUN the shell
model understands, in a stage whose content ends up in an image (hadolint DL3009's judgment), not
an ONBUILD trigger — and makes the same few kinds of edit: a flag after a subcommand
(``--no-cache-dir``), a command appended to the script (``&& rm -rf /var/lib/apt/lists/*``), a
``--mount=type=cache`` flag on the RUN, or the removal of a word or a pipeline. The edits live here
so that each one is written once, in the file's own continuation style, and only where the script
text reads back exactly from the Dockerfile (``Script.exact``); anything else is declined.
"""

from __future__ import annotations

import posixpath
import re
from collections.abc import Iterator
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING

from ...analysis.facts import Facts
from ...analysis.stages import StageGraph
from ...core.findings import Applicability, Edit
from ...shell import Command, Invocation, Script, Statement, Word, detect_style
from ...shell.model import GUARDED_CONTEXTS
from ...syntax import Instruction

if TYPE_CHECKING:
    from ...analysis.scope import Scope

MAX_INLINE_WIDTH = 100  # a one-line RUN grows on its line up to this width, else it breaks
ROOT_USERS = frozenset({"root", "0"})
_OPTION_VARIABLE = re.compile(r"\$\{?[A-Za-z0-9_]*(OPT|FLAG|ARG|PARAM)", re.IGNORECASE)


@dataclass
class Run:
    """A RUN that the package-manager rules may edit, with its script model."""

    instruction: Instruction
    script: Script

    @property
    def stage(self) -> int:
        assert self.instruction.stage is not None
        return self.instruction.stage


class Hygiene:
    """The DO3xx rules' view of one round's facts: built once per round, shared by the family."""

    def __init__(self, ctx: Facts) -> None:
        self.ctx = ctx
        self.graph: StageGraph = ctx.graph

    @classmethod
    def of(cls, ctx: Facts) -> Hygiene:
        return ctx.memo(cls, lambda: cls(ctx))

    @property
    def mounts_mode(self) -> bool:
        return self.ctx.settings.mounts

    def runs(self, every_stage: bool = False) -> Iterator[Run]:
        """Shell-form RUNs with a script model in stages that matter (or in ``every_stage``); never
        ONBUILD triggers."""
        for instruction in self.ctx.runs():
            if not every_stage and not self.graph.matters(instruction.stage):  # type: ignore[arg-type]
                continue
            script = self.ctx.script(instruction)
            if script is not None and script.map is not None:
                yield Run(instruction, script)

    @property
    def scopes(self) -> dict[Instruction, Scope]:
        return self.ctx.scopes

    def env_declared(self, instruction: Instruction, name: str) -> bool:
        """``name`` is set by an ENV or ARG of this stage (or a stage it is built FROM)."""
        scope = self.scopes.get(instruction)
        return scope is not None and (name in scope.env or name in scope.args)

    def env_value(self, instruction: Instruction, name: str) -> str | None:
        scope = self.scopes.get(instruction)
        if scope is None or name not in scope.env:
            return None
        return scope.env[name].text

    def lineage(self, stage: int) -> list[int]:
        return self.ctx.lineage(stage)

    def removal_blocker(self, run: Run, paths: list[str]) -> tuple[Applicability, str] | None:
        """Why removing ``paths`` after ``run`` (or hiding them in a cache mount) may not be safe: a
        later reader of them (the file-effects model). A reader known to read them makes the fix
        display-only; one that *may* read anything (a command dockopt has no model of) makes it
        unsafe. None when provably nothing later reads them."""
        from ...analysis.effects import Effects

        reader = Effects.of(self.ctx).reader(run.instruction, paths)
        if reader is None:
            return None
        if reader.certain:
            return Applicability.DISPLAY_ONLY, reader.describe()
        return Applicability.UNSAFE, reader.describe()

    def reads_itself(self, run: Run, paths: list[str]) -> bool:
        """The RUN itself needs what an earlier instruction left in ``paths`` (an offline install from
        the cache): a cache mount there would hide it (a cache mount starts empty)."""
        from ...analysis.effects import Effects

        reads = Effects.of(self.ctx).reads(run.instruction)
        return any(_overlapping(read, path) for read in reads.paths for path in paths)

    def cache_reader(self, run: Run, paths: list[str]) -> str | None:
        """A later instruction that needs this package cache as data (an offline install, a copy of
        it to another stage): then cleaning it, or hiding it in a cache mount, breaks that reader."""
        from ...analysis.effects import Effects

        reader = Effects.of(self.ctx).reader(run.instruction, paths, cache=True)
        return reader.describe() if reader is not None else None

    def before(self, instruction: Instruction) -> list[Instruction]:
        return self.ctx.before(instruction)

    def after(self, instruction: Instruction) -> list[Instruction]:
        return self.ctx.after(instruction)

    def user(self, instruction: Instruction) -> str | None:
        """The USER in effect (as written), or None when no USER instruction set one."""
        for item in reversed(self.before(instruction)):
            if item.name == "USER" and item.value:
                return item.value[0]
        return None

    def runs_as_root(self, instruction: Instruction) -> bool:
        """No USER instruction, or USER root/0 (a base image's own USER is not visible here)."""
        user = self.user(instruction)
        return user is None or user.split(":")[0] in ROOT_USERS

    def home(self, instruction: Instruction) -> str | None:
        """$HOME of the RUN's user when we can tell: an ENV HOME, or /root for root."""
        scope = self.scopes.get(instruction)
        if scope is not None and "HOME" in scope.env:
            return scope.env["HOME"].text
        return "/root" if self.runs_as_root(instruction) else None


def _overlapping(a: str, b: str) -> bool:
    a, b = posixpath.normpath(a), posixpath.normpath(b)
    return a == b or a.startswith(b.rstrip("/") + "/") or b.startswith(a.rstrip("/") + "/")


# -- facts about a script ------------------------------------------------------------------------


def unconditional(invocation: Invocation) -> bool:
    """Runs whenever the script gets that far: not in an if/loop/case/function body, not after ``||``."""
    command = invocation.command
    return command.unconditional and not any(c in GUARDED_CONTEXTS for c in command.context)


def switches_user(invocation: Invocation) -> bool:
    """``sudo -u x``, ``gosu x``, ``su-exec x``: the tool runs as someone else, with another $HOME."""
    return any(
        (w.value or "").rsplit("/", 1)[-1] in ("sudo", "gosu", "su-exec", "su") for w in invocation.wrappers
    )


def may_hide_options(invocation: Invocation) -> bool:
    """A computed word named like options (``$APT_OPTS``, ``${PIP_FLAGS}``) may hold the very flag."""
    words = [*invocation.args, *(w for o in invocation.options for w in o.words)]
    return any(word.value is None and _OPTION_VARIABLE.search(word.text) for word in words)


def where(invocation: Invocation) -> int | None:
    """The Dockerfile offset a finding about ``invocation`` points at (its first word)."""
    span = invocation.command.source_span
    return span[0] if span else None


def configured(hygiene: Hygiene, instruction: Instruction, *needles: str) -> bool:
    """An earlier instruction of the image (or this one) mentions one of ``needles``: a setting
    written to a config file (``APT::Install-Recommends``, ``assumeyes``) that we cannot read."""
    return any(n in item.text for item in [*hygiene.before(instruction), instruction] for n in needles)


def ends_early(script: Script) -> bool:
    """A top-level ``exit``/``exec`` would skip anything appended after it."""
    return any(c.state in ("exit", "exec") and c.main_shell for c in script.commands)


# -- cache mounts ------------------------------------------------------------------------------


def mount_options(flag_value: str) -> dict[str, str]:
    options: dict[str, str] = {}
    for part in flag_value.split(","):
        key, _, value = part.strip().strip("\"'").partition("=")
        options[key.lower()] = value
    return options


def cache_targets(instruction: Instruction) -> list[str]:
    """Targets of the RUN's ``--mount=type=cache`` flags."""
    targets = []
    for value in instruction.flag_values("mount"):
        options = mount_options(value)
        if options.get("type") == "cache":
            target = options.get("target") or options.get("dst") or options.get("destination")
            if target:
                targets.append(posixpath.normpath(target))
    return targets


def mounted(instruction: Instruction, path: str) -> bool:
    """A cache mount covers ``path``, lies inside it, or is it."""
    path = posixpath.normpath(path)
    return any(
        t == path or path.startswith(t + "/") or t.startswith(path + "/") for t in cache_targets(instruction)
    )


def mount_flag(target: str, sharing: str | None = None) -> str:
    return f"--mount=type=cache,target={target}" + (f",sharing={sharing}" if sharing else "")


def mount_edit(ctx: Facts, instruction: Instruction, flags: list[str]) -> Edit:
    """``--mount=…`` flags after the RUN's own flags, one per line when the RUN spans lines, gets two
    flags, or would grow too wide (then the command starts on a line of its own)."""
    at = instruction.args_source_start
    first_line = ctx.text[instruction.start :].split("\n", 1)[0]
    too_wide = len(first_line) + sum(len(flag) + 1 for flag in flags) > MAX_INLINE_WIDTH
    spans_lines = "\n" in ctx.text[instruction.start : instruction.body_end].rstrip("\r\n")
    multi_line = spans_lines or len(flags) > 1 or too_wide
    separator = detect_style(ctx.tree, instruction).break_line() if multi_line else " "
    if instruction.flags:
        last = instruction.flags[-1].end
        if not ctx.text[last:at].strip(" \t\r\n" + ctx.tree.escape):
            return Edit(last, at, separator + separator.join(flags) + separator)
    return Edit.insert(at, separator.join(flags) + separator)


# -- edits in a script -------------------------------------------------------------------------


def insert_after_word(script: Script, word: Word, text: str) -> Edit | None:
    if not script.exact(word.span):
        return None
    at = script.to_source_end(word.span[1])
    return None if at is None else Edit.insert(at, text)


def add_option(invocation: Invocation, option: str) -> Edit | None:
    """`` option`` right after the subcommand (or the program name when there is none)."""
    anchor = (invocation.subcommand_words or invocation.program)[-1]
    return insert_after_word(invocation.command.script, anchor, " " + option)  # type: ignore[arg-type]


def remove_word(script: Script, word: Word) -> Edit | None:
    """Delete a word and the blank before it, when both read back exactly."""
    start, end = word.span
    if start == 0 or script.text[start - 1] not in " \t" or not script.exact((start - 1, end)):
        return None
    span = script.source_span((start - 1, end))
    return None if span is None else Edit.delete(*span)


def append_command(ctx: Facts, run: Run, command: str) -> Edit | None:
    """``&& command`` after the script's last statement, so it runs when the script succeeded and the
    exit status stays the script's own. Declined for a background last statement, an early exit,
    and a RUN whose heredoc bodies are part of the command line."""
    script, instruction = run.script, run.instruction
    last = script.last_statement
    if last is None or last.background or ends_early(script):
        return None
    if instruction.heredocs and script.origin == "line":
        return None
    end = last.span[1]
    if not script.exact((end - 1, end)):
        return None
    at = script.to_source_end(end)
    if at is None:
        return None
    if script.origin == "heredoc":
        return Edit.insert(at, f" && {command}")
    line_start = ctx.text.rfind("\n", 0, at) + 1
    line_end = ctx.text.find("\n", at)
    width = (len(ctx.text) if line_end < 0 else line_end) - line_start
    if instruction.line == instruction.end_line and width + len(command) + 4 <= MAX_INLINE_WIDTH:
        return Edit.insert(at, f" && {command}")
    style = _own_style(ctx, instruction)
    if style.operator_position == "leading":
        return Edit.insert(at, f"{style.break_line()}&& {command}")
    return Edit.insert(at, f" &&{style.break_line()}{command}")


def _own_style(ctx: Facts, instruction: Instruction):
    """The RUN's continuation style; for a RUN whose lines show no operator (a long argument list),
    the file's operator style with the indentation of the RUN's own last line."""
    style = detect_style(ctx.tree, instruction)
    lines = [
        line for line in ctx.text[instruction.start : instruction.body_end].splitlines()[1:] if line.strip()
    ]
    lines = [line for line in lines if not line.lstrip().startswith("#")]
    escape = re.escape(ctx.tree.escape)
    operator_line = re.compile(rf"^\s*(&&|\|\||;)|(&&|\|\||;)\s*{escape}\s*$")
    if not lines or any(
        operator_line.search(line)
        for line in [ctx.text[instruction.start : instruction.body_end].splitlines()[0], *lines]
    ):
        return style
    indent = lines[-1][: len(lines[-1]) - len(lines[-1].lstrip())]
    return replace(style, indent=indent) if indent else style


def prepend_command(script: Script, statement: Statement, command: str) -> Edit | None:
    """``command && `` in front of a statement's first pipeline."""
    first = statement.pipelines[0]
    if first.negated or not script.exact((first.span[0], first.span[0] + 1)):
        return None
    at = script.to_source(first.span[0])
    return None if at is None else Edit.insert(at, f"{command} && ")


def remove_pipeline(ctx: Facts, script: Script, statement: Statement, index: int) -> Edit | None:
    """Delete one pipeline of an ``&&`` chain (with its operator), or a whole statement that is not
    the script's last (its status never was the script's). Declined when a comment would go too."""
    pipelines = statement.pipelines
    if len(pipelines) > 1:
        if any(op != "&&" for op in statement.operators):
            return None
        if index == 0:
            span = (pipelines[0].span[0], pipelines[1].span[0])
        else:
            span = (pipelines[index - 1].span[1], pipelines[index].span[1])
    else:
        statements = script.statements
        position = statements.index(statement)
        if position + 1 >= len(statements):
            return None
        span = (statement.span[0], statements[position + 1].span[0])
    source = script.source_span(span)
    if source is None or source[0] >= source[1] or "#" in ctx.text[source[0] : source[1]]:
        # An empty source span: the text does not come from the Dockerfile as it reads (a heredoc
        # glued to the command line), so the deletion cannot be written; it is not offered.
        return None
    if not (script.exact((span[0], span[0] + 1)) and script.exact((span[1] - 1, span[1]))):
        return None
    return Edit.delete(*source)


def statement_of(script: Script, command: Command) -> tuple[Statement, int] | None:
    """The top-level statement holding ``command`` as a whole pipeline, and its index there."""
    for statement in script.statements:
        for index, pipeline in enumerate(statement.pipelines):
            if pipeline.elements == [command]:
                return statement, index
    return None
