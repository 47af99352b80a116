"""How the stages of a multi-stage build depend on each other.

Rules ask: is this the final stage? Does any other stage build on this one (``FROM base``), copy
from it (``COPY --from=base``) or mount it (``RUN --mount=from=base``)? Those are the stages whose
content ends up somewhere that matters (hadolint's DL3009 judgment), as opposed to a stage that
is never used by the default target.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from ..syntax import Dockerfile, Instruction, Stage

_MOUNT_FROM = re.compile(r"(?:^|,)from=([^,]+)")


@dataclass
class StageGraph:
    tree: Dockerfile
    parents: dict[int, int | None] = field(default_factory=dict)  # FROM <stage>
    copied_from: dict[int, set[int]] = field(default_factory=dict)  # stage -> stages that COPY/mount it

    def stage_ref(self, ref: str) -> int | None:
        """The stage a ``--from``/``FROM`` reference names (alias or index), or None for an image."""
        ref = ref.strip().lower()
        for stage in self.tree.stages:
            if stage.name is not None and stage.name == ref:
                return stage.index
        if ref.isdigit() and int(ref) < len(self.tree.stages):
            return int(ref)
        return None

    def lineage(self, stage: int) -> list[int]:
        """The stage and the stages it is built FROM, nearest first."""
        chain = [stage]
        while (parent := self.parents.get(chain[-1])) is not None and parent not in chain:
            chain.append(parent)
        return chain

    @property
    def final(self) -> Stage | None:
        return self.tree.stages[-1] if self.tree.stages else None

    def used_by_others(self, index: int) -> bool:
        """Another stage builds on, copies from or mounts this one."""
        return bool(self.copied_from.get(index)) or any(p == index for p in self.parents.values())

    def matters(self, index: int) -> bool:
        """The stage ends up in an image: it is the final one or others use it (DL3009's reading)."""
        final = self.final
        return (final is not None and index == final.index) or self.used_by_others(index)

    def reaches_final(self, index: int) -> bool:
        """The default target (the last stage) depends on this stage, directly or not."""
        final = self.final
        if final is None:
            return False
        needed: set[int] = set()
        todo = [final.index]
        while todo:
            current = todo.pop()
            if current in needed:
                continue
            needed.add(current)
            parent = self.parents.get(current)
            if parent is not None:
                todo.append(parent)
            todo += [source for source, users in self.copied_from.items() if current in users]
        return index in needed


def build_graph(tree: Dockerfile) -> StageGraph:
    graph = StageGraph(tree)
    for stage in tree.stages:
        graph.parents[stage.index] = _earlier(graph, stage.base, stage.index)
    for stage in tree.stages:
        for instruction in stage.instructions:
            for ref in _references(instruction):
                source = _earlier(graph, ref, stage.index)
                if source is not None:
                    graph.copied_from.setdefault(source, set()).add(stage.index)
    return graph


def _earlier(graph: StageGraph, ref: str, before: int) -> int | None:
    index = graph.stage_ref(ref)
    return index if index is not None and index < before else None


def _references(instruction: Instruction) -> list[str]:
    target = instruction.sub or instruction
    refs = []
    if target.name in ("COPY", "ADD"):
        refs += target.flag_values("from")
    if target.name == "RUN":
        for mount in target.flag_values("mount"):
            refs += _MOUNT_FROM.findall(mount)
    return refs
