"""DO310 conda-clean: a RUN that installs with conda, mamba or micromamba cleans their caches.

## What it does
For a RUN whose ``conda``/``mamba``/``micromamba`` ``install``, ``create``, ``update`` or
``env create``/``env update`` leaves package tarballs and index caches in the image, ends the RUN
with ``&& conda clean -afy`` (``mamba clean -afy``; ``micromamba clean --all --force-pkgs-dirs
--yes``), using the tool the RUN installed with. Already clean: a ``clean`` of the family after
the last install, or a removal of a ``pkgs`` directory after it.

The same fix in both cache strategies: where the package cache lives depends on how conda was
installed (``/opt/conda/pkgs``, ``~/.conda/pkgs``, ``$MAMBA_ROOT_PREFIX/pkgs``…) and conda
hard-links installed files from it, so a cache mount there is not offered.

## Why
conda keeps every downloaded tarball *and* its extracted copy in ``pkgs/`` plus the channel index:
hundreds of MB for a scientific stack. jupyter/docker-stacks and the official miniconda images
clean after every install for that reason.

## Example
```dockerfile
RUN conda install -y numpy
```
Use instead:
```dockerfile
RUN conda install -y numpy && conda clean -afy
```

## Fix safety
Safe: the environments keep their files (conda hard-links them by default, so removing the package
cache frees the tarballs, the index and the extracted files no environment uses). ``-f`` would
break an environment installed with *soft* links (``always_softlink``); the fix is declined when
the image configures that. It runs after the whole script succeeded. Declined for ``sudo``/
``gosu`` runs, installs inside ``if``/loops/functions or after ``||``, scripts ending in ``&``,
heredocs glued to the command line, ONBUILD, Windows and non-POSIX stages. Only stages that
matter are touched.

## References
- conda docs, ``conda clean``: https://docs.conda.io/projects/conda/en/stable/commands/clean.html
- jupyter/docker-stacks ``fix-permissions`` / ``mamba clean --all -f -y`` pattern
"""

from __future__ import annotations

from collections.abc import Iterator

from ...shell import invocations
from ..base import Applicability, Facts, Finding, Phase, Rule, register
from ..triggers import mentions
from ._hygiene import Hygiene, append_command, configured, switches_user, unconditional, where

_FILLING = frozenset({"install", "create", "update", "env create", "env update"})


@register
class CondaClean(Rule):
    code = "DO310"
    name = "conda-clean"
    summary = "conda/mamba: clean -afy in the installing RUN"
    safety = Applicability.SAFE
    phase = Phase.PACKAGES
    trigger = mentions("conda", "mamba", families=("conda",))
    removes = ("/opt/conda/pkgs/**", "/root/.conda/pkgs/**", "/opt/conda/conda-meta/**/*.json.bak")

    def check(self, ctx: Facts) -> Iterator[Finding]:
        hygiene = Hygiene.of(ctx)
        for run in hygiene.runs():
            found = invocations(run.script, ("conda",))
            filling = [i for i in found if i.subcommand in _FILLING]
            if not filling or not all(unconditional(i) for i in found):
                continue
            last = filling[-1]
            start = last.command.span[0]
            if any(i.subcommand == "clean" and i.command.span[0] > start for i in found):
                continue
            if "pkgs" in run.script.text[last.command.span[1] :]:
                continue
            if configured(hygiene, run.instruction, "softlink"):
                continue
            message = f"`{last.manager} {last.subcommand}` leaves package tarballs and caches in the image"
            needed = hygiene.cache_reader(run, ["/opt/conda/pkgs"])
            if needed is not None:
                yield self.finding(
                    ctx, run.instruction, f"{message}; not cleaned because {needed}", offset=where(last)
                )
                continue
            if any(switches_user(i) for i in filling):
                yield self.finding(
                    ctx,
                    run.instruction,
                    f"{message}; not cleaned: it runs as another user",
                    offset=where(last),
                )
                continue
            program = (
                last.program[0].value if len(last.program) == 1 and last.program[0].value else last.manager
            )
            options = "--all --force-pkgs-dirs --yes" if last.manager == "micromamba" else "-afy"
            cleanup = f"{program} clean {options}"
            edit = append_command(ctx, run, cleanup)
            yield self.finding(
                ctx,
                run.instruction,
                f"{message}: end the RUN with `{cleanup}`",
                [edit] if edit else [],
                offset=where(last),
            )
