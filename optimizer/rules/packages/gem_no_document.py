"""DO309 gem-no-document: gem install without generating rdoc/ri documentation.

## What it does
Adds ``--no-document`` to ``gem install`` and ``gem update`` when no documentation option is given
(``--no-document``, ``-N``, ``--document``, ``--[no-]rdoc``, ``--[no-]ri``) and no earlier
instruction of the image configures it (a ``gemrc`` written with ``--no-document``). The same fix
in both cache strategies: documentation is not a cache a mount could keep.

## Why
RubyGems generates rdoc and ri documentation for every gem it installs: several MB per gem, and
minutes of build time for big dependency trees, for files nothing in a container reads. The
official ruby images turn it off in their global ``gemrc``; images built on other bases do not.

## Example
```dockerfile
RUN gem install bundler
```
Use instead:
```dockerfile
RUN gem install --no-document bundler
```

## Fix safety
Safe: the installed gems are the same; only their generated documentation (``ri``, ``gem server``)
is missing. Only stages that matter are touched; ``gem`` inside ``if``/loops/functions or after
``||``, ONBUILD, Windows and non-POSIX stages are left alone, as is a computed option word
(``$GEM_OPTS``) that may hold the flag.

## References
- RubyGems docs, ``gem install --no-document``: https://guides.rubygems.org/command-reference/#gem-install
- docker-library/ruby, ``/usr/local/etc/gemrc``
"""

from __future__ import annotations

from collections.abc import Iterator

from ...shell import invocations
from ..base import Applicability, Facts, Finding, Phase, Rule, register
from ..triggers import mentions
from ._hygiene import Hygiene, add_option, configured, may_hide_options, unconditional, where

FLAG = "--no-document"
_DECIDED = ("--no-document", "-N", "--document", "--rdoc", "--no-rdoc", "--ri", "--no-ri")


@register
class GemNoDocument(Rule):
    code = "DO309"
    name = "gem-no-document"
    summary = "gem install --no-document"
    safety = Applicability.SAFE
    phase = Phase.PACKAGES
    trigger = mentions("gem", managers=("gem",))
    removes = ("/usr/local/bundle/doc/**", "/usr/local/lib/ruby/gems/*/doc/**", "/var/lib/gems/*/doc/**")

    def check(self, ctx: Facts) -> Iterator[Finding]:
        hygiene = Hygiene.of(ctx)
        for run in hygiene.runs():
            for invocation in invocations(run.script, ("gem",)):
                if invocation.subcommand not in ("install", "update") or not unconditional(invocation):
                    continue
                if invocation.has(*_DECIDED) or may_hide_options(invocation):
                    continue
                if configured(hygiene, run.instruction, FLAG, "--no-rdoc", "gemrc"):
                    continue
                edit = add_option(invocation, FLAG)
                yield self.finding(
                    ctx,
                    run.instruction,
                    f"`gem {invocation.subcommand}` also generates rdoc/ri documentation: add {FLAG}",
                    [edit] if edit else [],
                    offset=where(invocation),
                )
