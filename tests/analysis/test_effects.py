"""The file-effects model (optimizer/analysis/effects.py) and the cleanups that ask it (issue 16, class 1)."""

from __future__ import annotations

import pytest

from optimizer.analysis.effects import Effects
from optimizer.analysis.facts import Facts
from optimizer.core.config import Settings
from optimizer.core.findings import Applicability
from optimizer.engine import findings, fix_text
from optimizer.syntax import parse

LISTS = "/var/lib/apt/lists"
APT = "RUN apt-get update && apt-get install -y curl\n"


def _reader(text: str, line: int, paths: list[str], *, cache: bool = False):
    tree = parse(text)
    facts = Facts(tree, text, Settings())
    instruction = next(i for i in tree.instructions if i.line == line)
    return Effects.of(facts).reader(instruction, paths, cache=cache)


@pytest.mark.parametrize(
    ("later", "why"),
    [
        ("FROM base\nRUN apt-get install -y jq\n", "it reads /var/lib/apt/lists"),
        ("FROM debian\nCOPY --from=base /var/lib/apt/lists /lists\n", "it copies /var/lib/apt/lists"),
        (
            "FROM debian\nRUN --mount=type=bind,from=base,source=/var/lib/apt/lists,target=/l ls /l\n",
            "it mounts /var/lib/apt/lists",
        ),
        ("FROM base\nRUN ./install-deps.sh\n", "may read any file"),
        ('FROM base\nRUN eval "$SETUP"\n', "runs code dockopt cannot see"),
    ],
)
def test_later_readers_of_the_apt_lists_are_found(later, why):
    text = f"FROM debian:bookworm AS base\n{APT}{later}"
    reader = _reader(text, 2, [LISTS])
    assert reader is not None and why in reader.why


@pytest.mark.parametrize(
    "later",
    [
        "FROM base\nRUN apt-get update && apt-get install -y jq\n",  # refreshes before reading
        "FROM base\nRUN echo hi > /x && mkdir -p /y && useradd app\n",  # known, reads nothing
        "FROM debian\nCOPY --from=base /etc/passwd /p\n",  # copies something else
        "FROM base\nRUN cat /etc/os-release\n",
    ],
)
def test_no_reader_when_nothing_later_reads_the_lists(later):
    assert _reader(f"FROM debian:bookworm AS base\n{APT}{later}", 2, [LISTS]) is None


def test_a_refresh_ends_the_chain_for_stages_built_on_it():
    text = f"FROM debian AS base\n{APT}RUN apt-get update\nFROM base\nRUN apt-get install -y jq\n"
    assert _reader(text, 2, [LISTS]) is None


def test_caches_are_read_as_data_only_by_offline_installs():
    text = "FROM node:20\nRUN npm ci\nRUN npm ci --offline\nRUN node build.js\n"
    reader = _reader(text, 2, ["/root/.npm"], cache=True)
    assert reader is not None and reader.instruction.line == 3
    assert _reader("FROM node:20\nRUN npm ci\nRUN node build.js\n", 2, ["/root/.npm"], cache=True) is None
    env = "FROM node:20\nENV npm_config_offline=true\nRUN npm ci\nRUN npm install left-pad\n"
    assert _reader(env, 3, ["/root/.npm"], cache=True) is not None


def test_pip_find_links_into_the_cache_is_a_reader():
    text = "FROM python:3.11\nRUN pip install flask\nRUN pip install --no-index --find-links /root/.cache/pip/wheels flask\n"
    assert _reader(text, 2, ["/root/.cache/pip"], cache=True) is not None


def test_do308_leaves_the_cache_an_offline_install_needs():
    text = "FROM node:20\nWORKDIR /app\nRUN npm ci\nRUN npm ci --offline\n"
    found = [f for f in findings(text, Settings(select=("DO308",))) if f.line == 3]
    assert found and found[0].fix is None and "npm ci --offline" not in found[0].message
    assert "not cleaned because the RUN at line 4 may read it" in found[0].message


def test_do301_keeps_lists_another_stage_copies():
    text = f"FROM debian:bookworm AS base\n{APT}FROM debian:bookworm\nCOPY --from=base /var/lib/apt/lists /var/lib/apt/lists\n"
    outcome = fix_text(text, Settings(select=("DO301",), unsafe_fixes=True))
    assert not outcome.changed
    assert any("copies /var/lib/apt/lists" in f.message for f in outcome.remaining)


def test_do301_is_unsafe_when_a_later_command_may_read_anything():
    text = f"FROM debian:bookworm\n{APT}COPY install.sh /\nRUN /install.sh\n"
    (finding,) = [f for f in findings(text, Settings(select=("DO301",))) if f.code == "DO301"]
    assert finding.applicability is Applicability.UNSAFE and "may read any file" in finding.message
    assert not fix_text(text, Settings(select=("DO301",))).changed
    assert fix_text(text, Settings(select=("DO301",), unsafe_fixes=True)).changed


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("FROM golang:1.22\nENV XDG_CACHE_HOME=/cache\nRUN go build ./...\n", "target=/cache/go-build"),
        ("FROM golang:1.22\nENV GOCACHE=/gocache\nRUN go build ./...\n", "target=/gocache"),
        ("FROM golang:1.22\nRUN GOCACHE=/tmp/gc go build ./...\n", None),
        ("FROM golang:1.22\nRUN export GOCACHE=/tmp/gc && go build ./...\n", None),
        ("FROM golang:1.22\nRUN go env -w GOCACHE=/x\nRUN go build ./...\n", None),
    ],
)
def test_go_build_cache_mount_follows_where_go_puts_it(text, expected):
    output = fix_text(text, Settings(select=("DO312",), cache_strategy="mounts")).output
    if expected is None:
        assert output == text
    else:
        assert expected in output
