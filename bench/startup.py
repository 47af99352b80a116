"""Cold start of `dockopt --check` on a 50-line Dockerfile: median of N whole-process runs.

Compares with the interpreter alone and with importing typer, so the ratio shows what the fast
path (no typer import on the common path) buys. Writes bench/STARTUP.md.

    python bench/startup.py [--runs 10]
"""

from __future__ import annotations

import argparse
import platform
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
TARGET = HERE / "data" / "Dockerfile.50"


def timed(command: list[str], runs: int) -> list[float]:
    subprocess.run(command, capture_output=True)  # warm-up: page cache, .pyc files
    samples = []
    for _ in range(runs):
        start = time.perf_counter()
        subprocess.run(command, capture_output=True)
        samples.append(time.perf_counter() - start)
    return samples


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=10)
    args = parser.parse_args()
    py = sys.executable
    with tempfile.TemporaryDirectory() as scratch:
        lowered = Path(scratch) / "Dockerfile"
        lowered.write_text(TARGET.read_text().replace("\nRUN ", "\nrun ").replace("\nCOPY r", "\nADD r"))
        commands = {
            "python -c pass": [py, "-c", "pass"],
            "python -c 'import typer'": [py, "-c", "import typer"],
            "dockopt --check (50 lines, nothing to fix)": [py, "-m", "optimizer", "--check", str(TARGET)],
            "dockopt --check (50 lines, 7 fixes)": [py, "-m", "optimizer", "--check", str(lowered)],
        }
        rows = []
        for label, command in commands.items():
            samples = timed(command, args.runs)
            rows.append((label, statistics.median(samples), min(samples), max(samples)))
    base = rows[2][1]
    lines = [
        "# Cold start of `dockopt --check`",
        "",
        f"Median of {args.runs} whole-process runs after one warm-up; Python {platform.python_version()}, "
        f"{platform.machine()}. Target: ≤ 100 ms for a 50-line Dockerfile.",
        "",
        "| command | median ms | min ms | max ms | ratio to dockopt --check |",
        "|---|---:|---:|---:|---:|",
    ]
    for label, median, low, high in rows:
        lines.append(f"| {label} | {median * 1000:.1f} | {low * 1000:.1f} | {high * 1000:.1f} | {median / base:.2f} |")
    report = "\n".join(lines) + "\n"
    (HERE / "STARTUP.md").write_text(report)
    print(report)


if __name__ == "__main__":
    main()
