"""``--cache-strategy`` on the command line (both the fast path and typer) and ``cache-strategy`` in the
config file choose between cleanup and cache mounts; the flag wins over the file."""

from __future__ import annotations

import subprocess
import sys

import pytest

DOCKERFILE = b"FROM python:3.11-slim\nRUN pip install gunicorn\n"
MOUNT = b"--mount=type=cache,target=/root/.cache/pip"


def _run(*args: str, cwd=None, data: bytes = DOCKERFILE) -> subprocess.CompletedProcess[bytes]:
    return subprocess.run(
        [sys.executable, "-m", "optimizer", "--select", "DO307", *args, "-"],
        input=data,
        capture_output=True,
        cwd=cwd,
        timeout=120,
    )


@pytest.mark.parametrize(
    ("args", "config", "mounts"),
    [
        ((), None, False),
        (("--cache-strategy", "mounts"), None, True),
        (("--cache-strategy=cleanup",), 'cache-strategy = "mounts"\n', False),
        ((), 'cache-strategy = "mounts"\n', True),
    ],
)
def test_strategy_from_flag_and_config(tmp_path, args, config, mounts):
    if config:
        (tmp_path / "dockopt.toml").write_text(config)
    result = _run(*args, "--stdin-filename", str(tmp_path / "Dockerfile"), cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert (MOUNT in result.stdout) is mounts
    assert (b"--no-cache-dir" in result.stdout) is not mounts


def test_unknown_strategy_is_a_usage_error():
    result = _run("--cache-strategy", "both")
    assert result.returncode == 2
    assert b"--cache-strategy" in result.stderr
