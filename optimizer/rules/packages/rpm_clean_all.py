"""DO306 rpm-clean-all: a RUN that installs with dnf, yum, microdnf or zypper cleans up after itself.

## What it does
For a RUN that installs or updates packages with ``dnf``/``yum``/``microdnf`` (or ``zypper``) and
leaves the repository metadata and packages in the image:
- with ``cache-strategy = "cleanup"`` (default), ends the RUN with ``&& <tool> clean all``
  (``zypper clean --all``), using the tool the RUN installed with;
- with ``cache-strategy = "mounts"``, adds a cache mount on the tool's cache directory instead:
  ``/var/cache/dnf`` and ``/var/cache/libdnf5`` for dnf (dnf5 moved it), ``/var/cache/yum`` and
  ``/var/cache/dnf`` for yum (``yum`` is dnf on EL8 and later), ``/var/cache/yum`` for microdnf,
  ``/var/cache/zypp`` for zypper — all with ``sharing=locked``.
Already clean: a ``clean`` of the same family, or any mention of the cache directory, after the
last install; or a cache mount there. ``-y`` is DO304's business.

## Why
The metadata of a few repositories is easily 100–300 MB, and it stays in the layer of the RUN
that downloaded it: a later ``RUN dnf clean all`` hides it but does not shrink the image.
hadolint asks for the cleanup (DL3032 yum, DL3040 dnf, DL3041 microdnf, DL3036 zypper).

## Example
```dockerfile
FROM fedora:40
RUN dnf install -y gcc
```
Use instead:
```dockerfile
FROM fedora:40
RUN dnf install -y gcc && dnf clean all
```

## Fix safety
Safe: the cleanup runs after the whole script succeeded, and a later install simply downloads
fresh metadata (these tools refresh missing metadata by themselves, unlike apt). Declined when the
tool runs through ``sudo``/``gosu``/``su-exec`` (the cleanup would need the same), and for
installs inside ``if``/loops/functions or after ``||``, scripts ending in ``&``, heredocs glued to
the command line, ONBUILD, Windows and non-POSIX stages. Only stages that matter are touched.

## References
- hadolint DL3032, DL3036, DL3040, DL3041
- Dockerfile reference, ``RUN --mount=type=cache``:
  https://docs.docker.com/reference/dockerfile/#run---mounttypecache
"""

from __future__ import annotations

from collections.abc import Iterator

from ...shell import invocations
from ..base import Applicability, Facts, Finding, Phase, Rule, register
from ..triggers import mentions
from ._hygiene import Hygiene, append_command, mount_edit, mount_flag, mounted, switches_user, unconditional

_FILLING = frozenset({
    "install", "update", "upgrade", "reinstall", "downgrade", "distro-sync", "groupinstall", "groupupdate",
    "localinstall", "makecache", "group install", "group upgrade", "module install", "module enable",
    "dist-upgrade", "patch", "refresh", "source-install",
})  # fmt: skip
CACHES = {
    "dnf": ("/var/cache/dnf", "/var/cache/libdnf5"),
    "yum": ("/var/cache/yum", "/var/cache/dnf"),
    "microdnf": ("/var/cache/yum",),
    "zypper": ("/var/cache/zypp",),
}


@register
class RpmCleanAll(Rule):
    code = "DO306"
    name = "rpm-clean-all"
    summary = "dnf/yum/microdnf/zypper: clean all in the installing RUN (or use cache mounts)"
    safety = Applicability.SAFE
    phase = Phase.PACKAGES
    trigger = mentions(
        "yum",
        "dnf",
        "zypper",
        families=(
            "rpm",
            "zypper",
        ),
    )
    removes = ("/var/cache/dnf/**", "/var/cache/yum/**", "/var/cache/libdnf5/**", "/var/cache/zypp/**")

    def check(self, ctx: Facts) -> Iterator[Finding]:
        hygiene = Hygiene.of(ctx)
        for run in hygiene.runs():
            found = invocations(run.script, ("rpm", "zypper"))
            filling = [i for i in found if i.subcommand in _FILLING]
            if not filling or not all(unconditional(i) for i in found):
                continue
            last = filling[-1]
            manager = last.manager
            caches = CACHES[manager]
            rest = run.script.text[last.command.span[1] :]
            cleaned = any(i.subcommand == "clean" and i.command.span[0] > last.command.span[0] for i in found)
            if cleaned or any(
                path in rest for cache in caches for path in (cache, cache.rsplit("/", 1)[0] + "/*")
            ):
                continue
            if any(mounted(run.instruction, cache) for cache in caches):
                continue
            message = f"`{manager} {last.subcommand}` leaves its metadata and packages in {caches[0]}"
            needed = hygiene.cache_reader(run, list(caches))
            if needed is not None:
                yield self.finding(ctx, run.instruction, f"{message}; not cleaned because {needed}")
                continue
            if any(switches_user(i) for i in filling):
                yield self.finding(ctx, run.instruction, f"{message}; not cleaned: it runs as another user")
                continue
            if hygiene.mounts_mode:
                flags = [mount_flag(cache, "locked") for cache in caches]
                edit = mount_edit(ctx, run.instruction, flags)
                yield self.finding(ctx, run.instruction, f"{message}: use a cache mount", [edit])
                continue
            program = last.program[0].value or manager  # `dnf5`, `/usr/bin/yum`: the same tool again
            cleanup = f"{program} clean --all" if manager == "zypper" else f"{program} clean all"
            appended = append_command(ctx, run, cleanup)
            yield self.finding(
                ctx,
                run.instruction,
                f"{message}: end the RUN with `{cleanup}`",
                [appended] if appended else [],
            )
