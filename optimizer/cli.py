"""The ``dockopt`` command.

typer defines the interface (help, usage errors, subcommands), but importing it costs ~100 ms,
more than our whole budget for a cold ``dockopt --check``. So the common invocation — paths plus
the options in OPTIONS — is parsed by a small parser here and runs without importing typer;
anything else (``--help``, a subcommand, a usage error) is handed to the typer app in
``optimizer/commands.py``, which declares the same options. A test keeps the two in step.
"""

from __future__ import annotations

import os
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import TextIO

SUBCOMMANDS = ("rules", "explain", "verify")
# The format command's options: (flag names, takes a value). commands.py declares the same set.
OPTIONS: dict[str, tuple[tuple[str, ...], bool]] = {
    "write": (("--write", "-w"), False),
    "check": (("--check",), False),
    "color": (("--color",), True),
    "stdin_filename": (("--stdin-filename",), True),
    "select": (("--select",), True),
    "ignore": (("--ignore",), True),
    "unsafe_fixes": (("--unsafe-fixes",), False),
    "show_fixes": (("--show-fixes",), False),
    "context": (("--context",), True),
}
COLOR_CHOICES = ("auto", "always", "never")


@dataclass
class FormatOptions:
    paths: list[str] = field(default_factory=list)
    write: bool = False
    check: bool = False
    color: str = "auto"
    stdin_filename: str | None = None
    select: list[str] = field(default_factory=list)
    ignore: list[str] = field(default_factory=list)
    unsafe_fixes: bool = False
    show_fixes: bool = False
    context: str | None = None


def fast_parse(argv: list[str]) -> FormatOptions | None:
    """Parse the common case; None means "let typer handle it" (help, unknown option, bad value)."""
    by_flag = {flag: (key, takes) for key, (flags, takes) in OPTIONS.items() for flag in flags}
    options = FormatOptions()
    i = 0
    only_paths = False
    while i < len(argv):
        arg = argv[i]
        i += 1
        if only_paths or arg == "-" or not arg.startswith("-"):
            options.paths.append(arg)
            continue
        if arg == "--":
            only_paths = True
            continue
        flag, eq, inline = arg.partition("=")
        if flag not in by_flag:
            return None
        key, takes = by_flag[flag]
        if not takes:
            if eq:
                return None
            setattr(options, key, True)
            continue
        if not eq:
            if i >= len(argv):
                return None
            inline = argv[i]
            i += 1
        if key in ("select", "ignore"):
            getattr(options, key).extend(s.strip() for s in inline.split(",") if s.strip())
        else:
            setattr(options, key, inline)
    if not options.paths or options.color not in COLOR_CHOICES or (options.write and options.check):
        return None
    return options


def main(argv: list[str] | None = None) -> None:
    argv = sys.argv[1:] if argv is None else argv
    options = None if argv and argv[0] in SUBCOMMANDS else fast_parse(argv)
    if options is None:
        from .commands import run_typer

        run_typer(argv)
        return
    sys.exit(run_format(options))


# -- the format command ------------------------------------------------------------------------


def _say(stream: TextIO, text: str) -> None:
    stream.write(text)
    stream.flush()


def _settings(options: FormatOptions, anchor: Path):
    from .settings import ConfigError, Settings, find_config, load_config

    config = find_config(anchor)
    settings = load_config(config) if config else Settings()
    settings = settings.merged(
        select=tuple(options.select) or None,
        ignore=tuple(options.ignore) or None,
        unsafe_fixes=True if options.unsafe_fixes else None,
    )
    from .rules.base import known_selector

    for selector in (*settings.select, *settings.ignore):
        if not known_selector(selector):
            raise ConfigError(f"unknown rule selector '{selector}' (see `dockopt rules`)")
    return settings


def _fix_summary(applied) -> str:
    counts: dict[str, int] = {}
    for finding in applied:
        counts[finding.code] = counts.get(finding.code, 0) + 1
    parts = [code if n == 1 else f"{code}×{n}" for code, n in sorted(counts.items())]
    total = len(applied)
    return f"{total} fix{'es' if total != 1 else ''}: {', '.join(parts)}"


def _show_fixes(stream: TextIO, name: str, applied) -> None:
    for finding in applied:
        safety = "" if finding.applicability.value == "safe" else f" ({finding.applicability.value})"
        _say(stream, f"{name}:{finding.line}:{finding.column}: {finding.code} [{finding.name}] {finding.message}{safety}\n")


def _hint(outcome) -> str | None:
    unsafe = [f for f in outcome.remaining if f.applicability.value == "unsafe"]
    if unsafe:
        return f"{len(unsafe)} more fix{'es' if len(unsafe) != 1 else ''} available with --unsafe-fixes"
    return None


def _process(text: str, name: str, settings, context_dir: Path | None, path: Path | None):
    """(outcome, error line) for one input; exactly one of them is None."""
    from .engine import fix_text
    from .syntax import ParseError

    try:
        outcome = fix_text(text, settings, path=path, context_dir=context_dir)
    except ParseError as exc:
        return None, exc.format(name)
    except RecursionError:
        return None, f"{name}: input too deeply nested to process"
    if outcome.error is not None:
        return None, f"{name}: internal error: {outcome.error}"
    return outcome, None


def run_format(options: FormatOptions) -> int:
    from .io import InputError, decode, read_file, write_atomic
    from .settings import ConfigError

    stdout, stderr = sys.stdout, sys.stderr
    use_color = options.color == "always" or (
        options.color == "auto" and stdout.isatty() and not os.environ.get("NO_COLOR")
    )
    if "-" in options.paths and len(options.paths) > 1:
        _say(stderr, "error: '-' (stdin) cannot be combined with other paths\n")
        return 2
    anchor = Path(options.stdin_filename) if "-" in options.paths and options.stdin_filename else Path(
        options.paths[0] if options.paths[0] != "-" else "."
    )
    try:
        settings = _settings(options, anchor.parent if anchor.suffix or anchor.is_file() else anchor)
    except ConfigError as exc:
        _say(stderr, f"error: {exc}\n")
        return 2
    explicit_context = Path(options.context) if options.context else None
    if explicit_context is not None and not explicit_context.is_dir():
        _say(stderr, f"{options.context}: build context is not a directory\n")
        return 2

    if options.paths == ["-"]:
        name = options.stdin_filename or "-"
        try:
            text = decode(sys.stdin.buffer.read(), name)
        except InputError as exc:
            _say(stderr, f"{exc}\n")
            return 2
        path = Path(options.stdin_filename) if options.stdin_filename else None
        context_dir = explicit_context or (path.parent if path else None)
        outcome, error = _process(text, name, settings, context_dir, path)
        if error:
            _say(stderr, error + "\n")
            return 2
        if options.show_fixes:
            _show_fixes(stderr, name, outcome.applied)
        if options.check:
            if outcome.changed:
                _say(stderr, f"would fix {name} ({_fix_summary(outcome.applied)})\n")
            return 1 if outcome.changed else 0
        sys.stdout.buffer.write(outcome.output.encode("utf-8"))
        sys.stdout.flush()
        return 0

    from .discovery import find_dockerfiles

    files: list[Path] = []
    had_error = False
    for raw in options.paths:
        path = Path(raw)
        if path.is_dir():
            found = find_dockerfiles(path)
            if not found:
                _say(stderr, f"{raw}: no Dockerfiles found\n")
            files += found
        else:
            files.append(path)

    changed = 0
    for path in files:
        name = str(path)
        try:
            text = read_file(path)
        except InputError as exc:
            _say(stderr, f"{exc}\n")
            had_error = True
            continue
        outcome, error = _process(text, name, settings, explicit_context or path.parent, path)
        if error:
            _say(stderr, error + "\n")
            had_error = True
            continue
        if not outcome.changed:
            continue
        changed += 1
        if options.write:
            try:
                write_atomic(path, outcome.output)
            except OSError as exc:
                _say(stderr, f"{name}: cannot write: {exc.strerror or exc}\n")
                had_error = True
                continue
            _say(stdout, f"fixed {name} ({_fix_summary(outcome.applied)})\n")
        elif options.check:
            _say(stdout, f"would fix {name} ({_fix_summary(outcome.applied)})\n")
        else:
            from .report.diff import colorize, unified_diff

            diff = unified_diff(outcome.input, outcome.output, name.lstrip("/"))
            _say(stdout, colorize(diff) if use_color else diff)
        if options.show_fixes:
            _show_fixes(stdout, name, outcome.applied)
        hint = _hint(outcome)
        if hint:
            _say(stderr, f"{name}: {hint}\n")

    if had_error:
        return 2
    if changed and not options.write:
        verb = "would be changed"
        _say(stderr, f"{changed} file{'s' if changed != 1 else ''} {verb}, {len(files) - changed} unchanged\n")
        return 1
    return 0
