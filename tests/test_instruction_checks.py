"""Class 7 of issue 16: files BuildKit's parser accepts but its instruction layer (any build) refuses.

Each refusal runs through the real command, ``dockopt --write`` on a temporary file: exit 2, one line
``path:line:col: message``, the file's bytes and mtime unchanged. BuildKit's parser (the oracle)
accepts every one of these inputs — that is what makes the check ours to do. Valid neighbours of each
case are accepted, so the checks are not wider than BuildKit's.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import dockerfile
import pytest
from oracle import corpus_files

from optimizer.core.config import Settings
from optimizer.engine import fix_text
from optimizer.syntax import ParseError, parse
from optimizer.syntax.instructions import InstructionError

DOCKOPT = Path(sys.executable).parent / "dockopt"

# (the lines after ``FROM alpine``, line:col of the problem, words of the message)
REFUSED = [
    pytest.param("ENV\n", "2:1", "ENV requires at least one argument", id="bare-env"),
    pytest.param("ENV =x\n", "2:1", "ENV names can not be blank", id="env-blank-name"),
    pytest.param("LABEL\n", "2:1", "LABEL requires at least one argument", id="bare-label"),
    pytest.param("LABEL =x\n", "2:1", "LABEL names can not be blank", id="label-blank-name"),
    pytest.param(
        "RUN --mount=target /x true\n",
        "2:5",
        "field 'target' must be a key=value pair",
        id="mount-target-space",
    ),
    pytest.param(
        "RUN --mount=type=cache,target true\n",
        "2:5",
        "field 'target' must be a key=value pair",
        id="mount-bare-key",
    ),
    pytest.param("RUN --mount true\n", "2:5", "missing a value on flag --mount", id="mount-without-value"),
    pytest.param(
        "RUN --mount=type=nfs,target=/x true\n", "2:5", "unsupported mount type 'nfs'", id="mount-type"
    ),
    pytest.param(
        "RUN --mount=type=cache,target=/x,color=red true\n", "2:5", "unexpected key 'color'", id="mount-key"
    ),
    pytest.param(
        "RUN --mount=type=cache,target=/x,sharing=some true\n",
        "2:5",
        "unsupported sharing value",
        id="mount-sharing",
    ),
    pytest.param(
        "RUN --mount=type=bind,target=/x,uid=1 true\n", "2:5", "uid not allowed", id="mount-uid-on-bind"
    ),
    pytest.param(
        "RUN --mount=type=cache,target=/x,mode=999 true\n",
        "2:5",
        "invalid value 999 for mode",
        id="mount-mode",
    ),
    pytest.param(
        "RUN --mount=type=tmpfs,target=/x,size=lots true\n", "2:5", "invalid value for size", id="tmpfs-size"
    ),
    pytest.param("RUN --mount=type=secret true\n", "2:5", "invalid secret mount", id="secret-without-id"),
    pytest.param(
        "RUN --mount=type=bind,from=$STAGE,target=/x true\n",
        "2:5",
        "doesn't support variable",
        id="mount-from-var",
    ),
    pytest.param('RUN --mount=type=bind,target=\\"/x true\n', "2:5", 'bare "', id="mount-bare-quote"),
    pytest.param("RUN --network=bridge true\n", "2:5", "unsupported network mode", id="run-network"),
    pytest.param(
        "RUN --security=insecure true\n", "2:5", "--security is a labs flag", id="run-security-not-labs"
    ),
    pytest.param(
        "WORKDIR /\nRUN --mount=type=cache true\n", "3:5", "no target= given", id="mount-no-target-at-root"
    ),
    pytest.param(
        "WORKDIR /\nRUN --mount=type=bind,target=. true\n",
        "3:5",
        'the target resolves to "/"',
        id="mount-target-dot",
    ),
    pytest.param(
        "ADD --checksum=sha256:0123abcd a /b\n",
        "2:5",
        "invalid --checksum=sha256:0123abcd",
        id="add-checksum",
    ),
    pytest.param("RUN --foo true\n", "2:5", "unknown flag --foo for RUN", id="run-unknown-flag"),
    pytest.param("COPY --foo a b\n", "2:6", "unknown flag --foo for COPY", id="copy-unknown-flag"),
    pytest.param("COPY --from a b\n", "2:6", "missing a value on flag --from", id="copy-from-no-value"),
    pytest.param("COPY --link=yes a b\n", "2:6", "--link expects true or false", id="copy-link-not-bool"),
    pytest.param(
        "COPY --chown=a --chown=b a b\n", "2:16", "duplicate flag --chown", id="copy-duplicate-flag"
    ),
    pytest.param("COPY --chmod=999 a b\n", "2:6", "invalid --chmod=999", id="copy-chmod"),
    pytest.param("COPY a\n", "2:1", "COPY requires at least two arguments", id="copy-one-arg"),
    pytest.param("ADD a\n", "2:1", "ADD requires at least two arguments", id="add-one-arg"),
    pytest.param('COPY ["a"]\n', "2:1", "COPY requires at least two arguments", id="copy-json-one-arg"),
    pytest.param("COPY <<EOF <<X\nhi\nEOF\nX\n", "2:1", "heredoc as a destination", id="copy-heredoc-dest"),
    pytest.param("ADD --from=x a b\n", "2:5", "unknown flag --from for ADD", id="add-from"),
    pytest.param("ENV --x a=b\n", "2:5", "unknown flag --x for ENV (it takes: none)", id="flag-on-env"),
    pytest.param("CMD --x a\n", "2:5", "unknown flag --x for CMD", id="flag-on-cmd"),
    pytest.param("WORKDIR --x /a\n", "2:9", "unknown flag --x for WORKDIR", id="flag-on-workdir"),
    pytest.param("ONBUILD --x RUN a\n", "2:9", "unknown flag --x for ONBUILD", id="flag-on-onbuild"),
    pytest.param("FROM --foo=x b\n", "2:6", "unknown flag --foo for FROM", id="from-unknown-flag"),
    pytest.param("HEALTHCHECK\n", "2:1", "HEALTHCHECK requires at least one argument", id="healthcheck-bare"),
    pytest.param(
        "HEALTHCHECK CMD\n", "2:1", "missing command after HEALTHCHECK CMD", id="healthcheck-no-cmd"
    ),
    pytest.param("HEALTHCHECK PING x\n", "2:1", "unknown type 'PING' in HEALTHCHECK", id="healthcheck-type"),
    pytest.param(
        "HEALTHCHECK NONE x\n", "2:1", "HEALTHCHECK NONE takes no arguments", id="healthcheck-none-args"
    ),
    pytest.param(
        "HEALTHCHECK --interval=5 CMD true\n", "2:13", "invalid --interval=5", id="healthcheck-duration"
    ),
    pytest.param(
        "HEALTHCHECK --timeout=1us CMD true\n", "2:13", "cannot be less than 1ms", id="healthcheck-too-short"
    ),
    pytest.param(
        "HEALTHCHECK --retries=-1 CMD true\n",
        "2:13",
        "--retries cannot be negative",
        id="healthcheck-retries",
    ),
    pytest.param(
        "HEALTHCHECK --retries=x CMD true\n", "2:13", "invalid --retries=x", id="healthcheck-retries-nan"
    ),
    pytest.param("HEALTHCHECK --color=red CMD true\n", "2:13", "unknown flag --color", id="healthcheck-flag"),
    pytest.param("ARG =x\n", "2:1", "ARG names can not be blank", id="arg-blank-name"),
    pytest.param("ARG\n", "2:1", "ARG requires at least one argument", id="arg-bare"),
    pytest.param("EXPOSE 80/http\n", "2:1", "unknown protocol 'http'", id="expose-protocol"),
    pytest.param("EXPOSE 70000\n", "2:1", "'70000' is not a port number", id="expose-too-big"),
    pytest.param("EXPOSE web\n", "2:1", "'web' is not a port number", id="expose-name"),
    pytest.param("EXPOSE 90-80\n", "2:1", "ends before it starts", id="expose-range"),
    pytest.param("EXPOSE\n", "2:1", "EXPOSE requires at least one argument", id="expose-bare"),
    pytest.param("STOPSIGNAL\n", "2:1", "STOPSIGNAL requires exactly one argument", id="stopsignal-empty"),
    pytest.param("USER\n", "2:1", "USER requires exactly one argument", id="user-empty"),
    pytest.param("WORKDIR\n", "2:1", "WORKDIR requires exactly one argument", id="workdir-empty"),
    pytest.param("MAINTAINER\n", "2:1", "MAINTAINER requires exactly one argument", id="maintainer-empty"),
    pytest.param("VOLUME\n", "2:1", "VOLUME requires at least one argument", id="volume-empty"),
    pytest.param(
        'VOLUME [""]\n', "2:1", "VOLUME specified can not be an empty string", id="volume-empty-string"
    ),
    pytest.param(
        "SHELL /bin/sh -c\n", "2:1", "SHELL requires the arguments to be in JSON form", id="shell-not-json"
    ),
    pytest.param("SHELL []\n", "2:1", "SHELL requires at least one argument", id="shell-empty"),
    pytest.param("FROM\n", "2:1", "FROM requires either one argument", id="from-without-image"),
    pytest.param("FROM a b\n", "2:1", "FROM requires either one argument", id="from-two-words"),
    pytest.param("FROM a AS 1st\n", "2:1", "invalid name for build stage: '1st'", id="stage-name-digit"),
    pytest.param("FROM a AS my$stage\n", "2:1", "invalid name for build stage", id="stage-name-symbol"),
    pytest.param("ONBUILD\n", "2:1", "ONBUILD requires at least one argument", id="onbuild-empty"),
    pytest.param("ONBUILD FROM x\n", "2:9", "FROM isn't allowed as an ONBUILD trigger", id="onbuild-from"),
    pytest.param(
        "ONBUILD ONBUILD RUN x\n", "2:9", "ONBUILD isn't allowed as an ONBUILD trigger", id="onbuild-onbuild"
    ),
    pytest.param("ONBUILD MAINTAINER me\n", "2:9", "MAINTAINER isn't allowed", id="onbuild-maintainer"),
]

# Valid neighbours of the refused cases: the checks must not be wider than BuildKit's.
ACCEPTED = [
    "ENV a=\n",
    "ENV a b c\n",
    "LABEL a=b c=d\n",
    "RUN --mount=type=cache,target=/x,sharing=locked,mode=0755,uid=1000,gid=1000,id=c true\n",
    "RUN --mount=type=secret,id=aws,env=AWS_KEY,required true\n",
    "RUN --mount=type=secret,required=true,id=x true\n",
    "RUN --mount=type=ssh true\n",
    "RUN --mount=type=bind,from=build,source=/out,target=/in,rw true\n",
    "RUN --mount=type=tmpfs,target=/t,size=64m true\n",
    "RUN --mount=type=cache,target=$DIR,sharing=$MODE true\n",
    "RUN --mount=type=cache,id=café,target=/x true\n",
    "RUN --mount=TYPE=Cache,Target=/x,ro true\n",
    'RUN --mount="type=cache,target=/x" true\n',
    "RUN --mount=type=cache,target=/a --mount=type=cache,target=/b true\n",
    "RUN --network=none true\n",
    "WORKDIR /src\nRUN --mount=type=cache true\n",  # mounts at /src
    "RUN --mount=type=secret,id=npmrc true\n",  # secrets default to /run/secrets/<id>
    "ADD --checksum=sha256:" + "0" * 64 + " https://example.com/a /a\n",
    "COPY --from=build --chown=1:1 --chmod=0755 --link a b\n",
    "COPY --chmod=u+x,g=rX a b\n",
    "COPY --chmod=$MODE a b\n",
    "COPY --link=false --parents --exclude=*.md --exclude=*.txt a b\n",
    "ADD --keep-git-dir=true --checksum=0123456789abcdef0123456789abcdef01234567 --unpack=true a b\n",
    "COPY <<EOF /dst\nhi\nEOF\n",
    "HEALTHCHECK NONE\n",
    "HEALTHCHECK --interval=1m30s --timeout=0 --start-period=.5s --retries=3 CMD true\n",
    'HEALTHCHECK CMD ["curl", "-f", "http://x/"]\n',
    "STOPSIGNAL --x SIGTERM\n",  # BuildKit never reads STOPSIGNAL's flags
    "ARG --x a\n",  # nor ARG's
    "ARG a=1 b\n",
    "EXPOSE 80 443/tcp 53/UDP 8000-8010/sctp $PORT\n",
    'SHELL ["/bin/bash", "-c"]\n',
    "VOLUME /data [not-json\n",
    "FROM a AS build-stage_1.x\n",
    "FROM --platform=$BUILDPLATFORM a AS Build\n",
    "ONBUILD RUN --mount=type=cache,target=/x true\n",
    "ONBUILD COPY --foo a b\n",  # a trigger is read by the child's build, not this one
    "CMD\n",
    "USER 1000:1000\n",
]


def _refused_text(body: str) -> str:
    return "FROM alpine\n" + body


def test_buildkit_parser_accepts_every_refused_case():
    """Else the case belongs to the parser's checks, not the instruction layer's."""
    for param in REFUSED:
        body = param.values[0]
        if "ONBUILD " in body and "ONBUILD --" not in body:
            continue  # ONBUILD FROM/ONBUILD/MAINTAINER: BuildKit's parser accepts them too; see below
        dockerfile.parse_string(_refused_text(body))


@pytest.mark.parametrize(("body", "position", "words"), REFUSED)
def test_refused_through_the_cli(tmp_path, body, position, words):
    target = tmp_path / "Dockerfile"
    target.write_bytes(_refused_text(body).encode())
    os.utime(target, ns=(1_000_000_000, 1_000_000_000))
    before = (target.read_bytes(), target.stat().st_mtime_ns)
    proc = subprocess.run(
        [str(DOCKOPT), "--write", str(target)], capture_output=True, cwd=tmp_path, timeout=60
    )
    err = proc.stderr.decode()
    assert proc.returncode == 2, err
    assert proc.stdout == b""
    lines = err.splitlines()
    assert len(lines) == 1, err
    assert lines[0].startswith(f"{target}:{position}: "), lines[0]
    assert words in lines[0], lines[0]
    assert (target.read_bytes(), target.stat().st_mtime_ns) == before


@pytest.mark.parametrize(("body", "position", "words"), REFUSED)
def test_refused_by_the_engine_as_input(body, position, words):
    text = _refused_text(body)
    with pytest.raises(ParseError) as raised:
        fix_text(text, Settings())
    assert f"{raised.value.line}:{raised.value.column}" == position
    assert words in raised.value.message
    assert "\n" not in raised.value.message


@pytest.mark.parametrize("body", ACCEPTED)
def test_valid_neighbours_are_accepted(body):
    text = "FROM alpine\n" + body
    tree = parse(text)
    assert tree.errors == [], tree.errors
    dockerfile.parse_string(text)


@pytest.mark.parametrize(
    "syntax",
    [
        "docker/dockerfile:1-labs",
        "docker/dockerfile:1.7-labs",
        "docker.io/docker/dockerfile:labs",
        "example/frontend",
    ],
)
def test_labs_flags_need_a_labs_frontend(syntax):
    text = f"# syntax={syntax}\nFROM a\nRUN --security=insecure --device=name=x true\n"
    assert parse(text).errors == []
    refused = parse("# syntax=docker/dockerfile:1.7\nFROM a\nRUN --security=insecure true\n").errors
    assert [e.line for e in refused] == [3]


def test_mount_target_follows_the_working_directory_across_stages():
    assert parse("FROM a AS base\nWORKDIR /app\nFROM base\nRUN --mount=type=cache true\n").errors == []
    assert parse("FROM a\nWORKDIR $DIR\nRUN --mount=type=cache true\n").errors == []  # unknown: not refused
    # An image's own WORKDIR is not in the file (golang starts in /go): not judged.
    assert parse("FROM golang:1.22\nRUN --mount=type=cache true\n").errors == []
    [error] = parse("FROM a AS base\nWORKDIR /\nFROM base\nRUN --mount=type=cache true\n").errors
    assert (error.line, error.column) == (4, 5)
    [error] = parse("FROM scratch\nRUN --mount=type=cache true\n").errors
    assert (error.line, error.column) == (2, 5)


def test_only_the_first_problem_is_reported_as_buildkit_does():
    tree = parse("FROM a\nENV\nCOPY a\n")
    assert [(e.line, e.message) for e in tree.errors] == [(2, "ENV requires at least one argument")]


def test_instructions_before_the_first_from():
    assert parse("ARG V=1\nFROM a:$V\n").errors == []
    errors = parse("ENV a=b\nFROM a\n").errors
    assert [(type(e), e.line, e.message) for e in errors] == [
        (InstructionError, 1, "ENV before the first FROM: no build stage in current context")
    ]


def test_no_real_corpus_file_is_refused():
    """The corpus's real Dockerfiles all build upstream: none may be refused. (The parser test inputs
    BuildKit reads but cannot build are listed, with the reason, in test_corpus.KNOWN_INVALID.)"""
    refused = []
    for path in corpus_files():
        if "real" not in path.parts:
            continue
        errors = parse(path.read_bytes().decode("utf-8")).errors
        if errors:
            refused.append((path.parent.name, errors[0].line, errors[0].message))
    assert refused == []
