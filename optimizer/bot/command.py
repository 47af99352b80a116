"""``dockopt pr``: the typer command (registered lazily in ``optimizer/commands.py``)."""

from __future__ import annotations

from typing import Annotated

import typer

from optimizer.core.config import CacheStrategy
from optimizer.core.selectors import split_selectors

from .run import DEFAULT_BRANCH, DEFAULT_MESSAGE, PrOptions, run_pr

HELP = (
    "Open or update one pull request with dockopt's rewrites of every Dockerfile under PATH (a clone "
    "of the repository). The branch (dockopt/rewrite) is rebuilt from the base branch each run as one "
    "commit and pushed with --force-with-lease; commits someone else pushed to it are never overwritten "
    "(exit 1). The pull request explains each rule and, with --verify, shows measured sizes and rebuild "
    "times. Needs GITHUB_TOKEN (contents and pull-requests: write) unless --forge none. "
    "Exit 0 done or nothing to do, 1 refused, 2 error."
)


def pr_command(
    path: Annotated[
        str, typer.Argument(help="The clone (or a folder in it) to rewrite.", metavar="PATH")
    ] = ".",
    branch: Annotated[str, typer.Option("--branch", help="The branch dockopt owns.", metavar="NAME")] = (
        DEFAULT_BRANCH
    ),
    base: Annotated[
        str | None,
        typer.Option("--base", help="Base branch (default: the remote's default branch).", metavar="NAME"),
    ] = None,
    remote: Annotated[
        str, typer.Option("--remote", help="The remote to push to.", metavar="NAME")
    ] = "origin",
    message: Annotated[
        str, typer.Option("--message", help="Commit message.", metavar="TEXT")
    ] = DEFAULT_MESSAGE,
    author: Annotated[
        str | None,
        typer.Option(
            "--author", help="Commit author 'Name <email>' (default: git config).", metavar="AUTHOR"
        ),
    ] = None,
    select: Annotated[
        list[str] | None,
        typer.Option("--select", help="Rules to run: codes, prefixes, names or ALL.", metavar="RULES"),
    ] = None,
    ignore: Annotated[
        list[str] | None,
        typer.Option("--ignore", help="Rules to skip: codes, prefixes, names or ALL.", metavar="RULES"),
    ] = None,
    unsafe_fixes: Annotated[
        bool, typer.Option("--unsafe-fixes", help="Also apply fixes that may change behaviour.")
    ] = False,
    cache_strategy: Annotated[
        CacheStrategy | None,
        typer.Option("--cache-strategy", help="Package caches: 'cleanup' (default) or 'mounts'."),
    ] = None,
    verify: Annotated[
        bool,
        typer.Option(
            "--verify",
            help="Build each changed Dockerfile before and after (dockopt verify) and put the numbers in the "
            "pull request; unsafe fixes are proposed only when verified.",
        ),
    ] = False,
    offline: Annotated[
        bool, typer.Option("--offline", help="With --verify: drop `# syntax=` directives for the builds.")
    ] = False,
    forge: Annotated[
        str,
        typer.Option(
            "--forge",
            help="'github', or 'none' to push the branch and print the body.",
            metavar="github|none",
        ),
    ] = "github",
    api_url: Annotated[
        str | None,
        typer.Option(
            "--api-url",
            help="GitHub API base URL (default: $GITHUB_API_URL or api.github.com).",
            metavar="URL",
        ),
    ] = None,
    repo: Annotated[
        str | None,
        typer.Option(
            "--repo", help="OWNER/NAME on the forge (default: from the remote's URL).", metavar="OWNER/NAME"
        ),
    ] = None,
    dry_run: Annotated[
        bool, typer.Option("--dry-run", help="Print the body and the diff; push nothing, change nothing.")
    ] = False,
) -> None:
    options = PrOptions(
        path=path,
        branch=branch,
        base=base,
        remote=remote,
        message=message,
        author=author,
        select=split_selectors(select),
        ignore=split_selectors(ignore),
        unsafe_fixes=unsafe_fixes,
        cache_strategy=cache_strategy.value if cache_strategy else None,
        verify=verify,
        offline=offline,
        forge=forge,
        api_url=api_url,
        repo=repo,
        dry_run=dry_run,
    )
    raise typer.Exit(run_pr(options))
