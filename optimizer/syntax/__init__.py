"""Lossless Dockerfile syntax: ``parse(text)`` gives a tree whose ``print()`` is ``text`` again."""

from .errors import ParseError
from .nodes import (
    FROM_AS,
    Blank,
    Comment,
    Directive,
    Dockerfile,
    Flag,
    Heredoc,
    Instruction,
    Node,
    SourceMap,
    Stage,
)
from .parser import KNOWN_INSTRUCTIONS, parse

__all__ = [
    "FROM_AS",
    "KNOWN_INSTRUCTIONS",
    "Blank",
    "Comment",
    "Directive",
    "Dockerfile",
    "Flag",
    "Heredoc",
    "Instruction",
    "Node",
    "ParseError",
    "SourceMap",
    "Stage",
    "parse",
]
