"""DO302 apt-update-alone: apt-get update belongs in the RUN that installs, not in a RUN of its own.

## What it does
Finds a RUN that runs ``apt-get update`` (or ``apt update``) and nothing else, followed later in
the same stage by the RUN that installs packages without updating first. The update is moved into
that RUN: the RUN of its own goes away, and the installing RUN starts its first apt command with
``apt-get update && `` (the update written exactly as before, options included). The next round
of DO301 then removes the lists in the same RUN.

A RUN that updates and does something else but installs nothing (a signing key and a source list
written before ``apt-get update``) is joined with the installing RUN when that RUN comes right
after it, through the merge machinery of DO201 (same flags, no state leaking, exit status kept);
otherwise it is reported without a fix.

## Why
Two reasons, both from Docker's best-practice guide and hadolint (DL3009, and the
"update alone" anti-pattern): the build cache keeps the ``apt-get update`` layer as long as that
line does not change, so adding a package to the install line later installs from a stale index
(often failing with 404s); and the lists downloaded by a separate RUN stay in its layer for good,
whatever a later RUN deletes.

## Example
```dockerfile
FROM debian:bookworm-slim
RUN apt-get update
RUN apt-get install -y curl
```
Use instead:
```dockerfile
FROM debian:bookworm-slim
RUN apt-get update && apt-get install -y curl
```

## Fix safety
Safe: the same update runs in the same build, just before the install that needs it, and a failed
update still fails the build. Declined (shown without a fix) when moving the update could change
what it downloads or whether it can run: a RUN, COPY or ADD between the two that touches apt's
configuration (``/etc/apt``, ``apt-key``, ``add-apt-repository``, ``sources.list``), a ``USER``,
``SHELL`` or proxy variable (``ENV``/``ARG`` with ``proxy`` in the name) between them, flags on
either RUN (``--mount``, ``--network``, ``--security``) other than cache mounts on the installing
one (and no cache mount on the lists there: the update would then fill the cache, not the image),
an install inside ``if``/loops/functions/pipelines or after ``||``, a pragma comment on the update
RUN (it would move to the next instruction), or no installing RUN in the same stage.
Comments above the update RUN stay where they are. Stages that do not matter (not final, not
used by another stage) are left alone, as are ONBUILD, Windows and non-POSIX stages.

## References
- hadolint DL3009; Docker docs, "Best practices — apt-get":
  https://docs.docker.com/build/building/best-practices/#apt-get
"""

from __future__ import annotations

import re
from collections.abc import Iterator

from ...shell import Invocation, Script, Statement
from ...syntax import Instruction
from ..base import Applicability, Edit, Facts, Finding, Phase, Rule, register
from ..triggers import mentions
from ._apt import LISTS, READS_LISTS, apt_invocations, lists_use
from ._hygiene import Hygiene, Run, cache_targets, mounted, prepend_command, statement_of, unconditional

_APT_CONFIG = re.compile(r"/etc/apt|apt-key|add-apt-repository|sources\.list|\.sources\b")
_PROXY = re.compile(r"proxy", re.IGNORECASE)


@register
class AptUpdateAlone(Rule):
    code = "DO302"
    name = "apt-update-alone"
    summary = "Move a lone apt-get update into the RUN that installs"
    safety = Applicability.SAFE
    phase = Phase.MOVES
    trigger = mentions("apt", families=("apt",))

    def check(self, ctx: Facts) -> Iterator[Finding]:
        hygiene = Hygiene.of(ctx)
        for run in hygiene.runs():
            finding = self._check_run(ctx, run)
            if finding is not None:
                yield finding

    def _check_run(self, ctx: Facts, run: Run) -> Finding | None:
        script, instruction = run.script, run.instruction
        found = apt_invocations(script)
        if (
            not found
            or any(i.subcommand != "update" for i in found)
            or not all(unconditional(i) for i in found)
        ):
            return None
        message = "apt-get update in a RUN without an install leaves a stale index in its own layer"
        target, reason = _installing_run(ctx, instruction)
        if target is None:
            return self.finding(ctx, instruction, f"{message}; not moved: {reason}")
        if len(found) != 1 or len(script.commands) != 1:
            # More than the update (a key, a source list): the two RUNs are joined, or nothing.
            from ...shell.join import NotJoined, plan_merge  # rare: imported only for such a RUN

            plan = plan_merge(ctx, [instruction, target])
            if isinstance(plan, NotJoined):
                return self.finding(
                    ctx, instruction, f"{message}; not joined with line {target.line}: {plan.reason}"
                )
            return self.finding(
                ctx,
                instruction,
                f"{message}: join it with the RUN at line {target.line} that installs",
                plan.edits,
                also=(target,),
            )
        edits, reason = _move(ctx, run, found[0], target)
        if not edits:
            return self.finding(ctx, instruction, f"{message}; not moved: {reason}", also=(target,))
        return self.finding(
            ctx,
            instruction,
            f"{message}: move it into the RUN at line {target.line} that installs",
            edits,
            also=(target,),
        )


def _installing_run(ctx: Facts, update: Instruction) -> tuple[Instruction | None, str]:
    """The next instruction of the stage that reads the lists, if nothing between forbids the move."""
    for item in ctx.stage_of(update)[ctx.index_in_stage(update) + 1 :]:
        if item.sub is not None:
            continue
        name = item.name
        if name == "RUN":
            use = lists_use(ctx.tree, item)
            if use == "reads":
                return item, ""
            if use == "refreshes":
                return None, f"the RUN at line {item.line} updates again"
            if _APT_CONFIG.search(item.text):
                return None, f"the RUN at line {item.line} changes apt's configuration"
        elif name in ("USER", "SHELL"):
            return None, f"{name} at line {item.line} comes between"
        elif name in ("ENV", "ARG") and _PROXY.search(item.args):
            return None, f"{name} at line {item.line} sets a proxy"
        elif name in ("COPY", "ADD") and _copies_into_apt(ctx, item):
            return None, f"{name} at line {item.line} may change apt's configuration"
    return None, "no RUN in this stage installs after it"


def _move(ctx: Facts, run: Run, update: Invocation, target: Instruction) -> tuple[list[Edit], str]:
    source = run.instruction
    if source.flags:
        return [], "the update RUN has flags"
    if any(f.name != "mount" for f in target.flags) or len(cache_targets(target)) != len(target.flags):
        return [], f"the RUN at line {target.line} has flags"
    if mounted(target, LISTS):
        # The lists would go to the cache, not the image: a later RUN reading them would find none.
        return [], f"the RUN at line {target.line} mounts a cache on {LISTS}"
    if any("dockopt:" in comment.text for comment in source.leading_comments):
        return [], "a pragma comment belongs to the update RUN"
    script = ctx.script(target)
    if script is None or script.map is None:
        return [], f"the RUN at line {target.line} cannot be read"
    readers = [i for i in apt_invocations(script) if i.subcommand in READS_LISTS]
    if not readers or not unconditional(readers[0]) or readers[0].command.in_pipeline:
        return [], "its install is conditional"
    place = statement_of(script, readers[0].command)
    if place is None:
        return [], "its install is not a plain command"
    statement, index = place
    insert = _prepend_at(script, statement, index, update.command.text)
    if insert is None:
        return [], "its install cannot be edited in place"
    return [Edit.delete(source.start, source.end), insert], ""


def _prepend_at(script: Script, statement: Statement, index: int, command: str) -> Edit | None:
    """``command && `` in front of the statement's pipeline ``index`` (first, or after an ``&&``)."""
    pipeline = statement.pipelines[index]
    if index == 0:
        return prepend_command(script, statement, command)
    if statement.operators[index - 1] != "&&" or pipeline.negated:
        return None
    if not script.exact((pipeline.span[0], pipeline.span[0] + 1)):
        return None
    at = script.to_source(pipeline.span[0])
    return None if at is None else Edit.insert(at, f"{command} && ")


_APT_PATHS = ("/etc/apt", "/var/lib/apt", "/etc/environment")


def _copies_into_apt(ctx: Facts, copy: Instruction) -> bool:
    """The COPY/ADD may write apt's sources, pins, keys or state (``COPY rootfs/ /`` with
    ``rootfs/etc/apt/sources.list.d/x.list`` in the context). Read from the build context when it
    is in view; without it, any destination that holds one of apt's paths counts."""
    import posixpath

    if "apt" in copy.args:
        return True
    if len(copy.value) < 2:
        return True
    scope = ctx.scopes.get(copy)
    dest = copy.value[-1]
    if "$" in dest or scope is None:
        return True
    if not dest.startswith("/"):
        if scope.workdir.text is None:
            return True
        dest = posixpath.join(scope.workdir.text, dest)
    dest = posixpath.normpath(dest)
    touched = [
        p for p in _APT_PATHS if p == dest or p.startswith(dest.rstrip("/") + "/") or dest.startswith(p + "/")
    ]
    if not touched:
        return False
    context, _ = ctx.build_context()
    if (
        context is None
        or copy.flag_values("from")
        or any(dest.startswith(p + "/") or dest == p for p in touched)
    ):
        return True
    for source in copy.value[:-1]:
        if any(ch in source for ch in "*?[$") or "://" in source:
            return True
        source = source.strip("/") or "."
        if not context.is_dir(source):
            return True  # a file copied into a directory above apt's: it could be named anything
        for path in touched:
            relative = path[len(dest.rstrip("/")) + 1 :]
            inside = f"{source}/{relative}" if source != "." else relative
            if context.exists(inside):
                return True
    return False
