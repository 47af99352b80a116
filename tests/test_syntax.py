"""The syntax layer on the features issue #2 lists, one small case each (the corpus tests cover scale)."""

from __future__ import annotations

import pytest

from optimizer.syntax import Blank, Comment, Directive, Instruction, parse


def only(text: str) -> Instruction:
    tree = parse(text)
    assert tree.errors == [], tree.errors
    return tree.instructions[-1]


@pytest.mark.parametrize(
    "text",
    [
        pytest.param("FROM a\n", id="plain"),
        pytest.param("FROM a", id="no-final-newline"),
        pytest.param("\ufeffFROM a\r\nRUN x\r\n", id="bom-crlf"),
        pytest.param("FROM a\nRUN echo \\", id="continuation-at-eof"),
        pytest.param("FROM a\nRUN a \\  \t\n  b\n", id="blanks-after-escape"),
        pytest.param("FROM a\nRUN a \\\n# c\n\n   \n  b\n", id="comment-and-blank-in-continuation"),
        pytest.param("FROM a\n\n\n# c\n   \t\nRUN x\n\n", id="trivia"),
        pytest.param('FROM a\nRUN <<A <<-"B"\nx\nA\n\ty\n\tB\nRUN z\n', id="heredocs"),
        pytest.param("FROM a\r\nRUN x\nRUN y\r\n", id="mixed-endings"),
    ],
)
def test_round_trip(text):
    assert parse(text).print() == text


def test_directives_and_their_end():
    tree = parse("# syntax=docker/dockerfile:1\n#escape = `  \n# check=skip=all\n# escape=\\\nFROM a\n")
    assert [(d.name, d.value) for d in tree.directives] == [
        ("syntax", "docker/dockerfile:1"),
        ("escape", "`"),
        ("check", "skip=all"),
    ]
    assert tree.escape == "`"
    # A repeated directive is an error (BuildKit: "only one escape parser directive can be used").
    assert [e.message for e in tree.errors] == ["only one escape parser directive can be used"]


def test_directives_stop_at_first_other_line():
    tree = parse("# hello\n# escape=`\nFROM a\nRUN echo `\n")
    assert tree.directives == []
    assert tree.escape == "\\"
    assert isinstance(tree.nodes[1], Comment)


def test_invalid_escape_is_an_error():
    assert parse("# escape=x\nFROM a\n").errors[0].message.startswith("invalid escape token")


def test_backtick_escape_continuation():
    ins = only("# escape=`\nFROM a\nRUN echo `\n  hi \\\n")
    assert ins.args == "echo   hi \\"
    assert (ins.line, ins.end_line) == (3, 4)


def test_escaped_escape_does_not_continue():
    tree = parse("FROM a\nENV C trailing\\\\\nENV D d\n")
    assert [i.value for i in tree.instructions[1:]] == [("C", "trailing\\\\"), ("D", "d")]


def test_continuation_with_comments_and_blank_lines():
    text = "FROM a\nRUN apt-get update \\\n    # refresh\n\n    && apt-get install -y x\nCMD y\n"
    tree = parse(text)
    run = tree.instructions[1]
    assert run.args == "apt-get update     && apt-get install -y x"
    assert (run.line, run.end_line) == (2, 5)
    assert [text[a:b] for a, b in run.inner_comments] == ["    # refresh\n"]
    assert run.has_blank_continuation
    # every logical character maps back to the same character in the source
    for i, ch in enumerate(run.logical):
        assert text[run.source_map.to_source(i)] == ch


def test_heredocs():
    text = 'FROM a\nCOPY <<one <<-"two" /dst/\nfirst\none\n\tsecond\n\ttwo\nRUN x\n'
    ins = parse(text).instructions[1]
    assert [(h.name, h.chomp, h.expand, h.content) for h in ins.heredocs] == [
        ("one", False, True, "first\n"),
        ("two", True, False, "\tsecond\n"),
    ]
    assert ins.value == ("<<one", '<<-"two"', "/dst/")
    assert ins.end_line == 6
    assert text[ins.heredocs[1].terminator_start : ins.heredocs[1].terminator_end] == "\ttwo\n"


def test_heredoc_needs_a_separate_word():
    tree = parse("FROM a\nRUN cat<<EOF\n")
    assert tree.errors == [] and tree.instructions[1].heredocs == []


def test_unterminated_heredoc_is_an_error_but_keeps_text():
    text = "FROM a\nRUN <<EOF\nnever ends\n"
    tree = parse(text)
    assert tree.print() == text
    assert tree.errors[0].message == "unterminated heredoc <<EOF"
    assert tree.errors[0].line == 2


@pytest.mark.parametrize(
    ("line", "json", "value"),
    [
        ('CMD ["a", "b c"]', True, ("a", "b c")),
        ("CMD ['a']", False, ("['a']",)),
        ('CMD ["a"', False, ('["a"',)),
        ('ENTRYPOINT ["x"] # trailing text is ignored', True, ("x",)),
        ("CMD []", True, ()),
        ('COPY ["a b", "/c"]', True, ("a b", "/c")),
        ("COPY a  b   /c/", False, ("a", "b", "/c/")),
        ('SHELL ["pwsh", "-c"]', True, ("pwsh", "-c")),
    ],
)
def test_exec_and_shell_forms(line, json, value):
    ins = only(f"FROM a\n{line}\n")
    assert (ins.json, ins.value) == (json, value)


def test_nested_json_is_an_error():
    assert "strings only" in parse('FROM a\nCMD ["a", ["b"]]\n').errors[0].message


def test_flags():
    text = "FROM a\nRUN --mount=type=cache,target=/root/.cache \\\n    --network=none echo hi\n"
    ins = only(text)
    assert [(f.name, f.value) for f in ins.flags] == [
        ("mount", "type=cache,target=/root/.cache"),
        ("network", "none"),
    ]
    assert [text[f.start : f.end] for f in ins.flags] == [f.text for f in ins.flags]
    assert ins.args == "echo hi"
    assert only("FROM a\nCOPY --link --from=build /a /b\n").flag("link").value is None


def test_onbuild_and_case():
    ins = only("FROM a\nonBuild Copy --chown=1 . /app\n")
    assert (ins.keyword, ins.name, ins.sub.keyword, ins.sub.name) == ("onBuild", "ONBUILD", "Copy", "COPY")
    assert ins.sub.flags[0].text == "--chown=1"
    assert ins.sub.parent is ins


@pytest.mark.parametrize(
    ("line", "value"),
    [
        ("ENV A=1 B='two words'", ("A", "1", "B", "'two words'")),
        ("ENV PATH /usr/bin:$PATH", ("PATH", "/usr/bin:$PATH")),
        ('LABEL a="b c" d=e', ("a", '"b c"', "d", "e")),
        ("ARG x=1 y", ("x=1", "y")),
        ("HEALTHCHECK --interval=5s CMD curl -f http://x/", ("CMD", "curl -f http://x/")),
        ("HEALTHCHECK NONE", ("NONE",)),
        ("EXPOSE 80/tcp  443", ("80/tcp", "443")),
        ("USER  app  ", ("app",)),
    ],
)
def test_values(line, value):
    assert only(f"FROM a\n{line}\n").value == value


def test_stages():
    tree = parse("ARG V=1\nFROM a:$V AS Build\nRUN x\nFROM --platform=linux/amd64 b\nCOPY --from=build / /\n")
    assert [(s.index, s.base, s.name, s.platform) for s in tree.stages] == [
        (0, "a:$V", "build", None),
        (1, "b", None, "linux/amd64"),
    ]
    assert [i.stage for i in tree.instructions] == [None, 0, 0, 1, 1]


def test_leading_comments_attach_to_the_next_instruction():
    tree = parse("FROM a\n# one\n# two\nRUN x\n# far\n\nRUN y\n")
    runs = tree.instructions[1:]
    assert [c.content for c in runs[0].leading_comments] == ["one", "two"]
    assert runs[1].leading_comments == []
    assert isinstance(tree.nodes[-2], Blank)


@pytest.mark.parametrize(
    ("text", "message", "line", "column"),
    [
        ("", "file with no instructions", 1, 1),
        ("# only\n# comments\n", "file with no instructions", 2, 1),
        ("FROM a\nENV PATH\n", "ENV must have two arguments", 2, 1),
        ("FROM a\n  FOO bar\n", "unknown instruction: FOO", 2, 3),
        ("FROM a\nONBUILD FROM b\n", "FROM isn't allowed as an ONBUILD trigger", 2, 9),
        # the CLI's reader refuses NUL bytes first (same message); the parser does for other callers
        ("FROM a\nRUN npm ci --omit=d\x00ev\n", "binary file (NUL byte); not a Dockerfile", 2, 20),
    ],
)
def test_errors_have_positions(text, message, line, column):
    tree = parse(text)
    assert tree.print() == text
    error = tree.errors[0]
    assert (error.message, error.line, error.column) == (message, line, column)


def test_the_engine_refuses_a_nul_byte():
    """BuildKit's parser, as the engine calls it, stops at a NUL: an output holding one is never offered."""
    from optimizer.core.config import Settings
    from optimizer.engine import fix_text
    from optimizer.syntax import ParseError

    with pytest.raises(ParseError, match="NUL byte") as caught:
        fix_text("FROM node\nCOPY . /app\nRUN npm ci --omit=d\x00ev\n", Settings())
    assert (caught.value.line, caught.value.column) == (3, 20)


def test_directive_nodes_are_kept():
    tree = parse("# syntax=docker/dockerfile:1.7\nFROM a\n")
    assert isinstance(tree.nodes[0], Directive)
    assert tree.directive("syntax").value == "docker/dockerfile:1.7"


# Non-ASCII text in builder flags (issue 16, class 6). BuildKit scans flags byte by byte and hands
# each byte on as one rune: ``id=café`` reaches its AST as ``id=cafÃ©`` (``Flag.buildkit_text``). The
# words split the same way, so such a file is read and kept — unless a character holds byte 0x85 or
# 0xA0 in a flag word, which that scan takes for a blank and cuts the character in two.
NON_ASCII_FLAGS = [
    pytest.param("RUN --mount=type=cache,id=café,target=/x true\n", id="cache-id"),
    pytest.param("RUN --mount=type=bind,source=/données,target=/d true\n", id="accented-path"),
    pytest.param("COPY --chown=josé:josé a b\n", id="chown"),
    pytest.param("RUN --mount=type=cache,id=日本,target=/x true\n", id="three-byte"),
    pytest.param("RUN --mount=type=cache,id=🐳,target=/x true\n", id="four-byte"),
    pytest.param("RUN --mount=type=cache,target=/x,id=a\u3000b true\n", id="ideographic-space-inside"),
    pytest.param('RUN --mount=type=cache,id="à",target=/x true\n', id="a-grave-in-quotes"),
    pytest.param("RUN \u00a0--mount=type=cache,target=/x true\n", id="nbsp-before-flag-ends-flags"),
    pytest.param("RUN --mount=type=cache,target=/x\u3000true\n", id="ideographic-space-is-no-blank"),
]


@pytest.mark.parametrize("line", NON_ASCII_FLAGS)
def test_non_ascii_in_flags_is_read_as_buildkit_reads_it(line):
    import dockerfile

    text = f"FROM a\n{line}"
    tree = parse(text)
    assert tree.errors == [], tree.errors
    assert tree.print() == text
    ours = tree.instructions[-1]
    [_, theirs] = dockerfile.parse_string(text)
    assert tuple(f.buildkit_text for f in ours.flags) == theirs.flags
    assert ours.value == theirs.value
    for flag in ours.flags:
        if '"' not in text[flag.start : flag.end]:
            assert text[flag.start : flag.end] == flag.text  # kept as written, for rules to copy


@pytest.mark.parametrize(
    ("line", "column", "char"),
    [
        pytest.param("RUN --mount=type=cache,id=à,target=/x true\n", 27, "à", id="a-grave"),  # C3 A0
        pytest.param("RUN --mount=type=cache,id=ą,target=/x true\n", 27, "ą", id="a-ogonek"),  # C4 85
        pytest.param("ADD --\xa0 a b\n", 7, "\xa0", id="nbsp-in-flag-word"),
    ],
)
def test_flag_words_buildkit_cuts_inside_a_character_are_refused(line, column, char):
    [error] = parse(f"FROM a\n{line}").errors
    assert (error.line, error.column) == (2, column)
    assert error.message.startswith(f"BuildKit splits the builder flag inside the character {char!r}")


@pytest.mark.parametrize(
    ("line", "refused"),
    [
        pytest.param("HEALTHCHECK CMD écho", False, id="non-ascii-command"),
        pytest.param('HEALTHCHECK CMD ["é"]', False, id="non-ascii-json"),
        pytest.param("HEALTHCHECK CMD \xa0x", True, id="nbsp-after-blank"),
        pytest.param("HEALTHCHECK CMD\u3000x", True, id="ideographic-space-as-blank"),
        pytest.param("HEALTHCHECK CMD\xa0x", True, id="nbsp-cut-in-two"),
    ],
)
def test_healthcheck_type_word_is_split_as_buildkit_splits_it(line, refused):
    """``parseHealthConfig`` is byte-wise too: refused only where its cut differs from ours."""
    import dockerfile

    text = f"FROM a\n{line}\n"
    tree = parse(text)
    assert bool(tree.errors) is refused
    if not refused:
        assert tree.instructions[-1].value == dockerfile.parse_string(text)[-1].value
