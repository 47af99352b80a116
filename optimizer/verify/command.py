"""``dockopt verify``: the typer command (registered in ``optimizer/commands.py``).

Only this module imports typer; ``run_verify`` is the same command as a plain function (tests, scripts).
"""

from __future__ import annotations

import os
import sys
from collections.abc import Sequence
from enum import StrEnum
from pathlib import Path
from typing import Annotated, TextIO

import typer

from optimizer.core.config import CacheStrategy

HELP = (
    "Build the original and the rewritten Dockerfile with your Docker engine, check that both images "
    "have the same files and config (apart from what the applied rules declare they remove), and "
    "compare size, layers, cold build, no-op rebuild and rebuild-after-edit times. A rewrite that changes "
    "the final image on purpose (a multi-stage split) is judged instead by its config, runtime closure, "
    "explained dropped paths and the behaviour of both images when run. Nothing in your "
    "tree is written: builds use a temporary copy of the context. "
    "Exit 0 equivalent (or nothing to change), 1 not equivalent, 2 error."
)


class OutputFormat(StrEnum):
    text = "text"
    json = "json"
    markdown = "markdown"


def parse_build_args(values: Sequence[str], environ: dict[str, str] | None = None) -> dict[str, str]:
    """``KEY=VALUE`` pairs; a bare ``KEY`` takes its value from the environment, like ``docker build``."""
    environ = dict(os.environ if environ is None else environ)
    out: dict[str, str] = {}
    for value in values:
        key, eq, rest = value.partition("=")
        if not key.strip():
            raise ValueError(f"--build-arg {value!r}: expected KEY=VALUE")
        if eq:
            out[key] = rest
        elif key in environ:
            out[key] = environ[key]
    return out


def run_verify(
    dockerfile: str,
    *,
    context: str | None = None,
    target: str | None = None,
    build_args: Sequence[str] = (),
    select: Sequence[str] = (),
    ignore: Sequence[str] = (),
    unsafe_fixes: bool = False,
    cache_strategy: str | None = None,
    offline: bool = False,
    fmt: str = "text",
    runs: int = 1,
    smoke: Sequence[str] = (),
    docker=None,
    stdout: TextIO | None = None,
    stderr: TextIO | None = None,
) -> int:
    """Run the command; returns the exit code. Errors go to stderr as one line (plus build details)."""
    from optimizer.core.config import ConfigError

    from .pipeline import verify
    from .report import render, render_text

    out, err = stdout or sys.stdout, stderr or sys.stderr
    try:
        args = parse_build_args(build_args)
        settings = _settings(dockerfile, select, ignore, unsafe_fixes, cache_strategy)
    except ConfigError as exc:  # already "error: ..." or "path: ..."
        err.write(f"{exc}\n")
        return 2
    except ValueError as exc:
        err.write(f"error: {exc}\n")
        return 2

    def progress(message: str) -> None:
        err.write(f"verify: {message}\n")
        err.flush()

    from .docker import DockerCLI, EngineError
    from .fixpath import plan_facts

    docker = docker or DockerCLI()
    path = Path(dockerfile)
    context_dir = Path(context) if context else path.parent
    from optimizer.io import InputError, read_file

    try:
        text: str | None = read_file(path)
    except (InputError, OSError):
        text = None  # verify reports it
    runtime, verified = None, False
    if text is not None and context_dir.is_dir():
        try:
            runtime, verified = plan_facts(
                text, settings, path=path, context_dir=context_dir, docker=docker, progress=progress
            )
        except EngineError as exc:
            err.write(f"error: {exc}\n")
            return 2
    report = verify(
        dockerfile,
        runtime=runtime,
        verified=verified,
        context_dir=context,
        settings=settings,
        target=target,
        build_args=args,
        offline=offline,
        runs=runs,
        docker=docker,
        progress=progress if _isatty(err) else None,
        smoke=[*settings.smoke, *smoke],
    )
    if report.problem is not None:
        if fmt == "text":
            err.write(render_text(report))
        else:
            err.write(f"error: {report.problem.message}\n")
            out.write(render(report, fmt))
    else:
        out.write(render(report, fmt))
    out.flush()
    return report.exit_code


def _settings(
    dockerfile: str,
    select: Sequence[str],
    ignore: Sequence[str],
    unsafe_fixes: bool,
    cache_strategy: str | None,
):
    from optimizer.core.selectors import split_selectors

    from .pipeline import load_settings

    return load_settings(
        dockerfile, split_selectors(select), split_selectors(ignore), unsafe_fixes, cache_strategy
    )


def _isatty(stream: TextIO) -> bool:
    try:
        return stream.isatty()
    except (AttributeError, ValueError):
        return False


def verify_command(
    dockerfile: Annotated[str, typer.Argument(help="The Dockerfile to verify.", metavar="DOCKERFILE")],
    context: Annotated[
        str | None,
        typer.Option("--context", help="Build context directory (default: the Dockerfile's).", metavar="DIR"),
    ] = None,
    target: Annotated[
        str | None,
        typer.Option("--target", help="Build this stage (docker build --target).", metavar="STAGE"),
    ] = None,
    build_arg: Annotated[
        list[str] | None,
        typer.Option("--build-arg", help="KEY=VALUE passed to both builds; repeatable.", metavar="KEY=VALUE"),
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
        typer.Option(
            "--cache-strategy",
            help="Package caches: 'cleanup' removes them in the installing RUN (default), "
            "'mounts' keeps them in BuildKit cache mounts.",
        ),
    ] = None,
    offline: Annotated[
        bool,
        typer.Option(
            "--offline",
            help="Remove `# syntax=` directives for the builds (their frontend needs a registry).",
        ),
    ] = False,
    output_format: Annotated[
        OutputFormat, typer.Option("--format", help="Report format.", case_sensitive=False)
    ] = OutputFormat.text,
    runs: Annotated[
        int, typer.Option("--runs", min=1, help="Build N times; timings are the median.", metavar="N")
    ] = 1,
    smoke: Annotated[
        list[str] | None,
        typer.Option(
            "--smoke",
            help="A shell command run in both images (/bin/sh -c) when the rewrite changes the final "
            "image on purpose; exit status and output must match. Repeatable; added to the config's smoke.",
            metavar="CMD",
        ),
    ] = None,
) -> None:
    if not Path(dockerfile).exists():
        typer.echo(f"{dockerfile}: no such file", err=True)
        raise typer.Exit(2)
    code = run_verify(
        dockerfile,
        context=context,
        target=target,
        build_args=build_arg or [],
        select=select or [],
        ignore=ignore or [],
        unsafe_fixes=unsafe_fixes,
        cache_strategy=cache_strategy.value if cache_strategy else None,
        offline=offline,
        fmt=output_format.value,
        runs=runs,
        smoke=smoke or [],
    )
    raise typer.Exit(code)
