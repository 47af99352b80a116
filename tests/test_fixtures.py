"""Every rule fixture: the fix as a readable diff snapshot; ``noop-`` cases must stay unchanged."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from fixture_cases import Case, cases
from snapshot_ext import FixtureDiffExtension

from optimizer.analysis.runtime import RuntimeFacts
from optimizer.core.config import Settings
from optimizer.engine import findings, fix_text
from optimizer.report.diff import unified_diff
from optimizer.rules.base import all_rules

CASES = cases()


def _settings(case: Case) -> Settings:
    return Settings(
        select=tuple(case.options.get("select", [case.code])),
        unsafe_fixes=bool(case.options.get("unsafe-fixes", False)),
        cache_strategy=case.options.get("cache-strategy", "cleanup"),
        split_runtime=case.options.get("split-runtime", "twin"),
    )


def _runtime(case: Case) -> RuntimeFacts | None:
    """``runtime = "file.json"``: facts read from a built original (``RuntimeFacts.to_json``)."""
    name = case.options.get("runtime")
    return RuntimeFacts.from_json(json.loads((case.folder / name).read_text())) if name else None


def render(case: Case) -> str:
    """What a reviewer needs: the findings with their safety, then the diff the fix makes."""
    with case.materialize() as folder:
        return _render(case, folder)


def _render(case: Case, folder: Path) -> str:
    text = (folder / "Dockerfile").read_bytes().decode("utf-8")
    settings = _settings(case)
    context = folder / case.options.get("context", ".")
    runtime = _runtime(case)
    verified = bool(case.options.get("verified", False))
    outcome = fix_text(
        text,
        settings,
        path=folder / "Dockerfile",
        context_dir=context,
        runtime=runtime,
        verified=verified,
    )
    assert outcome.error is None, outcome.error
    before = findings(
        text,
        settings,
        path=folder / "Dockerfile",
        context_dir=context,
        rules=[r() for r in all_rules() if settings.enabled(r)],
        runtime=runtime,
    )
    lines = [
        f"# {case.id}"
        + (" (unsafe fixes on)" if settings.unsafe_fixes else "")
        + (" (cache-strategy mounts)" if settings.cache_strategy == "mounts" else "")
        + (" (verified)" if verified else "")
        + (" (runtime facts)" if runtime else "")
        + (" (split-runtime minimal)" if settings.split_runtime == "minimal" else "")
    ]
    for finding in before:
        lines.append(
            f"# {finding.line}:{finding.column} {finding.code} {finding.message} [{finding.applicability.value}"
            + (
                ", needs verification"
                if finding.fix is not None and finding.fix.requires_verification
                else ""
            )
            + "]"
        )
    if not before:
        lines.append("# no findings")
    diff = unified_diff(outcome.input, outcome.output, "Dockerfile")
    for change in outcome.files:  # a second file (the .dockerignore), named from the case folder
        name = change.path.relative_to(folder).as_posix()
        second = unified_diff(change.before or "", change.after, name)
        if change.before is None:
            second = second.replace(f"--- a/{name}\n", "--- /dev/null\n", 1)
        diff += second
    return "\n".join(lines) + "\n" + (diff or "# no change\n")


@pytest.fixture
def snapshot_diff(snapshot):
    return snapshot.use_extension(FixtureDiffExtension)


def test_every_rule_has_fixtures():
    codes = {case.code for case in CASES}
    for rule in all_rules():
        assert rule.code in codes, f"{rule.code} has no fixtures/{rule.code}/"
        mine = [c for c in CASES if c.code == rule.code]
        assert any(c.noop for c in mine), f"{rule.code} needs a noop- (must not change) fixture"
        assert any(not c.noop for c in mine), f"{rule.code} needs a fixture that changes"


@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
def test_fixture(case: Case, snapshot_diff):
    rendered = render(case)
    if case.noop:
        assert rendered.endswith("# no change\n"), rendered
    else:
        assert "# no change" not in rendered, rendered
    assert rendered.encode("utf-8") == snapshot_diff
