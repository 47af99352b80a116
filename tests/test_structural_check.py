"""The engine's structural check (issue 16, class 6): no instruction may vanish into another.

BuildKit's re-parse proves the output is a Dockerfile, not that it is the intended one: a COPY moved
below ``RUN npm i\\`` at the end of the file parses — as part of that RUN. Every instruction no
applied edit touched must stay, in order, read the same; a fix that breaks that is withheld (the
others apply) and reported without a fix.
"""

from __future__ import annotations

from collections.abc import Iterator

import dockerfile

from optimizer.core.config import Settings
from optimizer.engine import fix_text
from optimizer.engine.oracle import buildkit_error
from optimizer.engine.structure import shift, structural_problem, touched
from optimizer.rules.base import Applicability, Edit, Facts, Finding, Rule
from optimizer.syntax import parse


class MoveFirstCopyToEnd(Rule):
    """Moves the first COPY to the end of the file, as DO402 moves ``COPY . .`` down."""

    code, name, summary, safety = "DO907", "test-move-copy", "test", Applicability.SAFE

    def check(self, ctx: Facts) -> Iterator[Finding]:
        copies = [i for i in ctx.tree.instructions if i.name == "COPY"]
        last = ctx.tree.instructions[-1]
        if copies and copies[0] is not last:
            copy = copies[0]
            body = copy.text if copy.text.endswith("\n") else copy.text + "\n"
            edits = [Edit.delete(copy.start, copy.end), Edit.insert(len(ctx.text), body)]
            yield self.finding(ctx, copy, "move COPY to the end", edits)


class Rewrite(Rule):
    code, name, summary, safety = "DO908", "test-rewrite-x", "test", Applicability.SAFE

    def check(self, ctx: Facts) -> Iterator[Finding]:
        for ins in ctx.tree.instructions:
            start = ctx.text.find("xx", ins.start, ins.end)
            if ins.name == "RUN" and start >= 0:
                yield self.finding(ctx, ins, "xx -> yy", [Edit(start, start + 2, "yy")])


def test_touched_and_shift():
    tree = parse("FROM a\nRUN b\nRUN c\n")
    run_b = tree.instructions[1]  # [7, 13)
    assert touched(run_b, [Edit(8, 9, "X")])
    assert touched(run_b, [Edit.insert(10, "X")])  # strictly inside
    assert not touched(run_b, [Edit.insert(7, "X")])  # at its start: goes before it
    assert not touched(run_b, [Edit.insert(13, "X")])  # at its end: goes after it
    assert not touched(run_b, [Edit(0, 7, "")])  # ends where it starts
    assert touched(run_b, [Edit(12, 14, "")])
    assert shift(13, [Edit(0, 7, ""), Edit.insert(13, "RUN z\n")]) == 12  # the insertion goes before
    assert shift(7, [Edit.insert(7, "AB"), Edit(8, 9, "")]) == 9


def test_swallowed_instruction_is_a_structural_problem():
    before = parse("FROM a\nCOPY . .\nRUN npm i\\")
    edits = [Edit.delete(7, 16), Edit.insert(26, "\nCOPY . .\n")]
    after_text = "FROM a\nRUN npm i\\\nCOPY . .\n"
    after = parse(after_text)
    assert after.errors == [] and buildkit_error(after_text) is None  # the re-parse alone passes
    assert [c.cmd for c in dockerfile.parse_string(after_text)] == ["FROM", "RUN"]  # one instruction fewer
    assert structural_problem(before, edits, after) == "the RUN of line 3 now runs on into the text after it"


def test_escape_change_is_a_structural_problem():
    before = parse("FROM a\nRUN a \\\n b\n")
    edits = [Edit.insert(0, "# escape=`\n")]
    after = parse("# escape=`\nFROM a\nRUN a \\\n b\n")
    assert structural_problem(before, edits, after) is not None


def test_a_good_move_passes():
    before = parse("FROM a\nCOPY . .\nRUN npm i\n")
    edits = [Edit.delete(7, 16), Edit.insert(26, "COPY . .\n")]
    assert structural_problem(before, edits, parse("FROM a\nRUN npm i\nCOPY . .\n")) is None


def test_the_swallowing_fix_is_withheld_and_the_others_applied():
    text = "FROM a\nCOPY . .\nRUN xx\nRUN npm i\\"
    outcome = fix_text(text, Settings(), rules=[MoveFirstCopyToEnd(), Rewrite()])
    assert outcome.error is None
    assert outcome.output == "FROM a\nCOPY . .\nRUN yy\nRUN npm i\\"
    assert [f.code for f in outcome.applied] == ["DO908"]
    [held] = outcome.remaining
    assert held.code == "DO907" and held.fix is None
    assert held.message == (
        "move COPY to the end (fix not applied: it would change another instruction: "
        "the RUN of line 4 now runs on into the text after it)"
    )


def test_the_same_move_applies_when_nothing_dangles():
    outcome = fix_text("FROM a\nCOPY . .\nRUN npm i\n", Settings(), rules=[MoveFirstCopyToEnd()])
    assert outcome.output == "FROM a\nRUN npm i\nCOPY . .\n"
    assert outcome.remaining == []


def _do402(tmp_path, text: str, unsafe: bool = False):
    (tmp_path / "main.py").write_text("print(1)\n")
    settings = Settings(select=("ALL",), unsafe_fixes=unsafe)
    return fix_text(text, settings, path=tmp_path / "Dockerfile", context_dir=tmp_path)


def test_do402_below_a_dangling_continuation_is_caught(tmp_path):
    """The fuzzer's case with the real rule: DO402 moves ``COPY . .`` below the final RUN, which
    ends in a continuation; without the check the COPY becomes words of the RUN."""
    for text in (
        "FROM python:3.12\nWORKDIR /app\nCOPY . .\nRUN pip install six\\",
        "FROM python:3.12\nWORKDIR /app\nCOPY . .\nRUN pip install six\\\n",
    ):
        for unsafe in (False, True):
            outcome = _do402(tmp_path, text, unsafe)
            assert outcome.error is None
            commands = dockerfile.parse_string(outcome.output)
            assert [c.cmd for c in commands] == ["FROM", "WORKDIR", "COPY", "RUN"], outcome.output
            assert "COPY" not in commands[-1].value[0]
            assert "DO402" not in [f.code for f in outcome.applied]
            held = [f for f in outcome.remaining if f.code == "DO402"]
            assert held, "DO402 still reports the COPY (it cannot move it safely)"
            assert all(f.fix is None and "runs on into the text after it" in f.message for f in held)


def test_do402_control_without_the_dangling_continuation(tmp_path):
    outcome = _do402(tmp_path, "FROM python:3.12\nWORKDIR /app\nCOPY . .\nRUN pip install six\n")
    assert "DO402" in [f.code for f in outcome.applied], "the case above must be DO402's move"
    assert [c.cmd for c in dockerfile.parse_string(outcome.output)] == ["FROM", "WORKDIR", "RUN", "COPY"]
