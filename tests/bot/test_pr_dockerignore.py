"""``dockopt pr`` with a build-context fix: the .dockerignore DO602 creates is in the one commit."""

from __future__ import annotations

import pytest

from .support import BRANCH, git, make_repos


@pytest.fixture
def repos(tmp_path):
    return make_repos(
        tmp_path,
        {
            "Dockerfile": "FROM debian:bookworm-slim\nCOPY . /app\n",
            "app.py": "print(1)\n",
            "server.log": "started\n",
            ".gitignore": "",
            "other/Dockerfile": "FROM debian:bookworm-slim\nCOPY . /srv\n",
            "other/.dockerignore": "# kept as it is\r\n*.tmp\r\n",
            "other/debug.log": "x\n",
        },
    )


def test_the_dockerignore_is_committed_with_the_dockerfiles(repos, run_bot):
    run = run_bot(forge="none", repo=None, select=["DO602"])

    assert run.code == 0, run.err
    changed = git(repos.origin, "diff", "--name-status", f"main..{BRANCH}").splitlines()
    assert sorted(changed) == ["A\t.dockerignore", "M\tother/.dockerignore"]
    created = repos.show(BRANCH, ".dockerignore")
    assert created.startswith("# added by dockopt (DO602)")
    assert "*.log\n" in created and "Dockerfile\n" in created
    extended = repos.show(BRANCH, "other/.dockerignore")
    assert extended.startswith("# kept as it is\r\n*.tmp\r\n\r\n# added by dockopt (DO602)")
    assert "*.log\r\n" in extended
    assert "DO602" in run.out  # the body counts the fixes on the file they changed

    again = run_bot(forge="none", repo=None, select=["DO602"])
    assert again.code == 0 and "nothing pushed" in again.err
