"""Synthetic snapshots for the verify tests; the lab engine comes from ``engine_env`` in tests/conftest.py."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from optimizer.verify.snapshot import Snapshot, read_image_archive

from .imagefactory import docker_archive, image_config


@pytest.fixture
def make_snapshot(tmp_path: Path) -> Callable[..., Snapshot]:
    """Write the given layer tars as a `docker save` archive and read it back."""
    counter = iter(range(1_000_000))

    def make(*layers: bytes, config: dict | None = None) -> Snapshot:
        archive = tmp_path / f"image-{next(counter)}.tar"
        docker_archive(archive, list(layers), config or image_config(layers=len(layers)))
        return read_image_archive(archive)

    return make
