"""In-process throughput of the fix engine over the 246 real corpus Dockerfiles (files per second).

Method: one Python process per checkout loads dockopt, warms up (imports, tree-sitter, the
``dockerfile`` binding) with one pass, then times N passes over every ``real/*/Dockerfile`` of
``../shared/corpus`` with ``fix_text`` (default settings: safe fixes, cleanup strategy; build context
= the file's folder). Caches that would carry one pass's work into the next (the shell model's
by-content cache) are cleared before each pass, so every pass does the work a fresh run does. With
``--baseline PATH`` a second checkout (e.g. ``git worktree add /tmp/base COMMIT``) is measured the
same way, the two taking turns pass by pass so a noisy machine slows both alike. Reports the median
and the minimum per checkout (wall clock and the process's own CPU time) and the ratios, and writes bench/THROUGHPUT.md (or ``--out``).

    python bench/throughput.py [--runs 7] [--baseline PATH] [--ignore CODES] [--out FILE]

``--ignore DO403,DO501,DO601,DO602`` leaves out, in both checkouts, the rules a baseline does not
have: the same work on both sides.
"""

from __future__ import annotations

import argparse
import platform
import statistics
import sys
from pathlib import Path

from interleave import Worker, interleaved

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
CORPUS = ROOT.parent / "shared" / "corpus" / "real"

# Runs inside the measured checkout: prints one JSON line per pass.
_WORKER = r"""
import gc, json, sys, time
from pathlib import Path
sys.path.insert(0, sys.argv[1])
from optimizer.engine import fix_text
try:
    from optimizer.core.config import Settings
except ImportError:
    from optimizer.settings import Settings
files = sorted(Path(sys.argv[2]).glob("*/Dockerfile"))
ignored = tuple(code for code in sys.argv[3].split(",") if code)
texts = [(p, p.read_bytes().decode("utf-8")) for p in files]

def clear():
    try:
        import optimizer.shell.run as run
        getattr(run, "_by_content", {}).clear()
    except ImportError:
        pass

def one_pass():
    clear()
    gc.collect()
    errors = 0
    start, cpu = time.perf_counter(), time.process_time()
    for path, text in texts:
        try:
            fix_text(text, Settings(ignore=ignored), path=path, context_dir=path.parent)
        except Exception:
            errors += 1
    return time.perf_counter() - start, time.process_time() - cpu, errors

one_pass()  # warm-up
for line in sys.stdin:
    seconds, cpu, errors = one_pass()
    print(json.dumps({"seconds": seconds, "cpu": cpu, "files": len(texts), "errors": errors}), flush=True)
"""


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=7)
    parser.add_argument("--baseline", type=Path)
    parser.add_argument("--out", type=Path, default=HERE / "THROUGHPUT.md")
    parser.add_argument(
        "--ignore",
        default="",
        help="rule codes to leave out in both checkouts, comma-separated (e.g. the rules the baseline lacks)",
    )
    args = parser.parse_args()
    workers = {"this checkout": Worker(_WORKER, ROOT, str(CORPUS), args.ignore)}
    if args.baseline:
        workers = {"baseline": Worker(_WORKER, args.baseline.resolve(), str(CORPUS), args.ignore), **workers}
    interleaved(workers, args.runs)
    rows = []
    medians = {}
    cpu_medians = {}
    for name, worker in workers.items():
        median = statistics.median(worker.samples)
        cpu = statistics.median(worker.cpu)
        medians[name], cpu_medians[name] = median, cpu
        rows.append(
            f"| {name} | {median:.2f} s | {min(worker.samples):.2f} s | {worker.rows[-1]['files'] / median:.0f} files/s "
            f"| {cpu:.2f} s | {worker.rows[-1]['files'] / cpu:.0f} files/s |"
        )
    lines = [
        "# Engine throughput over the real corpus",
        "",
        f"`python bench/throughput.py --runs {args.runs}"
        + (f" --baseline {args.baseline}" if args.baseline else "")
        + (f" --ignore {args.ignore}" if args.ignore else "")
        + f"`: {len(next(iter(workers.values())).samples)} passes per checkout over "
        f"{next(iter(workers.values())).rows[-1]['files']} files, default settings"
        + (f" without {args.ignore}" if args.ignore else "")
        + ", one process each, passes interleaved. "
        f"Python {platform.python_version()}, {platform.machine()}.",
        "",
        "| checkout | median pass (wall) | fastest pass | throughput (wall) | median pass (CPU) | throughput (CPU) |",
        "|---|---:|---:|---:|---:|---:|",
        *rows,
    ]
    if "baseline" in medians:
        lines += [
            "",
            f"Speed-up, baseline / this: **{medians['baseline'] / medians['this checkout']:.2f}×** wall, "
            f"**{cpu_medians['baseline'] / cpu_medians['this checkout']:.2f}×** CPU time (the process's own CPU "
            "seconds, which a loaded machine distorts least).",
        ]
    report = "\n".join(lines) + "\n"
    print(report)
    args.out.write_text(report)
    return 0


if __name__ == "__main__":
    sys.exit(main())
