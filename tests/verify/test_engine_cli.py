"""The docker CLI driver without an engine: a fake ``docker`` records its arguments and plays a script."""

from __future__ import annotations

import stat
from pathlib import Path

import pytest

from optimizer.verify.docker import (
    BuildFailed,
    DockerCLI,
    EngineError,
    EngineUnavailable,
    parse_build_log,
    strip_syntax_directive,
)

PLAIN_LOG = """\
#0 building with "default" instance using docker driver

#1 [internal] load build definition from Dockerfile
#1 transferring dockerfile: 95B done
#1 DONE 0.0s

#4 [base 1/3] FROM docker.io/library/debian:bookworm-slim
#4 CACHED

#5 [base 2/3] RUN apt-get update
#6 [other 1/1] RUN sleep 1
#5 0.412 Get:1 http://deb.debian.org/debian bookworm InRelease
#5 DONE 3.2s

#6 ERROR: process "/bin/sh -c sleep 1" did not complete successfully: exit code: 1

#7 [base 3/3] RUN echo never
#7 CANCELED

#8 exporting to image
"""


def test_parse_build_log_follows_interleaved_vertices():
    steps = parse_build_log(PLAIN_LOG)
    summary = [(s.vertex, s.name, s.status, s.seconds) for s in steps]
    assert summary == [
        (1, "[internal] load build definition from Dockerfile", "done", 0.0),
        (4, "[base 1/3] FROM docker.io/library/debian:bookworm-slim", "cached", None),
        (5, "[base 2/3] RUN apt-get update", "done", 3.2),
        (6, "[other 1/1] RUN sleep 1", "error", None),
        (7, "[base 3/3] RUN echo never", "canceled", None),
        (8, "exporting to image", "incomplete", None),
    ]
    assert [s.vertex for s in steps if s.is_instruction] == [4, 5, 6, 7]


@pytest.mark.parametrize(
    "text, expected",
    [
        ("# syntax=docker/dockerfile:1\nFROM x\n", "FROM x\n"),
        ("#Syntax = docker/dockerfile:1.7\r\n# escape=`\r\nFROM x\r\n", "# escape=`\r\nFROM x\r\n"),
        ("# escape=\\\n  # syntax=a/b\nFROM x\n", "# escape=\\\nFROM x\n"),
        ("\ufeff# syntax=docker/dockerfile:1\nFROM x", "\ufeffFROM x"),
        # Only the leading directive block counts: after a comment, a blank line or an instruction, no more.
        (
            "# a comment\n# syntax=docker/dockerfile:1\nFROM x\n",
            "# a comment\n# syntax=docker/dockerfile:1\nFROM x\n",
        ),
        ("\n# syntax=docker/dockerfile:1\nFROM x\n", "\n# syntax=docker/dockerfile:1\nFROM x\n"),
        ("FROM x\n# syntax=docker/dockerfile:1\n", "FROM x\n# syntax=docker/dockerfile:1\n"),
        ("# check=skip=all\nFROM x\n", "# check=skip=all\nFROM x\n"),
    ],
)
def test_strip_syntax_directive(text, expected):
    assert strip_syntax_directive(text) == expected


def fake_docker(tmp_path: Path, script: str) -> dict[str, str]:
    """A PATH whose ``docker`` is ``script`` (bash); it may read $ARGS_LOG to record its arguments."""
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir(parents=True)
    program = bin_dir / "docker"
    program.write_text('#!/bin/bash\nprintf \'%s\\n\' "$@" > "$ARGS_LOG"\n' + script)
    program.chmod(program.stat().st_mode | stat.S_IEXEC)
    return {"PATH": f"{bin_dir}:/usr/bin:/bin", "ARGS_LOG": str(tmp_path / "args")}


def test_no_cli_means_engine_unavailable(tmp_path):
    with pytest.raises(EngineUnavailable, match="no `docker` CLI on PATH"):
        DockerCLI(env={"PATH": str(tmp_path)}).detect()


def test_unreachable_daemon_is_engine_unavailable(tmp_path):
    env = fake_docker(
        tmp_path,
        """echo '{"Client":{"Version":"26.1.5"},"Server":null}'
echo 'Cannot connect to the Docker daemon at unix:///var/run/docker.sock. Is the docker daemon running?' >&2
exit 1""",
    )
    with pytest.raises(EngineUnavailable) as caught:
        DockerCLI(env=env).detect()
    assert str(caught.value) == (
        "no Docker engine reachable (Cannot connect to the Docker daemon at "
        "unix:///var/run/docker.sock. Is the docker daemon running?)"
    )


def test_build_passes_the_options_and_keeps_the_dockerfile_out_of_the_context(tmp_path):
    env = fake_docker(
        tmp_path,
        """
out="$(dirname "$ARGS_LOG")"
while [ $# -gt 0 ]; do
  case "$1" in
    --iidfile) echo sha256:abc > "$2"; shift;;
    -f) cp "$2" "$out/seen-dockerfile"
        [ -f "$2.dockerignore" ] && cp "$2.dockerignore" "$out/seen-ignore"
        shift;;
  esac
  shift
done
printf '#1 [1/2] FROM docker.io/library/debian:bookworm-slim\\n#1 CACHED\\n\\n' >&2
printf '#2 [2/2] RUN true\\n#2 DONE 0.1s\\n' >&2
echo "DOCKER_BUILDKIT=$DOCKER_BUILDKIT" >&2
""",
    )
    env["BUILDLAB_BUILD_NETWORK"] = "host"
    context = tmp_path / "ctx"
    context.mkdir()
    original = context / "app.Dockerfile"
    original.write_text("FROM debian:bookworm-slim\n")
    Path(f"{original}.dockerignore").write_text("secrets/\n")
    result = DockerCLI(env=env).build(
        "FROM debian:bookworm-slim\nRUN true\n",
        context,
        "t:opt",
        target="final",
        build_args={"A": "1", "B": "x y"},
        dockerfile_path=original,
    )
    args = (tmp_path / "args").read_text().splitlines()
    dockerfile = args[args.index("-f") + 1]
    assert not dockerfile.startswith(str(context))
    assert args[0] == "build" and args[-1] == str(context)
    for flag, value in [("--tag", "t:opt"), ("--target", "final"), ("--network", "host")]:
        assert args[args.index(flag) + 1] == value
    assert [args[i + 1] for i, a in enumerate(args) if a == "--build-arg"] == ["A=1", "B=x y"]
    assert "--progress=plain" in args
    assert (tmp_path / "seen-dockerfile").read_text() == "FROM debian:bookworm-slim\nRUN true\n"
    assert (tmp_path / "seen-ignore").read_text() == "secrets/\n"
    assert result.image_id == "sha256:abc" and "DOCKER_BUILDKIT=1" in result.log
    assert result.cached_instructions == []  # FROM's CACHED says nothing about rebuilding
    assert [s.is_from for s in result.steps] == [True, False]
    assert [s.name for s in result.executed_instructions] == ["[2/2] RUN true"]
    assert result.seconds > 0


def test_no_network_flag_without_the_lab(tmp_path):
    env = fake_docker(
        tmp_path,
        'for a; do [ "$a" = --iidfile ] && next=1 && continue; '
        '[ -n "$next" ] && echo sha256:1 > "$a" && next=; done; exit 0',
    )
    DockerCLI(env=env).build("FROM scratch\n", tmp_path, "t:x")
    assert "--network" not in (tmp_path / "args").read_text().splitlines()


def test_build_failure_names_the_error_and_keeps_the_log_tail(tmp_path):
    env = fake_docker(
        tmp_path,
        """
for i in $(seq 1 40); do echo "#5 0.$i output line $i" >&2; done
echo '#5 ERROR: process "/bin/sh -c false" did not complete successfully: exit code: 1' >&2
echo 'ERROR: failed to solve: process "/bin/sh -c false" did not complete successfully: exit code: 1' >&2
exit 1""",
    )
    with pytest.raises(BuildFailed) as caught:
        DockerCLI(env=env).build("FROM x\nRUN false\n", tmp_path, "t:bad")
    error = caught.value
    assert str(error) == (
        'docker build of t:bad failed: ERROR: failed to solve: process "/bin/sh -c false" '
        "did not complete successfully: exit code: 1"
    )
    assert "\n" not in str(error)
    assert len(error.log_tail) == 25 and error.log_tail[0] == "#5 0.18 output line 18"
    assert error.details().count("\n") == 25


def test_detect_reports_versions_and_buildx(tmp_path):
    env = fake_docker(
        tmp_path,
        """case "$1" in
  version) echo '{"Client":{"Version":"26.1.5"},"Server":{"Version":"26.1.4","ApiVersion":"1.45"}}';;
  buildx) echo 'github.com/docker/buildx 0.13.1 0.13.1-3';;
esac""",
    )
    info = DockerCLI(env=env).detect()
    assert (info.client_version, info.server_version, info.api_version, info.buildx_version) == (
        "26.1.5",
        "26.1.4",
        "1.45",
        "0.13.1",
    )


def test_remove_tolerates_images_already_gone_but_not_other_errors(tmp_path):
    env = fake_docker(tmp_path, 'echo "Error response from daemon: No such image: $3" >&2; exit 1')
    DockerCLI(env=env).remove("a:1", "b:2")
    env = fake_docker(
        tmp_path / "other", "echo 'Error response from daemon: conflict: image is in use' >&2; exit 1"
    )
    with pytest.raises(EngineError, match="image is in use"):
        DockerCLI(env=env).remove("a:1")
