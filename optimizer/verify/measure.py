"""Build several Dockerfile texts against one private copy of a context, and time them fairly.

The order of the builds matters, because they share one build cache:

1. ``runs`` rounds of cold builds (``--no-cache``), each round building every text once, then
   ``runs`` rounds of no-op rebuilds (everything cached, so this is the floor: context transfer,
   cache lookups, export); a text's no-op rebuild is cached whatever was built in between;
2. ``runs`` rounds of rebuilds, each right after appending a line with a fresh random token to the
   chosen source file (``Workspace.edit``). Every edit makes content no cache has seen, so each
   rebuild redoes exactly what an edit invalidates for that Dockerfile, whatever was built before;
3. last, untimed: the image of each text's first cold build (built from the pristine context, and
   still tagged) is saved and flattened; that is what gets compared. Saving a 1 GB image keeps the
   disk busy for a while, which would otherwise slow down whatever build is timed next.

Rounds interleave the texts so that drift over time (a warming proxy, a busy machine) does not favour
the text that happens to go first.

Every image gets its own tag (``dockopt-verify-<random>:<label>-<phase><n>``) and all of them are
removed at the end, as is the context copy.
"""

from __future__ import annotations

import statistics
import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path

from .docker import BuildFailed, BuildResult, DockerCLI, EngineError
from .snapshot import Snapshot
from .workspace import EditTarget, Workspace

Progress = Callable[[str], None]


def median(values: list[float]) -> float | None:
    return statistics.median(values) if values else None


@dataclass(slots=True)
class Measurement:
    """What one Dockerfile text costs and produces."""

    label: str
    image_id: str = ""
    size: int | None = None  # bytes the engine reports for the image (``docker image inspect`` Size)
    uncompressed_size: int | None = None  # sum of the layer tars
    layers: int | None = None
    cold: list[float] = field(default_factory=list)  # seconds, one per run
    noop: list[float] = field(default_factory=list)
    edit: list[float] = field(default_factory=list)
    edit_cached: list[str] = field(default_factory=list)  # steps served from cache in the last edit rebuild
    edit_executed: list[str] = field(default_factory=list)  # steps that ran again
    # The rebuild after editing a file the rewrite's .dockerignore leaves out (DO6xx): the original
    # copies it, so its edit reruns the steps after the COPY; the rewrite should be fully cached.
    ignored_edit: list[float] = field(default_factory=list)
    ignored_edit_cached: list[str] = field(default_factory=list)
    ignored_edit_executed: list[str] = field(default_factory=list)

    @property
    def image_size(self) -> int | None:
        return self.size if self.size is not None else self.uncompressed_size

    @property
    def cold_median(self) -> float | None:
        return median(self.cold)

    @property
    def noop_median(self) -> float | None:
        return median(self.noop)

    @property
    def edit_median(self) -> float | None:
        return median(self.edit)

    @property
    def cache_hits(self) -> tuple[int, int] | None:
        """(steps cached, steps in total) in the rebuild after the edit; None when none was measured."""
        if not self.edit:
            return None
        return len(self.edit_cached), len(self.edit_cached) + len(self.edit_executed)

    @property
    def ignored_hits(self) -> tuple[int, int] | None:
        """(steps cached, steps in total) after editing the newly ignored file; None: not measured."""
        if not self.ignored_edit:
            return None
        return len(self.ignored_edit_cached), len(self.ignored_edit_cached) + len(self.ignored_edit_executed)


@dataclass(slots=True)
class BuildFailure:
    label: str
    phase: str  # "cold", "no-op", "edit"
    error: BuildFailed


@dataclass(slots=True)
class Measured:
    measurements: dict[str, Measurement]
    snapshots: dict[str, Snapshot]
    failures: dict[str, BuildFailure]
    edit_target: EditTarget | None
    skipped_files: list[str]
    cleanup_problems: list[str]
    repository: str = ""  # every image this session built was tagged ``<repository>:<label>``


class Builder:
    """Runs the builds of one measurement session; use as a context manager so tags are removed."""

    def __init__(
        self,
        docker: DockerCLI,
        workspace: Workspace,
        *,
        dockerfile_path: Path | None,
        target: str | None,
        build_args: Mapping[str, str] | None,
        ignores: Mapping[str, str] | None = None,
    ) -> None:
        self.ignores = dict(ignores or {})  # label -> its own .dockerignore text (a DO6xx rewrite)
        self.docker = docker
        self.workspace = workspace
        self.dockerfile_path = dockerfile_path
        self.target = target
        self.build_args = dict(build_args or {})
        self.repository = f"dockopt-verify-{uuid.uuid4().hex[:12]}"
        self.tags: list[str] = []
        self.cleanup_problems: list[str] = []

    def __enter__(self) -> Builder:
        return self

    def __exit__(self, *exc: object) -> None:
        self.remove_images()

    def remove_images(self) -> None:
        if not self.tags:
            return
        try:
            self.docker.remove(*self.tags)
        except EngineError as exc:
            self.cleanup_problems.append(
                f"could not remove the verify images ({exc}); remove {self.repository}:*"
            )
        self.tags = []

    def tag(self, label: str, phase: str, index: int) -> str:
        return f"{self.repository}:{label}-{phase}{index + 1}"

    def build(self, text: str, label: str, phase: str, index: int, *, no_cache: bool = False) -> BuildResult:
        tag = self.tag(label, phase, index)
        self.tags.append(tag)
        extra = {"ignore_text": self.ignores[label]} if label in self.ignores else {}
        return self.docker.build(
            text,
            self.workspace.context,
            tag,
            target=self.target,
            build_args=self.build_args,
            no_cache=no_cache,
            dockerfile_path=self.dockerfile_path,
            **extra,
        )


def measure(
    docker: DockerCLI,
    context_dir: Path,
    texts: Mapping[str, str],
    *,
    dockerfile_path: Path | None = None,
    target: str | None = None,
    build_args: Mapping[str, str] | None = None,
    runs: int = 1,
    progress: Progress | None = None,
    ignores: Mapping[str, str] | None = None,
    ignored_file: str | None = None,
    while_built: Callable[[Mapping[str, str], Mapping[str, Snapshot]], None] | None = None,
) -> Measured:
    """Build and time every text (the first one is the reference, normally the original).

    A build failure of the first text stops everything (nothing can be compared with it); a failure of
    another text is recorded in ``failures`` and the others go on. ``ignores`` gives a label its own
    .dockerignore text; ``ignored_file`` (context-relative) is a file one of them leaves out, edited
    for one more rebuild of every text (``Measurement.ignored_edit``). ``while_built`` is called with
    label -> image tag and label -> snapshot of every text that built, while the images still
    exist (to run them).
    """
    say = progress or (lambda _message: None)
    labels = list(texts)
    measurements = {label: Measurement(label) for label in labels}
    failures: dict[str, BuildFailure] = {}
    snapshots: dict[str, Snapshot] = {}
    with (
        Workspace(context_dir, texts[labels[0]], dockerfile_path) as workspace,
        Builder(
            docker,
            workspace,
            dockerfile_path=dockerfile_path,
            target=target,
            build_args=build_args,
            ignores=ignores,
        ) as builder,
    ):

        def rounds(phase: str, title: str, step: Callable[[str, Measurement, int], None]) -> bool:
            """Run ``step`` for every text, round by round (interleaved, so a drift in the network or
            the machine over time does not favour whichever text went first). False once the
            reference text has failed."""
            for i in range(runs):
                for label in labels:
                    if label in failures:
                        continue
                    say(f"{label}: {title} {i + 1}/{runs}")
                    try:
                        step(label, measurements[label], i)
                    except BuildFailed as exc:
                        failures[label] = BuildFailure(label, phase, exc)
                        if label == labels[0]:
                            return False
            return True

        def cold(label: str, m: Measurement, i: int) -> None:
            result = builder.build(texts[label], label, "cold", i, no_cache=True)
            m.cold.append(result.seconds)
            m.image_id = m.image_id or result.image_id

        def noop(label: str, m: Measurement, i: int) -> None:
            m.noop.append(builder.build(texts[label], label, "noop", i).seconds)

        def edited(label: str, m: Measurement, i: int) -> None:
            workspace.edit()
            result = builder.build(texts[label], label, "edit", i)
            m.edit.append(result.seconds)
            m.edit_cached = [s.name for s in result.cached_instructions]
            m.edit_executed = [s.name for s in result.executed_instructions]

        def ignored(label: str, m: Measurement, i: int) -> None:
            assert ignored_file is not None
            workspace.edit(ignored_file)
            result = builder.build(texts[label], label, "ignored", i)
            m.ignored_edit.append(result.seconds)
            m.ignored_edit_cached = [s.name for s in result.cached_instructions]
            m.ignored_edit_executed = [s.name for s in result.executed_instructions]

        if rounds("cold", "cold build", cold) and rounds("no-op", "no-op rebuild", noop):
            if workspace.target is not None:
                rounds("edit", f"rebuild after editing {workspace.target.path}", edited)
            if ignored_file is not None and (workspace.context / ignored_file).is_file():
                rounds("edit", f"rebuild after editing the ignored {ignored_file}", ignored)
            for label in labels:
                if label in failures and failures[label].phase != "edit":
                    continue
                say(f"{label}: reading the image")
                snapshot = docker.snapshot(builder.tag(label, "cold", 0))
                snapshots[label] = snapshot
                m = measurements[label]
                m.size, m.uncompressed_size = snapshot.engine_size, snapshot.uncompressed_size
                m.layers = snapshot.layer_count
            if while_built is not None:
                built = {label: builder.tag(label, "cold", 0) for label in snapshots}
                say("running the images")
                while_built(built, snapshots)
        return _result(measurements, snapshots, failures, workspace, builder)


def _result(
    measurements: dict[str, Measurement],
    snapshots: dict[str, Snapshot],
    failures: dict[str, BuildFailure],
    workspace: Workspace,
    builder: Builder,
) -> Measured:
    builder.remove_images()
    return Measured(
        measurements=measurements,
        snapshots=snapshots,
        failures=failures,
        edit_target=workspace.target,
        skipped_files=list(workspace.skipped),
        cleanup_problems=list(builder.cleanup_problems),
        repository=builder.repository,
    )
