"""The facts every rule reads, computed once per round of the fix loop and only when asked for.

A rule gets one ``Facts``: the parsed tree and its text, the settings that apply, where the file
came from, and — lazily, each computed at most once per round — the RUN scripts (shell model), the
stage graph with lineage and positions, WORKDIR/ENV/ARG scopes, the build context with its
``.dockerignore``, and the ``# dockopt:`` suppressions. Facts that do not depend on the text (the
build context's files) are kept for the whole run in a ``Session``. Rule families derive their own
views from these facts with ``memo`` (built once per round, shared by every rule of the family).

Rules never import the engine and never call each other: what they need to know about the file is
here, and how interacting rules are ordered is the engine's business (phases).
"""

from __future__ import annotations

import re
from bisect import bisect_right
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar, cast

from ..core.config import Settings
from ..syntax import Dockerfile, Instruction
from .pragmas import Suppressions, collect
from .stages import StageGraph, build_graph

if TYPE_CHECKING:
    from ..shell import RunAnalysis, Script
    from .context import BuildContext
    from .runtime import RuntimeFacts
    from .scope import Scope

T = TypeVar("T")


@dataclass
class Session:
    """What stays true for a whole run over one file: where it is and its build context."""

    path: Path | None = None  # the Dockerfile's path (None for stdin without --stdin-filename)
    context_dir: Path | None = None  # the build context, when known
    # What a build of the original image showed (``--verify``: linked libraries, users, OS
    # release…); None when no image was built. Rules that plan from it also plan without it.
    runtime: RuntimeFacts | None = None
    # Second files (the .dockerignore) as the fixes applied so far leave them: path -> text. The
    # build context is read through this overlay, so a rule sees its own earlier edits.
    files: dict[Path, str] = field(default_factory=dict)
    revision: int = 0  # bumped whenever ``files`` changes (the engine keys its "clean" memo on it)
    _context: tuple[BuildContext | None, str | None] | None = field(default=None, repr=False)

    def build_context(self) -> tuple[BuildContext | None, str | None]:
        """The build context, or why there is none to look at (opened once per run)."""
        if self._context is None:
            self._context = _open_context(self.context_dir, self.path, self.files)
        return self._context

    def set_files(self, files: dict[Path, str]) -> None:
        """The second files' new texts (the build context is read again through them)."""
        if files != self.files:
            self.files = dict(files)
            self.revision += 1
            self._context = None


def _open_context(
    context_dir: Path | None, path: Path | None, overlay: dict[Path, str] | None = None
) -> tuple[BuildContext | None, str | None]:
    from .context import BuildContext
    from .dockerignore import IgnoreFileError

    if context_dir is None or not Path(context_dir).is_dir():
        return None, "no build context to look at (pass --context DIR): the manifests cannot be checked"
    try:
        context = BuildContext(context_dir, path, overlay=overlay)
        context.excluded(".")
    except IgnoreFileError as exc:
        return None, f"the .dockerignore cannot be read ({exc}): the manifests cannot be checked"
    except OSError as exc:
        return None, f"the build context cannot be read ({exc})"
    return context, None


_run_analysis: Callable[[Dockerfile, Instruction], RunAnalysis] | None = None


def _shell_run_analysis() -> Callable[[Dockerfile, Instruction], RunAnalysis]:
    """``shell.run_analysis``, imported on first use (asked thousands of times per corpus run, so
    not through an import statement each time)."""
    global _run_analysis
    if _run_analysis is None:
        from ..shell import run_analysis

        _run_analysis = run_analysis
    return _run_analysis


class Facts:
    """One round's view of the Dockerfile for the rules."""

    def __init__(
        self,
        tree: Dockerfile,
        text: str,
        settings: Settings,
        path: Path | None = None,
        context_dir: Path | None = None,
        *,
        session: Session | None = None,
    ) -> None:
        self.tree = tree
        self.text = text
        self.settings = settings
        self.session = session or Session(path, context_dir)
        self._memo: dict[Any, Any] = {}

    @property
    def path(self) -> Path | None:
        return self.session.path

    @property
    def context_dir(self) -> Path | None:
        return self.session.context_dir

    # -- positions -------------------------------------------------------------------------------

    @cached_property
    def _line_starts(self) -> list[int]:
        return [0, *(match.end() for match in re.finditer("\n", self.text))]

    def position(self, offset: int) -> tuple[int, int]:
        """1-based (line, column) of a text offset, counted the way editors count."""
        line = bisect_right(self._line_starts, offset)
        column = offset - self._line_starts[line - 1] + 1
        if line == 1 and self.tree.bom:
            column -= len(self.tree.bom)
        return line, column

    # -- RUN scripts -----------------------------------------------------------------------------

    def run_analysis(self, instruction: Instruction) -> RunAnalysis:
        """The shell model of a RUN (or ONBUILD RUN), or why there is none."""
        return _shell_run_analysis()(self.tree, instruction)

    def script(self, instruction: Instruction) -> Script | None:
        return self.run_analysis(instruction).script

    # -- stages ----------------------------------------------------------------------------------

    @cached_property
    def graph(self) -> StageGraph:
        return build_graph(self.tree)

    @cached_property
    def _positions(self) -> dict[int, int]:
        return {
            id(item): index for stage in self.tree.stages for index, item in enumerate(stage.instructions)
        }

    def index_in_stage(self, instruction: Instruction) -> int:
        """The instruction's position among its stage's instructions."""
        return self._positions[id(instruction)]

    def stage_of(self, instruction: Instruction) -> list[Instruction]:
        assert instruction.stage is not None
        return self.tree.stages[instruction.stage].instructions

    def next_in_stage(self, instruction: Instruction) -> Instruction | None:
        items = self.stage_of(instruction)
        position = self.index_in_stage(instruction) + 1
        return items[position] if position < len(items) else None

    def previous_in_stage(self, instruction: Instruction) -> Instruction | None:
        position = self.index_in_stage(instruction)
        return self.stage_of(instruction)[position - 1] if position > 0 else None

    def lineage(self, stage: int) -> list[int]:
        """The stage and the stages it is built FROM, nearest first."""
        return self.graph.lineage(stage)

    def before(self, instruction: Instruction) -> list[Instruction]:
        """Instructions that ran before ``instruction`` in its image: its stage and its FROM-stages."""
        found: list[Instruction] = []
        for index in self.lineage(instruction.stage or 0):
            items = self.tree.stages[index].instructions
            if index == instruction.stage:
                items = items[: self.index_in_stage(instruction)]
            found = list(items) + found
        return found

    def after(self, instruction: Instruction) -> list[Instruction]:
        """Instructions that run later on top of this one's result: the rest of its stage, and every
        stage built FROM it (directly or not)."""
        stage = instruction.stage or 0
        found = list(self.tree.stages[stage].instructions[self.index_in_stage(instruction) + 1 :])
        for other in self.tree.stages:
            if other.index != stage and stage in self.lineage(other.index)[1:]:
                found += other.instructions
        return found

    def runs(self) -> Iterator[Instruction]:
        """RUN instructions of the stages (not ONBUILD triggers)."""
        return (item for item in self.tree.instructions if item.name == "RUN" and item.stage is not None)

    # -- scopes, build context, suppressions -------------------------------------------------------

    @cached_property
    def scopes(self) -> dict[Instruction, Scope]:
        from .scope import instruction_scopes

        return instruction_scopes(self.tree)

    def build_context(self) -> tuple[BuildContext | None, str | None]:
        """The build context (opened once per run), or why there is none to look at."""
        return self.session.build_context()

    @cached_property
    def suppressions(self) -> Suppressions:
        return collect(self.tree)

    # -- views derived by rule families ----------------------------------------------------------

    def close(self) -> None:
        """Drop the round's derived views. They point back at these facts (a family's view keeps
        its ``facts``), so without this every round would leave a reference cycle for the cyclic
        collector to find; the engine calls it when a round's facts are replaced or the run ends."""
        self._memo.clear()

    def memo(self, key: Any, factory: Callable[[], T]) -> T:
        """``factory()`` computed once per round under ``key`` (a family's shared view of the facts)."""
        if key not in self._memo:
            self._memo[key] = factory()
        return cast(T, self._memo[key])
