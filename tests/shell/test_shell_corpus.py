"""The shell model over every RUN of ../shared/corpus: it never raises, reads nearly every script, and
maps every command back to the exact Dockerfile text.

Run with ``-s`` to see the counts (scripts analysed, declined per reason, time taken).
"""

from __future__ import annotations

import time
from collections import Counter
from pathlib import Path

import pytest
from oracle import CORPUS, corpus_files

from optimizer.shell import invocations, removals, run_analysis
from optimizer.syntax import parse

REAL = sorted(CORPUS.glob("real/*/Dockerfile"))


def _text(path: Path) -> str:
    return path.read_bytes().decode("utf-8")


def _analyse(paths: list[Path]):
    """(path, text, instruction, analysis) for each RUN (and ONBUILD RUN) of files that parse cleanly."""
    rows = []
    for path in paths:
        text = _text(path)
        tree = parse(text)
        if tree.errors:
            continue
        for instruction in tree.instructions:
            if (instruction.sub or instruction).name == "RUN":
                rows.append((path, text, instruction, run_analysis(tree, instruction)))
    return rows


@pytest.fixture(scope="module")
def real_runs():
    started = time.perf_counter()
    rows = _analyse(REAL)
    elapsed = time.perf_counter() - started
    reasons = Counter(str(analysis.reason) if analysis.reason else "analysed" for *_, analysis in rows)
    print(
        f"\nshell model over {len(REAL)} real Dockerfiles: {len(rows)} RUNs in {elapsed:.2f}s:", dict(reasons)
    )
    return rows


def test_corpus_is_there():
    assert len(REAL) == 246


def test_nearly_every_shell_script_is_analysed(real_runs):
    reasons = Counter(analysis.reason for *_, analysis in real_runs)
    not_shell = reasons["exec-form"] + reasons["windows-stage"] + reasons["non-posix-shell"]
    shell_scripts = len(real_runs) - not_shell
    analysed = reasons[None]
    assert len(real_runs) > 800
    # Declined for the shell's syntax (tree-sitter errors or a tree we cannot trust): under 1%.
    assert analysed / shell_scripts > 0.99, reasons
    assert reasons["windows-stage"] + reasons["non-posix-shell"] >= 15  # the Windows images are recognised


def test_every_command_maps_back_exactly(real_runs):
    commands = exact = 0
    for path, text, _, analysis in real_runs:
        script = analysis.script
        if script is None:
            continue
        for command in script.commands:
            commands += 1
            start, end = command.source_span
            if command.source_exact:
                exact += 1
                assert text[start:end] == command.text, (path, command.text)
            # Even across continuations, the span starts and ends on the command's own characters.
            assert text[start] == command.text[0], (path, command.text)
            assert text[end - 1] == command.text[-1], (path, command.text)
    assert commands > 4000
    assert exact / commands > 0.9


def test_words_of_recognised_commands_map_back(real_runs):
    """Package-manager and rm words a rule would edit read back from the file as they are in the script."""
    checked = 0
    for path, text, _, analysis in real_runs:
        script = analysis.script
        if script is None:
            continue
        words = [w for i in invocations(script) for w in i.program + i.subcommand_words + i.args]
        words += [w for r in removals(script) for w in r.paths]
        for word in words:
            if script.exact(word.span):
                start, end = script.source_span(word.span)
                assert text[start:end] == word.text, (path, word.text)
                checked += 1
    assert checked > 2000


def test_recognisers_cover_the_corpus(real_runs):
    managers = Counter()
    for *_, analysis in real_runs:
        if analysis.script is not None:
            managers.update(i.manager for i in invocations(analysis.script))
    expected = [
        "apt-get",
        "apt",
        "apk",
        "yum",
        "dnf",
        "microdnf",
        "zypper",
        "pip",
        "uv",
        "npm",
        "yarn",
        "gem",
        "bundler",
        "composer",
        "mamba",
        "micromamba",
        "go",
        "mvn",
        "gradle",
        "cargo",
        "dotnet",
    ]
    assert [m for m in expected if managers[m] == 0] == []


def test_other_corpus_files_never_raise():
    others = [path for path in corpus_files() if path not in set(REAL)]
    rows = _analyse(others)
    assert rows  # BuildKit's own test files have RUNs too
