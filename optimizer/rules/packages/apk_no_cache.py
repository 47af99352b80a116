"""DO305 apk-no-cache: apk add --no-cache, so no package index stays in the image.

## What it does
For a RUN whose ``apk add`` / ``apk upgrade`` keeps apk's index in ``/var/cache/apk``:
- with ``cache-strategy = "cleanup"`` (default), adds ``--no-cache`` to every ``apk add``/``apk
  upgrade`` of the RUN, and drops what that makes useless in the same RUN: a plain ``apk update``
  (``--no-cache`` fetches a fresh index itself) and an ``rm -rf /var/cache/apk/*``;
- with ``cache-strategy = "mounts"``, adds ``--mount=type=cache,target=/var/cache/apk,sharing=locked``
  instead, and ``--update-cache`` to an ``apk add`` that would otherwise look for an index in the
  (initially empty) cache.

Already clean, and left alone: ``--no-cache`` on every add, a cache mount on ``/var/cache/apk``,
or a removal of ``/var/cache/apk`` after the last add. ``--no-cache`` next to a cache mount on
``/var/cache/apk`` is reported (display only): the mount then caches nothing.

## Why
Without ``--no-cache``, ``apk add``/``apk update`` store the index (``APKINDEX.*.tar.gz``, a few MB)
in the layer. ``--no-cache`` downloads it to memory instead; a later ``rm`` cannot shrink the
earlier layer.

## Example
```dockerfile
RUN apk update && apk add curl && rm -rf /var/cache/apk/*
```
Use instead:
```dockerfile
RUN apk add --no-cache curl
```

## Fix safety
Safe: ``--no-cache`` implies a fresh index, exactly what the dropped ``apk update`` fetched, and a
failed download still fails the RUN. An ``apk update`` or ``rm`` is only dropped when it is a
whole statement that is not the script's last, or one link of an ``&&`` chain, and only when every
other apk command of the RUN is an add or upgrade (an ``apk info`` after the update would need the
index). Not offered (display only) when a later RUN of the image reads the index this RUN leaves
(an ``apk add`` there without ``--no-cache``, ``-U`` or its own update). Only stages that matter
are touched; apk inside ``if``/loops/functions or after ``||``, ONBUILD, Windows and non-POSIX
stages are left alone.

## References
- hadolint DL3019: https://github.com/hadolint/hadolint/wiki/DL3019
- Alpine docker image docs, "Disabling Cache"
"""

from __future__ import annotations

from collections.abc import Iterator

from ...shell import Command, Invocation, Script, invocations, removals
from ...syntax import Instruction
from ..base import Applicability, Edit, Facts, Finding, Phase, Rule, register
from ..triggers import mentions
from ._hygiene import (
    Hygiene,
    Run,
    add_option,
    mount_edit,
    mount_flag,
    mounted,
    remove_pipeline,
    statement_of,
    unconditional,
)

CACHE = "/var/cache/apk"
_ADDING = frozenset({"add", "upgrade"})
_REFRESH = ("-U", "--update-cache", "--update")
_QUIET = frozenset({"-q", "--quiet", "--no-progress"})


@register
class ApkNoCache(Rule):
    code = "DO305"
    name = "apk-no-cache"
    summary = "apk add --no-cache (or a cache mount) instead of a cached index"
    safety = Applicability.SAFE
    phase = Phase.PACKAGES
    trigger = mentions("apk", families=("apk",))
    removes = ("/var/cache/apk/**",)

    def check(self, ctx: Facts) -> Iterator[Finding]:
        hygiene = Hygiene.of(ctx)
        for run in hygiene.runs():
            finding = self._check_run(ctx, hygiene, run)
            if finding is not None:
                yield finding

    def _check_run(self, ctx: Facts, hygiene: Hygiene, run: Run) -> Finding | None:
        script, instruction = run.script, run.instruction
        found = invocations(script, ("apk",))
        adding = [i for i in found if i.subcommand in _ADDING]
        if not adding or not all(unconditional(i) for i in found):
            return None
        if mounted(instruction, CACHE):
            if any(i.has("--no-cache") for i in adding):
                return self.finding(
                    ctx, instruction, f"--no-cache next to a cache mount on {CACHE}: the mount caches nothing"
                )
            return None
        # `--no-network` fetches nothing (it resolves against what is installed), so it caches nothing.
        dirty = [i for i in adding if not i.has("--no-cache", "--no-network")]
        updates = [i for i in found if i.subcommand == "update"]
        if not dirty and not updates:
            return None
        last = max(i.command.span[1] for i in (*dirty, *updates))
        removed = _cache_removed(script, last)
        if hygiene.mounts_mode and removed:
            return None
        first = (dirty or updates)[0]
        message = f"`apk {first.subcommand}` keeps its package index in {CACHE}"
        reader = next((item for item in hygiene.after(instruction) if _reads_index(ctx, item)), None)
        if reader is not None:
            return self.finding(
                ctx, instruction, f"{message}; not changed: the RUN at line {reader.line} reads it"
            )
        # Never both: a RUN whose other adds already use --no-cache stays with the cleanup strategy.
        if hygiene.mounts_mode and dirty and not any(i.has("--no-cache") for i in adding):
            return self.finding(
                ctx,
                instruction,
                f"{message}: use a cache mount",
                self._mount_edits(ctx, script, instruction, dirty),
            )
        if not dirty and removed:
            return None  # `apk update && apk add --no-cache … && rm …`: clean, if roundabout
        edits = self._cleanup_edits(ctx, script, found, dirty, updates, removed)
        what = "add --no-cache" if dirty else "drop the update, --no-cache fetches the index itself"
        return self.finding(ctx, instruction, f"{message}: {what}", edits)

    def _cleanup_edits(
        self, ctx: Facts, script: Script, found: list[Invocation], dirty: list[Invocation],
        updates: list[Invocation], removed: bool,
    ) -> list[Edit]:  # fmt: skip
        """--no-cache on each add; the updates dropped (kept only if a removal follows); the removal
        dropped when nothing else of apk's writes to the cache."""
        edits: list[Edit | None] = [add_option(invocation, "--no-cache") for invocation in dirty]
        others = [i for i in found if i.subcommand not in _ADDING and i.subcommand != "update"]
        for update in updates:
            droppable = not others and not update.args and update.flags <= _QUIET
            edit = _drop(ctx, script, update.command) if droppable else None
            if edit is None and not removed:
                return []
            edits.append(edit)
        if not others and all(e is not None for e in edits[len(dirty) :]):
            for removal in removals(script):
                paths = [word.value for word in removal.paths]
                only_cache = paths and all(
                    p is not None and (p == CACHE or p.startswith(CACHE + "/")) for p in paths
                )
                if only_cache and removal.command.unconditional and not removal.command.context:
                    edits.append(_drop(ctx, script, removal.command))
        if any(e is None for e in edits[: len(dirty)]):
            return []
        return [e for e in edits if e is not None]

    def _mount_edits(
        self, ctx: Facts, script: Script, instruction: Instruction, dirty: list[Invocation]
    ) -> list[Edit]:
        edits: list[Edit | None] = [mount_edit(ctx, instruction, [mount_flag(CACHE, "locked")])]
        updated_at = min(
            (i.command.span[0] for i in invocations(script, ("apk",)) if i.subcommand == "update"),
            default=None,
        )
        for invocation in dirty:
            refreshed = invocation.has(*_REFRESH) or (
                updated_at is not None and updated_at < invocation.command.span[0]
            )
            if not refreshed:
                edits.append(add_option(invocation, "--update-cache"))
        return [] if None in edits else edits  # type: ignore[return-value]


def _drop(ctx: Facts, script: Script, command: Command) -> Edit | None:
    place = statement_of(script, command)
    return None if place is None else remove_pipeline(ctx, script, *place)


def _cache_removed(script: Script, offset: int) -> bool:
    return any(r.removes(CACHE + "/x") and r.command.span[0] >= offset for r in removals(script))


def _reads_index(ctx: Facts, instruction: Instruction) -> bool:
    """A later RUN whose first apk add/upgrade has no way to get an index of its own."""
    script = ctx.script(instruction)
    if script is None:
        return False
    for invocation in invocations(script, ("apk",)):
        if invocation.subcommand == "update":
            return False
        if invocation.subcommand in _ADDING:
            return not invocation.has("--no-cache", *_REFRESH)
    return False
