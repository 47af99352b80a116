"""DO103 maintainer-to-label: ``LABEL org.opencontainers.image.authors`` instead of ``MAINTAINER``.

## What it does
Replaces ``MAINTAINER name <mail>`` with ``LABEL org.opencontainers.image.authors="name <mail>"``,
the value quoted so that it reads back exactly (``"``, ``\\`` and ``$`` escaped: MAINTAINER does not
expand variables, LABEL does). Left alone: an ``ONBUILD MAINTAINER`` (the trigger text is image
metadata), a file whose escape character is not ``\\``, and a MAINTAINER spread over several lines.

## Why
MAINTAINER has been deprecated since Docker 1.13; BuildKit warns about it (``MaintainerDeprecated``)
and hadolint reports it (DL4000). The OCI annotation is what registries and tools read.

## Example
```dockerfile
MAINTAINER Jane Doe <jane@example.com>
```
Use instead:
```dockerfile
LABEL org.opencontainers.image.authors="Jane Doe <jane@example.com>"
```

## Fix safety
Unsafe: the image config changes on purpose — its ``Author`` field is no longer set and a label is
added. Anything that reads ``docker inspect --format '{{.Author}}'`` sees the difference; the
filesystem and everything that runs are the same.

## References
- BuildKit check ``MaintainerDeprecated``: https://docs.docker.com/reference/build-checks/maintainer-deprecated/
- hadolint DL4000: https://github.com/hadolint/hadolint/wiki/DL4000
- OCI image annotations: https://github.com/opencontainers/image-spec/blob/main/annotations.md
"""

from __future__ import annotations

from collections.abc import Iterator

from ..base import Applicability, Edit, Facts, Finding, Phase, Rule, register
from ..triggers import has_instruction

LABEL = "org.opencontainers.image.authors"


@register
class MaintainerToLabel(Rule):
    code = "DO103"
    name = "maintainer-to-label"
    summary = "LABEL org.opencontainers.image.authors instead of the deprecated MAINTAINER"
    safety = Applicability.UNSAFE
    phase = Phase.STYLE
    trigger = has_instruction("MAINTAINER")

    def check(self, ctx: Facts) -> Iterator[Finding]:
        if ctx.tree.escape != "\\":
            return
        for instruction in ctx.tree.instructions:
            if instruction.name != "MAINTAINER" or instruction.sub is not None:
                continue
            value = instruction.args.strip()
            start, end = instruction.keyword_start, instruction.body_end
            source = ctx.text[start:end].rstrip("\r\n")
            if not value or "\n" in source or "\r" in source:
                continue
            quoted = value.replace("\\", "\\\\").replace('"', '\\"').replace("$", "\\$")
            keyword = "label" if instruction.keyword.islower() else "LABEL"
            replacement = f'{keyword} {LABEL}="{quoted}"'
            yield self.finding(
                ctx,
                instruction,
                f"MAINTAINER is deprecated: use LABEL {LABEL} (unsafe: the image's Author field goes)",
                [Edit(start, start + len(source), replacement)],
            )
