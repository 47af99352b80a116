"""A stand-in for ``DockerCLI`` that records what verify asks for and answers from a script.

``snapshot_for(text)`` decides what image a Dockerfile text "builds"; ``fail(text)`` may return a
failing step name (and then the build raises BuildFailed like the real driver does). Timings come
from ``timings[phase]`` (phase = cold/noop/edit, read from the tag verify gives each build), one value
per run, so tests can check medians.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path

from optimizer.verify.docker import BuildFailed, BuildResult, BuildStep, EngineInfo, EngineUnavailable
from optimizer.verify.snapshot import Snapshot


@dataclass
class Call:
    text: str
    context: Path
    tag: str
    no_cache: bool
    target: str | None
    build_args: dict[str, str]
    files: dict[str, bytes]  # the context's files when the build ran

    @property
    def phase(self) -> str:
        return self.tag.rsplit(":", 1)[1].rsplit("-", 1)[1].rstrip("0123456789")

    @property
    def label(self) -> str:
        return self.tag.rsplit(":", 1)[1].rsplit("-", 1)[0]


@dataclass
class FakeDocker:
    snapshot_for: Callable[[str], Snapshot]
    fail: Callable[[str], str | None] = lambda _text: None
    unavailable: str | None = None
    timings: Mapping[str, list[float]] = field(
        default_factory=lambda: {"cold": [10.0, 30.0, 20.0], "noop": [0.5, 0.7, 0.6], "edit": [4.0, 2.0, 3.0]}
    )
    calls: list[Call] = field(default_factory=list)
    removed: list[str] = field(default_factory=list)
    log_for_failure: Callable[[str, str], str] | None = None

    def detect(self) -> EngineInfo:
        if self.unavailable:
            raise EngineUnavailable(self.unavailable)
        return EngineInfo("26.1.5", "26.1.5", "1.45", "0.13.1")

    def build(
        self,
        text: str,
        context: str | Path,
        tag: str,
        *,
        target: str | None = None,
        build_args: Mapping[str, str] | None = None,
        no_cache: bool = False,
        dockerfile_path: str | Path | None = None,
    ) -> BuildResult:
        context = Path(context)
        files = {
            p.relative_to(context).as_posix(): p.read_bytes()
            for p in sorted(context.rglob("*"))
            if p.is_file()
        }
        call = Call(text, context, tag, no_cache, target, dict(build_args or {}), files)
        self.calls.append(call)
        failing = self.fail(text)
        if failing is not None:
            log = (
                self.log_for_failure(text, failing)
                if self.log_for_failure
                else f"#7 {failing}\n#7 ERROR: process did not complete successfully: exit code: 1\n"
            )
            tail = log.rstrip().splitlines()[-25:]
            raise BuildFailed(f"docker build of {tag} failed: {tail[-1]}", tail, log)
        instructions = [
            line.strip()
            for line in text.splitlines()
            if line.strip() and not line.lstrip().startswith("#") and not line.upper().startswith("FROM")
        ]
        steps = []
        copied = False
        for index, instruction in enumerate(instructions, start=2):
            copied = copied or instruction.upper().startswith(("COPY", "ADD"))
            if call.phase == "noop" or (call.phase == "edit" and not copied):
                status = "cached"
            else:
                status = "done"
            steps.append(BuildStep(index, f"[{index}/{len(instructions) + 1}] {instruction}", status, 0.1))
        runs_so_far = sum(1 for c in self.calls if c.label == call.label and c.phase == call.phase) - 1
        seconds = self.timings[call.phase][runs_so_far % len(self.timings[call.phase])]
        image_id = "sha256:" + hashlib.sha256(text.encode()).hexdigest()
        return BuildResult(tag, image_id, seconds, tuple(steps), "")

    def snapshot(self, ref: str) -> Snapshot:
        text = next(c.text for c in self.calls if c.tag == ref)
        return self.snapshot_for(text)

    def remove(self, *refs: str) -> None:
        self.removed.extend(refs)

    @property
    def built_tags(self) -> list[str]:
        return [c.tag for c in self.calls]
