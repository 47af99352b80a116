"""The fast paths taken for speed (bench/THROUGHPUT.md) read every input exactly as the code they
replaced: each is compared with that code, kept here as the reference, on generated inputs."""

from __future__ import annotations

import gc
import re
import threading

from hypothesis import given, settings
from hypothesis import strategies as st

from optimizer.analysis.expansion import Expansion, Lookup, _Lexer, _Unknown, expand
from optimizer.engine.gcpause import paused_gc
from optimizer.shell.build import parse_tree
from optimizer.syntax import buildkit as bk
from optimizer.syntax.parser import _LINE_RE, _Parser, split_lines

# Characters that matter to the routines below, plus ordinary ones and Go's non-ASCII blanks.
_ALPHABET = st.sampled_from(list("abc \t\n\r\v\f\\`'\"$={}:-+?#*[\x85\xa0\u2003\u3000é"))
_TEXT = st.text(_ALPHABET, max_size=40)


def _reference_trim_left(s: str) -> str:
    i = 0
    while i < len(s) and s[i] in bk._GO_SPACES:
        i += 1
    return s[i:]


def _reference_trim_space(s: str) -> str:
    j = len(s)
    while j > 0 and s[j - 1] in bk._GO_SPACES:
        j -= 1
    return _reference_trim_left(s[:j])


@given(_TEXT)
def test_trims_match_the_go_loops(text: str) -> None:
    assert bk.trim_left(text) == _reference_trim_left(text)
    assert bk.trim_space(text) == _reference_trim_space(text)


@given(_TEXT, st.integers(min_value=0, max_value=2))
def test_split_lines_matches_the_line_regex(text: str, offset: int) -> None:
    offset = min(offset, len(text))
    assert split_lines(text, offset) == [(m.start(), m.group()) for m in _LINE_RE.finditer(text, offset)]


@given(_TEXT, st.sampled_from(["\\", "`"]))
def test_continuation_matches_buildkits_regex(text: str, escape: str) -> None:
    line = text.rstrip("\r\n")  # the parser strips line endings before asking
    parser = _Parser("")
    parser.escape = escape
    match = bk.continuation_re(escape).search(line)
    expected = (line[: match.start()], False) if match else (line, True)
    assert parser._trim_continuation(line) == expected


def _reference_parse_words(rest: str, escape: str) -> list[str]:
    """``parse_words`` as it was before its fast path: the character scan of line_parsers.go."""
    words: list[str] = []
    in_spaces, in_word, in_quote = 0, 1, 2
    phase = in_spaces
    word = ""
    quote = ""
    blank_ok = False
    n = len(rest)
    pos = 0
    while pos <= n:
        ch = rest[pos] if pos < n else ""
        if phase == in_spaces:
            if pos == n:
                break
            if bk.is_space(ch):
                pos += 1
                continue
            phase = in_word
        if phase in (in_word, in_quote) and pos == n:
            if blank_ok or word:
                words.append(word)
            break
        if phase == in_word:
            if bk.is_space(ch):
                phase = in_spaces
                if blank_ok or word:
                    words.append(word)
                word = ""
                blank_ok = False
                pos += 1
                continue
            if ch in ("'", '"'):
                quote = ch
                blank_ok = True
                phase = in_quote
            if ch == escape:
                if pos + 1 == n:
                    pos += 1
                    continue
                word += ch
                pos += 1
                ch = rest[pos]
            word += ch
            pos += 1
            continue
        if phase == in_quote:
            if ch == quote:
                phase = in_word
            if ch == escape and quote != "'":
                if pos + 1 == n:
                    phase = in_word
                    pos += 1
                    continue
                pos += 1
                word += ch
                ch = rest[pos]
            word += ch
            pos += 1
    return words


@given(_TEXT, st.sampled_from(["\\", "`"]))
def test_parse_words_matches_the_character_scan(rest: str, escape: str) -> None:
    assert bk.parse_words(rest, escape) == _reference_parse_words(rest, escape)


class _CharByCharLexer(_Lexer):
    """The lexer as it was: ordinary characters copied one at a time."""

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
            else:
                out.append(self.next())
        return "".join(out)


def _reference_expand(word: str, lookup: Lookup, escape: str) -> Expansion:
    lexer = _CharByCharLexer(word, lookup, escape)
    try:
        text: str | None = lexer.run()
    except _Unknown as exc:
        lexer.unknown.append(str(exc))
        text = None
    unknown = tuple(dict.fromkeys(lexer.unknown))
    return Expansion(None if unknown else text, unknown, tuple(dict.fromkeys(lexer.args)))


def _lookup(name: str) -> Expansion | None:
    return {"a": Expansion("x y"), "b": Expansion(None, ("b",)), "c": Expansion("", (), ("c",))}.get(name)


@given(_TEXT, st.sampled_from(["\\", "`"]))
def test_expand_matches_the_character_lexer(word: str, escape: str) -> None:
    assert expand(word, _lookup, escape) == _reference_expand(word, _lookup, escape)


@settings(max_examples=50)
@given(_TEXT)
def test_expand_of_plain_words_is_the_word(word: str) -> None:
    plain = re.sub(r"[$'\"\\`]", "", word)
    assert expand(plain, _lookup, "\\") == Expansion(plain)


def test_gc_is_paused_during_the_call_and_restored_after() -> None:
    seen: list[bool] = []

    @paused_gc
    def inner() -> None:
        seen.append(gc.isenabled())

    @paused_gc
    def outer() -> None:
        inner()
        seen.append(gc.isenabled())

    assert gc.isenabled()
    outer()
    assert seen == [False, False]
    assert gc.isenabled()


def test_gc_pause_restores_after_an_exception_and_keeps_a_disabled_collector_disabled() -> None:
    @paused_gc
    def failing() -> None:
        raise ValueError("boom")

    try:
        failing()
    except ValueError:
        pass
    assert gc.isenabled()
    gc.disable()
    try:
        failing()
    except ValueError:
        pass
    assert not gc.isenabled()  # the caller disabled it: not ours to turn back on
    gc.enable()


def test_gc_pause_is_shared_by_overlapping_threads() -> None:
    started, release = threading.Event(), threading.Event()

    @paused_gc
    def slow() -> None:
        started.set()
        release.wait(5)

    @paused_gc
    def quick() -> bool:
        return gc.isenabled()

    thread = threading.Thread(target=slow)
    thread.start()
    started.wait(5)
    assert quick() is False
    assert not gc.isenabled()  # the quick run ended, the slow one still holds the pause
    release.set()
    thread.join()
    assert gc.isenabled()


_SHELL_ALPHABET = st.sampled_from(list("ab ~*?[]{},.\\'\"$-=/\n;&|é"))


@settings(max_examples=200)
@given(st.text(_SHELL_ALPHABET, max_size=30))
def test_single_word_fast_path_matches_the_general_reading(script: str) -> None:
    root, reader = parse_tree("echo " + script)
    stack = [root]
    while stack:
        node = stack.pop()
        stack.extend(node.children)
        if node.type != "word":
            continue
        fast = reader.word(node)
        value, pattern = reader._value(node, unquoted=True)  # the general reading of one node
        pattern = pattern or reader.node_text(node).startswith("~")
        assert (fast.text, fast.value, fast.span, fast.pattern) == (
            reader.node_text(node),
            value,
            reader.span(node),
            pattern,
        )


def test_a_fix_run_leaves_no_facts_in_reference_cycles(tmp_path) -> None:
    """A round's family views point back at its facts: the engine drops them when the round ends,
    so nothing of a run waits for the cyclic collector (which cost a fifth of a corpus pass)."""
    from optimizer.core.config import Settings
    from optimizer.engine import fix_text

    (tmp_path / "requirements.txt").write_text("flask\n")
    (tmp_path / "app.py").write_text("print('hi')\n")
    text = (
        "FROM python:3.11\nRUN apt-get update\nRUN apt-get install -y gcc\n"
        'COPY . /app\nRUN pip install -r /app/requirements.txt\nCMD ["python", "/app/app.py"]\n'
    )
    path = tmp_path / "Dockerfile"
    path.write_text(text)
    fix_text(text, Settings(unsafe_fixes=True), path=path, context_dir=tmp_path)  # imports, caches
    gc.collect()
    gc.set_debug(gc.DEBUG_SAVEALL)
    try:
        outcome = fix_text(text, Settings(unsafe_fixes=True), path=path, context_dir=tmp_path)
        gc.collect()
        kinds = {type(item).__name__ for item in gc.garbage}
    finally:
        gc.set_debug(0)
        gc.garbage.clear()
    assert outcome.rounds >= 2  # several rounds, so several rounds' facts were dropped
    assert not kinds & {"Facts", "Hygiene", "ContextView", "Effects", "Probe", "Dockerfile"}


_SEGMENT = st.sampled_from(["a", "b", "node_modules", "x.log", ".git", "src"])


@settings(max_examples=200, deadline=None)
@given(
    st.lists(st.lists(_SEGMENT, min_size=1, max_size=4).map("/".join), min_size=1, max_size=30),
    st.sampled_from(["a", "*/b", "**/node_modules", "*.log", "a/**", ".git", "src/*", "**/x.log"]),
)
def test_under_match_is_the_prefix_loop(paths: list[str], text: str) -> None:
    from optimizer.analysis.dockerignore import IgnorePattern
    from optimizer.rules.context._context import _under_match

    pattern = IgnorePattern.compile(text)
    seen: dict[str, bool] = {}
    for path in paths:
        parts = path.split("/")
        reference = any(pattern.match("/".join(parts[: i + 1])) for i in range(len(parts)))
        assert _under_match(pattern, path, seen) == reference


@given(st.lists(_SEGMENT, min_size=1, max_size=5).map("/".join))
def test_excludes_clean_is_excludes_for_clean_paths(path: str) -> None:
    from optimizer.analysis.dockerignore import IgnoreMatcher

    matcher = IgnoreMatcher.from_lines(["**/node_modules", "*.log", "!src/x.log", "a/b"])
    assert matcher.excludes_clean(path) == matcher.excludes(path)


# Lines as the flag scan and the heredoc lexer meet them: flags, quotes, escapes, blanks.
_FLAG_TEXT = st.lists(
    st.sampled_from(["--", "-", "a", "b=", ",", "/", " ", "\t", "\n", "\r", "\v", "\f", "\\", "'", '"', "`"]),
    max_size=24,
).map("".join)


@given(_FLAG_TEXT)
def test_ascii_flag_scan_matches_the_character_scan(line: str) -> None:
    def outcome(scan, *args):  # type: ignore[no-untyped-def]
        try:
            return scan(*args)
        except ValueError as exc:  # FlagBytesSplit and the like
            return (type(exc).__name__, str(exc))

    expected = outcome(bk._scan_builder_flags, line, True)
    assert outcome(bk._extract_ascii_builder_flags, line) == expected
    assert outcome(bk.extract_builder_flags, line) == expected


def _reference_shell_words(line: str, raw_quotes: bool) -> list[str]:
    """``shell_words`` as it was: the lexer a character at a time."""
    words: list[str] = []
    word: list[str] = []
    in_word = False
    quote = ""
    i, n = 0, len(line)
    while i < n:
        ch = line[i]
        if quote:
            if ch == quote:
                quote = ""
                if raw_quotes:
                    word.append(ch)
            elif ch == "\\" and quote == '"' and i + 1 < n:
                word.append(ch + line[i + 1])
                i += 1
            else:
                word.append(ch)
        elif ch in bk._GO_SPACES:
            if in_word:
                words.append("".join(word))
                word = []
                in_word = False
        elif ch in ("'", '"'):
            quote = ch
            in_word = True
            if raw_quotes:
                word.append(ch)
        elif ch == "\\" and i + 1 < n:
            word.append(ch + line[i + 1])
            in_word = True
            i += 1
        else:
            word.append(ch)
            in_word = True
        i += 1
    if quote:
        raise bk.UnterminatedQuote(f"unterminated {quote} quote")
    if in_word:
        words.append("".join(word))
    return words


_HEREDOC_TEXT = st.lists(
    st.sampled_from(["<<", "<<-", "EOF", " ", "'", '"', "\\", "\t", "\xa0", "\u3000", "x"]), max_size=16
).map("".join)


@given(st.one_of(_TEXT, _FLAG_TEXT, _HEREDOC_TEXT), st.booleans())
def test_shell_words_match_the_character_lexer(line: str, raw_quotes: bool) -> None:
    def outcome(lex):  # type: ignore[no-untyped-def]
        try:
            return lex(line, raw_quotes)
        except bk.UnterminatedQuote as exc:
            return ("error", str(exc))

    assert outcome(bk.shell_words) == outcome(_reference_shell_words)
