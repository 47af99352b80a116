"""DO201 merge-runs: join consecutive RUN instructions that behave the same as one.

## What it does
Joins consecutive ``RUN`` instructions of a stage into one ``RUN`` when the joined script provably
does what the separate ones did, keeping comments between them and following the file's own
continuation style.

Which neighbours it joins by default:
- a ``RUN`` that deletes or cleans up (``rm -rf …``, ``apt-get clean``, ``apk del``,
  ``pip cache purge``, ``npm cache clean`` …) always joins the ``RUN`` before it: that is the big win,
  because layers are immutable and files deleted by a later ``RUN`` still ship in the earlier layer;
- a ``RUN`` after a cheap one (``apt-get update``, ``useradd``, ``mkdir``, ``ln``, config edits) joins
  it: editing the cheap step already re-runs everything after it, so nothing is lost;
- a ``RUN`` after an *expensive* one (a package install, a build, a download) stays separate unless it
  cleans up: keeping them apart keeps the expensive layer cached while the cheap, often-edited step
  after it changes;
- except that consecutive OS package installs with the same manager (``apt-get install`` in two
  RUNs) are joined: the later one reads the index the earlier one fetched, so only together can the
  index leave the image (and one install is the recommended form).

## Why
Each ``RUN`` makes a layer. Layers are immutable, so ``RUN rm`` in a later layer does not make the
image smaller, and a chain of small ``RUN``s costs layers and build steps for nothing. Docker's
best-practice guide and hadolint (DL3059) recommend consolidating them.

## Example
```dockerfile
RUN apt-get update
RUN apt-get install -y curl
# keep the image small
RUN rm -rf /var/lib/apt/lists/*
```
Use instead:
```dockerfile
RUN apt-get update \\
    && apt-get install -y curl \\
# keep the image small
    && rm -rf /var/lib/apt/lists/*
```

## Fix safety
Safe. The merged script is ``EARLIER && LATER`` — the later part runs exactly when the earlier
``RUN`` would have succeeded. An earlier script that changes shell state later commands would see
(``cd``, ``export``, ``set``, ``umask``, ``exit``, assignments …) or that is not a plain and-or list
runs in a subshell ``( … )``; a later script that is not a plain ``&&`` chain is wrapped too. Pairs
are left alone when the flags differ (``--mount``, ``--network``, ``--security``), either one is in
exec form or has a heredoc, anything but comments stands between them, the stage runs a non-POSIX
shell (Windows, ``SHELL ["powershell", …]``), tree-sitter-bash cannot read a script, the earlier one
starts a background job or ends in a shell comment, or a ``# dockopt:`` pragma sits between them.
``ONBUILD RUN`` is never merged. What changes is the layering only: the same files end up in the
image, in fewer layers, and the build cache has one boundary fewer.

## References
- hadolint DL3059: https://github.com/hadolint/hadolint/wiki/DL3059
- Docker best practices, RUN: https://docs.docker.com/build/building/best-practices/#run
"""

from __future__ import annotations

import itertools
from collections.abc import Iterator
from typing import TYPE_CHECKING

from ...shell.roles import is_cleanup, is_expensive, same_os_packages
from ...syntax import Blank, Comment, Instruction
from .. import triggers
from ..base import Applicability, Facts, Finding, Phase, Rule, register

if TYPE_CHECKING:
    from ...shell.join import MergePlan, NotJoined

# ``shell.join`` is imported where a pair of RUNs is planned, on files that have consecutive RUNs.


def groups(
    ctx: Facts, runs: list[Instruction]
) -> tuple[list[list[Instruction]], list[tuple[Instruction, Instruction, str]]]:
    """Split consecutive RUNs into the groups DO201 merges, and the pairs it keeps apart (with why)."""
    from ...shell.join import pair_blocker, script_of

    found: list[list[Instruction]] = []
    kept_apart: list[tuple[Instruction, Instruction, str]] = []
    current: list[Instruction] = [runs[0]] if runs else []
    for previous, instruction in itertools.pairwise(runs):
        blocker = pair_blocker(ctx, previous, instruction)
        reason = blocker.reason if blocker else None
        if reason is None:
            earlier, later = script_of(ctx, previous), script_of(ctx, instruction)
            if is_expensive(earlier) and not is_cleanup(later) and not same_os_packages(earlier, later):  # type: ignore[arg-type]
                reason = "keep-cache-boundary"
        if reason is None:
            current.append(instruction)
            continue
        kept_apart.append((previous, instruction, reason))
        if len(current) > 1:
            found.append(current)
        current = [instruction]
    if len(current) > 1:
        found.append(current)
    return found, kept_apart


def consecutive_runs(ctx: Facts) -> list[list[Instruction]]:
    """Runs of RUN instructions with only comments/blank lines between them, per stage."""
    result: list[list[Instruction]] = []
    current: list[Instruction] = []
    for node in ctx.tree.nodes:
        if isinstance(node, (Comment, Blank)):
            continue
        if (
            isinstance(node, Instruction)
            and node.name == "RUN"
            and (not current or current[-1].stage == node.stage)
        ):
            current.append(node)
            continue
        if len(current) > 1:
            result.append(current)
        current = [node] if isinstance(node, Instruction) and node.name == "RUN" else []
    if len(current) > 1:
        result.append(current)
    return result


@register
class MergeRuns(Rule):
    code = "DO201"
    name = "merge-runs"
    summary = "Join consecutive RUNs that behave the same as one (always when the later one cleans up)"
    safety = Applicability.SAFE
    phase = Phase.LAYERS
    trigger = triggers.consecutive_runs

    def check(self, ctx: Facts) -> Iterator[Finding]:
        for runs in consecutive_runs(ctx):
            merged_groups, _ = groups(ctx, runs)
            for group in merged_groups:
                for plan in plans(ctx, group)[0]:
                    chain = plan.chain
                    yield self.finding(ctx, chain[0], _message(ctx, plan), plan.edits, also=chain[1:])


MAX_CHAIN = 64  # RUNs joined into one at most; longer runs of RUNs become several joined RUNs


def plans(ctx: Facts, group: list[Instruction]) -> tuple[list[MergePlan], list[NotJoined]]:
    """The longest joinable runs of ``group``, left to right, and why the other joints were declined.

    A joint can be fine on its own and impossible in a longer chain (a middle script that would need
    a subshell under ``set -e``), so a group that cannot be joined whole is cut where it must be:
    each chain grows one RUN at a time while it still plans (at most MAX_CHAIN RUNs).
    """
    from ...shell.join import NotJoined, plan_merge

    if len(group) <= MAX_CHAIN:
        whole = plan_merge(ctx, group)
        if not isinstance(whole, NotJoined):
            return [whole], []
    made: list[MergePlan] = []
    declined: list[NotJoined] = []
    start = 0
    while start < len(group) - 1:
        best: MergePlan | None = None
        end = start + 2
        while end <= min(len(group), start + MAX_CHAIN):
            plan = plan_merge(ctx, group[start:end])
            if isinstance(plan, NotJoined):
                if best is None:
                    declined.append(plan)
                break
            best, end = plan, end + 1
        if best is None:
            start += 1
            continue
        made.append(best)
        start += len(best.chain)
    return made, declined


def _message(ctx: Facts, plan: MergePlan) -> str:
    from ...shell.join import script_of

    count = len(plan.chain)
    cleans = any(is_cleanup(script_of(ctx, ins)) for ins in plan.chain[1:])  # type: ignore[arg-type]
    text = f"{count} consecutive RUNs joined into one ({count - 1} layer{'s' if count > 2 else ''} fewer)"
    if cleans:
        text += "; the cleanup now happens in the layer that created the files, so they leave the image"
    if any(plan.wrapped):
        text += "; parts that change shell state or are not plain && chains run in ( … )"
    return text
