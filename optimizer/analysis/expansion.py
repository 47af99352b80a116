"""Variable expansion of Dockerfile words, keeping track of what we cannot know.

Why: a COPY destination, a WORKDIR or a source path may use ``$VAR``. BuildKit expands them with
its own small shell lexer (``frontend/dockerfile/shell``) against the stage's ENV and ARGs. We do
the same, with one difference that matters for a rewriting tool: a variable whose value we cannot
know (set by the base image, an ARG without default, a platform ARG) is not replaced by a guess
— the whole word becomes *unknown* and says which names made it so. A value that comes from an
ARG default is known but remembers the ARG, because ``--build-arg`` can change it.

Supported: ``$NAME``, ``${NAME}``, ``${NAME:-w}``, ``${NAME-w}``, ``${NAME:+w}``, ``${NAME+w}``,
``${NAME:?w}``, ``${NAME?w}``, single quotes (literal), double quotes (expansion, escapes of
``"``, ``$`` and the escape character), and the escape character (``\\`` or the ``# escape=``
one). Pattern operators (``${x#p}``, ``${x%p}``, ``${x/p/r}``) make the word unknown.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass

__all__ = ["Expansion", "Lookup", "expand", "known"]


@dataclass(frozen=True)
class Expansion:
    """A word after expansion: ``text`` is None when any part of it could not be resolved."""

    text: str | None
    unknown: tuple[str, ...] = ()  # what made it unknown: variable names, or a reason
    args: tuple[str, ...] = ()  # build ARGs the value depends on (a --build-arg may change it)

    @property
    def known(self) -> bool:
        return self.text is not None

    def __str__(self) -> str:
        return self.text if self.text is not None else "<unknown: " + ", ".join(self.unknown) + ">"


def known(text: str) -> Expansion:
    return Expansion(text)


# A lookup answers for one variable name: its Expansion, or None when it is certainly unset.
Lookup = Callable[[str], "Expansion | None"]


class _Unknown(Exception):
    pass


def expand(word: str, lookup: Lookup, escape: str = "\\") -> Expansion:
    """Expand ``word`` the way BuildKit's ``ProcessWord`` does, quotes removed."""
    if "$" not in word and "'" not in word and '"' not in word and escape not in word:
        return Expansion(word)  # nothing to expand or remove: the common case, without the lexer
    lexer = _Lexer(word, lookup, escape)
    try:
        text = lexer.run()
    except _Unknown as exc:
        lexer.unknown.append(str(exc))
        text = None
    unknown = tuple(dict.fromkeys(lexer.unknown))
    return Expansion(None if unknown else text, unknown, tuple(dict.fromkeys(lexer.args)))


_PLAIN: dict[tuple[str, str], re.Pattern[str]] = {}


def _plain(escape: str, stop: str) -> re.Pattern[str]:
    """Characters ``_Lexer.run`` copies as they are: no quote, ``$``, escape or ``stop``."""
    pattern = _PLAIN.get((escape, stop))
    if pattern is None:
        pattern = _PLAIN[(escape, stop)] = re.compile("[^'\"$" + re.escape(escape + stop) + "]+")
    return pattern


class _Lexer:
    def __init__(self, word: str, lookup: Lookup, escape: str) -> None:
        self.word = word
        self.pos = 0
        self.lookup = lookup
        self.escape = escape
        self.unknown: list[str] = []
        self.args: list[str] = []

    def peek(self) -> str:
        return self.word[self.pos] if self.pos < len(self.word) else ""

    def next(self) -> str:
        ch = self.peek()
        self.pos += 1
        return ch

    def run(self, stop: str = "") -> str:
        out: list[str] = []
        while self.pos < len(self.word):
            ch = self.peek()
            if stop and ch == stop:
                break
            if ch == "'":
                out.append(self.single_quoted())
            elif ch == '"':
                out.append(self.double_quoted())
            elif ch == "$":
                out.append(self.dollar())
            elif ch == self.escape:
                self.next()
                if self.pos < len(self.word):
                    out.append(self.next())
            else:  # a run of ordinary characters, taken at once
                end = _plain(self.escape, stop).match(self.word, self.pos).end()  # type: ignore[union-attr]
                out.append(self.word[self.pos : end])
                self.pos = end
        return "".join(out)

    def single_quoted(self) -> str:
        self.next()
        end = self.word.find("'", self.pos)
        if end < 0:
            raise _Unknown("unterminated single quote")
        text = self.word[self.pos : end]
        self.pos = end + 1
        return text

    def double_quoted(self) -> str:
        self.next()
        out: list[str] = []
        while True:
            if self.pos >= len(self.word):
                raise _Unknown("unterminated double quote")
            ch = self.peek()
            if ch == '"':
                self.next()
                return "".join(out)
            if ch == "$":
                out.append(self.dollar())
                continue
            self.next()
            if ch == self.escape:
                following = self.peek()
                if following == "":
                    continue
                if following in ('"', "$", self.escape):
                    ch = self.next()
            out.append(ch)

    def name(self) -> str:
        start = self.pos
        if self.peek().isdigit():
            while self.peek().isdigit():
                self.next()
            return self.word[start : self.pos]
        while self.peek() and (self.peek().isalnum() or self.peek() == "_"):
            self.next()
        return self.word[start : self.pos]

    def value(self, name: str) -> str | None:
        """The variable's text, None when unset; records unknown names and ARG dependencies."""
        result = self.lookup(name)
        if result is None:
            return None
        self.args.extend(result.args)
        if result.text is None:
            self.unknown.extend(result.unknown or (name,))
            return ""
        return result.text

    def dollar(self) -> str:
        self.next()
        if self.peek() != "{":
            name = self.name()
            if not name:
                return "$"
            return self.value(name) or ""
        self.next()
        name = self.name()
        if not name:
            raise _Unknown("unsupported ${...} expansion")
        ch = self.next()
        if ch == "}":
            return self.value(name) or ""
        colon = ch == ":"
        if colon:
            ch = self.next()
        if ch not in ("-", "+", "?"):
            raise _Unknown(f"unsupported ${{{name}{':' if colon else ''}{ch}...}} expansion")
        before = len(self.unknown)
        value = self.value(name)
        name_unknown = len(self.unknown) > before
        mark = (len(self.unknown), len(self.args))
        word = self.run(stop="}")
        if self.next() != "}":
            raise _Unknown("unterminated ${")
        if name_unknown:
            return ""  # the whole word is unknown already; the default's names were recorded too
        empty = value is None or (colon and value == "")
        use_word = empty if ch in ("-", "?") else not empty
        if not use_word:  # the alternative word was not used: its variables do not matter
            del self.unknown[mark[0] :]
            del self.args[mark[1] :]
        if ch == "-":
            return word if empty else (value or "")
        if ch == "+":
            return "" if empty else word
        if empty:
            raise _Unknown(f"{name}: {word or 'parameter not set'}")
        return value or ""
