"""DO201 over the whole corpus: outputs re-parse with BuildKit, are idempotent, merged scripts parse
with tree-sitter-bash; and the counts the issue asks for (files, pairs merged, pairs declined by reason)."""

from __future__ import annotations

from collections import Counter

import pytest
from oracle import CORPUS, corpus_files

from optimizer.core.config import Settings
from optimizer.engine import fix_text
from optimizer.engine.oracle import buildkit_error
from optimizer.rules.base import Facts
from optimizer.rules.layers.merge_runs import consecutive_runs, groups, plans
from optimizer.shell import run_analysis
from optimizer.syntax import parse

SETTINGS = Settings(select=("DO201",))
FILES = [p for p in corpus_files() if not parse(p.read_bytes().decode()).errors]


def _merged_runs_parse(text: str) -> None:
    tree = parse(text)
    for ins in tree.instructions:
        if ins.name == "RUN" and not ins.json and not ins.heredocs and ins.parent is None:
            analysis = run_analysis(tree, ins)
            assert analysis.script is not None or analysis.reason in ("windows-stage", "non-posix-shell"), (
                ins.line,
                analysis.reason,
                analysis.detail,
            )


@pytest.mark.parametrize("path", FILES, ids=[str(p.parent.relative_to(CORPUS)) for p in FILES])
def test_merge_runs_on_corpus(path):
    text = path.read_bytes().decode()
    outcome = fix_text(text, SETTINGS, path=path)
    assert outcome.error is None, outcome.error
    if outcome.changed:
        assert buildkit_error(outcome.output) is None
        _merged_runs_parse(outcome.output)
        again = fix_text(outcome.output, SETTINGS, path=path)
        assert not again.changed


def test_corpus_counts(capsys):
    """The numbers reported in the issue's closing note; asserts they stay sane."""
    files_changed = pairs_merged = 0
    declined: Counter[str] = Counter()
    for path in FILES:
        text = path.read_bytes().decode()
        tree = parse(text)
        ctx = Facts(tree=tree, text=text, settings=SETTINGS)
        changed = False
        for runs in consecutive_runs(ctx):
            merged, kept_apart = groups(ctx, runs)
            for group in merged:
                made, refused = plans(ctx, group)
                declined.update(d.reason for d in refused)
                pairs_merged += sum(len(plan.chain) - 1 for plan in made)
                changed = changed or bool(made)
            declined.update(reason for _, _, reason in kept_apart)
        files_changed += changed
    with capsys.disabled():
        print(f"\nDO201 corpus: {len(FILES)} files, {files_changed} changed, {pairs_merged} pairs merged")
        for reason, count in declined.most_common():
            print(f"  declined {reason}: {count}")
    assert files_changed > 20 and pairs_merged > 50
    assert "merged-script-unparseable" not in declined
