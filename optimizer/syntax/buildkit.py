"""Ports of the small string routines BuildKit's Dockerfile parser is made of.

Each function mirrors one in moby/buildkit ``frontend/dockerfile/parser`` (named in its docstring) so
that our tree agrees with the parser Docker itself runs. They work on the *logical* line, the text
BuildKit sees after joining continuation lines. The oracle tests compare the results with the Go
parser on every corpus file; keep them faithful rather than clever.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass

# Go's unicode.IsSpace: Latin-1 spaces plus the Unicode White_Space property (category Z and friends).
_GO_SPACES = frozenset(
    "\t\n\v\f\r \x85\xa0\u1680\u2000\u2001\u2002\u2003\u2004\u2005\u2006\u2007\u2008\u2009"
    "\u200a\u2028\u2029\u202f\u205f\u3000"
)
# parser.go reWhitespace: what FROM/EXPOSE arguments and the keyword are split on.
WHITESPACE_RE = re.compile(r"[\t\v\f\r ]+")
HEREDOC_WORD_RE = re.compile(r"^(\d*)<<(-?)([^<]*)$")
DIRECTIVE_RE = re.compile(r"^#\s*([a-zA-Z][a-zA-Z0-9]*)\s*=\s*(.+?)\s*$")
KNOWN_DIRECTIVES = ("syntax", "escape", "check")

HEREDOC_KEYWORDS = frozenset({"RUN", "COPY", "ADD"})


def is_space(ch: str) -> bool:
    return ch in _GO_SPACES


GO_SPACE_CHARS = "".join(sorted(_GO_SPACES))
_GO_SPACE_RUN_RE = re.compile("[" + "".join(re.escape(ch) for ch in GO_SPACE_CHARS) + "]+")


def trim_left(s: str) -> str:
    """``strings.TrimLeftFunc(s, unicode.IsSpace)``."""
    return s.lstrip(GO_SPACE_CHARS)


def trim_space(s: str) -> str:
    """``strings.TrimSpace``."""
    return s.strip(GO_SPACE_CHARS)


def trim_newline(s: str) -> str:
    """``bytes.TrimRight(src, "\\r\\n")``."""
    return s.rstrip("\r\n")


def is_comment_line(raw: str) -> bool:
    """parser.go ``isComment``: the line, left-trimmed, starts with ``#``."""
    return trim_left(trim_newline(raw)).startswith("#")


def continuation_re(escape: str) -> re.Pattern[str]:
    r"""A line continues when it ends in the escape character (blanks after it allowed), unless
    that character is itself escaped: ``a\\`` ends the line; ``a\`` and a lone ``\`` continue."""
    e = re.escape(escape)
    return re.compile(rf"(?<!{e}){e}[ \t]*$")


class ArgumentError(ValueError):
    """Arguments BuildKit's parser rejects (``ENV PATH`` without a value, nested JSON, ...)."""


class NotStringArrayError(ArgumentError):
    """``errDockerfileNotStringArray``: valid JSON, but not a list of strings."""


def _reject_constant(name: str) -> object:
    # Go's encoding/json rejects NaN/Infinity; Python accepts them unless told otherwise.
    raise ValueError(name)


_JSON = json.JSONDecoder(parse_constant=_reject_constant)  # stateless: one for every call


def parse_json_array(rest: str) -> list[str] | None:
    """parser.go ``parseJSON``: a JSON list of strings, or None when ``rest`` is not JSON at all.

    Raises NotStringArrayError for valid JSON that is not a flat list of strings, which BuildKit
    rejects outright (``CMD ["a", ["b"]]``).
    """
    rest = trim_left(rest)
    if not rest.startswith("["):
        return None
    try:
        # json.Decoder in Go reads the first value and ignores what follows it, and so do we.
        data, _ = _JSON.raw_decode(rest)
    except (ValueError, RecursionError):
        return None
    if not isinstance(data, list):
        return None
    if not all(isinstance(item, str) for item in data):
        raise NotStringArrayError("when using JSON array syntax, arrays must be comprised of strings only")
    return data


# What BuildKit's byte-wise flag scan takes for a blank: an ASCII space, or one of the two bytes
# (0x85, 0xA0) that ``unicode.IsSpace(rune(b))`` accepts, which occur inside UTF-8 characters.
_BYTE_SPACES = frozenset("\t\n\v\f\r ")
_SPACE_BYTES = (0x85, 0xA0)


class FlagBytesSplit(ArgumentError):
    """A character of a flag word holds a byte BuildKit's byte-wise scan takes for a blank."""

    def __init__(self, char: str, offset: int) -> None:
        super().__init__(
            f"BuildKit splits the builder flag inside the character {char!r} (U+{ord(char):04X}): "
            "its UTF-8 bytes hold one it reads as a blank"
        )
        self.offset = offset


def _splits_bytewise(ch: str) -> bool:
    return not ch.isascii() and any(b in _SPACE_BYTES for b in ch.encode("utf-8", "surrogatepass"))


def extract_builder_flags(line: str) -> tuple[str, list[str], int, list[tuple[int, int]]]:
    """line_parsers.go ``extractBuilderFlags``: leading ``--flag`` words and the rest of the line.

    Returns ``(rest, flags, rest_offset, spans)``: ``rest_offset`` is where ``rest`` starts in
    ``line`` and ``spans`` holds each flag's ``(start, end)`` in ``line``.

    BuildKit walks the line byte by byte. Non-ASCII text is read the same way as here (its bytes are
    never quotes, backslashes or ASCII blanks) with two exceptions: a non-ASCII Unicode blank is
    *not* a blank to that scan (its lead byte is not), and a character whose UTF-8 bytes include
    0x85 or 0xA0 is cut in two inside a flag word (those bytes are blanks to ``unicode.IsSpace``).
    The first is mirrored (only ASCII blanks separate words here); the second raises
    ``FlagBytesSplit``, as that reading cannot be written back as text.
    """
    if not line.startswith("--") and line[:1] not in _BYTE_SPACES:
        # No flag (the common case): the scan below would return at its first character.
        return line, [], 0, []
    if line.isascii():  # then no character can hold a byte BuildKit reads as a blank
        return _extract_ascii_builder_flags(line)
    return _scan_builder_flags(line, ascii_only=False)


def _scan_builder_flags(line: str, ascii_only: bool) -> tuple[str, list[str], int, list[tuple[int, int]]]:
    """``extract_builder_flags`` as BuildKit's loop reads it, a character at a time (the reference
    for ``_extract_ascii_builder_flags``, which tests/test_fast_paths.py holds to it)."""
    words: list[str] = []
    spans: list[tuple[int, int]] = []
    word_start = 0
    in_spaces, in_word, in_quote = 0, 1, 2
    phase = in_spaces
    word = ""
    quote = ""
    blank_ok = False
    n = len(line)
    pos = 0
    while pos <= n:
        ch = line[pos] if pos < n else ""
        if phase == in_spaces:
            if pos == n:
                break
            if ch in _BYTE_SPACES:
                pos += 1
                continue
            if ch != "-" or pos + 1 == n or line[pos + 1] != "-":
                return line[pos:], words, pos, spans
            phase = in_word
            word_start = pos
        if phase in (in_word, in_quote) and pos == n:
            if word != "--" and (blank_ok or word):
                words.append(word)
                spans.append((word_start, pos))
            break
        if phase == in_word:
            if not ascii_only and _splits_bytewise(ch):
                raise FlagBytesSplit(ch, pos)
            if ch in _BYTE_SPACES:
                phase = in_spaces
                if word == "--":
                    return line[pos:], words, pos, spans
                if blank_ok or word:
                    words.append(word)
                    spans.append((word_start, pos))
                word = ""
                blank_ok = False
                pos += 1
                continue
            if ch in ("'", '"'):
                quote = ch
                blank_ok = True
                phase = in_quote
                pos += 1
                continue
            if ch == "\\":
                if pos + 1 == n:
                    pos += 1
                    continue
                pos += 1
                ch = line[pos]
                if not ascii_only and _splits_bytewise(ch):
                    raise FlagBytesSplit(ch, pos)
            word += ch
            pos += 1
            continue
        if phase == in_quote:
            if ch == quote:
                phase = in_word
                pos += 1
                continue
            if ch == "\\":
                if pos + 1 == n:
                    phase = in_word
                    pos += 1
                    continue
                pos += 1
                ch = line[pos]
            word += ch
            pos += 1
    return "", words, n, spans


# Runs of characters the flag scan only appends: outside quotes, in single quotes, in double quotes.
_FLAG_PLAIN_RE = re.compile(r"[^\t\n\v\f\r '\"\\]+")
_FLAG_QUOTED_RE = {"'": re.compile(r"[^'\\]+"), '"': re.compile(r'[^"\\]+')}
_BYTE_SPACE_RUN_RE = re.compile(r"[\t\n\v\f\r ]+")


def _extract_ascii_builder_flags(line: str) -> tuple[str, list[str], int, list[tuple[int, int]]]:
    """``extract_builder_flags`` for an ASCII line (nothing to split bytewise), a run at a time: a
    regex match consumes what the scan only appends, and the loop reads one character only where
    the scan changes state. Same result as the character scan below, which non-ASCII lines take."""
    words: list[str] = []
    spans: list[tuple[int, int]] = []
    n = len(line)
    pos = 0
    while True:
        # phase inSpaces
        blanks = _BYTE_SPACE_RUN_RE.match(line, pos)
        if blanks is not None:
            pos = blanks.end()
        if pos == n:
            return "", words, n, spans
        if not line.startswith("--", pos):
            return line[pos:], words, pos, spans
        # phase inWord (and inQuote inside it)
        word_start = pos
        parts: list[str] = []
        blank_ok = False
        while pos < n:
            run = _FLAG_PLAIN_RE.match(line, pos)
            if run is not None:
                parts.append(run.group())
                pos = run.end()
                if pos == n:
                    break
            ch = line[pos]
            if ch in _BYTE_SPACES:
                break
            if ch == "\\":
                if pos + 1 < n:
                    parts.append(line[pos + 1])  # the escaped character, without the backslash
                pos += 2 if pos + 1 < n else 1
                continue
            # a quote: removed, and read up to the closing one (or the end of the line)
            quote = ch
            blank_ok = True
            pos += 1
            inside = _FLAG_QUOTED_RE[quote]
            while pos < n:
                run = inside.match(line, pos)
                if run is not None:
                    parts.append(run.group())
                    pos = run.end()
                    if pos == n:
                        break
                ch = line[pos]
                pos += 1
                if ch == quote:
                    break
                if pos < n:  # a backslash: the character after it, kept (a trailing one is dropped)
                    parts.append(line[pos])
                    pos += 1
        word = "".join(parts)
        if pos == n:  # the line ends inside the word
            if word != "--" and (blank_ok or word):
                words.append(word)
                spans.append((word_start, pos))
            return "", words, n, spans
        if word == "--":
            return line[pos:], words, pos, spans
        if blank_ok or word:
            words.append(word)
            spans.append((word_start, pos))


def parse_words(rest: str, escape: str) -> list[str]:
    """line_parsers.go ``parseWords``: whitespace-split words, quotes kept, used by ENV/LABEL/ARG."""
    if "'" not in rest and '"' not in rest and escape not in rest:
        # No quote and no escape: the scan below reduces to splitting on Go's blanks.
        return [word for word in _GO_SPACE_RUN_RE.split(rest) if word]
    # The character scan of parseWords, taken a run at a time: a regex match consumes the characters
    # that only get appended to the word (in a word: not a blank, quote or escape; in a quote: not
    # the closing quote or the escape), and the loop reads one character only where parseWords
    # changes state. Same words as the one-character-per-step loop (tests/test_fast_paths.py).
    plain_word, plain_double, plain_single = _word_runs(escape)
    words: list[str] = []
    n = len(rest)
    pos = 0
    while True:
        # phase inSpaces
        blanks = _GO_SPACE_RUN_RE.match(rest, pos)
        if blanks is not None:
            pos = blanks.end()
        if pos == n:
            return words
        # phase inWord (and inQuote inside it)
        parts: list[str] = []
        blank_ok = False
        while pos < n:
            run = plain_word.match(rest, pos)
            if run is not None:
                parts.append(run.group())
                pos = run.end()
                if pos == n:
                    break
            ch = rest[pos]
            if ch in _GO_SPACES:
                pos += 1
                break
            if ch == escape:
                if pos + 1 == n:  # a trailing escape is dropped
                    pos += 1
                    break
                parts.append(rest[pos : pos + 2])  # the escape and the character after it, kept
                pos += 2
                continue
            # a quote: kept, and read up to the closing one (or the end of the text)
            quote = ch
            blank_ok = True
            parts.append(ch)
            pos += 1
            inside = plain_single if quote == "'" else plain_double
            while pos < n:
                run = inside.match(rest, pos)
                if run is not None:
                    parts.append(run.group())
                    pos = run.end()
                    if pos == n:
                        break
                ch = rest[pos]
                if ch == quote:
                    parts.append(ch)
                    pos += 1
                    break
                # the escape inside double quotes (inside single quotes, ``inside`` takes it)
                if pos + 1 == n:  # a trailing escape is dropped
                    pos += 1
                    break
                parts.append(rest[pos : pos + 2])
                pos += 2
        word = "".join(parts)
        if blank_ok or word:
            words.append(word)


def _compile_word_runs(escape: str) -> tuple[re.Pattern[str], re.Pattern[str], re.Pattern[str]]:
    """parse_words' runs of ordinary characters: in a word, in double quotes, in single quotes."""
    e = re.escape(escape)
    return (
        re.compile("[^" + re.escape(GO_SPACE_CHARS) + "'\"" + e + "]+"),
        re.compile('[^"' + e + "]+"),
        re.compile("[^']+"),
    )


# The two escapes a parsed file can have, compiled at import; any other is compiled per call.
_WORD_RUNS = {escape: _compile_word_runs(escape) for escape in ("\\", "`")}


def _word_runs(escape: str) -> tuple[re.Pattern[str], re.Pattern[str], re.Pattern[str]]:
    return _WORD_RUNS.get(escape) or _compile_word_runs(escape)


class UnterminatedQuote(ValueError):
    """BuildKit's shell lexer fails on a quote that never closes."""


def shell_words(line: str, raw_quotes: bool) -> list[str]:
    """A reduced ``shell.Lex.ProcessWords`` with ``RawEscapes``: enough to find heredoc words.

    Splits on blanks outside quotes — every rune ``unicode.IsSpace`` accepts, as the Go lexer
    does. With ``raw_quotes`` the quote characters stay in the words; without, they are removed.
    Variables are left as written (BuildKit keeps unset ones). Raises UnterminatedQuote where the
    Go lexer returns an error.
    """
    # Read a run at a time: a regex match consumes the characters that are only appended (outside
    # quotes: not a blank, quote or backslash; in quotes: not the closing quote, nor in double
    # quotes a backslash), and the loop reads one character only where the lexer changes state.
    words: list[str] = []
    word: list[str] = []
    in_word = False
    i, n = 0, len(line)
    while i < n:
        run = _SHELL_PLAIN_RE.match(line, i)
        if run is not None:
            word.append(run.group())
            in_word = True
            i = run.end()
            if i == n:
                break
        ch = line[i]
        if ch in _GO_SPACES:
            if in_word:
                words.append("".join(word))
                word = []
                in_word = False
            i += 1
            continue
        in_word = True
        if ch == "\\":
            word.append(line[i : i + 2])  # the backslash and the character after it (if any)
            i += 2
            continue
        quote = ch
        if raw_quotes:
            word.append(ch)
        i += 1
        inside = _SHELL_QUOTED_RE[quote]
        while True:
            run = inside.match(line, i)
            if run is not None:
                word.append(run.group())
                i = run.end()
            if i == n:
                raise UnterminatedQuote(f"unterminated {quote} quote")
            ch = line[i]
            if ch == quote:
                if raw_quotes:
                    word.append(ch)
                i += 1
                break
            # a backslash in double quotes: kept with the character after it (if any)
            word.append(line[i : i + 2])
            i += 2
            if i >= n:
                raise UnterminatedQuote(f"unterminated {quote} quote")
    if in_word:
        words.append("".join(word))
    return words


_SHELL_PLAIN_RE = re.compile("[^" + re.escape(GO_SPACE_CHARS) + "'\"\\\\]+")
_SHELL_QUOTED_RE = {"'": re.compile("[^']+"), '"': re.compile(r'[^"\\]+')}


@dataclass(frozen=True)
class HeredocWord:
    name: str
    chomp: bool
    expand: bool
    fd: int


def heredoc_from_word(word: str) -> HeredocWord | None:
    """parser.go ``ParseHeredoc``/``heredocFromMatch``."""
    match = HEREDOC_WORD_RE.match(word)
    if not match:
        return None
    fd_text, dash, rest = match.groups()
    if not rest:
        return None
    words = shell_words(rest, raw_quotes=False)  # UnterminatedQuote: BuildKit fails the parse too
    if len(words) != 1:
        return None
    raw = shell_words(rest, raw_quotes=True)
    name = words[0]
    quotes = name.count("'") + name.count('"')
    raw_quotes = raw[0].count("'") + raw[0].count('"') if raw else 0
    return HeredocWord(name=name, chomp=dash == "-", expand=quotes == raw_quotes, fd=int(fd_text or 0))


def heredocs_in_line(line: str) -> list[HeredocWord]:
    """parser.go ``heredocsFromLine``. An error from the whole-line lexer means no heredocs (BuildKit
    ignores it); an error lexing one delimiter is a parse error (raised as UnterminatedQuote)."""
    found = []
    try:
        words = shell_words(line, raw_quotes=True)
    except UnterminatedQuote:
        return []
    for word in words:
        doc = heredoc_from_word(word)
        if doc is not None:
            found.append(doc)
    return found
