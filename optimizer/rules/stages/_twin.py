"""The runtime twin's base: the same distribution and release as the builder's, without the toolchain.

``twin_base`` maps a builder base to its slim twin (``golang:1.22-bookworm`` → ``debian:bookworm-slim``,
``python:3.12`` → ``python:3.12-slim``, ``eclipse-temurin:17-jdk`` → ``eclipse-temurin:17-jre`` …) or
says why it cannot. When the tag does not name the Debian release, the release comes from the built
image's ``/etc/os-release`` (``RuntimeFacts``); without it the current default is assumed and the
plan needs a verified build.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

CODENAMES = ("trixie", "bookworm", "bullseye", "buster", "stretch")
DEBIAN_VERSIONS = {"13": "trixie", "12": "bookworm", "11": "bullseye", "10": "buster", "9": "stretch"}
DISTROLESS = {"trixie": "debian13", "bookworm": "debian12", "bullseye": "debian11"}
DEFAULT_CODENAME = "bookworm"  # what unqualified golang/rust/python/node tags are built on today


@dataclass(frozen=True)
class Twin:
    image: str  # the twin's FROM reference
    family: str  # "debian-slim", "python-slim", "node-slim", "jre", "same"
    codename: str | None  # the Debian release, when known
    assumed: bool = False  # the release was not named by the tag nor read from the built image
    has_ca_bundle: bool = True  # the twin base ships /etc/ssl/certs/ca-certificates.crt


@dataclass(frozen=True)
class NoTwin:
    reason: str


def split_reference(reference: str) -> tuple[str, str]:
    """(repository without registry/library prefix, tag) of an image reference."""
    ref = reference.split("@", 1)[0]
    name, _, tag = ref.rpartition(":") if ":" in ref.rsplit("/", 1)[-1] else (ref, "", "latest")
    for prefix in ("docker.io/library/", "docker.io/", "library/", "index.docker.io/library/"):
        if name.startswith(prefix):
            name = name[len(prefix) :]
    return name, tag or "latest"


def _codename(tag: str, runtime_codename: str | None) -> tuple[str | None, bool]:
    for word in re.split(r"[-_.]", tag):
        if word in CODENAMES:
            return word, False
    if runtime_codename:
        return runtime_codename, False
    return None, True


def twin_base(reference: str, build_packages: bool, runtime_codename: str | None = None) -> Twin | NoTwin:
    """The runtime twin for a builder base; ``build_packages``: the stage installed compilers/-dev."""
    name, tag = split_reference(reference)
    if "$" in reference:
        return NoTwin(f"the base image `{reference}` depends on a build argument")
    if "alpine" in tag or name == "alpine":
        return NoTwin("Alpine bases are not split yet (the twin would be an alpine release)")
    if "windows" in tag or "nanoserver" in tag or "servercore" in tag:
        return NoTwin("Windows stages are not split")
    codename, assumed = _codename(tag, runtime_codename)
    if name in ("golang", "rust", "buildpack-deps", "gcc"):
        if tag.startswith(("focal", "jammy", "noble")):
            return NoTwin(f"`{reference}` is Ubuntu-based; only Debian twins are planned")
        release = codename or DEFAULT_CODENAME
        return Twin(
            f"debian:{release}-slim", "debian-slim", release, assumed=codename is None, has_ca_bundle=False
        )
    if name == "debian":
        release = DEBIAN_VERSIONS.get(tag.split("-")[0], tag.split("-")[0])
        if release not in CODENAMES:
            return NoTwin(f"`{reference}` does not name a Debian release")
        if "slim" in tag:
            if not build_packages:
                return NoTwin("the base is already slim and installs no build packages")
            return Twin(reference, "same", release, has_ca_bundle=False)
        return Twin(f"debian:{release}-slim", "debian-slim", release, has_ca_bundle=False)
    if name == "python" or name == "node":
        version = tag.split("-")[0]
        if "slim" in tag:
            if not build_packages:
                return NoTwin("the base is already slim and installs no build packages")
            return Twin(reference, "same", codename, assumed)
        suffix = f"-{codename}" if codename and not assumed and codename in tag else ""
        return Twin(f"{name}:{version}-slim{suffix}", f"{name}-slim", codename, assumed)
    java = _jre(name, tag)
    if java is not None:
        return Twin(java, "jre", codename, assumed)
    return NoTwin(f"no runtime twin is known for `{reference}`")


def _jre(name: str, tag: str) -> str | None:
    if name == "eclipse-temurin":
        if "jre" in tag:
            return None
        version = tag.split("-")[0]
        rest = tag[len(version) :].replace("-jdk", "")
        return f"eclipse-temurin:{version}-jre{rest}"
    if name in ("maven", "gradle"):
        match = re.search(r"(?:eclipse-temurin-|jdk-?)(\d+)", tag)
        if match:
            return f"eclipse-temurin:{match.group(1)}-jre"
    return None


def minimal_base(twin: Twin) -> str | None:
    """distroless/static for the release, for a proven static binary (``split-runtime = "minimal"``)."""
    if twin.codename in DISTROLESS:
        return f"gcr.io/distroless/static-{DISTROLESS[twin.codename]}"
    return None
