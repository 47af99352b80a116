"""Which commands change shell state that later commands (or a merged RUN) would see."""

from __future__ import annotations

import pytest

from optimizer.shell import parse_script


@pytest.mark.parametrize(
    ("script", "kinds"),
    [
        pytest.param("cd /app", ["cd"], id="cd"),
        pytest.param("pushd /tmp", ["pushd"], id="pushd"),
        pytest.param("popd", ["popd"], id="popd"),
        pytest.param("export PATH=/x:$PATH", ["export"], id="export"),
        pytest.param("set -eux", ["set"], id="set-options"),
        pytest.param("set -o pipefail", ["set"], id="set-pipefail"),
        pytest.param("source /etc/os-release", ["source"], id="source"),
        pytest.param(". ./env.sh", ["."], id="dot"),
        pytest.param("umask 0002", ["umask"], id="umask"),
        pytest.param("alias ll='ls -l'", ["alias"], id="alias"),
        pytest.param("unalias ll", ["unalias"], id="unalias"),
        pytest.param("shopt -s globstar", ["shopt"], id="shopt"),
        pytest.param("trap 'rm -f x' EXIT", ["trap"], id="trap"),
        pytest.param("exec 3>/tmp/log", ["exec"], id="exec-fds"),
        pytest.param("exec nginx -g 'daemon off;'", ["exec"], id="exec-command"),
        pytest.param("exit 0", ["exit"], id="exit"),
        pytest.param("unset GNUPGHOME", ["unset"], id="unset"),
        pytest.param("ulimit -n 4096", ["ulimit"], id="ulimit"),
        pytest.param("readonly X=1", ["readonly"], id="readonly"),
        pytest.param("declare -x A=1", ["declare"], id="declare"),
        pytest.param("typeset T=1", ["typeset"], id="typeset"),
        pytest.param("local x=1", ["local"], id="local-at-top-level"),
        pytest.param('eval "$(ssh-agent)"', ["eval"], id="eval"),
        pytest.param("FOO=bar", ["assignment"], id="bare-assignment"),
        pytest.param("A=1 B=2", ["assignment"], id="bare-assignments"),
        pytest.param(
            "savedAptMark=$(apt-mark showmanual)", ["assignment"], id="assignment-from-substitution"
        ),
        pytest.param("FOO=1 :", ["assignment"], id="assignment-before-special-builtin"),
        pytest.param("read -r line < /etc/hostname", ["read"], id="read"),
        pytest.param("shift", ["shift"], id="shift"),
        pytest.param("command cd /x", ["cd"], id="command-cd"),
        pytest.param("builtin cd /x", ["cd"], id="builtin-cd"),
        pytest.param("$CMD arg", ["dynamic"], id="dynamic-name"),
        pytest.param('printf -v x "%s" 1', ["printf -v"], id="printf-v"),
        pytest.param("f() { echo; }", ["function"], id="function-definition"),
        pytest.param(": ${X:=default}", ["assignment"], id="default-assignment-expansion"),
        pytest.param("(( n++ ))", ["assignment"], id="arithmetic-increment"),
        pytest.param("echo $(( n = 2 ))", ["assignment"], id="arithmetic-assignment"),
        pytest.param("{ cd /x; make; }", ["cd"], id="in-brace-group"),
        pytest.param("if [ -d /x ]; then cd /x; fi", ["cd"], id="in-if"),
        pytest.param("for d in a b; do cd $d; done", ["assignment", "cd"], id="in-loop"),  # d stays set
        pytest.param("make || exit 1", ["exit"], id="after-or"),
        pytest.param("cd /x && export A=1 && make", ["cd", "export"], id="several"),
    ],
)
def test_leaking_state_changes(script, kinds):
    parsed = parse_script(script)
    assert [change.kind for change in parsed.state_changes] == kinds
    assert parsed.leaks_state


@pytest.mark.parametrize(
    "script",
    [
        pytest.param("FOO=1 make", id="assignment-prefix"),
        pytest.param("DEBIAN_FRONTEND=noninteractive apt-get install -y curl", id="env-prefix"),
        pytest.param("(cd /x && make)", id="subshell"),
        pytest.param("cd /x | cat", id="pipeline"),
        pytest.param("cd /x &", id="background"),
        pytest.param("echo $(cd /x; pwd)", id="command-substitution"),
        pytest.param("(f() { cd /; })", id="function-in-subshell"),
        pytest.param("sudo cd /x", id="sudo-runs-external"),
        pytest.param('"${VENV}"/bin/pip install x && $HOME/bin/tool', id="dynamic-path-runs-a-file"),
        pytest.param("env cd /x", id="env-runs-external"),
        pytest.param("command -v cd", id="command-lookup"),
        pytest.param("echo hi; printf '%s' x; true; test -f x; pwd", id="harmless-builtins"),
        pytest.param("exec", id="bare-exec"),
        pytest.param("[[ $a = b ]]", id="comparison-not-assignment"),
        pytest.param("echo ${X:-default}", id="default-expansion"),
        pytest.param("bash -c 'cd /x'", id="child-shell"),
        pytest.param("sh -c 'export A=1'", id="child-shell-export"),
    ],
)
def test_no_leaking_state_change(script):
    parsed = parse_script(script)
    assert parsed.state_changes == []
    assert not parsed.leaks_state


@pytest.mark.parametrize(
    ("script", "name", "state", "leaks"),
    [
        pytest.param("(cd /x)", "cd", "cd", False, id="subshell-cd-changes-but-does-not-leak"),
        pytest.param("f() { export A=1; }", "export", "export", False, id="function-body"),
        pytest.param("FOO=1 cmd", "cmd", None, False, id="prefix-assignment"),
        pytest.param("FOO=1", None, "assignment", True, id="bare-assignment"),
    ],
)
def test_command_state(script, name, state, leaks):
    command = next(c for c in parse_script(script).commands if c.name == name)
    assert command.state == state
    assert command.changes_state is (state is not None)
    assert command.leaks is leaks


def test_state_change_points_at_command():
    script = parse_script("apt-get update && cd /src && make")
    (change,) = script.state_changes
    assert change.command is script.commands[1]
    assert script.slice(change.span) == "cd /src"
