"""Stage graph: which stages matter (final, built on, copied from, mounted) and which shells run."""

from __future__ import annotations

from optimizer.analysis.stages import build_graph
from optimizer.shell import Declined, run_analysis
from optimizer.syntax import parse

MULTI = """\
FROM golang:1.22 AS deps
RUN go mod download
FROM deps AS build
RUN go build -o /app
FROM debian:bookworm AS unused
RUN echo never used by the final stage
FROM node:20 AS assets
RUN npm ci
FROM alpine AS tools
FROM gcr.io/distroless/static
COPY --from=build /app /app
COPY --from=3 /dist /dist
RUN --mount=type=bind,from=tools,target=/t true
"""


def test_graph():
    graph = build_graph(parse(MULTI))
    assert graph.parents == {0: None, 1: 0, 2: None, 3: None, 4: None, 5: None}
    assert graph.copied_from == {1: {5}, 3: {5}, 4: {5}}
    assert [graph.matters(i) for i in range(6)] == [True, True, False, True, True, True]
    assert [graph.reaches_final(i) for i in range(6)] == [True, True, False, True, True, True]
    assert graph.stage_ref("BUILD") == 1 and graph.stage_ref("debian") is None


def test_windows_and_non_posix_shells():
    tree = parse(
        "# escape=`\nFROM mcr.microsoft.com/windows/servercore:ltsc2022 AS win\nRUN dir\n"
        "FROM win AS child\nRUN dir\n"
        'FROM debian AS lin\nRUN ls\nSHELL ["pwsh", "-Command"]\nRUN Get-ChildItem\n'
        'FROM debian\nSHELL ["/bin/bash", "-c"]\nRUN ls\n'
    )
    reasons = [run_analysis(tree, run).reason for run in tree.instructions if run.name == "RUN"]
    assert reasons == [Declined.WINDOWS, Declined.WINDOWS, None, Declined.NON_POSIX_SHELL, None]


def test_windows_is_recognised_by_tag_alone():
    """One detector for Windows stages (shell.run): a tag naming a Windows release is enough."""
    tree = parse("FROM example/tool:1.0-ltsc2022\nRUN dir\nFROM example/tool:servercore\nRUN dir\n")
    assert [run_analysis(tree, run).reason for run in tree.instructions if run.name == "RUN"] == [
        Declined.WINDOWS,
        Declined.WINDOWS,
    ]
