"""Subcommands, help and usage errors, and configuration files."""

from __future__ import annotations

import pytest

from .conftest import assert_one_error_line, write

# -- rules / explain ---------------------------------------------------------------------------


def test_rules_lists_every_rule(dockopt):
    from optimizer.rules.base import all_rules

    result = dockopt("rules")
    assert result.code == 0, result.stderr
    lines = result.stdout.splitlines()
    assert lines[0].split() == ["CODE", "NAME", "FIX", "DEFAULT", "SUMMARY"]
    rules = all_rules()
    assert len(lines) == 1 + len(rules)
    for rule, line in zip(rules, lines[1:], strict=True):
        assert line.split()[:3] == [rule.code, rule.name, rule.safety.value]
        assert line.endswith(rule.summary)


def test_rules_lists_test_rules_with_their_safety(dockopt):
    result = dockopt("rules", test_rules=True)
    rows = {line.split()[0]: line.split()[2] for line in result.stdout.splitlines()[1:]}
    assert rows["DO990"] == "unsafe" and rows["DO991"] == "display-only"


@pytest.mark.parametrize("query", ["DO102", "do102", "add-to-copy", "ADD-TO-COPY"])
def test_explain_by_code_or_name(dockopt, query):
    from optimizer.rules.style.add_to_copy import AddToCopy

    result = dockopt("explain", query)
    assert result.code == 0, result.stderr
    assert result.stdout.startswith("DO102 add-to-copy (safe fix)\n\n")
    for section in ("## What it does", "## Why", "## Example", "## Fix safety", "## References"):
        assert section in result.stdout
    assert result.stdout.rstrip("\n").endswith(AddToCopy.docs().rstrip("\n"))


@pytest.mark.parametrize("query", ["DO999", "nope", "DO1", "ALL"])
def test_explain_unknown_rule_is_exit_2(dockopt, query):
    result = dockopt("explain", query)
    assert result.code == 2 and result.out == b""
    assert result.err_lines == [f"error: unknown rule '{query}' (see `dockopt rules`)"]


# -- help and usage errors ---------------------------------------------------------------------


@pytest.mark.parametrize("args", [["--help"], ["rules", "--help"], ["explain", "--help"]])
def test_help_works(dockopt, args):
    result = dockopt(*args)
    assert result.code == 0, result.stderr
    assert result.stdout.startswith("Usage: dockopt")


def test_help_names_every_option(dockopt):
    from optimizer.cli import OPTIONS

    text = dockopt("--help").stdout
    for flags, _ in OPTIONS.values():
        for flag in flags:
            assert flag in text


@pytest.mark.parametrize(
    "args",
    [
        [],
        ["--no-such-option", "Dockerfile"],
        ["--write=yes", "Dockerfile"],
        ["--select"],
        ["--color", "rainbow", "Dockerfile"],
        ["--cache-strategy", "sometimes", "Dockerfile"],
        ["--write", "--check", "Dockerfile"],
        ["rules", "extra"],
        ["explain"],
        ["explain", "DO101", "DO102"],
        ["nosuchcommand-but-a-path"],
    ],
)
def test_usage_errors_exit_2_without_traceback(dockopt, tmp_path, args):
    write(tmp_path / "Dockerfile", "from a\n")
    result = dockopt(*args)
    assert result.code == 2, (result.code, result.stderr)
    assert "Traceback" not in result.stderr
    assert result.out == b""
    assert (tmp_path / "Dockerfile").read_text() == "from a\n"


def test_fast_path_and_typer_declare_the_same_options():
    """cli.py parses the common case without typer; commands.py must accept exactly the same options."""
    import typer.main

    from optimizer.cli import OPTIONS
    from optimizer.commands import format_app

    command = typer.main.get_command(format_app)
    declared = {}
    for param in command.params:
        if param.param_type_name == "option" and "--help" not in param.opts:
            declared[param.name] = (tuple(sorted(param.opts)), not param.is_flag)
    expected = {key: (tuple(sorted(flags)), takes) for key, (flags, takes) in OPTIONS.items()}
    assert declared == expected


@pytest.mark.parametrize(
    "args",
    [
        ["--check", "Dockerfile"],
        ["--check", "--select", "DO101", "Dockerfile"],
        ["--select=DO101,DO102", "--ignore", "DO102", "--show-fixes", "Dockerfile"],
        ["--color", "never", "--unsafe-fixes", "--context", ".", "Dockerfile"],
        ["--", "Dockerfile"],
        ["--cache-strategy", "mounts", "-w", "Dockerfile"],
        ["--output-format", "sarif", "--output-file=out.sarif", "--force-exclude", "."],
        ["--exclude", "a,b", "--exclude=c", "--output-format=json", "Dockerfile"],
        [
            "--write",
            "--unsafe-fixes",
            "--verify",
            "--smoke",
            "app --version, x",
            "--smoke=true",
            "Dockerfile",
        ],
    ],
)
def test_fast_path_agrees_with_typer(args, tmp_path, monkeypatch):
    """Both parsers turn the same argv into the same FormatOptions."""
    from optimizer import cli, commands

    seen = []
    monkeypatch.setattr(cli, "run_format", lambda options: seen.append(options) or 0)
    monkeypatch.setattr(commands, "run_format", lambda options: seen.append(options) or 0)
    fast = cli.fast_parse(args)
    assert fast is not None
    with pytest.raises(SystemExit):
        commands.run_typer(args)
    assert seen == [fast]


# -- configuration -----------------------------------------------------------------------------

INPUT = "from a\nadd x /y\n"


def _fixed_by(dockopt, cwd=None, *args) -> str:
    return dockopt(*args, "-", stdin=INPUT.encode(), cwd=cwd).stdout


@pytest.mark.parametrize(
    "name, content",
    [
        ("dockopt.toml", 'ignore = ["DO101"]\n'),
        (".dockopt.toml", 'ignore = ["uppercase-keywords"]\n'),
        ("dockopt.toml", 'select = ["DO102"]\n'),
        ("pyproject.toml", '[project]\nname = "x"\n\n[tool.dockopt]\nselect = ["add-to-copy"]\n'),
    ],
)
def test_config_file_selects_rules(dockopt, tmp_path, name, content):
    write(tmp_path / name, content)
    assert _fixed_by(dockopt, tmp_path) == "from a\ncopy x /y\n"
    write(tmp_path / "sub" / "deeper" / "keep", "")
    assert _fixed_by(dockopt, tmp_path / "sub" / "deeper") == "from a\ncopy x /y\n", (
        "found in a parent folder"
    )


def test_pyproject_without_table_is_not_a_config(dockopt, tmp_path):
    write(tmp_path / "dockopt.toml", 'ignore = ["DO102"]\n')
    write(tmp_path / "app" / "pyproject.toml", '[project]\nname = "x"\n')
    assert _fixed_by(dockopt, tmp_path / "app") == "FROM a\nADD x /y\n"


def test_command_line_overrides_config(dockopt, tmp_path):
    write(tmp_path / "dockopt.toml", 'select = ["DO101"]\n')
    assert _fixed_by(dockopt, tmp_path, "--select", "DO102") == "from a\ncopy x /y\n"
    assert _fixed_by(dockopt, tmp_path, "--ignore", "ALL") == INPUT


def test_each_file_uses_its_nearest_config(dockopt, tmp_path):
    write(tmp_path / "dockopt.toml", 'ignore = ["DO102"]\n')
    write(tmp_path / "a" / "Dockerfile", INPUT)
    write(tmp_path / "b" / "Dockerfile", INPUT)
    write(tmp_path / "b" / "dockopt.toml", 'ignore = ["DO101"]\n')
    result = dockopt("--write", ".")
    assert result.code == 0, result.stderr
    assert (tmp_path / "a" / "Dockerfile").read_text() == "FROM a\nADD x /y\n"
    assert (tmp_path / "b" / "Dockerfile").read_text() == "from a\ncopy x /y\n"


@pytest.mark.parametrize(
    "name, content, words",
    [
        ("dockopt.toml", "select = [DO101\n", "cannot read config"),
        ("dockopt.toml", 'select = "DO101"\n', "must be a list"),
        ("dockopt.toml", "selct = []\n", "unknown option"),
        ("dockopt.toml", 'unsafe-fixes = "yes"\n', "true or false"),
        ("dockopt.toml", 'ignore = ["DO9"]\n', "unknown rule selector 'DO9'"),
        ("dockopt.toml", b"select = ['\xff']\n", "cannot read config"),
        ("pyproject.toml", "[tool.dockopt]\nselect = [1]\n", "must be a list"),
    ],
)
def test_bad_config_is_exit_2_naming_the_file(dockopt, tmp_path, name, content, words):
    config = write(tmp_path / name, content)
    target = write(tmp_path / "Dockerfile", INPUT)
    write(tmp_path / "sub" / "Dockerfile", INPUT)
    for args in (["--write", "Dockerfile"], ["-"], ["--write", "."]):
        result = dockopt(*args, stdin=INPUT.encode())
        line = assert_one_error_line(result, str(config))  # once, however many files it governs
        assert words in line, line
        assert result.out == b""
    assert target.read_text() == INPUT
    assert (tmp_path / "sub" / "Dockerfile").read_text() == INPUT


def test_unknown_selector_on_the_command_line(dockopt, tmp_path):
    write(tmp_path / "Dockerfile", INPUT)
    result = dockopt("--ignore", "DO1,bogus", "Dockerfile")
    assert result.code == 2
    assert result.err_lines == ["error: unknown rule selector 'bogus' (see `dockopt rules`)"]


def test_every_subcommand_is_routed_to_typer():
    """A subcommand missing from cli.SUBCOMMANDS would be read as a path by the fast path."""
    import subprocess
    import sys

    from optimizer.cli import SUBCOMMANDS

    assert set(SUBCOMMANDS) == {"rules", "explain", "verify", "pr", "lsp"}
    for name in SUBCOMMANDS:
        result = subprocess.run(
            [sys.executable, "-m", "optimizer", name, "--help"], capture_output=True, text=True, check=False
        )
        assert result.returncode == 0 and f"dockopt {name}" in result.stdout, (name, result.stderr)
