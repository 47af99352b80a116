"""RUN instructions: which script runs, which are declined, and spans mapped back to the Dockerfile."""

from __future__ import annotations

import pytest

from optimizer.shell import Declined, analyse_run, invocations, run_analysis, stage_shell
from optimizer.syntax import parse


def _runs(text: str):
    tree = parse(text)
    assert not tree.errors, tree.errors
    return tree, [node for node in tree.instructions if (node.sub or node).name == "RUN"]


def _only(text: str):
    tree, runs = _runs(text)
    (run,) = runs
    return tree, run, analyse_run(tree, run)


def _source(text: str, command) -> str:
    start, end = command.source_span
    return text[start:end]


def _assert_spans_map(text: str, script) -> None:
    for command in script.commands:
        start, end = command.source_span
        if command.source_exact:
            assert text[start:end] == command.text
        assert text[start] == command.text[0] and text[end - 1] == command.text[-1]


CONTINUATION_WITH_COMMENTS = """FROM debian:bookworm
RUN --mount=type=cache,target=/var/cache/apt \\
    apt-get update && \\
    # install the tools
    apt-get install -y --no-install-recommends \\

        curl \\
        # comment between arguments
        git && \\
    rm -rf /var/lib/apt/lists/*
"""


def test_spans_through_continuations_and_comment_lines():
    text = CONTINUATION_WITH_COMMENTS
    _, _run, script = _only(text)
    assert script.origin == "line" and script.shell == ("/bin/sh", "-c")
    update, install, remove = script.commands
    assert _source(text, update) == "apt-get update"
    assert update.source_exact and remove.source_exact
    assert _source(text, remove) == "rm -rf /var/lib/apt/lists/*"
    assert not install.source_exact  # it spans three continuation lines
    assert _source(text, install).startswith("apt-get install -y --no-install-recommends \\\n")
    assert _source(text, install).endswith("# comment between arguments\n        git")
    (apt,) = [i for i in invocations(script) if i.subcommand == "install"]
    assert apt.packages == ["curl", "git"]
    for word in apt.args:  # each word sits on one line, so it maps exactly
        start, end = script.source_span(word.span)
        assert text[start:end] == word.text
    insert = script.to_source_end(apt.insert_at)
    assert text[:insert].endswith("apt-get install")
    _assert_spans_map(text, script)


BACKTICK = """# escape=`
FROM debian
RUN apt-get update && `
    # a comment line inside the continuation
    apt-get install -y `
      curl && `
    echo "C:\\path\\kept" > /x
"""


def test_backtick_escape_file():
    text = BACKTICK
    _, _, script = _only(text)
    assert [c.name for c in script.commands] == ["apt-get", "apt-get", "echo"]
    assert _source(text, script.commands[0]) == "apt-get update"
    assert _source(text, script.commands[2]) == 'echo "C:\\path\\kept" > /x'
    assert script.commands[2].args[0].value == "C:\\path\\kept"  # backslashes are the shell's here
    _assert_spans_map(text, script)


HEREDOC = """FROM alpine
RUN <<EOF
set -e
apk add --no-cache curl
cd /tmp && wget x
EOF
"""


def test_heredoc_body_is_the_script():
    text = HEREDOC
    _, _, script = _only(text)
    assert script.origin == "heredoc"
    assert script.text == "set -e\napk add --no-cache curl\ncd /tmp && wget x\n"
    assert [c.text for c in script.commands] == ["set -e", "apk add --no-cache curl", "cd /tmp", "wget x"]
    assert script.top_level_operators == ["\n", "\n", None]
    assert [change.kind for change in script.state_changes] == ["set", "cd"]
    assert all(c.source_exact for c in script.commands)
    _assert_spans_map(text, script)


def test_chomped_heredoc_maps_past_tabs():
    text = "FROM alpine\nRUN <<-EOF\n\tapk add curl\n\t\techo two\n\tEOF\n"
    _, _, script = _only(text)
    assert script.text == "apk add curl\necho two\n"
    assert [_source(text, c) for c in script.commands] == ["apk add curl", "echo two"]
    _assert_spans_map(text, script)


@pytest.mark.parametrize(
    ("shebang", "shell", "errexit"),
    [
        pytest.param("#!/bin/bash -e", ("/bin/bash", "-e"), True, id="bash-e"),
        pytest.param("#!/usr/bin/env bash", ("bash",), False, id="env-bash"),
        pytest.param("#!/bin/sh", ("/bin/sh",), False, id="sh"),
    ],
)
def test_heredoc_shell_shebang(shebang, shell, errexit):
    text = f"FROM debian\nRUN <<EOF\n{shebang}\napt-get update\nEOF\n"
    _, _, script = _only(text)
    assert script.shell == shell
    assert script.errexit is errexit
    assert [c.name for c in script.commands] == ["apt-get"]
    _assert_spans_map(text, script)


@pytest.mark.parametrize(
    "shebang",
    [
        pytest.param("#!/usr/bin/env python3", id="python"),
        pytest.param("#!/usr/bin/perl -w", id="perl"),
        pytest.param("#!/usr/bin/env node", id="node"),
    ],
)
def test_heredoc_other_interpreter_declined(shebang):
    tree, run, script = _only(f"FROM debian\nRUN <<EOF\n{shebang}\nprint('hi')\nEOF\n")
    assert script is None
    assert run_analysis(tree, run).reason is Declined.SHEBANG


def test_heredoc_fed_to_a_command_is_glued_to_the_line():
    text = "FROM debian\nRUN cat <<EOF > /etc/motd && echo done\nhello $USER\nEOF\n"
    _, _, script = _only(text)
    assert script.origin == "line"
    assert script.text == "cat <<EOF > /etc/motd && echo done\nhello $USER\nEOF"
    cat, echo = script.commands
    assert (cat.name, echo.name) == ("cat", "echo")
    heredoc = cat.redirects[0]
    assert heredoc.heredoc_body == "hello $USER\n"
    start, end = script.source_span(heredoc.heredoc_span)
    assert text[start:end] == "hello $USER\n"
    _assert_spans_map(text, script)


def test_heredoc_before_command_name_is_a_parse_error():
    # tree-sitter-bash cannot read a redirect before the command name when it is a heredoc.
    tree, run, script = _only("FROM debian\nRUN <<EOT bash\nset -ex\napt-get update\nEOT\n")
    assert script is None
    assert run_analysis(tree, run).reason is Declined.PARSE_ERROR


SHELLS = """FROM debian AS base
RUN echo before
SHELL ["/bin/bash", "-o", "pipefail", "-c"]
RUN curl -fsSL x | tar -xz
SHELL ["powershell", "-Command"]
RUN Write-Host hi
SHELL ["/bin/sh", "-c"]
RUN echo back

FROM debian AS other
RUN echo fresh
SHELL ["pwsh", "-c"]
RUN Get-Item x

FROM other AS child
RUN echo inherits-pwsh

FROM mcr.microsoft.com/windows/servercore:ltsc2022
RUN dir

FROM --platform=windows/amd64 example/thing
RUN dir

FROM example/thing AS cmdstage
SHELL ["cmd", "/S", "/C"]
RUN dir
"""


def test_shell_in_effect_per_stage():
    tree, runs = _runs(SHELLS)
    results = [(run.args, run_analysis(tree, run).reason) for run in runs]
    assert results == [
        ("echo before", None),
        ("curl -fsSL x | tar -xz", None),
        ("Write-Host hi", Declined.NON_POSIX_SHELL),
        ("echo back", None),
        ("echo fresh", None),
        ("Get-Item x", Declined.NON_POSIX_SHELL),
        ("echo inherits-pwsh", Declined.NON_POSIX_SHELL),
        ("dir", Declined.WINDOWS),
        ("dir", Declined.WINDOWS),
        ("dir", Declined.NON_POSIX_SHELL),
    ]
    piped = analyse_run(tree, runs[1])
    assert piped.shell == ("/bin/bash", "-o", "pipefail", "-c")
    assert piped.pipefail and not piped.errexit
    assert stage_shell(tree, runs[6]) == ("pwsh", "-c")


@pytest.mark.parametrize(
    ("shell", "posix"),
    [
        pytest.param('["/bin/ash", "-eo", "pipefail", "-c"]', True, id="ash"),
        pytest.param('["/usr/local/bin/bash", "-c"]', True, id="local-bash"),
        pytest.param('["busybox", "sh", "-c"]', True, id="busybox-sh"),
        pytest.param('["cmd", "/s", "/c"]', False, id="cmd"),
        pytest.param(
            '["C:\\\\Windows\\\\System32\\\\WindowsPowerShell\\\\v1.0\\\\powershell.exe", "-c"]',
            False,
            id="powershell-path",
        ),
        pytest.param('["python3", "-c"]', False, id="python"),
    ],
)
def test_shell_instruction_kinds(shell, posix):
    tree, runs = _runs(f"FROM debian\nSHELL {shell}\nRUN echo hi\n")
    assert (analyse_run(tree, runs[0]) is not None) is posix


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        pytest.param('FROM debian\nRUN ["apt-get", "update"]\n', Declined.EXEC_FORM, id="exec-form"),
        pytest.param("FROM debian\nRUN echo 'unterminated\n", Declined.PARSE_ERROR, id="parse-error"),
        pytest.param("FROM debian\nRUN if true; then echo\n", Declined.PARSE_ERROR, id="unterminated-if"),
    ],
)
def test_declined(text, reason):
    tree, run, script = _only(text)
    assert script is None
    analysis = run_analysis(tree, run)
    assert analysis.reason is reason


def test_not_a_run():
    tree = parse("FROM debian\nCOPY . .\n")
    assert run_analysis(tree, tree.instructions[1]).reason is Declined.NOT_RUN


def test_onbuild_run_is_modelled_through_its_trigger():
    text = "FROM debian\nONBUILD RUN apt-get update && \\\n    apt-get install -y curl\n"
    _, run, script = _only(text)
    assert run.name == "ONBUILD"
    assert [_source(text, c) for c in script.commands] == ["apt-get update", "apt-get install -y curl"]


def test_crlf_file():
    text = "FROM debian\r\nRUN apt-get update && \\\r\n    apt-get install -y curl\r\n"
    _, _, script = _only(text)
    assert [_source(text, c) for c in script.commands] == ["apt-get update", "apt-get install -y curl"]


def test_analysis_is_cached_per_instruction():
    tree, run, script = _only("FROM debian\nRUN echo hi\n")
    assert analyse_run(tree, run) is script
    assert run_analysis(tree, run) is run_analysis(tree, run)
