"""DO308 node-cache-clean: npm and yarn installs leave no package cache in the image.

## What it does
For a RUN whose ``npm install``/``npm ci``/``npm update`` or ``yarn``/``yarn install``/``yarn add``/
``yarn global add`` fills the package manager's cache in the image:
- with ``cache-strategy = "cleanup"`` (default), ends the RUN with ``&& npm cache clean --force``
  or ``&& yarn cache clean``;
- with ``cache-strategy = "mounts"``, adds a cache mount on ``/root/.npm`` (npm) or
  ``/usr/local/share/.cache/yarn`` (yarn 1, as root) instead; where the cache directory cannot be
  known (a non-root ``USER``, ``sudo``/``gosu``, yarn of unknown version) it falls back to the
  cleanup, which runs as the same user and finds the cache wherever it is.
Already clean, and left alone: a ``cache clean`` after the install, a mention of the cache
directory after it (``rm -rf ~/.npm``), ``--cache``/``--cache-folder`` options or
``npm_config_cache``/``YARN_CACHE_FOLDER`` set, or a cache mount there.

``npm ci`` instead of ``npm install`` is *not* offered: ``npm ci`` fills the same cache, so it does
nothing for the image size, and it changes behaviour (it needs a lockfile in sync, deletes
``node_modules`` first). pnpm is left alone: its store is hard-linked into ``node_modules``, so
removing it saves almost nothing, and a cache mount on it would turn the links into copies.

## Why
npm keeps a copy of every tarball it fetched in ``~/.npm/_cacache``; yarn 1 keeps an unpacked copy
of every package in its cache folder. Both are as big as ``node_modules`` or bigger, and useless in
the image. A later ``RUN`` that deletes them does not shrink the layer that wrote them.

## Example
```dockerfile
RUN npm ci --omit=dev
```
Use instead:
```dockerfile
RUN npm ci --omit=dev && npm cache clean --force
```

## Fix safety
npm: safe (the cache is only read by later installs in the same container). yarn: safe when the
build context shows yarn 1 (a ``yarn.lock`` with the ``# yarn lockfile v1`` header and no
``.yarnrc.yml``); left alone for yarn 2+ (with Plug'n'Play the project cache *is* the installed
packages, so ``yarn cache clean`` would break the app); unsafe when the version cannot be told.
Only stages that matter are touched; installs inside ``if``/loops/functions or after ``||``,
scripts ending in ``&``, ONBUILD, Windows and non-POSIX stages are left alone.

## References
- npm docs, ``npm cache``: https://docs.npmjs.com/cli/commands/npm-cache
- yarn 1 docs, ``yarn cache``: https://classic.yarnpkg.com/en/docs/cli/cache
- Docker docs, "Use cache mounts": https://docs.docker.com/build/cache/optimize/#use-cache-mounts
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

from ...shell import Invocation, invocations
from ..base import Applicability, Facts, Finding, Phase, Rule, register
from ..triggers import mentions
from ._hygiene import (
    Hygiene,
    Run,
    append_command,
    mount_edit,
    mount_flag,
    mounted,
    switches_user,
    unconditional,
    where,
)

_FILLING = {
    "npm": frozenset({"install", "ci", "update", "install-test", "install-ci-test"}),
    "yarn": frozenset({"install", "add", "upgrade", "global add"}),
}
_CLEANUP = {"npm": "npm cache clean --force", "yarn": "yarn cache clean"}
_MARKERS = {
    "npm": (".npm", "npm_config_cache", "NPM_CONFIG_CACHE"),
    "yarn": (".cache/yarn", "YARN_CACHE_FOLDER"),
}
_OPTIONS = {"npm": ("--cache",), "yarn": ("--cache-folder",)}
_ROOT_CACHE = {"npm": "/root/.npm", "yarn": "/usr/local/share/.cache/yarn"}
_YARN_HOME_CACHE = "/root/.cache/yarn"  # yarn 1 run by root outside the official images


@register
class NodeCacheClean(Rule):
    code = "DO308"
    name = "node-cache-clean"
    summary = "npm/yarn: clean the package cache in the installing RUN (or use a cache mount)"
    safety = Applicability.SAFE
    phase = Phase.PACKAGES
    trigger = mentions(
        "npm",
        "yarn",
        managers=(
            "npm",
            "yarn",
        ),
    )
    safety_note = "safe; yarn of unknown version unsafe"
    removes = (
        "/root/.npm/**",
        "/home/*/.npm/**",
        "/usr/local/share/.cache/yarn/**",
        "/home/*/.cache/yarn/**",
    )

    def check(self, ctx: Facts) -> Iterator[Finding]:
        hygiene = Hygiene.of(ctx)
        yarn_version = _yarn_version(ctx.context_dir)
        for run in hygiene.runs():
            for manager in ("npm", "yarn"):
                if manager == "yarn" and yarn_version == "berry":
                    continue
                finding = self._check(ctx, hygiene, run, manager, yarn_version)
                if finding is not None:
                    yield finding

    def _check(
        self, ctx: Facts, hygiene: Hygiene, run: Run, manager: str, yarn_version: str | None
    ) -> Finding | None:
        found = [i for i in invocations(run.script, (manager,)) if i.manager == manager]
        filling = [i for i in found if i.subcommand in _FILLING[manager]]
        if not filling or not all(unconditional(i) for i in found):
            return None
        last = filling[-1]
        rest = run.script.text[last.command.span[1] :]
        if any(i.subcommand == "cache clean" and i.command.span[0] > last.command.span[0] for i in found):
            return None
        if any(marker in rest for marker in _MARKERS[manager]) or _configured(hygiene, run, filling, manager):
            return None
        root_cache = _ROOT_CACHE[manager]
        home = hygiene.home(run.instruction)
        cache = root_cache if home == "/root" else None
        if mounted(run.instruction, cache or root_cache):
            return None
        message = f"`{manager} {last.subcommand}` leaves its package cache in the image"
        needed = hygiene.cache_reader(
            run, [cache or root_cache] + ([_YARN_HOME_CACHE] if manager == "yarn" else [])
        )
        if needed is not None:
            return self.finding(
                ctx, run.instruction, f"{message}; not cleaned because {needed}", offset=where(last)
            )
        known = manager == "npm" or yarn_version == "classic"
        if hygiene.mounts_mode and cache is not None and known and not any(switches_user(i) for i in filling):
            edit = mount_edit(ctx, run.instruction, [mount_flag(cache)])
            return self.finding(
                ctx, run.instruction, f"{message}: use a cache mount", [edit], offset=where(last)
            )
        if any(switches_user(i) for i in filling):
            return self.finding(
                ctx, run.instruction, f"{message}; not cleaned: it runs as another user", offset=where(last)
            )
        cleanup = _CLEANUP[manager]
        appended = append_command(ctx, run, cleanup)
        safety = Applicability.SAFE if known else Applicability.UNSAFE
        note = "" if known else " (unsafe: yarn 2+ keeps installed packages in its cache)"
        return self.finding(
            ctx,
            run.instruction,
            f"{message}: end the RUN with `{cleanup}`{note}",
            [appended] if appended else [],
            safety,
            offset=where(last),
        )


def _configured(hygiene: Hygiene, run: Run, filling: list[Invocation], manager: str) -> bool:
    if any(i.has(*_OPTIONS[manager]) for i in filling):
        return True
    names = _MARKERS[manager][1:]
    if any(name in names for i in filling for name, _ in i.env):
        return True
    return any(hygiene.env_declared(run.instruction, name) for name in names)


def _yarn_version(context_dir: Path | None) -> str | None:
    """ "classic" (yarn 1), "berry" (yarn 2+) or None, from the build context's yarn files."""
    if context_dir is None:
        return None
    if (context_dir / ".yarnrc.yml").is_file():
        return "berry"
    lock = context_dir / "yarn.lock"
    try:
        head = lock.read_text(encoding="utf-8", errors="replace")[:2000]
    except OSError:
        return None
    if "__metadata:" in head:
        return "berry"
    return "classic" if "yarn lockfile v1" in head else None
