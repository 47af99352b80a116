"""Go's ``path.Clean`` and ``filepath.Match``, ported to Python.

Why a port rather than ``fnmatch``: Docker matches COPY sources and validates ``.dockerignore``
patterns with Go's ``filepath.Match``, which differs from ``fnmatch`` in ways that change results:
``*`` and ``?`` never match ``/``, a character class is ``[^...]`` (not ``[!...]``), ``\\`` escapes
the next character, and a malformed pattern is an error rather than a literal. ``path.Clean`` also
differs from ``posixpath.normpath`` (``//a`` → ``/a``, ``..`` above the root vanishes).

This follows the current Go implementation (1.16+), which checks the whole pattern for syntax
errors even when the match fails early. Strings are Python ``str`` (code points); for valid UTF-8
that is the same as Go's rune-wise matching. The separator is always ``/`` (Linux builders).
"""

from __future__ import annotations

__all__ = ["BadPattern", "clean", "has_wildcards", "match", "validate"]


class BadPattern(ValueError):
    """Go's ``filepath.ErrBadPattern``: the pattern is malformed."""

    def __init__(self, pattern: str = "") -> None:
        super().__init__(f"syntax error in pattern: {pattern!r}" if pattern else "syntax error in pattern")
        self.pattern = pattern


def clean(path: str) -> str:
    """Go's ``path.Clean``: shortest equivalent path; ``""`` → ``"."``; ``..`` cannot climb above ``/``."""
    if path == "":
        return "."
    rooted = path.startswith("/")
    parts: list[str] = []
    for comp in path.split("/"):
        if comp in ("", "."):
            continue
        if comp == "..":
            if parts and parts[-1] != "..":
                parts.pop()
            elif not rooted:
                parts.append("..")
            continue
        parts.append(comp)
    body = "/".join(parts)
    if rooted:
        return "/" + body
    return body or "."


def has_wildcards(name: str) -> bool:
    """BuildKit's ``containsWildcards``: an unescaped ``*``, ``?`` or ``[``."""
    i = 0
    while i < len(name):
        ch = name[i]
        if ch == "\\":
            i += 1
        elif ch in "*?[":
            return True
        i += 1
    return False


def match(pattern: str, name: str) -> bool:
    """``filepath.Match(pattern, name)``; raises :class:`BadPattern` when the pattern is malformed."""
    try:
        return _match(pattern, name)
    except BadPattern:
        raise BadPattern(pattern) from None


def validate(pattern: str) -> None:
    """Raise :class:`BadPattern` if Go would reject ``pattern`` (Docker checks with ``Match(p, ".")``)."""
    match(pattern, ".")


def _match(pattern: str, name: str) -> bool:
    while pattern:
        star, chunk, pattern = _scan_chunk(pattern)
        if star and chunk == "":
            # Trailing * matches the rest of the name unless it has a /.
            return "/" not in name
        rest, ok = _match_chunk(chunk, name)
        # On the last chunk the name must be used up, else a later star position may still match.
        if ok and (rest == "" or pattern):
            name = rest
            continue
        if star:
            matched = False
            i = 0
            while i < len(name) and name[i] != "/":
                rest, ok = _match_chunk(chunk, name[i + 1 :])
                if ok:
                    if not pattern and rest:
                        i += 1
                        continue
                    name = rest
                    matched = True
                    break
                i += 1
            if matched:
                continue
        # Before returning false, check that the rest of the pattern is well-formed.
        while pattern:
            _, chunk, pattern = _scan_chunk(pattern)
            _match_chunk(chunk, "")
        return False
    return name == ""


def _scan_chunk(pattern: str) -> tuple[bool, str, str]:
    star = False
    while pattern.startswith("*"):
        pattern = pattern[1:]
        star = True
    in_range = False
    i = 0
    while i < len(pattern):
        ch = pattern[i]
        if ch == "\\":
            if i + 1 < len(pattern):
                i += 1
        elif ch == "[":
            in_range = True
        elif ch == "]":
            in_range = False
        elif ch == "*" and not in_range:
            break
        i += 1
    return star, pattern[:i], pattern[i:]


def _match_chunk(chunk: str, s: str) -> tuple[str, bool]:
    """Match the star-free ``chunk`` at the start of ``s``; keeps parsing after a failure to find errors."""
    failed = False
    i = 0
    while i < len(chunk):
        if not failed and not s:
            failed = True
        ch = chunk[i]
        if ch == "[":
            r = ""
            if not failed:
                r, s = s[0], s[1:]
            i += 1
            negated = i < len(chunk) and chunk[i] == "^"
            if negated:
                i += 1
            hit = False
            nrange = 0
            while True:
                if i < len(chunk) and chunk[i] == "]" and nrange > 0:
                    i += 1
                    break
                lo, i = _get_esc(chunk, i)
                hi = lo
                if chunk[i] == "-":
                    hi, i = _get_esc(chunk, i + 1)
                if r and lo <= r <= hi:
                    hit = True
                nrange += 1
            if hit == negated:
                failed = True
        elif ch == "?":
            if not failed:
                if s[0] == "/":
                    failed = True
                s = s[1:]
            i += 1
        else:
            if ch == "\\":
                i += 1
                if i >= len(chunk):
                    raise BadPattern()
            if not failed:
                if chunk[i] != s[0]:
                    failed = True
                s = s[1:]
            i += 1
    if failed:
        return "", False
    return s, True


def _get_esc(chunk: str, i: int) -> tuple[str, int]:
    """A possibly escaped character of a class, and the index after it."""
    if i >= len(chunk) or chunk[i] in "-]":
        raise BadPattern()
    if chunk[i] == "\\":
        i += 1
        if i >= len(chunk):
            raise BadPattern()
    r = chunk[i]
    i += 1
    if i >= len(chunk):
        raise BadPattern()
    return r, i
