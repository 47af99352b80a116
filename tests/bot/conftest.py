"""Fixtures for the bot tests. Every test gets its own git configuration (no global or system
config leaks in), so commits and pushes behave the same on every machine."""

from __future__ import annotations

import io
import os
from collections.abc import Callable
from pathlib import Path

import pytest

from optimizer.bot.run import PrOptions, Result, run_pr

from .support import DEFAULT_FILES, NAME, OWNER, FakeGitHub, Repos, Run, make_repos


@pytest.fixture(autouse=True)
def isolated_git(tmp_path_factory, monkeypatch) -> None:
    home = tmp_path_factory.mktemp("home")
    config = home / "gitconfig"
    config.write_text('[init]\n\tdefaultBranch = main\n[protocol "file"]\n\tallow = always\n')
    monkeypatch.setenv("GIT_CONFIG_GLOBAL", str(config))
    monkeypatch.setenv("GIT_CONFIG_NOSYSTEM", "1")
    monkeypatch.setenv("HOME", str(home))
    for key in (
        "GIT_AUTHOR_NAME",
        "GIT_AUTHOR_EMAIL",
        "GIT_COMMITTER_NAME",
        "GIT_COMMITTER_EMAIL",
        "GIT_DIR",
    ):
        monkeypatch.delenv(key, raising=False)
    monkeypatch.delenv("GITHUB_TOKEN", raising=False)
    monkeypatch.delenv("GITHUB_API_URL", raising=False)


@pytest.fixture
def repos(tmp_path: Path) -> Repos:
    return make_repos(tmp_path, DEFAULT_FILES)


@pytest.fixture
def run_bot(repos: Repos) -> Callable[..., Run]:
    """Run ``dockopt pr`` in the user's clone; keyword arguments are PrOptions fields."""

    def run(env: dict[str, str] | None = None, **options) -> Run:
        options.setdefault("path", str(repos.work))
        options.setdefault("repo", f"{OWNER}/{NAME}")
        out, err = io.StringIO(), io.StringIO()
        result = Result()
        environ = {**os.environ, **(env or {})}
        code = run_pr(PrOptions(**options), stdout=out, stderr=err, environ=environ, result=result)
        return Run(code, out.getvalue(), err.getvalue(), result)

    return run


@pytest.fixture
def github(httpserver) -> FakeGitHub:
    fake = FakeGitHub(httpserver)
    yield fake
    httpserver.check_assertions()  # no request the test did not expect
