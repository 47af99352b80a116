"""DO403 on a real engine: the pre-fetch leaves the image as it was, and a source edit keeps it cached.

The lab reaches no Go proxy and no Maven Central, so each app fetches nothing from outside:
- go: a standard-library-only module (``go mod download`` has nothing to download and works
  offline), built from ``COPY . .`` then ``go build``; once more with DO312's cache mounts;
- go-work: a go.work with two modules (the api imports the other without a ``require``: with one,
  ``go mod download`` looks it up in the proxy — golang/go#51946 — and DO403 only reports);
- go-replace: a ``replace`` to a module directory inside the project;
- maven-wrapper: the seed's shape (``COPY mvnw pom.xml ./``, ``COPY src ./src``, ``RUN ./mvnw -B
  package``) with a stand-in ``mvnw`` in the context: ``dependency:go-offline`` records the pom's
  digest in ``~/.m2/repository`` as a download would, ``package`` does the same and compiles with
  javac. Real Maven is judged on the rewritten text (fixtures/DO403); this proves the mechanics —
  where the step goes, that the image is unchanged, that the step is a cache hit after an edit.

For each: build the original and the rewritten Dockerfile from scratch, compare the final
filesystems and configs (``optimizer.verify``, as ``dockopt verify`` does), run both images, then
edit one source file and rebuild both with the cache: the rewritten build takes the pre-fetch from
the cache, and the build step runs again in both.
"""

from __future__ import annotations

import shutil
import uuid
from dataclasses import dataclass
from pathlib import Path

import pytest

from optimizer.core.config import Settings
from optimizer.engine import fix_text
from optimizer.rules.base import registered
from optimizer.verify.compare import compare_snapshots
from optimizer.verify.describe import render_comparison
from optimizer.verify.docker import BuildResult, DockerCLI

pytestmark = pytest.mark.engine

APPS = Path(__file__).parent / "apps" / "prefetch"
GO_BUILD_CACHE = "RUN --mount=type=cache,target=/root/.cache/go-build"
GO_MOUNTS = "RUN --mount=type=cache,target=/root/.cache/go-build --mount=type=cache,target=/go/pkg/mod"
DO403 = Settings(select=("DO403",), unsafe_fixes=True)
WITH_DO312 = Settings(select=("DO403", "DO312"), unsafe_fixes=True, cache_strategy="mounts")


@dataclass(frozen=True)
class Case:
    app: str  # folder under APPS
    settings: Settings
    edited: str  # the file the developer edits
    prefetch: str  # the pre-fetch step's name (as BuildKit shows it)
    build: str  # the build step's name
    output: str  # what the image prints
    original_build: str = ""  # the build step's name in the original, when another rule changes it

    @property
    def build_before(self) -> str:
        return self.original_build or self.build


CASES = {
    case.app if case.settings is DO403 else f"{case.app}+DO312": case
    for case in (
        Case("go", DO403, "main.go", f"{GO_BUILD_CACHE} CGO_ENABLED=0 go mod download",
             f"{GO_BUILD_CACHE} CGO_ENABLED=0 go build", "hello from go"),
        # DO312 then gives both RUNs the module-cache mount: the pre-fetch fills it, the build reads it
        Case("go", WITH_DO312, "main.go", f"{GO_MOUNTS} CGO_ENABLED=0 go mod download",
             f"{GO_MOUNTS} CGO_ENABLED=0 go build", "hello from go", f"{GO_BUILD_CACHE} CGO_ENABLED=0 go build"),
        Case("go-work", DO403, "greet/greet.go", f"{GO_BUILD_CACHE} go mod download",
             f"{GO_BUILD_CACHE} go build", "hello from a go workspace"),
        # a local replace inside the project: its go.mod is copied with the main one
        Case("go-replace", DO403, "lib/lib.go", f"{GO_BUILD_CACHE} go mod download",
             f"{GO_BUILD_CACHE} go build", "hello through a replace"),
        Case("maven-wrapper", DO403, "src/main/java/app/App.java", "RUN ./mvnw -B dependency:go-offline",
             "RUN ./mvnw -B package", "hello from java"),
    )
}  # fmt: skip
RESULTS: dict[str, dict[str, float | str]] = {}


def _step(build: BuildResult, prefix: str):
    steps = [
        s
        for s in build.steps
        if s.is_instruction and " ".join(s.name.partition("] ")[2].split()).startswith(prefix)
    ]
    assert len(steps) == 1, [s.name for s in build.steps]
    return steps[0]


@pytest.fixture(scope="module")
def docker(engine_env):
    cli = DockerCLI(env=engine_env, timeout=900)
    cli.detect()
    return cli


@pytest.mark.parametrize("app", sorted(CASES))
def test_prefetch_keeps_the_image_and_is_cached_after_a_source_edit(app, docker, tmp_path):
    case = CASES[app]
    edited, prefetch, build_step, output = case.edited, case.prefetch, case.build, case.output
    context = tmp_path / "context"
    shutil.copytree(APPS / case.app, context)
    original = (context / "Dockerfile").read_text()
    outcome = fix_text(original, case.settings, path=context / "Dockerfile", context_dir=context)
    applied = sorted({f.code for f in outcome.applied})
    assert applied == sorted(case.settings.select), outcome.remaining
    rewritten = outcome.output
    assert prefetch in " ".join(rewritten.replace("\\\n", " ").split())

    prefix = f"dockopt-prefetch-{case.app}-{uuid.uuid4().hex[:8]}"
    tags = {name: f"{prefix}:{name}" for name in ("original", "rewritten", "original-edit", "rewritten-edit")}
    try:
        cold = {
            "original": docker.build(original, context, tags["original"], no_cache=True),
            "rewritten": docker.build(rewritten, context, tags["rewritten"], no_cache=True),
        }
        comparison = compare_snapshots(
            docker.snapshot(tags["original"]),
            docker.snapshot(tags["rewritten"]),
            allowed_paths={code: rule.removes for code, rule in registered().items() if code in applied},
            changed_by={code: registered()[code].summary for code in applied},
        )
        assert comparison.equivalent, render_comparison(comparison)
        for tag in ("original", "rewritten"):
            run = docker._run(["run", "--rm", tags[tag]], timeout=120)  # the image still behaves
            assert run.returncode == 0 and output in run.stdout, run.stderr

        source = context / edited
        source.write_text(source.read_text() + f"\n// edited {uuid.uuid4().hex}\n")
        warm = {
            "original": docker.build(original, context, tags["original-edit"]),
            "rewritten": docker.build(rewritten, context, tags["rewritten-edit"]),
        }
        assert _step(cold["rewritten"], prefetch).status == "done"
        assert _step(warm["rewritten"], prefetch).status == "cached"  # the point of the rule
        assert _step(warm["rewritten"], build_step).status == "done"
        assert _step(warm["original"], case.build_before).status == "done"  # downloads again there
        RESULTS[app] = {
            "original cold": cold["original"].seconds,
            "rewritten cold": cold["rewritten"].seconds,
            "original rebuild": warm["original"].seconds,
            "rewritten rebuild": warm["rewritten"].seconds,
            "prefetch after edit": _step(warm["rewritten"], prefetch).status,
            "build step original rebuild": _step(warm["original"], case.build_before).seconds or 0.0,
            "build step rewritten rebuild": _step(warm["rewritten"], build_step).seconds or 0.0,
        }
    finally:
        docker.remove(*tags.values())


def test_print_the_build_table(capsys):
    """Runs last in this module: the numbers for the issue's closing note."""
    if not RESULTS:
        pytest.skip("no build ran")
    with capsys.disabled():
        print(
            "\napp                 original cold  rewritten cold  original rebuild  rewritten rebuild  "
            "pre-fetch after edit  build step after edit (original, rewritten)"
        )
        for app, row in sorted(RESULTS.items()):
            print(
                f"{app:19} {row['original cold']:12.1f}s {row['rewritten cold']:14.1f}s "
                f"{row['original rebuild']:16.1f}s {row['rewritten rebuild']:17.1f}s  {row['prefetch after edit']:20}"
                f"  {row['build step original rebuild']:.1f}s, {row['build step rewritten rebuild']:.1f}s"
            )
