"""The `dockopt verify` command and its helpers, without an engine (a fake one, or none at all)."""

from __future__ import annotations

import io
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from optimizer.verify.command import parse_build_args, run_verify
from optimizer.verify.report import ratio, seconds
from optimizer.verify.workspace import EditTarget, Workspace, choose_edit_target, copy_context, edit_line

from .fakes import FakeDocker
from .imagefactory import directory, file, layer


def dockopt(
    *args: str, env: dict[str, str] | None = None, cwd: Path | None = None
) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "optimizer", *args],
        capture_output=True,
        text=True,
        env=env,
        cwd=cwd,
        timeout=120,
    )


def test_help_lists_the_options():
    result = dockopt("verify", "--help")
    assert result.returncode == 0, result.stderr
    for option in (
        "--context",
        "--target",
        "--build-arg",
        "--select",
        "--ignore",
        "--unsafe-fixes",
        "--offline",
        "--format",
        "--runs",
    ):
        assert option in result.stdout


def test_no_engine_is_one_line_and_exit_2(tmp_path):
    (tmp_path / "Dockerfile").write_text("from debian:bookworm-slim\n")
    env = {k: v for k, v in os.environ.items() if not k.startswith("DOCKER")}
    env["PATH"] = str(tmp_path / "empty")
    env["PYTHONPATH"] = str(Path(__file__).resolve().parents[2])
    result = dockopt("verify", str(tmp_path / "Dockerfile"), env=env)
    assert result.returncode == 2
    assert result.stderr == "error: no `docker` CLI on PATH; install Docker to run verify\n"
    assert result.stdout == ""


def test_missing_file_and_bad_runs_are_usage_errors(tmp_path):
    assert dockopt("verify", str(tmp_path / "nope")).returncode == 2
    (tmp_path / "Dockerfile").write_text("FROM debian\n")
    assert dockopt("verify", "--runs", "0", str(tmp_path / "Dockerfile")).returncode == 2


@pytest.fixture
def project(tmp_path):
    (tmp_path / "app.py").write_text("print(1)\n")
    (tmp_path / "Dockerfile").write_text("from python:3.11-slim\ncopy app.py /app/\n")
    return tmp_path


def same_image(make_snapshot):
    image = make_snapshot(layer(directory("/app"), file("/app/app.py", "print(1)\n")))
    return lambda _text: image


def test_run_verify_writes_json_to_stdout(project, make_snapshot):
    out, err = io.StringIO(), io.StringIO()
    code = run_verify(
        str(project / "Dockerfile"),
        fmt="json",
        runs=2,
        select=["DO101"],
        build_args=["A=1", "B"],
        docker=(docker := FakeDocker(same_image(make_snapshot))),
        stdout=out,
        stderr=err,
    )
    assert code == 0, err.getvalue()
    data = json.loads(out.getvalue())
    assert data["status"] == "equivalent" and data["runs"] == 2
    assert [r["code"] for r in data["applied"]] == ["DO101"]
    assert {tuple(c.build_args.items()) for c in docker.calls} == {(("A", "1"),)}  # B is unset: not passed


def test_run_verify_honours_select_and_ignore(project, make_snapshot):
    out = io.StringIO()
    code = run_verify(
        str(project / "Dockerfile"),
        ignore=["DO101"],
        docker=FakeDocker(same_image(make_snapshot)),
        stdout=out,
    )
    assert code == 0 and "nothing to verify" in out.getvalue()


def test_run_verify_errors_are_one_line(project, make_snapshot):
    err = io.StringIO()
    assert run_verify(str(project / "Dockerfile"), select=["DO000"], stderr=err) == 2
    assert err.getvalue() == "error: unknown rule selector 'DO000' (see `dockopt rules`)\n"
    err = io.StringIO()
    assert run_verify(str(project / "Dockerfile"), build_args=["=x"], stderr=err) == 2
    assert err.getvalue().count("\n") == 1 and "KEY=VALUE" in err.getvalue()
    err, out = io.StringIO(), io.StringIO()
    docker = FakeDocker(same_image(make_snapshot), unavailable="no Docker engine reachable (refused)")
    assert run_verify(str(project / "Dockerfile"), fmt="markdown", docker=docker, stdout=out, stderr=err) == 2
    assert err.getvalue() == "error: no Docker engine reachable (refused)\n"
    assert "**Error:** no Docker engine reachable (refused)" in out.getvalue()


def test_parse_build_args():
    assert parse_build_args(["A=1", "B=x=y", "C=", "D", "E"], environ={"D": "from-env"}) == {
        "A": "1",
        "B": "x=y",
        "C": "",
        "D": "from-env",
    }
    with pytest.raises(ValueError):
        parse_build_args(["=1"])


def test_number_formats():
    assert seconds(None) == "-" and seconds(0.123) == "0.12 s" and seconds(12.34) == "12.3 s"
    assert ratio(10, 5) == "0.50×" and ratio(None, 3) == ""
    assert ratio(0, 0) == "1.00×" and ratio(0, 2) == "-"


# -- the file verify edits ------------------------------------------------------------------------


def write(root: Path, rel: str, text: str | bytes, mtime: int) -> None:
    path = root / rel
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(text if isinstance(text, bytes) else text.encode())
    os.utime(path, (mtime, mtime))


def test_edit_target_is_a_copied_source_file_not_a_manifest(tmp_path):
    write(tmp_path, "src/app.py", "x\n", 100)
    write(tmp_path, "src/old.py", "x\n", 50)
    write(tmp_path, "tools/newest.py", "x\n", 300)  # newer, but never copied
    write(tmp_path, "src/requirements.txt", "flask\n", 400)  # copied and newest, but a manifest
    write(tmp_path, "src/logo.png", b"\x89PNG\0\0", 500)  # binary
    write(tmp_path, "src/notes.md", "hi\n", 200)  # not source code: only if nothing else
    text = "FROM python:3.11\nCOPY src/ /app/\n"
    assert choose_edit_target(tmp_path, text) == EditTarget(
        "src/app.py", "the most recently modified source file that the Dockerfile copies"
    )
    (tmp_path / "src" / "app.py").unlink()
    (tmp_path / "src" / "old.py").unlink()
    assert choose_edit_target(tmp_path, text).path == "src/notes.md"


def test_edit_target_honours_dockerignore_and_copy_dot(tmp_path):
    write(tmp_path, "main.go", "package main\n", 100)
    write(tmp_path, "vendor_gen.go", "package main\n", 200)
    write(tmp_path, "go.mod", "module x\n", 300)
    write(tmp_path, ".dockerignore", "vendor_gen.go\n", 400)
    assert choose_edit_target(tmp_path, "FROM golang:1.19\nCOPY . .\n").path == "main.go"


def test_no_edit_target_when_nothing_is_copied(tmp_path):
    write(tmp_path, "main.py", "x\n", 100)
    assert choose_edit_target(tmp_path, "FROM debian\nRUN true\n") is None


def test_unknown_copy_sources_fall_back_to_the_whole_context(tmp_path):
    write(tmp_path, "a/main.py", "x\n", 100)
    target = choose_edit_target(tmp_path, "FROM debian\nARG DIR\nCOPY $DIR /app\n")
    assert target == EditTarget("a/main.py", "the most recently modified source file in the context")


def test_context_copy_keeps_links_and_mtimes_and_skips_fifos(tmp_path):
    source = tmp_path / "ctx"
    write(source, "a.txt", "a", 123)
    (source / "link").symlink_to("a.txt")
    os.mkfifo(source / "pipe")
    skipped = copy_context(source, tmp_path / "copy")
    assert skipped == ["pipe"]
    assert os.readlink(tmp_path / "copy" / "link") == "a.txt"
    assert (tmp_path / "copy" / "a.txt").stat().st_mtime == 123


def test_edits_are_comments_or_whitespace_and_never_repeat(tmp_path):
    assert edit_line(".py", "ab") == "# dockopt verify: edit ab"
    assert edit_line(".GO", "ab") == "// dockopt verify: edit ab"
    assert edit_line(".html", "ab") == "<!-- dockopt verify: edit ab -->"
    assert edit_line(".txt", "a1") == "\t \t    \t"  # 0xa = 1010, 0x1 = 0001
    write(tmp_path, "main.py", "print(1)", 100)  # no final newline
    with Workspace(tmp_path, "FROM python\nCOPY . .\n") as workspace:
        copied = workspace.context / "main.py"
        workspace.edit()
        workspace.edit()
        lines = copied.read_text().splitlines()
        assert lines[0] == "print(1)" and len(lines) == 3 and lines[1] != lines[2]
        assert lines[1].startswith("# dockopt verify: edit ")
    assert not workspace.context.exists()
    assert (tmp_path / "main.py").read_text() == "print(1)"
