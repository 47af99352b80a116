"""--output-format, --output-file and DOCKOPT_OUTPUT_FORMAT as users run them: where each output
goes, exit codes unchanged in every format, one error line for a bad option."""

from __future__ import annotations

import json

import pytest
from cli.conftest import assert_one_error_line, clean_env, write

from optimizer.report import FORMATS
from optimizer.report.github import escape_data, escape_property

from .helpers import github_properties, unescape_github

CHANGES = "from alpine:3.20\nadd app.py /app/\n"
CLEAN = "FROM alpine:3.20\n"
REPORTS = [fmt for fmt in FORMATS if fmt != "full"]


@pytest.mark.parametrize("fmt", FORMATS)
def test_exit_codes_are_the_same_in_every_format(dockopt, tmp_path, fmt):
    write(tmp_path / "changes" / "Dockerfile", CHANGES)
    write(tmp_path / "clean" / "Dockerfile", CLEAN)
    write(tmp_path / "broken" / "Dockerfile", "FROM a\nNOPE x\n")
    assert dockopt("--output-format", fmt, "changes").code == 1
    assert dockopt("--output-format", fmt, "--check", "changes").code == 1
    assert dockopt("--output-format", fmt, "clean").code == 0
    broken = dockopt("--output-format", fmt, "broken", "clean")
    assert broken.code == 2 and broken.err_lines[0].startswith("broken/Dockerfile:2:1: ")
    written = dockopt("--output-format", fmt, "--write", "changes")
    assert written.code == 0, written.stderr
    assert (tmp_path / "changes" / "Dockerfile").read_text() == "FROM alpine:3.20\nCOPY app.py /app/\n"


@pytest.mark.parametrize("fmt", REPORTS)
def test_a_report_owns_stdout(dockopt, tmp_path, fmt):
    write(tmp_path / "Dockerfile", CHANGES)
    result = dockopt("--output-format", fmt, "--check", "--show-fixes", "Dockerfile")
    assert "would fix Dockerfile" in result.stderr and "1 file would be changed" in result.stderr
    assert "Dockerfile:2:1: DO102 [add-to-copy]" in result.stderr, "--show-fixes lines go to stderr"
    assert "would fix" not in result.stdout
    if fmt in ("json", "sarif", "gitlab", "rdjson"):
        json.loads(result.stdout)  # nothing but the report
    elif fmt == "github":
        assert all(line.startswith("::warning ") for line in result.stdout.splitlines())
    elif fmt == "concise":
        assert len(result.stdout.splitlines()) == 3
    else:
        assert result.stdout.startswith("## dockopt\n")


@pytest.mark.parametrize("fmt", REPORTS)
def test_output_file_keeps_the_diff_on_the_terminal(dockopt, tmp_path, fmt):
    write(tmp_path / "Dockerfile", CHANGES)
    result = dockopt("--output-format", fmt, "--output-file", "report.out", "Dockerfile")
    assert result.code == 1
    assert result.stdout.startswith("--- a/Dockerfile\n+++ b/Dockerfile\n")
    report = (tmp_path / "report.out").read_text(encoding="utf-8")
    assert "DO101" in report and "DO102" in report
    assert dockopt("--output-format", fmt, "Dockerfile").stdout == report, "the same report as on stdout"


def test_output_file_with_write_keeps_the_summary_and_reports_the_input(dockopt, tmp_path):
    write(tmp_path / "Dockerfile", CHANGES)
    result = dockopt("--write", "--output-format", "json", "--output-file", "findings.json", "Dockerfile")
    assert result.code == 0 and result.stdout == "fixed Dockerfile (3 fixes: DO101×2, DO102)\n"
    findings = json.loads((tmp_path / "findings.json").read_text())
    assert [(f["code"], f["location"]["row"]) for f in findings] == [("DO101", 1), ("DO101", 2), ("DO102", 2)]
    assert findings[2]["fix"]["edits"] == [
        {"content": "copy", "location": {"row": 2, "column": 1}, "end_location": {"row": 2, "column": 4}}
    ]


def test_full_output_file_gets_the_diff(dockopt, tmp_path):
    write(tmp_path / "Dockerfile", CHANGES)
    result = dockopt("--output-file", "out.diff", "Dockerfile")
    assert result.code == 1 and result.stdout == ""
    assert (tmp_path / "out.diff").read_text().startswith("--- a/Dockerfile\n")


def test_environment_sets_the_default_format(dockopt, tmp_path):
    write(tmp_path / "Dockerfile", CHANGES)
    env = clean_env(DOCKOPT_OUTPUT_FORMAT="gitlab")
    from_env = dockopt("Dockerfile", env=env)
    assert from_env.code == 1 and json.loads(from_env.stdout)[0]["check_name"] == "DO101"
    option_wins = dockopt("--output-format", "concise", "Dockerfile", env=env)
    assert option_wins.stdout.startswith("Dockerfile:1:1: DO101 [uppercase-keywords] ")


@pytest.mark.parametrize(
    "args, env, prefix",
    [
        (["--output-format", "xml", "Dockerfile"], {}, "error: --output-format: unknown output format 'xml'"),
        (
            ["--output-format=SARIF", "Dockerfile"],
            {},
            "error: --output-format: unknown output format 'SARIF'",
        ),
        (
            ["Dockerfile"],
            {"DOCKOPT_OUTPUT_FORMAT": "yaml"},
            "error: DOCKOPT_OUTPUT_FORMAT: unknown output format",
        ),
        (
            ["--output-file", "no/such/dir/out.json", "Dockerfile"],
            {},
            "error: --output-file: no/such/dir/out.json",
        ),
        (["--output-file", ".", "Dockerfile"], {}, "error: --output-file: . is a directory"),
    ],
)
def test_bad_output_options_are_one_line_and_exit_2(dockopt, tmp_path, args, env, prefix):
    write(tmp_path / "Dockerfile", CHANGES)
    result = dockopt(*args, env=clean_env(**env))
    line = assert_one_error_line(result, "error")
    assert line.startswith(prefix), line
    assert result.out == b""
    assert (tmp_path / "Dockerfile").read_text() == CHANGES
    if "unknown output format" in line:
        assert line.endswith("(choose from full, concise, json, sarif, github, gitlab, rdjson, markdown)")


def test_stdin_report_replaces_the_fixed_text(dockopt, tmp_path):
    result = dockopt("--output-format", "json", "--stdin-filename", "Dockerfile", "-", stdin=CHANGES.encode())
    assert result.code == 0
    assert [f["filename"] for f in json.loads(result.stdout)] == ["Dockerfile"] * 3
    to_file = dockopt("--output-format", "json", "--output-file", "r.json", "-", stdin=CHANGES.encode())
    assert to_file.stdout == "FROM alpine:3.20\nCOPY app.py /app/\n", "the editor still gets the fixed text"
    assert [f["filename"] for f in json.loads((tmp_path / "r.json").read_text())] == ["-"] * 3


def test_github_annotations_escape_paths_and_messages(dockopt, tmp_path):
    write(tmp_path / "we,ird:dir" / "Dockerfile", CHANGES)
    result = dockopt("--output-format", "github", "we,ird:dir/Dockerfile")
    lines = result.stdout.splitlines()
    assert lines[0].startswith(
        "::warning file=we%2Cird%3Adir/Dockerfile,line=1,endLine=1,col=1,endColumn=17,"
    )
    props, message = github_properties(lines[0])
    assert unescape_github(props["file"]) == "we,ird:dir/Dockerfile"
    assert message == "uppercase-keywords: Keywords in upper case: `from` → `FROM`"


def test_github_escaping_follows_the_actions_toolkit():
    assert escape_data("100% done\r\nnext: a,b") == "100%25 done%0D%0Anext: a,b"
    assert escape_property("a:b,c%\n") == "a%3Ab%2Cc%25%0A"


def test_levels_follow_fix_safety(dockopt, tmp_path):
    write(tmp_path / "Dockerfile", "FROM a\nLABEL unsafe=1\nLABEL shown=1\n")
    github = dockopt("--output-format", "github", "Dockerfile", test_rules=True).stdout.splitlines()
    assert [line.split(" ")[0] for line in github] == ["::warning", "::notice"]
    gitlab = json.loads(dockopt("--output-format", "gitlab", "Dockerfile", test_rules=True).stdout)
    assert [issue["severity"] for issue in gitlab] == ["minor", "info"]
    rdjson = json.loads(dockopt("--output-format", "rdjson", "Dockerfile", test_rules=True).stdout)
    assert [d["severity"] for d in rdjson["diagnostics"]] == ["WARNING", "INFO"]
    assert rdjson["diagnostics"][1]["suggestions"] == [
        {"range": {"start": {"line": 3, "column": 7}, "end": {"line": 3, "column": 14}}, "text": "shown=0"}
    ]
    concise = dockopt("--output-format", "concise", "Dockerfile", test_rules=True)
    assert concise.stdout.splitlines() == [
        "Dockerfile:2:1: DO990 [flip-unsafe] unsafe=1 is a test pattern (unsafe)",
        "Dockerfile:3:1: DO991 [show-only] shown=1 is a test pattern (display-only)",
    ]
    assert concise.code == 0, "nothing is applied without --unsafe-fixes"


def test_rdjson_columns_count_utf8_bytes(dockopt, tmp_path):
    write(tmp_path / "Dockerfile", "FROM a\nLABEL é=1\nlabel x=1\n")
    diagnostics = json.loads(dockopt("--output-format", "rdjson", "Dockerfile").stdout)["diagnostics"]
    (only,) = diagnostics
    assert only["location"]["range"]["end"] == {"line": 3, "column": 10}
    write(tmp_path / "Dockerfile", "FROM a\nlabel é=1\n")
    (only,) = json.loads(dockopt("--output-format", "rdjson", "Dockerfile").stdout)["diagnostics"]
    assert only["location"]["range"]["end"] == {"line": 2, "column": 11}, "é is two bytes"
    sarif = json.loads(dockopt("--output-format", "sarif", "Dockerfile").stdout)
    region = sarif["runs"][0]["results"][0]["locations"][0]["physicalLocation"]["region"]
    assert region["endColumn"] == 10, "SARIF counts code points (columnKind)"


def test_markdown_says_what_write_did(dockopt, tmp_path):
    write(tmp_path / "Dockerfile", CHANGES)
    checked = dockopt("--output-format", "markdown", "--check", "Dockerfile").stdout
    assert "1 file checked: 1 would be changed, 0 unchanged; 3 findings." in checked
    written = dockopt("--output-format", "markdown", "--write", "Dockerfile").stdout
    assert "1 file checked: 1 changed, 0 unchanged; 3 findings." in written
    assert "```diff\n--- a/Dockerfile\n+++ b/Dockerfile\n" in written


def test_markdown_fence_outgrows_backticks_in_the_diff(dockopt, tmp_path):
    write(tmp_path / "Dockerfile", "from a\n# ``` and ````\nRUN echo\n")
    out = dockopt("--output-format", "markdown", "Dockerfile").stdout
    assert "`````diff\n" in out and "\n`````\n" in out


def test_paths_are_relative_to_the_repository_root(dockopt, tmp_path):
    import subprocess

    subprocess.run(["git", "init", "-q", str(tmp_path)], check=True)
    write(tmp_path / "services" / "api" / "Dockerfile", CHANGES)
    result = dockopt("--output-format", "gitlab", "Dockerfile", cwd=tmp_path / "services" / "api")
    assert {issue["location"]["path"] for issue in json.loads(result.stdout)} == {"services/api/Dockerfile"}
    sarif = json.loads(dockopt("--output-format", "sarif", ".", cwd=tmp_path / "services").stdout)
    run = sarif["runs"][0]
    uris = {r["locations"][0]["physicalLocation"]["artifactLocation"]["uri"] for r in run["results"]}
    assert uris == {"services/api/Dockerfile"}
    assert run["originalUriBaseIds"]["%SRCROOT%"]["uri"] == tmp_path.resolve().as_uri() + "/"
