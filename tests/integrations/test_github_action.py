"""The GitHub Action (``action.yml``), its steps run the way the runner runs a composite action.

Each step's ``run`` script is executed with bash in a temporary workspace, with the environment the
step declares (``${{ inputs.* }}``, ``${{ steps.*.outputs.* }}`` and ``${{ github.action_path }}``
filled in as GitHub would) and ``GITHUB_OUTPUT`` / ``GITHUB_STEP_SUMMARY`` pointed at temporary
files; the action's outputs are then read through its ``outputs`` declarations. The install step
really installs this checkout into a virtual environment (PyPI must be reachable for the
dependencies), once per module.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
from dataclasses import dataclass
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[2]
ACTION = yaml.safe_load((ROOT / "action.yml").read_text())
EXPRESSION = re.compile(r"\$\{\{\s*([^}]*?)\s*\}\}")
NEEDS_FIX = "from alpine:3.20\nadd app.py /app/\n"


@dataclass
class StepResult:
    code: int
    stdout: str
    stderr: str
    outputs: dict[str, str]


def _evaluate(value: str, inputs: dict[str, str], steps: dict[str, dict[str, str]]) -> str:
    def one(match: re.Match[str]) -> str:
        expression = match.group(1)
        if expression == "github.action_path":
            return str(ROOT)
        if expression.startswith("inputs."):
            return inputs[expression.removeprefix("inputs.")]
        if m := re.fullmatch(r"steps\.([\w-]+)\.outputs\.([\w-]+)", expression):
            return steps.get(m.group(1), {}).get(m.group(2), "")
        raise AssertionError(f"the test runner does not know the expression {expression!r}")

    return EXPRESSION.sub(one, value)


def _read_outputs(path: Path) -> dict[str, str]:
    outputs = {}
    for line in path.read_text().splitlines():
        name, _, value = line.partition("=")
        outputs[name] = value
    return outputs


class Runner:
    """Runs the action's steps in ``workspace`` with ``inputs`` (defaults from action.yml)."""

    def __init__(self, tmp: Path, workspace: Path, given: dict[str, str], steps: dict | None = None) -> None:
        self.tmp, self.workspace = tmp, workspace
        self.inputs = {name: str(spec.get("default", "")) for name, spec in ACTION["inputs"].items()}
        unknown = set(given) - set(self.inputs)
        assert not unknown, f"not inputs of the action: {unknown}"
        self.inputs.update(given)
        self.steps: dict[str, dict[str, str]] = dict(steps or {})
        self.summary = tmp / "step_summary.md"
        self.summary.touch()

    def run_step(self, step: dict) -> StepResult:
        assert step["shell"] == "bash"
        output_file = self.tmp / f"output-{step['id']}"
        output_file.touch()
        env = {k: v for k, v in os.environ.items() if not k.startswith(("DOCKOPT", "INPUT_", "GITHUB_"))}
        env.update(
            GITHUB_ACTION_PATH=str(ROOT),
            GITHUB_OUTPUT=str(output_file),
            GITHUB_STEP_SUMMARY=str(self.summary),
            GITHUB_WORKSPACE=str(self.workspace),
            RUNNER_TEMP=str(self.tmp),
        )
        for name, value in step.get("env", {}).items():
            env[name] = _evaluate(str(value), self.inputs, self.steps)
        # GitHub runs a bash step as `bash --noprofile --norc -eo pipefail {0}`.
        proc = subprocess.run(
            ["bash", "--noprofile", "--norc", "-eo", "pipefail", "-c", step["run"]],
            cwd=self.workspace,
            env=env,
            capture_output=True,
            text=True,
            timeout=900,
            check=False,
        )
        outputs = _read_outputs(output_file)
        self.steps[step["id"]] = outputs
        return StepResult(proc.returncode, proc.stdout, proc.stderr, outputs)

    def action_outputs(self) -> dict[str, str]:
        return {
            name: _evaluate(spec["value"], self.inputs, self.steps)
            for name, spec in ACTION["outputs"].items()
        }


def _step(step_id: str) -> dict:
    return next(step for step in ACTION["runs"]["steps"] if step["id"] == step_id)


@pytest.fixture(scope="module")
def installed(tmp_path_factory) -> dict[str, str]:
    """The install step's outputs, after installing this checkout as the action would."""
    tmp = tmp_path_factory.mktemp("action-install")
    runner = Runner(tmp, tmp, {})
    result = runner.run_step(_step("install"))
    assert result.code == 0, result.stdout + result.stderr
    return result.outputs


def _workspace(tmp_path: Path, files: dict[str, str]) -> Path:
    workspace = tmp_path / "workspace"
    for rel, text in files.items():
        (workspace / rel).parent.mkdir(parents=True, exist_ok=True)
        (workspace / rel).write_text(text)
    subprocess.run(["git", "init", "-q", str(workspace)], check=True)
    return workspace


def test_action_is_a_composite_with_the_documented_interface():
    assert ACTION["runs"]["using"] == "composite"
    assert set(ACTION["inputs"]) == {"version", "args", "src", "output-format", "sarif-file", "summary"}
    defaults = {name: spec.get("default") for name, spec in ACTION["inputs"].items()}
    assert defaults == {
        "version": "",
        "args": "--check",
        "src": ".",
        "output-format": "github",
        "sarif-file": "",
        "summary": "true",
    }
    assert set(ACTION["outputs"]) == {"dockopt-version", "changed", "sarif-file"}
    for step in ACTION["runs"]["steps"]:
        assert "${{" not in step["run"], "inputs reach scripts through env, never spliced into code"


def test_install_step_reports_the_version(installed):
    from optimizer import __version__

    assert installed["dockopt-version"] == __version__
    assert Path(installed["dockopt"]).is_file()


def test_check_with_annotations_sarif_and_summary(installed, tmp_path):
    workspace = _workspace(
        tmp_path, {"Dockerfile": NEEDS_FIX, "services/api/Dockerfile": "FROM alpine:3.20\n"}
    )
    runner = Runner(tmp_path, workspace, {"sarif-file": "reports/dockopt.sarif"}, {"install": installed})
    result = runner.run_step(_step("run"))
    assert result.code == 1, result.stderr  # --check found a change: the job fails
    annotations = [line for line in result.stdout.splitlines() if line.startswith("::")]
    assert [line.split("title=")[1].split("::")[0] for line in annotations] == ["DO101", "DO101", "DO102"]
    assert all(
        ",file=" not in line and line.split(" ")[1].startswith("file=Dockerfile,") for line in annotations
    )
    assert "would fix Dockerfile" in result.stderr

    outputs = runner.action_outputs()
    assert outputs == {
        "dockopt-version": installed["dockopt-version"],
        "changed": "true",
        "sarif-file": "reports/dockopt.sarif",
    }
    sarif = json.loads((workspace / "reports" / "dockopt.sarif").read_text())
    results = sarif["runs"][0]["results"]
    assert [r["locations"][0]["physicalLocation"]["artifactLocation"]["uri"] for r in results] == [
        "Dockerfile"
    ] * 3

    summary = runner.summary.read_text()
    assert summary.startswith("## dockopt\n\n2 files checked: 1 would be changed, 1 unchanged; 3 findings.")
    assert "```diff\n--- a/Dockerfile\n" in summary
    assert (workspace / "Dockerfile").read_text() == NEEDS_FIX


def test_clean_tree_passes_and_says_unchanged(installed, tmp_path):
    workspace = _workspace(tmp_path, {"Dockerfile": "FROM alpine:3.20\n"})
    runner = Runner(tmp_path, workspace, {"summary": "false"}, {"install": installed})
    result = runner.run_step(_step("run"))
    assert result.code == 0, result.stderr
    assert not [line for line in result.stdout.splitlines() if line.startswith("::")]
    assert runner.action_outputs()["changed"] == "false"
    assert runner.action_outputs()["sarif-file"] == ""
    assert runner.summary.read_text() == "", "summary: false writes no summary"


def test_write_rewrites_and_reports_what_it_found(installed, tmp_path):
    workspace = _workspace(tmp_path, {"docker/Dockerfile": NEEDS_FIX, "README.md": "x\n"})
    given = {
        "args": "--write --select DO102",
        "src": "docker",
        "output-format": "concise",
        "sarif-file": "out.sarif",
    }
    runner = Runner(tmp_path, workspace, given, {"install": installed})
    result = runner.run_step(_step("run"))
    assert result.code == 0, result.stderr
    assert (workspace / "docker" / "Dockerfile").read_text() == "from alpine:3.20\ncopy app.py /app/\n"
    assert "docker/Dockerfile:2:1: DO102 [add-to-copy]" in result.stdout
    assert runner.action_outputs()["changed"] == "true"
    (only,) = json.loads((workspace / "out.sarif").read_text())["runs"][0]["results"]
    assert only["ruleId"] == "DO102" and only["fixes"], "the SARIF describes the file as checked out"
    assert "would be changed" in runner.summary.read_text()


def test_a_broken_dockerfile_fails_the_step(installed, tmp_path):
    workspace = _workspace(tmp_path, {"Dockerfile": "FROM a\nNOPE x\n"})
    runner = Runner(tmp_path, workspace, {}, {"install": installed})
    result = runner.run_step(_step("run"))
    assert result.code == 2
    assert "Dockerfile:2:1: " in result.stderr
    assert "1 error." in runner.summary.read_text()
