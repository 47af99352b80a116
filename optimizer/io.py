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
    """Line and column of byte ``offset``; the column counts characters, as the parser's errors do,
    where the line's bytes before it are UTF-8 (always, for the first byte that is not)."""
    line_start = data.rfind(b"\n", 0, offset) + 1
    try:
        column = len(data[line_start:offset].decode("utf-8"))
    except UnicodeDecodeError:
        column = offset - line_start
    return data.count(b"\n", 0, offset) + 1, column + 1


_WIDE_BOMS = (
    (b"\x00\x00\xfe\xff", "UTF-32"),
    (b"\xff\xfe\x00\x00", "UTF-32"),
    (b"\xfe\xff", "UTF-16"),
    (b"\xff\xfe", "UTF-16"),
)


def _too_large(name: str, size: str) -> InputError:
    limit = MAX_BYTES // 2**20
    return InputError(name, f"file is too large ({size}; dockopt reads Dockerfiles up to {limit} MiB)")


def decode(data: bytes, name: str) -> str:
    """Bytes to text, or InputError for content that is not a UTF-8 text file."""
    if len(data) > MAX_BYTES:
        raise _too_large(name, f"{len(data) / 1e6:.1f} MB")
    for bom, encoding in _WIDE_BOMS:
        if data.startswith(bom):
            message = f"{encoding}-encoded (byte order mark); dockopt reads UTF-8 Dockerfiles"
            raise InputError(name, message, 1, 1)
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
        raise _too_large(name, f"{info.st_size / 1e6:.1f} MB")
    try:
        data = path.read_bytes()
    except PermissionError:
        raise InputError(name, "permission denied") from None
    except OSError as exc:
        raise InputError(name, exc.strerror or str(exc)) from None
    return decode(data, name)


def read_stream(stream, name: str) -> str:
    """All of a binary-capable text stream (stdin), reading no more than MAX_BYTES + 1 bytes."""
    buffer = getattr(stream, "buffer", None)
    if stream is None or buffer is None:
        raise InputError(name, "standard input is not available")
    try:
        data = buffer.read(MAX_BYTES + 1)
    except OSError as exc:
        raise InputError(name, f"cannot read standard input: {exc.strerror or exc}") from None
    if len(data) > MAX_BYTES:
        raise _too_large(name, f"more than {MAX_BYTES // 2**20} MiB")
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


def write_together(files: list[tuple[Path, str]]) -> list[WriteResult]:
    """Write several files (the Dockerfile and its .dockerignore) as one step, as far as a file
    system allows: every new text goes to a temp file beside its target first (fsync, mode and
    owner of the existing file; a new file gets the umask's mode), and only when all are staged
    are they renamed into place. A failure while staging leaves every file untouched.
    """
    import tempfile

    staged: list[tuple[str, Path, int]] = []
    try:
        for path, text in files:
            target = path.resolve() if path.exists() else path.absolute()
            data = text.encode("utf-8", errors="surrogateescape")
            try:
                info: os.stat_result | None = target.stat()
            except FileNotFoundError:
                info = None
            fd, tmp = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".dockopt.tmp", dir=target.parent)
            staged.append((tmp, target, len(data)))
            with os.fdopen(fd, "wb") as handle:
                handle.write(data)
                handle.flush()
                os.fsync(handle.fileno())
            if info is not None:
                os.chmod(tmp, stat.S_IMODE(info.st_mode))
                try:
                    os.chown(tmp, info.st_uid, info.st_gid)
                except OSError:
                    pass
            else:
                umask = os.umask(0)
                os.umask(umask)
                os.chmod(tmp, 0o666 & ~umask)
    except BaseException:
        for tmp, _, _ in staged:
            try:
                os.unlink(tmp)
            except OSError:
                pass
        raise
    results = []
    for (tmp, target, size), (path, _) in zip(staged, files, strict=True):
        os.replace(tmp, target)
        results.append(WriteResult(path, size))
    return results
