"""The GitHub Action's run step (``action.yml``): dockopt with the action's inputs.

Reads the inputs from ``INPUT_*`` variables and ``DOCKOPT`` (the command to run), writes the step
outputs to ``$GITHUB_OUTPUT`` and the markdown report to ``$GITHUB_STEP_SUMMARY``. The reports
(markdown, SARIF) come first, from runs that never write files, so they describe the files as
checked out even when ``args`` has ``--write``; then the main run prints its annotations to the log,
and its exit status is the step's. Standard library only: it runs on the runner's own Python.
"""

from __future__ import annotations

import os
import shlex
import subprocess
import sys
import tempfile
from pathlib import Path

WRITE_FLAGS = ("--write", "-w")


def _flag(name: str, default: str) -> bool:
    return (os.environ.get(name) or default).strip().lower() in ("true", "1", "yes")


def _output(name: str, value: str) -> None:
    target = os.environ.get("GITHUB_OUTPUT")
    if target:
        with open(target, "a", encoding="utf-8") as handle:
            handle.write(f"{name}={value}\n")


def _run(command: list[str]) -> int:
    """The main run: its output goes to the log, where GitHub reads the annotations."""
    print(f"$ {shlex.join(command)}", flush=True)
    return subprocess.run(command, check=False).returncode


def _report(command: list[str]) -> int:
    """A report run: the report goes to its file; the terminal output repeats the main run's, so it
    is shown only when the run failed (exit 2), e.g. when the report file cannot be written."""
    result = subprocess.run(command, check=False, capture_output=True, text=True)
    if result.returncode == 2:
        print(f"$ {shlex.join(command)}\n{result.stderr}", file=sys.stderr, flush=True)
    return result.returncode


def main() -> int:
    dockopt = shlex.split(os.environ.get("DOCKOPT") or "dockopt")
    args = shlex.split(os.environ.get("INPUT_ARGS", "--check"))
    src = shlex.split(os.environ.get("INPUT_SRC") or ".")
    output_format = os.environ.get("INPUT_OUTPUT_FORMAT") or "github"
    sarif_file = os.environ.get("INPUT_SARIF_FILE", "").strip()
    # The report runs never write: a --write in args is for the main run only.
    report_args = [arg for arg in args if arg not in WRITE_FLAGS]

    with tempfile.TemporaryDirectory() as scratch:
        markdown = Path(scratch) / "dockopt.md"
        status = _report(
            [*dockopt, *report_args, "--output-format", "markdown", "--output-file", str(markdown), *src],
        )
        changed = status == 1
        summary = os.environ.get("GITHUB_STEP_SUMMARY")
        if _flag("INPUT_SUMMARY", "true") and summary and markdown.is_file():
            with open(summary, "a", encoding="utf-8") as handle:
                handle.write(markdown.read_text(encoding="utf-8") + "\n")

    if sarif_file:
        Path(sarif_file).parent.mkdir(parents=True, exist_ok=True)
        _report([*dockopt, *report_args, "--output-format", "sarif", "--output-file", sarif_file, *src])
    _output("changed", "true" if changed else "false")
    _output("sarif-file", sarif_file)

    return _run([*dockopt, "--output-format", output_format, *args, *src])


if __name__ == "__main__":
    sys.exit(main())
