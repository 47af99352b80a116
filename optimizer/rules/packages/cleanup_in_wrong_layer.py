"""DO313 cleanup-in-wrong-layer: a RUN that only cleans up after an earlier RUN joins that RUN.

## What it does
Finds a RUN that does nothing but delete files or clean package-manager caches (``rm -rf …``,
``apt-get clean``, ``apt-get purge``, ``apk del``, ``dnf clean all``, ``pip cache purge``,
``npm cache clean``, ``conda clean`` …, with ``set``/``echo``/``true`` allowed alongside) whose
targets an earlier RUN of the same stage created: the RUN that mentions the removed path, or the
RUN of the package manager that fills the cleaned cache (``apt-get update`` for
``/var/lib/apt/lists``, ``pip install`` for ``~/.cache/pip`` …).
- When that RUN comes right before it (only comments and blank lines between), the two are joined
  with the merge machinery of DO201 (same flags, shell form, no heredocs, no state leaking from
  the earlier script, exit status kept: ``EARLIER && CLEANUP``).
- Otherwise (other instructions between, or the merge machinery declines) it is reported without
  a fix, naming the RUN the cleanup belongs in and why it was not joined.

## Why
Layers are immutable. ``RUN rm -rf /var/lib/apt/lists/*`` on its own adds a layer that hides the
files, while the layer of the RUN that created them still ships every byte. Only a cleanup in the
creating RUN makes the image smaller.

## Example
```dockerfile
RUN apt-get update && apt-get install -y curl
RUN rm -rf /var/lib/apt/lists/*
```
Use instead:
```dockerfile
RUN apt-get update && apt-get install -y curl \\
    && rm -rf /var/lib/apt/lists/*
```

## Fix safety
Safe when joined: the merge machinery's checks (see DO201) guarantee the joined RUN does what the
two did, only in one layer. Everything else is display only: moving a cleanup past other
instructions could delete what they create or read. The RUN that created the files is looked up
only in the same stage; cleanups of files from the base image are not reported (no RUN of this
file can avoid them). Stages that do not matter, ONBUILD, Windows and non-POSIX stages are left
alone.

## References
- hadolint DL3009 (apt lists), DL3059 (consolidate RUNs)
- Docker docs, "Best practices — RUN": https://docs.docker.com/build/building/best-practices/#run
"""

from __future__ import annotations

import posixpath
from collections.abc import Iterator

from ...shell import Script, invocations, removals
from ...shell.roles import CLEANUP_SUBCOMMANDS, cleaned_families, is_cleanup
from ...syntax import Instruction
from ..base import Applicability, Facts, Finding, Phase, Rule, register
from ..triggers import two_runs_in_a_stage
from ._hygiene import Hygiene, Run

# Cache directories and the package-manager families (and subcommands) that fill them.
_CACHE_OWNERS: tuple[tuple[str, str, frozenset[str] | None], ...] = (
    ("/var/lib/apt/lists", "apt", frozenset({"update"})),
    ("/var/cache/apt", "apt", None),
    ("/var/cache/apk", "apk", None),
    ("/var/cache/yum", "rpm", None),
    ("/var/cache/dnf", "rpm", None),
    ("/var/cache/zypp", "zypper", None),
    ("/root/.cache/pip", "pip", None),
    ("/root/.npm", "node", None),
    ("/usr/local/share/.cache/yarn", "node", None),
    ("/opt/conda/pkgs", "conda", None),
)


@register
class CleanupInWrongLayer(Rule):
    code = "DO313"
    name = "cleanup-in-wrong-layer"
    summary = "Fold a cleanup-only RUN into the RUN that created the files"
    safety = Applicability.SAFE
    phase = Phase.LAYERS
    trigger = two_runs_in_a_stage
    safety_note = "safe; display-only when not adjacent"

    def check(self, ctx: Facts) -> Iterator[Finding]:
        hygiene = Hygiene.of(ctx)
        for run in hygiene.runs():
            if not is_cleanup(run.script):
                continue
            made_by = creator(ctx, run)
            if made_by is None:
                continue
            message = f"this RUN only cleans up after the RUN at line {made_by.line}; its layer still holds the files"
            previous = _previous_run(ctx, run.instruction)
            if previous is not made_by:
                yield self.finding(
                    ctx, run.instruction, f"{message}: clean up there (other instructions come between)"
                )
                continue
            from ...shell.join import NotJoined, plan_merge  # only once a cleanup RUN has its creator

            plan = plan_merge(ctx, [made_by, run.instruction])
            if isinstance(plan, NotJoined):
                yield self.finding(
                    ctx, run.instruction, f"{message}: clean up there (not joined: {plan.reason})"
                )
                continue
            yield self.finding(
                ctx,
                run.instruction,
                f"{message}: join the two RUNs",
                plan.edits,
                offset=run.instruction.keyword_start,
                also=(made_by,),
            )


def _targets(script: Script) -> tuple[list[str], set[str]]:
    """The static paths the script removes, and the package-manager families it cleans up after."""
    paths = [w.value for r in removals(script) for w in r.paths if w.value and w.value.startswith("/")]
    families = cleaned_families(script)
    return paths, families


def creator(ctx: Facts, run: Run) -> Instruction | None:
    """The nearest earlier RUN of the stage that made what ``run`` cleans up."""
    paths, families = _targets(run.script)
    if not paths and not families:
        return None
    for item in reversed(ctx.stage_of(run.instruction)[: ctx.index_in_stage(run.instruction)]):
        if item.name != "RUN":
            continue
        script = ctx.script(item)
        if script is not None and _made(script, paths, families):
            return item
    return None


def _made(script: Script, paths: list[str], families: set[str]) -> bool:
    """The script ran a package manager whose work is cleaned, or wrote one of the removed paths."""
    found = invocations(script)
    if any(i.family in families and i.subcommand not in CLEANUP_SUBCOMMANDS for i in found):
        return True
    written = _written(script)
    for path in paths:
        plain = _literal_prefix(path)
        if plain == "/":
            continue
        for cache, family, subcommands in _CACHE_OWNERS:
            filled = any(
                i.family == family and (subcommands is None or i.subcommand in subcommands) for i in found
            )
            if filled and _related(plain, cache):
                return True
        if any(_related(plain, target) for target in written):
            return True
    return False


def _related(a: str, b: str) -> bool:
    """One path is the other or lies inside it."""
    return a == b or a.startswith(b.rstrip("/") + "/") or b.startswith(a.rstrip("/") + "/")


# Commands and the options (or positions) that name what they write.
_WRITE_OPTIONS = {
    "wget": ("-O", "--output-document", "-P", "--directory-prefix"),
    "curl": ("-o", "--output", "--output-dir"),
    "tar": ("-C", "--directory"),
    "unzip": ("-d",),
}
_WRITES_ALL = frozenset({"mkdir", "touch"})
_WRITES_LAST = frozenset({"cp", "mv", "ln", "install", "rsync"})


def _written(script: Script) -> list[str]:
    """Absolute paths the script writes to, as far as common commands show it: redirections,
    ``mkdir``/``touch``, the destination of ``cp``/``mv``/``ln``/``install``, ``curl -o``,
    ``wget -O``/``-P``, ``tar -C``, ``unzip -d``, ``git clone URL DIR``, ``dd of=``."""
    found: list[str] = []
    for command in script.commands:
        found += [
            r.target.value  # type: ignore[misc]
            for r in command.redirects
            if r.operator in (">", ">>", ">|", "&>") and r.target
        ]
        argv = [w.value for w in command.words]
        name = (argv[0] or "").rsplit("/", 1)[-1] if argv else ""
        operands = [a for a in argv[1:] if a is not None and not a.startswith("-")]
        if name in _WRITES_ALL:
            found += operands
        elif _writes_last_operand(name, operands):
            found.append(operands[-1])
        elif name == "dd":
            found += [a[3:] for a in operands if a.startswith("of=")]
        for option in _WRITE_OPTIONS.get(name, ()):
            for index, value in enumerate(argv[1:-1], start=1):
                if value == option:
                    found.append(argv[index + 1] or "")
                elif value and value.startswith(option + "=") and option.startswith("--"):
                    found.append(value.split("=", 1)[1])
    return [p for p in found if p and p.startswith("/")]


def _writes_last_operand(name: str, operands: list[str]) -> bool:
    """``cp a b``, ``mv``, ``ln``, ``install``, ``rsync``: the destination; ``git clone URL DIR``: DIR."""
    if name in _WRITES_LAST:
        return len(operands) >= 2
    return name == "git" and operands[:1] == ["clone"] and len(operands) >= 3


def _literal_prefix(path: str) -> str:
    """The part of a path before its first wildcard, without a trailing slash: ``/tmp/*`` -> ``/tmp``."""
    for index, char in enumerate(path):
        if char in "*?[":
            path = path[:index]
            break
    return posixpath.normpath(path) if path.strip("/") else "/"


def _previous_run(ctx: Facts, instruction: Instruction) -> Instruction | None:
    """The instruction just before ``instruction`` in its stage, if it is a RUN."""
    previous = ctx.previous_in_stage(instruction)
    return previous if previous is not None and previous.name == "RUN" else None
