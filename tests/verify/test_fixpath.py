"""The verified fix path: ``dockopt --write --unsafe-fixes --verify``.

Engine tests run the real command (with a test-only rule whose fix requires verification, see
``with_split_rule.py``) on the Go app: a correct hand-written split is written, a wrong one is refused
(exit 1, the file gets only the other fixes). The others check the decisions without an engine.
"""

from __future__ import annotations

import dataclasses
import io
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from optimizer.analysis.runtime import RuntimeFacts
from optimizer.core.config import Settings
from optimizer.core.findings import Applicability, Edit
from optimizer.engine import fix_text
from optimizer.rules.base import Rule
from optimizer.verify import fixpath
from optimizer.verify.docker import EngineError

from .test_split_engine import GO_SPLITS

HERE = Path(__file__).resolve().parent
SCRIPT = HERE / "with_split_rule.py"
ROOT = HERE.parents[1]


class NeedsProof(Rule):
    """Appends a LABEL with a fix that requires verification (in-process tests)."""

    code, name, summary, safety = "DO597", "needs-proof", "test rule", Applicability.UNSAFE

    def check(self, ctx):
        if "proven=1" in ctx.text:
            return
        finding = self.finding(
            ctx, ctx.tree.instructions[-1], "needs proof", [Edit.insert(len(ctx.text), "LABEL proven=1\n")]
        )
        yield dataclasses.replace(finding, fix=dataclasses.replace(finding.fix, requires_verification=True))


def _inspected_with_stand_in(monkeypatch) -> list[tuple[str, list[str]]]:
    """Replace the image inspection with a stand-in; returns the (image, paths) it is asked for."""
    seen: list[tuple[str, list[str]]] = []

    def stand_in(image, paths, env=None):
        seen.append((image, paths))
        return RuntimeFacts(image=image)

    original = fixpath._inspect_original
    monkeypatch.setattr(
        fixpath,
        "_inspect_original",
        lambda docker, text, path, ctx, _inspect, say, wanted=(): original(
            docker, text, path, ctx, stand_in, say, wanted
        ),
    )
    return seen


def test_a_fix_that_requires_verification_is_never_applied_without_it() -> None:
    outcome = fix_text("FROM debian\n", Settings(unsafe_fixes=True), rules=[NeedsProof()])
    assert outcome.output == "FROM debian\n"
    assert [f.code for f in fixpath.needs_verification(outcome, Settings(unsafe_fixes=True))] == ["DO597"]
    assert fixpath.needs_verification(outcome, Settings()) == []  # unsafe: not wanted without --unsafe-fixes
    verified = fix_text("FROM debian\n", Settings(unsafe_fixes=True), rules=[NeedsProof()], verified=True)
    assert verified.output == "FROM debian\nLABEL proven=1\n"


def test_nothing_to_verify_needs_no_engine() -> None:
    class NoEngine:
        def __getattr__(self, name):
            raise AssertionError(f"the engine was used: {name}")

    result = fixpath.verified_fix("from debian\n", Settings(), path=None, context_dir=None, docker=NoEngine())
    assert result.outcome.output == "FROM debian\n" and result.refusal is None and not result.pending


def test_without_a_context_the_verified_fix_is_refused(tmp_path: Path) -> None:
    result = fixpath.verified_fix(
        "FROM debian\n", Settings(unsafe_fixes=True), path=None, context_dir=None, rules=[NeedsProof()]
    )
    assert result.refusal is not None and "no build context" in result.refusal
    assert result.outcome.output == "FROM debian\n"


def test_a_failing_build_of_the_original_refuses(tmp_path: Path) -> None:
    class Broken:
        def __init__(self) -> None:
            self.env: dict[str, str] = {}

        def build(self, *args, **kwargs):
            raise EngineError("docker build of x failed: exit status 1")

    result = fixpath.verified_fix(
        "FROM debian\n",
        Settings(unsafe_fixes=True),
        path=None,
        context_dir=tmp_path,
        rules=[NeedsProof()],
        docker=Broken(),  # type: ignore[arg-type]
    )
    assert (
        result.refusal
        == "DO597: the original image could not be built or inspected (docker build of x failed: exit status 1)"
    )
    assert not result.verified


def test_dockopt_verify_plans_verified_fixes_from_the_built_original(tmp_path: Path, monkeypatch) -> None:
    class Inspectable:
        def __init__(self) -> None:
            self.env: dict[str, str] = {}
            self.calls: list[str] = []

        def build(self, text, context, tag, **kwargs):
            self.calls.append(f"build {tag}")

        def inspect(self, tag):
            return {"Config": {"Cmd": ["/app/run"]}}

        def remove(self, *tags):
            self.calls.append("remove")

    seen = _inspected_with_stand_in(monkeypatch)
    docker = Inspectable()
    facts, verified = fixpath.plan_facts(
        "FROM debian\n",
        Settings(unsafe_fixes=True),
        path=None,
        context_dir=tmp_path,
        docker=docker,  # type: ignore[arg-type]
        rules=[NeedsProof()],
    )
    assert verified and isinstance(facts, RuntimeFacts) and seen[0][1] == ["/app/run"]
    assert docker.calls[-1] == "remove"  # the inspected image is not left behind
    no_unsafe = fixpath.plan_facts(
        "FROM debian\n",
        Settings(),
        path=None,
        context_dir=tmp_path,
        docker=docker,
        rules=[NeedsProof()],  # type: ignore[arg-type]
    )
    assert no_unsafe == (None, False)


def test_the_original_is_read_where_the_rules_ask(tmp_path: Path, monkeypatch) -> None:
    """DO501 needs to know whether the image's Python installs into site- or dist-packages (the lab's
    python image is Debian's: dist-packages); the command names neither, the rule asks for both."""

    class Inspectable:
        def __init__(self) -> None:
            self.env: dict[str, str] = {}

        def build(self, text, context, tag, **kwargs):
            pass

        def inspect(self, tag):
            return {"Config": {"Cmd": ["python3", "app.py"], "WorkingDir": "/app"}}

        def remove(self, *tags):
            pass

    seen = _inspected_with_stand_in(monkeypatch)
    (tmp_path / "setup.py").write_text("from setuptools import setup\nsetup(name='x')\n")
    (tmp_path / "app.py").write_text("print('hi')\n")
    text = 'FROM python:3.11\nWORKDIR /app\nCOPY . .\nRUN pip install .\nCMD ["python3", "app.py"]\n'
    _, verified = fixpath.plan_facts(
        text,
        Settings(unsafe_fixes=True),
        path=tmp_path / "Dockerfile",
        context_dir=tmp_path,
        docker=Inspectable(),  # type: ignore[arg-type]
    )
    assert verified and seen, "DO501 needs a build here"
    paths = set(seen[0][1])
    assert "/app/app.py" in paths  # from the command
    assert {"/usr/local/lib/python3.11/site-packages", "/usr/local/lib/python3.11/dist-packages"} <= paths


def test_candidate_paths_come_from_the_command() -> None:
    config = {
        "WorkingDir": "/app",
        "Env": ["PATH=/opt/java/openjdk/bin:/usr/bin"],
        "Entrypoint": ["java"],
        "Cmd": ["-jar", "app.jar", "/etc/app.conf"],
    }
    assert fixpath.candidate_paths(config) == [
        "/opt/java/openjdk/bin/java",
        "/usr/bin/java",
        "/app/app.jar",
        "/etc/app.conf",
    ]


def _format(
    monkeypatch, tmp_path: Path, result: fixpath.VerifiedResult, *, write: bool, stdin: str | None = None
):
    from optimizer.formatter import FormatOptions, run_format

    monkeypatch.setattr(fixpath, "engine_problem", lambda docker=None: None)
    monkeypatch.setattr(fixpath, "verified_fix", lambda *a, **k: result)
    out, err = io.StringIO(), io.StringIO()
    monkeypatch.setattr(sys, "stdout", out)
    monkeypatch.setattr(sys, "stderr", err)
    if stdin is not None:
        monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO(stdin.encode()), encoding="utf-8"))
    options = FormatOptions(
        paths=["-" if stdin is not None else str(tmp_path / "Dockerfile")],
        write=write,
        unsafe_fixes=True,
        verify=True,
        context=str(tmp_path),
    )
    return run_format(options), out.getvalue(), err.getvalue()


def test_verify_without_write_shows_the_verified_diff(monkeypatch, tmp_path: Path) -> None:
    (tmp_path / "Dockerfile").write_text("FROM debian\n")
    verified = fix_text("FROM debian\n", Settings(unsafe_fixes=True), rules=[NeedsProof()], verified=True)
    result = fixpath.VerifiedResult(verified, pending=list(verified.applied), verified=True)
    code, out, err = _format(monkeypatch, tmp_path, result, write=False)
    assert code == 1 and "+LABEL proven=1" in out and "verified: DO597" in err
    assert (tmp_path / "Dockerfile").read_text() == "FROM debian\n"


def test_stdin_prints_the_result_and_says_why_it_was_refused(monkeypatch, tmp_path: Path) -> None:
    base = fix_text("FROM debian\n", Settings(unsafe_fixes=True), rules=[NeedsProof()])
    result = fixpath.VerifiedResult(
        base, pending=list(base.remaining), refusal="DO597: runtime closure: x missing"
    )
    code, out, err = _format(monkeypatch, tmp_path, result, write=False, stdin="FROM debian\n")
    assert code == 1 and out == "FROM debian\n"
    assert "-: verification refused DO597: runtime closure: x missing; nothing is applied\n" in err
    assert "more fix" not in err


def test_without_an_engine_one_line_exit_2_nothing_written(tmp_path: Path) -> None:
    dockerfile = tmp_path / "Dockerfile"
    dockerfile.write_text("from debian\n")
    env = {"PATH": "/usr/bin:/bin", "DOCKER_HOST": f"unix://{tmp_path}/no.sock", "PYTHONPATH": str(ROOT)}
    result = subprocess.run(
        [sys.executable, "-m", "optimizer", "--write", "--unsafe-fixes", "--verify", str(dockerfile)],
        capture_output=True,
        text=True,
        env=env,
        cwd=tmp_path,
        timeout=120,
    )
    assert result.returncode == 2
    assert len(result.stderr.splitlines()) == 1 and result.stderr.startswith(
        "error: --verify needs a Docker engine"
    )
    assert dockerfile.read_text() == "from debian\n"


# -- the real command on the real engine ----------------------------------------------------------


def _run_cli(engine_env, tmp_path: Path, split: str) -> tuple[subprocess.CompletedProcess[str], Path]:
    app = tmp_path / "app"
    shutil.copytree(HERE / "apps" / "split-go", app)
    (tmp_path / "split.txt").write_text(split)
    env = {
        **engine_env,
        "PYTHONPATH": str(ROOT),
        "DOCKOPT_TEST_SPLIT": str(tmp_path / "split.txt"),
        "DOCKOPT_TEST_INSPECT_LOG": str(tmp_path / "inspected.txt"),
    }
    result = subprocess.run(
        # DO501 (the shipped split) would plan this app too: leave the test rule alone with it
        [
            sys.executable,
            str(SCRIPT),
            "--write",
            "--unsafe-fixes",
            "--verify",
            "--ignore",
            "DO501",
            str(app / "Dockerfile"),
        ],
        capture_output=True,
        text=True,
        env=env,
        cwd=tmp_path,
        timeout=1500,
    )
    return result, app / "Dockerfile"


@pytest.mark.engine
def test_cli_writes_a_split_that_verification_proves(engine_env, tmp_path: Path) -> None:
    result, dockerfile = _run_cli(engine_env, tmp_path, GO_SPLITS["correct"])
    assert result.returncode == 0, result.stderr
    assert "verified: DO598" in result.stderr
    written = dockerfile.read_text()
    assert written.startswith("FROM golang:1.19 AS build\n") and "FROM debian:bookworm-slim\n" in written
    inspected = (
        (tmp_path / "inspected.txt").read_text().splitlines() if (tmp_path / "inspected.txt").exists() else []
    )
    if inspected:  # the stand-in ran (the real inspection has no log)
        assert "/usr/local/bin/greeter" in inspected[1:]


@pytest.mark.engine
def test_cli_refuses_a_wrong_split_and_writes_only_the_other_fixes(engine_env, tmp_path: Path) -> None:
    original = (HERE / "apps" / "split-go" / "Dockerfile").read_text()
    result, dockerfile = _run_cli(engine_env, tmp_path, GO_SPLITS["no-ca-bundle"])
    assert result.returncode == 1, result.stderr
    assert "verification refused DO598" in result.stderr
    assert "/etc/ssl/certs/ca-certificates.crt: missing in the rewrite" in result.stderr
    shipped = Settings(unsafe_fixes=True, ignore=("DO501",))  # the shipped rules' fixes only
    expected = fix_text(original, shipped, path=dockerfile, context_dir=dockerfile.parent).output
    assert dockerfile.read_text() == expected
