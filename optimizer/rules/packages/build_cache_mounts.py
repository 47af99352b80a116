"""DO312 build-cache-mounts: Go and Maven keep their caches in cache mounts (mounts strategy only).

## What it does
Only with ``cache-strategy = "mounts"`` (in the default cleanup strategy there is nothing to
clean: these caches are what a builder stage is for, and a multi-stage build leaves them behind):
- ``go build``/``install``/``test``/``vet``/``run``/``generate`` get
  ``--mount=type=cache,target=/root/.cache/go-build`` (``$GOCACHE`` when the stage sets it);
- Go commands that download modules (the above and ``go mod download``/``tidy``/``vendor``,
  ``go get``, ``go list``) get ``--mount=type=cache,target=/go/pkg/mod`` (``$GOMODCACHE``, or
  ``$GOPATH/pkg/mod``) — only when the module cache's place is known: the stage sets it, or it is
  built on a ``golang`` image (``GOPATH=/go``);
- ``mvn``/``./mvnw`` get ``--mount=type=cache,target=/root/.m2/repository`` (the local repository
  only: ``~/.m2/settings.xml`` copied into the image stays visible).
Only for RUNs that run as root (no ``USER``, or ``USER root``), and not when the cache is already
mounted or relocated (``-Dmaven.repo.local``, ``-mod=vendor``).

## Why
The Go build cache and the module and Maven download caches make a rebuild after a one-line change
take seconds instead of minutes; in a cache mount they survive between builds and never reach the
image. Gradle and cargo are left out: their caches sit next to state the build needs
(``~/.gradle`` holds wrapper distributions and daemons, ``~/.cargo`` the installed toolchain).

## Example
```dockerfile
FROM golang:1.19
RUN go build -o /out/app ./cmd/app
```
Use instead (``--cache-strategy mounts``):
```dockerfile
FROM golang:1.19
RUN --mount=type=cache,target=/root/.cache/go-build \\
    --mount=type=cache,target=/go/pkg/mod \\
    go build -o /out/app ./cmd/app
```

## Fix safety
The Go build-cache mount is safe: Go's build cache is content-addressed, so the outputs are the
same, and nothing outside ``go`` reads it. The module-cache and Maven-repository mounts are unsafe:
the downloaded modules no longer end up in the image, so a later RUN that needs them offline
(``go build -mod=mod`` with ``GOFLAGS=-mod=mod GOPROXY=off``, ``mvn -o``) without the same mount, a
``COPY --from`` of them, or a program reading them at run time would break; and a cache mount
can be emptied by ``docker builder prune``, after which the next build downloads again. Only stages
that matter are touched; commands inside ``if``/loops/functions or after ``||``, ONBUILD, Windows
and non-POSIX stages are left alone.

## References
- Docker docs, "Use cache mounts" (Go and Maven examples):
  https://docs.docker.com/build/cache/optimize/#use-cache-mounts
- Go docs, "Build and test caching": https://pkg.go.dev/cmd/go#hdr-Build_and_test_caching
"""

from __future__ import annotations

import re
from collections.abc import Iterator

from ...shell import Invocation, invocations
from ..base import Applicability, Facts, Finding, Phase, Rule, register
from ..triggers import build_caches
from ._hygiene import Hygiene, Run, mount_edit, mount_flag, mounted, switches_user, unconditional, where

_GO_BUILDS = frozenset({"build", "install", "test", "vet", "run", "generate"})
_GO_DOWNLOADS = _GO_BUILDS | {"mod download", "mod tidy", "mod vendor", "mod verify", "get", "list"}


@register
class BuildCacheMounts(Rule):
    code = "DO312"
    name = "build-cache-mounts"
    summary = "Go build/module and Maven caches in cache mounts (mounts strategy)"
    safety = Applicability.SAFE
    phase = Phase.PACKAGES
    trigger = build_caches
    safety_note = "Go build safe, module/Maven unsafe"
    removes = ("/root/.cache/go-build/**", "/go/pkg/mod/**", "/root/.m2/repository/**")

    def check(self, ctx: Facts) -> Iterator[Finding]:
        hygiene = Hygiene.of(ctx)
        if not hygiene.mounts_mode:
            return
        for run in hygiene.runs():
            if not hygiene.runs_as_root(run.instruction):
                continue
            found = [
                i
                for i in invocations(run.script, ("go", "maven"))
                if unconditional(i) and not switches_user(i)
            ]
            go = [i for i in found if i.manager == "go"]
            maven = [
                i
                for i in found
                if i.manager == "mvn" and not any("maven.repo.local" in (v or "") for v in i.values("-D"))
            ]
            build_cache = self._go_build_cache(hygiene, run)
            if (
                build_cache
                and any(i.subcommand in _GO_BUILDS for i in go)
                and not mounted(run.instruction, build_cache)
            ):
                yield self._mount(
                    ctx, run, build_cache, _first(go, _GO_BUILDS), Applicability.SAFE, "Go's build cache"
                )
            module_cache = self._go_module_cache(hygiene, run)
            downloads = [
                i for i in go if i.subcommand in _GO_DOWNLOADS and "-mod=vendor" not in i.command.text
            ]
            if module_cache and downloads and not mounted(run.instruction, module_cache):
                yield self._mount(
                    ctx, run, module_cache, downloads[0], Applicability.UNSAFE, "Go's module cache"
                )
            repository = "/root/.m2/repository"
            if maven and not mounted(run.instruction, repository):
                yield self._mount(
                    ctx, run, repository, maven[0], Applicability.UNSAFE, "the Maven repository"
                )

    def _mount(
        self, ctx: Facts, run: Run, target: str, invocation: Invocation, safety: Applicability, what: str
    ) -> Finding:
        edit = mount_edit(ctx, run.instruction, [mount_flag(target)])
        return self.finding(
            ctx,
            run.instruction,
            f"keep {what} in a cache mount on {target}",
            [edit],
            safety,
            offset=where(invocation),
        )

    def _go_build_cache(self, hygiene: Hygiene, run: Run) -> str | None:
        """Where ``go`` keeps its build cache for this RUN: $GOCACHE, else $XDG_CACHE_HOME/go-build,
        else $HOME/.cache/go-build (Go's os.UserCacheDir). None when it cannot be told: the script
        or the command sets one of those, or ``go env -w`` wrote a setting Go reads from a file."""
        if _go_settings_unknown(hygiene, run, ("GOCACHE", "XDG_CACHE_HOME", "HOME")):
            return None
        if hygiene.env_declared(run.instruction, "GOCACHE"):
            value = hygiene.env_value(run.instruction, "GOCACHE")
            return value if value and value.startswith("/") and value != "off" else None
        if hygiene.env_declared(run.instruction, "XDG_CACHE_HOME"):
            value = hygiene.env_value(run.instruction, "XDG_CACHE_HOME")
            return value.rstrip("/") + "/go-build" if value and value.startswith("/") else None
        home = hygiene.home(run.instruction)
        return None if home is None else home.rstrip("/") + "/.cache/go-build"

    def _go_module_cache(self, hygiene: Hygiene, run: Run) -> str | None:
        if "-mod=vendor" in (hygiene.env_value(run.instruction, "GOFLAGS") or ""):
            return None
        if _go_settings_unknown(hygiene, run, ("GOMODCACHE", "GOPATH", "GOFLAGS")):
            return None
        for name, suffix in (("GOMODCACHE", ""), ("GOPATH", "/pkg/mod")):
            if hygiene.env_declared(run.instruction, name):
                value = hygiene.env_value(run.instruction, name)
                return (
                    value.rstrip("/") + suffix
                    if value and value.startswith("/") and ":" not in value
                    else None
                )
        root = hygiene.lineage(run.stage)[-1]
        base = hygiene.ctx.tree.stages[root].base.lower()
        return "/go/pkg/mod" if base.split("/")[-1].startswith("golang") else None


def _first(invocations_: list[Invocation], subcommands: frozenset[str]) -> Invocation:
    return next(i for i in invocations_ if i.subcommand in subcommands)


def _go_settings_unknown(hygiene: Hygiene, run: Run, names: tuple[str, ...]) -> bool:
    """The RUN sets one of ``names`` itself (``GOCACHE=/x go build``, ``export``), or an earlier
    instruction ran ``go env -w`` (Go then reads its settings from a file we do not see)."""
    if any(re.search(rf"(?:^|[\s;&|(]){name}=", run.script.text) for name in names):
        return True
    return any("go env -w" in item.text for item in [*hygiene.before(run.instruction), run.instruction])
