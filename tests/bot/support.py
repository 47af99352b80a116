"""Helpers for the bot tests: real git repositories (a bare ``origin``, a maintainer's clone, the
user's clone) and a stand-in for GitHub's API on pytest-httpserver."""

from __future__ import annotations

import json
import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path

from optimizer.bot.run import Result

TOKEN = "ghs_test_token"
OWNER, NAME = "acme", "shop"
BRANCH = "dockopt/rewrite"

ROOT_DOCKERFILE = """\
from debian:bookworm-slim
run apt-get update
run apt-get install -y curl
COPY . /app
"""
API_DOCKERFILE = """\
FROM python:3.12-slim
ADD requirements.txt /app/
RUN pip install -r /app/requirements.txt
"""
CLEAN_DOCKERFILE = """\
FROM alpine:3.20
COPY app /app
CMD ["/app"]
"""


def git(cwd: Path, *args: str, check: bool = True) -> str:
    result = subprocess.run(["git", *args], cwd=cwd, capture_output=True, text=True, check=False)
    if check and result.returncode != 0:
        raise AssertionError(f"git {' '.join(args)} failed: {result.stderr}")
    return result.stdout.strip()


def write(root: Path, files: dict[str, str]) -> None:
    for name, text in files.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)


@dataclass
class Repos:
    origin: Path
    maintainer: Path  # pushes to the base branch (and, in one test, to the bot's branch)
    work: Path  # the clone dockopt pr runs in

    def remote_ref(self, branch: str) -> str | None:
        out = git(self.origin, "rev-parse", "--verify", "-q", f"refs/heads/{branch}", check=False)
        return out or None

    def maintainer_commit(self, files: dict[str, str], message: str, branch: str = "main") -> str:
        git(self.maintainer, "fetch", "-q", "origin")
        git(self.maintainer, "checkout", "-q", "-B", branch, f"origin/{branch}")
        write(self.maintainer, files)
        git(self.maintainer, "add", "-A")
        git(self.maintainer, "commit", "-q", "-m", message)
        git(self.maintainer, "push", "-q", "origin", f"HEAD:refs/heads/{branch}")
        return git(self.maintainer, "rev-parse", "HEAD")

    def show(self, ref: str, path: str) -> str:
        """The file's bytes as text, line endings untouched."""
        return subprocess.run(
            ["git", "show", f"{ref}:{path}"], cwd=self.origin, capture_output=True, check=True
        ).stdout.decode()


def make_repos(tmp_path: Path, files: dict[str, str]) -> Repos:
    origin = tmp_path / "origin.git"
    git(tmp_path, "init", "-q", "--bare", "-b", "main", str(origin))
    maintainer = tmp_path / "maintainer"
    git(tmp_path, "clone", "-q", str(origin), str(maintainer))
    git(maintainer, "config", "user.name", "Mia Maintainer")
    git(maintainer, "config", "user.email", "mia@example.com")
    git(maintainer, "checkout", "-q", "-b", "main")
    write(maintainer, files)
    git(maintainer, "add", "-A")
    git(maintainer, "commit", "-q", "-m", "initial")
    git(maintainer, "push", "-q", "origin", "main")
    work = tmp_path / "work"
    git(tmp_path, "clone", "-q", str(origin), str(work))
    git(work, "config", "user.name", "Dockopt Bot")
    git(work, "config", "user.email", "bot@example.com")
    return Repos(origin, maintainer, work)


DEFAULT_FILES = {
    "Dockerfile": ROOT_DOCKERFILE,
    "services/api/Dockerfile": API_DOCKERFILE,
    "services/api/requirements.txt": "flask\n",
    "services/web/Dockerfile": CLEAN_DOCKERFILE,
    "README.md": "# shop\n",
    # The root build context already ignores what DO602 would add, so these tests see only the
    # Dockerfiles change (tests/bot/test_pr_dockerignore.py covers a .dockerignore in the commit).
    ".dockerignore": ".git\nDockerfile\n.dockerignore\n",
}


@dataclass
class Run:
    code: int
    out: str
    err: str
    result: Result = field(default_factory=Result)


def pull_json(number: int, body: str, title: str, state: str = "open", base: str = "main") -> dict:
    return {
        "number": number,
        "title": title,
        "body": body,
        "state": state,
        "base": {"ref": base},
        "head": {"ref": BRANCH},
        "html_url": f"https://github.example/{OWNER}/{NAME}/pull/{number}",
    }


def request_json(request) -> dict | None:
    data = request.get_data()
    return json.loads(data) if data else None


AUTH_HEADERS = {
    "Authorization": f"Bearer {TOKEN}",
    "Accept": "application/vnd.github+json",
    "X-GitHub-Api-Version": "2022-11-28",
}
REPO_PATH = f"/repos/{OWNER}/{NAME}"
OPEN_QUERY = {"state": "open", "head": f"{OWNER}:{BRANCH}", "per_page": "100"}
CLOSED_QUERY = {"state": "closed", "head": f"{OWNER}:{BRANCH}", "per_page": "100"}


class FakeGitHub:
    """GitHub's API as pytest-httpserver: each expected request, in order, with the auth headers.

    ``calls()`` lists what was requested ("METHOD /path?query"); ``payload(i)`` the JSON sent.
    """

    def __init__(self, server) -> None:
        self.server = server

    @property
    def url(self) -> str:
        return self.server.url_for("").rstrip("/")

    def expect(self, method: str, path: str, *, query=None, reply=None, status: int = 200, headers=None):
        handler = self.server.expect_ordered_request(
            path, method=method, query_string=query, headers=AUTH_HEADERS
        )
        handler.respond_with_json(reply if reply is not None else {}, status=status, headers=headers)

    def repo(self) -> None:
        self.expect("GET", REPO_PATH, reply={"full_name": f"{OWNER}/{NAME}", "default_branch": "main"})

    def open_pulls(self, pulls: list[dict]) -> None:
        self.expect("GET", f"{REPO_PATH}/pulls", query=OPEN_QUERY, reply=pulls)

    def closed_pulls(self, pulls: list[dict]) -> None:
        self.expect("GET", f"{REPO_PATH}/pulls", query=CLOSED_QUERY, reply=pulls)

    def calls(self) -> list[str]:
        out = []
        for request, _response in self.server.log:
            query = request.query_string.decode()
            out.append(f"{request.method} {request.path}" + (f"?{query}" if query else ""))
        return out

    def payload(self, index: int) -> dict | None:
        return request_json(self.server.log[index][0])

    def reset(self) -> None:
        self.server.clear()


def written_by_cli(repos, tmp_path: Path, ref: str = "main") -> dict[str, str]:
    """What `dockopt --write .` makes of a fresh clone of ``ref``: {path: text} of the changed files."""
    clone = tmp_path / f"cli-{ref.replace('/', '-')}"
    git(tmp_path, "clone", "-q", "-b", ref, str(repos.origin), str(clone))
    subprocess.run(
        [sys.executable, "-m", "optimizer", "--write", "."], cwd=clone, capture_output=True, check=False
    )
    changed = git(clone, "diff", "--name-only").splitlines()
    return {name: (clone / name).read_bytes().decode() for name in changed}
