"""What a build of the original image showed, for rules that plan from a real image.

On the verified fix path (``dockopt --write --unsafe-fixes --verify``) the original image is built
and inspected before planning: which shared libraries the artifacts link and which Debian packages
own them, the OS release, the users and groups, what the program's files are. Static reading cannot
know these; a rule that uses them must also plan (more cautiously, or display-only) without them.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field


@dataclass(frozen=True)
class FileKind:
    """What one file in the image is."""

    path: str
    kind: str  # "elf-static", "elf-dynamic", "script", "jar", "data", "directory", "missing"
    interpreter: str = ""  # a script's ``#!`` program, an ELF's program interpreter
    needed: tuple[str, ...] = ()  # DT_NEEDED sonames of a dynamic ELF
    owner: str = ""  # "uid:gid" of the path itself ("" when not read)
    mode: int = 0  # permission bits of the path itself (0 when not read)


@dataclass(frozen=True)
class RuntimeFacts:
    """Facts read from a built image (the original, before any rewrite)."""

    image: str  # the image id or tag inspected
    os_release: Mapping[str, str] = field(default_factory=dict)  # /etc/os-release keys
    files: Mapping[str, FileKind] = field(default_factory=dict)  # by absolute path
    # soname (e.g. "libsqlite3.so.0") -> the Debian package that owns it in the image
    library_packages: Mapping[str, str] = field(default_factory=dict)
    # soname -> where the image has it, for libraries no package owns (``make install`` into /usr/local)
    library_paths: Mapping[str, str] = field(default_factory=dict)
    passwd: tuple[str, ...] = ()  # /etc/passwd lines
    group: tuple[str, ...] = ()  # /etc/group lines
    has_ca_bundle: bool = False  # /etc/ssl/certs/ca-certificates.crt
    has_zoneinfo: bool = False  # /usr/share/zoneinfo
    env: Mapping[str, str] = field(default_factory=dict)  # the image config's Env

    def to_json(self) -> dict[str, object]:
        """A JSON-able form (fixture files, logs); ``from_json`` reads it back."""
        return {
            "image": self.image,
            "os_release": dict(self.os_release),
            "files": {
                path: {
                    "kind": f.kind,
                    "interpreter": f.interpreter,
                    "needed": list(f.needed),
                    "owner": f.owner,
                    "mode": f.mode,
                }
                for path, f in self.files.items()
            },
            "library_packages": dict(self.library_packages),
            "library_paths": dict(self.library_paths),
            "passwd": list(self.passwd),
            "group": list(self.group),
            "has_ca_bundle": self.has_ca_bundle,
            "has_zoneinfo": self.has_zoneinfo,
            "env": dict(self.env),
        }

    @classmethod
    def from_json(cls, data: Mapping[str, object]) -> RuntimeFacts:
        files = data.get("files") or {}
        assert isinstance(files, dict)
        return cls(
            image=str(data.get("image", "")),
            os_release=dict(data.get("os_release") or {}),  # type: ignore[call-overload]
            files={
                path: FileKind(
                    path,
                    str(f.get("kind", "data")),
                    str(f.get("interpreter", "")),
                    tuple(f.get("needed", ())),
                    str(f.get("owner", "")),
                    int(f.get("mode", 0)),
                )
                for path, f in files.items()
            },
            library_packages=dict(data.get("library_packages") or {}),  # type: ignore[call-overload]
            library_paths=dict(data.get("library_paths") or {}),  # type: ignore[call-overload]
            passwd=tuple(data.get("passwd") or ()),  # type: ignore[arg-type]
            group=tuple(data.get("group") or ()),  # type: ignore[arg-type]
            has_ca_bundle=bool(data.get("has_ca_bundle")),
            has_zoneinfo=bool(data.get("has_zoneinfo")),
            env=dict(data.get("env") or {}),  # type: ignore[call-overload]
        )
