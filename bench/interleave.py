"""The harness the in-process benches share (throughput.py, parser.py, shell_model.py).

Each checkout runs in a process of its own (its worker script, given as ``python -c`` code), which
prints one JSON line per pass when it reads a line on stdin. The checkouts take turns pass by pass
(A, B, A, B …), so a noisy machine slows both alike; each worker row holds at least ``seconds``
(wall) and ``cpu`` (the process's CPU time) for the pass.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any


class Worker:
    """One checkout's worker process and the rows of the passes it has run."""

    def __init__(self, code: str, checkout: Path, *args: str) -> None:
        self.process = subprocess.Popen(
            [sys.executable, "-c", code, str(checkout), *args],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
            cwd=checkout,
        )
        self.rows: list[dict[str, Any]] = []

    @property
    def samples(self) -> list[float]:
        return [row["seconds"] for row in self.rows]

    @property
    def cpu(self) -> list[float]:
        return [row["cpu"] for row in self.rows]

    def one(self) -> None:
        assert self.process.stdin and self.process.stdout
        self.process.stdin.write("go\n")
        self.process.stdin.flush()
        self.rows.append(json.loads(self.process.stdout.readline()))

    def close(self) -> None:
        if self.process.stdin:
            self.process.stdin.close()
        self.process.wait()


def interleaved(workers: dict[str, Worker], runs: int) -> None:
    """``runs`` passes of every worker, taking turns; the workers are closed after."""
    for _ in range(runs):
        for worker in workers.values():
            worker.one()
    for worker in workers.values():
        worker.close()
