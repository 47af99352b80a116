"""The git side of ``dockopt pr``, through the real ``git`` binary.

The user's checkout is never touched: no branch switch, no index or working-tree change. The base
commit is fetched by id (no ref is updated), checked out into a private temporary directory through a
temporary index (``checkout-index --prefix``), and the rewrite commit is built with plumbing
(``hash-object``, ``update-index``, ``write-tree``, ``commit-tree``) into the repository's object
store, from where it is pushed. Objects no ref points to are left for ``git gc``.
"""

from __future__ import annotations

import hashlib
import os
import re
import shutil
import subprocess
import tempfile
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Self

TRAILER = "Dockopt-Fingerprint"
_TRAILER_RE = re.compile(rf"^{TRAILER}:\s*([0-9a-f]+)\s*$", re.MULTILINE)
REGULAR_MODES = ("100644", "100755")


class GitError(Exception):
    """A git step failed; the message is one line a user can act on."""


def _text(data: bytes) -> str:
    return data.decode("utf-8", errors="surrogateescape")


@dataclass(frozen=True)
class Change:
    """One file the rewrite commit changes: repository path, mode, blob before and after."""

    path: str
    mode: str
    old_blob: str
    new_blob: str


def fingerprint(changes: Iterable[Change]) -> str:
    """Identifies a proposed change by what it does (path, content before, content after), not by the
    commit: the same rewrite rebuilt on a newer base has the same fingerprint."""
    lines = sorted(f"{c.path}\0{c.old_blob}\0{c.new_blob}\n" for c in changes)
    return hashlib.sha256("".join(lines).encode("utf-8", errors="surrogateescape")).hexdigest()[:20]


@dataclass(frozen=True)
class RemoteCommit:
    """What sits on the remote branch: its tip, parents, message and author (for messages)."""

    sha: str
    parents: tuple[str, ...]
    message: str
    author: str
    subject: str


class Git:
    """``git`` run in one repository (``cwd``) with an optional extra environment."""

    def __init__(self, cwd: Path, env: Mapping[str, str] | None = None) -> None:
        self.cwd = cwd
        self.env = dict(env or {})

    def run(
        self,
        *args: str,
        input: bytes | None = None,
        env: Mapping[str, str] | None = None,
        check: bool = True,
        what: str | None = None,
    ) -> str:
        """stdout of ``git args``; a failure becomes a GitError with git's own last line."""
        full_env = {**os.environ, "GIT_TERMINAL_PROMPT": "0", "LC_ALL": "C", **self.env, **(env or {})}
        try:
            result = subprocess.run(
                ["git", *args],
                check=False,
                cwd=self.cwd,
                input=input,
                capture_output=True,
                env=full_env,
                timeout=600,
            )
        except FileNotFoundError:
            raise GitError("git is not installed (no `git` on PATH)") from None
        except subprocess.TimeoutExpired:
            raise GitError(f"git {args[0]} timed out") from None
        if check and result.returncode != 0:
            raise GitError(f"{what or 'git ' + args[0]} failed: {_last_line(result.stderr)}")
        return _text(result.stdout)

    def status(self, *args: str, env: Mapping[str, str] | None = None) -> int:
        """The exit status of ``git args`` (output discarded)."""
        full_env = {**os.environ, "GIT_TERMINAL_PROMPT": "0", "LC_ALL": "C", **self.env, **(env or {})}
        try:
            return subprocess.run(
                ["git", *args], check=False, cwd=self.cwd, capture_output=True, env=full_env
            ).returncode
        except FileNotFoundError:
            raise GitError("git is not installed (no `git` on PATH)") from None


def _last_line(stderr: bytes) -> str:
    lines = [line.strip() for line in _text(stderr).splitlines() if line.strip()]
    return lines[-1] if lines else "no message"


# -- the user's repository -------------------------------------------------------------------------


@dataclass(frozen=True)
class Repository:
    git: Git
    root: Path  # the top of the working tree
    branch: str  # the checked-out branch (a detached HEAD is refused)


def open_repository(path: Path) -> Repository:
    """The repository containing ``path``; GitError for no repository, a detached HEAD or tracked
    changes that are not committed (``dockopt pr`` works from the remote's base, so a rewrite would
    silently leave them out; the user commits or stashes first)."""
    if not path.exists():
        raise GitError(f"{path}: no such file or directory")
    where = path if path.is_dir() else path.parent
    probe = Git(where)
    top = probe.run("rev-parse", "--show-toplevel", check=False).strip()
    if not top:
        raise GitError(f"{path}: not a git repository (dockopt pr runs in a clone of the repository)")
    git = Git(Path(top))
    branch = git.run("symbolic-ref", "-q", "--short", "HEAD", check=False).strip()
    if not branch:
        raise GitError(f"{top}: HEAD is detached; check out a branch (dockopt pr pushes to a remote branch)")
    dirty = git.run("status", "--porcelain", "--untracked-files=no").strip()
    if dirty:
        count = len(dirty.splitlines())
        raise GitError(
            f"{top}: {count} uncommitted change(s) to tracked files; commit or stash them first "
            "(dockopt pr never touches your working tree and rewrites the remote's base branch)"
        )
    return Repository(git, Path(top), branch)


def remote_url(git: Git, remote: str) -> str:
    url = git.run("remote", "get-url", remote, check=False).strip()
    if not url:
        remotes = git.run("remote").split()
        known = f" (remotes: {', '.join(remotes)})" if remotes else " (this clone has no remote)"
        raise GitError(f"no remote named '{remote}'{known}; pass --remote NAME")
    return url


def remote_default_branch(git: Git, remote: str) -> str:
    """The branch the remote's HEAD points at."""
    out = git.run("ls-remote", "--symref", remote, "HEAD", what=f"reading {remote}")
    for line in out.splitlines():
        if line.startswith("ref: refs/heads/") and line.endswith("\tHEAD"):
            return line[len("ref: refs/heads/") : -len("\tHEAD")]
    raise GitError(f"cannot tell the default branch of '{remote}'; pass --base BRANCH")


def remote_heads(git: Git, remote: str, branches: Sequence[str]) -> dict[str, str]:
    """{branch: commit} for those of ``branches`` that exist on the remote."""
    refs = [f"refs/heads/{b}" for b in branches]
    out = git.run("ls-remote", remote, *refs, what=f"reading {remote}")
    found: dict[str, str] = {}
    for line in out.splitlines():
        sha, _, ref = line.partition("\t")
        if ref in refs:
            found[ref[len("refs/heads/") :]] = sha
    return found


def fetch(git: Git, remote: str, commits: Sequence[str]) -> None:
    """Fetch commits by id: their objects arrive, no ref (and no FETCH_HEAD) is written."""
    missing = [c for c in commits if git.status("cat-file", "-e", f"{c}^{{commit}}") != 0]
    if missing:
        git.run("fetch", "--quiet", "--no-tags", "--no-write-fetch-head", remote, *missing, what="git fetch")


def read_commit(git: Git, sha: str) -> RemoteCommit:
    parents = git.run("rev-list", "--parents", "-n", "1", sha).split()[1:]
    message = git.run("log", "-1", "--format=%B", sha)
    author = git.run("log", "-1", "--format=%an <%ae>", sha).strip()
    subject = git.run("log", "-1", "--format=%s", sha).strip()
    return RemoteCommit(sha, tuple(parents), message, author, subject)


def diff_changes(git: Git, old: str, new: str) -> list[Change]:
    """The files that differ between two commits, as Changes (renames are not detected)."""
    out = git.run("diff-tree", "-r", "-z", "--no-renames", old, new)
    fields = out.split("\0")
    changes = []
    for meta, path in zip(fields[0::2], fields[1::2], strict=False):
        if not meta.startswith(":"):
            continue
        _old_mode, new_mode, old_blob, new_blob, _status = meta[1:].split(" ")
        changes.append(Change(path, new_mode, old_blob, new_blob))
    return changes


def trailer_fingerprint(message: str) -> str | None:
    match = _TRAILER_RE.search(message)
    return match.group(1) if match else None


@dataclass(frozen=True)
class BranchState:
    """What the remote branch holds, judged against what dockopt makes."""

    commit: RemoteCommit
    ours: bool
    base: str | None  # the commit ours sits on
    fingerprint: str | None
    foreign: list[RemoteCommit]  # commits dockopt did not make (newest first), when not ours


def branch_state(git: Git, tip: str, base_tip: str) -> BranchState:
    """Ours = exactly one commit on a single parent, carrying our trailer, whose changes have the
    fingerprint the trailer names. Anything else was made or changed by someone else."""
    commit = read_commit(git, tip)
    stamp = trailer_fingerprint(commit.message)
    if len(commit.parents) == 1 and stamp and fingerprint(diff_changes(git, commit.parents[0], tip)) == stamp:
        return BranchState(commit, True, commit.parents[0], stamp, [])
    foreign = []
    for sha in git.run("rev-list", "--max-count=20", tip, f"^{base_tip}").split():
        other = read_commit(git, sha)
        if not (trailer_fingerprint(other.message) and len(other.parents) == 1):
            foreign.append(other)
    return BranchState(commit, False, None, None, foreign or [commit])


# -- the temporary checkout and the rewrite commit ------------------------------------------------


@dataclass(frozen=True)
class Entry:
    mode: str
    blob: str


class Checkout:
    """The files of one commit in a private temporary directory, with its own index.

    ``tree`` holds the files as ``git checkout`` would write them (filters and line-ending settings
    apply); the user's working tree and index are not involved. Use as a context manager: the
    directory is removed on exit.
    """

    def __init__(self, git: Git, commit: str) -> None:
        self.git = git
        self.commit = commit
        self._dir = Path(tempfile.mkdtemp(prefix="dockopt-pr-"))
        self.tree = self._dir / "tree"
        # Large files kept in Git LFS stay pointers: the rules read Dockerfiles and small manifests.
        self._env = {"GIT_INDEX_FILE": str(self._dir / "index"), "GIT_LFS_SKIP_SMUDGE": "1"}
        self.entries: dict[str, Entry] = {}

    def __enter__(self) -> Self:
        try:
            self.git.run("read-tree", self.commit, env=self._env)
            self.git.run("checkout-index", "--all", "--force", f"--prefix={self.tree}/", env=self._env)
            self.tree.mkdir(exist_ok=True)  # an empty commit checks out nothing
            out = self.git.run("ls-tree", "-r", "-z", "--full-tree", self.commit)
            for record in filter(None, out.split("\0")):
                meta, _, path = record.partition("\t")
                mode, _kind, blob = meta.split(" ")
                self.entries[path] = Entry(mode, blob)
        except BaseException:
            self.close()
            raise
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        shutil.rmtree(self._dir, ignore_errors=True)

    def blob_of(self, path: str, write: bool) -> str:
        """The blob id of the checked-out file at ``path`` as git would store it (clean filters)."""
        args = ["hash-object", f"--path={path}", "--", str(self.tree / path)]
        if write:
            args.insert(1, "-w")
        return self.git.run(*args).strip()

    def commit_changes(self, changes: Sequence[Change], message: str, author_env: Mapping[str, str]) -> str:
        """A commit on top of ``self.commit`` whose tree differs only by ``changes``; returns its id."""
        index_info = "".join(f"{c.mode} {c.new_blob}\t{c.path}\0" for c in changes)
        self.git.run(
            "update-index",
            "-z",
            "--index-info",
            input=index_info.encode("utf-8", "surrogateescape"),
            env=self._env,
        )
        tree = self.git.run("write-tree", env=self._env).strip()
        return self.git.run(
            "commit-tree", tree, "-p", self.commit, "-F", "-",
            input=message.encode("utf-8"), env=author_env, what="creating the commit",
        ).strip()  # fmt: skip


def commit_message(headline: str, fp: str) -> str:
    return f"{headline.rstrip()}\n\n{TRAILER}: {fp}\n"


def author_env(author: str | None) -> dict[str, str]:
    """``--author "Name <email>"`` as git's environment (author and committer); None: git config."""
    if author is None:
        return {}
    match = re.fullmatch(r"\s*(.+?)\s*<([^<>]+)>\s*", author)
    if not match:
        raise GitError(f"--author {author!r}: expected 'Name <email>'")
    name, email = match.groups()
    return {
        "GIT_AUTHOR_NAME": name,
        "GIT_AUTHOR_EMAIL": email,
        "GIT_COMMITTER_NAME": name,
        "GIT_COMMITTER_EMAIL": email,
    }


def check_identity(git: Git, env: Mapping[str, str]) -> None:
    """Fail early (before any push) when git has no author identity to commit with."""
    if git.status("var", "GIT_AUTHOR_IDENT", env=env) != 0 or git.status(
        "var", "GIT_COMMITTER_IDENT", env=env
    ):
        raise GitError(
            "git has no author identity: set user.name and user.email (git config) or pass "
            "--author 'Name <email>'"
        )


# -- pushing ---------------------------------------------------------------------------------------


def push(git: Git, remote: str, branch: str, new: str | None, expected: str | None) -> None:
    """Set ``branch`` on the remote to ``new`` (None: delete it), only if it still is ``expected``
    (None: only if it does not exist) — ``--force-with-lease`` with an explicit expectation."""
    ref = f"refs/heads/{branch}"
    lease = f"--force-with-lease={ref}:{expected or ''}"
    spec = f"{new}:{ref}" if new else f":{ref}"
    full_env = {**os.environ, "GIT_TERMINAL_PROMPT": "0", "LC_ALL": "C", **git.env}
    result = subprocess.run(
        ["git", "push", "--porcelain", lease, remote, spec],
        check=False,
        cwd=git.cwd,
        capture_output=True,
        env=full_env,
        timeout=600,
    )
    if result.returncode != 0:
        output = _text(result.stdout) + _text(result.stderr)
        if "stale info" in output or "fetch first" in output:
            raise GitError(f"{remote}/{branch} changed while dockopt ran; nothing was pushed (run it again)")
        raise GitError(f"git push to {remote} failed: {_last_line(result.stderr)}")
