"""DO102 add-to-copy: use COPY, not ADD, for plain local files and directories.

## What it does
Replaces ``ADD`` with ``COPY`` when every source is a local file or directory that ADD would copy
as is: not a URL, not a git repository, and not a local archive (which ADD would unpack).
Flags that COPY understands (``--chown``, ``--chmod``, ``--link``, ``--exclude``) are kept.

## Why
``ADD`` has two hidden behaviours: it downloads URLs and it extracts local tar archives. A reader
cannot tell which one a line relies on, and a file that happens to be a tar archive is unpacked
by surprise. ``COPY`` does one thing. Docker's best-practice guide and hadolint (DL3020) ask for
COPY wherever ADD's extras are not used.

## Example
```dockerfile
ADD --chown=app:app requirements.txt /app/
```
Use instead:
```dockerfile
COPY --chown=app:app requirements.txt /app/
```

## Fix safety
Safe when the rule can tell that no source is an archive ADD would unpack:
- ADD extracts a *local file* whose content is a tar (plain, gzip, bzip2 or xz), whatever its
  name. When the build context is readable the rule reads the first bytes of each source file;
  otherwise it goes by the name and leaves ``.tar``, ``.tar.*``, ``.tgz``, ``.tbz2``, ``.txz``,
  ``.tzst`` and similar alone. ``.zip`` and ``.gz`` files that are not tars are *not* extracted
  by ADD, so they are converted (a ``.gz`` is only left alone when its content is a tar).
- Sources with wildcards are converted only when the context is readable and no match is an
  archive; sources with variables (``$VAR``) are left alone.
- URLs, git sources, ``ADD --checksum`` and ``ADD --keep-git-dir`` (ADD-only features), and any
  flag the rule does not know are left alone.
- ``ADD <<EOF`` heredocs are treated like plain files (COPY supports them the same way).
- ``ONBUILD ADD`` is never converted: it runs in a child build, from the child's build context,
  which this rule cannot see — and the trigger text is stored in the image config as written.
- A tar archive is recognised by its content, the old v7 format (no ``ustar`` magic) included: by
  the header checksum, as Go's ``archive/tar`` reads it.
Without the build context a local file with a misleading name could still be a tar archive; use
``--context`` to let the rule look.

## References
- hadolint DL3020: https://github.com/hadolint/hadolint/wiki/DL3020
- Dockerfile reference, ADD: https://docs.docker.com/reference/dockerfile/#add
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

from ...syntax import Instruction
from ..base import Applicability, Edit, Facts, Finding, Phase, Rule, register
from ..triggers import has_instruction

COPY_FLAGS = frozenset({"chown", "chmod", "link", "exclude"})
_ARCHIVE_NAME = re.compile(r"\.(tar|tar\.[a-z0-9]+|tgz|tbz|tbz2|tb2|txz|tlz|tzst|taz|tz)$", re.IGNORECASE)
_URLISH = re.compile(r"^([a-z][a-z0-9+.-]*://|git@|github\.com/)", re.IGNORECASE)
_MAGIC = (
    (0, b"\x1f\x8b"),  # gzip: unpacked only if a tar is inside, checked below
    (0, b"BZh"),
    (0, b"\xfd7zXZ\x00"),
    (0, b"\x28\xb5\x2f\xfd"),  # zstd (newer BuildKit)
    (257, b"ustar"),
)


@register
class AddToCopy(Rule):
    code = "DO102"
    name = "add-to-copy"
    summary = "COPY instead of ADD for local files that ADD would not unpack"
    safety = Applicability.SAFE
    phase = Phase.STYLE
    trigger = has_instruction("ADD")

    def check(self, ctx: Facts) -> Iterator[Finding]:
        for instruction in ctx.tree.instructions:
            if instruction.sub is not None:
                # ONBUILD ADD runs in a child build, from the child's context (which we cannot see),
                # and the trigger text is image metadata every child inherits: never rewritten.
                continue
            target = instruction
            if target.name != "ADD":
                continue
            reason = _blocker(target, ctx.context_dir)
            if reason is not None:
                continue
            start, keyword = target.keyword_start, target.keyword
            if ctx.text[start : start + len(keyword)] != keyword:
                continue
            replacement = "copy" if keyword.islower() else "COPY"
            yield self.finding(
                ctx,
                instruction,
                "ADD of local files that it does not unpack: use COPY",
                [Edit(start, start + len(keyword), replacement)],
                offset=start,
            )


def _blocker(instruction: Instruction, context_dir: Path | None) -> str | None:
    """Why this ADD must stay an ADD, or None when COPY does the same."""
    unknown = [f.name for f in instruction.flags if f.name not in COPY_FLAGS]
    if unknown:
        return f"flag --{unknown[0]}"
    heredoc_names = {f"<<{h.name}" for h in instruction.heredocs}
    sources = [
        s
        for s in instruction.value[:-1]
        if not (s.startswith("<<") or s.lstrip("0123456789") in heredoc_names)
    ]
    if len(instruction.value) < 2:
        return "no destination"
    for source in sources:
        if _URLISH.match(source):
            return "remote source"
        if "$" in source:
            return "source uses a variable"
        reason = _local_blocker(source, context_dir)
        if reason:
            return reason
    return None


def _local_blocker(source: str, context_dir: Path | None) -> str | None:
    wildcard = any(ch in source for ch in "*?[")
    files = _context_files(source, context_dir) if context_dir is not None else None
    if files is None:
        if wildcard:
            return "wildcard without a readable build context"
        return "archive name" if _ARCHIVE_NAME.search(source.rstrip("/")) else None
    if any(_is_archive(path) for path in files):
        return "archive content"
    if not files and _ARCHIVE_NAME.search(source.rstrip("/")):
        return "archive name"
    return None


def _context_files(source: str, context_dir: Path) -> list[Path] | None:
    """The regular files a source names in the context; None when the context cannot tell."""
    relative = source.lstrip("/")
    if not context_dir.is_dir() or ".." in Path(relative).parts:
        return None
    if any(ch in relative for ch in "*?["):
        matches = list(context_dir.glob(relative))
        return [m for m in matches if m.is_file()] if matches else None
    path = context_dir / relative
    if path.is_file():
        return [path]
    if path.is_dir():
        return []  # a directory is copied as is; archives inside it are not unpacked
    return None


def _is_archive(path: Path) -> bool:
    try:
        with path.open("rb") as handle:
            head = handle.read(512)
    except OSError:
        return True  # cannot tell: keep ADD
    if head.startswith(b"\x1f\x8b"):
        return _gzip_holds_tar(path)
    return any(head[offset : offset + len(magic)] == magic for offset, magic in _MAGIC[1:]) or _tar_header(
        head
    )


def _tar_header(head: bytes) -> bool:
    """A tar header by its checksum, as Go's archive/tar (and so BuildKit) accepts it: the v7 format
    has no ``ustar`` magic, only a header whose checksum field matches its bytes."""
    if len(head) < 512 or not head[:100].strip(b"\0"):
        return False
    field = head[148:156].replace(b"\0", b" ").strip()
    try:
        stored = int(field, 8)
    except ValueError:
        return False
    unsigned = sum(head[:148]) + 8 * 32 + sum(head[156:512])
    signed = (
        sum((b - 256 if b > 127 else b) for b in head[:148])
        + 8 * 32
        + sum((b - 256 if b > 127 else b) for b in head[156:512])
    )
    return stored in (unsigned, signed)


def _gzip_holds_tar(path: Path) -> bool:
    import gzip

    try:
        with gzip.open(path, "rb") as handle:
            head = handle.read(512)
    except (OSError, EOFError):
        return True
    return head[257:262] == b"ustar" or _tar_header(head)
