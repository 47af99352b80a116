"""DO311 composer-clear-cache: a RUN that runs composer install/update/require clears composer's cache.

## What it does
For a RUN whose ``composer install``/``update``/``require``/``create-project`` (also
``php composer.phar …``) leaves composer's download cache in the image, ends the RUN with
``&& composer clear-cache`` (the tool written the same way). Already clean: a ``clear-cache``
after the install, ``--no-cache`` on it, ``COMPOSER_CACHE_DIR`` set (in the stage or on the
command), or a mention of composer's cache directory after the install.

The same fix in both cache strategies: composer's cache directory depends on ``COMPOSER_HOME``
and the XDG variables of the image (``~/.cache/composer``, ``~/.composer/cache``,
``/tmp/cache`` in the official composer image), which a Dockerfile rarely shows, so a cache mount
on a guessed directory is not offered.

## Why
composer keeps every downloaded package archive and repository metadata in its cache: often
larger than ``vendor/`` itself, and never read again in the image.

## Example
```dockerfile
RUN composer install --no-dev --optimize-autoloader
```
Use instead:
```dockerfile
RUN composer install --no-dev --optimize-autoloader && composer clear-cache
```

## Fix safety
Safe: ``clear-cache`` deletes only the cache, after the whole script succeeded. Declined when
composer runs through ``sudo``/``gosu``/``su-exec`` (the cleanup would have to as well), for
installs inside ``if``/loops/functions or after ``||``, scripts ending in ``&``, heredocs glued to
the command line, ONBUILD, Windows and non-POSIX stages. Only stages that matter are touched.

## References
- composer docs, ``clear-cache``: https://getcomposer.org/doc/03-cli.md#clear-cache-clearcache-cc
"""

from __future__ import annotations

from collections.abc import Iterator

from ...shell import invocations
from ..base import Applicability, Facts, Finding, Phase, Rule, register
from ..triggers import mentions
from ._hygiene import Hygiene, append_command, switches_user, unconditional, where

_FILLING = frozenset({"install", "update", "require", "create-project", "global require", "global update"})
_VARIABLES = ("COMPOSER_CACHE_DIR",)


@register
class ComposerClearCache(Rule):
    code = "DO311"
    name = "composer-clear-cache"
    summary = "composer: clear-cache in the installing RUN"
    safety = Applicability.SAFE
    phase = Phase.PACKAGES
    trigger = mentions("composer", managers=("composer",))
    removes = ("/root/.cache/composer/**", "/root/.composer/cache/**", "/tmp/cache/**")

    def check(self, ctx: Facts) -> Iterator[Finding]:
        hygiene = Hygiene.of(ctx)
        for run in hygiene.runs():
            found = invocations(run.script, ("composer",))
            filling = [i for i in found if i.subcommand in _FILLING]
            if not filling or not all(unconditional(i) for i in found):
                continue
            last = filling[-1]
            if any(i.subcommand == "clear-cache" and i.command.span[0] > last.command.span[0] for i in found):
                continue
            if any(i.has("--no-cache") for i in filling) or "composer/cache" in run.script.text:
                continue
            if (
                any(name in _VARIABLES for i in filling for name, _ in i.env)
                or "COMPOSER_CACHE_DIR" in run.script.text
            ):
                continue
            if any(hygiene.env_declared(run.instruction, name) for name in _VARIABLES):
                continue
            message = f"`composer {last.subcommand}` leaves its download cache in the image"
            home = hygiene.home(run.instruction) or "/root"
            needed = hygiene.cache_reader(run, [f"{home}/.composer/cache", f"{home}/.cache/composer"])
            if needed is not None:
                yield self.finding(
                    ctx, run.instruction, f"{message}; not cleared because {needed}", offset=where(last)
                )
                continue
            if any(switches_user(i) for i in filling):
                yield self.finding(
                    ctx,
                    run.instruction,
                    f"{message}; not cleared: it runs as another user",
                    offset=where(last),
                )
                continue
            program = " ".join(w.value or "composer" for w in last.program)
            cleanup = f"{program} clear-cache"
            edit = append_command(ctx, run, cleanup)
            yield self.finding(
                ctx,
                run.instruction,
                f"{message}: end the RUN with `{cleanup}`",
                [edit] if edit else [],
                offset=where(last),
            )
