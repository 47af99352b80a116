"""The filesystem and configuration of an image, read from a ``docker save`` archive.

``verify`` must judge the image a container would start from, not the Dockerfile that made it, so this
module flattens the layers exactly as the engine does (whiteouts, opaque directories, files replacing
directories) instead of trusting a ``docker export`` of a started container, which would add mount
points and need a runnable image (distroless and ``scratch`` images have no shell to start).

Both archive shapes Docker writes are read (``archive`` finds the config and layers in them); layers
may be plain or gzip-compressed tars.
"""

from __future__ import annotations

import hashlib
import posixpath
import tarfile
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import IO, Any, TypedDict, cast

from .archive import ImageArchive, SnapshotError

__all__ = [
    "Entry",
    "ImageConfig",
    "LayerInfo",
    "Snapshot",
    "SnapshotError",
    "apply_layer",
    "normalize_path",
    "parse_image_config",
    "read_image_archive",
]

WHITEOUT_PREFIX = ".wh."
OPAQUE_MARKER = ".wh..wh..opq"
# AUFS bookkeeping (e.g. ``.wh..wh.plnk``) is not part of the image's filesystem.
AUFS_METADATA_PREFIX = ".wh..wh."

_GZIP_MAGIC = b"\x1f\x8b"
_ZSTD_MAGIC = b"\x28\xb5\x2f\xfd"


@dataclass(frozen=True, slots=True)
class Entry:
    """One path of the flattened filesystem.

    mtimes are deliberately absent: two builds of the same Dockerfile never agree on them, so they
    could only ever produce noise. A hard link carries the attributes of the inode it shares (what a
    reader of the path sees) plus ``hardlink_to``, the name it was linked to in its layer.
    """

    kind: str  # "file", "dir", "symlink", "hardlink" or "other"
    mode: int  # permission bits including setuid/setgid/sticky
    uid: int
    gid: int
    size: int = 0
    sha256: str | None = None
    link_target: str | None = None  # symlinks: the target exactly as stored
    hardlink_to: str | None = None
    special: str | None = None  # kind "other": "char 1,3", "block 8,0" or "fifo"
    xattrs: tuple[tuple[str, str], ...] = ()  # e.g. security.capability, which changes behaviour


@dataclass(frozen=True, slots=True)
class LayerInfo:
    """What one layer contributed; sizes are of the uncompressed tar, as the engine stores it."""

    name: str  # path of the layer blob inside the archive
    tar_size: int
    file_bytes: int  # sum of the regular files' sizes written by this layer
    entry_count: int  # tar members, whiteouts included; 0 means the step changed no file


@dataclass(frozen=True, slots=True)
class ImageConfig:
    """The runtime configuration fields that decide how a container behaves."""

    env: tuple[str, ...] = ()
    cmd: tuple[str, ...] | None = None
    entrypoint: tuple[str, ...] | None = None
    working_dir: str = ""
    user: str = ""
    exposed_ports: tuple[str, ...] = ()
    labels: dict[str, str] = field(default_factory=dict)
    volumes: tuple[str, ...] = ()
    stop_signal: str = ""
    healthcheck: dict[str, Any] | None = None
    shell: tuple[str, ...] | None = None
    on_build: tuple[str, ...] = ()

    @property
    def env_map(self) -> dict[str, str]:
        """Env as the process sees it: order is irrelevant and a later duplicate wins."""
        return dict(item.partition("=")[::2] for item in self.env)


@dataclass(slots=True)
class Snapshot:
    files: dict[str, Entry]
    config: ImageConfig
    layers: list[LayerInfo]
    history_count: int  # every build step recorded, including metadata-only ones (ENV, CMD, ...)
    archive_format: str  # "docker-archive", "oci-layout" or both ("docker-archive+oci-layout")
    engine_size: int | None = None  # `docker image inspect` .Size, when the caller had it
    tags: tuple[str, ...] = ()

    @property
    def layer_count(self) -> int:
        """Filesystem layers, i.e. history entries that are not ``empty_layer``."""
        return len(self.layers)

    @property
    def uncompressed_size(self) -> int:
        return sum(layer.tar_size for layer in self.layers)

    @property
    def file_bytes(self) -> int:
        """Bytes of regular files visible in the final filesystem (hard links counted once)."""
        return sum(e.size for e in self.files.values() if e.kind == "file")


def normalize_path(name: str) -> str:
    """Tar member names come as ``etc/x``, ``./etc/x`` or ``etc/``; compare them as ``/etc/x``."""
    path = posixpath.normpath("/" + name)
    return "/" if path == "//" else path


def parse_image_config(document: dict[str, Any]) -> ImageConfig:
    """Read the runtime fields from an image config blob (OCI ``config`` or legacy ``Config``)."""
    cfg = document.get("config") or document.get("Config") or {}

    def seq(key: str) -> tuple[str, ...] | None:
        value = cfg.get(key)
        return None if value is None else tuple(value)

    return ImageConfig(
        env=tuple(cfg.get("Env") or ()),
        cmd=seq("Cmd"),
        entrypoint=seq("Entrypoint"),
        working_dir=cfg.get("WorkingDir") or "",
        user=cfg.get("User") or "",
        exposed_ports=tuple(sorted(cfg.get("ExposedPorts") or {})),
        labels=dict(cfg.get("Labels") or {}),
        volumes=tuple(sorted(cfg.get("Volumes") or {})),
        stop_signal=cfg.get("StopSignal") or "",
        healthcheck=cfg.get("Healthcheck") or None,
        shell=seq("Shell"),
        on_build=tuple(cfg.get("OnBuild") or ()),
    )


def read_image_archive(
    path: str | Path, *, image: str | None = None, engine_size: int | None = None
) -> Snapshot:
    """Flatten the image in a ``docker save`` archive (or OCI layout tar) into a Snapshot.

    ``image`` picks one image by tag when the archive holds several; by default the first is read,
    because `verify` always saves exactly one.
    """
    try:
        outer = tarfile.open(path, "r:*")  # noqa: SIM115 - closed by the ``with`` below
    except (OSError, tarfile.TarError) as exc:
        raise SnapshotError(f"{path}: not a readable image archive ({exc})") from None
    with outer:
        archive = ImageArchive(outer, str(path))
        location = archive.locate(image)
        document = archive.json(location.config)
        files: dict[str, Entry] = {}
        layers = []
        for name in location.layers:
            with archive.open(name) as blob:
                layers.append(apply_layer(files, blob, name))
    files.pop("/", None)  # the root's attributes come from whichever layer lists it last; never compared
    return Snapshot(
        files=files,
        config=parse_image_config(document),
        layers=layers,
        history_count=len(document.get("history") or ()),
        archive_format=location.archive_format,
        engine_size=engine_size,
        tags=location.tags,
    )


class _CountingReader:
    """Counts the uncompressed bytes tarfile pulls, which is the layer's size as the engine stores it."""

    def __init__(self, stream: IO[bytes]) -> None:
        self.stream = stream
        self.count = 0

    def read(self, size: int = -1) -> bytes:
        data = self.stream.read(size)
        self.count += len(data)
        return data

    def drain(self) -> None:
        while self.read(1 << 20):
            pass


def _decompressed(blob: IO[bytes], name: str) -> IO[bytes]:
    """Layers may be gzip (registries, OCI exports) or plain tar (`docker save`); sniff, don't trust names."""
    head = blob.read(4)
    blob.seek(0)
    if head.startswith(_GZIP_MAGIC):
        import gzip

        return cast(IO[bytes], gzip.GzipFile(fileobj=blob, mode="rb"))
    if head == _ZSTD_MAGIC:
        try:
            from compression import zstd  # type: ignore[import-not-found]  # Python ≥3.14
        except ImportError:
            raise SnapshotError(f"{name}: zstd-compressed layer; this Python cannot read zstd") from None
        return zstd.ZstdFile(blob)
    return blob


def apply_layer(files: dict[str, Entry], blob: IO[bytes], name: str = "layer") -> LayerInfo:
    """Apply one layer tar on top of ``files`` in place, the way the engine unpacks it.

    Whiteouts and opaque markers only hide what lower layers made (OCI image spec), so they are
    collected first and applied before this layer's own entries land. ``blob`` must be seekable: its
    first bytes are sniffed for compression.
    """
    counter = _CountingReader(_decompressed(blob, name))
    entries: dict[str, Entry] = {}
    hardlinks: list[tuple[str, str]] = []
    whiteouts: set[str] = set()
    opaque_dirs: set[str] = set()
    entry_count = file_bytes = 0
    try:
        with tarfile.open(fileobj=cast(IO[bytes], counter), mode="r|") as layer:
            for member in layer:
                entry_count += 1
                path = normalize_path(member.name)
                base = posixpath.basename(path)
                if base == OPAQUE_MARKER:
                    opaque_dirs.add(posixpath.dirname(path))
                elif base.startswith(AUFS_METADATA_PREFIX):
                    continue
                elif base.startswith(WHITEOUT_PREFIX):
                    whiteouts.add(posixpath.join(posixpath.dirname(path), base[len(WHITEOUT_PREFIX) :]))
                elif member.islnk():
                    hardlinks.append((path, normalize_path(member.linkname)))
                else:
                    entry = _entry_of(member, layer)
                    entries[path] = entry
                    file_bytes += entry.size
        counter.drain()
    except tarfile.ReadError as exc:
        if counter.count == 0:  # a zero-byte blob is how some tools write an empty layer
            return LayerInfo(name, 0, 0, 0)
        raise SnapshotError(f"{name}: corrupt layer tar ({exc})") from None
    except (OSError, EOFError) as exc:
        raise SnapshotError(f"{name}: unreadable layer ({exc})") from None

    # A non-directory replacing a directory takes the directory's whole subtree with it.
    non_dirs = [p for p, e in entries.items() if e.kind != "dir"] + [p for p, _ in hardlinks]
    replaced_dirs = {p for p in non_dirs if p in files and files[p].kind == "dir"}
    hidden_subtrees = whiteouts | opaque_dirs | replaced_dirs
    if hidden_subtrees:
        for path in [p for p in files if p in whiteouts or _has_ancestor_in(p, hidden_subtrees)]:
            del files[path]
    files.update(entries)
    for path in [*entries, *(p for p, _ in hardlinks)]:
        _create_missing_parents(files, path)
    for path, target in hardlinks:
        inode = files.get(target)
        if inode is None:
            raise SnapshotError(f"{name}: hard link {path} points to missing {target}")
        files[path] = replace(inode, kind="hardlink", hardlink_to=target)
    return LayerInfo(name, counter.count, file_bytes, entry_count)


def _create_missing_parents(files: dict[str, Entry], path: str) -> None:
    """The engine's unpacker creates an unlisted parent as a root-owned 0755 directory (MkdirAll)."""
    parent = posixpath.dirname(path)
    while parent != "/" and parent not in files:
        files[parent] = Entry("dir", 0o755, 0, 0)
        parent = posixpath.dirname(parent)


def _has_ancestor_in(path: str, directories: set[str]) -> bool:
    while path != "/":
        path = posixpath.dirname(path)
        if path in directories:
            return True
    return False


class _CommonAttrs(TypedDict):
    mode: int
    uid: int
    gid: int
    xattrs: tuple[tuple[str, str], ...]


def _entry_of(member: tarfile.TarInfo, layer: tarfile.TarFile) -> Entry:
    common: _CommonAttrs = {
        "mode": member.mode & 0o7777,
        "uid": member.uid,
        "gid": member.gid,
        "xattrs": _xattrs_of(member),
    }
    if member.isreg():
        return Entry("file", size=member.size, sha256=_sha256_of(member, layer), **common)
    if member.isdir():
        return Entry("dir", **common)
    if member.issym():
        return Entry("symlink", link_target=member.linkname, **common)
    if member.ischr() or member.isblk():
        kind = "char" if member.ischr() else "block"
        return Entry("other", special=f"{kind} {member.devmajor},{member.devminor}", **common)
    return Entry("other", special="fifo" if member.isfifo() else "unknown", **common)


def _sha256_of(member: tarfile.TarInfo, layer: tarfile.TarFile) -> str:
    digest = hashlib.sha256()
    stream = layer.extractfile(member)
    if stream is not None:
        while chunk := stream.read(1 << 20):
            digest.update(chunk)
    return digest.hexdigest()


def _xattrs_of(member: tarfile.TarInfo) -> tuple[tuple[str, str], ...]:
    """Extended attributes from PAX headers; binary values (capabilities) are shown as hex."""
    found = []
    for key, value in (member.pax_headers or {}).items():
        if key.startswith("SCHILY.xattr."):
            raw = value.encode("utf-8", "surrogateescape")
            text = raw.decode("utf-8", "replace")
            shown = text if text.isprintable() and "\ufffd" not in text else "0x" + raw.hex()
            found.append((key[len("SCHILY.xattr.") :], shown))
    return tuple(sorted(found))
