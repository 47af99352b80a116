"""``.dockerignore`` exactly as Docker reads and applies it.

Why exact: the COPY-reorder rule copies a manifest early only if the builder will actually see it,
and moves ``COPY . .`` only when it knows what ``.`` contains. A near-miss (gitignore semantics,
``fnmatch``) silently changes which files reach the image. So this module follows the code Docker
runs rather than the prose:

* reading — ``moby/patternmatcher/ignorefile.ReadAll``: a UTF-8 BOM is dropped; a line is a comment
  only when ``#`` is in column 1 (``"  # x"`` is a pattern); whitespace is trimmed (Go's
  ``unicode.IsSpace``); a leading ``!`` marks an exception; the rest goes through ``path.Clean``
  and loses one leading ``/`` (``/foo/`` ≡ ``foo``). A lone ``!`` is an error, as in Docker.
* matching — ``patternmatcher.Pattern.compile``: ``*`` and ``?`` stay inside one path component,
  ``**`` spans any number of directories, ``[...]`` is a character class, ``\\`` escapes; the
  pattern is classified as exact / prefix (``dir/**``) / suffix (``**/x``) / regexp just as moby
  does, including its quirks (``abc/**`` does not match ``abc``; ``[^a]`` can match ``/``).
  Patterns are also validated with Go's ``filepath.Match`` (see :mod:`.gomatch`).
* applying — ``MatchesUsingParentResults`` as BuildKit's context walker (fsutil) calls it, parent
  directory first: a pattern that matched a directory also matches everything below it, later
  lines win, and an exception (``!``) can bring back a file below an excluded directory.
* which file — ``<Dockerfile>.dockerignore`` next to the Dockerfile takes precedence over
  ``<context>/.dockerignore`` when it exists (BuildKit); the two are never merged.

The Dockerfile and the ignore file: Docker's docs say both may be excluded and are "still sent to
the builder as they're needed for running the build. But you can't copy the files into the image
using ADD, COPY, or bind mounts." We therefore report them as excluded when the patterns say so —
:meth:`IgnoreMatcher.excludes` answers "can COPY/ADD see this path", which is what rules need — and
expose :meth:`IgnoreMatcher.read_by_builder` for the "still sent" half.

Differences we accept: Docker builds a Go RE2 regexp; we build the equivalent Python regexp.
The only places they can disagree are RE2-only escapes after a backslash (``\\pL``, ``\\x41``,
``\\Q``) and POSIX classes (``[[:alpha:]]``); we reject the former at load time and read the latter
the way Python does. No real ``.dockerignore`` uses them. A pattern whose regexp does not compile
(``[z-a]``) makes Docker fail the build when it is first reached; we raise at load time.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path

from .gomatch import BadPattern, clean, validate

__all__ = [
    "IgnoreFileError",
    "IgnoreMatcher",
    "IgnorePattern",
    "ignore_candidates",
    "load_ignore",
    "read_patterns",
]

# Go's unicode.IsSpace (Python's str.strip() would also strip \x1c-\x1f).
_GO_SPACE = "\t\n\v\f\r \x85\xa0\u1680\u2000\u2001\u2002\u2003\u2004\u2005\u2006\u2007\u2008\u2009\u200a\u2028\u2029\u202f\u205f\u3000"
# Characters moby escapes because they are regexp syntax but plain in filepath.Match.
_ESCAPE = set(".+()|{}$")
# Backslash escapes that mean the same in RE2 and Python's re.
_SAME_ESCAPES = set("dDsSwWbBAaftnrv")


class IgnoreFileError(ValueError):
    """The ignore file is one Docker would refuse (the build fails before it starts)."""


def read_patterns(text: str) -> list[str]:
    """``ignorefile.ReadAll``: the patterns of an ignore file, cleaned, ``!`` kept as a prefix."""
    patterns: list[str] = []
    for number, line in enumerate(text.split("\n")):
        if line.endswith("\r"):
            line = line[:-1]
        if number == 0 and line.startswith("\ufeff"):
            line = line[1:]
        if line.startswith("#"):
            continue
        line = line.strip(_GO_SPACE)
        if not line:
            continue
        invert = line[0] == "!"
        if invert:
            line = line[1:].strip(_GO_SPACE)
        if line:
            line = clean(line)
            if len(line) > 1 and line[0] == "/":
                line = line[1:]
        patterns.append("!" + line if invert else line)
    return patterns


@dataclass(eq=False)
class IgnorePattern:
    """One compiled pattern, classified like moby's ``Pattern.compile``."""

    text: str  # cleaned, without the leading "!"
    exclusion: bool  # a "!" line: brings files back
    kind: str = "exact"  # exact / prefix / suffix / regexp
    regex: re.Pattern[str] | None = None

    @classmethod
    def compile(cls, raw: str) -> IgnorePattern:
        """``patternmatcher.New`` for one pattern (``raw`` as :func:`read_patterns` gives it)."""
        text = clean(raw.strip(_GO_SPACE))
        exclusion = text.startswith("!")
        if exclusion:
            if len(text) == 1:
                raise IgnoreFileError('illegal exclusion pattern: "!"')
            text = text[1:]
        try:
            validate(text)
        except BadPattern as exc:
            raise IgnoreFileError(f"{exc} (pattern {raw!r})") from None
        pattern = cls(text=text, exclusion=exclusion)
        pattern._classify()
        return pattern

    def _classify(self) -> None:
        reg = ["^"]
        kind = "exact"
        chars = self.text
        i = 0
        step = 0
        while i < len(chars):
            ch = chars[i]
            i += 1
            if ch == "*":
                if i < len(chars) and chars[i] == "*":
                    i += 1
                    if i < len(chars) and chars[i] == "/":  # treat "**/" as "**"
                        i += 1
                    if i >= len(chars):  # "**" at the end: like .gitignore, accept everything
                        if kind == "exact":
                            kind = "prefix"
                        else:
                            reg.append(".*")
                            kind = "regexp"
                    else:
                        reg.append("(.*/)?")
                        kind = "regexp"
                    if step == 0:
                        kind = "suffix"
                else:
                    reg.append("[^/]*")
                    kind = "regexp"
            elif ch == "?":
                reg.append("[^/]")
                kind = "regexp"
            elif ch in _ESCAPE:
                reg.append("\\" + ch)
            elif ch == "\\":
                if i < len(chars):
                    reg.append(_escape(chars[i], self.text))
                    i += 1
                    kind = "regexp"
                else:
                    reg.append("\\\\")
            elif ch in "[]":
                reg.append(ch)
                kind = "regexp"
            else:
                reg.append(ch)
            step += 1
        self.kind = kind
        if kind == "regexp":
            reg.append(r"\Z")
            import warnings

            with warnings.catch_warnings():
                warnings.simplefilter("ignore")  # "possible nested set": RE2 reads "[[" literally too
                try:
                    # re.ASCII: RE2's \d \w \s \b are ASCII-only; neither lets "." match a newline.
                    self.regex = re.compile("".join(reg), re.ASCII)
                except re.error as exc:
                    raise IgnoreFileError(f"bad pattern {self.text!r}: {exc}") from None

    def match(self, path: str) -> bool:
        """Does this pattern match the slash-separated, cleaned relative ``path`` itself?"""
        if self.kind == "exact":
            return path == self.text
        if self.kind == "prefix":
            return path.startswith(self.text[:-2])
        if self.kind == "suffix":
            suffix = self.text[2:]
            if path.endswith(suffix):
                return True
            return suffix.startswith("/") and path == suffix[1:]  # "**/foo" matches "foo"
        assert self.regex is not None
        return self.regex.match(path) is not None

    def __str__(self) -> str:
        return ("!" if self.exclusion else "") + self.text


def _escape(ch: str, pattern: str) -> str:
    """The Python regexp for moby's ``\\`` + ``ch`` (an RE2 escape)."""
    if not ch.isalnum():
        return re.escape(ch)  # punctuation: the character itself, in RE2 and here
    if ch in _SAME_ESCAPES:
        return "\\" + ch
    if ch == "z":
        return "\\Z"  # RE2 \z is end of text
    raise IgnoreFileError(f"unsupported escape \\{ch} in pattern {pattern!r}")


@dataclass(eq=False)
class IgnoreMatcher:
    """The compiled ignore file of one build. ``excludes(path)`` is the question rules ask."""

    patterns: list[IgnorePattern] = field(default_factory=list)
    source: Path | None = None  # the file the patterns came from, None when there is none
    builder_files: set[str] = field(default_factory=set)  # Dockerfile + ignore file, context-relative
    _dirs: dict[str, tuple[bool, tuple[bool, ...]]] = field(default_factory=dict, repr=False)

    @classmethod
    def from_lines(cls, lines: list[str], source: Path | None = None) -> IgnoreMatcher:
        """Compile already-read patterns (``read_patterns`` output or a literal list)."""
        return cls(patterns=[IgnorePattern.compile(p) for p in lines if p.strip(_GO_SPACE)], source=source)

    @classmethod
    def from_text(cls, text: str, source: Path | None = None) -> IgnoreMatcher:
        return cls.from_lines(read_patterns(text), source=source)

    @property
    def exclusions(self) -> bool:
        """Whether any ``!`` exception exists (then an excluded directory may still have sent files)."""
        return any(p.exclusion for p in self.patterns)

    @property
    def literal_exceptions(self) -> list[str] | None:
        """The ``!`` patterns when none has a wildcard (lets a walker prune like fsutil), else None."""
        out = []
        for p in self.patterns:
            if p.exclusion:
                if any(c in p.text for c in "*?[\\"):
                    return None
                out.append(p.text)
        return out

    def excludes(self, path: str) -> bool:
        """True when ``path`` (relative to the context root) is left out of what COPY/ADD can see."""
        if not self.patterns:
            return False
        return self.excludes_clean(_normalize(path))

    def excludes_clean(self, path: str) -> bool:
        """``excludes`` for a path already in clean form (``a/b``, no ``.``/``..``/``//``), such as a
        walk builds from directory entries: the cleaning is most of the cost of a lookup."""
        if path == "." or not self.patterns:
            return False  # Docker: "don't let them exclude everything"
        parent, _, _ = path.rpartition("/")
        info = self._dir(parent)[1] if parent else ()
        return self._evaluate(path, info)[0]

    def read_by_builder(self, path: str) -> bool:
        """Is ``path`` sent at all? The Dockerfile and the ignore file are, even when excluded."""
        path = _normalize(path)
        return path in self.builder_files or not self.excludes(path)

    def _dir(self, path: str) -> tuple[bool, tuple[bool, ...]]:
        cached = self._dirs.get(path)
        if cached is None:
            parent, _, _ = path.rpartition("/")
            info = self._dir(parent)[1] if parent else ()
            cached = self._evaluate(path, info)
            if len(self._dirs) > 100_000:
                self._dirs.clear()
            self._dirs[path] = cached
        return cached

    def _evaluate(self, path: str, parent: tuple[bool, ...]) -> tuple[bool, tuple[bool, ...]]:
        """``MatchesUsingParentResults``: (excluded, which patterns matched this path or a parent)."""
        matched = False
        info = []
        for i, pattern in enumerate(self.patterns):
            hit = parent[i] if parent else False
            if not hit:
                # An include that already matched, or an exception before any match, is skipped.
                if pattern.exclusion != matched:
                    info.append(False)
                    continue
                hit = pattern.match(path)
            info.append(hit)
            if hit:
                matched = not pattern.exclusion
        return matched, tuple(info)


def _normalize(path: str) -> str:
    path = clean("/" + path)
    return path[1:] or "."


def ignore_candidates(context_dir: str | Path, dockerfile_path: str | Path | None = None) -> list[Path]:
    """The ignore files BuildKit looks for, in order: ``<Dockerfile>.dockerignore``, ``<context>/.dockerignore``."""
    context = Path(context_dir)
    dockerfile = Path(dockerfile_path) if dockerfile_path is not None else context / "Dockerfile"
    return [dockerfile.with_name(dockerfile.name + ".dockerignore"), context / ".dockerignore"]


def load_ignore(
    context_dir: str | Path,
    dockerfile_path: str | Path | None = None,
    *,
    overlay: Mapping[Path, str] | None = None,
    resolve: Callable[[Path], Path | None] | None = None,
) -> IgnoreMatcher:
    """The ignore file BuildKit would use for this context and Dockerfile, compiled.

    ``<dockerfile_path>.dockerignore`` wins when it exists; otherwise ``<context_dir>/.dockerignore``;
    otherwise nothing is excluded. A relative ``dockerfile_path`` is taken from the current
    directory, as ``docker build -f`` does. Raises :class:`IgnoreFileError` for files Docker rejects.
    ``overlay``: the text of ignore files as a run has edited them so far (not yet written).
    ``resolve``: how to resolve a host path's symlinks (None when it cannot be); by default
    ``Path.resolve``.
    """
    context = Path(context_dir)
    dockerfile = Path(dockerfile_path) if dockerfile_path is not None else context / "Dockerfile"
    matcher = IgnoreMatcher()
    for candidate in ignore_candidates(context, dockerfile):
        if overlay and candidate in overlay:
            matcher = IgnoreMatcher.from_text(overlay[candidate], source=candidate)
            break
        if candidate.is_file():
            text = candidate.read_bytes().decode("utf-8", errors="replace")
            matcher = IgnoreMatcher.from_text(text, source=candidate)
            break
    resolve = resolve or _resolve
    root = resolve(context)  # once, not once per path (each resolve walks the disk)
    for path in (dockerfile, matcher.source):
        target = resolve(path) if path is not None and root is not None else None
        if root is not None and target is not None and target.is_relative_to(root):
            matcher.builder_files.add(target.relative_to(root).as_posix())
    return matcher


def _resolve(path: Path) -> Path | None:
    try:
        return path.resolve()
    except OSError:
        return None
