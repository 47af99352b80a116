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
    kind: str  # "elf-static", "elf-dynamic", "script", "jar", "data", "missing"
    interpreter: str = ""  # a script's ``#!`` program, an ELF's program interpreter
    needed: tuple[str, ...] = ()  # DT_NEEDED sonames of a dynamic ELF


@dataclass(frozen=True)
class RuntimeFacts:
    """Facts read from a built image (the original, before any rewrite)."""

    image: str  # the image id or tag inspected
    os_release: Mapping[str, str] = field(default_factory=dict)  # /etc/os-release keys
    files: Mapping[str, FileKind] = field(default_factory=dict)  # by absolute path
    # soname (e.g. "libsqlite3.so.0") -> the Debian package that owns it in the image
    library_packages: Mapping[str, str] = field(default_factory=dict)
    passwd: tuple[str, ...] = ()  # /etc/passwd lines
    group: tuple[str, ...] = ()  # /etc/group lines
    has_ca_bundle: bool = False  # /etc/ssl/certs/ca-certificates.crt
    has_zoneinfo: bool = False  # /usr/share/zoneinfo
