"""DO3xx on real builds (lab engine): the original and the rewritten Dockerfile both build, their final
filesystems are equal except the cache paths the applied rules declare they remove, and the rewrite is
measurably smaller. One case runs in cache-mount mode and shows a second build, after the package
list changed, reusing the download cache.

Paths ignored in the comparisons are exactly the ``removes`` globs of the rules that were applied
(``allowed_paths``), nothing else: /var/lib/apt/lists/** and /var/cache/apt/** (DO301: the lists the
fix deletes; in mounts mode also /etc/apt/apt.conf.d/docker-clean and keep-cache, which Docker's
documented cache-mount setup changes), /root/.cache/pip/** (DO307), /root/.npm/** (DO308). The
verify core's volatile patterns (logs, ldconfig's aux-cache, dpkg's ``*-old`` backups) apply as in
every comparison: they differ between two builds of the same Dockerfile.
"""

from __future__ import annotations

import re
import uuid

import pytest

from optimizer.core.config import Settings
from optimizer.engine import fix_text
from optimizer.rules.base import all_rules
from optimizer.verify.compare import compare_snapshots
from optimizer.verify.describe import render_comparison
from optimizer.verify.docker import DockerCLI, strip_syntax_directive

pytestmark = pytest.mark.engine

# name: (original Dockerfile, minimum size drop in bytes, what the drop is)
CASES = {
    "apt-debian-update-alone": (
        """\
FROM debian:bookworm-slim
RUN apt-get update
RUN apt-get install -y --no-install-recommends jq
""",
        5_000_000,
        "package lists (docker-clean does not delete them)",
    ),
    "apt-python-slim": (
        """\
FROM python:3.11-slim
RUN apt-get update && apt-get install -y --no-install-recommends tree
""",
        5_000_000,
        "package lists",
    ),
    # The lab reaches PyPI through a proxy whose responses pip's HTTP cache does not store, so a
    # downloaded wheel leaves no cache here (checked: `pip install numpy` leaves no /root/.cache).
    # A wheel pip builds from an sdist is cached whatever the proxy says: jieba ships only an sdist.
    "pip-python-slim": (
        """\
FROM python:3.11-slim
RUN pip install jieba==0.42.1
""",
        15_000_000,
        "pip's wheel cache holding the wheel built from jieba's sdist",
    ),
    "npm-node-slim": (
        """\
FROM node:18-slim
RUN npm install -g typescript@5.4.5
""",
        3_000_000,
        "npm's _cacache holding the typescript tarball",
    ),
}
RULES = {rule.code: rule for rule in all_rules()}


@pytest.fixture(scope="module")
def docker(engine_env):
    return DockerCLI(env=engine_env, timeout=900)


def _allowed(applied) -> dict[str, list[str]]:
    return {code: list(RULES[code].removes) for code in {f.code for f in applied} if RULES[code].removes}


def _row(name, before, after, snap_before, snap_after) -> str:
    return (
        f"{name:26} size {snap_before.uncompressed_size / 1e6:7.1f} MB -> {snap_after.uncompressed_size / 1e6:7.1f} MB "
        f"(-{(snap_before.uncompressed_size - snap_after.uncompressed_size) / 1e6:.1f} MB), "
        f"layers {snap_before.layer_count} -> {snap_after.layer_count}, "
        f"cold build {before.seconds:5.1f}s -> {after.seconds:5.1f}s"
    )


@pytest.mark.parametrize("name", sorted(CASES))
def test_cleanup_rewrite_is_equivalent_and_smaller(name, docker, tmp_path, capsys):
    original, minimum_drop, what = CASES[name]
    outcome = fix_text(original, Settings(select=("DO3",)))
    assert outcome.error is None and outcome.changed
    tag = f"dockopt-test-do3-{name}-{uuid.uuid4().hex[:8]}"
    try:
        before = docker.build(strip_syntax_directive(original), tmp_path, f"{tag}:orig", no_cache=True)
        after = docker.build(strip_syntax_directive(outcome.output), tmp_path, f"{tag}:fixed", no_cache=True)
        snap_before, snap_after = docker.snapshot(before.tag), docker.snapshot(after.tag)
    finally:
        docker.remove(f"{tag}:orig", f"{tag}:fixed")
    result = compare_snapshots(snap_before, snap_after, allowed_paths=_allowed(outcome.applied))
    assert result.equivalent, render_comparison(result)
    assert result.allowed, "the rewrite removed nothing the rules declare"
    drop = snap_before.uncompressed_size - snap_after.uncompressed_size
    with capsys.disabled():
        print("\n" + _row(name, before, after, snap_before, snap_after) + f"  [{what}]")
    assert drop >= minimum_drop, f"{what}: expected at least {minimum_drop} bytes less, got {drop}"


# The ENV names the test run: BuildKit's layer cache key ignores cache-mount ids, so without it the
# warm build could be served from a layer an earlier run of this test left in the lab engine.
MOUNTS_ORIGINAL = """\
FROM debian:bookworm-slim
ENV DOCKOPT_TEST_RUN={run_id}
RUN apt-get update && apt-get install -y --no-install-recommends {packages}
"""
_GET = re.compile(r"Get:\d+ \S+ \S+ \S+ (\S+) ")
_FETCHED = re.compile(r"Fetched ([\d.]+) ([kMG]?B) in")
_UNITS = {"B": 1, "kB": 1e3, "MB": 1e6, "GB": 1e9}


def _fetched(log: str) -> float:
    """Bytes apt reports it downloaded ("Fetched 9420 kB in 2s"), over the whole build."""
    return sum(float(number) * _UNITS[unit] for number, unit in _FETCHED.findall(log))


def _isolated(text: str, run_id: str) -> str:
    """Give each cache mount an ``id`` of its own, so this run cannot see caches earlier runs left in
    the lab engine (and leaves nothing behind for the next one). Which directory is mounted, and how it
    is shared, stays exactly what the rule wrote."""
    return re.sub(
        r"--mount=type=cache,target=([^,\s]+)",
        lambda m: f"--mount=type=cache,id={run_id}{m.group(1)},target={m.group(1)}",
        text,
    )


def test_mounts_rewrite_reuses_the_download_cache(docker, tmp_path, capsys):
    settings = Settings(select=("DO3",), cache_strategy="mounts")
    run_id = f"dockopt-test-{uuid.uuid4().hex[:8]}"
    original = MOUNTS_ORIGINAL.format(packages="jq", run_id=run_id)
    first = fix_text(original, settings)
    second = fix_text(MOUNTS_ORIGINAL.format(packages="jq tree", run_id=run_id), settings)
    assert first.changed and "--mount=type=cache,target=/var/cache/apt,sharing=locked" in first.output
    assert "docker-clean" in first.output
    tag = f"dockopt-test-do3-mounts-{run_id}"
    try:
        plain = docker.build(original, tmp_path, f"{tag}:orig", no_cache=True)
        # `--no-cache` also starts cache mounts empty (and fills them); the warm build, after the
        # package list changed, runs without it, as a developer's rebuild would.
        cold = docker.build(_isolated(first.output, run_id), tmp_path, f"{tag}:cold", no_cache=True)
        warm = docker.build(_isolated(second.output, run_id), tmp_path, f"{tag}:warm")
        snap_plain, snap_cold = docker.snapshot(plain.tag), docker.snapshot(cold.tag)
    finally:
        docker.remove(f"{tag}:orig", f"{tag}:cold", f"{tag}:warm")
    result = compare_snapshots(snap_plain, snap_cold, allowed_paths=_allowed(first.applied))
    assert result.equivalent, render_comparison(result)
    cold_gets, warm_gets = _GET.findall(cold.log), _GET.findall(warm.log)
    # Cold: the package index (Packages files) and jq with its libraries are downloaded. Warm, after
    # `tree` joined the list: only the small InRelease files are fetched again (the lab's proxy
    # answers no conditional request, so apt says Get, not Hit), the index is unchanged and read from
    # the mounted lists, jq's packages come from the mounted archive cache, and only tree is fetched.
    assert "jq" in cold_gets and "jq" not in warm_gets, (cold_gets, warm_gets)
    assert "tree" in warm_gets and "Packages" in cold_gets and "Packages" not in warm_gets
    assert _fetched(warm.log) < _fetched(cold.log) / 10
    drop = snap_plain.uncompressed_size - snap_cold.uncompressed_size
    with capsys.disabled():
        print("\n" + _row("apt-mounts (cold)", plain, cold, snap_plain, snap_cold))
        print(
            f"{'apt-mounts (warm rebuild)':26} downloaded: cold {_fetched(cold.log) / 1e3:.0f} kB, after adding tree "
            f"{_fetched(warm.log) / 1e3:.0f} kB (packages: {', '.join(g for g in warm_gets if not g.startswith('['))}); "
            f"RUN build {cold.seconds:.1f}s -> {warm.seconds:.1f}s"
        )
    assert drop >= 5_000_000
