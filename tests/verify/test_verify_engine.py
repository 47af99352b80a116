"""`dockopt verify` on a real engine, with the small apps in tests/verify/apps.

Skipped unless the build lab answers (``engine_env`` in tests/conftest.py; CI turns the skip into a
failure). The apps need no network: only the lab's stand-in base images and files from their context.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from optimizer.verify.docker import DockerCLI
from optimizer.verify.pipeline import verify
from optimizer.verify.report import render_text

from .testrules import AppendLine, with_rule

pytestmark = pytest.mark.engine

APPS = Path(__file__).parent / "apps"


def fingerprint(root: Path) -> dict[str, tuple[bytes, int]]:
    return {str(p): (p.read_bytes(), p.stat().st_mtime_ns) for p in sorted(root.rglob("*")) if p.is_file()}


def verify_images(docker: DockerCLI, repository: str) -> list[str]:
    """The images left under one verify run's own repository: other tests may build on the same
    engine at the same time, so the engine-wide list is not ours to compare."""
    out = docker._checked(
        ["image", "ls", "--format", "{{.Repository}}:{{.Tag}}", repository], "docker image ls"
    )
    return sorted(line for line in out.splitlines() if line.strip())


@pytest.fixture(scope="module")
def docker(engine_env) -> DockerCLI:
    return DockerCLI(env=engine_env, timeout=600)


def test_python_app_rewrite_is_equivalent_and_measured(docker):
    app = APPS / "pyapp"
    before = fingerprint(app)
    report = verify(app / "Dockerfile", docker=docker)
    assert report.exit_code == 0, render_text(report)
    assert {"DO101", "DO102"} <= set(report.applied_codes)  # and whatever other rules now apply
    original, rewritten = report.original, report.rewritten
    for m in (original, rewritten):
        assert m.image_size > 100_000_000 and m.layers >= 4
        assert m.cold and m.noop and m.edit
        cached, steps = m.cache_hits
        assert cached >= 1 and steps > cached  # WORKDIR stays cached; the COPY of the edited file redoes
    assert rewritten.layers <= original.layers
    assert report.edited_file in ("app/main.py", "app/greeting.py")
    assert fingerprint(app) == before  # nothing in the tree was written or touched
    assert report.image_repository and report.image_repository.startswith("dockopt-verify-")
    assert verify_images(docker, report.image_repository) == []  # every image verify built is gone


def test_multi_stage_go_app_through_the_cli_offline(engine_env):
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "optimizer",
            "verify",
            "--offline",
            "--format",
            "json",
            str(APPS / "goapp" / "Dockerfile"),
        ],
        capture_output=True,
        text=True,
        env=engine_env,
        timeout=900,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    data = json.loads(result.stdout)
    assert data["status"] == "equivalent"
    assert any("removed `# syntax=docker/dockerfile:1`" in note for note in data["notes"])
    assert data["edited_file"] == "main.go"  # go.mod is a manifest
    assert data["comparison"]["unexplained"] == []


def test_remote_syntax_frontend_without_offline_points_to_offline(docker):
    report = verify(APPS / "goapp" / "Dockerfile", docker=docker)
    assert report.exit_code == 2, render_text(report)
    assert report.problem.kind == "original-build"
    assert "rerun with --offline" in report.problem.message


def test_a_rewrite_that_deletes_a_needed_file_is_caught(docker):
    breaker = AppendLine("DO999", "delete-main", "RUN rm /app/main.py")
    report = verify(APPS / "pyapp" / "Dockerfile", docker=docker, rules=with_rule(breaker))
    assert report.exit_code == 1 and report.status == "not-equivalent"
    assert "DO999" in report.applied_codes
    assert [(d.path, d.change) for d in report.comparison.unexplained] == [("/app/main.py", "removed")]
    text = render_text(report)
    assert "equivalent: NO" in text and "DO999" in text
    assert "- /app/main.py (file" in text
