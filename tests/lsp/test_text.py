"""Offsets ↔ client positions in each encoding, and minimal edits (pure functions, no server)."""

from __future__ import annotations

import pytest
from lsprotocol import types

from optimizer.lsp.text import UTF8, UTF16, UTF32, LineIndex, apply, changes, trim

TEXT = 'FROM a\r\nLABEL x="😋é"\rRUN b\nCOPY . .'


@pytest.mark.parametrize(
    ("encoding", "character"),
    [(UTF8, 15), (UTF16, 12), (UTF32, 11)],  # the closing quote on line 1: 😋 is 4/2/1 units, é 2/1/1
)
def test_positions_in_each_encoding_round_trip(encoding, character):
    index = LineIndex(TEXT, encoding)
    quote = TEXT.index('"', TEXT.index('"') + 1)
    assert index.position(quote) == types.Position(line=1, character=character)
    assert index.offset(types.Position(line=1, character=character)) == quote
    # \r\n, a lone \r and \n all end lines; an offset inside \r\n is the end of its line.
    assert index.position(TEXT.index("RUN")) == types.Position(line=2, character=0)
    assert index.position(TEXT.index("COPY")) == types.Position(line=3, character=0)
    assert index.position(TEXT.index("\n")) == types.Position(line=0, character=6)
    assert index.offset(types.Position(line=9, character=0)) == len(TEXT)


def test_changes_are_minimal_and_apply_to_the_new_text():
    old = "FROM a\nrun x\nRUN y\nLABEL z=1\nadd a /a\n"
    new = "FROM a\nRUN x && \\\n    y\nLABEL z=1\nCOPY a /a\n"
    found = changes(old, new)
    assert apply(old, found) == new
    assert [(old[c.start : c.end], c.text) for c in found] == [
        ("run x\nRUN", "RUN x && \\\n   "),
        ("add", "COPY"),
    ]
    assert changes(old, old) == []


def test_trim_never_splits_a_crlf():
    old = "a\r\nb"
    change = trim(old, 0, 4, "a\r\r\nb")  # an inserted \r before the line break
    # Trimming alone would give the empty span (2, 2), between \r and \n: no position names it.
    assert (change.start, change.end, change.text) == (1, 3, "\r\r\n")
    assert apply(old, [change]) == "a\r\r\nb"
