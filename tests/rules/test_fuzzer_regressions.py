"""Regressions for the defect classes the mutation fuzzer found (issue 16, class 6) that live in rules."""

from __future__ import annotations

import pytest

from optimizer.core.config import Settings
from optimizer.engine import fix_text

HEREDOC_AND_APK = [
    "FROM alpine:3.19\nRUN cat <<EOF > /etc/motd && apk update && apk add curl\nhello\nEOF\n",
    "FROM alpine:3.19\nRUN cat <<EOF > /etc/motd && apk add curl\nhello\nEOF\n",
    "FROM alpine:3.19\nRUN <<EOF\napk update\napk add curl\nEOF\n",
]


@pytest.mark.parametrize("strategy", ["cleanup", "mounts"])
@pytest.mark.parametrize("text", HEREDOC_AND_APK)
def test_apk_rule_converges_when_a_heredoc_shares_the_run(text, strategy):
    """DO305 used to offer an empty deletion for `apk update` in a RUN whose heredoc is glued to its
    command line, and the engine applied it round after round until it gave up."""
    outcome = fix_text(text, Settings(cache_strategy=strategy, unsafe_fixes=True))
    assert outcome.error is None, outcome.error
    assert not fix_text(outcome.output, Settings(cache_strategy=strategy, unsafe_fixes=True)).changed
