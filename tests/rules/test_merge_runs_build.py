"""DO201 on real builds (lab engine): original and merged build, same final filesystem, fewer layers;
and where the later RUN deletes what the earlier one made, a smaller image."""

from __future__ import annotations

import uuid

import pytest

from optimizer.core.config import Settings
from optimizer.engine import fix_text
from optimizer.verify.compare import compare_snapshots
from optimizer.verify.describe import render_comparison
from optimizer.verify.docker import DockerCLI

pytestmark = pytest.mark.engine

CASES = {
    "cleanup-after-download": """\
FROM debian:bookworm-slim
RUN apt-get update
RUN apt-get install -y --no-install-recommends jq
# the package lists weigh ~20 MB; deleting them in a later layer does not shrink the image
RUN rm -rf /var/lib/apt/lists/*
""",
    "state-and-exit-status": """\
FROM debian:bookworm-slim
RUN cd /opt && export MARKER=1 && umask 077 && touch made-under-umask
RUN test -f /opt/made-under-umask || echo "missing" > /missing
RUN pwd > /where && (umask > /umask) && echo "${MARKER:-unset}" > /marker
""",
    "set-e-idiom": """\
FROM debian:bookworm-slim
RUN set -eux; \\
	groupadd -r -g 999 app; \\
	useradd -r -g app -u 999 app
RUN set -eux; \\
	mkdir -p /srv/app; \\
	chown app:app /srv/app; \\
	dd if=/dev/zero of=/srv/app/scratch bs=1M count=8
RUN set -eux; \
	rm -f /srv/app/scratch
""",
}


@pytest.fixture(scope="module")
def docker(engine_env):
    return DockerCLI(env=engine_env)


@pytest.mark.parametrize("name", sorted(CASES))
def test_merged_build_is_equivalent_with_fewer_layers(name, docker, tmp_path, capsys):
    original = CASES[name]
    outcome = fix_text(original, Settings(select=("DO201",)))
    assert outcome.error is None and outcome.changed
    tag = f"dockopt-test-do201-{name}-{uuid.uuid4().hex[:8]}"
    try:
        before = docker.build(original, tmp_path, f"{tag}:orig", no_cache=True)
        after = docker.build(outcome.output, tmp_path, f"{tag}:merged", no_cache=True)
        snap_before, snap_after = docker.snapshot(before.tag), docker.snapshot(after.tag)
    finally:
        docker.remove(f"{tag}:orig", f"{tag}:merged")
    result = compare_snapshots(snap_before, snap_after)
    assert result.equivalent, render_comparison(result)
    assert snap_after.layer_count < snap_before.layer_count
    with capsys.disabled():
        print(
            f"\nDO201 {name}: layers {snap_before.layer_count} -> {snap_after.layer_count}, "
            f"size {snap_before.uncompressed_size / 1e6:.1f} MB -> {snap_after.uncompressed_size / 1e6:.1f} MB, "
            f"cold build {before.seconds:.1f}s -> {after.seconds:.1f}s"
        )
    if name in ("cleanup-after-download", "set-e-idiom"):
        # The deleted files no longer ship in an earlier layer.
        assert snap_after.uncompressed_size < snap_before.uncompressed_size - 5_000_000
