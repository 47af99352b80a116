"""Work grows with the file, not with its square: a file under the size limit must not hang the CLI."""

from __future__ import annotations

from .conftest import write


def _conflict_checks(pairs: int, monkeypatch) -> int:
    """How many span comparisons choosing the fixes takes: a count, not a time, so load cannot
    make the test flaky (timings belong in bench/)."""
    from optimizer.core.config import Settings
    from optimizer.engine import edits, fix_text

    calls = 0
    original = edits._conflicts

    def counting(edit, span):
        nonlocal calls
        calls += 1
        return original(edit, span)

    monkeypatch.setattr(edits, "_conflicts", counting)
    text = "from a\n" + "run echo hi\nlabel a=b\n" * pairs  # 2 * pairs DO101 fixes, nothing to merge
    outcome = fix_text(text, Settings(select=("DO101",)))
    assert outcome.error is None and len(outcome.applied) == 2 * pairs + 1
    return calls


def test_fix_selection_scales_linearly(monkeypatch):
    small, large = _conflict_checks(1000, monkeypatch), _conflict_checks(4000, monkeypatch)
    # Four times the fixes: linear work is ~4x the comparisons, quadratic ~16x.
    assert large < 5 * small, f"{small} comparisons for 2,000 fixes, {large} for 8,000"


def test_many_instructions_through_the_cli(dockopt, tmp_path):
    """A long file (no merging possible) is processed, written and then stable."""
    write(tmp_path / "Dockerfile", "from a\n" + "run echo hi\nlabel a=b\n" * 300)
    result = dockopt("--write", "--select", "DO101", "Dockerfile")
    assert result.code == 0, result.stderr
    assert (tmp_path / "Dockerfile").read_text() == "FROM a\n" + "RUN echo hi\nLABEL a=b\n" * 300
