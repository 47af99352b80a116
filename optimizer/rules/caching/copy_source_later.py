"""DO402 copy-source-later: move ``COPY . .`` below RUNs that do not use the copied files.

## What it does
Moves a copy of the whole build context (``COPY . /app``, ``COPY . .``, ``COPY ./ ./``) below the
RUN instructions right after it that provably neither read nor write the copied directory, such
as an OS package install:

```dockerfile
WORKDIR /app
COPY . .
RUN apt-get update && apt-get install -y --no-install-recommends libpq5
CMD ["./run.sh"]
```
becomes
```dockerfile
WORKDIR /app
RUN apt-get update && apt-get install -y --no-install-recommends libpq5
COPY . .
CMD ["./run.sh"]
```
A RUN counts as independent when every command in it is one the rule understands and none of
its paths can be in the destination:
- OS package managers (``apt-get``/``apt``, ``apk``, ``yum``/``dnf``/``microdnf``, ``zypper``)
  installing, removing, updating or cleaning packages *by name* (not ``./pkg.deb``, not a
  computed list the Dockerfile does not define);
- ``pip``/``uv pip``/``npm -g``/``pnpm -g``/``gem`` installs of named packages (not ``-r``, not
  ``.``, not local files), when no ENV PATH/VIRTUAL_ENV/GEM_HOME points into the destination, and
  ``python -m venv``, ``go install tool@version``, ``npm config``/``cache`` commands;
- file commands (``rm``, ``mkdir``, ``ln``, ``chmod``, ``chown``, ``touch``, ``cp``, ``mv``,
  ``cat``, ``tee``, ``source``) and redirections whose paths all resolve outside the destination;
  ``useradd``/``adduser``/``groupadd`` whose home is not in it; ``curl``/``wget`` writing outside it;
- commands that touch no files: ``echo``, ``set``, ``export``, ``uname``, ``update-ca-certificates``, …
Metadata instructions between them (``ENV``, ``LABEL``, ``USER``, ``EXPOSE``, ``CMD`` …) are crossed
too, unless the copy uses variables (then ``ENV``/``ARG`` stop the move) or a ``WORKDIR`` would
change or create its destination. The copy moves with the comment lines above it and lands right
after the last independent RUN. When that RUN is followed by a dependency install, DO401 does the
whole reorder instead (manifests first), and this rule stays quiet.

## Why
``COPY . .`` changes with every source edit, and every layer after it is rebuilt. A package
install placed after it downloads and installs everything again for a one-line change; placed
before it, it stays cached until its own line changes.

## Example
```dockerfile
FROM python:3.12-slim
WORKDIR /app
COPY . .
RUN apt-get update && apt-get install -y --no-install-recommends gcc && rm -rf /var/lib/apt/lists/*
```
Use instead:
```dockerfile
FROM python:3.12-slim
WORKDIR /app
RUN apt-get update && apt-get install -y --no-install-recommends gcc && rm -rf /var/lib/apt/lists/*
COPY . .
```

## Fix safety
Safe when the destination is an application directory (``/app``, ``/srv/app``, ``/usr/src/app``,
``/home/user/app`` …): the crossed commands provably do not touch it, and the copy does not touch
what they write, so both produce the same files in either order. Unsafe (applied only with
``--unsafe-fixes``) when the destination is one packages may install into — ``/usr``, ``/etc``,
``/var`` (``/var/www/html`` included), ``/opt`` and ``/srv`` themselves, ``/tmp``, ``/root`` — or the
base image's WORKDIR, which the Dockerfile does not name (it is ``/`` in many images): a package could
ship a file the copy also writes, and then the last writer wins. A copy into ``/`` — or into the
base image's WORKDIR — never crosses a package manager at all: the copy could replace the package
manager's own configuration under ``/etc`` and ``/var``. Any command the rule does not understand
(a script, ``make``, ``curl … | sh``, a path it cannot resolve) stops the move.

## References
- Docker docs, "Optimize cache usage in builds": https://docs.docker.com/build/cache/optimize/
- Related: DO401 (copy manifests before the install)
"""

from __future__ import annotations

from collections.abc import Iterator

from ..base import Applicability, Facts, Finding, Phase, Rule, register
from ..triggers import source_copy_before_run
from ._plan import full_copy, walk
from ._shell import protected_dest_reason


@register
class CopySourceLater(Rule):
    code = "DO402"
    name = "copy-source-later"
    summary = "Move COPY of the whole context below RUNs that do not use it"
    safety = Applicability.SAFE
    phase = Phase.MOVES
    trigger = source_copy_before_run
    safety_note = "safe (unsafe for package-managed destinations)"

    def check(self, ctx: Facts) -> Iterator[Finding]:
        tree = ctx.tree
        scopes = ctx.scopes
        context, _ = ctx.build_context()
        for instruction in tree.instructions:
            copy = full_copy(tree, instruction, scopes, context)
            if copy is None or copy.source != ".":
                continue
            route = walk(tree, copy, scopes, context, reorder=False)
            if not route.runs:
                continue
            from ._text import block_text, insert_after, remove_block  # only for a move

            last = route.runs[-1]
            newline = tree.newline
            edits = [
                remove_block(tree, instruction),
                insert_after(ctx.text, last, block_text(ctx.text, instruction, newline), newline),
            ]
            count = len(route.runs)
            lines = ", ".join(str(run.line) for run in route.runs)
            runs = (
                f"{count} RUNs (lines {lines}) that do not"
                if count > 1
                else f"the RUN at line {lines}, which does not"
            )
            message = (
                f"`{instruction.keyword} {copy.source_word} {copy.dest_word}` moves below {runs} use the "
                "copied files, so a source edit no longer reruns them"
            )
            reason = protected_dest_reason(copy.dest)
            if reason:
                message += f"; unsafe: {reason}, and a package could write the same files"
            applicability = Applicability.UNSAFE if reason else Applicability.SAFE
            yield self.finding(ctx, instruction, message, edits, applicability, also=(last,))
