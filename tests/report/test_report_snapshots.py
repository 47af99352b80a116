"""Each output format on a few fixtures, as the command prints it (syrupy snapshots).

The cases cover a CRLF file with a BOM (columns after the BOM, CRs kept out of the spans), an
ONBUILD and a heredoc, an unsafe fix, a fix of several edits on several lines and a finding that
spans two instructions. Update with ``pytest tests/report --snapshot-update`` and read the diff.
"""

from __future__ import annotations

import json

import pytest
from fixture_cases import FIXTURES, ROOT, Case, cases

from optimizer import __version__
from optimizer.cli import FormatOptions, run_format
from optimizer.report import FORMATS

CASE_IDS = (
    "DO101/changes-crlf-bom",
    "DO102/changes-onbuild-heredoc",
    "DO201/changes-consecutive-apt-installs",
    "DO303/changes-add-flag",
    "DO401/apt-between",
)
CASES = {case.id: case for case in cases() if case.id in CASE_IDS}


def _options(case: Case, fmt: str) -> FormatOptions:
    return FormatOptions(
        paths=[str((case.folder / "Dockerfile").relative_to(ROOT))],
        select=list(case.options.get("select", [case.code])),
        unsafe_fixes=bool(case.options.get("unsafe-fixes", False)),
        cache_strategy=case.options.get("cache-strategy"),
        context=str((case.folder / case.options["context"]).relative_to(ROOT))
        if "context" in case.options
        else None,
        output_format=fmt,
        color="never",
    )


def _normalised(text: str) -> str:
    """Machine-specific parts replaced: the checkout's absolute location and the version."""
    text = text.replace(ROOT.as_uri(), "file:///ROOT")
    return text.replace(f'"{__version__}"', '"<version>"')


def test_the_chosen_cases_exist():
    assert sorted(CASES) == sorted(CASE_IDS)
    assert all((FIXTURES / case_id / "Dockerfile").is_file() for case_id in CASE_IDS)


@pytest.mark.parametrize("fmt", FORMATS)
@pytest.mark.parametrize("case_id", CASE_IDS)
def test_format_snapshot(case_id, fmt, snapshot, capsys, monkeypatch):
    monkeypatch.chdir(ROOT)
    monkeypatch.delenv("DOCKOPT_OUTPUT_FORMAT", raising=False)
    code = run_format(_options(CASES[case_id], fmt))
    out, err = capsys.readouterr()
    assert code == 1, err  # every case changes, and no format changes the exit code
    assert out, "the report is on stdout"
    if fmt in ("json", "sarif", "gitlab", "rdjson"):
        json.loads(out)
    assert _normalised(out) == snapshot
