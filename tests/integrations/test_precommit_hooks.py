"""The pre-commit hooks, run by the real ``pre-commit`` on a temporary git repository.

``pre-commit try-repo`` clones this checkout (uncommitted changes included), installs dockopt into
a hook environment from its sources (PyPI must be reachable for the dependencies; environments
are cached in ``.cache/pre-commit``) and runs the hook on the repository's files.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[2]
HOOKS = ROOT / ".pre-commit-hooks.yaml"
NEEDS_FIX = "from alpine:3.20\nadd app.py /app/\n"
FIXED = "FROM alpine:3.20\nCOPY app.py /app/\n"


def _env(tmp_path: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DOCKOPT_", "GIT_", "PRE_COMMIT"))}
    env.update(
        PRE_COMMIT_HOME=str(ROOT / ".cache" / "pre-commit"),
        GIT_AUTHOR_NAME="t",
        GIT_AUTHOR_EMAIL="t@example.com",
        GIT_COMMITTER_NAME="t",
        GIT_COMMITTER_EMAIL="t@example.com",
        HOME=str(tmp_path / "home"),
    )
    return env


def _pre_commit(*args: str, cwd: Path, env: dict[str, str]) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "pre_commit", *args],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        timeout=900,
        check=False,
    )


def test_manifest_declares_both_hooks():
    hooks = {hook["id"]: hook for hook in yaml.safe_load(HOOKS.read_text())}
    assert set(hooks) == {"dockopt", "dockopt-check"}
    assert hooks["dockopt"]["entry"].split() == ["dockopt", "--write", "--force-exclude"]
    assert hooks["dockopt-check"]["entry"].split() == ["dockopt", "--check", "--force-exclude"]
    for hook in hooks.values():
        assert hook["language"] == "python" and hook["types"] == ["dockerfile"]
        assert hook["require_serial"] is False and hook["minimum_pre_commit_version"]


def test_manifest_is_valid_for_pre_commit(tmp_path):
    result = _pre_commit("validate-manifest", str(HOOKS), cwd=ROOT, env=_env(tmp_path))
    assert result.returncode == 0, result.stdout + result.stderr


def _repository(path: Path) -> Path:
    files = {
        "Dockerfile": NEEDS_FIX,
        "services/api/Dockerfile.dev": NEEDS_FIX,
        "vendor/upstream/Dockerfile": NEEDS_FIX,  # excluded in dockopt.toml
        "app.dockerfile": NEEDS_FIX,  # not a `dockerfile` to pre-commit's identify: untouched
        "dockopt.toml": 'exclude = ["vendor"]\n',
        "app.py": "print('hi')\n",
    }
    for rel, text in files.items():
        (path / rel).parent.mkdir(parents=True, exist_ok=True)
        (path / rel).write_text(text)
    subprocess.run(["git", "init", "-q", str(path)], check=True)
    subprocess.run(["git", "-C", str(path), "add", "."], check=True)
    return path


def test_hooks_run_by_pre_commit_try_repo(tmp_path):
    repo = _repository(tmp_path / "project")
    env = _env(tmp_path)

    check = _pre_commit("try-repo", str(ROOT), "dockopt-check", "--all-files", cwd=repo, env=env)
    output = check.stdout + check.stderr
    assert check.returncode == 1, output
    assert "would fix Dockerfile (" in output and "would fix services/api/Dockerfile.dev (" in output
    assert "vendor" not in output.split("Using config")[-1].split("=====")[-1], "excluded by dockopt.toml"
    assert "app.dockerfile" not in output
    assert (repo / "Dockerfile").read_text() == NEEDS_FIX, "the check hook writes nothing"

    write = _pre_commit("try-repo", str(ROOT), "dockopt", "--all-files", cwd=repo, env=env)
    assert write.returncode == 1, write.stdout + write.stderr  # pre-commit fails a hook that modified files
    assert "files were modified by this hook" in write.stdout
    assert (repo / "Dockerfile").read_text() == FIXED
    assert (repo / "services/api/Dockerfile.dev").read_text() == FIXED
    assert (repo / "vendor/upstream/Dockerfile").read_text() == NEEDS_FIX
    assert (repo / "app.dockerfile").read_text() == NEEDS_FIX

    subprocess.run(["git", "-C", str(repo), "add", "."], check=True)
    again = _pre_commit("try-repo", str(ROOT), "dockopt", "--all-files", cwd=repo, env=env)
    assert again.returncode == 0, again.stdout + again.stderr
    assert re.search(r"^dockopt\.+Passed$", again.stdout, re.MULTILINE), again.stdout


def _readme_override() -> dict:
    readme = (ROOT / "README.md").read_text()
    blocks = re.findall(r"```yaml\n(.*?)```", readme, re.DOTALL)
    for block in blocks:
        config = yaml.safe_load(block)
        if isinstance(config, dict) and "repos" in config:
            for repo in config["repos"]:
                for hook in repo["hooks"]:
                    if "files" in hook:
                        return hook
    pytest.fail("README.md has no pre-commit example with a files: override")


@pytest.mark.parametrize(
    "name, picked",
    [
        ("app.dockerfile", True),
        ("docker/Dockerfile-dev", True),
        ("Dockerfile", True),
        ("api/Containerfile.prod", True),
        ("web.Dockerfile", True),
        ("README.md", False),
        ("docker/compose.yaml", False),
        ("Dockerfile.dockerignore", False),
    ],
)
def test_readme_files_override_picks_names_the_dockerfile_type_misses(tmp_path, name, picked):
    """pre-commit selects a file when ``files`` matches (re.search) and its tags include ``types``."""
    from identify.identify import tags_from_path

    hook = _readme_override()
    path = tmp_path / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("FROM a\n")
    tags = tags_from_path(str(path))
    selected = bool(re.search(hook["files"], name)) and set(hook.get("types", [])) <= tags
    if "exclude" in hook:
        selected = selected and not re.search(hook["exclude"], name)
    assert selected is picked, (hook, tags)
