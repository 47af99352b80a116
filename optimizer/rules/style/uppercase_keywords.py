"""DO101 uppercase-keywords: write instruction keywords in upper case.

## What it does
Rewrites instruction keywords written in lower or mixed case (``run``, ``From``) in upper case,
and the ``AS`` of a ``FROM … AS name``. The keyword of an ``ONBUILD`` trigger (``ONBUILD run make``)
is left as written: the trigger text is stored in the image's ``OnBuild`` list as it is.

## Why
BuildKit reads keywords in any case, but every Dockerfile reference, linter and reader expects
upper case; a file that mixes cases is harder to scan. BuildKit's own checks warn when casing is
inconsistent (``ConsistentInstructionCasing``) and when ``FROM`` and ``AS`` differ in case
(``FromAsCasing``), which is why ``AS`` is upper-cased together with ``FROM``.

## Example
```dockerfile
from python:3.12 as build
run pip install -r requirements.txt
```
Use instead:
```dockerfile
FROM python:3.12 AS build
RUN pip install -r requirements.txt
```

## Fix safety
Safe: keywords are case-insensitive, so the image is the same. An ``ONBUILD`` trigger's keyword is
not touched: the image config keeps the trigger's text verbatim (every child image inherits it), so
changing its case would change the image. A keyword split by a line continuation (``RU\\`` + ``N``)
is left alone.

## References
- BuildKit checks: ``ConsistentInstructionCasing``, ``FromAsCasing``
- Dockerfile reference, "Format": https://docs.docker.com/reference/dockerfile/#format
"""

from __future__ import annotations

from collections.abc import Iterator

from ...syntax import FROM_AS, Instruction
from ..base import Applicability, Edit, Facts, Finding, Phase, Rule, register
from ..triggers import keyword_case


@register
class UppercaseKeywords(Rule):
    code = "DO101"
    name = "uppercase-keywords"
    summary = "Instruction keywords in upper case"
    safety = Applicability.SAFE
    phase = Phase.STYLE
    trigger = keyword_case

    def check(self, ctx: Facts) -> Iterator[Finding]:
        for instruction in ctx.tree.instructions:
            edits: list[Edit] = []
            # Only ONBUILD itself: the trigger's text (``run make``) is stored as written in the
            # image's OnBuild list, metadata every child image inherits, so it stays as it is.
            edits += _keyword_edit(ctx.text, instruction)
            if instruction.name == "FROM":
                edits += _as_edit(ctx.text, instruction)
            if edits:
                words = ", ".join(f"`{ctx.text[e.start : e.end]}` → `{e.replacement}`" for e in edits)
                yield self.finding(ctx, instruction, f"Keywords in upper case: {words}", edits)


def _keyword_edit(text: str, instruction: Instruction) -> list[Edit]:
    keyword = instruction.keyword
    start = instruction.keyword_start
    if keyword == keyword.upper() or text[start : start + len(keyword)] != keyword:
        return []
    return [Edit(start, start + len(keyword), keyword.upper())]


def _as_edit(text: str, instruction: Instruction) -> list[Edit]:
    match = FROM_AS.match(instruction.args)
    if not match or match.group(1) == "AS":
        return []
    logical = instruction.args_start + match.start(1)
    start = instruction.source_map.to_source(logical)
    if text[start : start + 2] != match.group(1):
        return []
    return [Edit(start, start + 2, "AS")]
