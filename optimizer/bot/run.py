"""``dockopt pr``: rewrite the base branch's Dockerfiles, keep one branch with one commit, keep one PR.

Every run starts from the remote's base branch, so the branch is rebuilt (never rebased by hand) and
the pull request always shows exactly what dockopt proposes today. The order makes failures clean:
everything is read and checked first (repository, token, remote branch, open pull request), then
the branch is pushed with a lease, and if the API then refuses to open or update the pull request
the push is undone, so no half-done state is left behind.

Exit codes: 0 done (or nothing to do), 1 refused (someone else's commits are on the branch),
2 usage, configuration, git or API error.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, TextIO

from .forge import PUBLIC_API, Forge, ForgeError, GitHub, PullRequest, parse_repo, repo_from_remote
from .git import (
    BranchState,
    Change,
    Checkout,
    GitError,
    author_env,
    branch_state,
    check_identity,
    commit_message,
    fetch,
    fingerprint,
    open_repository,
    push,
    remote_default_branch,
    remote_heads,
    remote_url,
)
from .rewrite import Plan, PlanError, VerifyOptions, plan_rewrites

if TYPE_CHECKING:
    from optimizer.verify.docker import DockerCLI

DEFAULT_BRANCH = "dockopt/rewrite"
DEFAULT_MESSAGE = "chore(docker): apply dockopt rewrites"
FORGES = ("github", "none")


class Refused(Exception):
    """dockopt will not do what was asked (someone else's commits are on the branch): exit 1."""


class UsageError(Exception):
    """Bad options or environment: exit 2."""


@dataclass
class PrOptions:
    path: str = "."
    branch: str = DEFAULT_BRANCH
    base: str | None = None
    remote: str = "origin"
    message: str = DEFAULT_MESSAGE
    author: str | None = None
    select: list[str] = field(default_factory=list)
    ignore: list[str] = field(default_factory=list)
    unsafe_fixes: bool = False
    cache_strategy: str | None = None
    verify: bool = False
    offline: bool = False
    forge: str = "github"
    api_url: str | None = None
    repo: str | None = None
    dry_run: bool = False


@dataclass
class Result:
    """What a run did, for its summary and for tests."""

    pushed: str | None = None  # the commit pushed
    opened: int | None = None
    updated: int | None = None
    closed: int | None = None
    body: str | None = None
    fingerprint: str | None = None
    api_calls: list[str] = field(default_factory=list)


def run_pr(
    options: PrOptions,
    *,
    stdout: TextIO | None = None,
    stderr: TextIO | None = None,
    environ: Mapping[str, str] | None = None,
    docker: DockerCLI | None = None,
    result: Result | None = None,
) -> int:
    """Run the command; returns the exit code. Problems are one line on stderr."""
    out, err = stdout or sys.stdout, stderr or sys.stderr
    env = os.environ if environ is None else environ
    result = result if result is not None else Result()
    from optimizer.core.config import ConfigError

    try:
        return _Bot(options, out, err, env, docker, result).run()
    except Refused as exc:
        _say(err, f"dockopt pr: {exc}")
        return 1
    except (UsageError, GitError, ForgeError, PlanError, ConfigError) as exc:
        _say(err, f"dockopt pr: {exc}")
        return 2


def _say(stream: TextIO, line: str) -> None:
    stream.write(line + "\n")
    stream.flush()


class _Bot:
    def __init__(
        self, options: PrOptions, out: TextIO, err: TextIO, env: Mapping[str, str], docker, result: Result
    ):
        self.o, self.out, self.err, self.env, self.docker, self.result = (
            options,
            out,
            err,
            env,
            docker,
            result,
        )

    def note(self, line: str) -> None:
        _say(self.err, line)

    # -- checks that come before anything else ------------------------------------------------------

    def _forge(self, url: str) -> Forge | None:
        o = self.o
        if o.forge not in FORGES:
            raise UsageError(f"--forge {o.forge!r}: expected one of {', '.join(FORGES)}")
        if o.forge == "none":
            return None
        token = self.env.get("GITHUB_TOKEN", "").strip()
        if not token:
            if o.dry_run:
                self.note("dry run without GITHUB_TOKEN: the pull request on GitHub is not looked up")
                return None
            raise UsageError(
                "GITHUB_TOKEN is not set; it needs 'contents: write' and 'pull-requests: write' "
                "(or use --forge none to push the branch only)"
            )
        if o.repo:
            slug = parse_repo(o.repo)
            if slug is None:
                raise UsageError(f"--repo {o.repo!r}: expected OWNER/NAME")
        else:
            slug = repo_from_remote(url)
            if slug is None:
                raise UsageError(
                    f"cannot tell OWNER/NAME from the URL of '{o.remote}' ({url}); pass --repo OWNER/NAME"
                )
        api = o.api_url or self.env.get("GITHUB_API_URL") or PUBLIC_API
        from optimizer import __version__

        return GitHub(api, token, *slug, user_agent=f"dockopt/{__version__}")

    def run(self) -> int:
        o = self.o
        if not o.branch.strip() or o.branch.startswith("-"):
            raise UsageError(f"--branch {o.branch!r}: not a branch name")
        repo = open_repository(Path(o.path))
        git = repo.git
        scope = _scope(Path(o.path), repo.root)
        url = remote_url(git, o.remote)
        forge = self._forge(url)
        identity = author_env(o.author)
        if not o.dry_run:
            check_identity(git, identity)
        try:
            return self._run(git, scope, forge, identity)
        finally:
            if forge is not None:
                self.result.api_calls = list(forge.calls)

    def _run(self, git, scope: str, forge: Forge | None, identity) -> int:
        o = self.o
        base = o.base or (forge.default_branch() if forge else remote_default_branch(git, o.remote))
        if base == o.branch:
            raise UsageError(f"the base branch and the rewrite branch are both '{base}'; pass --branch")
        heads = remote_heads(git, o.remote, [base, o.branch])
        if base not in heads:
            raise UsageError(f"no branch '{base}' on {o.remote}")
        base_tip, branch_tip = heads[base], heads.get(o.branch)
        fetch(git, o.remote, [c for c in (base_tip, branch_tip) if c])
        state = branch_state(git, branch_tip, base_tip) if branch_tip else None
        if state is not None and not state.ours:
            raise Refused(_foreign_message(o.remote, o.branch, state))

        with Checkout(git, base_tip) as checkout:
            verify = VerifyOptions(self.docker, o.offline) if o.verify else None
            plan = plan_rewrites(
                checkout, scope, _overrides(o), verify, progress=self.note if o.verify else None
            )
            for warning in plan.warnings:
                self.note(warning)
            changes = _stage(checkout, plan, store=not o.dry_run)
            open_pr = self._open_pull(forge)
            if not changes:
                return self._nothing_to_change(forge, open_pr, base, base_tip, plan)
            fp = fingerprint(changes)
            self.result.fingerprint = fp
            from optimizer import __version__

            from .body import render_body, title

            body = render_body(
                plan,
                fingerprint=fp,
                base=base,
                version=__version__,
                verified=o.verify,
            )
            pr_title = title(len(plan.rewrites))
            self.result.body = body
            if open_pr is None and forge is not None:
                closed = self._closed_with(forge, fp)
                if closed is not None:
                    self.note(
                        f"pull request #{closed.number} proposed this same change and was closed; "
                        "not reopening it (nothing pushed)"
                    )
                    return 0
            up_to_date = state is not None and state.base == base_tip and state.fingerprint == fp
            if o.dry_run:
                return self._dry_run(plan, body, pr_title, up_to_date, open_pr, forge, base)
            pushed = None
            if up_to_date:
                self.note(f"{o.remote}/{o.branch} already holds this rewrite on {base}; nothing pushed")
            else:
                commit = checkout.commit_changes(changes, commit_message(o.message, fp), identity)
                push(git, o.remote, o.branch, commit, branch_tip)
                pushed = self.result.pushed = commit
                self.note(
                    f"pushed {o.remote}/{o.branch}: one commit on {base} ({base_tip[:12]}), "
                    f"{len(changes)} Dockerfile{'s' if len(changes) != 1 else ''}"
                )
        if forge is None:
            _say(self.out, body)
            return 0
        try:
            self._publish(forge, open_pr, pr_title, body, base, fp, pushed is not None)
        except ForgeError:
            if pushed is not None:
                self._undo_push(git, pushed, branch_tip)
            raise
        return 0

    # -- the pull request -----------------------------------------------------------------------------

    def _open_pull(self, forge: Forge | None) -> PullRequest | None:
        if forge is None:
            return None
        pulls = sorted(forge.pulls(self.o.branch, "open"), key=lambda p: p.number)
        if len(pulls) > 1:
            numbers = ", ".join(f"#{p.number}" for p in pulls)
            self.note(
                f"several open pull requests from {self.o.branch} ({numbers}); using #{pulls[0].number}"
            )
        return pulls[0] if pulls else None

    def _closed_with(self, forge: Forge, fp: str) -> PullRequest | None:
        from .body import fingerprint_in

        for pull in forge.pulls(self.o.branch, "closed"):
            if fingerprint_in(pull.body) == fp:
                return pull
        return None

    def _publish(
        self,
        forge: Forge,
        open_pr: PullRequest | None,
        pr_title: str,
        body: str,
        base: str,
        fp: str,
        pushed: bool,
    ) -> None:
        from .body import fingerprint_in

        if open_pr is None:
            pull = forge.create_pull(pr_title, body, self.o.branch, base)
            self.result.opened = pull.number
            self.note(f"opened pull request #{pull.number}" + (f": {pull.url}" if pull.url else ""))
            return
        stale = (
            pushed or open_pr.title != pr_title or fingerprint_in(open_pr.body) != fp or open_pr.base != base
        )
        if not stale:
            self.note(f"pull request #{open_pr.number} is up to date")
            return
        forge.update_pull(open_pr.number, title=pr_title, body=body, base=base)
        self.result.updated = open_pr.number
        self.note(f"updated pull request #{open_pr.number}" + (f": {open_pr.url}" if open_pr.url else ""))

    def _undo_push(self, git, pushed: str, previous: str | None) -> None:
        o = self.o
        try:
            push(git, o.remote, o.branch, previous, pushed)
        except GitError as exc:
            self.note(f"could not undo the push of {o.remote}/{o.branch} ({exc}); the next run repairs it")
        else:
            what = f"reset to {previous[:12]}" if previous else "deleted"
            self.note(f"the pull request could not be published: {o.remote}/{o.branch} {what} again")

    def _nothing_to_change(
        self, forge: Forge | None, open_pr: PullRequest | None, base: str, base_tip: str, plan: Plan
    ) -> int:
        examined = f"{plan.examined} Dockerfile{'s' if plan.examined != 1 else ''}"
        if open_pr is None:
            self.note(f"nothing to rewrite in {examined} on {base}; nothing pushed")
            return 0
        if self.o.dry_run:
            self.note(
                f"nothing to rewrite on {base}: would close pull request #{open_pr.number} with a comment"
            )
            return 0
        from .body import closing_comment

        assert forge is not None
        forge.comment(open_pr.number, closing_comment(base, base_tip))
        forge.update_pull(open_pr.number, state="closed")
        self.result.closed = open_pr.number
        self.note(f"nothing to rewrite in {examined} on {base}: closed pull request #{open_pr.number}")
        return 0

    def _dry_run(
        self, plan: Plan, body: str, pr_title: str, up_to_date: bool, open_pr, forge, base: str
    ) -> int:
        from optimizer.report.diff import unified_diff

        _say(self.out, f"# {pr_title}\n")
        _say(self.out, body)
        for rewrite in plan.rewrites:
            self.out.write(unified_diff(rewrite.before, rewrite.after, rewrite.path))
        self.out.flush()
        o = self.o
        branch = f"{o.remote}/{o.branch}"
        self.note(
            f"dry run: {branch} is up to date" if up_to_date else f"dry run: would push {branch} on {base}"
        )
        if forge is not None:
            if open_pr is not None:
                self.note(f"dry run: would update pull request #{open_pr.number} if it differs")
            else:
                self.note("dry run: would open a pull request")
        return 0


def _stage(checkout: Checkout, plan: Plan, store: bool) -> list[Change]:
    """Write the rewrites into the checkout and hash them as git stores them (``store``: into the
    object database, for the commit). A rewrite git would store unchanged (its clean filter or
    line-ending settings undo it) is dropped from the plan."""
    from optimizer.io import write_together

    changes, kept = [], []
    for rewrite in plan.rewrites:
        write_together([(checkout.tree / rewrite.path, rewrite.after)])  # a .dockerignore may be new
        blob = checkout.blob_of(rewrite.path, write=store)
        if blob != rewrite.old_blob:
            changes.append(Change(rewrite.path, rewrite.mode, rewrite.old_blob, blob))
            kept.append(rewrite)
    plan.rewrites = kept
    return changes


def _scope(path: Path, root: Path) -> str:
    try:
        relative = path.resolve().relative_to(root.resolve())
    except ValueError:
        raise UsageError(f"{path}: outside the repository at {root}") from None
    return relative.as_posix() if str(relative) != "." else "."


def _overrides(o: PrOptions):
    from optimizer.core.config import CacheStrategy, Overrides

    return Overrides(
        select=tuple(o.select),
        ignore=tuple(o.ignore),
        unsafe_fixes=True if o.unsafe_fixes else None,
        cache_strategy=CacheStrategy(o.cache_strategy) if o.cache_strategy else None,
    )


def _foreign_message(remote: str, branch: str, state: BranchState) -> str:
    latest = state.foreign[0]
    count = len(state.foreign)
    return (
        f"{remote}/{branch} has {count} commit{'s' if count != 1 else ''} dockopt did not make "
        f'(latest {latest.sha[:12]} "{latest.subject}" by {latest.author}); leaving the branch and its '
        "pull request alone. Merge or delete the branch to let dockopt rebuild it."
    )
