"""DO501 split-build-stage: build in one stage, run in a slim twin of the same distribution.

## What it does
Finds a single-stage build that compiles or bundles an artifact with tools the running program does
not need — ``go build``, ``gcc``/``g++``/``make``/``cmake``, ``cargo build``, ``javac``/``jar``,
``mvn package``/``gradle build``, ``npm run build``/``tsc``, ``pip install`` after installing
compilers or ``-dev`` packages — and rewrites it into a builder stage (the original stage, kept as it
is, named ``build``) and a final *runtime twin*: the same distribution and release, slimmer
(``golang``/``rust``/``buildpack-deps``/``debian:<release>`` → ``debian:<release>-slim``,
``python:X.Y`` → ``python:X.Y-slim``, ``node:N`` → ``node:N-slim``, ``*-jdk`` → ``*-jre``; a slim
base that installed build packages keeps its base and drops them). The twin carries:
- the WORKDIR of the original (sources and build outputs; Node: production dependencies only,
  through an ``npm prune --omit=dev`` stage) and every build output outside it that ENTRYPOINT,
  CMD or HEALTHCHECK runs, resolved through WORKDIR and PATH;
- the OS packages the stage installed that are not build packages, and — from a built image's
  facts (``--verify``) — the Debian packages owning the shared libraries the artifacts link
  (``libsqlite3-0`` for ``libsqlite3.so.0``), or the library files no package owns;
- ``/etc/passwd`` and ``/etc/group`` when USER names a user, the CA bundle when the builder had
  one and the twin base has none, ``/usr/share/zoneinfo`` when the built image had it;
- Python: the site-packages (or a venv) and ``/usr/local/bin``;
- ENV, ARG, WORKDIR, USER, EXPOSE, VOLUME, LABEL, STOPSIGNAL, HEALTHCHECK, ENTRYPOINT, CMD, SHELL
  exactly as the original stage had them, in order.
``split-runtime = "minimal"`` (``--split-runtime minimal``) puts a proven static Go binary on
``gcr.io/distroless/static-<release>`` instead.

It only reports, with the reason, when: the file is already multi-stage; nothing is built in a
builder base; a RUN after the build installs packages or changes system directories; the entrypoint
script calls a build tool; the stage is Windows or non-POSIX; the base has no known twin (Alpine,
Ubuntu, a base from a build argument); there is no CMD/ENTRYPOINT.

## Why
The toolchain is most of the image: ``golang`` is 1 GB where the program is a few MB, a JDK is
twice a JRE, compilers and headers dwarf the wheels they built. Shipping them costs pull time,
disk and attack surface. A twin of the same release keeps glibc, users and paths the program saw.

## Example
```dockerfile
FROM golang:1.22-bookworm
WORKDIR /src
COPY . .
RUN CGO_ENABLED=0 go build -o /usr/local/bin/app .
CMD ["app"]
```
Use instead:
```dockerfile
FROM golang:1.22-bookworm AS build
WORKDIR /src
COPY . .
RUN CGO_ENABLED=0 go build -o /usr/local/bin/app .
CMD ["app"]

FROM debian:bookworm-slim
COPY --from=build /src /src
COPY --from=build /usr/local/bin/app /usr/local/bin/app
COPY --from=build /etc/ssl/certs/ca-certificates.crt /etc/ssl/certs/ca-certificates.crt
WORKDIR /src
CMD ["app"]
```

## Fix safety
Unsafe: the final image's file system changes on purpose. The fix *requires verification*: it is
shown (``dockopt --unsafe-fixes --show-fixes`` prints the proposed split as a diff) but written only
by ``dockopt --write --unsafe-fixes --verify``, after the original was built and inspected (its
libraries, release, users, ENV, directory owners) and the rewrite was built and proven to behave
the same. Without a built image the plan is more cautious: the Debian release of an unqualified tag
is assumed, linked libraries are unknown (a C or cgo binary may miss one), Python's install tree is
assumed to be ``site-packages``, and ENV values expanding base variables are kept as written.

One case is proven statically and written with ``--unsafe-fixes`` alone: a pure Go program —
every build step is ``go build`` with ``CGO_ENABLED=0`` (on the command or in ENV); the base tag
names the Debian release; ENTRYPOINT/CMD are in exec form and run the ``go build`` output; the stage
installs no OS packages and sets no USER; no ENV value expands a variable; the build context holds
the Go sources, no ``vendor/`` and a ``go.mod`` without ``require``; every file imports only
standard packages from a fixed list (no cgo, ``os/exec``, ``os/user``, ``plugin``, templates) and
calls nothing that opens files (``os.Open``/``ReadFile``/``Stat``/…, ``ioutil``, ``http.Dir``,
``time.LoadLocation``). Such a binary needs nothing from the file system but the CA bundle, which
the twin copies.

## References
- Docker docs, "Multi-stage builds": https://docs.docker.com/build/building/multi-stage/
- hadolint: none; tally: prefer-multi-stage-build (AI-assisted, not built)
- Related: DO401 (dependency manifests first), which keeps working in the builder
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import replace

from ...core.findings import Edit
from ..base import Applicability, Facts, Finding, Phase, Rule, register
from ..triggers import final_stage_builds
from ._model import Plan, Refusal
from ._plan import plan
from ._render import candidate_paths, plan_paths, render_twin

__all__ = ["SplitBuildStage", "candidate_paths"]


@register
class SplitBuildStage(Rule):
    code = "DO501"
    name = "split-build-stage"
    summary = "Split a build into a builder stage and a slim runtime twin of the same distribution"
    safety = Applicability.UNSAFE
    safety_note = "unsafe; written only when a build verifies it (or a pure Go program proves it)"
    phase = Phase.STAGES
    trigger = final_stage_builds
    removes = ("/usr/local/go/**", "/go/**", "/root/.cache/**", "/root/.m2/**", "/usr/lib/gcc/**")

    def inspect_paths(self, ctx: Facts) -> list[str]:
        """The artifacts, the WORKDIR and the Python install trees (site- or dist-packages: which
        one the base uses is read from the image)."""
        return plan_paths(ctx)

    def check(self, ctx: Facts) -> Iterator[Finding]:
        found = plan(ctx)
        if found is None:
            return
        if isinstance(found, Refusal):
            yield self.finding(ctx, found.instruction, f"not split: {found.reason}")
            return
        yield self._fix(ctx, found)

    def _fix(self, ctx: Facts, found: Plan) -> Finding:
        tree = ctx.tree
        edits = []
        start = found.builder
        if tree.stages[-1].name is None:
            end = start.start + len(start.text.rstrip("\r\n"))
            edits.append(Edit.insert(end, " AS build"))
        text = ctx.text
        twin = render_twin(found, tree.newline)
        if text.endswith(("\n", "\r")) or not tree.nodes:
            edits.append(Edit.insert(len(text), twin))
        else:  # no final newline: the last line is rewritten with one, so it does not run on into the twin
            last = tree.nodes[-1].start
            if last == start.start:  # a one-line file: keep the builder's ``AS build`` edit apart
                edits = []
                twin = (
                    text[last:] + (" AS build" if tree.stages[-1].name is None else "") + tree.newline + twin
                )
            else:
                twin = text[last:] + tree.newline + twin
            edits.append(Edit(last, len(text), twin))
        what = ", ".join(found.build.ecosystems)
        message = f"build ({what}) in a `{found.builder_name}` stage and run on `{found.base}`"
        if found.notes:
            message += f" ({'; '.join(found.notes)})"
        if found.proven:
            message += f"; proven without a build: {found.proven}"
        else:
            message += f"; needs --verify: {found.unproven[0]}" if found.unproven else "; needs --verify"
        finding = self.finding(ctx, start, message, edits, Applicability.UNSAFE)
        assert finding.fix is not None
        return replace(finding, fix=replace(finding.fix, requires_verification=found.proven is None))
