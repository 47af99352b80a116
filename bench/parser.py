"""Speed of the Dockerfile parser (``optimizer.syntax.parse``) over every corpus Dockerfile.

Method: one Python process per checkout imports the parser, reads every ``Dockerfile`` under
``../shared/corpus`` (real files, BuildKit's test files including the negative ones, the
dockerfile-parse cases), warms up with one pass, then times passes of ``parse`` over all of them
(each pass parses every file ``--repeat`` times, to lift a pass well above timer noise). With
``--baseline PATH`` a second checkout (e.g. ``git archive HEAD | tar -x -C /tmp/base``) is measured
the same way, the two taking turns pass by pass so a noisy machine slows both alike. Reports the
median and the minimum per checkout (wall clock and CPU time) and the ratios.

    python bench/parser.py [--runs 9] [--repeat 3] [--baseline PATH]
"""

from __future__ import annotations

import argparse
import statistics
import sys
from pathlib import Path

from interleave import Worker, interleaved

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
CORPUS = ROOT.parent / "shared" / "corpus"

# Runs inside the measured checkout: prints one JSON line per pass.
_WORKER = r"""
import gc, json, sys, time
from pathlib import Path
sys.path.insert(0, sys.argv[1])
from optimizer.syntax import parse
repeat = int(sys.argv[3])
files = sorted(Path(sys.argv[2]).rglob("Dockerfile"))
texts = [p.read_bytes().decode("utf-8", errors="surrogateescape") for p in files]

def one_pass():
    gc.collect()
    start, cpu = time.perf_counter(), time.process_time()
    for _ in range(repeat):
        for text in texts:
            parse(text)
    return time.perf_counter() - start, time.process_time() - cpu

one_pass()  # warm-up
for line in sys.stdin:
    seconds, cpu = one_pass()
    print(json.dumps({"seconds": seconds, "cpu": cpu, "files": len(texts)}), flush=True)
"""


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=9)
    parser.add_argument("--repeat", type=int, default=3, help="parses of every file per pass")
    parser.add_argument("--baseline", type=Path)
    args = parser.parse_args()
    workers = {"this checkout": Worker(_WORKER, ROOT, str(CORPUS), str(args.repeat))}
    if args.baseline:
        workers = {
            "baseline": Worker(_WORKER, args.baseline.resolve(), str(CORPUS), str(args.repeat)),
            **workers,
        }
    interleaved(workers, args.runs)
    medians: dict[str, float] = {}
    cpu_medians: dict[str, float] = {}
    print(f"{args.runs} passes per checkout, interleaved; each pass parses every file {args.repeat}×")
    print("| checkout | files | median pass (wall) | fastest pass | median pass (CPU) | per file (CPU) |")
    print("|---|---:|---:|---:|---:|---:|")
    for name, worker in workers.items():
        medians[name] = statistics.median(worker.samples)
        cpu_medians[name] = statistics.median(worker.cpu)
        files = worker.rows[-1]["files"]
        per_file = cpu_medians[name] / (files * args.repeat) * 1e6
        print(
            f"| {name} | {files} | {medians[name] * 1000:.1f} ms | {min(worker.samples) * 1000:.1f} ms "
            f"| {cpu_medians[name] * 1000:.1f} ms | {per_file:.0f} µs |"
        )
    if "baseline" in medians:
        print(
            f"\nSpeed-up, baseline / this: {medians['baseline'] / medians['this checkout']:.2f}× wall, "
            f"{cpu_medians['baseline'] / cpu_medians['this checkout']:.2f}× CPU"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
