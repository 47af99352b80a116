"""DO301 apt-lists-cleanup: a RUN that runs apt-get update and installs leaves no package lists behind.

## What it does
For a RUN that runs ``apt-get update`` (or ``apt update``) and installs packages, but leaves the
downloaded package lists in ``/var/lib/apt/lists``:
- with the default ``cache-strategy = "cleanup"``, it ends the RUN with
  ``&& rm -rf /var/lib/apt/lists/*``;
- with ``cache-strategy = "mounts"``, it adds BuildKit cache mounts instead:
  ``--mount=type=cache,target=/var/cache/apt,sharing=locked`` and
  ``--mount=type=cache,target=/var/lib/apt/lists,sharing=locked``, and, once per image, the line
  Docker's documentation adds before such a RUN so that downloaded ``.deb`` files stay in the
  cache: ``RUN rm -f /etc/apt/apt.conf.d/docker-clean; echo 'Binary::apt::APT::Keep-Downloaded-Packages "true";' > /etc/apt/apt.conf.d/keep-cache``
  (Debian's and Ubuntu's images ship ``docker-clean``, an apt hook that deletes every downloaded
  package after installing it; with it, a cache mount on ``/var/cache/apt`` would stay empty).

Never both: a RUN that already removes the lists, mounts a cache on them, or runs
``apt-get dist-clean`` is left alone. A cache mount *and* a removal of the lists in one RUN is
reported (display only): the removal empties the cache the mount is there to keep.

The mount is on ``/var/lib/apt/lists``, not on all of ``/var/lib/apt`` as in Docker's example:
``/var/lib/apt/extended_states`` (which packages were installed automatically) belongs to the
image — under a cache mount it would be hidden from ``apt-get autoremove`` later and shared
between unrelated images.

## Why
Layers are immutable: the lists (tens of MB) that ``apt-get update`` downloads stay in the layer
of the RUN that downloaded them, even if a later RUN deletes them. They are also stale the moment
the image is built, so nothing should rely on them.

## Example
```dockerfile
FROM debian:bookworm-slim
RUN apt-get update && apt-get install -y curl
```
Use instead:
```dockerfile
FROM debian:bookworm-slim
RUN apt-get update && apt-get install -y curl && rm -rf /var/lib/apt/lists/*
```
or, with ``--cache-strategy mounts``:
```dockerfile
FROM debian:bookworm-slim
RUN rm -f /etc/apt/apt.conf.d/docker-clean; echo 'Binary::apt::APT::Keep-Downloaded-Packages "true";' > /etc/apt/apt.conf.d/keep-cache
RUN --mount=type=cache,target=/var/cache/apt,sharing=locked \\
    --mount=type=cache,target=/var/lib/apt/lists,sharing=locked \\
    apt-get update && apt-get install -y curl
```

## Fix safety
Safe. The cleanup runs after the whole script succeeded (``&&`` after its last statement), so the
RUN's exit status is unchanged. Only RUNs where it matters are touched (hadolint DL3009's
judgment): the final stage, or a stage other stages build on, copy from or mount. The fix is not
offered (display only) when a later RUN of the image — in this stage or a stage built FROM it,
``ONBUILD`` triggers included — reads the lists without running ``apt-get update`` itself: it
would no longer find any packages. Images built FROM the result must run ``apt-get update``
before installing, as they should anyway. Left alone: apt commands inside ``if``/loops/functions
or after ``||``, scripts ending in ``&`` or an ``exit``, heredocs glued to the command line,
ONBUILD, Windows and non-POSIX shells, and scripts the shell model cannot read.
In mounts mode the new ``docker-clean`` line changes two files under ``/etc/apt/apt.conf.d`` in
the image; that is the documented price of keeping packages in the cache.

## References
- hadolint DL3009 (delete the apt-get lists after installing something)
- Docker docs, "Optimize cache usage in builds — Use cache mounts":
  https://docs.docker.com/build/cache/optimize/#use-cache-mounts
- Dockerfile reference, ``RUN --mount=type=cache``:
  https://docs.docker.com/reference/dockerfile/#run---mounttypecache
"""

from __future__ import annotations

from collections.abc import Iterator

from ...syntax import Instruction
from ..base import Applicability, Edit, Facts, Finding, Phase, Rule, register
from ..triggers import mentions
from ._apt import LISTS, apt_invocations, installs, lists_cleaned_after, next_reader, updates
from ._hygiene import Hygiene, Run, append_command, mount_edit, mount_flag, mounted, unconditional

CLEANUP = "rm -rf /var/lib/apt/lists/*"
APT_CACHE = "/var/cache/apt"
KEEP_CACHE = (
    "rm -f /etc/apt/apt.conf.d/docker-clean; "
    "echo 'Binary::apt::APT::Keep-Downloaded-Packages \"true\";' > /etc/apt/apt.conf.d/keep-cache"
)


@register
class AptListsCleanup(Rule):
    code = "DO301"
    name = "apt-lists-cleanup"
    summary = "Remove apt package lists in the RUN that downloaded them (or use cache mounts)"
    safety = Applicability.SAFE
    phase = Phase.PACKAGES
    trigger = mentions("apt", families=("apt",))
    removes = (
        "/var/lib/apt/lists/**",
        "/var/cache/apt/**",
        "/etc/apt/apt.conf.d/docker-clean",
        "/etc/apt/apt.conf.d/keep-cache",
    )

    def check(self, ctx: Facts) -> Iterator[Finding]:
        hygiene = Hygiene.of(ctx)
        silenced = ctx.suppressions
        keep_cache_planned: set[int] = set()  # stages that get Docker's keep-cache line this round
        for run in hygiene.runs():
            finding = self._check_run(ctx, hygiene, run, keep_cache_planned)
            if finding is None:
                continue
            if finding.fix and len(finding.fix.edits) > 1 and not silenced.silences(finding):
                keep_cache_planned.add(run.stage)
            yield finding

    def _check_run(
        self, ctx: Facts, hygiene: Hygiene, run: Run, keep_cache_planned: set[int]
    ) -> Finding | None:
        script, instruction = run.script, run.instruction
        found = apt_invocations(script)
        fetched = updates(script)
        if not fetched or not installs(script) or not all(unconditional(i) for i in found):
            return None
        last_update = fetched[-1].command.span[1]
        cleaned = lists_cleaned_after(script, last_update)
        if mounted(instruction, LISTS):
            if cleaned and LISTS in script.text[last_update:]:
                return self.finding(
                    ctx, instruction, f"`rm` of {LISTS} empties the cache mounted there; drop one of them"
                )
            return None
        if cleaned:
            return None
        reader = next_reader(ctx.tree, hygiene.after(instruction))
        what = f"apt-get update leaves package lists in {LISTS} in this layer"
        if reader is not None:
            return self.finding(
                ctx,
                instruction,
                f"{what}; not removed because the RUN at line {reader.line} installs without updating",
            )
        blocker = hygiene.removal_blocker(run, [LISTS])
        if blocker is not None and blocker[0] is Applicability.DISPLAY_ONLY:
            return self.finding(ctx, instruction, f"{what}; not removed because {blocker[1]}")
        unsafe = f" (unsafe: {blocker[1]})" if blocker else ""
        applicability = blocker[0] if blocker else None
        if hygiene.mounts_mode:
            planned = any(stage in keep_cache_planned for stage in hygiene.lineage(run.stage))
            edits = self._mount_edits(ctx, hygiene, instruction, planned)
            return self.finding(
                ctx, instruction, f"{what}: keep them in cache mounts instead{unsafe}", edits, applicability
            )
        edit = append_command(ctx, run, CLEANUP)
        return self.finding(
            ctx,
            instruction,
            f"{what}: remove them in the same RUN{unsafe}",
            [edit] if edit else [],
            applicability,
        )

    def _mount_edits(
        self, ctx: Facts, hygiene: Hygiene, instruction: Instruction, planned: bool
    ) -> list[Edit]:
        flags = [
            mount_flag(target, "locked") for target in (APT_CACHE, LISTS) if not mounted(instruction, target)
        ]
        edits = [mount_edit(ctx, instruction, flags)]
        handled = planned or any(
            "docker-clean" in item.text for item in [*hygiene.before(instruction), instruction]
        )
        if not handled:
            edits.append(_keep_cache_line(ctx, instruction))
        return edits


def _keep_cache_line(ctx: Facts, instruction: Instruction) -> Edit:
    """Docker's docs line, above the RUN and above the comments that belong to it."""
    at = instruction.leading_comments[0].start if instruction.leading_comments else instruction.start
    indent = instruction.text[: instruction.keyword_start - instruction.start]
    keyword = "run" if instruction.keyword.islower() else "RUN"
    return Edit.insert(at, f"{indent}{keyword} {KEEP_CACHE}{ctx.tree.newline}")
