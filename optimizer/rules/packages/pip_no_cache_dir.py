"""DO307 pip-no-cache-dir: pip install leaves no download and wheel cache in the image.

## What it does
For ``pip install`` / ``pip download`` / ``pip wheel`` (also ``pip3``, ``python -m pip``, a venv's
``pip``) that would fill pip's cache in the image:
- with ``cache-strategy = "cleanup"`` (default), adds ``--no-cache-dir`` after the subcommand;
- with ``cache-strategy = "mounts"``, adds ``--mount=type=cache,target=<home>/.cache/pip`` to the
  RUN instead (``$PIP_CACHE_DIR`` when the stage sets it), so the cache is kept *between* builds
  but never in the image. Where the cache directory cannot be known — a non-root ``USER`` without
  ``ENV HOME``, a tool run through ``sudo``/``gosu`` — it falls back to ``--no-cache-dir``.
Left alone: ``--no-cache-dir`` or ``--cache-dir`` already given, ``PIP_NO_CACHE_DIR``/
``PIP_CACHE_DIR`` set (ENV/ARG in the stage, or in the script), a cache mount already there, or a
computed option word (``$PIP_OPTS``) that may hold the flag.

Never both: ``--no-cache-dir`` next to a cache mount on pip's cache makes the mount useless; it is
reported, and the fix removes ``--no-cache-dir`` (the mount already keeps the cache out of the image).

## Why
pip keeps every wheel it downloads or builds in ``~/.cache/pip``. In an image that is dead weight
— often as large as the installed packages — and it stays in the layer even if a later RUN
deletes it. hadolint DL3042.

## Example
```dockerfile
RUN pip install -r requirements.txt
```
Use instead:
```dockerfile
RUN pip install --no-cache-dir -r requirements.txt
```
or, with ``--cache-strategy mounts``:
```dockerfile
RUN --mount=type=cache,target=/root/.cache/pip pip install -r requirements.txt
```

## Fix safety
Safe: the cache only speeds up a later install *in the same container*; what gets installed is the
same. Only stages that matter are touched (the final stage, or stages others use); pip inside
``if``/loops/functions or after ``||``, ONBUILD, Windows and non-POSIX stages are left alone.

## References
- hadolint DL3042: https://github.com/hadolint/hadolint/wiki/DL3042
- pip docs, "Caching": https://pip.pypa.io/en/stable/topics/caching/
- Docker docs, "Use cache mounts": https://docs.docker.com/build/cache/optimize/#use-cache-mounts
"""

from __future__ import annotations

from collections.abc import Iterator

from ...shell import Invocation, invocations
from ..base import Applicability, Edit, Facts, Finding, Phase, Rule, register
from ..triggers import mentions
from ._hygiene import (
    Hygiene,
    Run,
    add_option,
    may_hide_options,
    mount_edit,
    mount_flag,
    mounted,
    remove_word,
    switches_user,
    unconditional,
    where,
)

FLAG = "--no-cache-dir"
_SUBCOMMANDS = frozenset({"install", "download", "wheel"})
_SETTINGS = ("PIP_NO_CACHE_DIR", "PIP_CACHE_DIR")


@register
class PipNoCacheDir(Rule):
    code = "DO307"
    name = "pip-no-cache-dir"
    summary = "pip install --no-cache-dir (or a cache mount on pip's cache)"
    safety = Applicability.SAFE
    phase = Phase.PACKAGES
    trigger = mentions("pip", managers=("pip",))
    removes = ("/root/.cache/pip/**", "/home/*/.cache/pip/**")

    def check(self, ctx: Facts) -> Iterator[Finding]:
        hygiene = Hygiene.of(ctx)
        for run in hygiene.runs():
            found = [
                i for i in invocations(run.script, ("pip",))
                if i.manager == "pip" and i.subcommand in _SUBCOMMANDS and unconditional(i)
            ]  # fmt: skip
            if not found:
                continue
            cache = _cache_dir(hygiene, run)
            if mounted(run.instruction, cache or "/root/.cache/pip"):
                yield from self._contradictions(ctx, run, found)
                continue
            dirty = [i for i in found if not _configured(hygiene, run, i)]
            if not dirty:
                continue
            needed = hygiene.cache_reader(run, [cache or "/root/.cache/pip"])
            if needed is not None:
                yield self.finding(
                    ctx,
                    run.instruction,
                    f"`pip {dirty[0].subcommand}` fills pip's cache; left as it is because {needed}",
                    offset=where(dirty[0]),
                )
                continue
            message = (
                f"`pip {dirty[0].subcommand}` keeps downloaded and built wheels in pip's cache in the image"
            )
            if hygiene.mounts_mode and cache is not None and not any(switches_user(i) for i in dirty):
                edit = mount_edit(ctx, run.instruction, [mount_flag(cache)])
                yield self.finding(
                    ctx, run.instruction, f"{message}: use a cache mount", [edit], offset=where(dirty[0])
                )
                continue
            edits = [add_option(i, FLAG) for i in dirty]
            fix: list[Edit] = [] if None in edits else edits  # type: ignore[assignment]
            yield self.finding(ctx, run.instruction, f"{message}: add {FLAG}", fix, offset=where(dirty[0]))

    def _contradictions(self, ctx: Facts, run: Run, found: list[Invocation]) -> Iterator[Finding]:
        for invocation in found:
            words = [w for o in invocation.options if o.name == FLAG for w in o.words]
            if not words:
                continue
            edits = [remove_word(run.script, word) for word in words]
            yield self.finding(
                ctx,
                run.instruction,
                f"{FLAG} next to a cache mount on pip's cache: the mount caches nothing; drop {FLAG}",
                [] if None in edits else edits,  # type: ignore[arg-type]
                offset=where(invocation),
            )


def _configured(hygiene: Hygiene, run: Run, invocation: Invocation) -> bool:
    """The invocation already decides about the cache (flag, environment, or a computed option)."""
    if invocation.has(FLAG, "--cache-dir") or may_hide_options(invocation):
        return True
    if any(name in _SETTINGS for name, _ in invocation.env):
        return True
    if any(name in run.script.text for name in _SETTINGS):
        return True
    return any(hygiene.env_declared(run.instruction, name) for name in _SETTINGS)


def _cache_dir(hygiene: Hygiene, run: Run) -> str | None:
    """Where pip's cache is for this RUN, when we can tell."""
    explicit = hygiene.env_value(run.instruction, "PIP_CACHE_DIR")
    if explicit:
        return explicit
    xdg = hygiene.env_value(run.instruction, "XDG_CACHE_HOME")
    if xdg:
        return xdg.rstrip("/") + "/pip"
    home = hygiene.home(run.instruction)
    return None if home is None else home.rstrip("/") + "/.cache/pip"
