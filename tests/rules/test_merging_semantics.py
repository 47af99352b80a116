"""The merged RUN behaves like the separate RUNs: checked by running both in a real shell.

Each case is a list of RUN scripts. "Separate" runs each script in a fresh ``sh -c`` in the same
directory, stopping at the first failure (what a build does); "merged" runs the script DO201's
machinery produces, once. Both must leave the same files, print the same output and agree on
success or failure.
"""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from optimizer.core.config import Settings
from optimizer.rules.base import Facts
from optimizer.shell.join import NotJoined, plan_merge
from optimizer.syntax import parse

CASES = [
    ["echo a > f1", "echo b > f2"],
    ["false || echo recovered > r", "echo next > n"],
    ["echo x > a; false", "echo must-not-run > b"],
    ["false; echo x > a", "echo runs > b"],
    ["false && echo no", "echo must-not-run > b"],
    ["echo one | tr o O > p", "cat p > q"],
    ["cd sub && export V=1 && umask 077", "pwd > where; echo ${V:-unset} > v; umask > u"],
    ["exit 0", "echo still-runs > s"],
    ["exit 3", "echo must-not-run > s"],
    ["set -e; false; echo no > n", "set -e; echo must-not-run > s"],
    ["set -ex; echo a > a; false; echo no > n", "set -ex; echo must-not-run > s"],
    ["set -eu; echo a > a", "set -eu; echo b > b"],
    ["X=1", "echo ${X:-unset} > x"],
    ["echo a > a", "false || echo b > b", "echo c > c; echo d > d"],
    ["test -d sub", "echo ok > ok || echo alt > alt"],
    ["echo a > a", "exit 1"],
    ["if true; then echo y > y; fi", "for i in 1 2; do echo $i >> l; done"],
    # Issue 16, class 3: state the shell model did not see leaked into the next RUN.
    ["for i in 1 2; do :; done", "echo ${i:-unset} > i"],
    ["getopts ab opt -a; echo $opt > o", "echo ${OPTIND:-unset} > optind"],
]

# bash only: BASH_REMATCH and shopt/function state.
BASH_CASES = [
    ["x=abc; [[ $x =~ a(b)c ]] && echo m > m", "echo ${BASH_REMATCH[1]:-none} > r"],
    ["shopt -s nullglob", "for f in *.none; do echo $f >> g; done; echo done >> g"],
    ["f() { echo fn > fn; }", "type f > t 2>&1 || echo no-f > t"],
    ["set -o pipefail", "false | true; echo $? > s"],
]


def _separate(shell: str, scripts: list[str], workdir: Path) -> tuple[bool, str]:
    output = []
    for script in scripts:
        proc = subprocess.run([shell, "-c", script], cwd=workdir, capture_output=True, text=True)
        output.append(proc.stdout)
        if proc.returncode != 0:
            return False, "".join(output)
    return True, "".join(output)


def _merged(shell: str, script: str, workdir: Path) -> tuple[bool, str]:
    proc = subprocess.run([shell, "-c", script], cwd=workdir, capture_output=True, text=True)
    return proc.returncode == 0, proc.stdout


def _files(root: Path) -> dict[str, str]:
    return {
        str(p.relative_to(root)): p.read_text().replace(str(root), "<root>")
        for p in sorted(root.rglob("*"))
        if p.is_file()
    }


DECLINED = [
    (["set -e; false; echo no > n", "echo must-not-run > s"], "errexit-in-subshell"),
    (["set -o errexit; x=1", "echo $x"], "errexit-in-subshell"),
    (["set -e; echo a > a; false && echo x", "set -e; echo must-not-run > s"], "errexit-in-subshell"),
    (["sleep 1 &", "echo b"], "background-job"),
    (["echo a # comment", "echo b"], "comment-in-script"),
    (["echo $$ > pid; cd /", "echo b"], "pid-in-subshell"),
    # Issue 16, class 3: errexit the model cannot see, and reads of the last command's state.
    ([". ./env.sh; false; echo no > n", "echo must-not-run > s"], "errexit-in-subshell"),
    (['eval "$SETUP"; false; echo no > n', "echo b > b"], "errexit-in-subshell"),
    (["echo a b > x", "echo $_ > last"], "reads-shell-state"),
    (["sleep 0 | true", "echo ${PIPESTATUS[0]} > p"], "reads-shell-state"),
]


def test_errexit_from_shell_options_after_dash_c_is_seen():
    """SHELL ["/bin/sh", "-c", "-e"]: `sh -c -e SCRIPT` runs with errexit (options may follow -c)."""
    text = 'FROM scratch\nSHELL ["/bin/sh", "-c", "-e"]\nRUN cd /tmp; false; echo no > n\nRUN echo b > b\n'
    tree = parse(text)
    plan = plan_merge(Facts(tree=tree, text=text, settings=Settings()), tree.instructions[2:])
    assert isinstance(plan, NotJoined) and plan.reason == "errexit-in-subshell"


@pytest.mark.parametrize("scripts", BASH_CASES, ids=[" | ".join(c) for c in BASH_CASES])
def test_merged_bash_script_behaves_like_separate_runs(scripts, tmp_path):
    text = 'FROM scratch\nSHELL ["/bin/bash", "-c"]\n' + "".join(f"RUN {s}\n" for s in scripts)
    tree = parse(text)
    plan = plan_merge(Facts(tree=tree, text=text, settings=Settings()), tree.instructions[2:])
    assert not isinstance(plan, NotJoined), plan  # joined, with the state-changing part in a subshell
    a, b = tmp_path / "a", tmp_path / "b"
    for root in (a, b):
        root.mkdir()
    assert _separate("bash", scripts, a) == _merged("bash", plan.script, b), plan.script
    assert _files(a) == _files(b), plan.script


@pytest.mark.parametrize(("scripts", "reason"), DECLINED, ids=[r for _, r in DECLINED])
def test_unsafe_merges_are_declined(scripts, reason):
    text = "FROM scratch\n" + "".join(f"RUN {s}\n" for s in scripts)
    tree = parse(text)
    plan = plan_merge(Facts(tree=tree, text=text, settings=Settings()), tree.instructions[1:])
    assert isinstance(plan, NotJoined) and plan.reason == reason


def test_shell_with_errexit_joins_with_semicolon(tmp_path):
    text = 'FROM scratch\nSHELL ["/bin/sh", "-e", "-c"]\nRUN false; echo no > n\nRUN echo must-not-run > s\n'
    tree = parse(text)
    plan = plan_merge(Facts(tree=tree, text=text, settings=Settings()), tree.instructions[2:])
    assert not isinstance(plan, NotJoined) and plan.script == "false; echo no > n; echo must-not-run > s"
    proc = subprocess.run(["sh", "-e", "-c", plan.script], cwd=tmp_path, capture_output=True)
    assert proc.returncode != 0 and not list(tmp_path.iterdir())


@pytest.mark.parametrize("shell", ["sh", "bash"])
@pytest.mark.parametrize("scripts", CASES, ids=[" | ".join(c) for c in CASES])
def test_merged_script_behaves_like_separate_runs(scripts, shell, tmp_path):
    text = "FROM scratch\n" + "".join(f"RUN {s}\n" for s in scripts)
    tree = parse(text)
    ctx = Facts(tree=tree, text=text, settings=Settings())
    plan = plan_merge(ctx, tree.instructions[1:])
    assert not isinstance(plan, NotJoined), plan
    a, b = tmp_path / "a", tmp_path / "b"
    for root in (a, b):
        (root / "sub").mkdir(parents=True)
    assert _separate(shell, scripts, a) == _merged(shell, plan.script, b), plan.script
    assert _files(a) == _files(b), plan.script
