"""Reading Dockerfiles safely and writing them back atomically.

Text is decoded as strict UTF-8 without newline translation (the BOM stays in the text as
U+FEFF), so CRLF endings, a BOM and a missing final newline all survive a rewrite untouched.
"""

from __future__ import annotations

import os
import stat
from dataclasses import dataclass
from pathlib import Path

MAX_BYTES = 2 * 1024 * 1024  # the largest real Dockerfile in our corpus is ~40 KB


class InputError(Exception):
    """Input we refuse to touch: printed as one ``path[:line[:col]]: message`` line, exit code 2."""

    def __init__(self, path: str, message: str, line: int | None = None, column: int | None = None) -> None:
        super().__init__(message)
        self.path, self.message, self.line, self.column = path, message, line, column

    def __str__(self) -> str:
        where = self.path
        if self.line is not None:
            where += f":{self.line}"
            if self.column is not None:
                where += f":{self.column}"
        return f"{where}: {self.message}"


def _position(data: bytes, offset: int) -> tuple[int, int]:
    line_start = data.rfind(b"\n", 0, offset) + 1
    return data.count(b"\n", 0, offset) + 1, offset - line_start + 1


def decode(data: bytes, name: str) -> str:
    """Bytes to text, or InputError for content that is not a UTF-8 text file."""
    if len(data) > MAX_BYTES:
        raise InputError(
            name, f"file is too large ({len(data) / 1e6:.1f} MB; dockopt reads Dockerfiles up to {MAX_BYTES // 2**20} MiB)"
        )
    nul = data.find(b"\x00")
    if nul >= 0:
        line, column = _position(data, nul)
        raise InputError(name, "binary file (NUL byte); not a Dockerfile", line, column)
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as exc:
        line, column = _position(data, exc.start)
        raise InputError(name, f"not valid UTF-8 (byte 0x{data[exc.start]:02x})", line, column) from None


def read_file(path: Path) -> str:
    name = str(path)
    try:
        info = path.stat()
    except FileNotFoundError:
        raise InputError(name, "no such file or directory") from None
    except OSError as exc:
        raise InputError(name, exc.strerror or str(exc)) from None
    if stat.S_ISDIR(info.st_mode):
        raise InputError(name, "is a directory, not a Dockerfile")
    if not stat.S_ISREG(info.st_mode):
        raise InputError(name, "not a regular file")
    if info.st_size > MAX_BYTES:
        raise InputError(
            name,
            f"file is too large ({info.st_size / 1e6:.1f} MB; dockopt reads Dockerfiles up to {MAX_BYTES // 2**20} MiB)",
        )
    try:
        data = path.read_bytes()
    except PermissionError:
        raise InputError(name, "permission denied") from None
    except OSError as exc:
        raise InputError(name, exc.strerror or str(exc)) from None
    return decode(data, name)


@dataclass(frozen=True)
class WriteResult:
    path: Path
    bytes_written: int


def write_atomic(path: Path, text: str) -> WriteResult:
    """Replace ``path`` with ``text``: temp file in the same directory, fsync, rename.

    Keeps the file's permission bits (and owner, where allowed). A symlink is followed, so the
    link stays a link and its target is rewritten. Readers see the old file or the new one,
    never a half-written one.
    """
    import tempfile

    target = path.resolve()
    data = text.encode("utf-8")
    info = target.stat()
    fd, tmp = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".dockopt.tmp", dir=target.parent)
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        os.chmod(tmp, stat.S_IMODE(info.st_mode))
        try:
            os.chown(tmp, info.st_uid, info.st_gid)
        except OSError:
            pass  # not ours to give away; mode is what matters
        os.replace(tmp, target)
    except BaseException:
        try:
            os.unlink(tmp)
        except OSError:
            pass
        raise
    return WriteResult(path, len(data))
