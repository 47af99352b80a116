"""Every report format over the whole corpus: valid output, one result per finding, relative paths,
positions inside the file, and fingerprints that survive lines being inserted above a finding."""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from optimizer.report import render
from optimizer.report.model import Report
from optimizer.syntax import Comment, Instruction, ParseError, parse

from .helpers import REPORT_FORMATS, github_properties, report_for, unescape_github

ROOT = Path(__file__).resolve().parents[2]
CORPUS = (ROOT.parent / "shared" / "corpus").resolve()


def _corpus() -> dict[Path, str]:
    files = {}
    for path in sorted(CORPUS.glob("**/Dockerfile")):
        text = path.read_bytes().decode("utf-8")
        try:
            parse(text).check()
        except ParseError:
            continue  # BuildKit's negative cases: no report to make
        files[path] = text
    return files


@pytest.fixture(scope="module")
def corpus() -> dict[Path, str]:
    if not CORPUS.is_dir():
        pytest.fail(f"the shared corpus is missing: {CORPUS}")
    return _corpus()


@pytest.fixture(scope="module")
def report(corpus) -> Report:
    return report_for(corpus, CORPUS)


def _relative(path: str) -> bool:
    return bool(path) and not path.startswith(("/", "../")) and ":" not in path.split("/")[0]


def test_the_corpus_has_findings_to_report(report):
    assert len(report.files) > 250
    assert len(report.items) > 200, "a corpus report with few findings would prove little"


@pytest.mark.parametrize("fmt", REPORT_FORMATS)
def test_one_result_per_finding_with_relative_paths(report, fmt):
    text = render(fmt, report)
    n = len(report.items)
    if fmt == "json":
        data = json.loads(text)
        assert len(data) == n
        assert [d["filename"] for d in data] == [item.file.name for item in report.items]
    elif fmt == "sarif":
        (run,) = json.loads(text)["runs"]
        assert len(run["results"]) == n
        rule_ids = [rule["id"] for rule in run["tool"]["driver"]["rules"]]
        assert rule_ids == sorted({item.finding.code for item in report.items})
        for result in run["results"]:
            assert rule_ids[result["ruleIndex"]] == result["ruleId"]
            (location,) = result["locations"]
            artifact = location["physicalLocation"]["artifactLocation"]
            assert artifact["uriBaseId"] == "%SRCROOT%" and _relative(artifact["uri"]), artifact
            for fix in result.get("fixes", []):
                for change in fix["artifactChanges"]:
                    other = change["artifactLocation"]
                    if other != artifact:  # a second file a DO6xx fix appends to (its .dockerignore)
                        assert result["ruleId"].startswith("DO6") and _relative(other["uri"]), other
                        assert other["uri"].rsplit("/", 1)[-1].endswith(".dockerignore"), other
    elif fmt == "gitlab":
        data = json.loads(text)
        assert len(data) == n
        assert all(_relative(issue["location"]["path"]) for issue in data)
        fingerprints = [issue["fingerprint"] for issue in data]
        assert len(set(fingerprints)) == n, "GitLab needs a unique fingerprint per issue"
    elif fmt == "rdjson":
        diagnostics = json.loads(text)["diagnostics"]
        assert len(diagnostics) == n
        assert all(_relative(d["location"]["path"]) for d in diagnostics)
    elif fmt == "github":
        lines = text.splitlines()
        assert len(lines) == n
        for line, item in zip(lines, report.items, strict=True):
            props, message = github_properties(line)
            assert unescape_github(props["file"]) == item.path and _relative(item.path)
            assert unescape_github(props["title"]) == item.finding.code
            assert unescape_github(message).endswith(item.finding.message)
    elif fmt == "concise":
        assert len(text.splitlines()) == n
    elif fmt == "markdown":
        rows = [line for line in text.splitlines() if line.startswith("| `")]
        assert len(rows) == n


def test_positions_lie_inside_the_file(report):
    for item in report.items:
        lines = item.file.text.split("\n")
        span = item.span
        assert 1 <= span.start_line <= span.end_line <= len(lines), item
        assert (span.start_line, span.start_column) <= (span.end_line, span.end_column), item
        start, end = item.offsets
        assert item.matched_text.strip(), f"{item.path}: {item.finding.code} flags no text"
        assert 0 <= start < end <= len(item.file.text)
        for edit_span, _ in item.edit_spans():
            assert 1 <= edit_span.start_line <= edit_span.end_line <= len(lines)


def test_sarif_regions_carry_the_flagged_text(report):
    (run,) = json.loads(render("sarif", report))["runs"]
    for result, item in zip(run["results"], report.items, strict=True):
        region = result["locations"][0]["physicalLocation"]["region"]
        lines = item.file.lines
        start = lines.offset(region["startLine"], region["startColumn"])
        end = lines.offset(region["endLine"], region["endColumn"])
        assert item.file.text[start:end] == region["snippet"]["text"]


def _shift(text: str, blank_lines: int) -> str:
    """Blank lines inserted above the first instruction (and the comments directly above it), so
    every finding moves down without anything else changing: parser directives stay first."""
    tree = parse(text)
    nodes = tree.nodes
    first = next(i for i, node in enumerate(nodes) if isinstance(node, Instruction))
    while first > 0 and isinstance(nodes[first - 1], Comment):
        first -= 1
    at = nodes[first].start
    return text[:at] + tree.newline * blank_lines + text[at:]


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=st.data(), blank_lines=st.integers(min_value=1, max_value=40))
def test_fingerprints_survive_lines_moving(corpus, report, data, blank_lines):
    with_findings = sorted({item.file.path for item in report.items})
    path = data.draw(st.sampled_from(with_findings))
    before = report_for({path: corpus[path]}, CORPUS)
    after = report_for({path: _shift(corpus[path], blank_lines)}, CORPUS)
    assert [i.finding.code for i in after.items] == [i.finding.code for i in before.items]
    assert [i.fingerprint for i in after.items] == [i.fingerprint for i in before.items]
    assert [i.span.start_line for i in after.items] == [i.span.start_line + blank_lines for i in before.items]


def test_fingerprints_are_stable_across_runs_and_shifts_on_the_whole_corpus(corpus, report):
    again = report_for(corpus, CORPUS)
    assert [i.fingerprint for i in again.items] == [i.fingerprint for i in report.items]
    shifted = report_for({path: _shift(text, 3) for path, text in corpus.items()}, CORPUS)
    assert Counter(i.fingerprint for i in shifted.items) == Counter(i.fingerprint for i in report.items)
    sarif = json.loads(render("sarif", shifted))["runs"][0]["results"]
    assert [r["partialFingerprints"] for r in sarif] == [{"dockopt/v1": i.fingerprint} for i in report.items]
