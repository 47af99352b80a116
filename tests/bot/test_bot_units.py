"""The small pieces: remote URLs, fingerprints, the commit trailer, the body's helpers, the CLI entry."""

from __future__ import annotations

import subprocess
import sys

import pytest

from optimizer.bot.body import doc_sections, fingerprint_in, title
from optimizer.bot.forge import parse_repo, repo_from_remote
from optimizer.bot.git import Change, author_env, commit_message, fingerprint, trailer_fingerprint


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("https://github.com/acme/shop.git", ("acme", "shop")),
        ("https://github.com/acme/shop", ("acme", "shop")),
        ("https://x-access-token:abc@github.com/acme/shop.git", ("acme", "shop")),
        ("git@github.com:acme/shop.git", ("acme", "shop")),
        ("ssh://git@github.com/acme/shop.git", ("acme", "shop")),
        ("ssh://git@ghe.example.com:2222/acme/shop", ("acme", "shop")),
        ("/srv/git/shop.git", None),
        ("../origin.git", None),
        ("https://gitlab.com/group/sub/shop.git", None),
    ],
)
def test_repo_from_remote(url, expected):
    assert repo_from_remote(url) == expected


def test_parse_repo():
    assert parse_repo("acme/shop") == ("acme", "shop")
    assert parse_repo("acme") is None and parse_repo("a/b/c") is None and parse_repo("/shop") is None


def test_fingerprint_depends_on_the_change_not_its_order():
    a = Change("Dockerfile", "100644", "1" * 40, "2" * 40)
    b = Change("api/Dockerfile", "100644", "3" * 40, "4" * 40)
    assert fingerprint([a, b]) == fingerprint([b, a])
    assert fingerprint([a]) != fingerprint([a, b])
    assert fingerprint([a]) != fingerprint([Change("Dockerfile", "100644", "1" * 40, "5" * 40)])


def test_trailer_round_trip():
    message = commit_message("chore(docker): apply dockopt rewrites", "abc123")
    assert message == "chore(docker): apply dockopt rewrites\n\nDockopt-Fingerprint: abc123\n"
    assert trailer_fingerprint(message) == "abc123"
    assert trailer_fingerprint("fix: something\n") is None


def test_author_env():
    assert author_env(None) == {}
    env = author_env("Robo Ter <robo@example.com>")
    assert env["GIT_AUTHOR_NAME"] == env["GIT_COMMITTER_NAME"] == "Robo Ter"
    assert env["GIT_AUTHOR_EMAIL"] == env["GIT_COMMITTER_EMAIL"] == "robo@example.com"


def test_title_and_fingerprint_marker():
    assert title(1) == "Optimize Dockerfiles with dockopt (1 file)"
    assert title(3) == "Optimize Dockerfiles with dockopt (3 files)"
    assert fingerprint_in("x\n<!-- dockopt-fingerprint: 0a1b -->\n") == "0a1b"
    assert fingerprint_in(None) is None and fingerprint_in("no marker") is None


def test_doc_sections_turn_rst_literals_into_markdown():
    docs = "Title.\n\n## Why\nUse ``COPY``.\n\n## Fix safety\nSafe.\n"
    assert doc_sections(docs) == {"Why": "Use `COPY`.", "Fix safety": "Safe."}


def test_cli_dispatches_pr_to_the_bot(tmp_path):
    result = subprocess.run(
        [sys.executable, "-m", "optimizer", "pr", str(tmp_path)], capture_output=True, text=True, check=False
    )
    assert result.returncode == 2
    assert (
        result.stderr
        == f"dockopt pr: {tmp_path}: not a git repository (dockopt pr runs in a clone of the repository)\n"
    )


def test_cli_help_lists_the_options():
    result = subprocess.run(
        [sys.executable, "-m", "optimizer", "pr", "--help"], capture_output=True, text=True, check=False
    )
    assert result.returncode == 0
    for option in (
        "--branch",
        "--base",
        "--remote",
        "--verify",
        "--forge",
        "--api-url",
        "--repo",
        "--dry-run",
    ):
        assert option in result.stdout


def test_a_body_too_long_for_github_drops_the_verification_details():
    from optimizer.bot.body import render_body
    from optimizer.bot.rewrite import FileRewrite, Plan, Verification
    from optimizer.verify.pipeline import VerifyReport

    report = VerifyReport(dockerfile="Dockerfile", context=".", changed=True, notes=["x" * 5000])
    rewrite = FileRewrite(
        "Dockerfile",
        "100644",
        "0" * 40,
        "from alpine\n",
        "FROM alpine\n",
        {"DO101": 1},
        (),
        Verification(True, "", report),
    )
    plan = Plan(rewrites=[rewrite])
    common = {"fingerprint": "ab12", "base": "main", "version": "0.1.0", "verified": True}

    full = render_body(plan, **common)
    short = render_body(plan, **common, max_length=4000)

    assert "<details><summary><code>Dockerfile</code></summary>" in full and len(full) > 5000
    assert "<details>" not in short and "run `dockopt verify FILE` to see them" in short
    assert "| `Dockerfile` | DO101 | +1 −1 |" in short and "<!-- dockopt-fingerprint: ab12 -->" in short
