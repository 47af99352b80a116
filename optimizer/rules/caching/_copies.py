"""Which context file lands at which image path, COPY by COPY (DO403's view of a stage).

Why a module: DO401 moves one whole-directory copy; DO403 must also read stages that already copy
the manifests one by one (``COPY pom.xml ./`` then ``COPY src ./src``) and decide, for each file
the pre-fetch reads, whether an earlier COPY already put it in the image, a later one brings it
(so it must go first), or nothing does (the pre-fetch then sees it absent, as the build does).
An instruction whose sources or destination cannot be known makes the whole answer unknown.
"""

from __future__ import annotations

import posixpath
from dataclasses import dataclass

from ...analysis.context import BuildContext, normalize_source, resolve_copy_sources
from ...analysis.gomatch import clean, has_wildcards
from ...analysis.scope import Scope
from ...syntax import Dockerfile, Instruction
from ._plan import workdir_at


@dataclass(frozen=True)
class Placed:
    """One source of a COPY: a context file at an image path, or a directory's contents below one."""

    instruction: Instruction
    image: str  # absolute, clean (may start with BASE)
    source: str  # context-relative
    directory: bool


def placements(
    tree: Dockerfile, instruction: Instruction, scopes: dict[Instruction, Scope], context: BuildContext
) -> list[Placed] | None:
    """What a context COPY/ADD writes; None when a source, the destination or the form is unknown."""
    if instruction.heredocs or instruction.flag("from") is not None or instruction.flag("parents"):
        return None
    scope = scopes.get(instruction)
    copy = resolve_copy_sources(instruction, scope) if scope is not None else None
    if copy is None or copy.skipped or copy.exclude:
        return None
    word = scope.expand(instruction.value[-1]).text if scope is not None else None
    if not word:
        return None
    workdir = workdir_at(tree, instruction, scopes)
    if word.startswith("/"):
        dest = clean(word)
    elif workdir is None:
        return None
    else:
        dest = clean(f"{workdir}/{word}")
    into = copy.dest_is_dir or len(copy.sources) > 1 or dest == workdir
    out: list[Placed] = []
    for source in copy.sources:
        if source.text is None:
            return None
        rel = normalize_source(source.text)
        if has_wildcards(rel) or rel.startswith(".."):
            return None
        if context.is_dir(rel):
            out.append(Placed(instruction, dest, rel, True))
        elif into:
            out.append(Placed(instruction, clean(f"{dest}/{posixpath.basename(rel)}"), rel, False))
        else:
            out.append(Placed(instruction, dest, rel, False))
    return out


def lookup(image: str, placed: list[Placed]) -> Placed | None:
    """The last placement writing ``image``, with ``source`` narrowed to the file's context path."""
    for item in reversed(placed):
        if not item.directory and item.image == image:
            return item
        if item.directory and (image.startswith(item.image + "/") or item.image == "/"):
            rest = image[len(item.image) :].lstrip("/")
            return Placed(item.instruction, image, normalize_source(f"{item.source}/{rest}"), False)
    return None
