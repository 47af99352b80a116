"""The file-effects model: who may read what an instruction leaves in the image.

A cleanup is safe only if nothing later reads the removed paths; a move only if what is crossed does
not read what moves. For one instruction and a set of absolute paths, ``Effects.reader`` finds the
first later instruction that may read them, with the reason. "Later" is everything that runs on top
of the instruction's result:

- the rest of its stage, and every stage built ``FROM`` it (directly or through other stages);
- every ``COPY --from`` / ``ADD --from`` and ``RUN --mount=…,from=`` (bind or cache mounts of a
  stage) that takes files from it or from a stage built on it — by the paths they name;
- ``ONBUILD RUN`` triggers, which run in images built from this one.

What a RUN reads comes from the shell model (``optimizer.shell.effects``), with the WORKDIR, ENV
and ARG values in effect and the user's home. A RUN the model cannot read (exec form, another
shell, a heredoc program, a command it does not know) *may read anything*: that is what keeps the
answer sound, at the price of leaving some cleanups to the user, who sees the reason. Within a chain
of instructions, one that refreshes the paths before reading them (``apt-get update``) ends the
search on that chain: whatever follows reads the fresh copy.
"""

from __future__ import annotations

import posixpath
import re
from collections.abc import Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from ..syntax import Instruction

if TYPE_CHECKING:
    from ..shell.effects import Reads
    from .facts import Facts

ROOT_USERS = frozenset({"root", "0"})
_MOUNT_FROM = re.compile(r"(?:^|,)from=([^,]+)")


@dataclass(frozen=True)
class Reader:
    instruction: Instruction
    why: str
    certain: bool = True  # False: it *may* read them (a command dockopt has no model of)

    def describe(self) -> str:
        return (
            f"the {self.instruction.keyword.upper()} at line {self.instruction.line} may read it: {self.why}"
        )


class Effects:
    """One round's file-effects model (built once per round: ``Effects.of(facts)``)."""

    def __init__(self, facts: Facts) -> None:
        self.facts = facts
        self._reads: dict[int, Reads] = {}

    @classmethod
    def of(cls, facts: Facts) -> Effects:
        return facts.memo(cls, lambda: cls(facts))

    # -- what one RUN reads ---------------------------------------------------------------------

    def reads(self, instruction: Instruction) -> Reads:
        """What a RUN (or ONBUILD RUN) may read from the image before writing it itself."""
        key = id(instruction)
        if key not in self._reads:
            self._reads[key] = self._compute_reads(instruction)
        return self._reads[key]

    def _compute_reads(self, instruction: Instruction) -> Reads:
        from ..shell.effects import Reads, script_reads

        analysis = self.facts.run_analysis(instruction)
        if analysis.script is None:
            reason = analysis.reason.value if analysis.reason is not None else "not analysable"
            return Reads(anything=f"its script is not one dockopt can read ({reason})")
        scope = self.facts.scopes.get(instruction)
        env: dict[str, str] = {}
        workdir = None
        if scope is not None:
            for name, value in (*scope.args.items(), *scope.env.items()):
                if value.text is not None:
                    env[name] = value.text
            workdir = scope.workdir.text
        return script_reads(analysis.script, workdir=workdir, env=env, home=self.home(instruction))

    def home(self, instruction: Instruction) -> str | None:
        """$HOME of the instruction's user when known: an ENV HOME, or /root for root."""
        scope = self.facts.scopes.get(instruction)
        if scope is not None and "HOME" in scope.env:
            return scope.env["HOME"].text
        user = None
        if instruction.stage is not None:
            for item in reversed(self.facts.before(instruction)):
                if item.name == "USER" and item.value:
                    user = item.value[0]
                    break
        return "/root" if user is None or user.split(":")[0] in ROOT_USERS else None

    # -- who reads what an instruction leaves -----------------------------------------------------

    def reader(self, instruction: Instruction, paths: Iterable[str], *, cache: bool = False) -> Reader | None:
        """The first later instruction that may read any of ``paths`` (absolute) as ``instruction``
        leaves them, or None when provably nothing does.

        ``cache``: the paths are a package manager's cache, which an ordinary run only uses as a
        shortcut (it fetches again what is missing); only a reader known to need it as data (an
        offline install, ``--find-links`` into it, a copy of it to another stage) counts. A command
        dockopt has no model of is not assumed to be an offline install.
        """
        wanted = [posixpath.normpath(p) for p in paths]
        if instruction.stage is None:
            return None
        stage = instruction.stage
        rest = self.facts.tree.stages[stage].instructions[self.facts.index_in_stage(instruction) + 1 :]
        found = self._chain(rest, wanted, cache)
        if found is not None:
            return found
        if not self._refreshes(rest, wanted):
            for child in self._children(stage):
                found = self._subtree(child, wanted, cache)
                if found is not None:
                    return found
        return self._cross_stage(stage, wanted)

    def _chain(self, items: list[Instruction], wanted: list[str], cache: bool) -> Reader | None:
        for item in items:
            target = item.sub or item
            if target.name != "RUN":
                continue
            reads = self.reads(item)
            for path in wanted:
                why = reads.reads_known(path)
                if why:
                    return Reader(item, why)
            if reads.anything and not cache:
                return Reader(item, reads.anything, certain=False)
            if item.sub is None and self._refreshes([item], wanted):
                return None
        return None

    def _refreshes(self, items: list[Instruction], wanted: list[str]) -> bool:
        """Some RUN of ``items`` downloads every one of ``wanted`` afresh before anyone reads it."""
        from ..shell.effects import APT_LISTS
        from ..shell.managers import invocations

        if wanted != [APT_LISTS]:
            return False
        for item in items:
            if item.sub is not None or item.name != "RUN":
                continue
            script = self.facts.script(item)
            if script is not None and any(
                i.family == "apt" and i.subcommand == "update" for i in invocations(script)
            ):
                return True
        return False

    def _children(self, stage: int) -> list[int]:
        return [s.index for s in self.facts.tree.stages if self.facts.graph.parents.get(s.index) == stage]

    def _subtree(self, stage: int, wanted: list[str], cache: bool) -> Reader | None:
        items = self.facts.tree.stages[stage].instructions
        found = self._chain(items, wanted, cache)
        if found is not None or self._refreshes(items, wanted):
            return found
        for child in self._children(stage):
            found = self._subtree(child, wanted, cache)
            if found is not None:
                return found
        return None

    def _descendants(self, stage: int) -> set[int]:
        result = {stage}
        todo = [stage]
        while todo:
            for child in self._children(todo.pop()):
                if child not in result:
                    result.add(child)
                    todo.append(child)
        return result

    def _cross_stage(self, stage: int, wanted: list[str]) -> Reader | None:
        """COPY --from / RUN --mount from= of this stage or a stage built on it, by the paths named."""
        sources = self._descendants(stage)
        graph = self.facts.graph
        for item in self.facts.tree.instructions:
            target = item.sub or item
            if target.name in ("COPY", "ADD"):
                for ref in target.flag_values("from"):
                    if graph.stage_ref(ref) in sources:
                        for source in target.value[:-1] if target.value else []:
                            hit = _overlap("/" + source.lstrip("/"), wanted)
                            if hit:
                                return Reader(item, f"it copies {source} from that stage")
            elif target.name == "RUN":
                for mount in target.flag_values("mount"):
                    refs = _MOUNT_FROM.findall(mount)
                    if not refs or graph.stage_ref(refs[0].strip("\"'")) not in sources:
                        continue
                    options = dict(part.partition("=")[::2] for part in mount.split(","))
                    source = options.get("source") or options.get("src") or "/"
                    if _overlap("/" + source.lstrip("/"), wanted):
                        return Reader(item, f"it mounts {source} of that stage")
        return None


def _overlap(path: str, wanted: list[str]) -> str | None:
    path = posixpath.normpath(path)
    if "*" in path or "?" in path or "[" in path or "$" in path:
        return path  # a pattern or a variable could name anything
    for other in wanted:
        if (
            path == other
            or path.startswith(other.rstrip("/") + "/")
            or other.startswith(path.rstrip("/") + "/")
        ):
            return other
    return None
