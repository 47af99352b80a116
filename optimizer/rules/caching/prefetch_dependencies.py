"""DO403 prefetch-dependencies: download a compiled project's dependencies before copying its source.

## What it does
Finds a build (``go build``, ``mvn package``, ``./mvnw verify``, ``gradle build``, ``./gradlew
bootJar``) that runs right after the source is copied, with no dependency step before it, and
inserts one between the manifests and the source:

```dockerfile
WORKDIR /src
COPY . .
RUN go build -o /out/app .
```
becomes
```dockerfile
WORKDIR /src
COPY go.mod go.sum ./
RUN go mod download
COPY . .
RUN go build -o /out/app .
```
Per tool, what is copied first and what the pre-fetch runs:
- Go — go.mod and go.sum (go.sum only when it exists), go.work with go.work.sum and every ``use``d
  module's go.mod/go.sum, and the go.mod of every ``replace`` target inside the project;
  ``go mod download`` (with the build's ``VAR=value`` prefix as written). A workspace whose modules
  ``require`` each other is only reported: ``go mod download`` in workspace mode looks those
  versions up in the module proxy although the build never does (golang/go#51946);
- Maven — every module's pom.xml (``<modules>``, recursively), ``.mvn/``, ``mvnw`` and the
  ``-s``/``-gs`` settings files; the build's own program (``mvn``, ``./mvnw``) with its ``-f``,
  ``-s``, ``-P``, ``-B``, ``-q``, ``-D``, ``-pl``/``-am`` options and ``dependency:go-offline``;
- Gradle — the settings and build scripts of every included project, ``gradle.properties``, the
  wrapper (``gradlew``, ``gradle/wrapper/``) and version catalogs; the build's program (``gradle``,
  ``./gradlew``) with ``--no-daemon``, ``-q``, ``-p``, ``-P``/``-D`` as the build has them, and
  ``dependencies``.

When the stage already copies the manifests on their own (``COPY pom.xml ./`` then ``COPY src
./src``), only the pre-fetch RUN is inserted, before the first COPY that brings the source; files
that COPY brings and the pre-fetch reads (``mvnw``, ``.mvn/``) are copied first. The pre-fetch gets
the build RUN's flags as written (``--mount=type=cache``, ``--mount=type=secret``, ``--network``),
and only COPYs and metadata lie between it and the build, so it runs with the same USER, WORKDIR,
ENV and ARGs; a build with a ``USER``, ``ENV``, ``ARG``, ``WORKDIR`` or RUN between the source copy
and itself is left alone (DO402 may first move the copy below independent RUNs). The build command
is not changed. A file the original image never gets is never added, and a manifest COPY that
follows the source copy is not moved up (it would be copied twice).

Cargo is reported, not rewritten: a dependency-only build needs a stub crate (or cargo-chef), and
the message shows that shape. Reported without a fix, with the reason: no build context (pass
``--context``), a manifest missing from the context or excluded by ``.dockerignore``, a ``replace``
to a directory outside the context, a pom listing modules the context lacks, and builds that
already work offline (``mvn -o``, ``gradle --offline``, ``-mod=vendor`` in the command or
``GOFLAGS``, a ``vendor/modules.txt``, ``RUN --network=none``).

## Why
Compiled ecosystems rarely have an install step: the build downloads what it needs. Placed after
``COPY . .`` (or ``COPY src ./src``), that download runs again on every source edit — minutes for a
one-line change. A pre-fetch after the manifests is cached until a manifest changes; the build then
finds the modules (``$GOMODCACHE``, ``~/.m2``, ``~/.gradle``) already there.

## Example
```dockerfile
FROM eclipse-temurin:17-jdk
WORKDIR /app
COPY pom.xml ./
COPY mvnw ./
COPY .mvn .mvn
COPY src ./src
RUN ./mvnw -B package
```
Use instead:
```dockerfile
FROM eclipse-temurin:17-jdk
WORKDIR /app
COPY pom.xml ./
COPY mvnw ./
COPY .mvn .mvn
RUN ./mvnw -B dependency:go-offline
COPY src ./src
RUN ./mvnw -B package
```

## Fix safety
Unsafe: the image gains a step that downloads. ``go mod download`` fetches exactly the modules of
go.mod, and the final filesystem is the same, but ``mvn dependency:go-offline`` does not resolve
every plugin a build uses, ``gradle dependencies`` resolves the root project's configurations, a
private registry may need credentials the pre-fetch does not see at that point, and the pre-fetch
leaves files (the module cache, ``~/.m2``) in an earlier layer. The build itself is unchanged and
still downloads whatever the pre-fetch missed. With ``cache-strategy = "mounts"`` DO312 gives the
pre-fetch and the build their cache mounts.

## References
- Docker docs, Go guide ("go mod download" before copying the source): https://docs.docker.com/guides/golang/
- Docker docs, Java guide (``dependency:go-offline``): https://docs.docker.com/guides/java/
- Go, workspace mode and ``go mod download``: https://github.com/golang/go/issues/51946
- No hadolint or BuildKit check covers this. Related: DO401 (copy manifests before an existing
  install), DO312 (build cache mounts)
"""

from __future__ import annotations

from collections.abc import Iterator

from ..base import Applicability, Facts, Finding, Phase, Rule, register
from ..triggers import copy_before_build


@register
class PrefetchDependencies(Rule):
    code = "DO403"
    name = "prefetch-dependencies"
    summary = "Pre-fetch Go, Maven and Gradle dependencies between the manifests and the source"
    safety = Applicability.UNSAFE
    phase = Phase.COPY_ORDER
    trigger = copy_before_build
    safety_note = "unsafe (display-only for Cargo, offline builds and incomplete contexts)"

    def check(self, ctx: Facts) -> Iterator[Finding]:
        from ._prefetch import plan

        for answer in plan(ctx):
            also = (answer.run,) if answer.run is not answer.anchor else ()
            yield self.finding(ctx, answer.anchor, answer.message, answer.edits, also=also)
