"""Run an image the way a user would and record what it does, so two images can be compared.

Each image is started with its default command and left running for a timeout (5 s by default),
then stopped. Recorded: whether it was still running or its exit status, stdout and stderr (with
timestamps, ids and durations masked), the answer on each EXPOSEd TCP port (the status line of an
HTTP request, or only whether it connects), the HEALTHCHECK command's exit status, and each smoke
command's exit status and output (run in a fresh container: ``/bin/sh -c CMD``).

Ports are probed from a sidecar container that shares the app container's network namespace
(``docker run --network container:<id>``), so nothing is published on the host. The sidecar runs
the *original* image (a builder image has bash), and ``bash``'s ``/dev/tcp`` does the talking.
"""

from __future__ import annotations

import re
import subprocess
import time
import uuid
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from .docker import DockerCLI

DEFAULT_TIMEOUT = 5.0
_MASKS = (
    (re.compile(r"\b\d{4}[-/]\d{2}[-/]\d{2}[T ]\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:?\d{2})?"), "<time>"),
    (re.compile(r"\b\d{4}[-/]\d{2}[-/]\d{2}\b"), "<date>"),
    (re.compile(r"\b\d{1,2}:\d{2}:\d{2}(\.\d+)?\b"), "<time>"),
    (
        re.compile(
            r"\b(Mon|Tue|Wed|Thu|Fri|Sat|Sun),? \d{1,2} (Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec)"
            r"[a-z]* \d{4}"
        ),
        "<date>",
    ),
    (re.compile(r"\b[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}\b", re.I), "<uuid>"),
    (re.compile(r"\b[0-9a-f]{12,}\b"), "<id>"),
    (re.compile(r"\b\d+(\.\d+)?\s?(ns|µs|us|ms|s)\b"), "<duration>"),
    (re.compile(r"\bpid[ =:]\s*\d+\b", re.I), "pid <n>"),
    (re.compile(r"\b1[6-9]\d{8}(\.\d+)?\b"), "<epoch>"),
)


def mask(text: str) -> str:
    """Output with what differs between two runs of the same program masked."""
    for pattern, replacement in _MASKS:
        text = pattern.sub(replacement, text)
    return text


@dataclass
class PortAnswer:
    port: str  # "8080/tcp"
    connected: bool
    answer: str = ""  # the masked HTTP status line and body head, when the service speaks HTTP


@dataclass
class CommandResult:
    command: str
    exit_code: int | None  # None: timed out / could not run
    output: str = ""  # masked stdout+stderr


@dataclass
class Behaviour:
    running: bool  # still running at the timeout
    exit_code: int | None
    stdout: str = ""
    stderr: str = ""
    ports: list[PortAnswer] = field(default_factory=list)
    healthcheck: CommandResult | None = None
    smoke: list[CommandResult] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)


@dataclass
class BehaviourDifference:
    what: str  # "exit", "stdout", "stderr", "port 8080/tcp", "healthcheck", "smoke CMD"
    before: str
    after: str

    def describe(self) -> str:
        return f"{self.what}: {_short(self.before)!r} -> {_short(self.after)!r}"


def _short(text: str, width: int = 120) -> str:
    return text if len(text) <= width else text[: width - 1] + "…"


def _state(b: Behaviour) -> str:
    return "still running" if b.running else f"exited {b.exit_code}"


def compare_behaviour(before: Behaviour, after: Behaviour) -> list[BehaviourDifference]:
    diffs = []
    if _state(before) != _state(after):
        diffs.append(BehaviourDifference("exit", _state(before), _state(after)))
    for stream in ("stdout", "stderr"):
        a, b = mask(getattr(before, stream)), mask(getattr(after, stream))
        if a != b:
            diffs.append(BehaviourDifference(stream, a, b))
    ports_b = {p.port: p for p in after.ports}
    for port in before.ports:
        other = ports_b.get(port.port)
        a = _port(port)
        b = _port(other) if other else "not probed"
        if a != b:
            diffs.append(BehaviourDifference(f"port {port.port}", a, b))
    if before.healthcheck is not None or after.healthcheck is not None:
        a = _command(before.healthcheck)
        b = _command(after.healthcheck)
        if a != b:
            diffs.append(BehaviourDifference("healthcheck", a, b))
    smoke_b = {s.command: s for s in after.smoke}
    for result in before.smoke:
        a, b = _command(result), _command(smoke_b.get(result.command))
        if a != b:
            diffs.append(BehaviourDifference(f"smoke {result.command}", a, b))
    return diffs


def summary(b: Behaviour) -> str:
    """One line: how the run ended, the ports, the healthcheck and the smoke commands."""
    parts = [_state(b)]
    parts += [f"port {p.port} {_port(p)}" for p in b.ports]
    if b.healthcheck is not None:
        parts.append(f"healthcheck {_command(b.healthcheck)}")
    parts += [f"smoke `{s.command}` {_command(s)}" for s in b.smoke]
    return "; ".join(_short(p, 80) for p in parts)


def _port(p: PortAnswer) -> str:
    return ("connects" if p.connected else "refused") + (f": {mask(p.answer)}" if p.answer else "")


def _command(c: CommandResult | None) -> str:
    if c is None:
        return "not run"
    status = "timed out" if c.exit_code is None else f"exit {c.exit_code}"
    return f"{status}: {mask(c.output)}" if c.output else status


# -- running images ---------------------------------------------------------------------------------

_PROBE = (
    "exec 3<>/dev/tcp/127.0.0.1/{port} || exit 7; "
    "printf 'GET / HTTP/1.0\\r\\nHost: localhost\\r\\n\\r\\n' >&3; "
    "timeout 2 head -c 2048 <&3 || true"
)


class Runner:
    """Runs images on the engine; every container it starts is named and removed by id."""

    def __init__(
        self, docker: DockerCLI, *, timeout: float = DEFAULT_TIMEOUT, prober: str | None = None
    ) -> None:
        self.docker = docker
        self.timeout = timeout
        self.prober = prober  # the image the port probe runs in (default: the image under test)

    def _docker(self, args: Sequence[str], timeout: float = 60) -> subprocess.CompletedProcess[str]:
        return self.docker._run(list(args), timeout=timeout)

    def run(
        self,
        image: str,
        *,
        ports: Sequence[str] = (),
        healthcheck: list[str] | None = None,
        smoke: Sequence[str] = (),
    ) -> Behaviour:
        name = f"dockopt-verify-run-{uuid.uuid4().hex[:12]}"
        started = self._docker(["run", "-d", "--name", name, image])
        if started.returncode != 0:
            message = (started.stderr or started.stdout).strip().splitlines()[-1:] or ["docker run failed"]
            self._docker(["rm", "-f", name])
            return Behaviour(
                False, None, "", "", notes=[f"could not start: {message[0]}"], smoke=self._smoke(image, smoke)
            )
        try:
            answers = self._probe_ports(name, ports)
            deadline = time.monotonic() + self.timeout
            running, code = self._state(name)
            while running and time.monotonic() < deadline:
                time.sleep(0.25)
                running, code = self._state(name)
            health = self._healthcheck(name, healthcheck) if healthcheck and running else None
            if healthcheck and not running:
                health = CommandResult("healthcheck", None, "container not running")
            self._docker(["stop", "-t", "2", name], timeout=30)
            logs = self._docker(["logs", name], timeout=30)
            behaviour = Behaviour(
                running, None if running else code, logs.stdout, logs.stderr, answers, health
            )
        finally:
            self._docker(["rm", "-f", name], timeout=30)
        behaviour.smoke = self._smoke(image, smoke)
        return behaviour

    def _state(self, name: str) -> tuple[bool, int | None]:
        result = self._docker(["inspect", "-f", "{{.State.Running}} {{.State.ExitCode}}", name])
        words = result.stdout.split()
        if len(words) != 2:
            return False, None
        return words[0] == "true", int(words[1]) if words[1].lstrip("-").isdigit() else None

    def _probe_ports(self, name: str, ports: Sequence[str]) -> list[PortAnswer]:
        answers = []
        for port in ports:
            number, _, proto = port.partition("/")
            if (proto or "tcp") != "tcp":
                continue
            prober = self.prober
            if prober is None:
                answers.append(PortAnswer(port, False, "no probe image"))
                continue
            deadline = time.monotonic() + self.timeout
            answer = PortAnswer(port, False)
            while time.monotonic() < deadline:
                result = self._docker(
                    [
                        "run",
                        "--rm",
                        "--network",
                        f"container:{name}",
                        "--entrypoint",
                        "bash",
                        prober,
                        "-c",
                        _PROBE.format(port=int(number)),
                    ],
                    timeout=30,
                )
                if result.returncode == 0:
                    head = result.stdout.replace("\r\n", "\n")
                    status = head.partition("\n")[0]
                    text = status if status.startswith("HTTP/") else ""
                    if text and "\n\n" in head:
                        text += " | " + head.split("\n\n", 1)[1][:200]
                    answer = PortAnswer(port, True, text)
                    break
                if "No such container" in result.stderr or "is not running" in result.stderr:
                    break
                if result.returncode in (125, 126, 127) and "exec" in result.stderr.lower():
                    answer = PortAnswer(port, False, "not probed: the original image has no bash")
                    break
                time.sleep(0.5)
            answers.append(answer)
        return answers

    def _healthcheck(self, name: str, test: list[str]) -> CommandResult:
        if test[0] == "CMD":
            argv = test[1:]
        elif test[0] == "CMD-SHELL":
            argv = ["/bin/sh", "-c", *test[1:]]
        else:
            return CommandResult("healthcheck", None, f"unsupported test {test[0]}")
        try:
            result = self._docker(["exec", name, *argv], timeout=30)
        except Exception as exc:  # noqa: BLE001 - a hung check is a result, not a crash
            return CommandResult("healthcheck", None, str(exc))
        return CommandResult("healthcheck", result.returncode, mask(result.stdout + result.stderr)[:500])

    def _smoke(self, image: str, commands: Sequence[str]) -> list[CommandResult]:
        results = []
        for command in commands:
            try:
                result = self._docker(
                    ["run", "--rm", "--entrypoint", "/bin/sh", image, "-c", command],
                    timeout=max(self.timeout * 6, 30),
                )
                results.append(
                    CommandResult(command, result.returncode, mask(result.stdout + result.stderr)[:2000])
                )
            except Exception as exc:  # noqa: BLE001 - a timeout is a result
                results.append(CommandResult(command, None, str(exc)))
        return results


def run_pair(
    docker: DockerCLI,
    original: str,
    rewritten: str,
    *,
    ports: Sequence[str],
    healthcheck: list[str] | None,
    smoke: Sequence[str] = (),
    timeout: float = DEFAULT_TIMEOUT,
) -> tuple[Behaviour, Behaviour]:
    """Run both images the same way; the original image probes the ports of both."""
    runner = Runner(docker, timeout=timeout, prober=original)
    return (
        runner.run(original, ports=ports, healthcheck=healthcheck, smoke=smoke),
        runner.run(rewritten, ports=ports, healthcheck=healthcheck, smoke=smoke),
    )
