"""Which files a directory argument finds."""

from __future__ import annotations

import shutil
import subprocess

import pytest

from .conftest import write

LOWER = "from alpine\n"

FOUND = [
    "Dockerfile",
    "Containerfile",
    "api.Dockerfile",
    "worker.dockerfile",
    "Dockerfile.prod",
    "Dockerfile.dev.arm64",
    "Containerfile.fedora",
    "deep/er/still/Dockerfile",
]
NOT_FOUND = [
    "dockerfile",  # case matters, as for BuildKit's default name
    "Dockerfile.dockerignore",  # BuildKit's per-Dockerfile ignore file
    "api.Dockerfile.dockerignore",
    "Containerfile.containerignore",
    "Dockerfile-old",
    "notes.txt",
    "README.md",
    "my.Dockerfile.j2x/inside.txt",
    ".git/Dockerfile",
    "node_modules/pkg/Dockerfile",
    "sub/node_modules/Dockerfile",
    ".venv/Dockerfile",
]


def _listed(result) -> list[str]:
    return sorted(line.removeprefix("would fix ").split(" (")[0] for line in result.stdout.splitlines())


def test_directory_discovery_patterns_and_skipped_folders(dockopt, tmp_path):
    for name in FOUND + NOT_FOUND:
        write(tmp_path / "repo" / name, "FOO not a dockerfile\n" if name in NOT_FOUND else LOWER)
    result = dockopt("--check", "repo")
    assert result.code == 1, result.stderr
    assert _listed(result) == sorted(f"repo/{name}" for name in FOUND)
    assert result.err_lines == [f"{len(FOUND)} files would be changed, 0 unchanged"]


def test_current_directory_names_files_relative(dockopt, tmp_path):
    write(tmp_path / "Dockerfile", LOWER)
    write(tmp_path / "svc" / "Dockerfile", LOWER)
    assert _listed(dockopt("--check", ".")) == ["Dockerfile", "svc/Dockerfile"]


def test_explicit_file_is_processed_whatever_its_name(dockopt, tmp_path):
    write(tmp_path / "build.txt", LOWER)
    result = dockopt("--check", "build.txt")
    assert _listed(result) == ["build.txt"]


def test_discovery_is_sorted_and_deterministic(dockopt, tmp_path):
    for name in ("b/Dockerfile", "a/Dockerfile", "a/z.Dockerfile", "a/b/Dockerfile", "Dockerfile"):
        write(tmp_path / name, LOWER)
    lines = [line.split(" (")[0] for line in dockopt("--check", ".").stdout.splitlines()]
    assert lines == [
        "would fix Dockerfile",
        "would fix a/Dockerfile",
        "would fix a/z.Dockerfile",
        "would fix a/b/Dockerfile",
        "would fix b/Dockerfile",
    ]


@pytest.mark.skipif(shutil.which("git") is None, reason="git is not installed")
def test_git_ignored_paths_are_skipped(dockopt, tmp_path):
    repo = tmp_path / "repo"
    repo.mkdir()
    subprocess.run(["git", "init", "-q", str(repo)], check=True)
    write(repo / ".gitignore", "build/\n*.gen.Dockerfile\n!keep.gen.Dockerfile\n")
    for name in ("Dockerfile", "svc/Dockerfile", "keep.gen.Dockerfile"):
        write(repo / name, LOWER)
    for name in ("build/Dockerfile", "svc/x.gen.Dockerfile", "svc/build/Dockerfile"):
        write(repo / name, "FOO would be an error\n")
    expected = ["Dockerfile", "keep.gen.Dockerfile", "svc/Dockerfile"]
    assert _listed(dockopt("--check", ".", cwd=repo)) == expected
    assert _listed(dockopt("--check", "repo")) == [f"repo/{name}" for name in expected]
    assert _listed(dockopt("--check", "svc", cwd=repo)) == ["svc/Dockerfile"]
    # A file named explicitly is processed even when git ignores it.
    explicit = dockopt("--check", "build/Dockerfile", cwd=repo)
    assert explicit.code == 2 and explicit.err_lines == ["build/Dockerfile:1:1: unknown instruction: FOO"]


def test_no_git_repository_keeps_everything(dockopt, tmp_path):
    write(tmp_path / ".gitignore", "*\n")  # not a repository: a stray .gitignore means nothing
    write(tmp_path / "Dockerfile", LOWER)
    assert _listed(dockopt("--check", ".")) == ["Dockerfile"]
