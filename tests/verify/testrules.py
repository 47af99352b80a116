"""Test-only rules for verify: they are handed to ``verify(rules=...)`` and never registered."""

from __future__ import annotations

from collections.abc import Iterator

from optimizer.core.config import Settings
from optimizer.engine import selected_rules
from optimizer.rules.base import Applicability, Edit, Facts, Finding, Rule


class AppendLine(Rule):
    """Appends one instruction at the end of the file (once); ``removes`` as given."""

    summary = "append a line"
    safety = Applicability.SAFE

    def __init__(self, code: str, name: str, line: str, removes: tuple[str, ...] = ()) -> None:
        self.code, self.name, self.line = code, name, line
        self.removes = removes

    def check(self, ctx: Facts) -> Iterator[Finding]:
        if self.line in ctx.text:
            return
        prefix = "" if ctx.text.endswith("\n") else "\n"
        last = ctx.tree.instructions[-1]
        yield self.finding(ctx, last, "append", [Edit.insert(len(ctx.text), prefix + self.line + "\n")])


def with_rule(rule: Rule, settings: Settings | None = None) -> list[Rule]:
    return [*selected_rules(settings or Settings()), rule]
