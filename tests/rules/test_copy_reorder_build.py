"""DO401 on a real engine: the rewrite builds the same image, and a source edit no longer reinstalls.

For each app in tests/rules/apps/copy_reorder (pip with requests; pip with its requirements in a
subdirectory, copied with ``--chown``; npm with express and a build step that reads the source; go
with a split ``go mod download && go build``): build the original and the
rewritten Dockerfile from scratch, compare the final filesystems, then edit one source file in a
temporary copy of the context and rebuild both with the cache. The rewritten build must take the
dependency install from the cache while the original runs it again. Times are printed (cold build,
rebuild after the edit) but only the cache hits are asserted: seconds depend on the machine.

Skipped unless the build lab answers (``engine_env``); PyPI and the npm registry must be reachable.
"""

from __future__ import annotations

import shutil
import uuid
from pathlib import Path

import pytest

from optimizer.core.config import Settings
from optimizer.engine import fix_text
from optimizer.verify.compare import compare_snapshots
from optimizer.verify.describe import render_comparison
from optimizer.verify.docker import BuildResult, DockerCLI

pytestmark = pytest.mark.engine

APPS = Path(__file__).parent / "apps" / "copy_reorder"
# app -> (the file the developer edits, text the install step's vertex name starts with)
CASES = {
    "pip": ("app.py", "RUN pip install"),
    "pip-subdir": ("backend/main.py", "RUN pip install"),  # manifests in a subdirectory, --chown
    "npm": ("index.js", "RUN --mount=type=cache,target=/root/.npm npm ci"),
    "go": ("main.go", "RUN --mount=type=cache,target=/root/.cache/go-build go mod download"),
}
RESULTS: dict[str, dict[str, float | str]] = {}


def _install_step(build: BuildResult, prefix: str):
    steps = [s for s in build.steps if s.is_instruction and s.name.partition("] ")[2].startswith(prefix)]
    assert len(steps) == 1, [s.name for s in build.steps]
    return steps[0]


def _cached_and_run(build: BuildResult) -> str:
    return f"{len(build.cached_instructions)}/{len(build.executed_instructions)}"


@pytest.fixture(scope="module")
def docker(engine_env):
    cli = DockerCLI(env=engine_env, timeout=900)
    cli.detect()
    return cli


@pytest.mark.parametrize("app", sorted(CASES))
def test_rewrite_builds_the_same_image_and_keeps_the_install_cached(app, docker, tmp_path):
    edited, install = CASES[app]
    context = tmp_path / "context"
    shutil.copytree(APPS / app, context)
    for folder in [context, *(p for p in context.rglob("*") if p.is_dir())]:
        folder.chmod(0o775)  # the copy takes directory modes from the context: make them differ from mkdir's
    original = (context / "Dockerfile").read_text()
    outcome = fix_text(
        original, Settings(select=("DO401",)), path=context / "Dockerfile", context_dir=context
    )
    assert [f.code for f in outcome.applied] == ["DO401"], outcome.remaining
    rewritten = outcome.output

    prefix = f"dockopt-test-do401-{app}-{uuid.uuid4().hex[:8]}"
    tags = {name: f"{prefix}:{name}" for name in ("original", "rewritten", "original-edit", "rewritten-edit")}
    try:
        cold = {
            "original": docker.build(original, context, tags["original"], no_cache=True),
            "rewritten": docker.build(rewritten, context, tags["rewritten"], no_cache=True),
        }
        comparison = compare_snapshots(
            docker.snapshot(tags["original"]),
            docker.snapshot(tags["rewritten"]),
            changed_by={"DO401": "copy manifests before the install"},
        )
        assert comparison.equivalent, render_comparison(comparison)

        source = context / edited
        # A fresh edit every run: the engine's cache outlives the test, and an edit it has seen before
        # would make even the original build a cache hit.
        comment = "#" if app.startswith("pip") else "//"
        source.write_text(source.read_text() + f"\n{comment} edited {uuid.uuid4().hex}\n")
        warm = {
            "original": docker.build(original, context, tags["original-edit"]),
            "rewritten": docker.build(rewritten, context, tags["rewritten-edit"]),
        }
        assert _install_step(warm["original"], install).status == "done"  # reinstalls everything
        assert _install_step(warm["rewritten"], install).status == "cached"  # the point of the rule
        assert _install_step(cold["rewritten"], install).status == "done"
        RESULTS[app] = {
            "original cold": cold["original"].seconds,
            "rewritten cold": cold["rewritten"].seconds,
            "original rebuild": warm["original"].seconds,
            "rewritten rebuild": warm["rewritten"].seconds,
            "original cached/run": _cached_and_run(warm["original"]),
            "rewritten cached/run": _cached_and_run(warm["rewritten"]),
            "install cold": _install_step(cold["original"], install).seconds or 0.0,
            "install rerun": _install_step(warm["original"], install).seconds or 0.0,
        }
    finally:
        docker.remove(*tags.values())


def test_print_the_build_table(capsys):
    """Runs last in this module: the numbers for the issue's closing note."""
    if not RESULTS:
        pytest.skip("no build ran")
    with capsys.disabled():
        print(
            "\napp        original cold  rewritten cold  original rebuild  rewritten rebuild  install step in the "
            "original rebuild  cached/run steps after the edit (original, rewritten)"
        )
        for app, row in sorted(RESULTS.items()):
            print(
                f"{app:10} {row['original cold']:13.1f}s {row['rewritten cold']:14.1f}s {row['original rebuild']:16.1f}s "
                f"{row['rewritten rebuild']:17.1f}s  {row['install rerun']:8.1f}s (cold {row['install cold']:.1f}s)"
                f"  {row['original cached/run']}, {row['rewritten cached/run']}"
            )
