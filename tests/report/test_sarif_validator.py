"""The SARIF output validated by Microsoft's SARIF Multitool, with GitHub's ingestion rules.

``Sarif.Multitool validate --rule-kind "Gh;Sarif"`` checks the SARIF 2.1.0 schema, the spec's
rules (SARIF1xxx errors, SARIF2xxx warnings) and what GitHub code scanning needs (GH1xxx). The
tool comes from npm (``@microsoft/sarif-multitool-linux``); ``.ci/run`` installs it under
``.cache/sarif-multitool`` and exports ``SARIF_MULTITOOL``. Where that variable is set or ``CI`` is
true, a missing tool fails the test; elsewhere it skips.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
DEFAULT = ROOT / ".cache/sarif-multitool/node_modules/@microsoft/sarif-multitool-linux/Sarif.Multitool"
TEST_RULES = ROOT / "tests" / "cli" / "with_test_rules.py"


def _required() -> bool:
    return bool(os.environ.get("SARIF_MULTITOOL")) or os.environ.get("CI", "").lower() in ("1", "true", "yes")


@pytest.fixture(scope="module")
def multitool() -> Path:
    tool = Path(os.environ.get("SARIF_MULTITOOL") or DEFAULT)
    if not tool.is_file():
        message = (
            f"SARIF Multitool not found at {tool}: npm install --prefix .cache/sarif-multitool "
            "@microsoft/sarif-multitool-linux@5.7.0"
        )
        if _required():
            pytest.fail(message)
        pytest.skip(message)
    if not os.access(tool, os.X_OK):
        tool.chmod(tool.stat().st_mode | 0o100)  # npm may skip the package's own chmod (install scripts)
    return tool


def validate(multitool: Path, sarif: Path, tmp_path: Path) -> list[dict]:
    """The validator's findings on ``sarif`` (as SARIF results), after checking it ran cleanly."""
    log = tmp_path / f"{sarif.stem}.validation.sarif"
    env = {**os.environ, "DOTNET_SYSTEM_GLOBALIZATION_INVARIANT": "1"}
    proc = subprocess.run(
        [
            str(multitool),
            "validate",
            "--rule-kind",
            "Gh;Sarif",
            "--level",
            "Error;Warning;Note",
            "-o",
            str(log),
            str(sarif),
        ],
        capture_output=True,
        text=True,
        timeout=300,
        env=env,
        check=False,
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "Analysis completed successfully" in proc.stdout, proc.stdout
    (run,) = json.loads(log.read_text(encoding="utf-8-sig"))["runs"]
    return run.get("results", [])


def problems(results: list[dict]) -> list[str]:
    """Errors and warnings; notes (SARIF2xxx suggestions such as "use message ids") are advice."""
    return [
        f"{r['ruleId']} {r.get('level', 'warning')}: {r['message'].get('arguments')}"
        for r in results
        if r.get("level", "warning") in ("error", "warning")
    ]


def _dockopt(*args: str, cwd: Path, test_rules: bool = False) -> subprocess.CompletedProcess:
    program = [sys.executable, str(TEST_RULES)] if test_rules else [sys.executable, "-m", "optimizer"]
    env = {k: v for k, v in os.environ.items() if k != "DOCKOPT_OUTPUT_FORMAT"}
    return subprocess.run(
        [*program, *args], cwd=cwd, capture_output=True, text=True, timeout=300, env=env, check=False
    )


def test_sarif_of_every_fixture_validates(multitool, tmp_path):
    out = tmp_path / "fixtures.sarif"
    proc = _dockopt(
        "--select",
        "ALL",
        "--output-format",
        "sarif",
        "--output-file",
        str(out),
        "fixtures",
        "examples",
        cwd=ROOT,
    )
    assert proc.returncode == 1, proc.stderr  # fixtures change; nothing errors
    results = json.loads(out.read_text())["runs"][0]["results"]
    assert len({r["ruleId"] for r in results}) >= 15, "most rules fire on their fixtures"
    assert any("fixes" in r for r in results)
    assert problems(validate(multitool, out, tmp_path)) == []


def test_sarif_with_unsafe_display_only_and_errors_validates(multitool, tmp_path):
    (tmp_path / "app").mkdir()
    (tmp_path / "app" / "Dockerfile").write_text("FROM a\nLABEL unsafe=1\nLABEL shown=1\n")
    (tmp_path / "app" / "Dockerfile.broken").write_text("FROM a\nNOTANINSTRUCTION x\n")
    (tmp_path / "sub dir").mkdir()
    (tmp_path / "sub dir" / "Dockerfile").write_text("from a\n")
    out = tmp_path / "mixed.sarif"
    proc = _dockopt("--output-format", "sarif", "--output-file", str(out), ".", cwd=tmp_path, test_rules=True)
    assert proc.returncode == 2, proc.stderr  # the broken file
    run = json.loads(out.read_text())["runs"][0]
    levels = {r["ruleId"]: r["level"] for r in run["results"]}
    assert levels["DO990"] == "warning" and levels["DO991"] == "note"
    assert run["invocations"][0]["executionSuccessful"] is False
    assert "sub%20dir/Dockerfile" in {
        r["locations"][0]["physicalLocation"]["artifactLocation"]["uri"] for r in run["results"]
    }
    assert problems(validate(multitool, out, tmp_path)) == []


def test_sarif_without_findings_validates(multitool, tmp_path):
    (tmp_path / "Dockerfile").write_text("FROM alpine:3.20\n")
    out = tmp_path / "empty.sarif"
    proc = _dockopt("--output-format", "sarif", "--output-file", str(out), "Dockerfile", cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    assert json.loads(out.read_text())["runs"][0]["results"] == []
    assert problems(validate(multitool, out, tmp_path)) == []


def test_the_validator_catches_a_broken_file(multitool, tmp_path):
    """The check above would pass vacuously if the validator reported nothing at all."""
    broken = tmp_path / "broken.sarif"
    broken.write_text(
        json.dumps(
            {
                "version": "2.1.0",
                "runs": [
                    {
                        "tool": {"driver": {"name": "x"}},
                        "results": [
                            {
                                "ruleId": "X1",
                                "message": {"text": "m"},
                                "locations": [
                                    {
                                        "physicalLocation": {
                                            "artifactLocation": {"uri": "/abs/Dockerfile"},
                                            "region": {"startLine": 0},
                                        }
                                    }
                                ],
                            }
                        ],
                    }
                ],
            }
        )
    )
    assert problems(validate(multitool, broken, tmp_path))
