"""Where an image's config and layers sit inside a saved archive, in either shape Docker writes.

The classic docker-archive names them in ``manifest.json``; an OCI image layout reaches them through
``index.json`` → (nested index →) manifest → blobs. Docker ≥25 writes both at once, and then
``manifest.json`` is preferred because it names the saved image's own layer order directly, with no
platform to choose.
"""

from __future__ import annotations

import json
import posixpath
import tarfile
from dataclasses import dataclass
from typing import IO, Any

_INDEX_MEDIA_TYPES = {
    "application/vnd.oci.image.index.v1+json",
    "application/vnd.docker.distribution.manifest.list.v2+json",
}


class SnapshotError(Exception):
    """The archive cannot be read as an image; the message is one line meant for the user."""


@dataclass(frozen=True, slots=True)
class ImageLocation:
    layers: tuple[str, ...]  # archive member names, lowest layer first
    config: str
    tags: tuple[str, ...]
    archive_format: str  # "docker-archive", "oci-layout" or "docker-archive+oci-layout"


def _member_name(name: str) -> str:
    return posixpath.normpath("/" + name).lstrip("/")


class ImageArchive:
    """Random access to the outer tar by name, following its internal links.

    docker-archive stores a layer shared by two images once and symlinks the other ``layer.tar`` to it.
    """

    def __init__(self, tar: tarfile.TarFile, label: str) -> None:
        self.tar = tar
        self.label = label
        self.members = {_member_name(m.name): m for m in tar.getmembers()}

    def locate(self, image: str | None = None) -> ImageLocation:
        """The config and layers of ``image`` (a tag), or of the first image when ``image`` is None."""
        if "manifest.json" in self.members:
            return self._from_docker_manifest(image)
        if "index.json" in self.members:
            return self._from_oci_index(image)
        raise SnapshotError(
            f"{self.label}: neither manifest.json nor index.json; not a `docker save` archive"
        )

    def resolve(self, name: str) -> tarfile.TarInfo:
        name = _member_name(name)
        for _ in range(16):
            member = self.members.get(name)
            if member is None:
                raise SnapshotError(f"{self.label}: {name} is missing from the archive")
            if member.issym():
                name = _member_name(posixpath.join(posixpath.dirname(name), member.linkname))
            elif member.islnk():
                name = _member_name(member.linkname)
            else:
                return member
        raise SnapshotError(f"{self.label}: link loop at {name}")

    def open(self, name: str) -> IO[bytes]:
        stream = self.tar.extractfile(self.resolve(name))
        if stream is None:
            raise SnapshotError(f"{self.label}: {name} is not a file")
        return stream

    def json(self, name: str) -> Any:
        with self.open(name) as stream:
            try:
                return json.load(stream)
            except ValueError as exc:
                raise SnapshotError(f"{self.label}: {name} is not JSON ({exc})") from None

    def _from_docker_manifest(self, image: str | None) -> ImageLocation:
        manifests = self.json("manifest.json")
        if not manifests:
            raise SnapshotError(f"{self.label}: manifest.json lists no image")
        chosen = manifests[0]
        if image is not None:
            matching = [m for m in manifests if image in (m.get("RepoTags") or ())]
            if not matching:
                raise SnapshotError(f"{self.label}: no image tagged {image}")
            chosen = matching[0]
        fmt = "docker-archive+oci-layout" if "index.json" in self.members else "docker-archive"
        return ImageLocation(
            tuple(chosen.get("Layers") or ()), chosen["Config"], tuple(chosen.get("RepoTags") or ()), fmt
        )

    def _from_oci_index(self, image: str | None) -> ImageLocation:
        descriptors = self.json("index.json").get("manifests") or []
        if image is not None:
            descriptors = [d for d in descriptors if image in _names_of(d)]
            if not descriptors:
                raise SnapshotError(f"{self.label}: no image named {image}")
        descriptor = _pick_platform(descriptors, self.label)
        names = _names_of(descriptor)  # the name is on the top-level entry, not on nested manifests
        while descriptor.get("mediaType") in _INDEX_MEDIA_TYPES:
            nested = self.json(_blob(descriptor["digest"]))
            descriptor = _pick_platform(nested.get("manifests") or [], self.label)
        manifest = self.json(_blob(descriptor["digest"]))
        layers = tuple(_blob(layer["digest"]) for layer in manifest.get("layers") or ())
        return ImageLocation(layers, _blob(manifest["config"]["digest"]), tuple(names), "oci-layout")


def _blob(digest: str) -> str:
    algorithm, _, hex_digest = digest.partition(":")
    return f"blobs/{algorithm}/{hex_digest}"


def _names_of(descriptor: dict[str, Any]) -> list[str]:
    annotations = descriptor.get("annotations") or {}
    return [
        n
        for n in (
            annotations.get("io.containerd.image.name"),
            annotations.get("org.opencontainers.image.ref.name"),
        )
        if n
    ]


def _pick_platform(descriptors: list[dict[str, Any]], label: str) -> dict[str, Any]:
    """Prefer linux/amd64; attestation manifests (platform unknown/unknown) are never images."""
    images = [
        d
        for d in descriptors
        if (d.get("platform") or {}).get("os") != "unknown"
        and (d.get("annotations") or {}).get("vnd.docker.reference.type") != "attestation-manifest"
    ]
    if not images:
        raise SnapshotError(f"{label}: index.json names no image manifest")
    for d in images:
        platform = d.get("platform") or {}
        if platform.get("os", "linux") == "linux" and platform.get("architecture", "amd64") == "amd64":
            return d
    return images[0]
