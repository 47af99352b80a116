"""Synthetic image archives for the verify tests: layer tars and both `docker save` shapes, in memory.

Building them here (rather than with an engine) keeps the tests fast and lets each one state the exact
tar members it is about, including ones an engine rarely produces (opaque markers, device nodes).
"""

from __future__ import annotations

import gzip
import hashlib
import io
import json
import tarfile
from dataclasses import dataclass, field
from pathlib import Path


@dataclass
class Member:
    path: str
    kind: str = "file"  # file, dir, symlink, hardlink, fifo, char
    data: bytes = b""
    mode: int = 0o644
    uid: int = 0
    gid: int = 0
    target: str = ""
    pax: dict[str, str] = field(default_factory=dict)


def file(
    path: str,
    data: bytes | str = b"",
    mode: int = 0o644,
    uid: int = 0,
    gid: int = 0,
    pax: dict[str, str] | None = None,
) -> Member:
    content = data.encode() if isinstance(data, str) else data
    return Member(path, "file", content, mode, uid, gid, pax=pax or {})


def directory(path: str, mode: int = 0o755, uid: int = 0, gid: int = 0) -> Member:
    return Member(path, "dir", mode=mode, uid=uid, gid=gid)


def symlink(path: str, target: str) -> Member:
    return Member(path, "symlink", mode=0o777, target=target)


def hardlink(path: str, target: str) -> Member:
    return Member(path, "hardlink", target=target)


def whiteout(path: str) -> Member:
    parent, _, name = path.rpartition("/")
    return Member(f"{parent}/.wh.{name}", "file", mode=0o600)


def opaque(directory_path: str) -> Member:
    return Member(f"{directory_path.rstrip('/')}/.wh..wh..opq", "file", mode=0o600)


def fifo(path: str) -> Member:
    return Member(path, "fifo")


def char_device(path: str, major: int, minor: int) -> Member:
    return Member(path, "char", target=f"{major},{minor}", mode=0o666)


def layer(*members: Member) -> bytes:
    """An uncompressed layer tar with names the way the engine writes them (relative, no ``./``)."""
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w", format=tarfile.PAX_FORMAT) as tar:
        for m in members:
            info = tarfile.TarInfo(m.path.lstrip("/") + ("/" if m.kind == "dir" else ""))
            info.mode, info.uid, info.gid, info.mtime = m.mode, m.uid, m.gid, 1_700_000_000
            info.pax_headers = dict(m.pax)
            payload = None
            if m.kind == "file":
                info.size, payload = len(m.data), io.BytesIO(m.data)
            elif m.kind == "dir":
                info.type = tarfile.DIRTYPE
            elif m.kind == "symlink":
                info.type, info.linkname = tarfile.SYMTYPE, m.target
            elif m.kind == "hardlink":
                info.type, info.linkname = tarfile.LNKTYPE, m.target.lstrip("/")
            elif m.kind == "fifo":
                info.type = tarfile.FIFOTYPE
            elif m.kind == "char":
                info.type = tarfile.CHRTYPE
                info.devmajor, info.devminor = (int(x) for x in m.target.split(","))
            tar.addfile(info, payload)
    return buffer.getvalue()


def image_config(
    *,
    env: list[str] | None = None,
    cmd: list[str] | None = None,
    layers: int = 1,
    empty_steps: int = 1,
    **extra: object,
) -> dict:
    """An image config blob; ``empty_steps`` adds metadata-only history entries (ENV, CMD...)."""
    config: dict[str, object] = {
        "Env": env if env is not None else ["PATH=/usr/bin:/bin"],
        "Cmd": cmd if cmd is not None else ["bash"],
    }
    config.update(extra)
    history = [{"created_by": f"RUN step {i}"} for i in range(layers)]
    history += [{"created_by": f"ENV step {i}", "empty_layer": True} for i in range(empty_steps)]
    return {
        "architecture": "amd64",
        "os": "linux",
        "config": config,
        "history": history,
        "rootfs": {"type": "layers", "diff_ids": []},
    }


def _digest(data: bytes) -> str:
    return "sha256:" + hashlib.sha256(data).hexdigest()


def _add(tar: tarfile.TarFile, name: str, data: bytes) -> None:
    info = tarfile.TarInfo(name)
    info.size = len(data)
    tar.addfile(info, io.BytesIO(data))


def docker_archive(
    path: Path,
    layers: list[bytes],
    config: dict,
    *,
    tags: tuple[str, ...] = ("img:a",),
    gzip_layers: bool = False,
    link_duplicates: bool = True,
    extra_images: list[tuple[list[bytes], dict, tuple[str, ...]]] = (),
) -> Path:
    """The classic `docker save` shape: ``<id>/layer.tar`` per layer, ``<id>.json``, manifest.json.

    Docker writes a repeated layer once and symlinks the others to it, so ``link_duplicates`` does too.
    """
    images = [(layers, config, tags), *extra_images]
    manifest = []
    with tarfile.open(path, "w") as tar:
        written: dict[bytes, str] = {}
        for image_layers, image_config_blob, image_tags in images:
            names = []
            for index, blob in enumerate(image_layers):
                data = gzip.compress(blob, mtime=0) if gzip_layers else blob
                layer_id = hashlib.sha256(data + str(index).encode() + repr(image_tags).encode()).hexdigest()
                name = f"{layer_id}/layer.tar"
                if link_duplicates and data in written:
                    info = tarfile.TarInfo(name)
                    info.type, info.linkname = tarfile.SYMTYPE, f"../{written[data]}"
                    tar.addfile(info)
                else:
                    _add(tar, name, data)
                    written[data] = name
                names.append(name)
            config_bytes = json.dumps(image_config_blob).encode()
            config_name = hashlib.sha256(config_bytes).hexdigest() + ".json"
            _add(tar, config_name, config_bytes)
            manifest.append({"Config": config_name, "RepoTags": list(image_tags), "Layers": names})
        _add(tar, "manifest.json", json.dumps(manifest).encode())
    return path


def oci_layout(
    path: Path,
    layers: list[bytes],
    config: dict,
    *,
    name: str = "img:a",
    gzip_layers: bool = True,
    nested_index: bool = False,
) -> Path:
    """A bare OCI image layout (no manifest.json), as skopeo or `buildx --output type=oci` write it.

    ``nested_index`` wraps the manifest in a multi-platform index that also holds an arm64 image and a
    BuildKit attestation manifest, both of which must be passed over.
    """
    blobs: dict[str, bytes] = {}

    def put(data: bytes) -> str:
        digest = _digest(data)
        blobs[digest] = data
        return digest

    def manifest_for(layer_blobs: list[bytes], config_blob: dict) -> dict:
        media = "application/vnd.oci.image.layer.v1.tar" + ("+gzip" if gzip_layers else "")
        descriptors = []
        for blob in layer_blobs:
            data = gzip.compress(blob, mtime=0) if gzip_layers else blob
            descriptors.append({"mediaType": media, "digest": put(data), "size": len(data)})
        config_bytes = json.dumps(config_blob).encode()
        body = {
            "schemaVersion": 2,
            "mediaType": "application/vnd.oci.image.manifest.v1+json",
            "config": {
                "mediaType": "application/vnd.oci.image.config.v1+json",
                "digest": put(config_bytes),
                "size": len(config_bytes),
            },
            "layers": descriptors,
        }
        data = json.dumps(body).encode()
        return {"mediaType": body["mediaType"], "digest": put(data), "size": len(data)}

    top = manifest_for(layers, config)
    top["annotations"] = {"io.containerd.image.name": name}
    if nested_index:
        decoy = manifest_for([layer(file("/arm64-only", "x"))], image_config())
        attestation = manifest_for([layer(file("/attestation.json", "{}"))], image_config())
        index = {
            "schemaVersion": 2,
            "mediaType": "application/vnd.oci.image.index.v1+json",
            "manifests": [
                {
                    **attestation,
                    "platform": {"os": "unknown", "architecture": "unknown"},
                    "annotations": {"vnd.docker.reference.type": "attestation-manifest"},
                },
                {**decoy, "platform": {"os": "linux", "architecture": "arm64"}},
                {**top, "platform": {"os": "linux", "architecture": "amd64"}},
            ],
        }
        data = json.dumps(index).encode()
        top = {
            "mediaType": index["mediaType"],
            "digest": put(data),
            "size": len(data),
            "annotations": {"io.containerd.image.name": name},
        }
    with tarfile.open(path, "w") as tar:
        _add(tar, "oci-layout", b'{"imageLayoutVersion":"1.0.0"}')
        _add(tar, "index.json", json.dumps({"schemaVersion": 2, "manifests": [top]}).encode())
        for digest, data in blobs.items():
            algorithm, _, hex_digest = digest.partition(":")
            _add(tar, f"blobs/{algorithm}/{hex_digest}", data)
    return path
