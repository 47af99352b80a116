"""DO403 beyond the fixtures: composition with the other rules, and shapes it must leave alone."""

from __future__ import annotations

from pathlib import Path

import pytest

from optimizer.core.config import Settings
from optimizer.engine import findings, fix_text
from optimizer.rules.base import all_rules

UNSAFE_ALL = Settings(select=("ALL",), unsafe_fixes=True)


def _context(tmp_path: Path, files: dict[str, str]) -> Path:
    for name, text in files.items():
        path = tmp_path / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
    return tmp_path


def _fix(text: str, context: Path, settings: Settings = UNSAFE_ALL) -> str:
    outcome = fix_text(text, settings, path=context / "Dockerfile", context_dir=context)
    assert outcome.error is None, outcome.error
    again = fix_text(outcome.output, settings, path=context / "Dockerfile", context_dir=context)
    assert again.output == outcome.output, "not idempotent"
    return outcome.output


def _do403(text: str, context: Path) -> list:
    settings = Settings(select=("DO403",), unsafe_fixes=True)
    rules = [r() for r in all_rules() if settings.enabled(r)]
    return findings(text, settings, context_dir=context, rules=rules)


GO = {"go.mod": "module example.com/app\n\ngo 1.22\n", "go.sum": "", "main.go": "package main\n"}


def test_every_rule_on_moves_the_copy_then_prefetches_once(tmp_path):
    context = _context(tmp_path, GO)
    text = (
        "FROM golang:1.22\nWORKDIR /src\nCOPY . .\n"
        "RUN apt-get update && apt-get install -y --no-install-recommends git\n"
        "RUN go build -o /app .\n"
    )
    out = _fix(text, context)
    assert out.count("go mod download") == 1
    assert out.count("COPY go.mod go.sum ./") == 1
    lines = out.splitlines()
    assert lines.index("COPY go.mod go.sum ./") > next(i for i, line in enumerate(lines) if "apt-get" in line)
    assert lines.index("COPY . .") == lines.index("COPY go.mod go.sum ./") + 2


def test_do401_and_do403_in_one_stage_copy_each_manifest_once(tmp_path):
    context = _context(
        tmp_path,
        {**GO, "package.json": '{"name": "x"}\n', "package-lock.json": '{"lockfileVersion": 3}\n'},
    )
    text = "FROM golang:1.22\nWORKDIR /src\nCOPY . .\nRUN npm ci\nRUN go build -o /app .\n"
    out = _fix(text, context, Settings(select=("DO401", "DO402", "DO403"), unsafe_fixes=True))
    assert out.count("COPY . .") == 1
    assert out.count("go.mod") == 1 and out.count("package.json") == 1
    assert out.index("npm ci") < out.index("go mod download") < out.index("COPY . .") < out.index("go build")


@pytest.mark.parametrize(
    "body",
    [
        "COPY . .\nRUN cd cmd && go build -o /app .\n",  # a cd before the build: left alone
        "COPY . .\nRUN go mod download && go build -o /app .\n",  # DO401's case
        "COPY . .\nENV GOFLAGS=-mod=mod\nRUN go build -o /app .\n",  # ENV between: the pre-fetch would miss it
        "COPY main.go ./\nCOPY go.mod ./\nRUN go build -o /app .\n",  # manifest after the source
        "COPY . .\nRUN go install golang.org/x/tools/cmd/goimports@latest\n",  # not a build of the project
    ],
)
def test_left_alone(tmp_path, body):
    context = _context(tmp_path, GO)
    text = "FROM golang:1.22\nWORKDIR /src\n" + body
    assert not [f for f in _do403(text, context) if f.fix is not None]
    assert _fix(text, context, Settings(select=("DO403",), unsafe_fixes=True)) == text


def test_go_sum_absent_copies_only_go_mod_and_keeps_flags(tmp_path):
    context = _context(tmp_path, {"go.mod": GO["go.mod"], "main.go": "package main\n"})
    text = (
        "FROM golang:1.22\nWORKDIR /src\nCOPY --chown=app:app --link . .\n"
        "RUN --network=host GOPRIVATE=example.com go build -o /app .\n"
    )
    out = _fix(text, context, Settings(select=("DO403",), unsafe_fixes=True))
    assert (
        "COPY --chown=app:app --link go.mod ./\nRUN --network=host GOPRIVATE=example.com go mod download\n"
        in out
    )


def test_safe_fixes_only_leave_it_reported(tmp_path):
    context = _context(tmp_path, GO)
    text = "FROM golang:1.22\nWORKDIR /src\nCOPY . .\nRUN go build -o /app .\n"
    assert _fix(text, context, Settings(select=("DO403",))) == text
    (finding,) = _do403(text, context)
    assert finding.fix is not None and finding.applicability.value == "unsafe"
