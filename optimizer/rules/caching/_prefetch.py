"""DO403's planner: where a compiled project's build downloads its dependencies, and the pre-fetch.

A build RUN (``go build``, ``mvn package``, ``./gradlew build``) that follows the copy of the source
downloads every dependency again after any source edit. The pre-fetch goes right before the first
COPY of that run of copies that brings more than the manifests: the manifests that copy (or a later
one in the run) would bring are copied first, with the flags of the COPY that brought them, then
the pre-fetch RUN, written with the build RUN's own flags (``--mount``, ``--network``) and tool
invocation (``./mvnw -s settings.xml -P prod -B``). Only COPYs and metadata that no RUN sees lie
between that point and the build RUN, so the pre-fetch runs with the build's USER, WORKDIR, ENV
and ARGs. Files the original image never gets stay out of the rewritten one.

Which files are manifests comes from ``analysis.manifests`` through DO401's ``needs`` (Maven,
Gradle) or from go.mod/go.work directly (Go: DO401 declines workspaces and local ``replace``
targets, the pre-fetch can copy their go.mod files).
"""

from __future__ import annotations

import posixpath
from dataclasses import dataclass, field

from ...analysis.context import BuildContext
from ...analysis.facts import Facts
from ...analysis.gomatch import clean
from ...analysis.manifests import detect_manifests
from ...shell import Invocation, recognise
from ...syntax import Instruction
from ..base import Edit
from ._copies import Placed, lookup, placements
from ._fetch_tools import CARGO_SHAPE, CAVEAT, ECOSYSTEM, PRIMARY, is_build, project_dir, workspace_requires
from ._fetch_tools import command as fetch_command
from ._installs_other import HANDLERS
from ._paths import BASE, Where
from ._plan import FullCopy, read_run, stage_of, workdir_at
from ._steps import INSTALL, InstallStep, directory_of, project_program, shown_of
from ._text import PLAIN_PATH, block_start, copy_lines, run_prefix

# Instructions a RUN does not see: the pre-fetch may be placed above them.
_NEUTRAL = frozenset({"LABEL", "EXPOSE", "CMD", "ENTRYPOINT", "STOPSIGNAL", "HEALTHCHECK", "MAINTAINER"})


@dataclass
class Prefetch:
    """DO403's answer for one build RUN: edits, or a reason shown without a fix."""

    run: Instruction
    anchor: Instruction
    message: str
    edits: list[Edit] = field(default_factory=list)


@dataclass
class _Build:
    ecosystem: str
    invocation: Invocation
    cwd: str
    project: str  # the image directory holding the primary manifest


def plan(ctx: Facts) -> list[Prefetch]:
    answers = []
    for run in ctx.tree.instructions:
        if run.name == "RUN" and run.parent is None and run.stage is not None:
            answer = _plan_run(ctx, run)
            if answer is not None:
                answers.append(answer)
    return answers


def _plan_run(ctx: Facts, run: Instruction) -> Prefetch | None:
    tree, scopes = ctx.tree, ctx.scopes
    if run not in scopes:
        return None
    build = _build(ctx, run)
    if build is None or _already_fetched(ctx, run, build.ecosystem):
        return None
    block = _block(ctx, run)
    if not block:
        return None
    context, problem = ctx.build_context()
    if context is None:
        return Prefetch(run, block[0], f"{problem or 'no build context'}; no pre-fetch written")
    placed = {item: placements(tree, item, scopes, context) or [] for item in block}
    before = _placed_before(ctx, block[0], context)
    everything = before + [p for item in block for p in placed[item]]
    folder = _project_folder(build, everything, context)
    shown = shown_of(build.invocation)
    if folder is None:
        if any(p.directory and _inside(build.project, p.image) for p in everything):
            names = " or ".join(PRIMARY[build.ecosystem][:2])
            return Prefetch(
                run,
                block[0],
                f"`{shown}` runs in {build.project}, but no {names} reaches it from the build "
                "context: nothing to pre-fetch from",
            )
        return None
    if build.ecosystem == "cargo":
        return Prefetch(run, block[0], f"`{shown}` after the source copy: {CARGO_SHAPE}")
    offline = _offline(ctx, run, build, folder, context)
    if offline:
        return Prefetch(run, block[0], f"`{shown}` {offline}: nothing to pre-fetch")
    files, why = _manifest_files(ctx, run, build, folder, context)
    if why is not None:
        return Prefetch(run, block[0], why) if why else None
    needed = {clean(f"{build.project}/{_relative(f, folder)}"): f for f in files}
    return _edits(ctx, run, build, block, placed, before, needed)


def _build(ctx: Facts, run: Instruction) -> _Build | None:
    """The RUN's build command (the first one), read with its working directory."""
    tree, scopes = ctx.tree, ctx.scopes
    reading = read_run(tree, run, Where(workdir_at(tree, run, scopes), (), scopes[run]))
    if reading is None:
        return None
    for item in reading.commands:
        invocation = recognise(item.command)
        ecosystem = ECOSYSTEM.get(invocation.manager) if invocation is not None else None
        if invocation is None or ecosystem is None or not is_build(invocation):
            if item.reading.kind == INSTALL or (item.command.changes_state and item.command.main_shell):
                return None  # a fetch already in this RUN (DO401's case), or a cd/export to follow
            continue
        if item.cwd is None or invocation.wrappers or invocation.command.conditional:
            return None
        project = project_dir(invocation, item.cwd)
        return _Build(ecosystem, invocation, item.cwd, project) if project else None
    return None


def _already_fetched(ctx: Facts, run: Instruction, ecosystem: str) -> bool:
    """An earlier RUN of the stage already fetches this ecosystem's dependencies (DO401's result,
    this rule's own pre-fetch, or the author's): nothing to add."""
    manager = {"maven": "mvn"}.get(ecosystem, ecosystem)
    handler = HANDLERS.get(manager)
    for item in stage_of(ctx.tree, run):
        if item is run:
            return False
        if item.name != "RUN" or handler is None:
            continue
        script = ctx.script(item)
        for command in script.commands if script is not None else ():
            invocation = recognise(command)
            if invocation is None or invocation.manager != manager or invocation.subcommand is None:
                continue
            reading = handler(invocation, "/")
            if reading is not None and reading.kind == INSTALL:
                return True
    return False


def _block(ctx: Facts, run: Instruction) -> list[Instruction]:
    """The COPYs right above the build RUN, with only metadata no RUN sees between them."""
    stage = stage_of(ctx.tree, run)
    index = next(i for i, item in enumerate(stage) if item is run)
    block: list[Instruction] = []
    for item in reversed(stage[:index]):
        if item.name in _NEUTRAL or (
            item.name in ("COPY", "ADD") and item.flag("from") is None and not item.heredocs
        ):
            block.insert(0, item)
        else:
            break
    while block and block[0].name in _NEUTRAL:
        block.pop(0)
    return block


def _placed_before(ctx: Facts, first: Instruction, context: BuildContext) -> list[Placed]:
    out: list[Placed] = []
    for item in stage_of(ctx.tree, first):
        if item is first:
            break
        if item.name in ("COPY", "ADD"):
            out += placements(ctx.tree, item, ctx.scopes, context) or []
    return out


def _inside(directory: str, image: str) -> bool:
    return directory == image or directory.startswith(image.rstrip("/") + "/")


def _project_folder(build: _Build, placed: list[Placed], context: BuildContext) -> str | None:
    """The context directory whose manifests land in the build's project directory."""
    for name in PRIMARY[build.ecosystem]:
        image = clean(f"{build.project}/{name}")
        hit = lookup(image, placed)
        if hit is not None and context.exists(hit.source) and context.is_sent(hit.source):
            return posixpath.dirname(hit.source) or "."
    return None


def _relative(rel: str, folder: str) -> str:
    return rel if folder == "." else rel[len(folder) + 1 :]


def _env(ctx: Facts, run: Instruction, build: _Build) -> dict[str, str | None]:
    scope = ctx.scopes[run]
    names = {name: value.text for name, value in (*scope.args.items(), *scope.env.items())}
    names.update(dict(build.invocation.env))
    return names


def _offline(ctx: Facts, run: Instruction, build: _Build, folder: str, context: BuildContext) -> str | None:
    """Why the build already works without downloading (so a pre-fetch has nothing to do)."""
    inv = build.invocation
    network = run.flag("network")
    if network is not None and network.text.endswith("=none"):
        return "runs with --network=none"
    if build.ecosystem == "go":
        flags = (
            " ".join(w.text for w in inv.command.words) + " " + (_env(ctx, run, build).get("GOFLAGS") or "")
        )
        if "-mod=vendor" in flags:
            return "builds from vendor/ (-mod=vendor)"
        if context.exists(clean(f"{folder}/vendor/modules.txt")) and "-mod=mod" not in flags:
            return "builds from the vendor/ directory"
    if build.ecosystem == "maven" and inv.has("-o", "--offline"):
        return "already runs offline (-o)"
    if build.ecosystem == "gradle" and inv.has("--offline"):
        return "already runs offline (--offline)"
    return None


def _manifest_files(
    ctx: Facts, run: Instruction, build: _Build, folder: str, context: BuildContext
) -> tuple[list[str], str | None]:
    """The context files the pre-fetch reads; or a reason to only report ("" to stay quiet)."""
    if build.ecosystem == "go":
        return _go_files(ctx, run, build, folder, context)
    from ._manifests import needs

    inv = build.invocation
    settings = [
        directory_of(v, build.cwd) for v in inv.values("-s", "--settings", "-gs", "--global-settings")
    ]
    if None in settings or inv.has("-I", "--init-script"):
        return [], f"`{shown_of(inv)}` reads a settings or init file whose path is not known"
    step = InstallStep(
        build.ecosystem,
        inv.command,
        shown_of(inv),
        build.project,
        [s for s in settings if s],
        outputs=(".gradle",) if build.ecosystem == "gradle" else (),
        program=project_program(inv, build.cwd),
        invocation=inv,
    )
    pseudo = FullCopy(run, folder, folder, build.project, build.project, (), False)
    result = needs(context, pseudo, step, _env(ctx, run, build))
    if result.decline:
        return [], (f"no pre-fetch: {result.decline}" if result.show else "")
    return result.files, None


def _go_files(
    ctx: Facts, run: Instruction, build: _Build, folder: str, context: BuildContext
) -> tuple[list[str], str | None]:
    from ...analysis._detect import join, outside
    from ...analysis.eco_compiled import _go_directives, _go_local

    env = _env(ctx, run, build)
    if "-modfile" in (env.get("GOFLAGS") or ""):
        return [], "no pre-fetch: GOFLAGS names another go.mod (-modfile)"
    if (env.get("GOWORK") or "off") != "off":
        return [], "no pre-fetch: GOWORK points at a workspace file the rule cannot follow"
    found = detect_manifests(context, folder, ["go"])
    if not found:
        return [], ""
    manifests = found[0]
    if not manifests.workspaces_complete:
        return [], "no pre-fetch: a module of go.work has no go.mod in the build context"
    files = list(manifests.files)
    gomods = [f for f in manifests.files if posixpath.basename(f) == "go.mod"]
    if manifests.workspaces:
        crossed = workspace_requires(context, gomods)
        if crossed:
            return [], (
                f"no pre-fetch: {crossed[0]} requires {crossed[1]}, a module of go.work, and `go mod "
                "download` in workspace mode tries to download workspace modules (golang/go#51946)"
            )
    for gomod in gomods:
        base = posixpath.dirname(gomod) or "."
        for body in _go_directives(context.read_text(gomod) or "", "replace"):
            target = (
                body.split("=>", 1)[1].split()[0] if "=>" in body and body.split("=>", 1)[1].split() else ""
            )
            if not _go_local(target):
                continue
            member = join(base, target)
            if outside(member):
                return [], f"no pre-fetch: {gomod} replaces a module with {target}, outside the build context"
            if not (folder == "." or member == folder or member.startswith(folder + "/")):
                return (
                    [],
                    f"no pre-fetch: {gomod} replaces a module with {target}, outside the copied project",
                )
            rel = join(member, "go.mod")
            if not (context.exists(rel) and context.is_sent(rel)):
                return (
                    [],
                    f"no pre-fetch: {gomod} replaces a module with {target}, which has no go.mod to copy",
                )
            if rel not in files:
                files.append(rel)
    return files, None


def _edits(
    ctx: Facts,
    run: Instruction,
    build: _Build,
    block: list[Instruction],
    placed: dict[Instruction, list[Placed]],
    before: list[Placed],
    needed: dict[str, str],
) -> Prefetch | None:
    # The first COPY that brings more than manifests: where the source starts arriving.
    start = next(
        (
            i
            for i, item in enumerate(block)
            if item.name in ("COPY", "ADD")
            and (not placed[item] or any(p.directory or p.image not in needed for p in placed[item]))
        ),
        None,
    )
    if start is None or any(
        item.name in ("COPY", "ADD") and placed[item] and all(p.image in needed for p in placed[item])
        for item in block[start + 1 :]
    ):
        return None  # a manifest COPY after the source copy: moving it up would copy it twice
    first = block[start]
    earlier = before + [p for item in block[:start] for p in placed[item]]
    later = [p for item in block[start:] for p in placed[item]]
    moved: list[Placed] = []
    for image in needed:
        had, brought = lookup(image, earlier), lookup(image, later)
        if had is not None:
            if brought is not None and brought.source != had.source:
                return None  # the source copy replaces a manifest with another file: leave it
            continue
        if brought is None:
            continue  # the original image never has it: the pre-fetch goes without, as the build does
        if not PLAIN_PATH.match(brought.source):
            return None
        moved.append(brought)
    workdir = workdir_at(ctx.tree, first, ctx.scopes)
    groups: dict[tuple[int, str], list[Placed]] = {}
    for item in moved:
        groups.setdefault((id(item.instruction), posixpath.dirname(item.image)), []).append(item)
    newline = ctx.tree.newline
    lines = ""
    for (_, directory), items in groups.items():
        destination = _destination(directory, workdir)
        if destination is None:
            return None
        lines += copy_lines(items[0].instruction, [([p.source for p in items], destination)], newline)
    command = fetch_command(build.ecosystem, build.invocation)
    lines += run_prefix(ctx.text, run) + command + newline
    copied = ", ".join(p.source for p in moved)
    message = (
        f"`{shown_of(build.invocation)}` downloads its dependencies after the source copy: "
        + (f"copy {copied} first and " if copied else "")
        + f"run `{command.strip()}` before it, so a source edit keeps them cached; unsafe: "
        + CAVEAT[build.ecosystem]
    )
    return Prefetch(run, first, message, [Edit.insert(block_start(first), lines)])


def _destination(directory: str, workdir: str | None) -> str | None:
    if workdir is not None and directory == workdir:
        return "./"
    if workdir is not None and directory.startswith(workdir.rstrip("/") + "/"):
        return directory[len(workdir.rstrip("/")) + 1 :] + "/"
    if directory.startswith(BASE):
        return None
    return directory.rstrip("/") + "/"
