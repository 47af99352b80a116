"""Shared test setup: helper modules on sys.path, and the lab Docker engine for `engine` tests."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).parent))

BUILDLAB = Path(__file__).resolve().parents[2] / "shared" / "buildlab" / "buildlab"


def _no_engine(reason: str):
    """Skip, except where the engine is required (CI sets DOCKOPT_REQUIRE_ENGINE=1): fail there."""
    if os.environ.get("DOCKOPT_REQUIRE_ENGINE") == "1":
        pytest.fail(f"engine required but unavailable: {reason}")
    pytest.skip(reason)


@pytest.fixture(scope="session")
def engine_env() -> dict[str, str]:
    """Environment for `docker` against the lab engine; skips when `buildlab status` is not 0.

    The lab is only used here, never set up or stopped: `.ci/run` (or the developer) does that.
    """
    if not BUILDLAB.exists():
        _no_engine(f"{BUILDLAB} not found")
    status = subprocess.run([str(BUILDLAB), "status"], capture_output=True, text=True, timeout=120)
    if status.returncode != 0:
        _no_engine(f"buildlab engine not running (status {status.returncode}): {status.stdout.strip()}")
    lab = subprocess.run(
        [str(BUILDLAB), "env", "--json"], capture_output=True, text=True, timeout=60, check=True
    )
    env = {**os.environ, **json.loads(lab.stdout)}
    for key in ("DOCKER_CONTEXT", "DOCKER_TLS_VERIFY", "DOCKER_CERT_PATH"):
        env.pop(key, None)
    return env
