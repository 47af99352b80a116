"""verify() end to end against a fake engine: the order of builds, verdicts, errors and exit codes."""

from __future__ import annotations

import hashlib
import os
from dataclasses import replace
from pathlib import Path

import pytest

from optimizer.core.config import Settings
from optimizer.verify.pipeline import verify, verify_variants
from optimizer.verify.report import render_json, render_markdown, render_text

from .fakes import FakeDocker
from .imagefactory import directory, file, image_config, layer
from .testrules import AppendLine, with_rule

CLEAN = (
    "FROM python:3.11-slim\nWORKDIR /app\nCOPY . .\nRUN pip install -r requirements.txt\n"
    'CMD ["python", "main.py"]\n'
)
NAIVE = CLEAN.replace("FROM", "from")
# Only DO101 (plus the test rules): other people's rules may come and go without changing these tests.
ONLY = Settings(select=("DO101",))


@pytest.fixture
def app(tmp_path: Path) -> Path:
    root = tmp_path / "app"
    (root / "lib").mkdir(parents=True)
    (root / "main.py").write_text("print('hi')\n")
    (root / "lib" / "util.py").write_text("X = 1\n")
    (root / "requirements.txt").write_text("flask\n")
    (root / "Dockerfile").write_text(NAIVE)
    for age, name in enumerate(["main.py", "requirements.txt", "lib/util.py", "Dockerfile"]):
        os.utime(root / name, (1_700_000_000 - age * 60, 1_700_000_000 - age * 60))  # main.py newest
    return root


@pytest.fixture
def images(make_snapshot):
    """Snapshot per Dockerfile text: an app, a pip cache unless removed, main.py unless removed."""
    cache: dict[str, object] = {}

    def snapshot_for(text: str):
        key = hashlib.sha256(text.encode()).hexdigest()
        if key not in cache:
            members = [directory("/app"), file("/app/lib.py", "X = 1\n"), directory("/root")]
            if "rm /app/main.py" not in text:
                members.append(file("/app/main.py", "print('hi')\n"))
            if "rm -rf /root/.cache" not in text:
                members += [directory("/root/.cache"), file("/root/.cache/pip/w.whl", "x" * 50)]
            config = image_config(env=["PATH=/usr/bin:/bin", "DEBUG=1"]) if "ENV DEBUG=1" in text else None
            cache[key] = make_snapshot(layer(*members), config=config)
        return cache[key]

    return snapshot_for


def fingerprint(root: Path) -> dict[str, tuple[bytes, int]]:
    return {
        p.relative_to(root).as_posix(): (p.read_bytes(), p.stat().st_mtime_ns)
        for p in root.rglob("*")
        if p.is_file()
    }


def test_equivalent_rewrite_builds_in_a_private_copy_in_a_fair_order(app, images):
    before = fingerprint(app)
    docker = FakeDocker(images)
    report = verify(app / "Dockerfile", settings=ONLY, docker=docker, runs=3)

    assert report.status == "equivalent" and report.exit_code == 0, render_text(report)
    assert report.changed and report.applied_codes == ["DO101"]
    assert report.rewritten_text == CLEAN
    assert fingerprint(app) == before  # the user's tree is untouched
    contexts = {c.context for c in docker.calls}
    assert len(contexts) == 1 and app not in contexts and not next(iter(contexts)).exists()  # temp copy, gone
    phases = [(c.label, c.phase, c.no_cache) for c in docker.calls]
    assert phases == (  # round by round, the texts interleaved
        [("original", "cold", True), ("rewritten", "cold", True)] * 3
        + [("original", "noop", False), ("rewritten", "noop", False)] * 3
        + [("original", "edit", False), ("rewritten", "edit", False)] * 3
    )
    assert [c.text for c in docker.calls if c.label == "rewritten"] == [CLEAN] * 9
    # every edit makes content the cache never saw; cold and no-op builds see the pristine file
    edited = [c.files["main.py"] for c in docker.calls]
    assert all(content == b"print('hi')\n" for content in edited[:12])
    assert len(set(edited[12:])) == 6
    assert sorted(docker.removed) == sorted(docker.built_tags)  # every image is removed again
    assert report.edited_file == "main.py"
    assert "source file that the Dockerfile copies" in report.edited_reason
    original = report.original
    assert original.cold_median == 20.0 and original.noop_median == 0.6 and original.edit_median == 3.0
    assert original.cache_hits == (1, 4)  # WORKDIR cached; COPY, RUN, CMD ran again
    assert original.edit_cached == ["[2/5] WORKDIR /app"]
    text = render_text(report)
    assert "cold build" in text and "20.0 s" in text and "1.00×" in text
    assert "rebuild after editing main.py" in text
    assert (
        "  original: 1 of 4 steps cached\n    cached  [2/5] WORKDIR /app\n    rebuilt [3/5] COPY . .\n"
        in text
    )
    assert "equivalent: yes" in text


def test_manifests_are_never_the_edited_file(app, images):
    (app / "requirements.txt").write_text("flask\nrequests\n")  # newest file, but a manifest
    (app / "lib" / "util.py").write_text("X = 2\n")  # the newest source file
    report = verify(app / "Dockerfile", settings=ONLY, docker=FakeDocker(images))
    assert report.edited_file == "lib/util.py"


def test_nothing_to_change_needs_no_engine(app, images):
    (app / "Dockerfile").write_text(CLEAN)
    docker = FakeDocker(images, unavailable="no engine here")
    report = verify(app / "Dockerfile", settings=ONLY, docker=docker)
    assert report.status == "unchanged" and report.exit_code == 0
    assert docker.calls == []
    assert "nothing to verify" in render_text(report)


def test_declared_removals_are_allowed_and_grouped_by_rule(app, images):
    rule = AppendLine("DO991", "drop-caches", "RUN rm -rf /root/.cache", removes=("/root/.cache/**",))
    report = verify(app / "Dockerfile", docker=FakeDocker(images), rules=with_rule(rule, ONLY))
    assert report.exit_code == 0, render_text(report)
    assert sorted(report.applied_codes) == ["DO101", "DO991"]
    allowed = report.comparison.allowed["DO991"]
    assert {d.path for d in allowed} == {"/root/.cache", "/root/.cache/pip", "/root/.cache/pip/w.whl"}
    text = render_text(report)
    assert "allowed differences, by rule:" in text
    assert "DO991 drop-caches (3 path(s), declares /root/.cache/**):" in text
    assert "- /root/.cache (dir) [2 entries below, 50 B]" in text


def test_a_broken_rewrite_is_not_equivalent_and_names_the_rule(app, images):
    rule = AppendLine("DO999", "break-things", "RUN rm /app/main.py")
    report = verify(app / "Dockerfile", docker=FakeDocker(images), rules=with_rule(rule, ONLY))
    assert report.status == "not-equivalent" and report.exit_code == 1
    assert [(d.path, d.change) for d in report.comparison.unexplained] == [("/app/main.py", "removed")]
    text = render_text(report)
    assert "equivalent: NO, 1 unexplained path difference(s) (applied: DO101, DO999)" in text
    assert "unexplained differences: not declared by any applied rule (DO101, DO999)" in text
    assert "- /app/main.py (file, 12 B)" in text


def test_config_differences_are_never_allowed(app, images):
    rule = AppendLine("DO998", "set-debug", "ENV DEBUG=1", removes=("/**",))
    report = verify(app / "Dockerfile", docker=FakeDocker(images), rules=with_rule(rule, ONLY))
    assert report.exit_code == 1
    assert "~ Env[DEBUG]: None -> '1'" in render_text(report)


def test_original_that_does_not_build_is_an_error_about_the_original(app, images):
    (app / "Dockerfile").write_text(NAIVE + "RUN false\n")
    docker = FakeDocker(images, fail=lambda text: "[6/6] RUN false" if "RUN false" in text else None)
    report = verify(app / "Dockerfile", settings=ONLY, docker=docker)
    assert report.exit_code == 2 and report.problem.kind == "original-build"
    assert report.problem.message.startswith("the original Dockerfile does not build")
    assert {c.label for c in docker.calls} == {"original"}  # the rewrite is not even tried
    assert sorted(docker.removed) == sorted(docker.built_tags)
    text = render_text(report)
    assert "failing step: [6/6] RUN false" in text and "dockopt bug" not in text


def test_only_the_rewrite_failing_is_reported_as_a_dockopt_bug(app, images):
    rule = AppendLine("DO997", "add-false", "RUN false")
    docker = FakeDocker(images, fail=lambda text: "[6/6] RUN false" if "RUN false" in text else None)
    report = verify(app / "Dockerfile", docker=docker, rules=with_rule(rule, ONLY))
    assert report.exit_code == 2 and report.problem.kind == "rewritten-build"
    assert "this is a dockopt bug" in report.problem.message
    assert report.problem.rules == ["DO101", "DO997"]
    text = render_text(report)
    assert "failing step: [6/6] RUN false" in text
    assert "applied rules: DO101 (uppercase-keywords), DO997 (add-false)" in text
    assert "end of the build log:" in text


SYNTAX_LOG = """#2 resolve image config for docker-image://docker.io/docker/dockerfile:1
#2 ERROR: failed to do request: Head "https://registry-1.docker.io/v2/docker/dockerfile/manifests/1": no such host
ERROR: failed to solve: failed to resolve source metadata for docker.io/docker/dockerfile:1: no such host
"""


def test_unreachable_syntax_frontend_suggests_offline(app, images):
    (app / "Dockerfile").write_text("# syntax=docker/dockerfile:1\n" + NAIVE)
    docker = FakeDocker(
        images,
        fail=lambda text: "resolve" if "# syntax=" in text else None,
        log_for_failure=lambda text, step: SYNTAX_LOG,
    )
    report = verify(app / "Dockerfile", settings=ONLY, docker=docker)
    assert report.exit_code == 2
    assert "`# syntax=docker/dockerfile:1` frontend could not be fetched" in report.problem.message
    assert "--offline" in report.problem.message


def test_offline_strips_the_directive_for_the_builds_only_and_says_so(app, images):
    dockerfile = app / "Dockerfile"
    dockerfile.write_text("# syntax=docker/dockerfile:1\n" + NAIVE)
    docker = FakeDocker(images, fail=lambda text: "resolve" if "# syntax=" in text else None)
    report = verify(dockerfile, settings=ONLY, docker=docker, offline=True)
    assert report.exit_code == 0, render_text(report)
    assert all("syntax" not in c.text for c in docker.calls)
    assert report.rewritten_text.startswith("# syntax=docker/dockerfile:1\n")
    assert dockerfile.read_text().startswith("# syntax=docker/dockerfile:1\nfrom")
    assert any("--offline: removed `# syntax=docker/dockerfile:1`" in note for note in report.notes)
    assert "note: --offline: removed" in render_text(report)


def test_target_and_build_args_reach_every_build(app, images):
    report = verify(
        app / "Dockerfile",
        settings=ONLY,
        docker=(docker := FakeDocker(images)),
        target="final",
        build_args={"A": "1"},
    )
    assert report.exit_code == 0
    assert {(c.target, tuple(c.build_args.items())) for c in docker.calls} == {("final", (("A", "1"),))}


def test_variants_with_the_same_rewrite_share_one_build(app, images):
    docker = FakeDocker(images)
    reports = verify_variants(
        app / "Dockerfile", {"safe": ONLY, "unsafe": replace(ONLY, unsafe_fixes=True)}, docker=docker
    )
    assert {r.status for r in reports.values()} == {"equivalent"}
    assert {c.label for c in docker.calls} == {"original", "safe"}
    assert reports["unsafe"].rewritten is reports["safe"].rewritten
    assert reports["unsafe"].unsafe_fixes and not reports["safe"].unsafe_fixes


def test_engine_unavailable_is_an_error_without_builds(app, images):
    docker = FakeDocker(images, unavailable="no Docker engine reachable (connection refused)")
    report = verify(app / "Dockerfile", settings=ONLY, docker=docker)
    assert report.exit_code == 2 and report.problem.kind == "engine"
    assert render_text(report) == "error: no Docker engine reachable (connection refused)\n"


def test_invalid_input_and_missing_context_are_errors(tmp_path, images):
    bad = tmp_path / "Dockerfile"
    bad.write_text("FROM debian\nFOO bar\n")
    report = verify(bad, settings=ONLY, docker=FakeDocker(images))
    assert report.exit_code == 2 and report.problem.kind == "input"
    assert render_text(report) == f"{bad}:2:1: unknown instruction: FOO\n"
    report = verify(bad, settings=ONLY, context_dir=tmp_path / "missing", docker=FakeDocker(images))
    assert report.problem.message.endswith("build context is not a directory")


def test_json_and_markdown_carry_the_table_and_verdict(app, images):
    import json

    report = verify(app / "Dockerfile", settings=ONLY, docker=FakeDocker(images), runs=3)
    data = json.loads(render_json(report))
    assert data["status"] == "equivalent" and data["exit_code"] == 0
    assert data["original"]["cold"] == [10.0, 30.0, 20.0] and data["original"]["cold_median"] == 20.0
    assert data["ratios"]["cold_build"] == 1.0
    assert data["applied"][0]["code"] == "DO101"
    assert data["edited_file"] == "main.py"
    assert data["comparison"]["equivalent"] is True
    markdown = render_markdown(report)
    assert "| | original | rewritten | rewritten / original |" in markdown
    assert "| cold build | 20.0 s | 20.0 s | 1.00× |" in markdown
    assert "**equivalent: yes" in markdown


def test_the_benchmark_can_measure_an_original_nothing_changes(app, images):
    (app / "Dockerfile").write_text(CLEAN)
    docker = FakeDocker(images)
    reports = verify_variants(app / "Dockerfile", {"safe": ONLY}, docker=docker, measure_unchanged=True)
    report = reports["safe"]
    assert report.status == "unchanged" and report.exit_code == 0
    assert report.original.cold_median == 10.0 and report.rewritten is None
    assert {c.label for c in docker.calls} == {"original"}


def test_a_failing_rebuild_after_edit_is_a_note_not_a_verdict(app, images):
    docker = FakeDocker(images, fail=lambda text: None)
    docker.fail = lambda text: "[3/5] COPY . ." if docker.calls[-1].phase == "edit" else None
    report = verify(app / "Dockerfile", settings=ONLY, docker=docker)
    assert report.status == "equivalent", render_text(report)
    assert any("rebuild after editing main.py failed" in note for note in report.notes)
