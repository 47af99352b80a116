"""The split verdict on synthetic images: config, runtime closure, dropped paths, behaviour, masking."""

from __future__ import annotations

import hashlib
import struct
from dataclasses import replace

import pytest

from optimizer.verify.behaviour import Behaviour, CommandResult, PortAnswer, compare_behaviour, mask
from optimizer.verify.closure import DictFiles, resolve, runtime_closure
from optimizer.verify.elf import parse_elf
from optimizer.verify.snapshot import Entry, ImageConfig, Snapshot
from optimizer.verify.split import (
    DockerfileFacts,
    compare_split,
    dockerfile_facts,
    structure_changed,
)


def elf(needed: list[str], interpreter: str = "/lib64/ld-linux-x86-64.so.2", runpath: str = "") -> bytes:
    """A minimal ELF64 with PT_LOAD (whole file), PT_INTERP and PT_DYNAMIC (DT_NEEDED, DT_RUNPATH,
    DT_STRTAB)."""
    strings = [*needed, *([runpath] if runpath else [])]
    strtab = b"\0" + b"".join(n.encode() + b"\0" for n in strings)
    offsets, pos = [], 1
    for n in strings:
        offsets.append(pos)
        pos += len(n) + 1
    interp = interpreter.encode() + b"\0"
    header_size, ph_size, ph_count = 64, 56, 3
    interp_off = header_size + ph_size * ph_count
    str_off = interp_off + len(interp)
    dyn_off = str_off + len(strtab)
    dynamic = b"".join(struct.pack("<qQ", 1, o) for o in offsets[: len(needed)])
    if runpath:
        dynamic += struct.pack("<qQ", 29, offsets[-1])
    dynamic += struct.pack("<qQ", 5, str_off)
    dynamic += struct.pack("<qQ", 0, 0)
    total = dyn_off + len(dynamic)
    header = b"\x7fELF" + bytes([2, 1, 1]) + b"\0" * 9
    header += struct.pack("<HHIQQQIHHHHHH", 3, 62, 1, 0, header_size, 0, 0, 64, ph_size, ph_count, 64, 0, 0)
    phs = struct.pack("<IIQQQQQQ", 1, 5, 0, 0, 0, total, total, 0x1000)
    phs += struct.pack("<IIQQQQQQ", 3, 4, interp_off, interp_off, interp_off, len(interp), len(interp), 1)
    phs += struct.pack("<IIQQQQQQ", 2, 6, dyn_off, dyn_off, dyn_off, len(dynamic), len(dynamic), 8)
    data = header + phs + interp + strtab + dynamic
    assert len(data) == total
    return data


def file_entry(data: bytes, mode: int = 0o755) -> Entry:
    return Entry("file", mode, 0, 0, len(data), hashlib.sha256(data).hexdigest())


def image(
    contents: dict[str, bytes],
    *,
    links: dict[str, str] | None = None,
    dirs: tuple[str, ...] = (),
    config: ImageConfig | None = None,
) -> tuple[Snapshot, DictFiles]:
    files: dict[str, Entry] = {}
    for path, data in contents.items():
        files[path] = file_entry(data)
        parent = path.rsplit("/", 1)[0]
        while parent:
            files.setdefault(parent, Entry("dir", 0o755, 0, 0))
            parent = parent.rsplit("/", 1)[0]
    for path in dirs:
        files.setdefault(path, Entry("dir", 0o755, 0, 0))
    for path, target in (links or {}).items():
        files[path] = Entry("symlink", 0o777, 0, 0, link_target=target)
        parent = path.rsplit("/", 1)[0]
        while parent:
            files.setdefault(parent, Entry("dir", 0o755, 0, 0))
            parent = parent.rsplit("/", 1)[0]
    snap = Snapshot(files, config or ImageConfig(), [], 0, "test")
    return snap, DictFiles(contents)


PASSWD = b"root:x:0:0:root:/root:/bin/bash\napp:x:1000:1000::/home/app:/bin/sh\n"
GROUP = b"root:x:0:\napp:x:1000:\n"
LIBC = elf([], interpreter="")
LOADER = b"\x7fELF-loader"
APP = elf(["libsqlite3.so.0", "libc.so.6"])
RUNTIME = {
    "/usr/lib/x86_64-linux-gnu/libc.so.6": LIBC,
    "/usr/lib/x86_64-linux-gnu/libsqlite3.so.0.8.6": elf(["libc.so.6"], interpreter=""),
    "/usr/lib/x86_64-linux-gnu/ld-linux-x86-64.so.2": LOADER,
    "/usr/local/bin/app": APP,
    "/app/config.yaml": b"port: 8080\n",
    "/etc/ssl/certs/ca-certificates.crt": b"-----BEGIN CERTIFICATE-----\n",
    "/etc/passwd": PASSWD,
    "/etc/group": GROUP,
}
LINKS = {
    "/lib64": "usr/lib64",
    "/usr/lib64/ld-linux-x86-64.so.2": "../lib/x86_64-linux-gnu/ld-linux-x86-64.so.2",
    "/usr/lib/x86_64-linux-gnu/libsqlite3.so.0": "libsqlite3.so.0.8.6",
}
CONFIG = ImageConfig(
    env=(
        "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin",
        "GOLANG_VERSION=1.19",
        "MODE=prod",
    ),
    cmd=("app", "--config", "config.yaml"),
    working_dir="/app",
    user="app",
    exposed_ports=("8080/tcp",),
)
FACTS = DockerfileFacts(env_names=frozenset({"MODE"}), final_base="golang:1.19", copy_destinations=("/src",))
BUILD_ONLY = {
    "/usr/bin/gcc-12": elf(["libc.so.6"]),
    "/var/lib/dpkg/info/gcc-12.list": b"/.\n/usr\n/usr/bin\n/usr/bin/gcc-12\n",
    "/usr/local/go/bin/go": b"go",
    "/root/.cache/go-build/ab/cd": b"cache",
    "/src/main.go": b"package main",
}
RUNNING = Behaviour(
    True,
    None,
    "listening on :8080 at 2026-12-03T20:11:00Z\n",
    "",
    [PortAnswer("8080/tcp", True, "HTTP/1.0 200 OK")],
)


def pair(
    *,
    drop: tuple[str, ...] = (),
    change: dict[str, bytes] | None = None,
    config: ImageConfig | None = None,
    extra_before: dict[str, bytes] | None = None,
) -> tuple[Snapshot, DictFiles, Snapshot, DictFiles]:
    before_contents = {**RUNTIME, **BUILD_ONLY, **(extra_before or {})}
    before, before_files = image(before_contents, links=LINKS, config=CONFIG)
    after_contents = {p: d for p, d in {**RUNTIME, **(change or {})}.items() if p not in drop}
    after_contents["/var/lib/dpkg/info/libc6.list"] = b"/usr/lib/x86_64-linux-gnu/libc.so.6\n"
    before_contents["/var/lib/dpkg/info/libc6.list"] = after_contents["/var/lib/dpkg/info/libc6.list"]
    before, before_files = image(before_contents, links=LINKS, config=CONFIG)
    after, after_files = image(after_contents, links=LINKS, config=config or CONFIG)
    return before, before_files, after, after_files


def judge(before, before_files, after, after_files, behaviour=(RUNNING, RUNNING), **kwargs):
    return compare_split(
        before,
        after,
        facts=FACTS,
        before_reader=before_files,
        after_reader=after_files,
        behaviour=behaviour,
        **kwargs,
    )


def test_elf_parser_reads_interpreter_and_needed() -> None:
    info = parse_elf(APP)
    assert info is not None
    assert info.needed == ("libsqlite3.so.0", "libc.so.6")
    assert info.interpreter == "/lib64/ld-linux-x86-64.so.2"
    assert parse_elf(b"#!/bin/sh\n") is None


def test_resolve_follows_symlinks_in_every_component() -> None:
    snap, _ = image(RUNTIME, links=LINKS)
    assert (
        resolve(snap.files, "/lib64/ld-linux-x86-64.so.2") == "/usr/lib/x86_64-linux-gnu/ld-linux-x86-64.so.2"
    )
    assert resolve(snap.files, "/nope/x") is None


def test_closure_has_program_libraries_loader_workdir_and_ca_bundle() -> None:
    snap, files = image(RUNTIME, links=LINKS, config=CONFIG)
    closure = runtime_closure(snap.files, CONFIG, files)
    paths = {item.path for item in closure.items}
    assert "/usr/local/bin/app" in paths  # found on PATH
    assert "/usr/lib/x86_64-linux-gnu/libsqlite3.so.0" in paths  # DT_NEEDED
    assert "/lib64/ld-linux-x86-64.so.2" in paths  # PT_INTERP
    assert "/app/config.yaml" in paths  # argument and WORKDIR
    assert "/etc/ssl/certs/ca-certificates.crt" in paths
    assert closure.problems == []


def test_a_correct_split_is_equivalent() -> None:
    result = judge(*pair())
    assert result.equivalent, result.reasons()
    explained = {d.path: d.explained_by for d in result.dropped}
    assert explained["/usr/bin/gcc-12"].startswith("package gcc-12")
    assert explained["/usr/local/go/bin/go"] == "toolchain"
    assert explained["/root/.cache/go-build/ab/cd"] == "cache"


def test_build_inputs_outside_the_copy_destinations_are_not_explained() -> None:
    before, bf, after, af = pair()
    facts = DockerfileFacts(env_names=frozenset({"MODE"}))
    result = compare_split(
        before, after, facts=facts, before_reader=bf, after_reader=af, behaviour=(RUNNING, RUNNING)
    )
    assert [d.path for d in result.unexplained_drops] == ["/src", "/src/main.go"]


def test_a_missing_shared_library_fails_the_closure() -> None:
    result = judge(*pair(drop=("/usr/lib/x86_64-linux-gnu/libsqlite3.so.0.8.6",)))
    assert not result.equivalent
    assert any("libsqlite3" in p.path for p in result.closure_problems)
    assert any("runtime closure" in r for r in result.reasons())


def test_a_changed_workdir_file_fails() -> None:
    result = judge(*pair(change={"/app/config.yaml": b"port: 9090\n"}))
    assert [p.problem for p in result.closure_problems] == ["different content"]


def test_missing_ca_bundle_and_passwd_entry_fail() -> None:
    result = judge(
        *pair(
            drop=("/etc/ssl/certs/ca-certificates.crt",),
            change={"/etc/passwd": b"root:x:0:0:root:/root:/bin/bash\n"},
        )
    )
    problems = {p.path for p in result.closure_problems}
    assert {"/etc/ssl/certs/ca-certificates.crt", "/etc/passwd"} <= problems


def test_an_unexplained_drop_fails_and_is_listed() -> None:
    result = judge(*pair(extra_before={"/opt/data/model.bin": b"weights"}))
    assert not result.equivalent
    assert "/opt/data/model.bin" in [d.path for d in result.unexplained_drops]
    assert "/opt/data" in [d.path for d in result.unexplained_drops]
    assert any("not explained" in r for r in result.reasons())


def test_a_drop_is_explained_by_the_base_images() -> None:
    before, bf, after, af = pair(extra_before={"/opt/data/model.bin": b"weights"})
    result = judge(before, bf, after, af, base_paths=lambda: ({"/opt/data", "/opt/data/model.bin"}, set()))
    assert result.equivalent, result.reasons()


def test_a_drop_declared_by_an_applied_rule_is_explained() -> None:
    before, bf, after, af = pair(extra_before={"/app/build/main.o": b"obj"})
    # Under WORKDIR, so it is in the closure too: the rule's declaration covers both.
    result = judge(before, bf, after, af, allowed_paths={"DO501": ("/app/build/**",)})
    assert result.equivalent, result.reasons()
    assert not judge(before, bf, after, af).equivalent


def test_config_compares_dockerfile_env_but_not_base_env() -> None:
    config = ImageConfig(
        env=("PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin", "MODE=prod"),
        cmd=CONFIG.cmd,
        working_dir="/app/",
        user="app",
        exposed_ports=("8080/tcp",),
    )
    assert judge(*pair(config=config)).equivalent  # GOLANG_VERSION is the base's; /app/ is /app
    wrong = ImageConfig(env=("MODE=dev",), cmd=("app",), working_dir="/app", user="root", exposed_ports=())
    result = judge(*pair(config=wrong))
    fields = {(d.field, d.key) for d in result.config_differences}
    assert fields == {("Env", "MODE"), ("Cmd", None), ("User", None), ("ExposedPorts", None)}


def test_behaviour_differences_fail() -> None:
    exited = Behaviour(False, 127, "", "exec: app: not found\n")
    result = judge(*pair(), behaviour=(RUNNING, exited))
    assert not result.equivalent
    assert {d.what for d in result.behaviour} >= {"exit", "stdout", "stderr", "port 8080/tcp"}


def test_not_running_the_images_is_not_a_pass() -> None:
    result = judge(*pair(), behaviour=None)
    assert not result.equivalent
    assert any("not run" in r for r in result.reasons())


def test_masking_hides_timestamps_ids_and_durations() -> None:
    a = "2026-12-03T20:11:00.123Z started 3f2a9c0d1e4b in 12.5ms uuid 123e4567-e89b-12d3-a456-426614174000"
    b = "2026-12-04T01:02:03.999Z started 77aa00bb11cc in 3ms uuid 00000000-e89b-12d3-a456-426614174999"
    assert mask(a) == mask(b)
    assert mask("exit 1") != mask("exit 2")


def test_behaviour_compares_healthcheck_and_smoke() -> None:
    ok = Behaviour(
        True,
        None,
        healthcheck=CommandResult("healthcheck", 0),
        smoke=[CommandResult("app --version", 0, "1.0")],
    )
    bad = Behaviour(
        True,
        None,
        healthcheck=CommandResult("healthcheck", 1),
        smoke=[CommandResult("app --version", 127, "")],
    )
    assert compare_behaviour(ok, ok) == []
    assert {d.what for d in compare_behaviour(ok, bad)} == {"healthcheck", "smoke app --version"}


@pytest.mark.parametrize(
    ("original", "rewritten", "codes", "expected"),
    [
        ("FROM golang:1.19\nRUN go build\n", "FROM golang:1.19\nRUN go build\n", (), False),
        ("FROM golang:1.19\n", "FROM golang:1.19 AS build\nFROM debian:bookworm-slim\n", (), True),
        ("FROM python:3.11\n", "FROM python:3.11-slim\n", (), True),
        ("FROM debian\n", "FROM debian\n", ("DO501",), True),
        ("FROM debian\nRUN x\n", "FROM debian\nRUN y\n", ("DO301",), False),
    ],
)
def test_structure_change_detection(
    original: str, rewritten: str, codes: tuple[str, ...], expected: bool
) -> None:
    assert structure_changed(original, rewritten, codes) is expected


def test_dockerfile_facts_follow_the_final_stage_lineage() -> None:
    facts = dockerfile_facts(
        "FROM golang:1.19 AS build\nENV CGO_ENABLED=0\nFROM debian:bookworm-slim AS base\nENV MODE=prod\n"
        'LABEL org.opencontainers.image.title=x\nFROM base\nSHELL ["/bin/bash", "-c"]\n'
    )
    assert facts.env_names == {"MODE"}
    assert facts.label_names == {"org.opencontainers.image.title"}
    assert facts.sets_shell and facts.final_base == "debian:bookworm-slim" and facts.stage_count == 3
    assert dockerfile_facts(
        "FROM x\nWORKDIR /app\nCOPY . .\nCOPY a /opt/\nCOPY --from=b / /z\n"
    ).copy_destinations == (
        "/app",
        "/opt",
    )


def test_reports_show_the_split_verdict_in_every_format() -> None:
    import json

    from optimizer.verify.pipeline import VerifyReport
    from optimizer.verify.report import render

    before, bf, after, af = pair(drop=("/etc/ssl/certs/ca-certificates.crt",), extra_before={"/opt/x": b"x"})
    report = VerifyReport("Dockerfile", ".", changed=True, smoke=["app --version"])
    report.split = judge(before, bf, after, af)
    assert report.status == "not-equivalent" and report.exit_code == 1
    text = render(report, "text")
    assert "equivalent: NO, as a split" in text
    assert (
        "runtime closure (" in text and "/etc/ssl/certs/ca-certificates.crt: missing in the rewrite" in text
    )
    assert "- /opt/x (file)" in text and "smoke: app --version" in text
    data = json.loads(render(report, "json"))
    assert "/opt/x" in data["split"]["unexplained_drops"] and data["status"] == "not-equivalent"
    assert data["split"]["observed"] == [data["split"]["observed"][0]] * 2
    assert "**equivalent: NO, as a split" in render(report, "markdown")
    report.split = judge(*pair())
    assert report.status == "equivalent" and "equivalent: yes, as a split" in render(report, "text")


def test_config_reads_smoke_commands(tmp_path) -> None:
    from optimizer.core.config import ConfigError, load_config

    config = tmp_path / "dockopt.toml"
    config.write_text('smoke = ["app --version", "test -f /etc/ssl/certs/ca-certificates.crt"]\n')
    assert load_config(config).smoke == ("app --version", "test -f /etc/ssl/certs/ca-certificates.crt")
    config.write_text('smoke = "app --version"\n')
    with pytest.raises(ConfigError, match="'smoke' must be a list of shell commands"):
        load_config(config)


# -- the pipeline picks the split verdict for a rewrite that changes the final stage -----------------


def _fake_verify(tmp_path, make_snapshot, monkeypatch, judge):
    from optimizer.core.config import Settings
    from optimizer.verify import splitrun
    from optimizer.verify.pipeline import verify

    from .fakes import FakeDocker
    from .imagefactory import file, layer
    from .testrules import AppendLine

    (tmp_path / "Dockerfile").write_text('FROM golang:1.19\nCMD ["app"]\n')
    monkeypatch.setattr(splitrun, "judge_splits", judge)
    docker = FakeDocker(
        snapshot_for=lambda text: make_snapshot(layer(file("/app", "go" if "slim" not in text else "x")))
    )
    rule = AppendLine("DO599", "test-twin", "FROM debian:bookworm-slim")
    return verify(tmp_path / "Dockerfile", settings=Settings(select=("DO599",)), rules=[rule], docker=docker)


def test_the_pipeline_judges_a_changed_final_stage_as_a_split(tmp_path, make_snapshot, monkeypatch) -> None:
    seen = {}

    def judge(docker, original, tags, snapshots, allowed, texts, **kwargs):
        seen.update(allowed=dict(allowed), texts=dict(texts))
        return {label: judge_result for label in allowed}

    before, bf, after, af = pair()
    judge_result = compare_split(
        before, after, facts=FACTS, before_reader=bf, after_reader=af, behaviour=(RUNNING, RUNNING)
    )
    report = _fake_verify(tmp_path, make_snapshot, monkeypatch, judge)
    assert report.status == "equivalent" and report.split is judge_result and report.comparison is None
    assert list(seen["allowed"]) == ["rewritten"] and seen["texts"]["rewritten"].endswith(
        "FROM debian:bookworm-slim\n"
    )


def test_a_failing_split_judgement_costs_the_verdict_not_a_traceback(
    tmp_path, make_snapshot, monkeypatch
) -> None:
    def judge(*args, **kwargs):
        raise RuntimeError("bug")

    report = _fake_verify(tmp_path, make_snapshot, monkeypatch, judge)
    assert report.split is None and report.status == "not-equivalent"
    assert any("the split could not be judged (RuntimeError: bug)" in note for note in report.notes)


def test_workdir_symlinks_are_compared_as_links() -> None:
    links = {**LINKS, "/app/current": "config.yaml", "/app/dangling": "/nowhere"}
    before, bf = image({**RUNTIME, **BUILD_ONLY}, links=links, config=CONFIG)
    after, af = image(
        RUNTIME, links={**LINKS, "/app/dangling": "/nowhere", "/app/current": "other.yaml"}, config=CONFIG
    )
    problems = {p.path: p.problem for p in check(before, bf, after, af)}
    assert problems == {"/app/current": "different link target"}


def check(before, bf, after, af):
    return compare_split(
        before, after, facts=FACTS, before_reader=bf, after_reader=af, behaviour=(RUNNING, RUNNING)
    ).closure_problems


def test_runpath_origin_is_the_real_location_of_the_program() -> None:
    contents = {
        "/usr/lib/jvm/jdk/bin/java": elf(["libjli.so"], interpreter="", runpath="$ORIGIN/../lib"),
        "/usr/lib/jvm/jdk/lib/libjli.so": elf([], interpreter=""),
    }
    assert parse_elf(contents["/usr/lib/jvm/jdk/bin/java"]).runpath == ("$ORIGIN/../lib",)  # type: ignore[union-attr]
    snap, files = image(
        contents, links={"/usr/bin/java": "/usr/lib/jvm/jdk/bin/java"}, config=ImageConfig(cmd=("java",))
    )
    closure = runtime_closure(snap.files, snap.config, files)
    assert "/usr/lib/jvm/jdk/lib/libjli.so" in {i.resolved for i in closure.items}
    assert closure.problems == []


def _jar(entries: dict[str, bytes], when: tuple[int, int, int, int, int, int]) -> bytes:
    import io
    import zipfile

    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for name, data in entries.items():
            archive.writestr(zipfile.ZipInfo(name, date_time=when), data)
    return buffer.getvalue()


def test_a_jar_rebuilt_with_other_timestamps_is_the_same_but_other_classes_are_not() -> None:
    classes = {"META-INF/MANIFEST.MF": b"Main-Class: app.Main\n", "app/Main.class": b"\xca\xfe\xba\xbe1"}
    first = _jar(classes, (2026, 12, 3, 20, 0, 0))
    again = _jar(classes, (2026, 12, 3, 21, 30, 2))
    other = _jar({**classes, "app/Main.class": b"\xca\xfe\xba\xbe2"}, (2026, 12, 3, 20, 0, 0))
    config = ImageConfig(cmd=("java", "-jar", "app.jar"), working_dir="/app")
    java = {"/usr/bin/java": elf([], interpreter="")}
    before, bf = image({**java, "/app/app.jar": first}, config=config)
    assert first != again
    for jar, expected in ((again, []), (other, ["different content"])):
        after, af = image({**java, "/app/app.jar": jar}, config=config)
        result = compare_split(before, after, facts=DockerfileFacts(), before_reader=bf, after_reader=af)
        assert [p.problem for p in result.closure_problems] == expected


def test_volatile_files_in_the_closure_are_not_compared() -> None:
    before, bf, after, af = pair(
        extra_before={"/app/__pycache__/x.cpython-311.pyc": b"a"},
        change={"/app/__pycache__/x.cpython-311.pyc": b"b"},
    )
    assert judge(before, bf, after, af).closure_problems == []


def test_config_reads_every_spelling_of_root_as_root(monkeypatch) -> None:
    # A distroless runtime says User "0" where the original inherited "" from its base: both root.
    import sys

    module = sys.modules[__name__]
    for old, new in (("", "0"), ("root", "0:0"), ("", "root:root")):
        monkeypatch.setattr(module, "CONFIG", replace(CONFIG, user=old))
        assert judge(*pair(config=replace(CONFIG, user=new))).equivalent, (old, new)
    monkeypatch.setattr(module, "CONFIG", replace(CONFIG, user=""))
    result = judge(*pair(config=replace(CONFIG, user="1000")))
    assert ("User", None) in {(d.field, d.key) for d in result.config_differences}


def test_the_passwd_entry_is_judged_by_what_starting_the_container_reads() -> None:
    # Login shell and GECOS differ (a minimal base gives root /sbin/nologin): not read to run the command.
    relaxed = PASSWD.replace(b"/bin/sh", b"/sbin/nologin").replace(
        b"app:x:1000:1000::", b"app:x:1000:1000:App:"
    )
    assert relaxed != PASSWD
    assert judge(*pair(change={"/etc/passwd": relaxed})).equivalent
    # Another home or gid is another user as far as the program is concerned.
    moved = PASSWD.replace(b":/home/app:", b":/srv/app:").replace(b"app:x:1000:1000", b"app:x:1000:1001")
    assert moved != PASSWD
    assert not judge(*pair(change={"/etc/passwd": moved})).equivalent
