"""Which rewrites ``dockopt pr --verify`` proposes, against verify's fake engine (no Docker needed):
unsafe fixes only when verified, a rewrite verify shows to differ is left out, no engine is an error."""

from __future__ import annotations

import hashlib

import pytest
from verify.fakes import FakeDocker
from verify.imagefactory import directory, docker_archive, file, image_config, layer

from optimizer.verify.snapshot import read_image_archive

from .support import BRANCH, git, make_repos

APT = "from debian:bookworm\nRUN apt-get update && apt-get install -y curl && rm -rf /var/lib/apt/lists/*\n"
ADDS = "FROM alpine:3.20\nADD a.txt /a.txt\n"


@pytest.fixture
def images(tmp_path):
    """An image per Dockerfile text: --no-install-recommends loses a file; COPY (for ADD) gains one."""
    cache = {}

    def snapshot_for(text: str):
        key = hashlib.sha256(text.encode()).hexdigest()
        if key not in cache:
            members = [directory("/usr"), file("/usr/bin/curl", "curl")]
            if "--no-install-recommends" not in text:
                members.append(file("/usr/share/doc/ca-certificates/README", "recommended"))
            if "COPY a.txt" in text:
                members.append(file("/a.txt.surprise", "x"))
            archive = tmp_path / f"{key}.tar"
            docker_archive(archive, [layer(*members)], image_config(layers=1))
            cache[key] = read_image_archive(archive)
        return cache[key]

    return snapshot_for


@pytest.fixture
def verify_repos(tmp_path):
    return make_repos(tmp_path, {"Dockerfile": APT, "other/Dockerfile": ADDS, "other/a.txt": "a\n"})


def run(repos, docker, **options):
    import io
    import os

    from optimizer.bot.run import PrOptions, Result, run_pr

    out, err, result = io.StringIO(), io.StringIO(), Result()
    code = run_pr(
        PrOptions(path=str(repos.work), forge="none", verify=True, **options),
        stdout=out,
        stderr=err,
        environ=dict(os.environ),
        docker=docker,
        result=result,
    )
    return code, out.getvalue(), err.getvalue()


def test_unsafe_fixes_are_proposed_only_when_verified(verify_repos, images):
    code, body, err = run(verify_repos, FakeDocker(images), unsafe_fixes=True)

    assert code == 0, err
    committed = verify_repos.show(BRANCH, "Dockerfile")
    assert committed.startswith("FROM debian:bookworm\n")  # the safe fix is in
    assert "--no-install-recommends" not in committed  # the unverified unsafe one is not
    row = next(line for line in body.splitlines() if line.startswith("| `Dockerfile` |"))
    assert "| DO101 |" in row
    assert "| yes (unsafe fixes left out (DO303): verify found the images differ: " in row
    assert "safe fixes only" in body.splitlines()[1]


def test_a_rewrite_verify_shows_to_differ_is_left_out(verify_repos, images):
    code, body, err = run(verify_repos, FakeDocker(images))

    assert code == 0, err
    assert git(verify_repos.origin, "diff", "--name-only", f"main..{BRANCH}") == "Dockerfile"
    assert "## Left out\n\n- `other/Dockerfile`: verify found the images differ: 1 unexplained file" in body
    assert "Optimize" not in body  # forge none prints the body only
    assert "verifying Dockerfile" in err and "verifying other/Dockerfile" in err


def test_verified_unsafe_fixes_are_kept(verify_repos, images):
    def same_image(text: str):
        return images(text.replace("--no-install-recommends ", ""))

    code, body, err = run(verify_repos, FakeDocker(same_image), unsafe_fixes=True, select=["DO101", "DO303"])

    assert code == 0, err
    assert "--no-install-recommends" in verify_repos.show(BRANCH, "Dockerfile")
    assert "including unsafe fixes of DO303" in body


def test_no_engine_for_verify_is_an_error_before_anything_is_pushed(verify_repos, images):
    code, _body, err = run(verify_repos, FakeDocker(images, unavailable="no `docker` CLI on PATH"))

    assert code == 2
    assert err.endswith("dockopt pr: --verify: no `docker` CLI on PATH\n")
    assert verify_repos.remote_ref(BRANCH) is None
