"""End to end on a real engine: build an original and a rewrite, save, flatten, compare.

Skipped unless the build lab answers (``engine_env`` in tests/conftest.py; CI turns the skip into a
failure). No network is needed: the Dockerfiles use only the local ``debian:bookworm-slim`` stand-in
and shell built-ins.
"""

from __future__ import annotations

import uuid

import pytest

from optimizer.verify.compare import compare_snapshots
from optimizer.verify.describe import render_comparison
from optimizer.verify.docker import BuildFailed, DockerCLI, strip_syntax_directive

pytestmark = pytest.mark.engine

ORIGINAL = """\
# syntax=docker/dockerfile:1
FROM debian:bookworm-slim
RUN mkdir -p /opt/app && echo hello > /opt/app/greeting
RUN mkdir -p /root/.cache/pip/http && echo wheel > /root/.cache/pip/http/blob
RUN chmod 0750 /opt/app
ENV APP_MODE=prod
CMD ["cat", "/opt/app/greeting"]
"""

REWRITE = """\
# syntax=docker/dockerfile:1
FROM debian:bookworm-slim
RUN mkdir -p /opt/app && echo hello > /opt/app/greeting \\
 && chmod 0750 /opt/app
ENV APP_MODE=prod
CMD ["cat", "/opt/app/greeting"]
"""

APPLIED = {"DO301": "merge consecutive RUN instructions", "DO210": "leave no pip cache in the image"}


@pytest.fixture(scope="module")
def built(engine_env, tmp_path_factory):
    docker = DockerCLI(env=engine_env, timeout=300)
    docker.detect()
    context = tmp_path_factory.mktemp("context")
    prefix = f"dockopt-test-{uuid.uuid4().hex[:12]}"
    tags = {"original": f"{prefix}:original", "rewrite": f"{prefix}:rewrite"}
    try:
        builds = {
            name: docker.build(strip_syntax_directive(text), context, tags[name], no_cache=True)
            for name, text in (("original", ORIGINAL), ("rewrite", REWRITE))
        }
        snapshots = {name: docker.snapshot(tag) for name, tag in tags.items()}
        rebuild = docker.build(strip_syntax_directive(ORIGINAL), context, tags["original"])
        yield docker, builds, snapshots, rebuild, context, prefix
    finally:
        docker.remove(*tags.values())


def test_rewrite_is_equivalent_once_the_declared_cache_is_allowed(built):
    _, _, snaps, *_ = built
    result = compare_snapshots(
        snaps["original"],
        snaps["rewrite"],
        allowed_paths={"DO210": ["/root/.cache/pip/**"]},
        changed_by=APPLIED,
    )
    assert result.equivalent, render_comparison(result)
    allowed = {d.path for d in result.allowed["DO210"]}
    assert {"/root/.cache", "/root/.cache/pip", "/root/.cache/pip/http/blob"} <= allowed
    assert snaps["original"].files["/opt/app"].mode == 0o750 == snaps["rewrite"].files["/opt/app"].mode


def test_undeclared_cache_is_an_unexplained_difference(built):
    _, _, snaps, *_ = built
    result = compare_snapshots(snaps["original"], snaps["rewrite"], changed_by={"DO301": APPLIED["DO301"]})
    assert not result.equivalent
    assert [(d.path, d.change) for d in result.unexplained] == [
        ("/root/.cache", "removed"),
        ("/root/.cache/pip", "removed"),
        ("/root/.cache/pip/http", "removed"),
        ("/root/.cache/pip/http/blob", "removed"),
    ]
    assert "difference not declared by any applied rule (applied: DO301)" in render_comparison(result)


def test_snapshots_carry_config_layers_and_sizes(built):
    _, builds, snaps, *_ = built
    original, rewrite = snaps["original"], snaps["rewrite"]
    assert original.config.env_map["APP_MODE"] == "prod"
    assert original.config.cmd == ("cat", "/opt/app/greeting")
    assert original.layer_count == rewrite.layer_count + 2  # three RUNs became one
    assert original.history_count == rewrite.history_count + 2
    assert original.files["/opt/app/greeting"].size == len("hello\n")
    assert len(original.files) > 3000  # the whole debian:bookworm-slim filesystem is there
    for snap in (original, rewrite):
        assert snap.engine_size is not None
        assert abs(snap.uncompressed_size - snap.engine_size) < 0.05 * snap.engine_size
    assert builds["rewrite"].image_id.startswith("sha256:")


def test_a_rebuild_reports_its_steps_as_cached(built):
    _, builds, _, rebuild, *_ = built
    assert len(builds["original"].executed_instructions) == 3
    assert sorted(s.name.split("] ")[1] for s in rebuild.cached_instructions) == [
        "RUN chmod 0750 /opt/app",
        "RUN mkdir -p /opt/app && echo hello > /opt/app/greeting",
        "RUN mkdir -p /root/.cache/pip/http && echo wheel > /root/.cache/pip/http/blob",
    ]
    assert rebuild.executed_instructions == []
    assert rebuild.image_id == builds["original"].image_id


def test_a_failing_build_raises_with_the_error_line(built):
    docker, _, _, _, context, prefix = built
    with pytest.raises(BuildFailed) as caught:
        docker.build("FROM debian:bookworm-slim\nRUN exit 3\n", context, f"{prefix}:broken")
    assert "exit code: 3" in str(caught.value)
    assert any("exit code: 3" in line for line in caught.value.log_tail)
