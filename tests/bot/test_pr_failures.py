"""API errors and rate limits give one clear line and leave no half-done state; --dry-run writes
nothing anywhere; bad input (no repository, no remote, detached HEAD, dirty tree, no token) exits 2."""

from __future__ import annotations

import io
import time

import pytest

from optimizer.bot.run import PrOptions, run_pr

from .support import BRANCH, REPO_PATH, ROOT_DOCKERFILE, TOKEN, git, pull_json

REPO = f"GET {REPO_PATH}"
OPEN = f"GET {REPO_PATH}/pulls?state=open&head=acme%3Adockopt%2Frewrite&per_page=100"


def env(github) -> dict[str, str]:
    return {"GITHUB_TOKEN": TOKEN, "GITHUB_API_URL": github.url}


def snapshot(repos) -> tuple[str, str, str]:
    """Everything a run could write: the origin's refs, the clone's refs and its working tree state."""
    return (
        git(repos.origin, "for-each-ref"),
        git(repos.work, "for-each-ref") + git(repos.work, "worktree", "list"),
        git(repos.work, "status", "--porcelain", "--ignored"),
    )


@pytest.mark.parametrize(
    ("status", "body", "expected"),
    [
        (401, {"message": "Bad credentials"}, "the token was rejected (bad credentials); check GITHUB_TOKEN"),
        (403, {"message": "Resource not accessible by integration"}, "'pull-requests: write' on acme/shop"),
        (404, {"message": "Not Found"}, "no repository acme/shop, or the token cannot see it"),
    ],
)
def test_api_errors_before_anything_is_written(repos, github, run_bot, status, body, expected):
    before = snapshot(repos)
    github.expect("GET", REPO_PATH, status=status, reply=body)

    run = run_bot(env=env(github))

    assert run.code == 2
    assert (
        run.err == f"dockopt pr: GitHub API GET {REPO_PATH}: {status}: " + run.err.split(f"{status}: ", 1)[1]
    )
    assert expected in run.err and run.err.count("\n") == 1
    assert github.calls() == [REPO]
    assert snapshot(repos) == before


def test_rate_limit_with_retry_after(repos, github, run_bot):
    github.expect("GET", REPO_PATH, status=429, reply={"message": "slow down"}, headers={"retry-after": "60"})

    run = run_bot(env=env(github))

    assert run.code == 2
    assert "rate limited; GitHub asks to retry after 60 s" in run.err
    assert repos.remote_ref(BRANCH) is None


def test_rate_limit_exhausted_says_when_it_resets(repos, github, run_bot):
    reset = int(time.time()) + 600
    github.repo()
    github.expect(
        "GET",
        f"{REPO_PATH}/pulls",
        query={"state": "open", "head": f"acme:{BRANCH}", "per_page": "100"},
        status=403,
        reply={"message": "API rate limit exceeded for installation"},
        headers={"x-ratelimit-remaining": "0", "x-ratelimit-reset": str(reset)},
    )

    run = run_bot(env=env(github))

    assert run.code == 2
    when = time.strftime("%H:%M:%S UTC", time.gmtime(reset))
    assert f"API rate limit exhausted; it resets at {when} (in " in run.err
    assert github.calls() == [REPO, OPEN]
    assert repos.remote_ref(BRANCH) is None  # the rewrite was planned, nothing was pushed


def test_refused_pull_request_undoes_the_new_branch(repos, github, run_bot):
    github.repo()
    github.open_pulls([])
    github.closed_pulls([])
    github.expect(
        "POST",
        f"{REPO_PATH}/pulls",
        status=422,
        reply={"message": "Validation Failed", "errors": [{"message": "No commits between main and x"}]},
    )

    run = run_bot(env=env(github))

    assert run.code == 2
    assert "GitHub refused the request: Validation Failed (No commits between main and x)" in run.err
    assert "deleted again" in run.err
    assert repos.remote_ref(BRANCH) is None  # no branch without its pull request


def test_failed_update_puts_the_old_branch_back(repos, github, run_bot):
    github.repo()
    github.open_pulls([])
    github.closed_pulls([])
    github.expect("POST", f"{REPO_PATH}/pulls", status=201, reply=pull_json(7, "", "t"))
    assert run_bot(env=env(github)).code == 0
    old_tip = repos.remote_ref(BRANCH)
    body = github.payload(3)["body"]
    repos.maintainer_commit({"README.md": "moved\n"}, "move main")
    github.reset()
    github.repo()
    github.open_pulls([pull_json(7, body, "Optimize Dockerfiles with dockopt (2 files)")])
    github.expect("PATCH", f"{REPO_PATH}/pulls/7", status=500, reply={"message": "Server Error"})

    run = run_bot(env=env(github))

    assert run.code == 2
    assert f"GitHub API PATCH {REPO_PATH}/pulls/7: 500: Server Error" in run.err
    assert repos.remote_ref(BRANCH) == old_tip
    assert f"reset to {old_tip[:12]} again" in run.err


def test_unreachable_api(repos, run_bot):
    run = run_bot(env={"GITHUB_TOKEN": TOKEN, "GITHUB_API_URL": "http://127.0.0.1:9"})

    assert run.code == 2
    assert run.err.startswith("dockopt pr: cannot reach http://127.0.0.1:9: ")
    assert repos.remote_ref(BRANCH) is None


# -- --dry-run --------------------------------------------------------------------------------------


def test_dry_run_without_token_prints_body_and_diff_and_writes_nothing(repos, run_bot):
    before = snapshot(repos)
    objects = git(repos.work, "count-objects", "-v")

    run = run_bot(dry_run=True)

    assert run.code == 0, run.err
    assert run.out.startswith("# Optimize Dockerfiles with dockopt (2 files)\n")
    assert "<!-- dockopt-fingerprint: " in run.out
    assert "--- a/Dockerfile\n+++ b/Dockerfile\n" in run.out
    assert "-run apt-get update\n" in run.out
    assert "dry run: would push origin/dockopt/rewrite on main" in run.err
    assert snapshot(repos) == before
    assert git(repos.work, "count-objects", "-v") == objects  # not even an object was stored


def test_dry_run_with_token_only_reads(repos, github, run_bot):
    before = snapshot(repos)
    github.repo()
    github.open_pulls([])
    github.closed_pulls([])

    run = run_bot(env=env(github), dry_run=True)

    assert run.code == 0, run.err
    assert [call.split(" ")[0] for call in github.calls()] == ["GET", "GET", "GET"]
    assert "dry run: would open a pull request" in run.err
    assert snapshot(repos) == before


def test_dry_run_when_the_base_is_fixed_only_says_it_would_close(repos, github, run_bot):
    clean = {"Dockerfile": "FROM alpine:3.20\n", "services/api/Dockerfile": "FROM alpine:3.20\n"}
    repos.maintainer_commit(clean, "clean")
    github.repo()
    github.open_pulls([pull_json(7, "", "t")])

    run = run_bot(env=env(github), dry_run=True)

    assert run.code == 0
    assert github.calls() == [REPO, OPEN]
    assert "would close pull request #7" in run.err


# -- --forge none -----------------------------------------------------------------------------------


def test_forge_none_pushes_the_branch_and_prints_the_body(repos, run_bot):
    run = run_bot(forge="none", repo=None)

    assert run.code == 0, run.err
    assert run.out.startswith("<!-- dockopt-fingerprint: ")
    assert len(git(repos.origin, "rev-list", f"main..{BRANCH}").splitlines()) == 1
    again = run_bot(forge="none", repo=None)
    assert again.code == 0 and "nothing pushed" in again.err


# -- bad input --------------------------------------------------------------------------------------


def one_line(run) -> str:
    assert run.code == 2, run.err
    assert run.err.count("\n") == 1, run.err
    return run.err


def test_not_a_git_repository(tmp_path, run_bot):
    (tmp_path / "plain").mkdir()
    assert "not a git repository" in one_line(run_bot(path=str(tmp_path / "plain")))


def test_no_remote(repos, run_bot):
    git(repos.work, "remote", "remove", "origin")
    assert "no remote named 'origin' (this clone has no remote); pass --remote NAME" in one_line(run_bot())


def test_unknown_remote_lists_the_known_ones(repos, run_bot):
    assert "no remote named 'upstream' (remotes: origin)" in one_line(run_bot(remote="upstream"))


def test_detached_head(repos, run_bot):
    git(repos.work, "checkout", "-q", "--detach")
    assert "HEAD is detached" in one_line(run_bot())


def test_dirty_working_tree_is_never_touched(repos, run_bot):
    (repos.work / "Dockerfile").write_text(ROOT_DOCKERFILE + "# my work in progress\n")
    before = snapshot(repos)

    err = one_line(run_bot())

    assert "1 uncommitted change(s) to tracked files; commit or stash them first" in err
    assert (repos.work / "Dockerfile").read_text().endswith("# my work in progress\n")
    assert snapshot(repos) == before


def test_untracked_files_do_not_count_as_dirty(repos, github, run_bot):
    (repos.work / "notes.txt").write_text("scratch\n")
    github.repo()
    github.open_pulls([])
    github.closed_pulls([])
    github.expect("POST", f"{REPO_PATH}/pulls", status=201, reply=pull_json(1, "", "t"))

    assert run_bot(env=env(github)).code == 0
    assert (repos.work / "notes.txt").read_text() == "scratch\n"


def test_missing_token(repos, run_bot):
    err = one_line(run_bot())
    assert "GITHUB_TOKEN is not set" in err and "--forge none" in err
    assert repos.remote_ref(BRANCH) is None


def test_repo_not_parseable_from_a_local_remote(repos, run_bot):
    err = one_line(run_bot(env={"GITHUB_TOKEN": TOKEN}, repo=None))
    assert "cannot tell OWNER/NAME from the URL of 'origin'" in err and "pass --repo OWNER/NAME" in err


def test_bad_options(repos, run_bot):
    assert "--repo 'acme': expected OWNER/NAME" in one_line(run_bot(env={"GITHUB_TOKEN": TOKEN}, repo="acme"))
    assert "--forge 'gitlab'" in one_line(run_bot(forge="gitlab"))
    assert "expected 'Name <email>'" in one_line(run_bot(forge="none", author="nobody"))
    assert "unknown rule selector 'DO999'" in one_line(run_bot(forge="none", select=["DO999"]))
    assert "no branch 'nope' on origin" in one_line(run_bot(forge="none", base="nope"))


def test_no_git_identity(repos, run_bot):
    git(repos.work, "config", "--unset", "user.name")
    git(repos.work, "config", "--unset", "user.email")
    git(repos.work, "config", "user.useConfigOnly", "true")  # no guessing from the host name
    err = one_line(run_bot(forge="none"))
    assert "git has no author identity" in err


def test_broken_config_on_the_base_branch(repos, run_bot):
    repos.maintainer_commit({"dockopt.toml": "select = 3\n"}, "broken config")
    err = one_line(run_bot(forge="none"))
    assert err == "dockopt pr: dockopt.toml: 'select' must be a list of rule codes or names\n"
    assert repos.remote_ref(BRANCH) is None


def test_a_dockerfile_that_does_not_parse_is_skipped_with_a_warning(repos, run_bot):
    repos.maintainer_commit({"broken/Dockerfile": "FROM alpine\nRUN <<EOF\necho never closed\n"}, "broken")
    run = run_bot(forge="none")
    assert run.code == 0, run.err
    assert "broken/Dockerfile:" in run.err and "left unchanged" in run.err
    assert "broken/Dockerfile" not in git(repos.origin, "diff", "--name-only", f"main..{BRANCH}")


def test_stdout_and_stderr_default_to_the_process_streams(repos, capsys, monkeypatch):
    monkeypatch.chdir(repos.work)
    assert run_pr(PrOptions(forge="none", dry_run=True)) == 0
    captured = capsys.readouterr()
    assert "<!-- dockopt-fingerprint" in captured.out and "dry run" in captured.err


def test_line_endings_and_file_mode_survive_like_with_write(tmp_path, run_bot):
    from .support import make_repos, written_by_cli

    (tmp_path / "crlf").mkdir()
    repos = make_repos(tmp_path / "crlf", {"Dockerfile": "from alpine:3.20\r\nrun true\r\n"})
    (repos.maintainer / "Dockerfile").chmod(0o755)
    git(repos.maintainer, "add", "Dockerfile")
    git(repos.maintainer, "commit", "-q", "-m", "executable")
    git(repos.maintainer, "push", "-q", "origin", "main")

    code = run_pr(PrOptions(path=str(repos.work), forge="none"), stdout=io.StringIO(), stderr=io.StringIO())

    assert code == 0
    assert repos.show(BRANCH, "Dockerfile") == written_by_cli(repos, tmp_path)["Dockerfile"]
    assert repos.show(BRANCH, "Dockerfile").endswith("\r\n")
    assert git(repos.origin, "ls-tree", BRANCH, "Dockerfile").startswith("100755 blob ")
