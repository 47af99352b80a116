"""WORKDIR/ENV/ARG tracking, variable expansion and COPY/ADD source resolution."""

from __future__ import annotations

from pathlib import Path

import pytest

from optimizer.analysis.context import BuildContext, context_copies, resolve_copy_sources
from optimizer.analysis.expansion import Expansion, expand
from optimizer.analysis.scope import instruction_scopes
from optimizer.syntax import parse

U = None  # unknown

VARS = {
    "A": Expansion("1"),
    "EMPTY": Expansion(""),
    "UNK": Expansion(None, ("UNK",)),
    "ARGV": Expansion("v", (), ("ARGV",)),
    "SP": Expansion("a b"),
}

EXPANSIONS = [
    ("plain", "plain"),
    ("$A/x", "1/x"),
    ("${A}y", "1y"),
    ("$NOPE", ""),
    ("${NOPE:-d}", "d"),
    ("${EMPTY:-d}", "d"),
    ("${EMPTY-d}", ""),
    ("${NOPE-d}", "d"),
    ("${A:+alt}", "alt"),
    ("${NOPE:+alt}", ""),
    ("${A:-$UNK}", "1"),  # the unused default does not matter
    ("${NOPE:-$UNK}", U),
    ("$UNK/x", U),
    ("${UNK:-d}", U),
    ('"$A b"', "1 b"),
    ("'$A'", "$A"),
    ("a\\ b", "a b"),
    ("a\\$A", "a$A"),
    ('"a\\$A"', "a$A"),
    ("$", "$"),
    ("$$", "$$"),
    ("${A#x}", U),  # pattern operators: not evaluated
    ("${NOPE:?must be set}", U),
    ("'open", U),
    ("$SP", "a b"),
]


@pytest.mark.parametrize(("word", "want"), EXPANSIONS)
def test_expand(word: str, want: str | None) -> None:
    result = expand(word, VARS.get)
    assert result.text == want
    assert result.known is (want is not None)


def test_expand_tracks_args_and_unknowns() -> None:
    assert expand("$ARGV-$A", VARS.get).args == ("ARGV",)
    assert expand("$UNK", VARS.get).unknown == ("UNK",)
    assert expand("${A:-$ARGV}", VARS.get).args == ()


def test_expand_backtick_escape() -> None:
    assert expand("a`$A", VARS.get, escape="`").text == "a$A"
    assert expand("a\\b", VARS.get, escape="`").text == "a\\b"


# (Dockerfile, {line: expected WORKDIR in effect}) — None means unknown.
WORKDIRS = [
    ("FROM scratch\nCOPY a b\n", {2: "/"}),
    ("FROM scratch\nWORKDIR /app\nCOPY a b\n", {3: "/app"}),
    (
        "FROM scratch\nWORKDIR /app\nWORKDIR src\nWORKDIR ../lib\nCOPY a b\n",
        {3: "/app", 4: "/app/src", 5: "/app/lib"},
    ),
    ("FROM scratch\nWORKDIR a\nCOPY a b\n", {3: "/a"}),
    ("FROM scratch\nWORKDIR /a//b/./c/\nCOPY a b\n", {3: "/a/b/c"}),
    ("FROM node:20\nCOPY a b\n", {2: U}),  # the base image's WORKDIR is not visible
    ("FROM node:20\nWORKDIR app\nCOPY a b\n", {3: U}),
    ("FROM node:20\nWORKDIR /srv\nWORKDIR app\nCOPY a b\n", {4: "/srv/app"}),
    ("FROM scratch\nENV APP=/opt/app\nWORKDIR $APP\nCOPY a b\n", {4: "/opt/app"}),
    ("FROM scratch\nARG DIR=/build\nWORKDIR ${DIR}/src\nCOPY a b\n", {4: "/build/src"}),
    ("FROM scratch\nARG DIR\nWORKDIR $DIR\nCOPY a b\n", {4: U}),  # no default
    ("ARG DIR=/g\nFROM scratch\nARG DIR\nWORKDIR $DIR\nCOPY a b\n", {5: "/g"}),  # global default
    ("ARG DIR=/g\nFROM scratch\nWORKDIR $DIR\nCOPY a b\n", {4: "/"}),  # not redeclared: unset
    ("ARG DIR=/g\nFROM node\nWORKDIR /x/$DIR\nCOPY a b\n", {4: U}),  # base image may set DIR
    ("FROM node\nWORKDIR $HOME/app\nCOPY a b\n", {3: U}),
    ("FROM scratch AS base\nWORKDIR /app\nFROM base\nWORKDIR sub\nCOPY a b\n", {5: "/app/sub"}),
    ("FROM scratch AS base\nENV D=/d\nFROM base AS next\nWORKDIR $D\nCOPY a b\n", {5: "/d"}),
    ("FROM scratch\nARG D=/arg\nENV D=/env\nWORKDIR $D\nCOPY a b\n", {5: "/env"}),  # ENV wins
    ("FROM scratch\nENV D=/env\nARG D=/arg\nWORKDIR $D\nCOPY a b\n", {5: "/env"}),
    (
        "FROM scratch\nENV A=/one\nENV A=/two B=$A\nWORKDIR $B\nCOPY a b\n",
        {5: "/one"},
    ),  # same-instruction ENV
    ("FROM scratch\nWORKDIR /a\nFROM scratch\nCOPY a b\n", {4: "/"}),  # a new stage starts over
    ("# escape=`\nFROM scratch\nENV D=/d\nWORKDIR `$D\nCOPY a b\n", {5: "/$D"}),
]


@pytest.mark.parametrize(("text", "expected"), WORKDIRS)
def test_workdir(text: str, expected: dict[int, str | None]) -> None:
    tree = parse(text)
    scopes = {ins.line: scope for ins, scope in instruction_scopes(tree).items()}
    for line, want in expected.items():
        assert scopes[line].workdir.text == want, (line, scopes[line].workdir)


def test_unknown_workdir_says_why() -> None:
    tree = parse("FROM node:20\nCOPY a b\n")
    scope = instruction_scopes(tree)[tree.instructions[1]]
    assert scope.workdir.unknown == ("WORKDIR of base image node:20",)


# (COPY line in a scratch stage with WORKDIR /app and ENV D=dst, sources, dest, dest_is_dir)
COPIES = [
    ("COPY . .", ["."], "/app", True),
    ("COPY . ./", ["."], "/app", True),
    ("COPY package.json package-lock.json ./", ["package.json", "package-lock.json"], "/app", True),
    ("COPY package.json .", ["package.json"], "/app", True),
    ("COPY requirements.txt /tmp/req.txt", ["requirements.txt"], "/tmp/req.txt", False),
    ("COPY src/ dest", ["src"], "/app/dest", False),
    ("COPY src/ dest/", ["src"], "/app/dest", True),
    ("COPY /abs/../x ../up/", ["x"], "/up", True),
    ("COPY backend/requirements.txt backend/", ["backend/requirements.txt"], "/app/backend", True),
    ("COPY $D/file $D/", ["dst/file"], "/app/dst", True),
    ("COPY a\\*b /x", ["a*b"], "/x", False),
    ('COPY ["a b", "c", "/d/"]', ["a b", "c"], "/d", True),
    ("COPY --chown=node:node --chmod=644 --link a ./", ["a"], "/app", True),
    ("ADD https://example.com/x.tgz local.tgz /opt/", ["local.tgz"], "/opt", True),
    ("COPY $UNSET/a /b", ["a"], "/b", False),  # scratch: an undeclared variable is certainly empty
]


@pytest.mark.parametrize(("line", "sources", "dest", "is_dir"), COPIES)
def test_copy_sources(line: str, sources: list[str], dest: str, is_dir: bool) -> None:
    tree = parse(f"FROM scratch\nWORKDIR /app\nENV D=dst\n{line}\n")
    (copy,) = context_copies(tree)
    assert copy.patterns == sources
    assert copy.dest.text == dest
    assert copy.dest_is_dir is is_dir


def test_copy_flags() -> None:
    tree = parse("FROM scratch\nCOPY --chown=node:node --chmod=644 --link --exclude=*.md --parents a ./\n")
    (copy,) = context_copies(tree)
    assert (copy.chown, copy.chmod, copy.link, copy.parents, copy.exclude) == (
        "node:node",
        "644",
        True,
        True,
        ["*.md"],
    )


@pytest.mark.parametrize(
    "line",
    [
        "COPY --from=build /out /out",
        "COPY --from=alpine:3 /etc/x /x",
        "COPY <<EOF /x\nhello\nEOF",
        "ADD https://example.com/a.tgz /opt/",
        "ADD git@github.com:moby/buildkit.git /src",
        "RUN true",
        "COPY onlyone",
    ],
)
def test_not_from_context(line: str) -> None:
    tree = parse(f"FROM scratch AS build\n{line}\n")
    scopes = instruction_scopes(tree)
    assert all(resolve_copy_sources(ins, scope) is None for ins, scope in scopes.items())


def test_copy_in_unknown_workdir() -> None:
    tree = parse("FROM python:3.12\nARG V\nCOPY req-$V.txt .\nCOPY x /abs/\n")
    first, second = context_copies(tree)
    assert not first.known and first.patterns == [None] and first.sources[0].unknown == ("V",)
    assert first.dest.unknown == ("WORKDIR of base image python:3.12",)
    assert second.dest.text == "/abs" and second.known


def test_resolve_with_plain_workdir_string() -> None:
    tree = parse("FROM scratch\nCOPY a b/\n")
    copy = resolve_copy_sources(tree.instructions[1], "/srv")
    assert copy is not None and copy.dest.text == "/srv/b"


def test_copy_matches_context(tmp_path: Path) -> None:
    for name in ("package.json", "package-lock.json", "src/a.js"):
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / name).write_text("")
    tree = parse("FROM node\nWORKDIR /app\nCOPY package*.json yarn.lock* ./\nCOPY $X .\nCOPY src .\n")
    ctx = BuildContext(tmp_path)
    manifests, unknown, source = context_copies(tree)
    assert manifests.matches(ctx) == ["package-lock.json", "package.json"]  # yarn.lock*: empty is fine
    assert unknown.matches(ctx) is None  # $X may come from the base image
    assert source.matches(ctx) == ["src"]
