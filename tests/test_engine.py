"""The fix loop with small test-only rules: ordering, overlaps, safety, pragmas, failure modes."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from optimizer.core.config import Settings
from optimizer.engine import fix_text
from optimizer.engine.edits import apply_edits, select_non_overlapping
from optimizer.rules.base import (
    DOC_SECTIONS,
    Applicability,
    Edit,
    Facts,
    Finding,
    Fix,
    Rule,
    all_rules,
    matches,
)
from optimizer.syntax import ParseError


class Rewrite(Rule):
    """Replaces every occurrence of ``old`` in RUN arguments with ``new``."""

    code, name, summary, safety = "DO901", "test-rewrite", "test", Applicability.SAFE

    def __init__(self, old: str, new: str, safety: Applicability = Applicability.SAFE, code: str = "DO901"):
        self.old, self.new, self.safety, self.code = old, new, safety, code

    def check(self, ctx: Facts) -> Iterator[Finding]:
        for ins in ctx.tree.instructions:
            start = ctx.text.find(self.old, ins.start, ins.end)
            if ins.name == "RUN" and start >= 0:
                yield self.finding(
                    ctx, ins, f"{self.old} -> {self.new}", [Edit(start, start + len(self.old), self.new)]
                )


class Breaker(Rule):
    code, name, summary, safety = "DO902", "test-breaker", "test", Applicability.SAFE

    def check(self, ctx: Facts) -> Iterator[Finding]:
        ins = ctx.tree.instructions[-1]
        if "ok" in ins.args:
            yield self.finding(ctx, ins, "unterminated heredoc", [Edit.insert(ins.end, "RUN <<EOF\n")])


def test_fix_reaches_a_fixpoint_over_several_rounds():
    text = "FROM a\nRUN aaa\n"
    outcome = fix_text(text, Settings(), rules=[Rewrite("a", "b")])
    # one fix per instruction per round here (the rule reports the first occurrence only)
    assert outcome.output == "FROM a\nRUN bbb\n"
    assert outcome.rounds == 3
    assert [f.code for f in outcome.applied] == ["DO901"] * 3


def test_unsafe_fixes_need_opt_in():
    rule = Rewrite("x", "y", Applicability.UNSAFE)
    text = "FROM a\nRUN x\n"
    assert fix_text(text, Settings(), rules=[rule]).output == text
    assert fix_text(text, Settings(), rules=[rule]).remaining[0].applicability is Applicability.UNSAFE
    assert fix_text(text, Settings(unsafe_fixes=True), rules=[rule]).output == "FROM a\nRUN y\n"


def test_display_only_is_never_applied():
    rule = Rewrite("x", "y", Applicability.DISPLAY_ONLY)
    outcome = fix_text("FROM a\nRUN x\n", Settings(unsafe_fixes=True), rules=[rule])
    assert not outcome.changed and len(outcome.remaining) == 1


def test_overlapping_fixes_wait_for_the_next_round_deterministically():
    first, second = Rewrite("abc", "X", code="DO901"), Rewrite("bcd", "Y", code="DO903")
    outcome = fix_text("FROM a\nRUN abcd\n", Settings(), rules=[second, first])
    assert outcome.output == "FROM a\nRUN Xd\n"  # the earlier span wins; "bcd" is gone after it


def test_select_non_overlapping_keeps_adjacent_edits():
    def f(start, end, code="DO901"):
        return Finding(code, "n", "m", 1, 1, (1,), fix=Fix((Edit(start, end, "z"),)))

    chosen = select_non_overlapping([f(5, 8), f(0, 5), f(4, 6), f(8, 8), f(8, 8, "DO902"), f(10, 10)])
    # adjacent replacements are both kept; an insertion touching a kept span waits for a round
    assert sorted((c.fix.edits[0].start, c.fix.edits[0].end) for c in chosen) == [(0, 5), (5, 8), (10, 10)]


def test_apply_edits_refuses_overlaps():
    assert apply_edits("abcdef", [Edit(4, 6, "X"), Edit(0, 1, "Y")]) == "YbcdX"
    with pytest.raises(ValueError):
        apply_edits("abcdef", [Edit(0, 3, "X"), Edit(2, 4, "Y")])


def test_broken_output_keeps_input_and_names_the_rule():
    text = "FROM a\nRUN ok\n"
    outcome = fix_text(text, Settings(), rules=[Breaker(), Rewrite("zzz", "q")])
    assert outcome.output == text
    assert outcome.error is not None and outcome.error.codes == ("DO902",)
    assert "DO902" in str(outcome.error) and "unterminated heredoc" in str(outcome.error)


def test_buildkit_reparse_is_part_of_the_check(monkeypatch):
    from optimizer.engine import oracle

    monkeypatch.setattr(oracle, "buildkit_error", lambda text: "pretend BuildKit refused it")
    outcome = fix_text("FROM a\nRUN x\n", Settings(), rules=[Rewrite("x", "y")])
    assert not outcome.changed and "BuildKit: pretend" in str(outcome.error)


def test_buildkit_parses_the_output_once_and_a_refusal_finds_the_round(monkeypatch):
    from optimizer.engine import oracle

    asked: list[str] = []

    def only_refuses_z(text: str) -> str | None:
        asked.append(text)
        return "pretend BuildKit refused z" if "RUN z" in text else None

    monkeypatch.setattr(oracle, "buildkit_error", only_refuses_z)
    rules = [Rewrite("x", "y", code="DO901"), Rewrite("y", "w", code="DO903")]
    outcome = fix_text("FROM a\nRUN x\n", Settings(), rules=rules)
    assert outcome.output == "FROM a\nRUN w\n" and outcome.rounds == 2
    assert asked == ["FROM a\nRUN w\n"]  # the output, not each round's text
    asked.clear()
    assert fix_text("FROM a\nRUN q\n", Settings(), rules=rules).output == "FROM a\nRUN q\n"
    assert asked == []  # nothing changed: nothing to ask
    # The second round's output is refused: the run is done again asking BuildKit after every
    # round, which keeps the first round and names the rule of the second.
    rules = [Rewrite("x", "y", code="DO901"), Rewrite("y", "z", code="DO903")]
    outcome = fix_text("FROM a\nRUN x\n", Settings(), rules=rules)
    assert outcome.output == "FROM a\nRUN x\n" and outcome.error is not None
    assert outcome.error.codes == ("DO903",) and "BuildKit: pretend" in str(outcome.error)
    assert asked[:3] == ["FROM a\nRUN z\n", "FROM a\nRUN y\n", "FROM a\nRUN z\n"]


def test_non_convergence_is_an_error():
    flip = [Rewrite("p", "q", code="DO901"), Rewrite("q", "p", code="DO903")]
    outcome = fix_text("FROM a\nRUN p\n", Settings(max_rounds=5), rules=flip)
    assert not outcome.changed
    assert "did not converge after 5 rounds" in str(outcome.error)


def test_invalid_input_raises_parse_error():
    with pytest.raises(ParseError):
        fix_text("FROM a\nBOGUS x\n", Settings(), rules=[])


@pytest.mark.parametrize(
    ("text", "changed"),
    [
        ("FROM a\n# dockopt: ignore=DO901\nRUN x\n", False),
        ("FROM a\n# dockopt: ignore=DO9\nRUN x\n", False),
        ("FROM a\n# dockopt: ignore=test-rewrite\nRUN x\n", False),
        ("FROM a\n# dockopt: ignore\nRUN x\n", False),
        ("FROM a\n# dockopt: ignore=DO102\nRUN x\n", True),
        ("FROM a\n# dockopt: ignore=DO901\n\nRUN x\n", True),  # a blank line detaches the pragma
        ("# dockopt: ignore-file\nFROM a\nRUN x\n", False),
        ("# dockopt: ignore-file=DO901, DO102\nFROM a\nRUN x\n", False),
        ("FROM a\n# dockopt: ignore-file\nRUN x\n", True),  # only before the first instruction
    ],
)
def test_pragmas(text, changed):
    outcome = fix_text(text, Settings(), rules=[Rewrite("x", "y")])
    assert outcome.changed is changed


@pytest.mark.parametrize("rule", all_rules(), ids=lambda r: r.code)
def test_every_rule_documents_itself(rule):
    docs = rule.docs()
    for section in DOC_SECTIONS:
        assert f"## {section}" in docs, f"{rule.code} docs lack '## {section}'"
    assert docs.splitlines()[0].startswith(f"{rule.code} {rule.name}:")
    assert rule.summary and rule.safety in Applicability


def test_selectors():
    rule = next(r for r in all_rules() if r.code == "DO102")
    assert all(matches(rule, s) for s in ("ALL", "all", "DO102", "DO1", "DO", "add-to-copy", "do102"))
    assert not any(matches(rule, s) for s in ("DO101", "DO2", "uppercase-keywords"))
    assert Settings(select=("DO1",), ignore=("DO101",)).enabled(rule)
    assert not Settings(ignore=("add-to-copy",)).enabled(rule)
