"""BuildKit's line limit (issue 16, class 6): a physical line over 65,535 bytes fails its parse.

BuildKit reads the file with a ``bufio.Scanner`` of the default 64 KiB token size, so a line whose
bytes (line feed excluded; a CR, and on the first line a BOM, included) exceed 65,535 makes it fail
with "dockerfile line greater than max allowed size of 65535". Such an input is refused with
``path:line:col``; a fix that would push a line past the limit is withheld, the others applied.
"""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from optimizer.core.config import Settings
from optimizer.engine import fix_text
from optimizer.engine.oracle import buildkit_error
from optimizer.rules.base import Applicability, Edit, Facts, Finding, Rule
from optimizer.syntax import parse
from optimizer.syntax.errors import MAX_LINE_BYTES, LineTooLong

DOCKOPT = Path(sys.executable).parent / "dockopt"


def _run_line(size: int, char: str = "x") -> str:
    """``RUN echo xxx…`` of exactly ``size`` UTF-8 bytes (``char`` is 1 or 2 bytes)."""
    head = "RUN echo "
    width = len(char.encode())
    count, rest = divmod(size - len(head), width)
    return head + char * count + "y" * rest


CASES = [
    pytest.param(lambda n: f"FROM a\n{_run_line(n)}\n", 2, id="lf"),
    pytest.param(lambda n: f"FROM a\n{_run_line(n - 1)}\r\n", 2, id="crlf-counts-the-cr"),
    pytest.param(lambda n: f"FROM a\n{_run_line(n)}", 2, id="no-final-newline"),
    pytest.param(lambda n: f"FROM a\n{_run_line(n, 'é')}\n", 2, id="two-byte-characters"),
    pytest.param(lambda n: f"\ufeff# {'c' * (n - 5)}\nFROM a\n", 1, id="bom-counts-on-line-1"),
    pytest.param(lambda n: f"FROM a\n# {'c' * (n - 2)}\nRUN true\n", 2, id="comment-line"),
    pytest.param(lambda n: f"FROM a\nRUN cat <<EOF\n{'h' * n}\nEOF\n", 3, id="heredoc-body"),
    pytest.param(lambda n: f"FROM a\nRUN true \\\n  {'w' * (n - 2)}\n", 3, id="continuation-line"),
]


@pytest.mark.parametrize(("make", "line"), CASES)
def test_the_limit_is_buildkits(make, line):
    at_limit, over = make(MAX_LINE_BYTES), make(MAX_LINE_BYTES + 1)
    assert parse(at_limit).errors == []
    assert buildkit_error(at_limit) is None
    errors = parse(over).errors
    assert [type(e) for e in errors] == [LineTooLong]
    assert (errors[0].line, errors[0].column) == (line, 1)
    assert errors[0].message == (
        f"line is {MAX_LINE_BYTES + 1} bytes long; BuildKit refuses lines longer than {MAX_LINE_BYTES} bytes"
    )
    # "dockerfile line greater than max allowed size of 65535" (in a heredoc body, BuildKit's
    # reader stops there and reports the heredoc as unterminated)
    assert buildkit_error(over) is not None


def test_a_long_line_is_refused_through_the_cli(tmp_path):
    target = tmp_path / "Dockerfile"
    target.write_bytes(f"FROM alpine\nRUN apt-get update\n{_run_line(70_000)}\n".encode())
    os.utime(target, ns=(1_000_000_000, 1_000_000_000))
    before = (target.read_bytes(), target.stat().st_mtime_ns)
    proc = subprocess.run([str(DOCKOPT), "--write", str(target)], capture_output=True, timeout=60)
    lines = proc.stderr.decode().splitlines()
    assert proc.returncode == 2
    assert lines == [
        f"{target}:3:1: line is 70000 bytes long; BuildKit refuses lines longer than 65535 bytes"
    ]
    assert proc.stdout == b""
    assert (target.read_bytes(), target.stat().st_mtime_ns) == before


class Grow(Rule):
    """Replaces ``old`` with ``new`` in RUN lines: lengthens the line by the difference."""

    code, name, summary, safety = "DO905", "test-grow", "test", Applicability.SAFE

    def __init__(self, old: str, new: str, code: str = "DO905") -> None:
        self.old, self.new, self.code = old, new, code

    def check(self, ctx: Facts) -> Iterator[Finding]:
        for ins in ctx.tree.instructions:
            start = ctx.text.find(self.old, ins.start, ins.end)
            if ins.name == "RUN" and start >= 0:
                yield self.finding(
                    ctx, ins, f"grow {self.old}", [Edit(start, start + len(self.old), self.new)]
                )


def _near_limit(slack: int) -> str:
    """A file whose third line is ``slack`` bytes short of the limit and holds ``aaa`` and ``bbb``."""
    return "FROM a\nRUN ccc\n" + _run_line(MAX_LINE_BYTES - slack - 8) + " aaa bbb\n"


def test_a_fix_past_the_limit_is_withheld_and_the_others_applied():
    text = _near_limit(slack=2)
    outcome = fix_text(text, Settings(), rules=[Grow("aaa", "aaaaaa"), Grow("ccc", "ddd", code="DO906")])
    assert outcome.error is None
    assert outcome.output == text.replace("ccc", "ddd")
    assert [f.code for f in outcome.applied] == ["DO906"]
    [held] = outcome.remaining
    assert held.code == "DO905" and held.fix is None
    assert (
        held.message
        == "grow aaa (fix not applied: it would make line 3 longer than BuildKit's limit of 65535 bytes)"
    )
    assert buildkit_error(outcome.output) is None


def test_fixes_too_long_only_together_are_applied_one_by_one():
    """Each fix alone fits; both do not: the first applies, the second is then withheld."""
    text = _near_limit(slack=5)
    outcome = fix_text(text, Settings(), rules=[Grow("aaa", "AAAAAA"), Grow("bbb", "BBBBBB", code="DO906")])
    assert outcome.error is None
    assert outcome.output == text.replace("aaa", "AAAAAA")
    assert max(len(line.encode()) for line in outcome.output.split("\n")) == MAX_LINE_BYTES - 2
    assert [(f.code, f.fix) for f in outcome.remaining] == [("DO906", None)]
    assert "longer than BuildKit's limit" in outcome.remaining[0].message


def test_a_real_rule_is_withheld_at_the_limit():
    """DO307 adds ``--no-cache-dir`` to pip; on a line near the limit it must decline, not fail."""
    pad = "x" * (MAX_LINE_BYTES - len("RUN pip install six && echo ") - 5)
    text = f"FROM python:3.12\nRUN pip install six && echo {pad}\nRUN apt-get update\nRUN apt-get install -y curl\n"
    outcome = fix_text(text, Settings(select=("ALL",)))
    assert outcome.error is None
    assert buildkit_error(outcome.output) is None
    assert outcome.output.split("\n")[1] == text.split("\n")[1], "the long line is left as it was"
    held = [f for f in outcome.remaining if "longer than BuildKit's limit" in f.message]
    assert held and all(f.fix is None for f in held)
    assert outcome.applied, "the fixes elsewhere in the file still apply"
