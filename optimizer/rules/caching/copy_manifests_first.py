"""DO401 copy-manifests-first: copy the dependency manifests before the install, the source after it.

## What it does
Finds a ``COPY`` of the whole source (``COPY . .``, ``COPY . /app``, ``COPY backend/ /srv/``) that
comes before a dependency install, and rewrites

```dockerfile
WORKDIR /app
COPY . .
RUN npm ci
```
to copy only the files the install reads, run the install, and copy the rest after it:
```dockerfile
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci
COPY . .
```
The build context is read to decide which files those are: only manifests that exist and that
``.dockerignore`` lets through are copied. Recognised installs, with what is copied first:
- npm, yarn, pnpm — ``npm ci``, ``npm install``, ``yarn [install]``, ``pnpm install``, ``pnpm fetch``:
  package.json, the lockfile(s), ``.npmrc``/``.yarnrc(.yml)``, ``.yarn/releases``/``plugins``/``patches``,
  pnpm's workspace file and ``.pnpmfile.cjs``;
- pip and ``uv pip`` — ``pip install -r … [-c …]``: every requirements file named, and every file
  they include with ``-r``/``-c``;
- poetry — ``poetry install --no-root`` (or ``package-mode = false``): pyproject.toml, poetry.lock,
  poetry.toml;
- pipenv — ``pipenv install``, ``pipenv sync``: Pipfile, Pipfile.lock;
- uv — ``uv sync --no-install-project`` (or a project without a build system): pyproject.toml,
  uv.lock, uv.toml, .python-version;
- go — ``go mod download``, ``go mod verify``: go.mod, go.sum;
- maven — ``mvn``/``./mvnw dependency:go-offline`` (and ``dependency:resolve…``): every module's
  pom.xml, mvnw, .mvn/;
- gradle — ``gradle``/``./gradlew dependencies``: the settings and build scripts of every project,
  gradle.properties, the wrapper, version catalogs;
- bundler — ``bundle install``: Gemfile, Gemfile.lock, .bundle/config;
- composer — ``composer install --no-scripts --no-autoloader``: composer.json, composer.lock (the
  autoloader is dumped after the source copy, e.g. ``&& composer dump-autoload`` in the same RUN);
- dotnet — ``dotnet restore [project]``: the project and solution files it reaches,
  Directory.*.props, NuGet.config, global.json;
- cargo — left to DO403, which reports it (see below).

Manifests in subdirectories get one ``COPY`` per directory
(``COPY backend/requirements.txt backend/``). The new ``COPY`` keeps the flags of the source copy
(``--chown``, ``--chmod``, ``--link``), its destination as written (``.``, ``/app``, ``$APP_HOME``)
and its form (shell or JSON). When the install RUN goes on with commands that read the source
(``npm ci && npm run build``, ``pip install -r requirements.txt && pip install .``), the RUN is
split at that ``&&``: the install stays before the source copy, the rest runs after it. RUNs
between the copy and the install that provably do not touch the copied directory (``apt-get
install``, ``pip install --upgrade pip``, ``useradd`` …) stay where they are and run before the
manifests arrive, so they stay cached when dependencies change. Comments above the source copy
move with it.

Left alone, with the reason shown: no build context (stdin without ``--stdin-filename``; pass
``--context``), an unreadable ``.dockerignore``, an install that needs the project itself
(``pip install .``, ``pip install -e .``, ``poetry install`` without ``--no-root``, ``uv sync``
without ``--no-install-project``, ``npm install <package>``), manifests that point at other
source (``file:`` dependencies, ``-e .`` in a requirements file, path repositories, ``gemspec``,
``buildSrc``, a local ``replace``), workspaces (npm/yarn/pnpm, uv, go.work), a context that sends
what the install writes (``node_modules``, ``.venv``, ``vendor``, ``obj``, ``.gradle``), a command
before the install that may read the source, and a variable such as ``BUNDLE_GEMFILE`` that points
the installer elsewhere. Cargo cannot build dependencies from manifests alone (a crate needs
``src/main.rs`` or ``src/lib.rs``): a ``cargo build``/``fetch`` after a source copy is left to
DO403, which explains the dependency-only build (a stub crate, or ``cargo chef``).

## Why
Docker reuses a cached layer only while everything before it is unchanged, and ``COPY . .``
changes with every edit to any file. An install after it therefore runs again on every source
edit — minutes of downloads for a one-line change. Copying the manifests first makes the install
depend on the manifests only; Docker's own guides recommend this order for every ecosystem.

## Example
```dockerfile
FROM python:3.12-slim
WORKDIR /app
COPY . .
RUN pip install --no-cache-dir -r requirements.txt
CMD ["python", "app.py"]
```
Use instead:
```dockerfile
FROM python:3.12-slim
WORKDIR /app
COPY requirements.txt ./
RUN pip install --no-cache-dir -r requirements.txt
COPY . .
CMD ["python", "app.py"]
```

## Fix safety
Safe when the install reads only the files copied before it, which is what the context check
establishes: the same manifests reach the same paths with the same ownership and mode, the install
runs on them, and the full copy then adds the rest (rewriting the manifests with identical bytes).
The fix is offered as unsafe when:
- the install runs lifecycle scripts (``preinstall``/``install``/``postinstall``/``prepare`` in
  package.json, unless ``--ignore-scripts``): a script may read files that are not there yet;
- the install may rewrite an existing lockfile (``npm install``, ``yarn install`` without
  ``--frozen-lockfile``, ``pnpm install`` without ``--frozen-lockfile``, ``bundle install``
  without ``--frozen``/``BUNDLE_FROZEN``, ``pipenv install`` without ``--deploy``, ``uv sync``
  without ``--locked``): the source copy after it puts the context's lockfile back, so the image
  would keep the old lockfile beside packages installed from the new one;
- a split RUN removes files in its second half (``npm prune``, ``rm -rf``, ``apt-get purge``): the
  first half's layer keeps them, so the image can grow;
- the source directory comes from a build ARG (a ``--build-arg`` could name one without these
  manifests);
- RUNs are crossed and the copy goes where packages install (``/``, ``/usr/…``, ``/etc``,
  ``/var``, or the base image's unknown WORKDIR).
Dependency resolution itself is unchanged: the same command runs on the same manifests.
``go mod download`` only ever adds missing lines to go.sum; with an incomplete go.sum the
rewritten build fails loudly at ``go build`` (Go's ``-mod=readonly`` default) instead of
differing silently.

## References
- Docker docs, "Optimize cache usage in builds": https://docs.docker.com/build/cache/optimize/
- Docker language guides (Node.js, Python, Go, Java, .NET): https://docs.docker.com/guides/
- No hadolint or BuildKit check covers this.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field

from ...analysis.context import BuildContext
from ...shell import recognise
from ...shell.effects import settings_places
from ...syntax import Instruction
from ..base import Applicability, Edit, Facts, Finding, Phase, Rule, register
from ..triggers import source_copy_before_install
from ._paths import Where
from ._plan import (
    METADATA,
    FullCopy,
    RunReading,
    full_copy,
    install_paths,
    read_run,
    split_run,
    stage_of,
    walk,
    workdir_at,
)
from ._shell import protected_dest_reason
from ._steps import INSTALL, SOURCE, InstallStep

# ``_manifests`` (and the manifest readers of ``analysis``) and ``_text`` are imported
# where an install is planned: DO402 imports this module on every file with a COPY before a RUN.


@dataclass
class Reorder:
    """DO401's answer for one source copy: edits (with unsafe reasons), or a reason to leave it."""

    copy: FullCopy
    run: Instruction
    edits: list[Edit] = field(default_factory=list)
    unsafe: list[str] = field(default_factory=list)
    message: str = ""
    show: bool = True

    @property
    def applicability(self) -> Applicability:
        return Applicability.UNSAFE if self.unsafe else Applicability.SAFE


@register
class CopyManifestsFirst(Rule):
    code = "DO401"
    name = "copy-manifests-first"
    summary = "Copy dependency manifests before the install and the source after it"
    safety = Applicability.SAFE
    phase = Phase.COPY_ORDER
    trigger = source_copy_before_install
    safety_note = "safe (unsafe when scripts or lockfile rewrites are involved)"

    def check(self, ctx: Facts) -> Iterator[Finding]:
        for answer in plan(ctx):
            if not answer.edits and not answer.show:
                continue
            also = (answer.run,) if answer.run is not answer.copy.instruction else ()
            if not answer.edits:
                yield self.finding(ctx, answer.copy.instruction, answer.message, also=also)
                continue
            yield self.finding(
                ctx, answer.copy.instruction, answer.message, answer.edits, answer.applicability, also=also
            )


def plan(ctx: Facts) -> list[Reorder]:
    """DO401's answer for every source copy followed by a dependency install."""
    tree = ctx.tree
    scopes = ctx.scopes
    context, problem = ctx.build_context()
    answers = []
    for instruction in tree.instructions:
        copy = full_copy(tree, instruction, scopes, context)
        if copy is None:
            continue
        route = walk(tree, copy, scopes, context, reorder=True)
        run = route.stop_run
        if run is None:
            continue
        if not run.installs:
            note = _no_install(tree, copy, run, context, scopes)
            if note:
                answers.append(Reorder(copy, run.instruction, message=note))
            continue
        answer = Reorder(copy, run.instruction)
        answers.append(answer)
        if problem is not None:
            answer.message = problem
            continue
        _plan_one(ctx, copy, route, run, context, answer, scopes)  # type: ignore[arg-type]
    return answers


def _no_install(tree, copy: FullCopy, run: RunReading, context: BuildContext | None, scopes) -> str | None:
    """What to say when the first RUN the copy cannot cross has no install: why it needs the
    source (``pip install .``), cargo's case, or which command keeps the copy from a later install."""
    first = next((c for c in run.commands if c.reading.kind == SOURCE), None)
    if first is not None and first.reading.notable:
        return f"{first.reading.reason}; nothing to install before the copy"
    if any(c.reading.cargo for c in run.commands):
        return None  # DO403 reports cargo builds, with the dependency-only shape
    stage = stage_of(tree, run.instruction)
    for later in stage[stage.index(run.instruction) + 1 :]:
        if later.name != "RUN":
            if later.name in METADATA:
                continue
            return None
        where = Where(workdir_at(tree, later, scopes), (copy.dest,), scopes[later])
        reading = read_run(tree, later, where)
        install = next((c for c in reading.commands if c.reading.install), None) if reading else None
        if install is not None and first is not None:
            return (
                f"`{first.command.text}` (line {run.instruction.line}) runs between `{_text(copy)}` and "
                f"`{install.reading.install.shown}` and may use the copied files ({first.reading.reason})"  # type: ignore[union-attr]
            )
    return None


def _plan_one(
    ctx: Facts, copy: FullCopy, route, run: RunReading, context: BuildContext, answer: Reorder, scopes
) -> None:
    from ._manifests import needs, to_context
    from ._text import PLAIN_PATH, reorder_edits

    kinds = [c.reading.kind for c in run.commands]
    first_install = kinds.index(INSTALL)
    first_source = kinds.index(SOURCE) if SOURCE in kinds else None
    if first_source is not None and first_source < first_install:
        item = run.commands[first_source]
        reason = (
            item.reading.reason
            if item.reading.notable
            else f"`{item.command.text}` may read the copied files"
        )
        answer.message = f"`{_text(copy)}` stays before this RUN: {reason}, before the install"
        return
    steps: list[InstallStep] = [
        c.reading.install  # type: ignore[misc]
        for c in run.commands[:first_source]
        if c.reading.kind == INSTALL
    ]
    env = _environment(scopes[run.instruction])
    files: list[str] = []
    for step in steps:
        result = needs(context, copy, step, {**env, **_inline_env(step), **_bundler_frozen(step, run)})
        if result.decline:
            answer.message, answer.show = result.decline, result.show
            return
        files += [f for f in result.files if f not in files]
        answer.unsafe += result.unsafe
    # Settings files the installers read (ENV PIP_CONFIG_FILE=/app/pip.conf, the project's .npmrc …)
    # that the copy brings: they go first with the manifests, or the install runs without them.
    for tool, path in _settings_read(ctx, run.instruction):
        inside = to_context(copy, path)
        if (
            inside is None
            or inside == copy.source
            or not (context.exists(inside) and context.is_sent(inside))
        ):
            continue
        if context.is_dir(inside):
            answer.message = f"`{tool}` reads {path} (a directory the copy brings): it cannot go first alone"
            return
        places = settings_places(context.read_text(inside) or "")
        if places:
            key, value = places[0]
            answer.message = (
                f"{inside} sets {key} = {value} for `{tool}`: the install may read more of the copied "
                "source than the manifests"
            )
            return
        if inside not in files:
            files.append(inside)
    for path in install_paths(ctx.tree, run.instruction):
        inside = to_context(copy, path.removesuffix("/bin"))
        if inside not in (None, copy.source) and context.is_sent(inside):
            answer.message = f"the context sends {inside}/, which ENV points the installers at"
            return
    odd = [f for f in files if not PLAIN_PATH.match(f)]
    if odd or not files:
        answer.message = f"{odd[0]} would need quoting in a COPY line" if odd else "no manifest to copy"
        return
    split = None
    if first_source is not None:
        cut = split_run(run, first_source)
        if cut.span is None:
            item = run.commands[first_source]
            answer.message = (
                f"`{item.command.text}` needs the source but shares the install's RUN, and {cut.why}"
                + (f" ({item.reading.reason})" if item.reading.notable else "")
            )
            return
        split = cut.span
        if cut.removes:
            answer.unsafe.append(
                "the second half of the split RUN removes files the first half's layer keeps"
            )
    if copy.source_args:
        answer.unsafe.append(f"the source directory depends on ARG {copy.source_args[0]}")
    crossed = (
        route.runs
        or any(  # package installs that now run before the source copy
            c.reading.kind not in (INSTALL, SOURCE) and recognise(c.command) is not None
            for c in run.commands[:first_source]
        )
    )
    dest_reason = protected_dest_reason(copy.dest)
    if crossed and dest_reason:
        answer.unsafe.append(f"packages are installed before the source copy and {dest_reason}")
    answer.edits = reorder_edits(ctx.text, ctx.tree, copy, route.manifest_slot, run.instruction, files, split)
    shown = " ".join(dict.fromkeys(s.shown for s in steps))
    names = ", ".join(files)
    answer.message = (
        f"`{_text(copy)}` before `{shown}`: copy {names} first, so a source edit keeps the install cached"
    )
    if split is not None:
        answer.message += (
            f" (the RUN is split: `{run.commands[first_source].command.text}` runs after the copy)"  # type: ignore[index]
        )
    if answer.unsafe:
        answer.message += "; unsafe: " + "; ".join(answer.unsafe)


def _text(copy: FullCopy) -> str:
    return " ".join(
        (
            copy.instruction.keyword,
            *(f.text for f in copy.instruction.flags),
            copy.source_word,
            copy.dest_word,
        )
    )


def _environment(scope) -> dict[str, str | None]:
    names = dict(scope.args)
    names.update(scope.env)
    return {name: value.text for name, value in names.items()}


def _inline_env(step: InstallStep) -> dict[str, str | None]:
    return dict(step.invocation.env) if step.invocation is not None else {}


def _bundler_frozen(step: InstallStep, run: RunReading) -> dict[str, str | None]:
    """``bundle config set frozen true`` earlier in the same RUN freezes the lockfile."""
    if step.ecosystem != "bundler":
        return {}
    for item in run.commands:
        if item.command is step.command:
            break
        invocation = recognise(item.command)
        if (
            invocation
            and invocation.manager == "bundler"
            and (invocation.subcommand or "").startswith("config")
        ):
            words = [w.value for w in invocation.args + invocation.subcommand_words]
            if {"frozen", "deployment"} & set(words) and {"true", "1"} & set(words):
                return {"BUNDLE_FROZEN": "true"}
    return {}


def _settings_read(ctx: Facts, run: Instruction) -> list[tuple[str, str]]:
    """(tool, absolute path) of the settings files the package managers of ``run`` read."""
    from ...analysis.effects import Effects
    from ...shell.effects import config_reads, script_reads

    script = ctx.script(run)
    scope = ctx.scopes.get(run)
    if script is None or scope is None:
        return []
    env = {
        name: value.text
        for name, value in (*scope.args.items(), *scope.env.items())
        if value.text is not None
    }
    home = Effects.of(ctx).home(run)
    found = config_reads(script, workdir=scope.workdir.text, env=env, home=home)
    # Paths the install reads as data (``--find-links /app/wheels``): from the copy, they must go first.
    reads = script_reads(script, workdir=scope.workdir.text, env=env, home=home)
    return found + [("the install", path) for path in reads.paths if path != "/"]
