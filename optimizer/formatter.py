"""The main command: fix Dockerfiles given as paths or on stdin, show diffs, write, check.

``cli.py`` parses the common invocation without typer and ``commands.py`` declares the same options
for typer; both end here.
"""

from __future__ import annotations

import os
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import TextIO


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


def _say(stream: TextIO, text: str, *, content: bool = False) -> None:
    """Write to a stream without ever failing on its encoding.

    A message goes out in the stream's encoding, characters it cannot encode escaped. ``content``
    (a diff, a fixed file) goes out as UTF-8 whatever the locale — it must stay a patch — and names
    from the file system with undecodable bytes (surrogate escapes) go out as they came.
    """
    buffer = getattr(stream, "buffer", None)
    if buffer is None:  # a StringIO in an in-process caller
        stream.write(text)
        stream.flush()
        return
    stream.flush()
    if content:
        buffer.write(text.encode("utf-8", errors="surrogateescape"))
    else:
        buffer.write(text.encode(stream.encoding or "utf-8", errors="backslashreplace"))
    buffer.flush()


def _resolver(options: FormatOptions):
    """The settings for each input: config files found per directory, then these options."""
    from .core.config import Overrides, SettingsResolver
    from .rules.catalogue import known_selector

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
    from .core.config import ConfigError
    from .io import InputError, read_file, write_atomic

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
        _say(stdout, colorize(diff) if use_color else diff, content=True)
    if options.show_fixes:
        _show_fixes(stdout, name, outcome.applied)
    return True


def _run_stdin(options: FormatOptions, settings_for, explicit_context: Path | None) -> int:
    """``dockopt -``: the fixed text on stdout, always (an editor replaces its buffer with it)."""
    from .core.config import ConfigError
    from .io import InputError, read_stream

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
    _say(sys.stdout, outcome.output, content=True)
    return 0
