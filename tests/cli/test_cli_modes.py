"""The format command's modes: diff (default), --check, --write, stdin; colour; rule selection."""

from __future__ import annotations

import os
import pty
import subprocess
import sys

import pytest

from .conftest import clean_env, write

LOWER = "from alpine:3.20\nadd app.py /app/\nrun echo hi\n"
FIXED = "FROM alpine:3.20\nCOPY app.py /app/\nRUN echo hi\n"
CLEAN = FIXED


# -- diff mode: exit codes ---------------------------------------------------------------------


def test_diff_mode_clean_file_exits_0_silently(dockopt, tmp_path):
    write(tmp_path / "Dockerfile", CLEAN)
    result = dockopt("Dockerfile")
    assert (result.code, result.out, result.err) == (0, b"", b"")


def test_diff_mode_prints_unified_diff_and_exits_1(dockopt, tmp_path):
    target = write(tmp_path / "Dockerfile", LOWER)
    result = dockopt("Dockerfile")
    assert result.code == 1
    assert result.stdout == (
        "--- a/Dockerfile\n"
        "+++ b/Dockerfile\n"
        "@@ -1,3 +1,3 @@\n"
        "-from alpine:3.20\n"
        "-add app.py /app/\n"
        "-run echo hi\n"
        "+FROM alpine:3.20\n"
        "+COPY app.py /app/\n"
        "+RUN echo hi\n"
    )
    assert result.err_lines == ["1 file would be changed, 0 unchanged"]
    assert target.read_text() == LOWER  # diff mode never writes


def test_diff_applies_with_patch(dockopt, tmp_path):
    """The diff is a real patch, also for CRLF, a missing final newline and odd separators in a line."""
    original = "from a\r\n# page\x0cbreak \u2028 sep\r\nadd x /y"
    write(tmp_path / "Dockerfile", original)
    diff = dockopt("Dockerfile").out
    fixed = dockopt("-", stdin=original.encode()).out
    patch = subprocess.run(["patch", "-p1", "--binary", "-s"], cwd=tmp_path, input=diff, capture_output=True)
    if patch.returncode == 127 or b"not found" in patch.stderr:
        pytest.skip("patch is not installed")
    assert patch.returncode == 0, patch.stderr
    assert (tmp_path / "Dockerfile").read_bytes() == fixed


def test_several_files_summary_counts_changed_and_unchanged(dockopt, tmp_path):
    write(tmp_path / "a" / "Dockerfile", LOWER)
    write(tmp_path / "b" / "Dockerfile", CLEAN)
    result = dockopt("a/Dockerfile", "b/Dockerfile")
    assert result.code == 1
    assert "a/a/Dockerfile" in result.stdout and "b/Dockerfile" not in result.stdout.replace(
        "a/Dockerfile", ""
    )
    assert result.err_lines == ["1 file would be changed, 1 unchanged"]


def test_same_file_named_twice_is_processed_once(dockopt, tmp_path):
    write(tmp_path / "Dockerfile", LOWER)
    result = dockopt("Dockerfile", "./Dockerfile", ".")
    assert result.stdout.count("+++ ") == 1
    assert result.err_lines == ["1 file would be changed, 0 unchanged"]


# -- --check -----------------------------------------------------------------------------------


def test_check_lists_files_that_would_change(dockopt, tmp_path):
    write(tmp_path / "Dockerfile", LOWER)
    write(tmp_path / "ok" / "Dockerfile", CLEAN)
    result = dockopt("--check", ".")
    assert result.code == 1
    assert result.stdout == "would fix Dockerfile (4 fixes: DO101×3, DO102)\n"
    assert (tmp_path / "Dockerfile").read_text() == LOWER


def test_check_clean_exits_0(dockopt, tmp_path):
    write(tmp_path / "Dockerfile", CLEAN)
    result = dockopt("--check", "Dockerfile")
    assert (result.code, result.out, result.err) == (0, b"", b"")


def test_write_and_check_together_is_a_usage_error(dockopt, tmp_path):
    write(tmp_path / "Dockerfile", LOWER)
    result = dockopt("--write", "--check", "Dockerfile")
    assert result.code == 2 and "Traceback" not in result.stderr
    assert (tmp_path / "Dockerfile").read_text() == LOWER


# -- --write -----------------------------------------------------------------------------------


def test_write_rewrites_and_prints_one_line_per_changed_file(dockopt, tmp_path):
    write(tmp_path / "a" / "Dockerfile", LOWER)
    write(tmp_path / "b" / "Dockerfile", LOWER.replace("add", "ADD"))
    write(tmp_path / "c" / "Dockerfile", CLEAN)
    result = dockopt("--write", ".")
    assert result.code == 0, result.stderr
    assert result.stdout.splitlines() == [
        "fixed a/Dockerfile (4 fixes: DO101×3, DO102)",
        "fixed b/Dockerfile (3 fixes: DO101×2, DO102)",
    ]
    assert result.err == b""
    for name in "abc":
        assert (tmp_path / name / "Dockerfile").read_text() == FIXED


def test_short_write_flag(dockopt, tmp_path):
    write(tmp_path / "Dockerfile", LOWER)
    assert dockopt("-w", "Dockerfile").code == 0
    assert (tmp_path / "Dockerfile").read_text() == FIXED


def test_write_continues_past_a_bad_file_and_exits_2(dockopt, tmp_path):
    write(tmp_path / "a" / "Dockerfile", "FOO bar\n")
    write(tmp_path / "b" / "Dockerfile", LOWER)
    result = dockopt("--write", "a/Dockerfile", "b/Dockerfile")
    assert result.code == 2
    assert result.err_lines == ["a/Dockerfile:1:1: unknown instruction: FOO"]
    assert result.stdout == "fixed b/Dockerfile (4 fixes: DO101×3, DO102)\n"
    assert (tmp_path / "b" / "Dockerfile").read_text() == FIXED


# -- stdin (format-on-save) --------------------------------------------------------------------


@pytest.mark.parametrize(
    "text",
    [
        LOWER,
        CLEAN,
        "\ufefffrom a\r\nadd x /y\r\n",
        "from a\nadd x /y",  # no final newline
        "# syntax=docker/dockerfile:1\n# escape=`\nfrom a\nrun echo `\n  hi\n",
        "FROM a\nRUN <<EOF\nset -e\n  echo ünïcødé\nEOF\n",
    ],
    ids=["lower", "clean", "crlf-bom", "no-final-newline", "escape-directive", "heredoc"],
)
def test_stdin_writes_fixed_text_to_stdout_exactly(dockopt, text):
    from optimizer.core.config import Settings
    from optimizer.engine import fix_text

    expected = fix_text(text, Settings()).output.encode("utf-8")
    result = dockopt("-", stdin=text.encode("utf-8"))
    assert (result.code, result.err) == (0, b"")
    assert result.out == expected
    ignored = dockopt("--ignore", "ALL", "-", stdin=text.encode("utf-8"))
    assert (ignored.code, ignored.out) == (0, text.encode("utf-8"))


def test_stdin_check_reports_on_stderr_and_exits_1(dockopt):
    result = dockopt("--check", "-", stdin=LOWER.encode())
    assert result.code == 1
    assert result.out == b""
    assert result.err_lines == ["would fix - (4 fixes: DO101×3, DO102)"]
    assert dockopt("--check", "-", stdin=CLEAN.encode()).code == 0


def test_stdin_filename_names_the_input_in_messages(dockopt):
    result = dockopt("--stdin-filename", "svc/Dockerfile", "--show-fixes", "-", stdin=b"from a\n")
    assert result.code == 0
    assert result.out == b"FROM a\n"
    assert result.err_lines == [
        "svc/Dockerfile:1:1: DO101 [uppercase-keywords] Keywords in upper case: `from` → `FROM`"
    ]
    bad = dockopt("--stdin-filename", "svc/Dockerfile", "-", stdin=b"FROM a\nFOO\n")
    assert bad.err_lines == ["svc/Dockerfile:2:1: unknown instruction: FOO"]


def test_stdin_filename_finds_the_config_beside_it(dockopt, tmp_path):
    write(tmp_path / "svc" / "dockopt.toml", 'ignore = ["DO101"]\n')
    text = b"from a\nadd x /y\n"
    result = dockopt("--stdin-filename", "svc/Dockerfile", "-", stdin=text)
    assert result.out == b"from a\ncopy x /y\n"
    elsewhere = dockopt("--stdin-filename", "other/Dockerfile", "-", stdin=text)
    assert elsewhere.out == b"FROM a\nCOPY x /y\n"


def test_stdin_filename_is_the_build_context_for_rules(dockopt, tmp_path):
    """DO102 reads the context: a file named .txt that is really a tar must stay ADD."""
    import io
    import tarfile

    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w") as archive:
        info = tarfile.TarInfo("x")
        archive.addfile(info, io.BytesIO(b""))
    write(tmp_path / "svc" / "data.txt", buffer.getvalue())
    text = b"FROM a\nADD data.txt /d/\n"
    assert dockopt("--stdin-filename", "svc/Dockerfile", "-", stdin=text).out == text
    assert dockopt("-", stdin=text).out == b"FROM a\nCOPY data.txt /d/\n"


def test_stdin_cannot_be_combined_with_paths(dockopt, tmp_path):
    write(tmp_path / "Dockerfile", CLEAN)
    result = dockopt("-", "Dockerfile", stdin=b"FROM a\n")
    assert result.code == 2 and len(result.err_lines) == 1 and "Traceback" not in result.stderr


# -- colour ------------------------------------------------------------------------------------

ANSI = b"\x1b["


def test_color_always_colours_the_diff(dockopt, tmp_path):
    write(tmp_path / "Dockerfile", LOWER)
    result = dockopt("--color", "always", "Dockerfile")
    assert result.code == 1
    assert b"\x1b[31m-from alpine:3.20\x1b[0m\n" in result.out
    assert b"\x1b[32m+FROM alpine:3.20\x1b[0m\n" in result.out


@pytest.mark.parametrize("args", [["--color", "never"], ["--color=auto"], []])
def test_no_colour_when_piped_or_never(dockopt, tmp_path, args):
    write(tmp_path / "Dockerfile", LOWER)
    result = dockopt(*args, "Dockerfile")
    assert result.code == 1 and result.out.startswith(b"--- a/Dockerfile")
    assert ANSI not in result.out and ANSI not in result.err


def _run_on_tty(args: list[str], cwd, env) -> bytes:
    master, slave = pty.openpty()
    try:
        proc = subprocess.Popen(
            [sys.executable, "-m", "optimizer", *args],
            cwd=cwd,
            stdout=slave,
            stderr=subprocess.DEVNULL,
            env=env,
        )
        os.close(slave)
        chunks = []
        while True:
            try:
                chunk = os.read(master, 65536)
            except OSError:  # EIO: the child closed the terminal
                break
            if not chunk:
                break
            chunks.append(chunk)
        proc.wait(timeout=60)
    finally:
        os.close(master)
    return b"".join(chunks)


def test_color_auto_colours_on_a_terminal_unless_no_color(tmp_path):
    write(tmp_path / "Dockerfile", LOWER)
    assert ANSI in _run_on_tty(["Dockerfile"], tmp_path, clean_env())
    assert ANSI not in _run_on_tty(["Dockerfile"], tmp_path, clean_env(NO_COLOR="1"))
    assert ANSI not in _run_on_tty(["--color", "never", "Dockerfile"], tmp_path, clean_env())


def test_bad_color_value_is_a_usage_error(dockopt, tmp_path):
    write(tmp_path / "Dockerfile", LOWER)
    result = dockopt("--color", "sometimes", "Dockerfile")
    assert result.code == 2 and "Traceback" not in result.stderr and "sometimes" in result.stderr


# -- rule selection ----------------------------------------------------------------------------

SELECT_INPUT = b"from a\nadd x /y\n"
ONLY_DO101 = b"FROM a\nADD x /y\n"
ONLY_DO102 = b"from a\ncopy x /y\n"
BOTH = b"FROM a\nCOPY x /y\n"


@pytest.mark.parametrize(
    "args, expected",
    [
        (["--select", "DO101"], ONLY_DO101),
        (["--select", "do101"], ONLY_DO101),
        (["--select=uppercase-keywords"], ONLY_DO101),
        (["--select", "add-to-copy"], ONLY_DO102),
        (["--select", "DO1"], BOTH),
        (["--select", "DO"], BOTH),
        (["--select", "ALL"], BOTH),
        (["--select", "DO101,DO102"], BOTH),
        (["--select", "DO101", "--select", "DO102"], BOTH),
        (["--ignore", "DO101"], ONLY_DO102),
        (["--ignore", "add-to-copy"], ONLY_DO101),
        (["--ignore", "DO1"], SELECT_INPUT),
        (["--ignore", "ALL"], SELECT_INPUT),
        (["--ignore", "all"], SELECT_INPUT),
        (["--select", "ALL", "--ignore", "DO102"], ONLY_DO101),
        (["--select", "DO101", "--ignore", "DO101"], SELECT_INPUT),
    ],
)
def test_select_and_ignore(dockopt, args, expected):
    result = dockopt(*args, "-", stdin=SELECT_INPUT)
    assert (result.code, result.err) == (0, b"")
    assert result.out == expected


@pytest.mark.parametrize(
    "args", [["--select", "DO999"], ["--ignore", "nope"], ["--select", "DO101,bogus-name"]]
)
def test_unknown_selector_is_exit_2(dockopt, tmp_path, args):
    write(tmp_path / "Dockerfile", LOWER)
    result = dockopt(*args, "Dockerfile")
    assert result.code == 2 and result.out == b""
    assert len(result.err_lines) == 1 and "unknown rule selector" in result.stderr
    assert "Traceback" not in result.stderr
    assert (tmp_path / "Dockerfile").read_text() == LOWER


# -- unsafe and display-only fixes (test-only rules, see with_test_rules.py) -------------------

UNSAFE_INPUT = "FROM a\nLABEL unsafe=1\nLABEL shown=1\n"


def test_unsafe_fix_needs_the_flag_and_is_hinted(dockopt, tmp_path):
    write(tmp_path / "Dockerfile", UNSAFE_INPUT)
    result = dockopt("Dockerfile", test_rules=True)
    assert (result.code, result.out) == (0, b"")
    assert result.err_lines == ["Dockerfile: 1 more fix available with --unsafe-fixes"]


def test_unsafe_fixes_flag_applies_unsafe_but_never_display_only(dockopt, tmp_path):
    write(tmp_path / "Dockerfile", UNSAFE_INPUT)
    result = dockopt("--unsafe-fixes", "--write", "--show-fixes", "Dockerfile", test_rules=True)
    assert result.code == 0, result.stderr
    assert result.stdout.splitlines() == [
        "fixed Dockerfile (1 fix: DO990)",
        "Dockerfile:2:1: DO990 [flip-unsafe] unsafe=1 is a test pattern (unsafe)",
    ]
    assert (tmp_path / "Dockerfile").read_text() == "FROM a\nLABEL unsafe=0\nLABEL shown=1\n"


def test_unsafe_fixes_from_config(dockopt, tmp_path):
    write(tmp_path / "dockopt.toml", "unsafe-fixes = true\n")
    result = dockopt("-", stdin=UNSAFE_INPUT.encode(), test_rules=True)
    assert result.out == b"FROM a\nLABEL unsafe=0\nLABEL shown=1\n"


# -- --show-fixes ------------------------------------------------------------------------------


def test_show_fixes_lists_each_applied_fix(dockopt, tmp_path):
    write(tmp_path / "Dockerfile", LOWER)
    result = dockopt("--show-fixes", "--check", "Dockerfile")
    assert result.code == 1
    assert result.stdout.splitlines() == [
        "would fix Dockerfile (4 fixes: DO101×3, DO102)",
        "Dockerfile:1:1: DO101 [uppercase-keywords] Keywords in upper case: `from` → `FROM`",
        "Dockerfile:2:1: DO101 [uppercase-keywords] Keywords in upper case: `add` → `ADD`",
        "Dockerfile:3:1: DO101 [uppercase-keywords] Keywords in upper case: `run` → `RUN`",
        "Dockerfile:2:1: DO102 [add-to-copy] ADD of local files that it does not unpack: use COPY",
    ]


def test_show_fixes_on_stdin_goes_to_stderr(dockopt):
    result = dockopt("--show-fixes", "-", stdin=b"from a\n")
    assert result.out == b"FROM a\n"
    assert result.err_lines == ["-:1:1: DO101 [uppercase-keywords] Keywords in upper case: `from` → `FROM`"]


# -- output robustness -------------------------------------------------------------------------


def test_non_utf8_terminal_does_not_crash(tmp_path):
    """Messages are escaped for an ASCII stdout; the diff stays UTF-8 so it is still a patch."""
    from .conftest import run_command

    write(tmp_path / "Dockerfile", "from a\n# café\n")
    env = clean_env(PYTHONIOENCODING="ascii")
    env.pop("PYTHONUTF8")
    for args in (["Dockerfile"], ["--check", "--show-fixes", "Dockerfile"]):
        result = run_command(args, tmp_path, env=env)
        assert result.code == 1 and "Traceback" not in result.stderr, result.stderr
    diff = run_command(["Dockerfile"], tmp_path, env=env)
    assert " # café\n".encode() in diff.out


def test_closed_stdout_pipe_is_not_a_traceback(tmp_path):
    write(tmp_path / "Dockerfile", "from a\n" + "run echo hi\nlabel a=b\n" * 1500)
    proc = subprocess.Popen(
        [sys.executable, "-m", "optimizer", "--show-fixes", "Dockerfile"],
        cwd=tmp_path,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        env=clean_env(),
    )
    proc.stdout.read(10)
    proc.stdout.close()
    err = proc.stderr.read()
    proc.wait(timeout=60)
    assert b"Traceback" not in err, err.decode()
    assert proc.returncode == 2


# -- internal errors (test-only rules) ---------------------------------------------------------


@pytest.mark.parametrize(
    "line, words",
    [("LABEL boom=1", "internal error: RuntimeError: boom with a second line"), ("LABEL break=1", "DO993")],
    ids=["rule-raises", "fix-breaks-the-file"],
)
@pytest.mark.parametrize("mode", [["--write"], []], ids=["write", "diff"])
def test_internal_error_is_one_line_and_leaves_the_file(dockopt, tmp_path, line, words, mode):
    from .conftest import assert_one_error_line

    original = f"from a\n{line}\n".encode()
    target = write(tmp_path / "Dockerfile", original)
    mtime = target.stat().st_mtime_ns
    result = dockopt(*mode, "Dockerfile", test_rules=True)
    message = assert_one_error_line(result, "Dockerfile")
    assert "internal error" in message and words in message, message
    assert result.out == b""
    assert target.read_bytes() == original and target.stat().st_mtime_ns == mtime
    via_stdin = dockopt("-", stdin=original, test_rules=True)
    assert assert_one_error_line(via_stdin, "-") and via_stdin.out == b""


# -- --context ---------------------------------------------------------------------------------


def _tar_named_txt(path):
    import io
    import tarfile

    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w") as archive:
        archive.addfile(tarfile.TarInfo("x"), io.BytesIO(b""))
    write(path, buffer.getvalue())


def test_context_option_is_the_build_context(dockopt, tmp_path):
    _tar_named_txt(tmp_path / "ctx" / "data.txt")
    write(tmp_path / "docker" / "Dockerfile", "FROM a\nADD data.txt /d/\n")
    # Its own folder has no data.txt, and by the name alone ADD would not unpack it: COPY.
    assert dockopt("--check", "docker/Dockerfile").code == 1
    result = dockopt("--check", "--context", "ctx", "docker/Dockerfile")
    assert (result.code, result.out) == (0, b""), result.stderr  # the context shows it is a tar: ADD stays


def test_context_that_is_not_a_directory(dockopt, tmp_path):
    write(tmp_path / "Dockerfile", "from a\n")
    result = dockopt("--write", "--context", "nowhere", "Dockerfile")
    assert (result.code, result.err_lines) == (2, ["nowhere: build context is not a directory"])
    assert (tmp_path / "Dockerfile").read_text() == "from a\n"


# -- the console script's hard exit -------------------------------------------------------------


@pytest.mark.parametrize(
    "args",
    [
        ["--show-fixes", "Dockerfile"],
        ["--check", "--output-format", "json", "Dockerfile"],
        ["--output-format", "sarif", "--output-file", "out.sarif", "Dockerfile"],
        ["--write", "Dockerfile"],
    ],
)
def test_the_hard_exit_loses_no_output(tmp_path, args):
    """``python -m optimizer`` (like the ``dockopt`` script) ends with ``os._exit`` after flushing:
    its output, its exit status and the files it writes are those of a normal exit."""
    big = "from a\n" + "run echo hi\nlabel a=b\n" * 3000  # output far larger than a pipe's buffer

    def run(command: list[str], folder: str) -> tuple[int, bytes, bytes, dict[str, bytes]]:
        where = tmp_path / folder
        where.mkdir()
        write(where / "Dockerfile", big)
        proc = subprocess.run(command + args, cwd=where, capture_output=True, env=clean_env(), timeout=120)
        same = str(where).encode()  # reports may name the folder: the two runs' differ

        def norm(data: bytes) -> bytes:
            return data.replace(same, b"<folder>")

        files = {p.name: norm(p.read_bytes()) for p in sorted(where.iterdir())}
        return proc.returncode, norm(proc.stdout), norm(proc.stderr), files

    hard = run([sys.executable, "-m", "optimizer"], "hard")
    normal = run(
        [sys.executable, "-c", "import sys; from optimizer.cli import main; main(sys.argv[1:])"], "normal"
    )
    assert hard == normal
    assert hard[0] in (0, 1) and (hard[1] or hard[3].get("out.sarif") or args[0] == "--write")
