"""Continuation text in the file's own style."""

from __future__ import annotations

import pytest

from optimizer.shell import ContinuationStyle, continuation, detect_style
from optimizer.shell.style import LEADING, TRAILING
from optimizer.syntax import parse


@pytest.mark.parametrize(
    ("escape", "indent", "newline", "expected"),
    [
        pytest.param("\\", 4, "\n", " \\\n    ", id="backslash"),
        pytest.param("`", 4, "\n", " `\n    ", id="backtick"),
        pytest.param("\\", "\t", "\n", " \\\n\t", id="tab"),
        pytest.param("\\", 2, "\r\n", " \\\r\n  ", id="crlf"),
    ],
)
def test_continuation(escape, indent, newline, expected):
    assert continuation(escape, indent, newline) == expected


TRAILING_FILE = """FROM debian
RUN apt-get update && \\
    apt-get install -y \\
        curl \\
        git && \\
    rm -rf /var/lib/apt/lists/*
"""
LEADING_FILE = """FROM debian
RUN apt-get update \\
  && apt-get install -y curl \\
  # a comment inside
  && rm -rf /var/lib/apt/lists/*
"""
SEMICOLON_FILE = """FROM debian
RUN set -eux; \\
\tapt-get update; \\
\tapt-get install -y curl; \\
\trm -rf /var/lib/apt/lists/*
"""
BACKTICK_FILE = """# escape=`
FROM mcr.microsoft.com/windows/servercore
RUN a && `
    b
"""


@pytest.mark.parametrize(
    ("text", "position", "indent", "separator", "escape"),
    [
        pytest.param(TRAILING_FILE, TRAILING, "    ", "&&", "\\", id="trailing"),
        pytest.param(LEADING_FILE, LEADING, "  ", "&&", "\\", id="leading"),
        pytest.param(SEMICOLON_FILE, TRAILING, "\t", ";", "\\", id="semicolons-tabs"),
        pytest.param(BACKTICK_FILE, TRAILING, "    ", "&&", "`", id="backtick"),
        pytest.param("FROM x\nRUN a\n", TRAILING, "    ", "&&", "\\", id="default"),
    ],
)
def test_detect_style(text, position, indent, separator, escape):
    style = detect_style(parse(text))
    assert (style.operator_position, style.indent, style.separator, style.escape) == (
        position, indent, separator, escape
    )  # fmt: skip


def test_detect_style_of_one_run_falls_back_to_file():
    tree = parse(LEADING_FILE + "RUN echo one-line\n")
    one_line = tree.instructions[-1]
    assert detect_style(tree, one_line) == detect_style(tree)


@pytest.mark.parametrize(
    ("style", "expected"),
    [
        pytest.param(ContinuationStyle(), "a && \\\n    b && \\\n    c", id="trailing"),
        pytest.param(ContinuationStyle(LEADING, "  "), "a \\\n  && b \\\n  && c", id="leading"),
        pytest.param(ContinuationStyle(TRAILING, "\t", ";"), "a; \\\n\tb; \\\n\tc", id="semicolons"),
        pytest.param(
            ContinuationStyle(escape="`", newline="\r\n"), "a && `\r\n    b && `\r\n    c", id="backtick-crlf"
        ),
    ],
)
def test_join(style, expected):
    assert style.join(["a", "b", "c"]) == expected
