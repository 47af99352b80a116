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

from .formatter import FormatOptions, run_format

SUBCOMMANDS = ("rules", "explain", "verify", "pr", "lsp")
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
    "split_runtime": (("--split-runtime",), True),
    "output_format": (("--output-format",), True),
    "output_file": (("--output-file",), True),
    "exclude": (("--exclude",), True),
    "force_exclude": (("--force-exclude",), False),
    "verify": (("--verify",), False),
    "smoke": (("--smoke",), True),
}
LIST_OPTIONS = ("select", "ignore", "exclude")  # repeatable, and comma-separated
REPEATED_OPTIONS = ("smoke",)  # repeatable, taken whole (a shell command may hold commas)
COLOR_CHOICES = ("auto", "always", "never")
CACHE_STRATEGIES = ("cleanup", "mounts")  # core.config.CacheStrategy's values (a test holds them equal)
SPLIT_RUNTIMES = ("twin", "minimal")  # core.config.SplitRuntime's values


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
        if key in LIST_OPTIONS:
            getattr(options, key).extend(s.strip() for s in inline.split(",") if s.strip())
        elif key in REPEATED_OPTIONS:
            getattr(options, key).append(inline)
        else:
            setattr(options, key, inline)
    if not options.paths or options.color not in COLOR_CHOICES or (options.write and options.check):
        return None
    if options.cache_strategy is not None and options.cache_strategy not in CACHE_STRATEGIES:
        return None
    if options.split_runtime is not None and options.split_runtime not in SPLIT_RUNTIMES:
        return None
    return options


def main(argv: list[str] | None = None, *, hard_exit: bool = False) -> None:
    """Run the command and exit with its status.

    ``hard_exit`` (the installed ``dockopt`` command, ``python -m optimizer``): a format run ends
    the process with ``os._exit`` once its output is flushed, skipping the interpreter's teardown —
    freeing every module and object one by one, ~8–10 ms of a ~90 ms cold ``--check``, for nothing
    (mypy ends the same way). Only where nothing is left to do at exit: not with ``--verify`` (its
    builds and temporary folders), not for typer's commands (the language server, the bot), and not
    when ``main`` is called in-process (tests), where it raises ``SystemExit`` as before.
    """
    argv = sys.argv[1:] if argv is None else argv
    options = None
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
    if hard_exit and options is not None and not options.verify:
        _exit_now(code)
    sys.exit(code)


def entry() -> None:
    """The ``dockopt`` console script."""
    main(hard_exit=True)


def _exit_now(code: int) -> None:
    """End the process at once, after flushing what it printed (see ``main``)."""
    for stream in (sys.stdout, sys.stderr):
        try:
            stream.flush()
        except BrokenPipeError:
            _silence_stdout()
            code = code or 2
        except (OSError, ValueError, AttributeError):
            pass
    os._exit(code)


def _silence_stdout() -> None:
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
    except (OSError, AttributeError, ValueError):
        pass
