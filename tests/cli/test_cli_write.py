"""``--write`` is atomic and keeps everything about the file except the fixed text."""

from __future__ import annotations

import os
import stat

import pytest

from .conftest import write

LOWER = b"from alpine\nadd app.py /app/\n"
FIXED = b"FROM alpine\nCOPY app.py /app/\n"


def _leftovers(folder) -> list[str]:
    return sorted(name for name in os.listdir(folder) if name not in ("Dockerfile", "real", "app.py"))


def test_write_is_a_rename_and_leaves_no_temp_files(dockopt, tmp_path):
    target = write(tmp_path / "Dockerfile", LOWER)
    inode = target.stat().st_ino
    result = dockopt("--write", "Dockerfile")
    assert result.code == 0, result.stderr
    assert target.read_bytes() == FIXED
    assert target.stat().st_ino != inode, "the new content was renamed into place, not written over"
    assert _leftovers(tmp_path) == []


@pytest.mark.parametrize("mode", [0o640, 0o755, 0o600, 0o444])
def test_write_keeps_the_mode(dockopt, tmp_path, mode):
    target = write(tmp_path / "Dockerfile", LOWER)
    target.chmod(mode)
    assert dockopt("--write", "Dockerfile").code == 0
    assert stat.S_IMODE(target.stat().st_mode) == mode
    assert target.read_bytes() == FIXED


def test_write_through_a_symlink_keeps_the_link(dockopt, tmp_path):
    real = write(tmp_path / "real" / "Dockerfile.base", LOWER)
    real.chmod(0o640)
    link = tmp_path / "Dockerfile"
    link.symlink_to("real/Dockerfile.base")
    result = dockopt("--write", "Dockerfile")
    assert result.code == 0, result.stderr
    assert result.stdout == "fixed Dockerfile (3 fixes: DO101×2, DO102)\n"
    assert link.is_symlink() and os.readlink(link) == "real/Dockerfile.base"
    assert real.read_bytes() == FIXED
    assert stat.S_IMODE(real.stat().st_mode) == 0o640
    assert _leftovers(tmp_path) == [] and os.listdir(tmp_path / "real") == ["Dockerfile.base"]


@pytest.mark.parametrize(
    "before, after",
    [
        (b"from alpine\r\nadd app.py /app/\r\n", b"FROM alpine\r\nCOPY app.py /app/\r\n"),
        (b"\xef\xbb\xbffrom alpine\nadd app.py /app/\n", b"\xef\xbb\xbfFROM alpine\nCOPY app.py /app/\n"),
        (b"from alpine\nadd app.py /app/", b"FROM alpine\nCOPY app.py /app/"),
        (b"\xef\xbb\xbffrom alpine\r\nadd app.py /app/", b"\xef\xbb\xbfFROM alpine\r\nCOPY app.py /app/"),
        (
            b"from alpine\r\nrun echo a \\  \r\n  # inner\r\n\r\n  b\nadd x /y\n",
            b"FROM alpine\r\nRUN echo a \\  \r\n  # inner\r\n\r\n  b\nCOPY x /y\n",
        ),
        (
            b"from a\n# caf\xc3\xa9 \xe2\x86\x92 \xf0\x9f\x90\xb3\t \n",
            b"FROM a\n# caf\xc3\xa9 \xe2\x86\x92 \xf0\x9f\x90\xb3\t \n",
        ),
    ],
    ids=[
        "crlf",
        "bom",
        "no-final-newline",
        "bom-crlf-no-final-newline",
        "mixed-endings-continuation",
        "unicode-trailing-ws",
    ],
)
def test_write_keeps_endings_bom_and_final_newline(dockopt, tmp_path, before, after):
    target = write(tmp_path / "Dockerfile", before)
    assert dockopt("--write", "Dockerfile").code == 0
    assert target.read_bytes() == after


def test_second_write_changes_nothing(dockopt, tmp_path):
    target = write(tmp_path / "Dockerfile", b"\xef\xbb\xbffrom alpine\r\nadd app.py /app/")
    assert dockopt("--write", "Dockerfile").code == 0
    snapshot = target.read_bytes(), target.stat().st_mtime_ns, target.stat().st_ino
    again = dockopt("--write", "Dockerfile")
    assert (again.code, again.out, again.err) == (0, b"", b"")
    assert (target.read_bytes(), target.stat().st_mtime_ns, target.stat().st_ino) == snapshot
    check = dockopt("--check", "Dockerfile")
    assert (check.code, check.out, check.err) == (0, b"", b"")


def test_unchanged_file_is_not_rewritten(dockopt, tmp_path):
    target = write(tmp_path / "Dockerfile", FIXED)
    info = target.stat()
    assert dockopt("--write", "Dockerfile").code == 0
    assert (target.stat().st_ino, target.stat().st_mtime_ns) == (info.st_ino, info.st_mtime_ns)


def test_write_after_stdin_filename_does_not_touch_the_named_file(dockopt, tmp_path):
    """``-`` writes to stdout even with --write: --stdin-filename only names the buffer."""
    target = write(tmp_path / "Dockerfile", LOWER)
    result = dockopt("--write", "--stdin-filename", "Dockerfile", "-", stdin=LOWER)
    assert (result.code, result.out) == (0, FIXED)
    assert target.read_bytes() == LOWER
