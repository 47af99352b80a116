"""Split verdicts on real builds: a hand-written correct split passes; wrong ones are refused with the reason.

Each app is built once as the original and once per hand-written split (the build stage is shared
through the build cache); the verdict is ``splitrun.judge_splits``, the code ``verify`` runs while the
images exist: it reads files from the images, runs both, and judges.
"""

from __future__ import annotations

import uuid
from pathlib import Path

import pytest

from optimizer.verify.docker import DockerCLI
from optimizer.verify.splitrun import judge_splits

pytestmark = pytest.mark.engine

APPS = Path(__file__).parent / "apps"

GO_BUILD = """FROM golang:1.19 AS build
WORKDIR /app
COPY . .
RUN CGO_ENABLED=0 go build -o /usr/local/bin/greeter .
RUN useradd --uid 10001 --create-home appuser

FROM debian:bookworm-slim
"""
GO_CA = "COPY --from=build /etc/ssl/certs/ca-certificates.crt /etc/ssl/certs/ca-certificates.crt\n"
GO_BINARY = "COPY --from=build /usr/local/bin/greeter /usr/local/bin/greeter\n"
GO_WORKDIR = "WORKDIR /app\nCOPY --from=build /app /app\n"
GO_USER = "RUN useradd --uid 10001 --create-home appuser\n"
GO_TAIL = 'USER appuser\nEXPOSE 8080\nCMD ["greeter"]\n'
GO_SPLITS = {
    "correct": GO_BUILD + GO_CA + GO_BINARY + GO_WORKDIR + GO_USER + GO_TAIL,
    "no-workdir-file": GO_BUILD + GO_CA + GO_BINARY + "WORKDIR /app\n" + GO_USER + GO_TAIL,
    "no-ca-bundle": GO_BUILD + GO_BINARY + GO_WORKDIR + GO_USER + GO_TAIL,
    "no-passwd-entry": GO_BUILD + GO_CA + GO_BINARY + GO_WORKDIR + GO_TAIL,
    "wrong-cmd": GO_BUILD
    + GO_CA
    + GO_BINARY
    + GO_WORKDIR
    + GO_USER
    + GO_TAIL.replace('CMD ["greeter"]', 'CMD ["/usr/local/bin/greeter"]'),
}

C_BUILD = """FROM buildpack-deps:bookworm AS build
WORKDIR /src
COPY main.c .
RUN gcc -O2 -o /usr/local/bin/sqlver main.c -lsqlite3

FROM debian:bookworm-slim
"""
C_LIB = (
    "COPY --from=build /usr/lib/x86_64-linux-gnu/libsqlite3.so.0.8.6 /usr/lib/x86_64-linux-gnu/\n"
    "RUN ln -s libsqlite3.so.0.8.6 /usr/lib/x86_64-linux-gnu/libsqlite3.so.0\n"
)
C_TAIL = 'COPY --from=build /usr/local/bin/sqlver /usr/local/bin/sqlver\nWORKDIR /src\nCOPY --from=build /src /src\nCMD ["sqlver"]\n'
# The original has a CA bundle (buildpack-deps): a twin must keep it, even for a program that does not
# obviously use it.
C_CA = "COPY --from=build /etc/ssl/certs/ca-certificates.crt /etc/ssl/certs/ca-certificates.crt\n"
C_SPLITS = {"correct": C_BUILD + C_CA + C_LIB + C_TAIL, "no-shared-library": C_BUILD + C_CA + C_TAIL}


def _judge(engine_env: dict[str, str], app: str, splits: dict[str, str]):
    docker = DockerCLI(env=engine_env)
    context = APPS / app
    original = (context / "Dockerfile").read_text()
    repository = f"dockopt-splitv-{uuid.uuid4().hex[:8]}"
    texts = {"original": original, **splits}
    tags = {label: f"{repository}:{label}" for label in texts}
    try:
        for label, text in texts.items():
            docker.build(text, context, tags[label])
        snapshots = {label: docker.snapshot(tag) for label, tag in tags.items()}
        return judge_splits(
            docker, original, tags, snapshots, {label: {} for label in splits}, splits, timeout=4
        )
    finally:
        docker.remove(*tags.values())


@pytest.fixture(scope="module")
def go_verdicts(engine_env):
    return _judge(engine_env, "split-go", GO_SPLITS)


@pytest.fixture(scope="module")
def c_verdicts(engine_env):
    return _judge(engine_env, "split-c", C_SPLITS)


def _problems(verdict) -> set[str]:
    return {p.path for p in verdict.closure_problems}


def test_go_correct_split_is_verified(go_verdicts) -> None:
    verdict = go_verdicts["correct"]
    assert verdict.equivalent, verdict.reasons()
    kinds = {d.explained_by.split(" ", 1)[0] for d in verdict.dropped if d.explained_by}
    assert {"package", "toolchain"} <= kinds
    assert verdict.closure_size >= 3  # the binary, the WORKDIR files, the CA bundle
    assert verdict.observed is not None
    original = verdict.observed[0]
    assert original.running and "greeter: hello as appuser" in original.stdout
    assert [(p.port, p.connected, p.answer) for p in original.ports] == [
        ("8080/tcp", True, "HTTP/1.0 200 OK | hello")
    ]


def test_go_split_without_the_workdir_file_is_refused(go_verdicts) -> None:
    verdict = go_verdicts["no-workdir-file"]
    assert not verdict.equivalent
    assert "/app/greeting.txt" in _problems(verdict)
    assert any(d.what == "exit" for d in verdict.behaviour)  # it exits 3 instead of serving
    assert any("runtime closure" in r for r in verdict.reasons())


def test_go_split_without_the_ca_bundle_is_refused(go_verdicts) -> None:
    verdict = go_verdicts["no-ca-bundle"]
    assert not verdict.equivalent
    assert "/etc/ssl/certs/ca-certificates.crt" in _problems(verdict)
    assert any(d.what == "exit" for d in verdict.behaviour)


def test_go_split_without_the_passwd_entry_is_refused(go_verdicts) -> None:
    verdict = go_verdicts["no-passwd-entry"]
    assert not verdict.equivalent
    assert "/etc/passwd" in _problems(verdict)
    assert any(b.what == "exit" for b in verdict.behaviour) or verdict.behaviour_notes


def test_go_split_with_another_cmd_is_refused_on_config(go_verdicts) -> None:
    verdict = go_verdicts["wrong-cmd"]
    assert [d.field for d in verdict.config_differences] == ["Cmd"]
    assert verdict.behaviour == []  # it behaves the same: the config check alone refuses it


def test_c_correct_split_with_its_shared_library_is_verified(c_verdicts) -> None:
    verdict = c_verdicts["correct"]
    assert verdict.equivalent, verdict.reasons()


def test_c_split_without_its_shared_library_is_refused(c_verdicts) -> None:
    verdict = c_verdicts["no-shared-library"]
    assert not verdict.equivalent
    # found through /lib (merged /usr: a symlink to usr/lib), where the loader looks first
    assert any(path.endswith("x86_64-linux-gnu/libsqlite3.so.0") for path in _problems(verdict))
    assert any(d.what in ("exit", "stderr") for d in verdict.behaviour)
