"""Statements, operators, grouping and nesting of plain scripts (``parse_script``)."""

from __future__ import annotations

import pytest

from optimizer.shell import (
    CASE,
    FUNCTION,
    GROUP,
    IF,
    LOOP,
    SUBSHELL,
    SUBSTITUTION,
    Command,
    ShellSyntaxError,
    parse_script,
    script_parses_cleanly,
)


def _element(item) -> str:
    if isinstance(item, Command):
        if item.words:
            return item.words[0].text
        return " ".join(a.name + "=" for a in item.assignments) or "<redirect>"
    return f"{item.kind}[{_shape(item.body)}]"


def _shape(statements) -> str:
    """A compact picture of the statement structure: ``a && b | c ;``, ``group[x ;] || y``."""
    out = []
    for statement in statements:
        parts = []
        for index, pipeline in enumerate(statement.pipelines):
            if index:
                parts.append(statement.operators[index - 1])
            text = _element(pipeline.elements[0])
            for operator, item in zip(pipeline.operators, pipeline.elements[1:], strict=False):
                text += f" {operator} {_element(item)}"
            parts.append(("! " if pipeline.negated else "") + text)
        terminator = {None: "", "\n": " ⏎"}.get(statement.terminator, f" {statement.terminator}")
        out.append(" ".join(parts) + terminator)
    return " ".join(out)


@pytest.mark.parametrize(
    ("script", "expected"),
    [
        pytest.param("a && b || c", "a && b || c", id="and-or"),
        pytest.param("a; b & c\nd", "a ; b & c ⏎ d", id="separators"),
        pytest.param("a;", "a ;", id="trailing-semicolon"),
        pytest.param("a &", "a &", id="trailing-background"),
        pytest.param("a | b | c && d", "a | b | c && d", id="pipeline-binds-tighter-than-and"),
        pytest.param("x && a | b | c && d || e", "x && a | b | c && d || e", id="long-chain"),
        pytest.param("! a | b && c", "! a | b && c", id="negation-covers-pipeline"),
        pytest.param("a |& b", "a |& b", id="pipe-stderr"),
        pytest.param("(cd /x && make) && ls", "subshell[cd && make] && ls", id="subshell"),
        pytest.param("{ a; b; } || c", "group[a ; b ;] || c", id="brace-group"),
        pytest.param("if a; then b; elif c; then d; else e; fi; f", "if[a ; b ; c ; d ; e ;] ; f", id="if"),
        pytest.param("case $x in a|b) echo 1;; *) echo 2;; esac", "case[echo ;; echo ;;]", id="case"),
        pytest.param("for i in 1 2; do echo $i; done && x", "loop[echo ;] && x", id="for"),
        pytest.param("while read l; do echo; done < f", "loop[read ; echo ;]", id="while-redirected"),
        pytest.param("until false; do :; done", "loop[false ; : ;]", id="until"),
        pytest.param("for ((i=0; i<3; i++)); do echo; done", "loop[i= ; echo ;]", id="c-style-for"),
        pytest.param("f() { cd /; }; f", "function[cd ;] ; f", id="function"),
        pytest.param("[[ -n $x && $y == b* ]] && echo", "test[] && echo", id="double-bracket"),
        pytest.param("[ -f x ] || touch x", "test[] || touch", id="single-bracket"),
        pytest.param("(( n += 1 )) && echo", "arithmetic[] && echo", id="arithmetic-command"),
        pytest.param("x=1 y=2", "x= y=", id="bare-assignments"),
        pytest.param("> f", "<redirect>", id="redirect-only"),
        pytest.param("a # comment && b", "a", id="comment"),
        pytest.param("cat <<EOF | sh && z\nx\nEOF\nw", "cat | sh && z ⏎ w", id="heredoc-then-pipe"),
        pytest.param("a && cat <<EOF > f\nx\nEOF", "a && cat", id="heredoc-in-list"),
        pytest.param("", "", id="empty"),
    ],
)
def test_statement_shape(script, expected):
    assert _shape(parse_script(script).statements) == expected


def test_top_level_operators_and_last_pipeline():
    script = parse_script("a || b; c | d && e | f &")
    assert script.top_level_operators == [";", "&"]
    assert [p.commands[0].name for p in script.statements[1].pipelines] == ["c", "e"]
    assert [c.name for c in script.last_pipeline.commands] == ["e", "f"]
    assert script.last_statement.background


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        pytest.param("make # build it", True, id="trailing-comment"),
        pytest.param("make # build it\n", True, id="trailing-comment-newline"),
        pytest.param("# only a comment", True, id="only-comment"),
        pytest.param("make # build\nmake install", False, id="comment-then-command"),
        pytest.param("echo '# not a comment'", False, id="quoted-hash"),
        pytest.param("echo a#b", False, id="hash-inside-word"),
    ],
)
def test_ends_in_comment(text, expected):
    assert parse_script(text).ends_in_comment is expected


def test_redirect_belongs_to_last_command_of_list():
    script = parse_script("a && b 2>&1 > /dev/null")
    a, b = script.commands
    assert a.redirects == []
    redirects = [(r.operator, r.fd, r.target.value) for r in b.redirects]
    assert redirects == [(">&", 2, "1"), (">", None, "/dev/null")]
    assert b.text == "b 2>&1 > /dev/null"


def test_heredoc_redirect_keeps_body_apart():
    script = parse_script("cat > /etc/x <<'EOF' && echo done\nline $HOME\nEOF\n")
    cat = script.commands[0]
    heredoc = next(r for r in cat.redirects if r.operator == "<<")
    assert heredoc.target.value == "EOF"
    assert heredoc.heredoc_body == "line $HOME\n"
    assert script.slice(heredoc.heredoc_span) == "line $HOME\n"
    assert cat.text == "cat > /etc/x <<'EOF'"  # the body is on the following lines
    assert [c.name for c in script.commands] == ["cat", "echo"]


@pytest.mark.parametrize(
    ("script", "name", "context", "conditional", "main_shell"),
    [
        pytest.param("a && b", "b", (), False, True, id="after-and"),
        pytest.param("a || b", "b", (), True, True, id="after-or"),
        pytest.param("a || b && c", "c", (), False, True, id="and-after-or"),
        pytest.param("a && b || c", "c", (), True, True, id="or-at-end"),
        pytest.param("{ cd /x; }", "cd", (GROUP,), False, True, id="group-same-shell"),
        pytest.param("(cd /x)", "cd", (SUBSHELL,), False, False, id="subshell"),
        pytest.param("if true; then cd /x; fi", "cd", (IF,), True, True, id="if-body"),
        pytest.param("if cd /x; then :; fi", "cd", (IF,), True, True, id="if-condition"),
        pytest.param("for i in a; do cd $i; done", "cd", (LOOP,), True, True, id="loop-body"),
        pytest.param("case x in x) cd /;; esac", "cd", (CASE,), True, True, id="case-body"),
        pytest.param("f() { cd /; }", "cd", (FUNCTION,), True, False, id="function-body"),
        pytest.param("echo $(cd /; pwd)", "pwd", (SUBSTITUTION,), False, False, id="substitution"),
        pytest.param("diff <(sort a) b", "sort", (SUBSTITUTION,), False, False, id="process-substitution"),
        pytest.param("x=`date`", "date", (SUBSTITUTION,), False, False, id="backticks"),
        pytest.param("cd /x | cat", "cd", (), False, False, id="pipeline-element"),
        pytest.param("cd /x &", "cd", (), False, False, id="background"),
        pytest.param("(a; { if b; then c; fi; })", "c", (SUBSHELL, GROUP, IF), True, False, id="nested"),
        pytest.param("[[ $(id -u) == 0 ]]", "id", (SUBSTITUTION,), False, False, id="in-double-bracket"),
        pytest.param("echo $(( $(nproc) + 1 ))", "nproc", (SUBSTITUTION,), False, False, id="in-arithmetic"),
    ],
)
def test_command_context(script, name, context, conditional, main_shell):
    command = next(c for c in parse_script(script).commands if c.name == name)
    assert command.context == context
    assert command.conditional is conditional
    assert command.main_shell is main_shell
    assert command.top_level is (context == ())
    assert command.unconditional is (not conditional)


def test_commands_in_source_order_with_spans():
    text = "apt-get update && apt-get install -y curl; echo $(date) done"
    script = parse_script(text)
    assert [c.text for c in script.commands] == [
        "apt-get update", "apt-get install -y curl", "echo $(date) done", "date"
    ]  # fmt: skip
    assert [c.index for c in script.commands] == [0, 1, 2, 3]
    assert all(text[c.span[0] : c.span[1]] == c.text for c in script.commands)
    assert [c.name for c in script.top_level_commands()] == ["apt-get", "apt-get", "echo"]


def test_non_ascii_offsets_are_characters():
    text = "echo 'héllo wörld' && ls ünïcode"
    script = parse_script(text)
    assert [c.text for c in script.commands] == ["echo 'héllo wörld'", "ls ünïcode"]
    assert script.commands[0].words[1].value == "héllo wörld"


@pytest.mark.parametrize(
    "text",
    [
        pytest.param("if true; then echo", id="unterminated-if"),
        pytest.param("echo 'open", id="unterminated-quote"),
        pytest.param("a &&", id="dangling-and"),
        pytest.param("(a", id="unclosed-subshell"),
        pytest.param("<<EOT bash\necho\nEOT", id="heredoc-before-command-name"),
    ],
)
def test_unparseable(text):
    assert not script_parses_cleanly(text)
    with pytest.raises(ShellSyntaxError):
        parse_script(text)


@pytest.mark.parametrize(
    "text",
    [
        pytest.param("[[ $a =~ ^v[0-9]+$ ]] && echo ok", id="regex-match"),
        pytest.param("echo $(( (1 + 2) * 3 ))", id="arithmetic"),
        pytest.param('case "$(uname -m)" in x86_64) a=amd64 ;; aarch64|arm64) a=arm64 ;; esac', id="case"),
        pytest.param('echo "${VAR:-default}" "${#arr[@]}" "${x/a/b}"', id="expansions"),
        pytest.param("a && \\\n  b", id="backslash-newline"),
        pytest.param("", id="empty"),
    ],
)
def test_parses_cleanly(text):
    assert script_parses_cleanly(text)
