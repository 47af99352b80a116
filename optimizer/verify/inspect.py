"""Read a built image for planning: what its artifacts are, what they link, and who owns the libraries.

API, as the verified fix path (``fixpath.py``) uses it::

    from optimizer.rules.stages.split_build_stage import candidate_paths
    from optimizer.verify.inspect import inspect_image

    paths = candidate_paths(text, settings, path=dockerfile, context_dir=context)   # [] = no split
    facts = inspect_image(original_image_id, paths, env=docker_env)             # -> RuntimeFacts
    outcome = fix_text(text, settings, path=dockerfile, context_dir=context,
                       runtime=facts, verified=True)                              # plan again, write

(``fixpath.py`` asks every rule whose fix needs proof for its paths, ``Rule.inspect_paths`` — DO501's
are ``candidate_paths`` —, and adds the files the image's ENTRYPOINT/CMD name.)

``inspect_image(image, paths, env=None, docker=None)`` never starts the program: it creates a
container (``docker create``, nothing runs) and copies files out with ``docker cp`` as tar streams,
so it works on slim, distroless and scratch images that have no shell, ``ldd`` or ``readelf``.
Python reads the rest:

- ``/etc/os-release`` (or ``/usr/lib/os-release``) → ``os_release``;
- each path in ``paths`` → ``files[path]``: ``elf-static`` / ``elf-dynamic`` (with its program
  interpreter and ``DT_NEEDED`` sonames, read from the ELF program headers), ``script`` (``#!``),
  ``jar``, ``data``, ``directory`` or ``missing``; a directory's ELF files (shared objects of a
  Python extension, a build tree) are listed too, under their own paths, at most ``MAX_FILES``;
- every needed soname → ``library_packages`` (the Debian package whose ``/var/lib/dpkg/info/*.list``
  names it) or, when no package owns it, ``library_paths`` (found in the usual library directories);
- ``/etc/passwd``, ``/etc/group``, the CA bundle, ``/usr/share/zoneinfo`` and the config's Env.

Raises ``EngineError`` (from ``verify.docker``) when the engine fails; the container is always removed.
"""

from __future__ import annotations

import io
import posixpath
import subprocess
import tarfile
from collections.abc import Mapping

from ..analysis.runtime import FileKind, RuntimeFacts
from .docker import DockerCLI, EngineError
from .elf import parse_elf

MAX_FILES = 2000  # ELF files examined below one directory
MAX_BYTES = 256 * 1024 * 1024  # bytes read out of one copied path
LIBRARY_DIRS = (
    "/usr/local/lib",
    "/lib/x86_64-linux-gnu",
    "/usr/lib/x86_64-linux-gnu",
    "/lib/aarch64-linux-gnu",
    "/usr/lib/aarch64-linux-gnu",
    "/lib64",
    "/lib",
    "/usr/lib",
)
CA_BUNDLE = "/etc/ssl/certs/ca-certificates.crt"


def kind_of(path: str, data: bytes) -> FileKind:
    elf = parse_elf(data)
    if elf is not None:
        return FileKind(path, "elf-dynamic" if elf.dynamic else "elf-static", elf.interpreter, elf.needed)
    if data.startswith(b"#!"):
        line = data[2:].split(b"\n", 1)[0].decode("utf-8", "replace").strip()
        return FileKind(path, "script", line.split()[0] if line else "")
    if path.endswith(".jar") or data.startswith(b"PK\x03\x04"):
        return FileKind(path, "jar")
    return FileKind(path, "data")


class _Container:
    """A created (never started) container to copy files out of."""

    def __init__(self, docker: DockerCLI, image: str) -> None:
        self.docker = docker
        self.image = image
        self.id = ""

    def __enter__(self) -> _Container:
        result = self.docker._run(["create", self.image, "/nonexistent-dockopt-inspect"], timeout=120)
        if result.returncode != 0:
            raise EngineError(f"docker create {self.image} failed: {result.stderr.strip().splitlines()[-1:]}")
        self.id = result.stdout.strip()
        return self

    def __exit__(self, *_: object) -> None:
        if self.id:
            self.docker._run(["rm", "-f", self.id], timeout=120)

    def tar(self, path: str) -> tarfile.TarFile | None:
        """``path`` as a tar archive (None when the image has no such path)."""
        program = self.docker.executable
        try:
            result = subprocess.run(
                [program, "cp", f"{self.id}:{path}", "-"],
                capture_output=True,
                env=self.docker.env,
                timeout=self.docker.timeout,
            )
        except (OSError, subprocess.TimeoutExpired) as exc:
            raise EngineError(f"docker cp {path} failed: {exc}") from None
        if result.returncode != 0:
            return None
        return tarfile.open(fileobj=io.BytesIO(result.stdout[:MAX_BYTES]), mode="r:")

    def read(self, path: str, follow: int = 4) -> bytes | None:
        archive = self.tar(path)
        if archive is None:
            return None
        with archive:
            member = next(iter(archive.getmembers()), None)
            if member is None:
                return None
            if member.issym() and follow:
                target = member.linkname
                if not target.startswith("/"):
                    target = posixpath.normpath(posixpath.join(posixpath.dirname(path), target))
                return self.read(target, follow - 1)
            if not member.isfile():
                return None
            handle = archive.extractfile(member)
            return handle.read() if handle else None


def inspect_image(
    image: str, paths: list[str], env: Mapping[str, str] | None = None, docker: DockerCLI | None = None
) -> RuntimeFacts:
    """What ``image`` holds at ``paths`` and the system facts a runtime twin needs (see the module doc)."""
    docker = docker or DockerCLI(env=env)
    config = docker.inspect(image).get("Config") or {}
    with _Container(docker, image) as box:
        files: dict[str, FileKind] = {}
        for path in paths:
            _examine(box, path, files)
        os_release = _key_values(box.read("/etc/os-release") or box.read("/usr/lib/os-release") or b"")
        owners = _dpkg_owners(box)
        needed = sorted({soname for kind in files.values() for soname in kind.needed})
        packages: dict[str, str] = {}
        where: dict[str, str] = {}
        for soname in needed:
            owner = owners.get(soname)
            if owner:
                packages[soname] = owner
                continue
            for directory in LIBRARY_DIRS:
                candidate = f"{directory}/{soname}"
                if box.tar(candidate) is not None:
                    where[soname] = candidate
                    break
        passwd = (box.read("/etc/passwd") or b"").decode("utf-8", "replace").splitlines()
        group = (box.read("/etc/group") or b"").decode("utf-8", "replace").splitlines()
        has_ca = box.tar(CA_BUNDLE) is not None
        has_zoneinfo = box.tar("/usr/share/zoneinfo/Etc/UTC") is not None
    env_pairs = dict(item.partition("=")[::2] for item in config.get("Env") or [])
    return RuntimeFacts(
        image=image,
        os_release=os_release,
        files=files,
        library_packages=packages,
        library_paths=where,
        passwd=tuple(passwd),
        group=tuple(group),
        has_ca_bundle=has_ca,
        has_zoneinfo=has_zoneinfo,
        env=env_pairs,
    )


def _examine(box: _Container, path: str, files: dict[str, FileKind]) -> None:
    archive = box.tar(path)
    if archive is None:
        files[path] = FileKind(path, "missing")
        return
    with archive:
        members = archive.getmembers()
        if not members:
            files[path] = FileKind(path, "missing")
            return
        top = members[0]
        if top.issym():
            data = box.read(path)
            files[path] = kind_of(path, data) if data is not None else FileKind(path, "missing")
            return
        if top.isfile():
            handle = archive.extractfile(top)
            files[path] = kind_of(path, handle.read() if handle else b"")
            return
        files[path] = FileKind(path, "directory", owner=f"{top.uid}:{top.gid}", mode=top.mode & 0o7777)
        seen = 0
        prefix = top.name.rstrip("/")
        for member in members[1:]:
            if not member.isfile() or seen >= MAX_FILES:
                continue
            handle = archive.extractfile(member)
            if handle is None or handle.read(4) != b"\x7fELF":
                continue
            seen += 1
            inner = posixpath.join(path, member.name[len(prefix) :].lstrip("/"))
            files[inner] = kind_of(inner, b"\x7fELF" + handle.read())


def _key_values(data: bytes) -> dict[str, str]:
    found: dict[str, str] = {}
    for line in data.decode("utf-8", "replace").splitlines():
        key, eq, value = line.partition("=")
        if eq and key.strip() and not key.startswith("#"):
            found[key.strip()] = value.strip().strip('"')
    return found


def _dpkg_owners(box: _Container) -> dict[str, str]:
    """soname (file name) -> the Debian package listing it, from /var/lib/dpkg/info/*.list."""
    archive = box.tar("/var/lib/dpkg/info")
    if archive is None:
        return {}
    owners: dict[str, str] = {}
    with archive:
        for member in archive.getmembers():
            if not member.isfile() or not member.name.endswith(".list"):
                continue
            package = posixpath.basename(member.name)[: -len(".list")].split(":", 1)[0]
            handle = archive.extractfile(member)
            for line in (handle.read() if handle else b"").decode("utf-8", "replace").splitlines():
                name = posixpath.basename(line)
                if ".so" in name and posixpath.dirname(line) in LIBRARY_DIRS:
                    owners.setdefault(name, package)
    return owners
