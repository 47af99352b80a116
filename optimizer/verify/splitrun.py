"""The engine side of a split verdict: read files from both images, run both, judge (``split.py``).

Called by ``pipeline.verify_variants`` (through ``measure``'s ``while_built`` hook) while the
built images still exist.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import TYPE_CHECKING

from .behaviour import DEFAULT_TIMEOUT, Behaviour, run_pair
from .docker import EngineError
from .probe import ContainerFiles
from .split import SplitComparison, compare_split, dockerfile_facts

if TYPE_CHECKING:
    from .docker import DockerCLI
    from .snapshot import Snapshot

ORIGINAL = "original"


def judge_splits(
    docker: DockerCLI,
    original_text: str,
    tags: Mapping[str, str],
    snapshots: Mapping[str, Snapshot],
    allowed: Mapping[str, Mapping[str, Sequence[str]]],
    texts: Mapping[str, str],
    *,
    smoke: Sequence[str] = (),
    timeout: float | None = None,
    progress: Callable[[str], None] | None = None,
) -> dict[str, SplitComparison]:
    """label -> verdict, for every split label in ``allowed`` (label -> rule -> declared paths) that
    was built; ``texts`` are the rewritten Dockerfiles by label (their final FROM is the twin base)."""
    say = progress or (lambda _m: None)
    facts = dockerfile_facts(original_text)
    results: dict[str, SplitComparison] = {}
    before = snapshots[ORIGINAL]
    base_cache: dict[str, set[str] | None] = {}

    def paths_of(image: str) -> set[str] | None:
        if image not in base_cache:
            try:
                base_cache[image] = set(docker.snapshot(image).files)
            except EngineError:
                base_cache[image] = None
        return base_cache[image]

    with ContainerFiles(docker, tags[ORIGINAL]) as before_files:
        for label, rule_paths in allowed.items():
            if label not in snapshots or label not in tags:
                continue
            after = snapshots[label]
            with ContainerFiles(docker, tags[label]) as after_files:
                behaviour: tuple[Behaviour, Behaviour] | None = None
                try:
                    say(f"{label}: running both images ({timeout or DEFAULT_TIMEOUT:.0f} s each)")
                    behaviour = run_pair(
                        docker,
                        tags[ORIGINAL],
                        tags[label],
                        ports=before.config.exposed_ports,
                        healthcheck=list((before.config.healthcheck or {}).get("Test") or []) or None,
                        smoke=smoke,
                        timeout=timeout or DEFAULT_TIMEOUT,
                    )
                except EngineError as exc:
                    behaviour = None
                    say(f"{label}: could not run the images: {exc}")

                def bases(label: str = label) -> tuple[set[str], set[str]] | None:
                    twin_base = dockerfile_facts(texts[label]).final_base if label in texts else ""
                    if not facts.final_base or not twin_base:
                        return None
                    a, b = paths_of(facts.final_base), paths_of(twin_base)
                    return None if a is None or b is None else (a, b)

                say(f"{label}: checking config, runtime closure and dropped paths")
                result = compare_split(
                    before,
                    after,
                    facts=facts,
                    before_reader=before_files,
                    after_reader=after_files,
                    allowed_paths=rule_paths,
                    behaviour=behaviour,
                    base_paths=bases,
                )
                if behaviour is None:
                    result.behaviour_notes.append("the images could not be run")
                results[label] = result
    return results
