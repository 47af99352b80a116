"""The main command: fix Dockerfiles given as paths or on stdin, show diffs or reports, write, check.

``cli.py`` parses the common invocation without typer and ``commands.py`` declares the same options
for typer; both end here.
"""

from __future__ import annotations

import os
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, TextIO

if TYPE_CHECKING:
    from .report.model import Report

OUTPUT_FORMAT_ENV = "DOCKOPT_OUTPUT_FORMAT"


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
    split_runtime: str | None = None  # None: the config file's (default "twin")
    output_format: str | None = None  # None: $DOCKOPT_OUTPUT_FORMAT, else "full"
    output_file: str | None = None
    exclude: list[str] = field(default_factory=list)  # added to the configured excludes
    force_exclude: bool = False  # apply excludes to files named explicitly too
    verify: bool = False  # apply fixes that require verification, when a real build proves them
    smoke: list[str] = field(default_factory=list)  # with verify: commands both images must run alike


def _say(stream: TextIO, text: str, *, content: bool = False) -> None:
    """Write to a stream without ever failing on its encoding.

    A message goes out in the stream's encoding, characters it cannot encode escaped. ``content``
    (a diff, a fixed file, a report) goes out as UTF-8 whatever the locale — it must stay a patch —
    and names from the file system with undecodable bytes (surrogate escapes) go out as they came.
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
        split_runtime=options.split_runtime,  # type: ignore[arg-type]
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


def _show_proposed(stream: TextIO, name: str, outcome, color: bool) -> None:
    """Fixes that need a verified build (``--verify``) are never written without one: show each as
    the diff it would make on the output, so the user sees the proposal (``--show-fixes``)."""
    from .engine.edits import apply_edits
    from .report.diff import colorize, unified_diff

    for finding in outcome.remaining:
        fix = finding.fix
        if fix is None or not fix.requires_verification:
            continue
        diff = unified_diff(outcome.output, apply_edits(outcome.output, list(fix.edits)), name.lstrip("/"))
        _say(stream, f"# {finding.code} proposed, written only after a verified build (--verify):\n")
        _say(stream, colorize(diff) if color else diff, content=True)


def _hint(outcome, verify: bool = False) -> str | None:
    proof = [f for f in outcome.remaining if f.fix is not None and f.fix.requires_verification]
    unsafe = [f for f in outcome.remaining if f.applicability.value == "unsafe" and f not in proof]
    if unsafe:
        return f"{len(unsafe)} more fix{'es' if len(unsafe) != 1 else ''} available with --unsafe-fixes"
    if proof and not verify:
        n = len(proof)
        return f"{n} more fix{'es' if n != 1 else ''} available with --unsafe-fixes --verify (written only when a build proves {'them' if n != 1 else 'it'})"
    return None


def _display_path(path: Path) -> str:
    try:
        return path.relative_to(Path.cwd()).as_posix()
    except ValueError:
        return path.as_posix()


def _also(outcome) -> str:
    """ " and its .dockerignore" for the second files a run changes (none: "")."""
    if not outcome.files:
        return ""
    return " and " + ", ".join(_display_path(change.path) for change in outcome.files)


def _file_diff(change) -> str:
    """The diff of a second file; a new file is shown against /dev/null (``patch -p1`` creates it)."""
    from .report.diff import unified_diff

    name = _display_path(change.path).lstrip("/")
    diff = unified_diff(change.before or "", change.after, name)
    if change.before is None:
        diff = diff.replace(f"--- a/{name}\n", "--- /dev/null\n", 1)
    return diff


def _process(text: str, name: str, settings, context_dir: Path | None, path: Path | None):
    """(outcome, error line) for one input; exactly one of them is None."""
    outcome, _, error = _process_input(text, name, settings, context_dir, path, report=False)
    return outcome, error


def _process_input(
    text: str, name: str, settings, context_dir: Path | None, path: Path | None, report: bool, run=None
):
    """(outcome, findings on the input, error line); on an error the first two are None.

    The findings on the input are looked up only for a report (``report``); else they are [].
    """
    from .engine import findings, fix_text
    from .syntax import ParseError

    try:
        outcome = fix_text(text, settings, path=path, context_dir=context_dir)
        if outcome.error is None and report:
            found = findings(text, settings, path=path, context_dir=context_dir)
        else:
            found = []
    except ParseError as exc:
        return None, None, exc.format(name)
    except RecursionError:
        return None, None, f"{name}: input too deeply nested to process"
    except Exception as exc:  # noqa: BLE001 - a rule's bug must not cost the user a traceback
        detail = " ".join(f"{type(exc).__name__}: {exc}".split())
        message = f"{name}: internal error: {detail}; the file was left unchanged. Please report this as a dockopt bug."
        return None, None, message
    if outcome.error is not None:
        return None, None, f"{name}: internal error: {outcome.error}"
    return outcome, found, None


def _process_verified(
    text: str, name: str, settings, context_dir: Path | None, path: Path | None, report: bool, run
):
    """``--verify``: like ``_process_input``, with the fixes that require verification applied when a
    real build proves them (``verify/fixpath.py``); a refusal is said on stderr and counted."""
    from .syntax import ParseError
    from .verify.fixpath import verified_fix

    def progress(message: str) -> None:
        _say(sys.stderr, f"{name}: verify: {message}\n")

    try:
        result = verified_fix(
            text,
            settings,
            path=path,
            context_dir=context_dir,
            smoke=run.options.smoke,
            progress=progress if sys.stderr.isatty() else None,
        )
    except ParseError as exc:
        return None, None, exc.format(name)
    except RecursionError:
        return None, None, f"{name}: input too deeply nested to process"
    except Exception as exc:  # noqa: BLE001 - a rule's or the engine's bug must not cost a traceback
        detail = " ".join(f"{type(exc).__name__}: {exc}".split())
        return (
            None,
            None,
            f"{name}: internal error: {detail}; the file was left unchanged. Please report this as a dockopt bug.",
        )
    outcome = result.outcome
    if outcome.error is not None:
        return None, None, f"{name}: internal error: {outcome.error}"
    if result.refusal is not None:
        run.refused += 1
        kept = "the other fixes are" if outcome.changed else "nothing is"
        _say(sys.stderr, f"{name}: verification refused {result.refusal}; {kept} applied\n")
    elif result.verified:
        _say(sys.stderr, f"{name}: verified: {', '.join(result.pending_codes)} (built, compared and run)\n")
    found = []
    if report:
        from .engine import findings

        found = findings(text, settings, path=path, context_dir=context_dir)
    return outcome, found, None


@dataclass
class _Run:
    """Where one run's output goes.

    ``full``: the diff or the per-file lines on stdout (or in ``--output-file``). Any other format:
    the report on stdout (or in the file); the per-file lines go to stderr when the report holds
    stdout, and the diff is shown only when the report goes to a file.
    """

    options: FormatOptions
    terminal: TextIO  # the per-file lines ("fixed …", "would fix …") and --show-fixes
    show_diff: bool
    use_color: bool = False
    report: Report | None = None  # for the report formats
    errors: list[str] = field(default_factory=list)
    refused: int = 0  # --verify: files whose verified fixes verification refused

    def error(self, line: str) -> None:
        _say(sys.stderr, line + "\n")
        self.errors.append(line)


def output_format(options: FormatOptions) -> tuple[str | None, str | None]:
    """(the output format, None) or (None, the error line) for --output-format / the environment."""
    value, source = options.output_format, "--output-format"
    if value is None:
        value, source = os.environ.get(OUTPUT_FORMAT_ENV) or "full", OUTPUT_FORMAT_ENV
    if value == "full":  # the common case, without importing the report package
        return value, None
    from .report import FORMATS

    if value not in FORMATS:
        return None, f"error: {source}: unknown output format '{value}' (choose from {', '.join(FORMATS)})"
    return value, None


def _output_file_problem(raw: str) -> str | None:
    target = Path(raw)
    if target.is_dir():
        return f"error: --output-file: {raw} is a directory"
    if not target.parent.is_dir():
        return f"error: --output-file: {raw}: no such directory"
    return None


def run_format(options: FormatOptions) -> int:
    from .core.config import ConfigError

    stdout, stderr = sys.stdout, sys.stderr
    fmt, problem = output_format(options)
    if problem is None and options.output_file is not None:
        problem = _output_file_problem(options.output_file)
    if problem is None and "-" in options.paths and len(options.paths) > 1:
        problem = "error: '-' (stdin) cannot be combined with other paths"
    if problem is not None:
        _say(stderr, problem + "\n")
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
    if options.verify:
        from .verify.fixpath import engine_problem

        problem = engine_problem()
        if problem is not None:
            _say(stderr, problem + "\n")
            return 2

    output_stream = None
    if fmt == "full":
        if options.output_file is not None:
            try:
                output_stream = open(options.output_file, "w", encoding="utf-8", newline="")  # noqa: SIM115
            except OSError as exc:
                _say(stderr, f"error: --output-file: {options.output_file}: {exc.strerror or exc}\n")
                return 2
        run = _Run(options, output_stream or stdout, show_diff=True)
    else:
        from .report.model import Report, repository_root

        run = _Run(
            options,
            stdout if options.output_file else stderr,
            show_diff=options.output_file is not None,
            report=Report(root=repository_root(), write=options.write),
        )
    try:
        code = _run_inputs(run, settings_for, explicit_context)
    finally:
        if output_stream is not None:
            output_stream.close()
    if run.report is not None:
        from .report import render

        run.report.errors = list(run.errors)
        text = render(fmt or "full", run.report)
        if options.output_file is None:
            _say(stdout, text, content=True)
        else:
            try:
                Path(options.output_file).write_text(
                    text, encoding="utf-8", errors="surrogateescape", newline=""
                )
            except OSError as exc:
                _say(stderr, f"error: --output-file: {options.output_file}: {exc.strerror or exc}\n")
                return 2
    return code


def _run_inputs(run: _Run, settings_for, explicit_context: Path | None) -> int:
    options = run.options
    if options.paths == ["-"]:
        return _run_stdin(run, settings_for, explicit_context)
    terminal = run.terminal
    run.use_color = run.show_diff and (
        options.color == "always"
        or (options.color == "auto" and terminal.isatty() and not os.environ.get("NO_COLOR"))
    )
    files, had_error = _collect(options.paths, _Excluder(options, settings_for))
    changed = 0
    for path in files:
        result = _run_file(path, run, settings_for, explicit_context)
        if result is None:
            had_error = True
        elif result:
            changed += 1

    if had_error:
        return 2
    if run.refused:
        return 1
    if changed and not options.write:
        files_word = "file" if changed == 1 else "files"
        _say(sys.stderr, f"{changed} {files_word} would be changed, {len(files) - changed} unchanged\n")
        return 1
    return 0


class _Excluder:
    """Whether a file is excluded: by --exclude (anchored at the current directory) or by the
    ``exclude`` of its configuration. Files named on the command line only with --force-exclude."""

    def __init__(self, options: FormatOptions, settings_for) -> None:
        self.force = options.force_exclude
        self.settings_for = settings_for
        self.patterns: tuple[str, ...] = ()
        if options.exclude:
            from .core.globs import anchor

            cwd = Path.cwd()
            self.patterns = tuple(anchor(pattern, cwd) for pattern in options.exclude)

    def __call__(self, path: Path, named: Path | None) -> bool:
        """``named``: the directory given on the command line that ``path`` was found in; None for a
        file named itself."""
        from .core.config import ConfigError

        if named is None and not self.force:
            return False
        try:
            configured = self.settings_for(path.parent).exclude
        except ConfigError:  # reported when the file is processed
            configured = ()
        if not self.patterns and not configured:
            return False
        from .core.globs import is_excluded

        below = None if self.force else named
        return is_excluded(path, (*self.patterns, *configured), below=below)


def _collect(raw_paths: list[str], excluded=None) -> tuple[list[Path], bool]:
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
                # error, or a CI gate would pass on a typo'd or emptied folder. (Finding files that
                # are all excluded is not: that is what the user asked for.)
                _say(sys.stderr, f"{raw}: no Dockerfiles found in this directory\n")
                had_error = True
            named: Path | None = path
        else:
            found, named = [path], None
        for item in found:
            if excluded is not None and excluded(item, named):
                continue
            try:
                key = item.resolve()
            except (OSError, RuntimeError):  # a symlink loop: read_file reports it
                key = item.absolute()
            if key not in seen:
                seen.add(key)
                files.append(item)
    return files, had_error


def _run_file(path: Path, run: _Run, settings_for, explicit_context) -> bool | None:
    """Process one file: True changed, False unchanged, None an error (already reported)."""
    from .core.config import ConfigError
    from .io import InputError, read_file, write_atomic

    options, terminal, stderr = run.options, run.terminal, sys.stderr
    name = str(path)
    try:
        settings = settings_for(path.parent)
    except ConfigError as exc:
        line = settings_for.problem(exc)
        if line:
            run.error(line)
        return None
    try:
        text = read_file(path)
    except InputError as exc:
        run.error(str(exc))
        return None
    process = _process_verified if options.verify else _process_input
    outcome, found, error = process(
        text, name, settings, explicit_context or path.parent, path, run.report is not None, run
    )
    if error:
        run.error(error)
        return None
    hint = _hint(outcome, options.verify)
    if hint:  # also when nothing else changes: the unsafe fixes are what the user is missing
        _say(stderr, f"{name}: {hint}\n")
    written = False
    if outcome.any_change and options.write:
        try:
            if outcome.files:  # the Dockerfile and its .dockerignore together (io.write_together)
                from .io import write_together

                pending = [(path, outcome.output)] if outcome.changed else []
                write_together(pending + [(change.path, change.after) for change in outcome.files])
            else:
                write_atomic(path, outcome.output)
        except OSError as exc:
            run.error(f"{name}: cannot write: {exc.strerror or exc}")
            return None
        written = True
    if run.report is not None:
        from .report.model import FileResult

        run.report.files.append(FileResult(name, path, text, outcome.output, found, written, outcome.files))
    if options.show_fixes and run.show_diff and not options.write and not options.check:
        _show_proposed(terminal, name, outcome, run.use_color)
    if not outcome.any_change:
        return False
    also = _also(outcome)
    if options.write:
        _say(terminal, f"fixed {name}{also} ({_fix_summary(outcome.applied)})\n")
    elif options.check:
        _say(terminal, f"would fix {name}{also} ({_fix_summary(outcome.applied)})\n")
    elif run.show_diff:
        from .report.diff import colorize, unified_diff

        diff = unified_diff(outcome.input, outcome.output, name.lstrip("/"))
        diff += "".join(_file_diff(change) for change in outcome.files)
        _say(terminal, colorize(diff) if run.use_color else diff, content=True)
    if options.show_fixes:
        _show_fixes(terminal, name, outcome.applied)
    return True


def _run_stdin(run: _Run, settings_for, explicit_context: Path | None) -> int:
    """``dockopt -``: the fixed text on stdout (an editor replaces its buffer with it), unless a
    report holds stdout; with --force-exclude and an excluded --stdin-filename, the input as is."""
    from .core.config import ConfigError
    from .io import InputError, read_stream

    options, stderr = run.options, sys.stderr
    name = options.stdin_filename or "-"
    path = Path(options.stdin_filename) if options.stdin_filename else None
    try:
        settings = settings_for(path.parent if path else Path("."))
    except ConfigError as exc:
        run.error(str(exc))
        return 2
    try:
        text = read_stream(sys.stdin, name)
    except InputError as exc:
        run.error(str(exc))
        return 2
    text_out = run.terminal if run.report is None else (sys.stdout if run.show_diff else None)
    if path is not None and _Excluder(options, settings_for)(path, None):
        if text_out is not None and not options.check:
            _say(text_out, text, content=True)
        return 0
    context_dir = explicit_context or (path.parent if path else None)
    process = _process_verified if options.verify else _process_input
    outcome, found, error = process(text, name, settings, context_dir, path, run.report is not None, run)
    if error:
        run.error(error)
        return 2
    if run.report is not None:
        from .report.model import FileResult

        run.report.files.append(FileResult(name, path, text, outcome.output, found, files=outcome.files))
    if options.show_fixes:
        _show_fixes(stderr, name, outcome.applied)
    hint = _hint(outcome, options.verify)
    if hint:
        _say(stderr, f"{name}: {hint}\n")
    for change in outcome.files:  # stdin: only the buffer comes back, the other file is not written
        verb = "create" if change.created else "change"
        _say(
            stderr,
            f"{name}: would also {verb} {_display_path(change.path)} (run dockopt on the file to write it)\n",
        )
    if options.check:
        if outcome.any_change:
            _say(stderr, f"would fix {name}{_also(outcome)} ({_fix_summary(outcome.applied)})\n")
        return 1 if outcome.any_change else 0
    if text_out is not None:
        _say(text_out, outcome.output, content=True)
    return 1 if run.refused else 0
