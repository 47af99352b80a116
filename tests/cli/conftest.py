"""Running the real ``dockopt`` command in a subprocess, the way users and editors run it."""

from __future__ import annotations

import os
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest

HERE = Path(__file__).resolve().parent
WITH_TEST_RULES = HERE / "with_test_rules.py"


@dataclass
class Result:
    code: int
    out: bytes
    err: bytes

    @property
    def stdout(self) -> str:
        return self.out.decode("utf-8", "surrogateescape")

    @property
    def stderr(self) -> str:
        return self.err.decode("utf-8", "surrogateescape")

    @property
    def err_lines(self) -> list[str]:
        return self.stderr.splitlines()


def clean_env(**extra: str) -> dict[str, str]:
    unset = ("NO_COLOR", "FORCE_COLOR", "PYTHONIOENCODING", "DOCKOPT_OUTPUT_FORMAT")
    env = {k: v for k, v in os.environ.items() if k not in unset}
    env["PYTHONUTF8"] = "1"
    env.update(extra)
    return env


def run_command(
    args: list[str],
    cwd: Path,
    stdin: bytes | None = None,
    env: dict[str, str] | None = None,
    test_rules: bool = False,
    timeout: float = 60,
) -> Result:
    program = [sys.executable, str(WITH_TEST_RULES)] if test_rules else [sys.executable, "-m", "optimizer"]
    proc = subprocess.run(
        [*program, *args],
        cwd=cwd,
        input=stdin if stdin is not None else b"",
        capture_output=True,
        env=env or clean_env(),
        timeout=timeout,
    )
    return Result(proc.returncode, proc.stdout, proc.stderr)


@pytest.fixture
def dockopt(tmp_path):
    """``dockopt(*args, stdin=b"...")`` runs the command in ``tmp_path``."""

    def run(*args: str, stdin: bytes | None = None, cwd: Path | None = None, **kwargs) -> Result:
        return run_command(list(args), cwd or tmp_path, stdin, **kwargs)

    return run


def write(path: Path, data: bytes | str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data.encode("utf-8") if isinstance(data, str) else data)
    return path


def assert_one_error_line(result: Result, prefix: str) -> str:
    """Exit 2, no traceback, exactly one stderr line ``prefix[:line[:col]]: message``; returns it."""
    assert result.code == 2, (result.code, result.stderr)
    assert "Traceback" not in result.stderr, result.stderr
    assert len(result.err_lines) == 1, result.stderr
    line = result.err_lines[0]
    assert line.startswith(prefix + ":"), (prefix, line)
    rest = line[len(prefix) + 1 :]
    # an optional line and column, then ": message"
    parts = rest.split(":")
    numbers = 0
    while numbers < min(2, len(parts) - 1) and parts[numbers].isdigit():
        numbers += 1
    message = ":".join(parts[numbers:])
    assert message.startswith(" ") and message.strip(), line
    return line
