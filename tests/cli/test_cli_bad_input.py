"""Bad input: one line ``path[:line[:col]]: message`` on stderr, exit 2, no traceback, file untouched.

Every case runs with ``--write`` (the mode that could do damage) and through stdin.
"""

from __future__ import annotations

import ctypes
import json
import os
import subprocess
import sys

import pytest

from .conftest import assert_one_error_line, write

TEN_MB = b"FROM alpine\n" + b"RUN echo 0123456789abcdef0123456789abcdef0123456789abcdef01234567\n" * 160_000

BAD_CONTENT = [
    pytest.param(b"FROM alpine\nRUN echo \x00\x01\x02\n", "2:10", "binary", id="nul-bytes"),
    # columns count characters, as the parser's errors (and editors) do
    pytest.param("FROM alpine\nRUN echo é\x00\n".encode(), "2:11", "binary", id="nul-after-non-ascii"),
    pytest.param(b"FROM alpine\n# caf\xc3\xa9 \xe9\n", "2:8", "UTF-8", id="non-utf8-after-non-ascii"),
    pytest.param(b"FROM alpine\n# caf\xe9\n", "2:6", "UTF-8", id="non-utf8"),
    pytest.param(b"\xff\xfeF\x00R\x00O\x00M\x00", "1:1", "UTF-16", id="utf16-bom"),
    pytest.param(b"", "1:1", "no instructions", id="empty"),
    pytest.param(b"\xef\xbb\xbf\n  \n", None, "no instructions", id="bom-and-blanks"),
    pytest.param(b"# just a comment\n# and another\n", None, "no instructions", id="only-comments"),
    pytest.param(
        b"FROM alpine\nRUN <<EOF\necho hi\n", "2:1", "unterminated heredoc", id="unterminated-heredoc"
    ),
    pytest.param(
        b"FROM alpine\nRUN <<-'END' cat\n\techo\n\tEN\n",
        "2:1",
        "unterminated heredoc",
        id="unterminated-heredoc-dash",
    ),
    pytest.param(TEN_MB, None, "too large", id="ten-mb"),
    pytest.param(b"FROM alpine\nFOO bar\n", "2:1", "unknown instruction: FOO", id="unknown-instruction"),
    pytest.param(
        b"FROM alpine\n  foo bar\n", "2:3", "unknown instruction: foo", id="unknown-instruction-indented"
    ),
    pytest.param(b"FROM alpine\nENV PATH\n", "2:1", "ENV must have two arguments", id="env-without-value"),
    pytest.param(b'FROM alpine\nCMD ["a", ["b"]]\n', "2:1", "JSON", id="nested-json"),
    pytest.param(b"# escape=x\nFROM alpine\n", "1:1", "escape", id="bad-escape-directive"),
    pytest.param(b"FROM alpine\nONBUILD FROM x\n", "2:9", "ONBUILD", id="onbuild-from"),
]


def _snapshot(path):
    info = path.stat()
    return path.read_bytes(), info.st_mtime_ns, info.st_ino, sorted(os.listdir(path.parent))


def _check_position(line: str, prefix: str, position: str | None, words: str) -> None:
    if position is not None:
        assert line.startswith(f"{prefix}:{position}: "), line
    assert words.lower() in line.lower(), line


@pytest.mark.parametrize("content, position, words", BAD_CONTENT)
@pytest.mark.parametrize("mode", [["--write"], []], ids=["write", "diff"])
def test_bad_file(dockopt, tmp_path, content, position, words, mode):
    target = write(tmp_path / "Dockerfile", content)
    before = _snapshot(target)
    result = dockopt(*mode, "Dockerfile")
    line = assert_one_error_line(result, "Dockerfile")
    _check_position(line, "Dockerfile", position, words)
    assert result.out == b""
    assert _snapshot(target) == before


@pytest.mark.parametrize("content, position, words", BAD_CONTENT)
def test_bad_stdin(dockopt, content, position, words):
    result = dockopt("-", stdin=content)
    line = assert_one_error_line(result, "-")
    _check_position(line, "-", position, words)
    assert result.out == b"", "nothing on stdout: an editor must not replace its buffer"
    named = dockopt("--stdin-filename", "sub/Containerfile", "-", stdin=content)
    _check_position(assert_one_error_line(named, "sub/Containerfile"), "sub/Containerfile", position, words)


def test_bad_file_does_not_stop_the_others(dockopt, tmp_path):
    bad = write(tmp_path / "a" / "Dockerfile", b"FROM a\nFOO\n")
    good = write(tmp_path / "b" / "Dockerfile", b"from a\n")
    before = _snapshot(bad)
    result = dockopt("--write", ".")
    assert result.code == 2
    assert result.err_lines == ["a/Dockerfile:2:1: unknown instruction: FOO"]
    assert good.read_bytes() == b"FROM a\n"
    assert _snapshot(bad)[:3] == before[:3]


def test_odd_ansi_c_escapes_are_read_not_crashed_on(dockopt, tmp_path):
    """Valid shell that names no character (past U+10FFFF, past a C int, a surrogate) is no internal error."""
    text = "FROM alpine\nRUN echo $'\\UFFFFFFFF' $'\\U110000' $'\\uD800' > $'\\uDFFF.txt'\nRUN echo done\n"
    write(tmp_path / "Dockerfile", text)
    result = dockopt("--show-fixes", "--output-format", "json", "Dockerfile")
    assert result.code in (0, 1), result.err
    assert b"internal error" not in result.err
    json.loads(result.out)


def test_missing_path(dockopt):
    result = dockopt("--write", "nowhere/Dockerfile")
    assert (
        assert_one_error_line(result, "nowhere/Dockerfile") == "nowhere/Dockerfile: no such file or directory"
    )


def test_directory_without_dockerfiles_is_an_error(dockopt, tmp_path):
    """A named directory with nothing to check is exit 2: a CI gate must not pass on a typo'd folder."""
    write(tmp_path / "src" / "main.py", "print()\n")
    result = dockopt("--check", "src")
    assert assert_one_error_line(result, "src") == "src: no Dockerfiles found in this directory"


def test_directory_with_dockerfiles_is_normal(dockopt, tmp_path):
    write(tmp_path / "src" / "Dockerfile", "FROM a\n")
    result = dockopt("--check", "src")
    assert (result.code, result.out, result.err) == (0, b"", b"")


def test_path_through_a_file_is_an_error(dockopt, tmp_path):
    write(tmp_path / "Dockerfile", "FROM a\n")
    result = dockopt("Dockerfile/Dockerfile")
    line = assert_one_error_line(result, "Dockerfile/Dockerfile")
    assert "directory" in line.lower()


def test_fifo_is_not_read(dockopt, tmp_path):
    os.mkfifo(tmp_path / "Dockerfile")
    result = dockopt("--write", "Dockerfile", timeout=20)
    assert assert_one_error_line(result, "Dockerfile") == "Dockerfile: not a regular file"


def test_symlink_loop(dockopt, tmp_path):
    os.symlink("Dockerfile", tmp_path / "Dockerfile")
    result = dockopt("Dockerfile")
    assert_one_error_line(result, "Dockerfile")


def test_dangling_symlink(dockopt, tmp_path):
    os.symlink("gone", tmp_path / "Dockerfile")
    result = dockopt("--write", "Dockerfile")
    assert assert_one_error_line(result, "Dockerfile") == "Dockerfile: no such file or directory"
    assert os.readlink(tmp_path / "Dockerfile") == "gone"


def _drop_read_override() -> None:
    """In the child: give up CAP_DAC_OVERRIDE/CAP_DAC_READ_SEARCH, so root obeys chmod 000 too."""
    libc = ctypes.CDLL(None, use_errno=True)
    for cap in (1, 2):  # CAP_DAC_OVERRIDE, CAP_DAC_READ_SEARCH
        libc.prctl(24, cap, 0, 0, 0)  # PR_CAPBSET_DROP; failure shows up in the probe below


def _run_unprivileged(args, cwd) -> subprocess.CompletedProcess:
    from .conftest import clean_env

    return subprocess.run(
        [sys.executable, *args],
        cwd=cwd,
        capture_output=True,
        env=clean_env(),
        preexec_fn=_drop_read_override,
        timeout=60,
    )


def test_unreadable_file(tmp_path):
    target = write(tmp_path / "Dockerfile", b"from alpine\n")
    target.chmod(0o000)
    try:
        probe = _run_unprivileged(["-c", "open('Dockerfile', 'rb').read()"], tmp_path)
        if probe.returncode == 0:
            pytest.skip("cannot make a file unreadable here (root keeps CAP_DAC_OVERRIDE)")
        before = _snapshot(target)
        for mode in (["--write"], []):
            proc = _run_unprivileged(["-m", "optimizer", *mode, "Dockerfile"], tmp_path)
            err = proc.stderr.decode()
            assert proc.returncode == 2 and "Traceback" not in err, err
            assert err == "Dockerfile: permission denied\n"
            assert proc.stdout == b""
        assert _snapshot(target) == before
    finally:
        target.chmod(0o644)


def test_unwritable_directory_on_write(tmp_path):
    """--write into a directory we may not write: one error line, the file untouched, no temp file."""
    folder = tmp_path / "ro"
    target = write(folder / "Dockerfile", b"from alpine\n")
    folder.chmod(0o555)
    try:
        probe = _run_unprivileged(["-c", "open('ro/probe', 'w')"], tmp_path)
        if probe.returncode == 0:
            pytest.skip("cannot make a directory unwritable here (root keeps CAP_DAC_OVERRIDE)")
        before = _snapshot(target)
        proc = _run_unprivileged(["-m", "optimizer", "--write", "ro/Dockerfile"], tmp_path)
        err = proc.stderr.decode()
        assert proc.returncode == 2 and "Traceback" not in err, err
        assert err.startswith("ro/Dockerfile: cannot write: ") and err.count("\n") == 1, err
        assert _snapshot(target) == before
    finally:
        folder.chmod(0o755)


def test_closed_stdin(tmp_path):
    from .conftest import clean_env

    proc = subprocess.run(
        [sys.executable, "-m", "optimizer", "-"],
        cwd=tmp_path,
        stdin=subprocess.DEVNULL,
        capture_output=True,
        env=clean_env(),
    )
    assert proc.returncode == 2 and b"Traceback" not in proc.stderr
    closed = subprocess.run(
        f"exec {sys.executable} -m optimizer - <&-",
        shell=True,
        cwd=tmp_path,
        capture_output=True,
        env=clean_env(),
    )
    assert closed.returncode == 2 and b"Traceback" not in closed.stderr, closed.stderr
    assert closed.stderr.count(b"\n") == 1
