"""DO501 on a real engine: build the original, inspect it, plan the split with those facts, build the
rewrite, then run both images the same way and check that they behave the same and the rewrite is
smaller.

The apps (tests/stages/apps) cover: a static Go program (also proven without a build), Go with cgo,
C linking libsqlite3 (a library the twin lacks: installed as libsqlite3-0), a Go program reading
files from its WORKDIR, one needing the CA bundle, a shell entrypoint run as a non-root USER, Python
with a compiled extension, Node with a TypeScript build and Java compiled with javac/jar.
Only the standard library, apt, PyPI and npm are used (the lab has no Go proxy or Maven Central).
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
import uuid
from pathlib import Path

import pytest

from optimizer.core.config import Settings
from optimizer.engine import fix_text
from optimizer.rules.stages.split_build_stage import candidate_paths
from optimizer.syntax import parse
from optimizer.verify.docker import DockerCLI
from optimizer.verify.inspect import inspect_image

pytestmark = pytest.mark.engine

APPS = Path(__file__).parent / "apps"
SETTINGS = Settings(select=("DO501",), unsafe_fixes=True)
# app -> text the program prints (a fragment), and the twin base the plan must choose
CASES = {
    "go-static": ("hello [static]", "debian:bookworm-slim"),
    "go-static-minimal": ("hello [static]", "gcr.io/distroless/static-debian12"),
    "go-cgo": ("hello from cgo", "debian:bookworm-slim"),
    # ENV PATH=/srv/bin:$PATH keeps the original's value (the golang base's /go/bin…), read from the image
    "go-env-path": ("production /srv/bin:/go/bin:/usr/local/go/bin:", "debian:bookworm-slim"),
    "go-workdir-files": ("greetings from the WORKDIR", "debian:bookworm-slim"),
    "go-ca-bundle": ("CA bundle loaded", "debian:bookworm-slim"),
    "c-sqlite": ("sqlite 3.", "debian:bookworm-slim"),
    # make install: the program on PATH and a library no package owns (copied, then ldconfig)
    "c-make-install": ("hello from libgreet", "debian:bookworm-slim"),
    "shell-entrypoint-user": (
        "running as worker in /opt/app\nWORKDIR writable by worker",
        "debian:bookworm-slim",
    ),
    "python-compiled": ("escaped &lt;b&gt; compiled True", "python:3.11-slim"),
    "node-ts": ("hello ts 1m", "node:18-slim"),
    "java-jar": ("hello java 17", "eclipse-temurin:17-jre"),
}
RESULTS: dict[str, str] = {}


@pytest.fixture(scope="module")
def docker(engine_env):
    cli = DockerCLI(env=engine_env, timeout=900)
    cli.detect()
    return cli


def _run(docker: DockerCLI, tag: str) -> tuple[int, str]:
    result = subprocess.run(
        [docker.executable, "run", "--rm", tag], capture_output=True, text=True, env=docker.env, timeout=120
    )
    return result.returncode, result.stdout


def _user(config: dict) -> str:
    user = config.get("User") or "root"
    return "root" if user in ("0", "0:0", "root") else user


def _size(docker: DockerCLI, tag: str) -> int:
    return int(docker.inspect(tag)["Size"])


@pytest.mark.parametrize("app", sorted(CASES))
def test_split_builds_runs_the_same_and_is_smaller(app, docker):
    expected, twin = CASES[app]
    minimal = app.endswith("-minimal")
    settings = (
        Settings(select=("DO501",), unsafe_fixes=True, split_runtime="minimal") if minimal else SETTINGS
    )
    app = app.removesuffix("-minimal")
    context = APPS / app
    text = (context / "Dockerfile").read_text()
    dockerfile = context / "Dockerfile"
    prefix = f"dockopt-split-test-{app}-{uuid.uuid4().hex[:8]}"
    original, rewritten = f"{prefix}:original", f"{prefix}:rewritten"
    try:
        docker.build(text, context, original)
        paths = candidate_paths(text, settings, path=dockerfile, context_dir=context)
        assert paths, "DO501 plans no split"
        facts = inspect_image(original, paths, docker=docker)
        assert facts.os_release.get("VERSION_CODENAME") == "bookworm"
        outcome = fix_text(text, settings, path=dockerfile, context_dir=context, runtime=facts, verified=True)
        assert [f.code for f in outcome.applied] == ["DO501"], outcome.remaining
        split = outcome.output
        stages = parse(split).stages
        assert len(stages) >= 2 and stages[-1].base == twin, split
        docker.build(split, context, rewritten)

        status_a, out_a = _run(docker, original)
        status_b, out_b = _run(docker, rewritten)
        assert (status_a, out_a) == (status_b, out_b), split
        assert status_a == 0 and expected in out_a, out_a
        config_a = docker.inspect(original)["Config"]
        config_b = docker.inspect(rewritten)["Config"]
        for key in ("Entrypoint", "Cmd", "WorkingDir", "ExposedPorts", "Healthcheck", "Labels"):
            assert config_a.get(key) == config_b.get(key), key
        # distroless/static says User "0" where the original inherits "" from its base: both root
        assert _user(config_a) == _user(config_b)
        env_a = dict(item.partition("=")[::2] for item in config_a.get("Env") or [])
        env_b = dict(item.partition("=")[::2] for item in config_b.get("Env") or [])
        for instruction in parse(text).instructions:
            if instruction.name == "ENV":
                for name in instruction.value[0::2]:
                    assert env_a.get(name) == env_b.get(name), name
        size_a, size_b = _size(docker, original), _size(docker, rewritten)
        assert size_b < size_a, (size_a, size_b)
        RESULTS[app + ("-minimal" if minimal else "")] = (
            f"{size_a / 1e6:.0f} MB -> {size_b / 1e6:.0f} MB ({100 * size_b / size_a:.0f} %)"
        )
        print(f"\n{app}{'-minimal' if minimal else ''}: {size_a / 1e6:.0f} MB -> {size_b / 1e6:.1f} MB")
    finally:
        docker.remove(original, rewritten)


def test_static_go_is_proven_without_a_build():
    """The one static proof: written with --unsafe-fixes alone, no runtime facts, no verification."""
    context = APPS / "go-static"
    text = (context / "Dockerfile").read_text()
    outcome = fix_text(text, SETTINGS, path=context / "Dockerfile", context_dir=context)
    assert [f.code for f in outcome.applied] == ["DO501"]
    for app in ("go-cgo", "go-workdir-files", "c-sqlite"):
        other = APPS / app
        result = fix_text(
            (other / "Dockerfile").read_text(), SETTINGS, path=other / "Dockerfile", context_dir=other
        )
        assert result.output == result.input, app
        assert [f.code for f in result.remaining] == ["DO501"]


def test_the_command_writes_the_split_only_once_verify_proves_it(engine_env, tmp_path):
    """The shipped DO501 through ``dockopt --write --unsafe-fixes --verify``: the original is built and
    inspected, the split planned from those facts (here: a library the twin lacks, installed), built,
    compared and run, and only then written."""
    context = tmp_path / "c-sqlite"
    shutil.copytree(APPS / "c-sqlite", context)
    before = (context / "Dockerfile").read_text()
    command = [
        sys.executable,
        "-m",
        "optimizer",
        "--write",
        "--unsafe-fixes",
        "--verify",
        "--select",
        "DO501",
    ]
    result = subprocess.run(
        [*command, str(context / "Dockerfile")],
        capture_output=True,
        text=True,
        env=engine_env,
        cwd=tmp_path,
        timeout=1500,
    )
    assert result.returncode == 0, result.stderr
    assert "verified: DO501" in result.stderr, result.stderr
    written = (context / "Dockerfile").read_text()
    assert written != before and parse(written).stages[-1].base == "debian:bookworm-slim", written
    assert fix_text(written, SETTINGS, path=context / "Dockerfile", context_dir=context).output == written


def test_dockopt_verify_proves_a_minimal_split(engine_env, tmp_path):
    """A static Go program on distroless (``split-runtime = "minimal"``) is written without a build
    (proven statically); ``dockopt verify`` is its proof on an engine: equivalent as a split, root
    being root whether the config spells it "" (the original) or "0" (distroless)."""
    context = tmp_path / "go-static"
    shutil.copytree(APPS / "go-static", context)
    (context / "dockopt.toml").write_text('select = ["DO501"]\nsplit-runtime = "minimal"\n')
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "optimizer",
            "verify",
            "--unsafe-fixes",
            "--format",
            "json",
            str(context / "Dockerfile"),
        ],
        capture_output=True,
        text=True,
        env=engine_env,
        cwd=tmp_path,
        timeout=1500,
    )
    report = json.loads(result.stdout)
    assert result.returncode == 0, (result.stderr, result.stdout[-2000:])
    assert "gcr.io/distroless/static-debian12" in report["rewritten_text"], report["rewritten_text"]
    assert report["status"] == "equivalent", result.stdout[-2000:]
