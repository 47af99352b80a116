"""What a word means once the shell has removed its quotes, when that is known without running it.

Rules compare words against names (``apt-get``, ``--no-cache``, ``/var/lib/apt/lists/*``), and users
quote them freely (``"--no-cache"``, ``'apt-get'``, ``--opt="x y"``), so a word is resolved to its
value with quotes and escapes removed. Any expansion (``$VAR``, ``${…}``, ``$(…)``, ``$((…))``) makes
the value unknown (None): guessing would let a rule act on something the shell computes at build time.
Globs, braces and a leading tilde are kept as written and flagged, since the shell expands those too.
"""

from __future__ import annotations

import re
from typing import Any

from .model import Word

_DYNAMIC = frozenset(
    {
        "simple_expansion", "expansion", "command_substitution", "process_substitution",
        "arithmetic_expansion", "array", "ERROR",
    }
)  # fmt: skip
_VERBATIM = frozenset({"number", "variable_name", "test_operator", "file_descriptor", "heredoc_start"})
_GLOB_RE = re.compile(r"(?<!\\)(?:\\\\)*[*?\[]")
_BRACE_RE = re.compile(r"\{[^{}]*(?:,|\.\.)[^{}]*\}")
_DQ_ESCAPE_RE = re.compile(r"\\([$`\"\\\n])")
_WORD_ESCAPE_RE = re.compile(r"\\(\n|.)", re.DOTALL)
# \c\\ is one control character in bash (the escaped backslash is its argument)
_ANSI_RE = re.compile(
    r"\\(x[0-9a-fA-F]{1,2}|u[0-9a-fA-F]{1,4}|U[0-9a-fA-F]{1,8}|[0-7]{1,3}|c\\\\|c.|.)", re.DOTALL
)
_ANSI_SIMPLE = {
    "n": "\n", "t": "\t", "r": "\r", "a": "\a", "b": "\b", "f": "\f", "v": "\v", "e": "\x1b",
    "E": "\x1b", "\\": "\\", "'": "'", '"': '"', "?": "?",
}  # fmt: skip


def _maybe_pattern(text: str) -> bool:
    """An unquoted glob (``*``, ``?``, ``[`` not escaped) or brace expansion in ``text``."""
    if "*" not in text and "?" not in text and "[" not in text and "{" not in text:
        return False  # neither regex can match: the common case, without running them
    return bool(_GLOB_RE.search(text) or _BRACE_RE.search(text))


def _unescape_word(text: str) -> str:
    return _WORD_ESCAPE_RE.sub(lambda m: "" if m.group(1) == "\n" else m.group(1), text)


def _code_point(number: int) -> str:
    """The character ``\\u``/``\\U`` names; U+FFFD where there is none.

    Bash writes out-of-range numbers and surrogates as invalid UTF-8 (or nothing at all past
    0x7FFFFFFF). No file name or package matches such bytes, and a lone surrogate in a ``str``
    would fail when a message holding it is written, so they read as the replacement character.
    """
    if number > 0x10FFFF or 0xD800 <= number <= 0xDFFF:
        return "\ufffd"
    return chr(number)


def _ansi_c(body: str) -> str:
    def replace(match: re.Match[str]) -> str:
        code = match.group(1)
        if code in _ANSI_SIMPLE:
            return _ANSI_SIMPLE[code]
        if code[0] in "xuU" and len(code) > 1:  # a bare \x, \u or \U stays as written
            return _code_point(int(code[1:], 16))
        if code[0] == "c" and len(code) > 1:  # a bare \c at the end stays as written
            return chr(ord(code[1]) & 0x1F)
        if code[0] in "01234567":
            return chr(int(code, 8) & 0xFF)
        return "\\" + code

    return _ANSI_RE.sub(replace, body)


class WordReader:
    """Turns tree-sitter word nodes of one script into ``Word`` objects (str offsets, static values)."""

    def __init__(self, text: str, data: bytes) -> None:
        self.text = text
        self.data = data
        self._chars: list[int] | None = None if len(text) == len(data) else _char_offsets(text)

    def offset(self, byte_offset: int) -> int:
        """``str`` offset of a tree-sitter byte offset."""
        return byte_offset if self._chars is None else self._chars[byte_offset]

    def span(self, node: Any) -> tuple[int, int]:
        chars = self._chars
        if chars is None:  # ASCII text (the common case): byte offsets are str offsets
            return node.byte_range  # (start_byte, end_byte) in one call
        return chars[node.start_byte], chars[node.end_byte]

    def node_text(self, node: Any) -> str:
        start, end = self.span(node)
        return self.text[start:end]

    def word(self, nodes: Any) -> Word:
        """One word made of one node or several adjacent ones (``--opt="x"`` may come as two)."""
        if not isinstance(nodes, (list, tuple)):
            return self.node_word(nodes)
        if len(nodes) == 1:
            return self.node_word(nodes[0])
        start, end = nodes[0].start_byte, nodes[-1].end_byte
        chars = self._chars
        if chars is not None:
            start, end = chars[start], chars[end]
        return self._read(nodes, self.text[start:end], (start, end))

    def node_word(self, node: Any) -> Word:
        """``word`` of a single node: most words are one (callers that know it skip the checks)."""
        start, end = span = self.span(node)
        text = self.text[start:end]
        if node.type == "word" and node.is_named and not node.has_error:
            # The common case, read without the general walk: one unquoted word node.
            plain = _unescape_word(text) if "\\" in text else text
            # ``_maybe_pattern``'s own first test, done here: most words have none of these characters,
            # and the call costs more than the test.
            if "*" in text or "?" in text or "[" in text or "{" in text:
                return Word(text, plain, span, _maybe_pattern(text) or text.startswith("~"))
            return Word(text, plain, span, text.startswith("~"))
        return self._read((node,), text, span)

    def _read(self, nodes: Any, text: str, span: tuple[int, int]) -> Word:
        """The general case: each node's value (None for an expansion) laid end to end."""
        first = nodes[0]
        values: list[str] = []
        pattern = False
        dynamic = False
        for index, node in enumerate(nodes):
            if node.type == "$" and index + 1 < len(nodes) and nodes[index + 1].type == "string":
                continue  # $"…": a translated string reads as the string
            value, is_pattern = self._value(node, unquoted=True)
            if value is None:
                dynamic = True
            else:
                values.append(value)
            pattern = pattern or is_pattern
        if text.startswith("~") and first.type == "word":
            pattern = True
        return Word(text, None if dynamic else "".join(values), span, pattern)

    def _value(self, node: Any, unquoted: bool) -> tuple[str | None, bool]:
        kind = node.type
        if kind in _DYNAMIC or node.has_error:
            return None, False
        chars = self._chars
        if chars is None:
            text = self.text[node.start_byte : node.end_byte]
        else:
            text = self.text[chars[node.start_byte] : chars[node.end_byte]]
        if not node.is_named:  # a keyword (`export`) or punctuation the grammar keeps apart
            return text, False
        if kind == "word":
            pattern = _maybe_pattern(text) if unquoted else False
            return (_unescape_word(text) if "\\" in text else text), pattern
        if kind in _VERBATIM:
            return text, False
        if kind in ("extglob_pattern", "regex"):
            return text, True
        if kind == "raw_string":
            return text[1:-1], False
        if kind == "ansi_c_string":
            return _ansi_c(text[2:-1]), False
        if kind == "string_content":
            if "\\" not in text:
                return text, False
            return _DQ_ESCAPE_RE.sub(lambda m: "" if m.group(1) == "\n" else m.group(1), text), False
        if kind in ("string", "translated_string"):
            parts = []
            for child in node.named_children:
                value, _ = self._value(child, unquoted=False)
                if value is None:
                    return None, False
                parts.append(value)
            return "".join(parts), False
        if kind in ("concatenation", "brace_expression", "variable_assignment"):
            return self._joined(node, pattern=kind == "brace_expression")
        return None, False

    def _joined(self, node: Any, pattern: bool) -> tuple[str | None, bool]:
        """Children laid end to end; anonymous ones (``=``, ``{``, ``..``) count as literal text."""
        parts: list[str] = []
        cursor = node.start_byte
        for child in node.children:
            if child.start_byte != cursor:
                return None, False  # a gap the grammar skipped: do not guess
            cursor = child.end_byte
            if child.is_named:
                value, child_pattern = self._value(child, unquoted=True)
                if value is None:
                    return None, False
                pattern = pattern or child_pattern
                parts.append(value)
            else:
                parts.append(self.node_text(child))
        if cursor != node.end_byte:
            return None, False
        joined = "".join(parts)
        if node.type == "concatenation" and _BRACE_RE.search(self.node_text(node)):
            pattern = True
        return joined, pattern


def _char_offsets(text: str) -> list[int]:
    """For each UTF-8 byte offset of ``text`` (and the end), the ``str`` offset it falls in."""
    offsets: list[int] = []
    for index, char in enumerate(text):
        offsets.extend([index] * len(char.encode("utf-8", "surrogatepass")))
    offsets.append(len(text))
    return offsets
