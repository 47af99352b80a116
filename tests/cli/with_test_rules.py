"""``dockopt`` with two extra test-only rules, so unsafe and display-only fixes can be exercised.

Run as ``python with_test_rules.py ARGS...``. The shipped rules are all safe today; these give the
CLI's ``--unsafe-fixes`` / ``--show-fixes`` / hint paths something real to do.

DO990 flip-unsafe: ``LABEL unsafe=1`` → ``LABEL unsafe=0`` (an unsafe fix).
DO991 show-only: ``LABEL shown=1`` → a display-only fix that must never be applied.
DO992 crash: raises on ``LABEL boom=1`` (a rule's bug: the CLI must still not show a traceback).
DO993 break-file: turns ``LABEL break=1`` into an unknown instruction (the engine must refuse it).
"""

from __future__ import annotations

from optimizer.cli import main
from optimizer.rules.base import Applicability, Edit, Rule, register


def _label_rule(code: str, name: str, before: str, after: str, safety: Applicability):
    class _Rule(Rule):
        summary = f"test rule: {before} → {after}"

        def check(self, ctx):
            for instruction in ctx.tree.instructions:
                if instruction.name == "LABEL" and instruction.args == before:
                    start = instruction.args_source_start
                    yield self.finding(
                        ctx,
                        instruction,
                        f"{before} is a test pattern",
                        [Edit(start, start + len(before), after)],
                    )

    _Rule.code, _Rule.name, _Rule.safety = code, name, safety
    _Rule.__name__ = name.replace("-", "_")
    return register(_Rule)


_label_rule("DO990", "flip-unsafe", "unsafe=1", "unsafe=0", Applicability.UNSAFE)
_label_rule("DO991", "show-only", "shown=1", "shown=0", Applicability.DISPLAY_ONLY)


@register
class _Crash(Rule):
    code, name, summary, safety = "DO992", "crash", "test rule: raises", Applicability.SAFE

    def check(self, ctx):
        for instruction in ctx.tree.instructions:
            if instruction.name == "LABEL" and instruction.args == "boom=1":
                raise RuntimeError("boom\nwith a second line")
        return iter(())


@register
class _BreakFile(Rule):
    code, name, summary, safety = "DO993", "break-file", "test rule: breaks the file", Applicability.SAFE

    def check(self, ctx):
        for instruction in ctx.tree.instructions:
            if instruction.name == "LABEL" and instruction.args == "break=1":
                start = instruction.keyword_start
                yield self.finding(ctx, instruction, "breaks it", [Edit(start, start + 5, "BROKEN")])


if __name__ == "__main__":
    main()
