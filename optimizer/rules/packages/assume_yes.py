"""DO304 assume-yes: package managers that would ask for confirmation get -y.

## What it does
Adds ``-y`` to ``apt-get``/``apt`` (install, upgrade, dist-upgrade, full-upgrade, reinstall,
build-dep, remove, purge, autoremove), ``dnf``/``yum`` (install, update, upgrade, reinstall,
downgrade, remove, autoremove, distro-sync, group and module installs) and ``zypper`` (install,
update, remove, patch, dist-upgrade; as ``-y``, its ``--no-confirm``) when the command has no
``-y``/``--yes``/``--assume-yes``/``--assumeyes``, no ``-qq`` (which implies ``-y`` for apt-get),
no ``-n``/``--non-interactive`` for zypper, no ``-o APT::Get::Assume-Yes=…``, is not fed by
``yes |``, and no earlier instruction configures ``Assume-Yes``/``assumeyes``.

## Why
A build has no terminal. When one of these commands wants confirmation (apt-get does as soon as
it installs a dependency that was not named), it reads end-of-file and aborts: the build fails,
or works today and fails when a package gains a dependency. hadolint asks for the flag (DL3014,
DL3030, DL3038, DL3034).

## Example
```dockerfile
RUN apt-get update && apt-get install curl
```
Use instead:
```dockerfile
RUN apt-get update && apt-get install -y curl
```

## Fix safety
Safe: where the command would not have asked, ``-y`` changes nothing; where it would have, the
build failed. (apt-get still refuses to remove essential packages with ``-y`` alone.) Applied in
every stage, since any stage may be built with ``--target``. Commands inside ``if``/loops/
functions or after ``||`` are left alone, as are ONBUILD, Windows and non-POSIX stages.
``microdnf`` is left alone: it does not ask, and older versions reject ``-y``.

## References
- hadolint DL3014, DL3030, DL3034, DL3038
- Docker docs, "Best practices — apt-get":
  https://docs.docker.com/build/building/best-practices/#apt-get
"""

from __future__ import annotations

from collections.abc import Iterator

from ...shell import Invocation, invocations
from ..base import Applicability, Facts, Finding, Phase, Rule, register
from ..triggers import mentions
from ._hygiene import Hygiene, add_option, configured, may_hide_options, unconditional, where

_PROMPTING = {
    "apt": frozenset(
        [
            "install",
            "upgrade",
            "dist-upgrade",
            "full-upgrade",
            "reinstall",
            "build-dep",
            "remove",
            "purge",
            "autoremove",
            "autopurge",
        ]
    ),
    "rpm": frozenset(
        [
            "install",
            "update",
            "upgrade",
            "reinstall",
            "downgrade",
            "remove",
            "autoremove",
            "distro-sync",
            "groupinstall",
            "groupupdate",
            "localinstall",
        ]
    )
    | {"group install", "group upgrade", "module install", "module enable", "module reset"},
    "zypper": frozenset(["install", "update", "remove", "patch", "dist-upgrade", "source-install"]),
}
_YES = {
    "apt": ("-y", "--yes", "--assume-yes", "--force-yes"),
    "rpm": ("-y", "--assumeyes"),
    "zypper": ("-y", "--no-confirm", "-n", "--non-interactive"),
}
_CONFIG = {"apt": ("Assume-Yes",), "rpm": ("assumeyes",), "zypper": ("non-interactive", "ZYPP_")}


@register
class AssumeYes(Rule):
    code = "DO304"
    name = "assume-yes"
    summary = "-y for package-manager commands that would wait for confirmation"
    safety = Applicability.SAFE
    phase = Phase.PACKAGES
    trigger = mentions(
        "apt",
        "yum",
        "dnf",
        "zypper",
        families=(
            "apt",
            "rpm",
            "zypper",
        ),
    )

    def check(self, ctx: Facts) -> Iterator[Finding]:
        hygiene = Hygiene.of(ctx)
        for run in hygiene.runs(every_stage=True):
            for invocation in invocations(run.script, ("apt", "rpm", "zypper")):
                if not _asks(invocation) or not unconditional(invocation):
                    continue
                if configured(hygiene, run.instruction, *_CONFIG[invocation.family]):
                    continue
                edit = add_option(invocation, "-y")
                yield self.finding(
                    ctx,
                    run.instruction,
                    f"`{invocation.manager} {invocation.subcommand}` waits for a confirmation nobody gives: "
                    "add -y",
                    [edit] if edit else [],
                    offset=where(invocation),
                )


def _asks(invocation: Invocation) -> bool:
    family = invocation.family
    if invocation.manager == "microdnf" or invocation.subcommand not in _PROMPTING[family]:
        return False
    if invocation.has(*_YES[family]) or invocation.command.in_pipeline:
        return False
    if family == "apt":
        quiet = invocation.values("-q", "--quiet")
        if len(quiet) >= 2 or any(v and v.strip("=") == "2" for v in quiet):
            return False
        if any("Assume-Yes" in (v or "") for v in invocation.values("-o", "--option")):
            return False
    return not may_hide_options(invocation)
