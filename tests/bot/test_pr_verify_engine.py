"""``dockopt pr --verify`` on the lab's real Docker engine: the pull request carries measured numbers.

Skipped unless the build lab answers (``engine_env`` in tests/conftest.py; CI turns the skip into a
failure). The apps need no network: only the lab's stand-in base images and their context files.
"""

from __future__ import annotations

import io
import os
from pathlib import Path

import pytest

from optimizer.bot.run import PrOptions, Result, run_pr
from optimizer.verify.docker import DockerCLI

from .support import BRANCH, REPO_PATH, TOKEN, git, make_repos, pull_json, written_by_cli

pytestmark = pytest.mark.engine

PYAPP = Path(__file__).parents[1] / "verify" / "apps" / "pyapp"
# The original cannot build (its RUN fails), so verify cannot vouch for any rewrite of it.
DOES_NOT_BUILD = "from python:3.11-slim\nrun exit 3\n"


def app_files() -> dict[str, str]:
    files = {f"app/{p.relative_to(PYAPP)}": p.read_text() for p in PYAPP.rglob("*") if p.is_file()}
    files["broken/Dockerfile"] = DOES_NOT_BUILD
    return files


def test_verify_puts_measurements_in_the_pull_request(tmp_path, github, engine_env):
    repos = make_repos(tmp_path, app_files())
    github.repo()
    github.open_pulls([])
    github.closed_pulls([])
    github.expect("POST", f"{REPO_PATH}/pulls", status=201, reply=pull_json(1, "", "t"))
    out, err, result = io.StringIO(), io.StringIO(), Result()
    options = PrOptions(path=str(repos.work), repo="acme/shop", verify=True)
    environ = {**os.environ, "GITHUB_TOKEN": TOKEN, "GITHUB_API_URL": github.url}

    code = run_pr(
        options,
        stdout=out,
        stderr=err,
        environ=environ,
        docker=DockerCLI(env=engine_env, timeout=600),
        result=result,
    )

    assert code == 0, err.getvalue()
    body = github.payload(3)["body"]
    (tmp_path / "example-body.md").write_text(body)  # kept for the eye: `pytest --basetemp=...`
    header = "| File | Rules applied | Lines changed | Image size | Layers | Rebuild after edit | Verified |"
    assert header in body
    app_row = next(line for line in body.splitlines() if line.startswith("| `app/Dockerfile` |"))
    cells = [cell.strip() for cell in app_row.strip("|").split("|")]
    assert " MB → " in cells[3] and " → " in cells[4] and " s → " in cells[5]
    assert cells[6] == "yes"
    broken_row = next(line for line in body.splitlines() if line.startswith("| `broken/Dockerfile` |"))
    assert "| no (the original does not build here; details below) |" in broken_row
    assert "equivalent: yes" in body and "<details><summary><code>app/Dockerfile</code></summary>" in body
    assert "/tmp/dockopt-pr-" not in body  # files are named as in the repository
    # What was verified and measured is what `dockopt --write` makes, and what was committed.
    expected = written_by_cli(repos, tmp_path)
    assert sorted(expected) == ["app/Dockerfile", "broken/Dockerfile"]
    for name, text in expected.items():
        assert repos.show(BRANCH, name) == text
    assert git(repos.origin, "rev-list", "--count", f"main..{BRANCH}") == "1"
