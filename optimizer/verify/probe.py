"""Read files from a built image without running it: ``docker create`` then ``docker cp``.

Works for images with no shell (distroless, scratch): the container is created, never started.
Reads are cached; the container is removed on ``close()`` (use as a context manager).
"""

from __future__ import annotations

import io
import posixpath
import subprocess
import tarfile
import uuid
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from .docker import DockerCLI

MAX_READ = 256 * 1024 * 1024


class ContainerFiles:
    """An ``ImageFiles`` (closure.py) over a created container of ``image``."""

    def __init__(self, docker: DockerCLI, image: str) -> None:
        self.docker = docker
        self.image = image
        self.name = f"dockopt-verify-files-{uuid.uuid4().hex[:12]}"
        self.created = False
        self._cache: dict[str, bytes | None] = {}
        self._trees: dict[str, dict[str, bytes]] = {}

    def __enter__(self) -> ContainerFiles:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def _ensure(self) -> bool:
        if not self.created:
            result = self.docker._run(
                ["create", "--name", self.name, self.image, "/dockopt-never-run"], timeout=60
            )
            self.created = result.returncode == 0
        return self.created

    def close(self) -> None:
        if self.created:
            self.docker._run(["rm", "-f", self.name], timeout=60)
            self.created = False

    def _copy(self, path: str) -> dict[str, bytes]:
        """Regular files in the tar ``docker cp`` gives for ``path`` (keyed by absolute path)."""
        if not self._ensure():
            return {}
        import shutil

        program = (
            shutil.which(self.docker.executable, path=self.docker.env.get("PATH")) or self.docker.executable
        )
        try:
            result = subprocess.run(
                [program, "cp", f"{self.name}:{path}", "-"],
                capture_output=True,
                env=self.docker.env,
                timeout=300,
            )
        except (OSError, subprocess.TimeoutExpired):
            return {}
        if result.returncode != 0 or len(result.stdout) > MAX_READ:
            return {}
        out: dict[str, bytes] = {}
        parent = posixpath.dirname(path.rstrip("/")) or "/"
        try:
            with tarfile.open(fileobj=io.BytesIO(result.stdout), mode="r:") as tar:
                for member in tar:
                    if not member.isreg():
                        continue
                    stream = tar.extractfile(member)
                    if stream is not None:
                        out[posixpath.normpath(posixpath.join(parent, member.name))] = stream.read()
        except tarfile.TarError:
            return {}
        return out

    def read(self, path: str) -> bytes | None:
        if path not in self._cache:
            self._cache[path] = self._copy(path).get(posixpath.normpath(path))
        return self._cache[path]

    def tree(self, directory: str) -> dict[str, bytes]:
        if directory not in self._trees:
            self._trees[directory] = self._copy(directory)
        return self._trees[directory]
