"""Flattening layers the way the engine unpacks them, and reading both `docker save` shapes."""

from __future__ import annotations

import gzip
import hashlib
import io
import tarfile

import pytest

from optimizer.verify.snapshot import Entry, SnapshotError, apply_layer, read_image_archive

from .imagefactory import (
    char_device,
    directory,
    docker_archive,
    fifo,
    file,
    hardlink,
    image_config,
    layer,
    oci_layout,
    opaque,
    symlink,
    whiteout,
)


def sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def test_file_attributes_are_read_from_the_tar(make_snapshot):
    snap = make_snapshot(layer(directory("/etc", 0o755), file("/etc/app.conf", b"key=1\n", 0o4750, 10, 20)))
    assert snap.files["/etc/app.conf"] == Entry("file", 0o4750, 10, 20, size=6, sha256=sha(b"key=1\n"))
    assert snap.files["/etc"] == Entry("dir", 0o755, 0, 0)
    assert "/" not in snap.files


def test_a_later_layer_replaces_content_mode_and_owner(make_snapshot):
    snap = make_snapshot(
        layer(file("/app/run", b"v1", 0o644)), layer(file("/app/run", b"version 2", 0o755, 1000, 1000))
    )
    assert snap.files["/app/run"] == Entry("file", 0o755, 1000, 1000, size=9, sha256=sha(b"version 2"))


def test_a_later_directory_entry_keeps_the_lower_children(make_snapshot):
    snap = make_snapshot(
        layer(directory("/srv"), file("/srv/a", "a")),
        layer(directory("/srv", 0o700, 33, 33), file("/srv/b", "b")),
    )
    assert snap.files["/srv"].mode == 0o700 and snap.files["/srv"].uid == 33
    assert {"/srv/a", "/srv/b"} <= snap.files.keys()


def test_whiteout_removes_a_file_and_a_whole_directory(make_snapshot):
    snap = make_snapshot(
        layer(
            directory("/var/lib/apt/lists"),
            file("/var/lib/apt/lists/main", "x"),
            directory("/var/lib/apt/lists/partial"),
            file("/var/lib/apt/lists/partial/p", "y"),
            file("/keep", "k"),
            file("/gone", "g"),
            file("/gone-not", "n"),
        ),
        layer(whiteout("/var/lib/apt/lists"), whiteout("/gone")),
    )
    assert sorted(snap.files) == ["/gone-not", "/keep", "/var", "/var/lib", "/var/lib/apt"]


def test_whiteout_only_hides_lower_layers(make_snapshot):
    # OCI image spec: a file in the same layer as its whiteout survives (it was re-created).
    snap = make_snapshot(layer(file("/x", "old")), layer(whiteout("/x"), file("/x", "new")))
    assert snap.files["/x"].sha256 == sha(b"new")


def test_opaque_directory_hides_lower_children_but_keeps_its_own(make_snapshot):
    snap = make_snapshot(
        layer(
            directory("/opt/app"),
            file("/opt/app/old.py", "1"),
            directory("/opt/app/sub"),
            file("/opt/app/sub/deep", "2"),
            file("/opt/other", "3"),
        ),
        layer(directory("/opt/app", 0o750), opaque("/opt/app"), file("/opt/app/new.py", "4")),
    )
    assert sorted(p for p in snap.files if p.startswith("/opt")) == [
        "/opt",
        "/opt/app",
        "/opt/app/new.py",
        "/opt/other",
    ]
    assert snap.files["/opt/app"].mode == 0o750


def test_a_file_replacing_a_directory_takes_its_subtree(make_snapshot):
    snap = make_snapshot(
        layer(directory("/data"), file("/data/inner", "i")), layer(file("/data", "now a file"))
    )
    assert snap.files["/data"].kind == "file"
    assert "/data/inner" not in snap.files


def test_symlinks_keep_their_target_and_are_not_followed(make_snapshot):
    snap = make_snapshot(
        layer(
            directory("/usr/bin"),
            symlink("/bin", "usr/bin"),
            symlink("/usr/bin/python", "/usr/bin/python3.11"),
        )
    )
    assert snap.files["/bin"] == Entry("symlink", 0o777, 0, 0, link_target="usr/bin")
    assert snap.files["/usr/bin/python"].link_target == "/usr/bin/python3.11"


def test_hardlink_carries_the_inode_it_was_linked_to(make_snapshot):
    snap = make_snapshot(
        layer(
            file("/usr/bin/gunzip", b"#!/bin/sh\n", 0o755), hardlink("/usr/bin/uncompress", "/usr/bin/gunzip")
        )
    )
    link = snap.files["/usr/bin/uncompress"]
    assert link.kind == "hardlink" and link.hardlink_to == "/usr/bin/gunzip"
    assert (link.mode, link.size, link.sha256) == (0o755, 10, sha(b"#!/bin/sh\n"))


def test_hardlink_to_a_lower_layer_keeps_the_content_of_link_time(make_snapshot):
    snap = make_snapshot(layer(file("/a", "first")), layer(hardlink("/b", "/a")), layer(file("/a", "second")))
    assert snap.files["/b"].sha256 == sha(b"first")
    assert snap.files["/a"].sha256 == sha(b"second")


def test_hardlink_to_nothing_is_an_error(tmp_path):
    archive = docker_archive(tmp_path / "i.tar", [layer(hardlink("/b", "/missing"))], image_config())
    with pytest.raises(SnapshotError, match="hard link /b points to missing /missing"):
        read_image_archive(archive)


def test_devices_fifos_and_capabilities(make_snapshot):
    capability = "\x01\x00\x00\x02\x00\x20\x00\x00"  # cap_net_raw, as Go's tar writes raw xattr bytes
    snap = make_snapshot(
        layer(
            char_device("/dev/null", 1, 3),
            fifo("/run/pipe"),
            file(
                "/usr/bin/ping",
                "elf",
                0o755,
                pax={"SCHILY.xattr.security.capability": capability, "SCHILY.xattr.user.note": "plain"},
            ),
        )
    )
    assert snap.files["/dev/null"].special == "char 1,3"
    assert snap.files["/run/pipe"] == Entry("other", 0o644, 0, 0, special="fifo")
    assert dict(snap.files["/usr/bin/ping"].xattrs) == {
        "security.capability": "0x0100000200200000",
        "user.note": "plain",
    }


def test_layer_sizes_counts_and_history(make_snapshot):
    first, second = layer(file("/a", b"x" * 5000)), layer(file("/b", b"y" * 10))
    snap = make_snapshot(first, second, config=image_config(layers=2, empty_steps=3))
    assert snap.layer_count == 2 and snap.history_count == 5
    assert [layer_info.tar_size for layer_info in snap.layers] == [len(first), len(second)]
    assert snap.uncompressed_size == len(first) + len(second)
    assert [layer_info.file_bytes for layer_info in snap.layers] == [5000, 10]
    assert snap.file_bytes == 5010


def test_gzip_layers_report_their_uncompressed_size(tmp_path):
    blob = layer(file("/big", b"z" * 100_000))
    archive = docker_archive(tmp_path / "i.tar", [blob], image_config(), gzip_layers=True)
    snap = read_image_archive(archive, engine_size=123_456)
    assert snap.files["/big"].sha256 == sha(b"z" * 100_000)
    assert snap.uncompressed_size == len(blob)
    assert snap.engine_size == 123_456


def test_empty_layers_count_but_change_nothing(tmp_path):
    zero_bytes, end_marker_only = b"", layer()
    archive = docker_archive(
        tmp_path / "i.tar",
        [layer(file("/a", "a")), zero_bytes, end_marker_only],
        image_config(layers=3),
        link_duplicates=False,
    )
    snap = read_image_archive(archive)
    assert snap.layer_count == 3
    assert [info.entry_count for info in snap.layers] == [1, 0, 0]
    assert list(snap.files) == ["/a"]


def test_apply_layer_accepts_plain_and_gzip_streams():
    files: dict[str, Entry] = {}
    apply_layer(files, io.BytesIO(layer(file("/one", "1"))))
    info = apply_layer(files, io.BytesIO(gzip.compress(layer(whiteout("/one"), file("/two", "2")))))
    assert list(files) == ["/two"]
    assert info.entry_count == 2


def test_docker_archive_with_deduplicated_layers_and_config(tmp_path):
    shared = layer(file("/same", "s"))
    config = image_config(
        env=["PATH=/bin", "A=1"],
        cmd=["python", "app.py"],
        layers=3,
        Entrypoint=["tini"],
        WorkingDir="/app",
        User="app",
        ExposedPorts={"8080/tcp": {}},
        Labels={"org.opencontainers.image.title": "x"},
        Volumes={"/data": {}},
        StopSignal="SIGINT",
        Healthcheck={"Test": ["CMD", "true"]},
        Shell=["/bin/bash", "-c"],
        OnBuild=["RUN echo"],
    )
    archive = docker_archive(tmp_path / "i.tar", [shared, layer(file("/mid", "m")), shared], config)
    with tarfile.open(archive) as tar:
        assert any(m.issym() for m in tar.getmembers())  # the duplicate really is a link
    snap = read_image_archive(archive)
    assert snap.archive_format == "docker-archive" and snap.tags == ("img:a",)
    assert snap.layer_count == 3 and sorted(snap.files) == ["/mid", "/same"]
    c = snap.config
    assert c.env_map == {"PATH": "/bin", "A": "1"}
    assert (c.cmd, c.entrypoint, c.working_dir, c.user) == (("python", "app.py"), ("tini",), "/app", "app")
    assert (c.exposed_ports, c.volumes, c.stop_signal) == (("8080/tcp",), ("/data",), "SIGINT")
    assert c.labels == {"org.opencontainers.image.title": "x"}
    assert c.healthcheck == {"Test": ["CMD", "true"]}
    assert (c.shell, c.on_build) == (("/bin/bash", "-c"), ("RUN echo",))


def test_picks_an_image_by_tag_from_a_multi_image_archive(tmp_path):
    archive = docker_archive(
        tmp_path / "i.tar",
        [layer(file("/first", "1"))],
        image_config(),
        tags=("a:1",),
        extra_images=[([layer(file("/second", "2"))], image_config(), ("b:2",))],
    )
    assert list(read_image_archive(archive).files) == ["/first"]
    assert list(read_image_archive(archive, image="b:2").files) == ["/second"]
    with pytest.raises(SnapshotError, match="no image tagged c:3"):
        read_image_archive(archive, image="c:3")


@pytest.mark.parametrize("nested", [False, True], ids=["single-manifest", "multi-platform-index"])
def test_oci_layout_with_gzip_layers(tmp_path, nested):
    blobs = [layer(directory("/etc"), file("/etc/os-release", "debian")), layer(whiteout("/etc/os-release"))]
    archive = oci_layout(
        tmp_path / "oci.tar", blobs, image_config(env=["X=1"], layers=2), nested_index=nested
    )
    snap = read_image_archive(archive)
    assert snap.archive_format == "oci-layout"
    assert sorted(snap.files) == ["/etc"]  # neither the arm64 image nor the attestation leaked in
    assert snap.config.env_map == {"X": "1"}
    assert snap.uncompressed_size == sum(len(b) for b in blobs)
    assert snap.tags == ("img:a",)


def test_not_an_image_archive(tmp_path):
    plain = tmp_path / "plain.tar"
    with tarfile.open(plain, "w") as tar:
        info = tarfile.TarInfo("hello.txt")
        tar.addfile(info, io.BytesIO(b""))
    with pytest.raises(SnapshotError, match=r"neither manifest\.json nor index\.json"):
        read_image_archive(plain)
    garbage = tmp_path / "garbage.tar"
    garbage.write_bytes(b"not a tar at all" * 100)
    with pytest.raises(SnapshotError, match="not a readable image archive"):
        read_image_archive(garbage)


def test_corrupt_layer_is_reported_with_its_name(tmp_path):
    broken = layer(file("/a", b"a" * 4000))[:1000]
    archive = docker_archive(tmp_path / "i.tar", [broken], image_config())
    with pytest.raises(SnapshotError, match=r"layer\.tar"):
        read_image_archive(archive)
