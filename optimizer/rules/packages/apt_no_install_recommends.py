"""DO303 apt-no-install-recommends: install only the packages asked for, not their recommendations.

## What it does
Adds ``--no-install-recommends`` to ``apt-get install`` / ``apt install`` (and ``build-dep``) when
neither it, ``--install-recommends`` nor an ``-o APT::Install-Recommends=…`` option is given and no
earlier instruction of the image configures ``Install-Recommends`` (an ``apt.conf.d`` file).

## Why
By default apt also installs every package the requested ones *recommend*: documentation,
optional tools, X11 libraries. In a container they are rarely used and often double the size of
an install (``curl`` alone pulls in about 10 MB of recommendations on Debian bookworm). Docker's
best-practice guide and hadolint (DL3015) ask for the flag.

## Example
```dockerfile
RUN apt-get update && apt-get install -y curl && rm -rf /var/lib/apt/lists/*
```
Use instead:
```dockerfile
RUN apt-get update && apt-get install -y --no-install-recommends curl && rm -rf /var/lib/apt/lists/*
```

## Fix safety
Unsafe: it changes which packages are installed, and a program may rely on a recommended
package (``ca-certificates`` recommended by ``curl`` is the classic: HTTPS stops working). Apply
it with ``--unsafe-fixes`` and run ``dockopt verify`` or your tests. Only RUNs in stages that
matter are touched (the final stage, or one other stages use); installs inside ``if``/loops/
functions or after ``||`` are left alone, as are ONBUILD, Windows and non-POSIX stages.

## References
- hadolint DL3015: https://github.com/hadolint/hadolint/wiki/DL3015
- Docker docs, "Best practices — apt-get":
  https://docs.docker.com/build/building/best-practices/#apt-get
"""

from __future__ import annotations

from collections.abc import Iterator

from ..base import Applicability, Facts, Finding, Phase, Rule, register
from ..triggers import mentions
from ._apt import apt_invocations
from ._hygiene import Hygiene, add_option, configured, may_hide_options, unconditional, where

FLAG = "--no-install-recommends"
_SUBCOMMANDS = frozenset({"install", "build-dep"})


@register
class AptNoInstallRecommends(Rule):
    code = "DO303"
    name = "apt-no-install-recommends"
    summary = "apt-get install --no-install-recommends"
    safety = Applicability.UNSAFE
    phase = Phase.PACKAGES
    trigger = mentions("apt", families=("apt",))

    def check(self, ctx: Facts) -> Iterator[Finding]:
        hygiene = Hygiene.of(ctx)
        for run in hygiene.runs():
            for invocation in apt_invocations(run.script):
                if invocation.subcommand not in _SUBCOMMANDS or not unconditional(invocation):
                    continue
                if invocation.has(FLAG, "--install-recommends") or may_hide_options(invocation):
                    continue
                if any("Install-Recommends" in (v or "") for v in invocation.values("-o", "--option")):
                    continue
                if configured(hygiene, run.instruction, "Install-Recommends"):
                    continue
                edit = add_option(invocation, FLAG)
                yield self.finding(
                    ctx,
                    run.instruction,
                    f"`{invocation.manager} {invocation.subcommand}` also installs recommended packages: "
                    f"add {FLAG}",
                    [edit] if edit else [],
                    offset=where(invocation),
                )
