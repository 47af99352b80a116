"""DO501's planning pieces without an engine: the twin bases, the Go proof, ELF reading, the
paths to inspect, the split-runtime setting and how a proposal is shown without --verify."""

from __future__ import annotations

import struct
import subprocess
import sys
from pathlib import Path

import pytest

from optimizer.analysis.runtime import FileKind, RuntimeFacts
from optimizer.cli import fast_parse
from optimizer.core.config import ConfigError, Settings, SplitRuntime, load_config
from optimizer.engine import fix_text
from optimizer.rules.stages._program import go_reads_nothing
from optimizer.rules.stages._twin import NoTwin, Twin, twin_base
from optimizer.rules.stages.split_build_stage import candidate_paths
from optimizer.verify.elf import parse_elf
from optimizer.verify.inspect import kind_of

ROOT = Path(__file__).resolve().parents[2]
APPS = Path(__file__).parent / "apps"
SETTINGS = Settings(select=("DO501",), unsafe_fixes=True)


@pytest.mark.parametrize(
    ("base", "build_packages", "expected"),
    [
        ("golang:1.22-bookworm", False, "debian:bookworm-slim"),
        ("golang:1.21-bullseye", False, "debian:bullseye-slim"),
        ("rust:1.75-bookworm", False, "debian:bookworm-slim"),
        ("buildpack-deps:bookworm", False, "debian:bookworm-slim"),
        ("debian:12", True, "debian:bookworm-slim"),
        ("debian:bookworm-slim", True, "debian:bookworm-slim"),
        ("python:3.11", False, "python:3.11-slim"),
        ("python:3.12-bookworm", False, "python:3.12-slim-bookworm"),
        ("node:18", False, "node:18-slim"),
        ("eclipse-temurin:17-jdk", False, "eclipse-temurin:17-jre"),
        ("eclipse-temurin:21-jdk-jammy", False, "eclipse-temurin:21-jre-jammy"),
        ("maven:3.9-eclipse-temurin-17", False, "eclipse-temurin:17-jre"),
        ("gradle:8.5-jdk17", False, "eclipse-temurin:17-jre"),
    ],
)
def test_twin_bases(base, build_packages, expected):
    twin = twin_base(base, build_packages)
    assert isinstance(twin, Twin) and twin.image == expected


@pytest.mark.parametrize(
    "base", ["golang:1.22-alpine", "debian:bookworm-slim", "ubuntu:22.04", "${BASE}", "python:3.11-slim"]
)
def test_no_twin(base):
    assert isinstance(twin_base(base, False), NoTwin)


def test_unqualified_tag_takes_the_release_from_the_built_image():
    assumed = twin_base("golang:1.19", False)
    read = twin_base("golang:1.19", False, "bullseye")
    assert isinstance(assumed, Twin) and assumed.assumed and assumed.image == "debian:bookworm-slim"
    assert isinstance(read, Twin) and not read.assumed and read.image == "debian:bullseye-slim"


@pytest.mark.parametrize(
    ("source", "reason"),
    [
        ('package main\nimport "fmt"\nfunc main() { fmt.Println(1) }\n', None),
        (
            'package main\nimport (\n\t"fmt"\n\t"os"\n)\nfunc main() { os.ReadFile("x"); fmt.Println() }\n',
            "calls",
        ),
        ('package main\n// #include <stdio.h>\nimport "C"\nfunc main() {}\n', "imports C"),
        ('package main\nimport "os/exec"\nfunc main() {}\n', "imports os/exec"),
        ('package main\nimport "time"\nfunc main() { time.LoadLocation("Europe/Paris") }\n', "LoadLocation"),
    ],
)
def test_go_proof(source, reason):
    found = go_reads_nothing({"main.go": source}, "module x\n\ngo 1.22\n")
    assert (found is None) if reason is None else (reason in (found or ""))


def test_go_proof_refuses_required_modules():
    assert "requires" in (go_reads_nothing({"main.go": "package main\n"}, "module x\nrequire a v1\n") or "")


def test_elf_of_this_interpreter_is_dynamic_and_names_libc():
    data = Path(sys.executable).resolve().read_bytes()
    elf = parse_elf(data)
    assert elf is not None and elf.dynamic
    assert any(name.startswith("libc.so") for name in elf.needed) or elf.interpreter


def test_minimal_static_elf_and_other_kinds():
    header = bytearray(64)
    header[:6] = b"\x7fELF\x02\x01"
    struct.pack_into("<QHH", header, 32, 64, 0, 0)  # phoff, (flags..), no program headers
    struct.pack_into("<HH", header, 54, 56, 0)
    assert kind_of("/app", bytes(header)).kind == "elf-static"
    assert kind_of("/run.sh", b"#!/bin/sh\necho\n") == FileKind("/run.sh", "script", "/bin/sh")
    assert kind_of("/a.jar", b"PK\x03\x04rest").kind == "jar"
    assert kind_of("/data.txt", b"hello").kind == "data"
    assert parse_elf(b"\x7fELF") is None


def test_candidate_paths_name_the_artifact_and_the_workdir():
    context = APPS / "c-sqlite"
    paths = candidate_paths((context / "Dockerfile").read_text(), SETTINGS, context_dir=context)
    assert paths[:2] == ["/app/hello", "/app"]
    assert candidate_paths('FROM debian:bookworm-slim\nCMD ["bash"]\n') == []


def test_runtime_facts_round_trip_and_install_the_owning_package():
    facts = RuntimeFacts(
        image="x",
        os_release={"VERSION_CODENAME": "bookworm"},
        files={
            "/app/hello": FileKind("/app/hello", "elf-dynamic", "/lib64/ld", ("libsqlite3.so.0", "libc.so.6"))
        },
        library_packages={"libsqlite3.so.0": "libsqlite3-0", "libc.so.6": "libc6"},
        has_ca_bundle=True,
    )
    assert RuntimeFacts.from_json(facts.to_json()) == facts
    context = APPS / "c-sqlite"
    text = (context / "Dockerfile").read_text()
    unverified = fix_text(text, SETTINGS, context_dir=context, runtime=facts)
    assert unverified.output == text  # needs verification: never written without it
    verified = fix_text(text, SETTINGS, context_dir=context, runtime=facts, verified=True)
    assert "apt-get install -y --no-install-recommends libsqlite3-0 " in verified.output
    assert "libc6" not in verified.output


def test_split_runtime_setting(tmp_path):
    assert Settings(split_runtime="minimal").split_runtime is SplitRuntime.MINIMAL  # type: ignore[arg-type]
    config = tmp_path / "dockopt.toml"
    config.write_text('split-runtime = "minimal"\n')
    assert load_config(config).split_runtime is SplitRuntime.MINIMAL
    config.write_text('split-runtime = "tiny"\n')
    with pytest.raises(ConfigError, match="split-runtime"):
        load_config(config)
    options = fast_parse(["--split-runtime", "minimal", "Dockerfile"])
    assert options is not None and options.split_runtime == "minimal"
    assert fast_parse(["--split-runtime", "tiny", "Dockerfile"]) is None


def test_show_fixes_prints_the_proposal_that_needs_verification():
    dockerfile = APPS / "c-sqlite" / "Dockerfile"
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "optimizer",
            "--select",
            "DO501",
            "--unsafe-fixes",
            "--show-fixes",
            str(dockerfile),
        ],
        capture_output=True,
        text=True,
        cwd=ROOT,
        env={"PYTHONPATH": str(ROOT), "PATH": "/usr/bin:/bin"},
    )
    assert result.returncode == 0, result.stderr
    assert "DO501 proposed, written only after a verified build" in result.stdout
    assert "+FROM debian:bookworm-slim" in result.stdout
    assert "available with --unsafe-fixes --verify" in result.stderr
    assert dockerfile.read_text().count("FROM") == 1
