"""Why verify could not give a verdict, in words a user can act on; and the ``# syntax=`` directive.

A remote ``# syntax=`` frontend needs a registry. ``--offline`` removes the directive for the builds
only; without it, a build that fails because the frontend cannot be fetched says to use ``--offline``.
A failure of only the rewritten Dockerfile is dockopt's fault and says so, naming the applied rules.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field

from .docker import BuildFailed, strip_syntax_directive


@dataclass(slots=True)
class Problem:
    """Why verify could not give a verdict; ``message`` is one line."""

    kind: str  # "input", "config", "internal", "engine", "original-build", "rewritten-build"
    message: str
    details: list[str] = field(default_factory=list)  # e.g. the end of the build log
    failing_step: str | None = None
    rules: list[str] = field(default_factory=list)  # the applied rules, for a rewritten-build failure


def build_text(text: str, offline: bool) -> str:
    return strip_syntax_directive(text) if offline else text


_SYNTAX_VALUE = re.compile(r"^\ufeff?\s*#\s*syntax\s*=\s*(\S+)", re.IGNORECASE | re.MULTILINE)


def syntax_frontend(text: str) -> str | None:
    """The frontend a leading ``# syntax=`` directive names (None when there is no such directive)."""
    if strip_syntax_directive(text) == text:
        return None
    match = _SYNTAX_VALUE.search(text)
    return match.group(1) if match else "?"


def syntax_notes(text: str, rewrites: Iterable[str], offline: bool) -> list[str]:
    if not offline:
        return []
    frontends = {f for f in (syntax_frontend(t) for t in (text, *rewrites)) if f}
    if not frontends:
        return ["--offline: no `# syntax=` directive to remove; the files were built as they are"]
    names = ", ".join(f"`# syntax={f}`" for f in sorted(frontends))
    return [
        f"--offline: removed {names} for the builds only (the file keeps it); "
        "BuildKit's built-in frontend was used"
    ]


def frontend_unreachable(error: BuildFailed, text: str) -> str | None:
    """The directive's frontend when the build failed because it could not be fetched."""
    frontend = syntax_frontend(text)
    if frontend is None:
        return None
    log = error.log or "\n".join(error.log_tail)
    name = frontend.split("@")[0]
    if "resolve" in log and (name in log or "docker-image://" in (error.failed_step or "")):
        return frontend
    return None


def reason(error: BuildFailed) -> str:
    message = str(error)
    return message.split(" failed: ", 1)[1] if " failed: " in message else message


def original_failed(error: BuildFailed, text: str, offline: bool) -> Problem:
    frontend = None if offline else frontend_unreachable(error, text)
    if frontend is not None:
        message = (
            f"the original Dockerfile does not build: its `# syntax={frontend}` frontend could not be "
            "fetched (is a registry reachable?); rerun with --offline to build without the directive"
        )
    else:
        message = f"the original Dockerfile does not build, so there is nothing to compare: {reason(error)}"
    return Problem("original-build", message, error.log_tail, error.failed_step)


def rewrite_failed(error: BuildFailed, codes: list[str], rewritten: str, offline: bool) -> Problem:
    frontend = None if offline else frontend_unreachable(error, rewritten)
    if frontend is not None:
        message = (
            f"the rewritten Dockerfile does not build: its `# syntax={frontend}` frontend could not be "
            f"fetched; rerun with --offline (applied rules: {', '.join(codes)})"
        )
    else:
        message = (
            "the rewritten Dockerfile does not build, but the original does: this is a dockopt bug "
            f"(applied rules: {', '.join(codes) or 'none'}); please report it with the Dockerfile"
        )
    return Problem("rewritten-build", message, error.log_tail, error.failed_step, codes)
