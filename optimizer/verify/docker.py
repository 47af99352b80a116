"""The user's Docker engine, driven through the ``docker`` CLI.

The CLI rather than the HTTP API: it is what the user already has configured (contexts, ``DOCKER_HOST``,
credential helpers, wrappers such as buildlab's that add ``--network host``), and it needs no
dependency. Every failure becomes an ``EngineError`` whose message is one line a user can act on.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import tempfile
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from .snapshot import Snapshot, read_image_archive

LOG_TAIL_LINES = 25


class EngineError(Exception):
    """A Docker operation failed; ``str()`` is a single line."""


class EngineUnavailable(EngineError):
    """No usable engine: the CLI is missing or the daemon does not answer."""


class BuildFailed(EngineError):
    """``docker build`` exited non-zero; ``log_tail`` holds the end of the progress log."""

    def __init__(self, message: str, log_tail: Sequence[str], log: str = "") -> None:
        super().__init__(message)
        self.log_tail = list(log_tail)
        self.log = log  # the whole progress log, for finding the failed step

    @property
    def failed_step(self) -> str | None:
        """The name of the vertex that failed, e.g. ``[3/4] RUN make`` (None when the log names none)."""
        failed = [s for s in parse_build_log(self.log) if s.status == "error"]
        instructions = [s for s in failed if s.is_instruction]
        chosen = instructions or failed
        return chosen[0].name if chosen else None

    def details(self) -> str:
        return "\n".join([str(self), *("  " + line for line in self.log_tail)])


@dataclass(frozen=True, slots=True)
class EngineInfo:
    client_version: str
    server_version: str
    api_version: str
    buildx_version: str | None  # None when the buildx plugin is absent (the classic builder still works)


@dataclass(frozen=True, slots=True)
class BuildStep:
    """One vertex of BuildKit's plain progress output."""

    vertex: int
    name: str  # e.g. "[2/3] RUN apt-get update" or "[internal] load build context"
    status: str  # "done", "cached", "error", "canceled" or "incomplete"
    seconds: float | None = None

    @property
    def is_instruction(self) -> bool:
        """Dockerfile instructions, as opposed to BuildKit's own bookkeeping (context, export...)."""
        return self.name.startswith("[") and not self.name.startswith("[internal]")

    @property
    def is_from(self) -> bool:
        """FROM vertices say CACHED or DONE depending on what else ran, never whether work was done."""
        return self.is_instruction and self.name.partition("] ")[2].upper().startswith("FROM ")


@dataclass(frozen=True, slots=True)
class BuildResult:
    tag: str
    image_id: str
    seconds: float
    steps: tuple[BuildStep, ...]
    log: str

    @property
    def cached_instructions(self) -> list[BuildStep]:
        """Instructions served from the build cache (FROM excluded: pulling a base is not a rebuild)."""
        return [s for s in self.steps if s.is_instruction and not s.is_from and s.status == "cached"]

    @property
    def executed_instructions(self) -> list[BuildStep]:
        return [s for s in self.steps if s.is_instruction and not s.is_from and s.status == "done"]


def strip_syntax_directive(text: str) -> str:
    """Remove ``# syntax=`` parser directives, which make BuildKit fetch a frontend from a registry.

    Only the leading directive block counts, read the way BuildKit reads it: the first line that is not
    a known ``# name=value`` directive ends it, so a ``# syntax=`` comment further down is left alone.
    The other directives (``escape``, ``check``) and everything else stay byte for byte.
    """
    from optimizer.syntax.buildkit import DIRECTIVE_RE, KNOWN_DIRECTIVES, trim_left

    bom = "\ufeff" if text.startswith("\ufeff") else ""
    lines = text[len(bom) :].splitlines(keepends=True)
    kept = []
    for index, line in enumerate(lines):
        match = DIRECTIVE_RE.match(trim_left(line.rstrip("\r\n")))
        if not match or match.group(1).lower() not in KNOWN_DIRECTIVES:
            kept.extend(lines[index:])
            break
        if match.group(1).lower() != "syntax":
            kept.append(line)
    return bom + "".join(kept)


_VERTEX_LINE = re.compile(r"^#(\d+) (.*)$")
_DONE = re.compile(r"^DONE (\d+(?:\.\d+)?)s$")


def parse_build_log(log: str) -> list[BuildStep]:
    """Vertices of a ``--progress=plain`` log, in order of first appearance.

    The first line of a vertex is its name; later lines are output or a final status. Parallel
    stages interleave, so state is kept per vertex number.
    """
    names: dict[int, str] = {}
    status: dict[int, tuple[str, float | None]] = {}
    for line in log.splitlines():
        match = _VERTEX_LINE.match(line)
        if not match:
            continue
        vertex, rest = int(match.group(1)), match.group(2)
        if vertex == 0:  # the CLI's "building with ... instance" banner, not a build step
            continue
        if vertex not in names:
            names[vertex] = rest
            continue
        if rest == "CACHED":
            status[vertex] = ("cached", None)
        elif done := _DONE.match(rest):
            status[vertex] = ("done", float(done.group(1)))
        elif rest.startswith("ERROR"):
            status[vertex] = ("error", None)
        elif rest.startswith("CANCELED"):
            status[vertex] = ("canceled", None)
    return [BuildStep(v, names[v], *status.get(v, ("incomplete", None))) for v in names]


class DockerCLI:
    """Runs ``docker`` with a fixed environment, so a test or a lab can point it at its own daemon."""

    def __init__(
        self, executable: str = "docker", env: Mapping[str, str] | None = None, timeout: float = 1800.0
    ) -> None:
        self.env = dict(os.environ if env is None else env)
        self.executable = executable
        self.timeout = timeout

    def _run(
        self, args: Sequence[str], *, timeout: float | None = None, extra_env: Mapping[str, str] | None = None
    ) -> subprocess.CompletedProcess[str]:
        program = shutil.which(self.executable, path=self.env.get("PATH", os.defpath))
        if program is None:
            raise EngineUnavailable(f"no `{self.executable}` CLI on PATH; install Docker to run verify")
        try:
            return subprocess.run(
                [program, *args],
                capture_output=True,
                text=True,
                errors="replace",
                env={**self.env, **(extra_env or {})},
                timeout=timeout or self.timeout,
            )
        except subprocess.TimeoutExpired:
            raise EngineError(f"`docker {args[0]}` timed out after {timeout or self.timeout:.0f}s") from None
        except OSError as exc:
            raise EngineUnavailable(f"cannot run {program}: {exc.strerror}") from None

    def _checked(self, args: Sequence[str], what: str, **kwargs: Any) -> str:
        result = self._run(args, **kwargs)
        if result.returncode != 0:
            raise EngineError(f"{what} failed: {_last_line(result.stderr or result.stdout)}")
        return result.stdout

    def detect(self) -> EngineInfo:
        """Check that a daemon answers; the first call `verify` makes, so its message must say what to do."""
        result = self._run(["version", "--format", "{{json .}}"], timeout=30)
        try:
            versions = json.loads(result.stdout or "{}")
        except ValueError:
            versions = {}
        server = versions.get("Server") or {}
        if result.returncode != 0 or not server:
            reason = _last_line(result.stderr) or "the daemon did not answer"
            raise EngineUnavailable(f"no Docker engine reachable ({reason})")
        buildx = self._run(["buildx", "version"], timeout=30)
        buildx_words = (
            buildx.stdout.split() if buildx.returncode == 0 else []
        )  # "github.com/docker/buildx 0.13.1 …"
        return EngineInfo(
            client_version=(versions.get("Client") or {}).get("Version", "?"),
            server_version=server.get("Version", "?"),
            api_version=server.get("ApiVersion", "?"),
            buildx_version=buildx_words[1] if len(buildx_words) > 1 else None,
        )

    def build(
        self,
        dockerfile_text: str,
        context: str | Path,
        tag: str,
        *,
        target: str | None = None,
        build_args: Mapping[str, str] | None = None,
        no_cache: bool = False,
        dockerfile_path: str | Path | None = None,
        ignore_text: str | None = None,
    ) -> BuildResult:
        """Build ``dockerfile_text`` against ``context`` and tag the result.

        The text is written to a private directory outside the context, so the rewrite never lands in
        the user's tree and cannot be sent as part of the context. ``dockerfile_path`` is where the
        text came from: its ``<name>.dockerignore`` (BuildKit's per-Dockerfile ignore file) is copied
        beside the temporary file, so both builds see the same context as a normal build would.
        """
        with tempfile.TemporaryDirectory(prefix="dockopt-verify-") as scratch:
            dockerfile = Path(scratch) / "Dockerfile"
            dockerfile.write_text(dockerfile_text, encoding="utf-8")
            if dockerfile_path is not None:
                own_ignore = Path(f"{dockerfile_path}.dockerignore")
                if own_ignore.is_file():
                    shutil.copyfile(own_ignore, Path(scratch) / "Dockerfile.dockerignore")
            if ignore_text is not None:  # the rewrite's .dockerignore (DO6xx): it wins over the context's
                (Path(scratch) / "Dockerfile.dockerignore").write_text(
                    ignore_text, encoding="utf-8", newline=""
                )
            iidfile = Path(scratch) / "image-id"
            args = self._build_arguments(dockerfile, iidfile, context, tag, target, build_args, no_cache)
            started = time.perf_counter()
            result = self._run(args, extra_env={"DOCKER_BUILDKIT": "1"})
            seconds = time.perf_counter() - started
            log = result.stderr + result.stdout
            if result.returncode != 0:
                tail = log.rstrip().splitlines()[-LOG_TAIL_LINES:]
                errors = [line for line in tail if line.startswith(("ERROR", "error"))]
                reason = errors[-1] if errors else (tail[-1] if tail else f"exit status {result.returncode}")
                raise BuildFailed(f"docker build of {tag} failed: {reason}", tail, log)
            image_id = iidfile.read_text().strip() if iidfile.exists() else self.inspect(tag)["Id"]
        return BuildResult(tag, image_id, seconds, tuple(parse_build_log(log)), log)

    def _build_arguments(
        self,
        dockerfile: Path,
        iidfile: Path,
        context: str | Path,
        tag: str,
        target: str | None,
        build_args: Mapping[str, str] | None,
        no_cache: bool,
    ) -> list[str]:
        args = ["build", "-f", str(dockerfile), "--tag", tag, "--iidfile", str(iidfile), "--progress=plain"]
        if target:
            args += ["--target", target]
        for key, value in (build_args or {}).items():
            args += ["--build-arg", f"{key}={value}"]
        if no_cache:
            args.append("--no-cache")
        if self.env.get("BUILDLAB_BUILD_NETWORK") == "host":
            args += ["--network", "host"]  # the lab engine has no bridge network for RUN steps
        return [*args, str(context)]

    def inspect(self, ref: str) -> dict[str, Any]:
        out = self._checked(["image", "inspect", ref], f"docker image inspect {ref}", timeout=60)
        return json.loads(out)[0]

    def save(self, ref: str, destination: str | Path) -> Path:
        self._checked(["save", "-o", str(destination), ref], f"docker save {ref}")
        return Path(destination)

    def snapshot(self, ref: str) -> Snapshot:
        """Save ``ref`` to a temporary archive and flatten it; the archive is deleted afterwards."""
        engine_size = self.inspect(ref).get("Size")
        with tempfile.TemporaryDirectory(prefix="dockopt-save-") as scratch:
            archive = self.save(ref, Path(scratch) / "image.tar")
            return read_image_archive(archive, engine_size=engine_size)

    def remove(self, *refs: str) -> None:
        """Untag and delete images we built; images already gone are not an error."""
        if not refs:
            return
        result = self._run(["image", "rm", *refs], timeout=120)
        if result.returncode != 0:
            real = [
                line for line in result.stderr.splitlines() if line.strip() and "No such image" not in line
            ]
            if real:
                raise EngineError(f"docker image rm failed: {real[-1].strip()}")


def _last_line(text: str) -> str:
    lines = [line.strip() for line in (text or "").splitlines() if line.strip()]
    return lines[-1] if lines else ""
