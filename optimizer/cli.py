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

SUBCOMMANDS = ("rules", "explain", "verify", "lsp")
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
    "cache_strategy": (("--cache-strategy",), True),
}
COLOR_CHOICES = ("auto", "always", "never")
CACHE_STRATEGIES = ("cleanup", "mounts")  # core.config.CacheStrategy's values (a test holds them equal)


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
    cache_strategy: str | None = None  # None: the config file's (default "cleanup")


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
    if options.cache_strategy is not None and options.cache_strategy not in CACHE_STRATEGIES:
        return None
    return options


def main(argv: list[str] | None = None) -> None:
    argv = sys.argv[1:] if argv is None else argv
    try:
        options = None if argv and argv[0] in SUBCOMMANDS else fast_parse(argv)
        if options is None:
            from .commands import run_typer

            run_typer(argv)
            return
        code = run_format(options)
    except BrokenPipeError:
        # The reader went away (`dockopt . | head`): no traceback, and no more output to anyone.
        _silence_stdout()
        code = 2
    except KeyboardInterrupt:
        code = 130
    sys.exit(code)


def _silence_stdout() -> None:
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
    except (OSError, AttributeError, ValueError):
        pass


# -- the format command ------------------------------------------------------------------------


def _say(stream: TextIO, text: str) -> None:
    """Write a message; characters the stream cannot encode are escaped rather than fatal."""
    buffer = getattr(stream, "buffer", None)
    if buffer is None:  # a StringIO in an in-process caller
        stream.write(text)
        stream.flush()
        return
    stream.flush()
    buffer.write(text.encode(stream.encoding or "utf-8", errors="backslashreplace"))
    buffer.flush()


def _say_utf8(stream: TextIO, text: str) -> None:
    """Write file content (a diff, a fixed file) as UTF-8 whatever the locale: it must stay a patch.

    Names from the file system may hold undecodable bytes (surrogate escapes); they go out as they came.
    """
    buffer = getattr(stream, "buffer", None)
    if buffer is None:
        stream.write(text)
        stream.flush()
        return
    stream.flush()
    buffer.write(text.encode("utf-8", errors="surrogateescape"))
    buffer.flush()


def _resolver(options: FormatOptions):
    """The settings for each input: config files found per directory, then these options."""
    from .core.config import Overrides, SettingsResolver
    from .rules.base import known_selector

    overrides = Overrides(
        select=tuple(options.select),
        ignore=tuple(options.ignore),
        unsafe_fixes=True if options.unsafe_fixes else None,
        cache_strategy=options.cache_strategy,  # type: ignore[arg-type]
    )
    return SettingsResolver(overrides, known_selector)


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
        where = f"{name}:{finding.line}:{finding.column}"
        _say(stream, f"{where}: {finding.code} [{finding.name}] {finding.message}{safety}\n")


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
    except Exception as exc:  # noqa: BLE001 - a rule's bug must not cost the user a traceback
        detail = " ".join(f"{type(exc).__name__}: {exc}".split())
        return None, (
            f"{name}: internal error: {detail}; the file was left unchanged. "
            "Please report this as a dockopt bug."
        )
    if outcome.error is not None:
        return None, f"{name}: internal error: {outcome.error}"
    return outcome, None


def run_format(options: FormatOptions) -> int:
    from .core.config import ConfigError

    stdout, stderr = sys.stdout, sys.stderr
    if "-" in options.paths and len(options.paths) > 1:
        _say(stderr, "error: '-' (stdin) cannot be combined with other paths\n")
        return 2
    try:
        settings_for = _resolver(options)
    except ConfigError as exc:
        _say(stderr, f"{exc}\n")
        return 2
    explicit_context = Path(options.context) if options.context else None
    if explicit_context is not None and not explicit_context.is_dir():
        _say(stderr, f"{options.context}: build context is not a directory\n")
        return 2
    if options.paths == ["-"]:
        return _run_stdin(options, settings_for, explicit_context)

    use_color = options.color == "always" or (
        options.color == "auto" and stdout.isatty() and not os.environ.get("NO_COLOR")
    )
    files, had_error = _collect(options.paths)
    changed = 0
    for path in files:
        result = _run_file(path, options, settings_for, explicit_context, use_color)
        if result is None:
            had_error = True
        elif result:
            changed += 1

    if had_error:
        return 2
    if changed and not options.write:
        files_word = "file" if changed == 1 else "files"
        _say(stderr, f"{changed} {files_word} would be changed, {len(files) - changed} unchanged\n")
        return 1
    return 0


def _collect(raw_paths: list[str]) -> tuple[list[Path], bool]:
    """The files to process, each once, in the order named; and whether a named path was unusable."""
    files: list[Path] = []
    seen: set[Path] = set()
    had_error = False
    for raw in raw_paths:
        path = Path(raw)
        if path.is_dir():
            from .discovery import find_dockerfiles  # only for a directory: a named file needs no search

            found = find_dockerfiles(path)
            if not found:
                # Named explicitly, so the user expects something checked: an empty result is an
                # error, or a CI gate would pass on a typo'd or emptied folder.
                _say(sys.stderr, f"{raw}: no Dockerfiles found in this directory\n")
                had_error = True
        else:
            found = [path]
        for item in found:
            try:
                key = item.resolve()
            except (OSError, RuntimeError):  # a symlink loop: read_file reports it
                key = item.absolute()
            if key not in seen:
                seen.add(key)
                files.append(item)
    return files, had_error


def _run_file(path: Path, options: FormatOptions, settings_for, explicit_context, use_color) -> bool | None:
    """Process one file: True changed, False unchanged, None an error (already reported)."""
    from .io import InputError, read_file, write_atomic
    from .core.config import ConfigError

    stdout, stderr = sys.stdout, sys.stderr
    name = str(path)
    try:
        settings = settings_for(path.parent)
    except ConfigError as exc:
        line = settings_for.problem(exc)
        if line:
            _say(stderr, line + "\n")
        return None
    try:
        text = read_file(path)
    except InputError as exc:
        _say(stderr, f"{exc}\n")
        return None
    outcome, error = _process(text, name, settings, explicit_context or path.parent, path)
    if error:
        _say(stderr, error + "\n")
        return None
    hint = _hint(outcome)
    if hint:  # also when nothing else changes: the unsafe fixes are what the user is missing
        _say(stderr, f"{name}: {hint}\n")
    if not outcome.changed:
        return False
    if options.write:
        try:
            write_atomic(path, outcome.output)
        except OSError as exc:
            _say(stderr, f"{name}: cannot write: {exc.strerror or exc}\n")
            return None
        _say(stdout, f"fixed {name} ({_fix_summary(outcome.applied)})\n")
    elif options.check:
        _say(stdout, f"would fix {name} ({_fix_summary(outcome.applied)})\n")
    else:
        from .report.diff import colorize, unified_diff

        diff = unified_diff(outcome.input, outcome.output, name.lstrip("/"))
        _say_utf8(stdout, colorize(diff) if use_color else diff)
    if options.show_fixes:
        _show_fixes(stdout, name, outcome.applied)
    return True


def _run_stdin(options: FormatOptions, settings_for, explicit_context: Path | None) -> int:
    """``dockopt -``: the fixed text on stdout, always (an editor replaces its buffer with it)."""
    from .io import InputError, read_stream
    from .core.config import ConfigError

    stderr = sys.stderr
    name = options.stdin_filename or "-"
    path = Path(options.stdin_filename) if options.stdin_filename else None
    try:
        settings = settings_for(path.parent if path else Path("."))
    except ConfigError as exc:
        _say(stderr, f"{exc}\n")
        return 2
    try:
        text = read_stream(sys.stdin, name)
    except InputError as exc:
        _say(stderr, f"{exc}\n")
        return 2
    context_dir = explicit_context or (path.parent if path else None)
    outcome, error = _process(text, name, settings, context_dir, path)
    if error:
        _say(stderr, error + "\n")
        return 2
    if options.show_fixes:
        _show_fixes(stderr, name, outcome.applied)
    hint = _hint(outcome)
    if hint:
        _say(stderr, f"{name}: {hint}\n")
    if options.check:
        if outcome.changed:
            _say(stderr, f"would fix {name} ({_fix_summary(outcome.applied)})\n")
        return 1 if outcome.changed else 0
    _say_utf8(sys.stdout, outcome.output)
    return 0
