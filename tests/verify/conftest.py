"""Fixtures for the verify tests: synthetic snapshots, and the build lab's engine when it is running."""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path
from typing import Callable

import pytest

from optimizer.verify.snapshot import Snapshot, read_image_archive

from .imagefactory import docker_archive, image_config

BUILDLAB = Path(__file__).resolve().parents[3] / "shared" / "buildlab" / "buildlab"


@pytest.fixture
def make_snapshot(tmp_path: Path) -> Callable[..., Snapshot]:
    """Write the given layer tars as a `docker save` archive and read it back."""
    counter = iter(range(1_000_000))

    def make(*layers: bytes, config: dict | None = None) -> Snapshot:
        archive = tmp_path / f"image-{next(counter)}.tar"
        docker_archive(archive, list(layers), config or image_config(layers=len(layers)))
        return read_image_archive(archive)

    return make


@pytest.fixture(scope="session")
def buildlab_env() -> dict[str, str]:
    """The environment for `docker` against the build lab; skips unless `buildlab status` exits 0.

    The lab is only used, never set up or stopped here: that belongs to whoever runs the suite.
    """
    if not BUILDLAB.exists():
        pytest.skip(f"{BUILDLAB} not found")
    status = subprocess.run([str(BUILDLAB), "status"], capture_output=True, text=True, timeout=60)
    if status.returncode != 0:
        pytest.skip(f"buildlab engine not running (status {status.returncode}): {status.stdout.strip()}")
    lab = subprocess.run([str(BUILDLAB), "env", "--json"], capture_output=True, text=True, timeout=60, check=True)
    env = {**os.environ, **json.loads(lab.stdout)}
    for key in ("DOCKER_CONTEXT", "DOCKER_TLS_VERIFY", "DOCKER_CERT_PATH"):  # `buildlab env` unsets these
        env.pop(key, None)
    return env
