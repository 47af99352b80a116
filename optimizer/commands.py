"""The typer side of the CLI: help, usage errors and the subcommands (rules, explain, verify, pr, lsp).

Only imported when the fast path in cli.py declines, so typer's import cost is paid only here.
"""

from __future__ import annotations

import sys
from enum import StrEnum
from typing import Annotated

import typer

from .core.config import CacheStrategy, SplitRuntime
from .core.selectors import split_selectors
from .formatter import FormatOptions, run_format


class Color(StrEnum):
    auto = "auto"
    always = "always"
    never = "never"


format_app = typer.Typer(add_completion=False, rich_markup_mode=None)
tools_app = typer.Typer(add_completion=False, rich_markup_mode=None, no_args_is_help=True)


@format_app.command(
    help="Rewrite Dockerfiles into better ones. Prints a unified diff (exit 1 if anything would change); "
    "--write rewrites in place; '-' reads stdin and writes the result to stdout. "
    "Other commands: `dockopt rules`, `dockopt explain CODE`, `dockopt verify`, `dockopt pr`, `dockopt lsp`."
)
def format_command(
    paths: Annotated[
        list[str], typer.Argument(help="Dockerfiles or directories to search; '-' for stdin.", metavar="PATH")
    ],
    write: Annotated[
        bool, typer.Option("--write", "-w", help="Rewrite files in place (atomically).")
    ] = False,
    check: Annotated[bool, typer.Option("--check", help="Only list the files that would change.")] = False,
    color: Annotated[Color, typer.Option("--color", help="Colour the diff.")] = Color.auto,
    stdin_filename: Annotated[
        str | None, typer.Option("--stdin-filename", help="Name of the stdin file, for config and messages.")
    ] = None,
    select: Annotated[
        list[str] | None, typer.Option("--select", help="Rules to run: codes, prefixes, names or ALL.")
    ] = None,
    ignore: Annotated[
        list[str] | None, typer.Option("--ignore", help="Rules to skip: codes, prefixes, names or ALL.")
    ] = None,
    unsafe_fixes: Annotated[
        bool, typer.Option("--unsafe-fixes", help="Also apply fixes that may change behaviour.")
    ] = False,
    show_fixes: Annotated[bool, typer.Option("--show-fixes", help="List each applied fix.")] = False,
    context: Annotated[
        str | None, typer.Option("--context", help="Build context directory (default: the Dockerfile's).")
    ] = None,
    cache_strategy: Annotated[
        CacheStrategy | None,
        typer.Option(
            "--cache-strategy",
            help="Package caches: 'cleanup' removes them in the installing RUN (default), "
            "'mounts' keeps them in BuildKit cache mounts.",
        ),
    ] = None,
    split_runtime: Annotated[
        SplitRuntime | None,
        typer.Option(
            "--split-runtime",
            help="DO501's runtime stage: 'twin' (the builder's distribution, slim; default) or 'minimal' "
            "(distroless/static for a proven static binary).",
        ),
    ] = None,
    output_format: Annotated[
        str | None,
        typer.Option(
            "--output-format",
            help="full (the diff, default), concise, json, sarif, github, gitlab, rdjson or markdown; "
            "default from $DOCKOPT_OUTPUT_FORMAT.",
        ),
    ] = None,
    output_file: Annotated[
        str | None,
        typer.Option(
            "--output-file", help="Write the output there; the diff or summary still goes to the terminal."
        ),
    ] = None,
    exclude: Annotated[
        list[str] | None,
        typer.Option(
            "--exclude", help="Skip files matching these patterns (added to the configured exclude)."
        ),
    ] = None,
    force_exclude: Annotated[
        bool, typer.Option("--force-exclude", help="Exclude matching files even when named explicitly.")
    ] = False,
    verify: Annotated[
        bool,
        typer.Option(
            "--verify",
            help="Build the original and the rewrite with your Docker engine and apply the fixes that "
            "require proof (e.g. a multi-stage split) only when verification passes.",
        ),
    ] = False,
    smoke: Annotated[
        list[str] | None,
        typer.Option(
            "--smoke", help="With --verify: a shell command both images must run alike (repeatable)."
        ),
    ] = None,
) -> None:
    if write and check:
        raise typer.BadParameter("--write and --check cannot be combined", param_hint="--check")
    options = FormatOptions(
        paths=paths,
        write=write,
        check=check,
        color=color.value,
        stdin_filename=stdin_filename,
        select=split_selectors(select),
        ignore=split_selectors(ignore),
        unsafe_fixes=unsafe_fixes,
        show_fixes=show_fixes,
        context=context,
        cache_strategy=cache_strategy.value if cache_strategy else None,
        split_runtime=split_runtime.value if split_runtime else None,
        output_format=output_format,
        output_file=output_file,
        exclude=split_selectors(exclude),
        force_exclude=force_exclude,
        verify=verify,
        smoke=list(smoke or []),
    )
    raise typer.Exit(run_format(options))


@tools_app.command("rules", help="List the rules: code, name, fix safety, on by default, summary.")
def rules_command() -> None:
    from .rules.base import all_rules

    rows = [
        (r.code, r.name, r.safety.value, "yes" if r.default_enabled else "no", r.summary) for r in all_rules()
    ]
    header = ("CODE", "NAME", "FIX", "DEFAULT", "SUMMARY")
    widths = [max(len(row[i]) for row in [header, *rows]) for i in range(4)]
    for row in [header, *rows]:
        typer.echo("  ".join(cell.ljust(widths[i]) for i, cell in enumerate(row[:4])) + "  " + row[4])


@tools_app.command("explain", help="Print a rule's documentation (by code or name).")
def explain_command(
    rule: Annotated[str, typer.Argument(help="A rule code such as DO102, or its name.")],
) -> None:
    from .rules.base import all_rules

    for candidate in all_rules():
        if rule.upper() == candidate.code or rule.lower() == candidate.name:
            typer.echo(f"{candidate.code} {candidate.name} ({candidate.safety.value} fix)\n")
            typer.echo(candidate.docs())
            return
    typer.echo(f"error: unknown rule '{rule}' (see `dockopt rules`)", err=True)
    raise typer.Exit(2)


@tools_app.command(
    "lsp",
    help="Run the language server (diagnostics, quick fixes, fix-all, formatting) on stdio, "
    "or listen on --tcp HOST:PORT.",
)
def lsp_command(
    tcp: Annotated[
        str | None,
        typer.Option("--tcp", help="Listen on HOST:PORT instead of stdio.", metavar="HOST:PORT"),
    ] = None,
    stdio: Annotated[
        bool,
        typer.Option("--stdio", help="Use stdin/stdout (the default; accepted for editors that pass it)."),
    ] = False,
    log_level: Annotated[
        str, typer.Option("--log-level", help="Log to stderr at this level: error, warning, info or debug.")
    ] = "warning",
) -> None:
    from .lsp import parse_address, serve

    if tcp is not None and stdio:
        raise typer.BadParameter("--tcp and --stdio cannot be combined", param_hint="--tcp")
    if tcp is not None:
        try:
            parse_address(tcp)
        except ValueError as exc:
            raise typer.BadParameter(str(exc), param_hint="--tcp") from None
    if log_level.lower() not in ("error", "warning", "info", "debug"):
        raise typer.BadParameter("one of error, warning, info, debug", param_hint="--log-level")
    raise typer.Exit(serve(tcp, log_level))


def _register_verify() -> None:
    """`dockopt verify` lives in optimizer/verify/; imported only when that command is asked for."""
    from .verify.command import HELP, verify_command

    tools_app.command("verify", help=HELP)(verify_command)


def _register_pr() -> None:
    """`dockopt pr` lives in optimizer/bot/; imported only when that command is asked for."""
    from .bot.command import HELP, pr_command

    tools_app.command("pr", help=HELP)(pr_command)


def run_typer(argv: list[str]) -> None:
    app = tools_app if argv and argv[0] in ("rules", "explain", "verify", "pr", "lsp") else format_app
    if app is tools_app:
        _register_verify()
        _register_pr()
    try:
        app(args=argv, prog_name="dockopt", standalone_mode=True)
    except SystemExit as exc:
        # Usage errors exit 2 (click's convention, and ours); everything else passes through.
        sys.exit(exc.code)
